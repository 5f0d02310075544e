"""Notifications API: the caller's own notifications only (token or session auth).

``GET /api/v1/notifications/?after=ID`` is a cursor read: ascending ids after ID, at most 200,
with the unread count, so a client polls or catches up with the last id it holds.
``POST /api/v1/notifications/read/`` marks ``{"ids": [...]}`` or ``{"all": true}`` read.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.params import BIGINT_MAX
from notifications import selectors, services
from notifications.models import Kind

MAX_IDS = 1000


class NotificationSerializer(serializers.Serializer):
    """Documents ``selectors.notification_payload`` (the websocket sends the same shape)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    kind_label = serializers.CharField()
    text = serializers.CharField(help_text="In the caller's language (User.language).")
    texts = inline_serializer("NotificationTexts", {"vi": serializers.CharField(), "en": serializers.CharField()})
    link = serializers.CharField()
    plan_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    read = serializers.BooleanField()


class AfterQuerySerializer(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=BIGINT_MAX, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=selectors.MAX_BATCH, default=selectors.MAX_BATCH)


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=MAX_IDS)
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, data: dict) -> dict:
        if data.get("all") == ("ids" in data):
            raise serializers.ValidationError("Give either 'ids' or 'all': true.")
        return data


class NotificationListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="Only notifications with a larger id (default 0)."),
            OpenApiParameter("limit", int, description=f"At most this many (1-{selectors.MAX_BATCH})."),
        ],
        responses=inline_serializer(
            "NotificationPage",
            {
                "results": NotificationSerializer(many=True),
                "unread": serializers.IntegerField(),
                "last_id": serializers.IntegerField(help_text="Pass as ?after= next time."),
                "has_more": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        query = AfterQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        user = request.user
        # One extra row tells whether another page follows.
        rows = selectors.notifications_after(user, after_id=after, limit=limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        return Response(
            {
                "results": [selectors.notification_payload(n, language=user.language) for n in rows],
                "unread": selectors.unread_count(user),
                "last_id": rows[-1].id if rows else after,
                "has_more": has_more,
            }
        )


class NotificationReadView(APIView):
    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer(
            "NotificationReadResult", {"updated": serializers.IntegerField(), "unread": serializers.IntegerField()}
        ),
    )
    def post(self, request: Request) -> Response:
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.notifications_mark_read(
            user=request.user, ids=body.validated_data.get("ids"), all_unread=body.validated_data["all"]
        )
        return Response({"updated": updated, "unread": selectors.unread_count(request.user)})
