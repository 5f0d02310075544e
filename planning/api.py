"""Plan documents over /api/v1/. Reads go through selectors (scoped: 404 outside the caller's
tree), writes through services (which check roles and state)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.db_router import replica_reads
from config.params import int_param
from config.text import validate_single_line
from directory.models import AdministrativeUnit
from planning import diff, search, selectors, services
from planning.models import CYCLE_STRUCTURES, Cycle, Plan, PlanRound, PlanStatus, PlanType, ProgrammePeriod
from workflows.selectors import plan_resolution, plan_resolutions_for

THOUSANDTH = Decimal("0.001")
ROUND_MAX = 2**31 - 1  # PlanRound.number is a PositiveIntegerField


def money(value: Decimal) -> str:
    """Amounts as decimal strings with exactly three places, whatever the database returns."""
    return str(Decimal(value).quantize(THOUSANDTH))


def money_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {key: money_dict(value) if isinstance(value, dict) else money(value) for key, value in row.items()}


class CycleSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="period.code")

    class Meta:
        model = Cycle
        fields = ["id", "year", "period", "structure", "name", "plan_types"]


class PlanMoneySerializer(serializers.Serializer):
    """A plan's money, million VND: ``total`` = ``own`` (its own lines) + ``below`` (the plans
    counted below it: every plan below in the same cycle and type, except a waived plan and the
    plans below a waived one), the figure every page, file and API answer shows."""

    total = serializers.DecimalField(max_digits=18, decimal_places=3)
    own = serializers.DecimalField(max_digits=18, decimal_places=3)
    below = serializers.DecimalField(max_digits=18, decimal_places=3)


class ResolutionSerializer(serializers.Serializer):
    """The People's Council resolution that approved the plan."""

    number = serializers.CharField()
    date = serializers.DateField()


def plan_money_json(sums: dict[str, dict[str, Decimal]]) -> dict[str, str]:
    """A plan's entry of ``selectors.plan_money_for`` as decimal strings."""
    return {part: money(sums[part]["total"]) for part in ("total", "own", "below")}


def resolution_json(resolution: Any) -> dict[str, str] | None:
    return None if resolution is None else {"number": resolution.number, "date": resolution.date.isoformat()}


class PlanSerializer(serializers.ModelSerializer):
    """A plan's header and state, with its money and its council resolution (null before
    approval). A list passes ``context={"money": plan_money_for(plans), "resolutions":
    plan_resolutions_for(plans)}`` (a few queries for the whole list); alone, a plan reads its own."""

    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    structure = serializers.CharField(source="unit.structure")
    type = serializers.CharField(source="plan_type")
    cycle_year = serializers.IntegerField(source="cycle.year")
    money = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "cycle",
            "cycle_year",
            "unit",
            "unit_name",
            "structure",
            "type",
            "status",
            "round_number",
            "parent",
            *services.HEADER_FIELDS,
            "money",
            "resolution",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PlanMoneySerializer)
    def get_money(self, plan: Plan) -> dict[str, str]:
        page = self.context.get("money") or {}
        sums = page[plan.pk] if plan.pk in page else selectors.plan_money_for([plan])[plan.pk]
        return plan_money_json(sums)

    @extend_schema_field(ResolutionSerializer(allow_null=True))
    def get_resolution(self, plan: Plan) -> dict[str, str] | None:
        if "resolutions" in self.context:
            return resolution_json(self.context["resolutions"].get(plan.pk))
        return resolution_json(plan_resolution(plan))


class PlanCreateSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    unit = serializers.CharField(help_text="Official code of the unit")
    type = serializers.ChoiceField(choices=PlanType.choices)


class PlanHeaderSerializer(serializers.Serializer):
    """The header's texts: one line for the number and the place, several elsewhere (the
    issuing body may be written on two lines, as printed)."""

    issuing_body = serializers.CharField(max_length=255, allow_blank=True, required=False)
    number_symbol = serializers.CharField(
        max_length=64, allow_blank=True, required=False, validators=[validate_single_line]
    )
    place = serializers.CharField(max_length=128, allow_blank=True, required=False, validators=[validate_single_line])
    issued_on = serializers.DateField(allow_null=True, required=False)
    legal_bases = serializers.CharField(allow_blank=True, required=False)
    purpose = serializers.CharField(allow_blank=True, required=False)
    objectives = serializers.CharField(allow_blank=True, required=False)
    recipients = serializers.CharField(allow_blank=True, required=False)
    no_money_statement = serializers.CharField(allow_blank=True, required=False)


class LineSerializer(serializers.Serializer):
    """Documents the line shape; validation is the service's (one rule for every entry point)."""

    item = serializers.CharField()
    content = serializers.CharField(allow_blank=True, required=False)
    lead_agency = serializers.CharField(allow_blank=True, required=False)
    coordinating_agencies = serializers.CharField(allow_blank=True, required=False)
    beneficiaries = serializers.CharField(allow_blank=True, required=False)
    catalogue = serializers.CharField(required=False, help_text="Period of the item's catalogue (default: the plan's)")
    amounts = serializers.DictField(
        child=serializers.DecimalField(max_digits=15, decimal_places=3),
        help_text=(
            "Amount per funding source code of the plan's period, million VND, "
            'e.g. {"central_investment": "45500.000"}'
        ),
    )
    total = serializers.DecimalField(max_digits=16, decimal_places=3, read_only=True)


class SourceSerializer(serializers.Serializer):
    code = serializers.CharField()
    title_vi = serializers.CharField()
    title_en = serializers.CharField()
    short_vi = serializers.CharField()
    short_en = serializers.CharField()
    group = serializers.CharField()


class CatalogueItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    title_vi = serializers.CharField()
    title_en = serializers.CharField()
    lead_agency_kind = serializers.CharField()
    lead_ministries = serializers.ListField(child=serializers.CharField())
    levels = serializers.ListField(child=serializers.CharField(), help_text="tiers that may budget it (empty: all)")
    budgetable = serializers.BooleanField()
    verified = serializers.BooleanField()
    local_code = serializers.CharField(allow_null=True)
    local_title = serializers.CharField(allow_null=True)


class CriterionIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    title_vi = serializers.CharField()
    title_en = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()
    targets = serializers.JSONField(help_text="target per commune group")
    verified = serializers.BooleanField()


class CriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    title_vi = serializers.CharField()
    title_en = serializers.CharField()
    indicators = CriterionIndicatorSerializer(many=True)


class CatalogueSerializer(serializers.Serializer):
    """A period's catalogue: its sources, items (with the province's local labels) and criteria."""

    period = serializers.CharField()
    title_vi = serializers.CharField()
    title_en = serializers.CharField()
    legal_basis = serializers.CharField()
    owner_vi = serializers.CharField()
    owner_en = serializers.CharField()
    sources = SourceSerializer(many=True)
    items = CatalogueItemSerializer(many=True)
    criteria = CriterionSerializer(many=True)


class IndicatorSerializer(serializers.Serializer):
    """A plan's indicator (``services.snapshot_indicators``); PUT takes a list of these."""

    code = serializers.CharField(allow_blank=True, required=False)
    criterion = serializers.CharField(allow_null=True, required=False, help_text="a criterion indicator's code")
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()
    value = serializers.CharField(help_text="decimal string")
    value_max = serializers.CharField(allow_null=True, required=False)
    baseline = serializers.CharField(allow_null=True, required=False)


class HouseholdSerializer(serializers.Serializer):
    """A household the commune plan supports (``services.snapshot_households``)."""

    code = serializers.CharField()
    head_name = serializers.CharField()
    cause = serializers.CharField(allow_blank=True, required=False)
    planned_support = serializers.CharField(allow_blank=True, required=False)
    responsible_organisation = serializers.CharField(allow_blank=True, required=False)


class EnvelopeSerializer(serializers.Serializer):
    ceilings = serializers.DictField(
        child=serializers.CharField(allow_null=True), help_text="per source code: decimal string, or null"
    )
    violations = serializers.ListField(child=serializers.DictField())


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField()
    totals = serializers.DictField(child=serializers.CharField())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _line_json(line, sources) -> dict[str, Any]:
    """One line as the API shows it: every source of the period (zeros included) and the total."""
    sums = selectors.line_amounts(line, sources)
    row = {"item": line.item.code, "catalogue": line.item.period.code, "item_title": line.item.title}
    row.update({f: getattr(line, f) for f in services.LINE_TEXT_FIELDS})
    row["amounts"] = {s.code: money(sums[s.code]) for s in sources}
    row["total"] = money(sums["total"])
    return row


def lines_json(plan: Plan) -> list[dict[str, Any]]:
    sources = selectors.plan_sources(plan)
    return [_line_json(line, sources) for line in selectors.plan_lines(plan)]


def source_json(source) -> dict[str, Any]:
    return {
        "code": source.code,
        "title_vi": source.title_vi,
        "title_en": source.title_en,
        "short_vi": source.short_vi,
        "short_en": source.short_en,
        "group": source.group,
    }


def _body_object(request: Request) -> dict:
    """The body as a JSON object; 400 for an array (the parser refuses bare scalars)."""
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": "Cần một đối tượng JSON."})
    return request.data


def _body_list(request: Request, key: str) -> list:
    """Accept either a bare JSON list or {"<key>": [...]}."""
    data = request.data
    if isinstance(data, dict) and key in data:
        data = data[key]
    if not isinstance(data, list):
        raise ValidationError({key: "Cần một danh sách."})
    return data


class CycleCreateSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    structure = serializers.ChoiceField(choices=CYCLE_STRUCTURES, default="two-tier")
    plan_types = serializers.ListField(child=serializers.ChoiceField(choices=PlanType.choices), required=False)


class CycleListView(APIView):
    @extend_schema(responses=CycleSerializer(many=True))
    def get(self, request: Request) -> Response:
        cycles = Cycle.objects.select_related("period").order_by("-year", "structure")
        return Response(CycleSerializer(cycles, many=True).data)

    @extend_schema(request=CycleCreateSerializer, responses={201: CycleSerializer})
    def post(self, request: Request) -> Response:
        """Open a year's cycle (administrators only); 400 naming ``year`` when its period has no
        catalogue or sources."""
        if not request.user.is_staff:
            raise PermissionDenied
        body = CycleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = services.cycle_ensure(**body.validated_data)
        return Response(CycleSerializer(cycle).data, status=201)


class CatalogueView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, required=True, description="e.g. 2021-2025"),
            OpenApiParameter("province", str, description="official code: the province's subset and local labels"),
            OpenApiParameter("structure", str, description="of the province code (default three-tier)"),
        ]
    )
    @extend_schema(responses=CatalogueSerializer)
    def get(self, request: Request) -> Response:
        period = request.query_params.get("period", "")
        province = None
        if request.query_params.get("province"):
            province = AdministrativeUnit.objects.filter(
                structure=request.query_params.get("structure", "three-tier"),
                code=request.query_params["province"],
                tier="province",
            ).first()
            if province is None:
                raise ValidationError({"province": "Không có tỉnh với mã này."})
        period_obj = ProgrammePeriod.objects.filter(code=period).first()
        items = list(selectors.catalogue_for_province(period, province))
        if period_obj is None or not items:
            raise ValidationError({"period": f"Không có danh mục cho giai đoạn “{period}”."})
        criteria = selectors.criteria_for_period(period_obj)
        return Response(
            {
                "period": period_obj.code,
                "title_vi": period_obj.title_vi,
                "title_en": period_obj.title_en,
                "legal_basis": period_obj.legal_basis,
                "owner_vi": period_obj.owner_vi,
                "owner_en": period_obj.owner_en,
                "sources": [source_json(s) for s in selectors.period_sources(period_obj)],
                "items": [
                    {
                        "code": i.code,
                        "parent": i.parent.code if i.parent else None,
                        "kind": i.kind,
                        "title_vi": i.title_vi,
                        "title_en": i.title_en,
                        "lead_agency_kind": i.lead_agency_kind,
                        "lead_ministries": i.lead_ministries,
                        "levels": i.levels,
                        "budgetable": i.budgetable,
                        "verified": i.verified,
                        "local_code": i.local_code or None,
                        "local_title": i.local_title or None,
                    }
                    for i in items
                ],
                "criteria": [
                    {
                        "code": c.code,
                        "title_vi": c.title_vi,
                        "title_en": c.title_en,
                        "indicators": [
                            {
                                "code": ind.code,
                                "title_vi": ind.title_vi,
                                "title_en": ind.title_en,
                                "unit": ind.unit_of_measure,
                                "kind": ind.kind,
                                "targets": ind.targets,
                                "verified": ind.verified,
                            }
                            for ind in c.indicators.all()
                        ],
                    }
                    for c in criteria
                ],
            }
        )


class PlanListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cycle", int),
            OpenApiParameter("unit", str, description="official unit code"),
            OpenApiParameter("type", str, enum=PlanType.values),
            OpenApiParameter("status", str, enum=PlanStatus.values),
            OpenApiParameter(
                "q", str, description="search: unit name (diacritics optional) or code, plan number, year, status"
            ),
        ],
        responses=PlanSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        errors = {}
        if params.get("type") and params["type"] not in PlanType.values:
            errors["type"] = [f"Must be one of {', '.join(PlanType.values)}."]
        if params.get("status") and params["status"] not in PlanStatus.values:
            errors["status"] = [f"Must be one of {', '.join(PlanStatus.values)}."]
        if errors:
            raise ValidationError(errors)
        cycle = int_param(params, "cycle", minimum=1)
        plans = selectors.plan_list(
            user=request.user, cycle=cycle, plan_type=params.get("type"), status=params.get("status")
        )
        if params.get("unit"):
            plans = plans.filter(unit__code=params["unit"])
        plans = list(search.search(plans, params.get("q")))
        context = {"money": selectors.plan_money_for(plans), "resolutions": plan_resolutions_for(plans)}
        return Response(PlanSerializer(plans, many=True, context=context).data)


class PlanMixin:
    def plan(self, request: Request, plan_id: int) -> Plan:
        return selectors.plan_get_for_user(user=request.user, plan_id=plan_id)


class PlanDetailView(PlanMixin, APIView):
    @extend_schema(responses=PlanSerializer)
    def get(self, request: Request, plan_id: int) -> Response:
        return Response(PlanSerializer(self.plan(request, plan_id)).data)

    @extend_schema(request=PlanHeaderSerializer, responses=PlanSerializer)
    def patch(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        unknown = set(_body_object(request)) - set(PlanHeaderSerializer().fields)
        if unknown:
            raise ValidationError(dict.fromkeys(sorted(unknown), "Trường này không sửa được qua API."))
        body = PlanHeaderSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        plan = services.plan_header_update(actor=request.user, plan=plan, data=dict(body.validated_data))
        return Response(PlanSerializer(plan).data)


class PlanLinesView(PlanMixin, APIView):
    @extend_schema(responses=LineSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        return Response(lines_json(plan))

    @extend_schema(request=LineSerializer(many=True), responses=LineSerializer(many=True))
    def put(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        services.plan_lines_replace(actor=request.user, plan=plan, rows=_body_list(request, "lines"))
        return self.get(request, plan_id)


class PlanIndicatorsView(PlanMixin, APIView):
    @extend_schema(responses=IndicatorSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        return Response(services.snapshot_indicators(plan))

    @extend_schema(request=IndicatorSerializer(many=True), responses=IndicatorSerializer(many=True))
    def put(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        services.plan_indicators_replace(actor=request.user, plan=plan, rows=_body_list(request, "indicators"))
        return self.get(request, plan_id)


class PlanHouseholdsView(PlanMixin, APIView):
    @extend_schema(responses=HouseholdSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        return Response(services.snapshot_households(plan))

    @extend_schema(request=HouseholdSerializer(many=True), responses=HouseholdSerializer(many=True))
    def put(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        services.plan_households_replace(actor=request.user, plan=plan, rows=_body_list(request, "households"))
        return self.get(request, plan_id)


class PlanTotalsView(PlanMixin, APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
    @replica_reads
    def get(self, request: Request, plan_id: int) -> Response:
        return Response(money_dict(selectors.plan_totals(self.plan(request, plan_id))))


class PlanEnvelopeView(PlanMixin, APIView):
    """The ceilings the parent plan set for this plan; PUT by the parent's officers."""

    @extend_schema(responses=EnvelopeSerializer)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        envelope = getattr(plan, "envelope", None)
        given = envelope.ceiling_map if envelope is not None else {}
        ceilings = {s.code: money(given[s.code]) if s.code in given else None for s in selectors.plan_sources(plan)}
        return Response({"ceilings": ceilings, "violations": services.envelope_violations(plan)})

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "description": "A ceiling per source code of the plan's period (million VND); null: no ceiling.",
                "additionalProperties": {"type": "string", "nullable": True},
                "example": {"central_investment": "45500.000", "local": None},
            }
        },
        responses=EnvelopeSerializer,
    )
    def put(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        services.envelope_set(actor=request.user, child=plan, ceilings=dict(_body_object(request)))
        return self.get(request, plan_id)


class PlanRoundsView(PlanMixin, APIView):
    @extend_schema(responses=RoundSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        return Response(
            [
                {
                    "number": r.number,
                    "kind": r.kind,
                    "created_at": r.created_at,
                    "created_by": r.created_by.display_name,
                    "totals": r.snapshot.get("totals", {}),
                }
                for r in selectors.rounds_of(plan)
            ]
        )


class PlanDiffView(PlanMixin, APIView):
    @extend_schema(
        parameters=[OpenApiParameter("from", int, required=True), OpenApiParameter("to", int)],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request, plan_id: int) -> Response:
        plan = self.plan(request, plan_id)
        if not request.query_params.get("from"):
            raise ValidationError({"from": "Cần số thứ tự của lần trình (from, to)."})
        start = int_param(request.query_params, "from", minimum=1, maximum=ROUND_MAX)
        end = int_param(request.query_params, "to", minimum=1, maximum=ROUND_MAX)
        old = get_object_or_404(PlanRound, plan=plan, number=start).snapshot
        new = get_object_or_404(PlanRound, plan=plan, number=end).snapshot if end else services.snapshot(plan)
        return Response({"from": start, "to": end or "current", **diff.snapshot_diff(old, new)})


class PlanExportView(PlanMixin, APIView):
    CONTENT_TYPES = {"xlsx": XLSX, "docx": DOCX}

    @extend_schema(
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["xlsx", "docx"])],
        responses={(200, XLSX): OpenApiTypes.BINARY, (200, DOCX): OpenApiTypes.BINARY},
    )
    @replica_reads
    def get(self, request: Request, plan_id: int, fmt: str) -> HttpResponse:
        plan = self.plan(request, plan_id)
        if fmt not in self.CONTENT_TYPES:
            raise Http404
        from planning import exports  # openpyxl and python-docx load only when someone exports

        if fmt == "xlsx":
            content = exports.budget_xlsx(plan)
        else:
            from approvals.selectors import document_signer

            # The signer of the issuing body (the audit trail's, else its head or their deputy).
            signer, on_behalf_of = document_signer(plan)
            content = exports.plan_docx(plan, signer=signer, on_behalf_of=on_behalf_of)
        response = HttpResponse(content, content_type=self.CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="ke-hoach-{plan.cycle.year}-{plan.unit.code}.{fmt}"'
        return response


class PlanComponentReportView(PlanMixin, APIView):
    """The plan's money per component content and source as .xlsx (the shape the Ministry of
    Finance's programme database asks for: figures per component content), with the roll-up of
    the plans below it for a parent plan."""

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @replica_reads
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        from planning import reports

        plan = self.plan(request, plan_id)
        response = HttpResponse(reports.component_report_xlsx(plan), content_type=PlanExportView.CONTENT_TYPES["xlsx"])
        response["Content-Disposition"] = (
            f'attachment; filename="bao-cao-theo-noi-dung-{plan.cycle.year}-{plan.unit.code}.xlsx"'
        )
        return response


class PlanLinesTemplateView(PlanMixin, APIView):
    """An .xlsx to fill in and import back: the plan's lines, with the catalogue as a list."""

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        from planning import imports

        plan = self.plan(request, plan_id)
        response = HttpResponse(imports.lines_template_xlsx(plan), content_type=PlanExportView.CONTENT_TYPES["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="mau-dong-kinh-phi-{plan.unit.code}.xlsx"'
        return response


class PlanLinesImportView(PlanMixin, APIView):
    """POST multipart ``file``: replaces all lines from the sheet, or reports errors per Excel row."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses=LineSerializer(many=True),
    )
    def post(self, request: Request, plan_id: int) -> Response:
        from planning import imports

        plan = self.plan(request, plan_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Chọn tệp .xlsx để nhập."})
        imports.import_lines_xlsx(actor=request.user, plan=plan, fileobj=upload)
        return Response(lines_json(plan))


class PlanHouseholdsTemplateView(PlanMixin, APIView):
    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request: Request, plan_id: int) -> HttpResponse:
        from planning import imports

        plan = self.plan(request, plan_id)
        content = imports.households_template_xlsx(plan)
        response = HttpResponse(content, content_type=PlanExportView.CONTENT_TYPES["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="danh-sach-ho-{plan.unit.code}.xlsx"'
        return response


class PlanHouseholdsImportView(PlanMixin, APIView):
    """POST multipart ``file``: replaces the household list, or names the bad Excel rows."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses=HouseholdSerializer(many=True),
    )
    def post(self, request: Request, plan_id: int) -> Response:
        from planning import imports

        plan = self.plan(request, plan_id)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": "Chọn tệp .xlsx để nhập."})
        imports.import_households_xlsx(actor=request.user, plan=plan, fileobj=upload)
        return Response(services.snapshot_households(plan))
