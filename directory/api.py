"""Directory API: token login, the caller's profile, and the unit tree."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import generics, serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from directory import selectors
from directory.models import AdministrativeUnit, Membership, Structure, Tier


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()

    class Meta:
        model = AdministrativeUnit
        fields = ["code", "name", "tier", "structure", "division_type", "parent", "valid_from", "valid_to"]

    def get_parent(self, unit: AdministrativeUnit) -> str | None:
        return unit.parent.code if unit.parent_id else None


# ``structure`` is a plain string in the two serializers below, not the enum ``Unit`` documents:
# drf-spectacular names a choice set after the one component using it, and a second and third
# component with the same set (next to Cycle's smaller one) would leave it a hashed name.
STRUCTURE_HELP = "three-tier, two-tier or national (the values of Unit.structure)"


class LinkedUnitSerializer(serializers.ModelSerializer):
    """A unit on the other side of the 2025 conversion."""

    structure = serializers.CharField(help_text=STRUCTURE_HELP)
    partly_merged = serializers.BooleanField(help_text="The old unit was split: only part of it went into the new one.")

    class Meta:
        model = AdministrativeUnit
        fields = ["code", "name", "structure", "partly_merged"]


class UnitDetailSerializer(UnitSerializer):
    """A unit with both sides of the 1 July 2025 conversion: a three-tier commune or province
    has ``successors`` (the two-tier unit(s) it went into), a two-tier one ``predecessors``."""

    structure = serializers.CharField(help_text=STRUCTURE_HELP)
    successors = serializers.SerializerMethodField()
    predecessors = serializers.SerializerMethodField()

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "successors", "predecessors"]

    @extend_schema_field(LinkedUnitSerializer(many=True))
    def get_successors(self, unit: AdministrativeUnit) -> list[dict]:
        return LinkedUnitSerializer(selectors.unit_successors(unit), many=True).data

    @extend_schema_field(LinkedUnitSerializer(many=True))
    def get_predecessors(self, unit: AdministrativeUnit) -> list[dict]:
        return LinkedUnitSerializer(selectors.unit_predecessors(unit), many=True).data


class MembershipSerializer(serializers.ModelSerializer):
    agency = serializers.CharField(source="agency.name")
    agency_kind = serializers.CharField(source="agency.kind")
    unit = UnitSerializer(source="agency.unit")

    class Meta:
        model = Membership
        fields = ["agency", "agency_kind", "unit", "role", "title"]


class TokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token …``).

    Failures count towards the login lockout (django-axes), exactly like the login form.
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        # The underlying HttpRequest, so django-axes can flag a lockout that its middleware answers.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


class MeView(APIView):
    @extend_schema(
        responses=inline_serializer(
            "Me",
            {
                "username": serializers.CharField(),
                "full_name": serializers.CharField(),
                "language": serializers.CharField(),
                "memberships": MembershipSerializer(many=True),
            },
        )
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "username": user.username,
                "full_name": user.display_name,
                "language": user.language,
                "memberships": MembershipSerializer(selectors.memberships_of(user), many=True).data,
            }
        )


@extend_schema(
    parameters=[
        OpenApiParameter("parent", str, description="Official code of the parent unit"),
        OpenApiParameter("tier", str, enum=Tier.values),
        OpenApiParameter("structure", str, enum=Structure.values),
    ]
)
class UnitListView(generics.ListAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self):
        params = self.request.query_params
        tier, structure = params.get("tier"), params.get("structure")
        errors = {}
        if tier and tier not in Tier.values:
            errors["tier"] = [f"Must be one of {', '.join(Tier.values)}."]
        if structure and structure not in Structure.values:
            errors["structure"] = [f"Must be one of {', '.join(Structure.values)}."]
        if errors:
            raise serializers.ValidationError(errors)
        return selectors.unit_list(
            user=self.request.user, parent_code=params.get("parent"), tier=tier, structure=structure
        )


@extend_schema(parameters=[OpenApiParameter("structure", str, enum=Structure.values)])
class UnitDetailView(generics.RetrieveAPIView):
    """One unit by code (the current structure first unless ``structure`` says otherwise),
    with its conversion links: ``successors`` / ``predecessors``."""

    serializer_class = UnitDetailSerializer

    def get_object(self) -> AdministrativeUnit:
        structure = self.request.query_params.get("structure")
        if structure and structure not in Structure.values:
            raise serializers.ValidationError({"structure": [f"Must be one of {', '.join(Structure.values)}."]})
        return selectors.unit_get(code=self.kwargs["code"], structure=structure)
