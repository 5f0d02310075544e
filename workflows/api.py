"""Actions, inbox and history over /api/v1/."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors as decisions
from config.params import int_param
from config.text import validate_single_line, validate_text
from deadlines import clock
from directory.models import AdministrativeUnit
from planning import selectors as plan_selectors
from planning.api import PlanCreateSerializer, PlanListView, PlanSerializer
from planning.models import Cycle
from workflows import selectors, services
from workflows.action_request import parse_action_request
from workflows.models import WorkItem

IDEMPOTENCY_KEY_MAX = 100  # IdempotencyRecord.key


class LineComment(serializers.Serializer):
    """A comment on one line; whether it is complete is the service's rule."""

    line = serializers.CharField(allow_blank=True, required=False, help_text="item code or line number")
    comment = serializers.CharField(allow_blank=True, required=False, validators=[validate_text])


class ActionBody(serializers.Serializer):
    """The body's schema (for the OpenAPI document); ``workflows.action_request`` parses it."""

    comment = serializers.CharField(allow_blank=True, required=False, default="", validators=[validate_text])
    idempotency_key = serializers.CharField(
        max_length=IDEMPOTENCY_KEY_MAX, allow_blank=True, required=False, default="", validators=[validate_single_line]
    )
    resolution_number = serializers.CharField(max_length=64, required=False, validators=[validate_single_line])
    resolution_date = serializers.CharField(required=False, help_text="yyyy-mm-dd or dd/mm/yyyy")
    line_comments = serializers.ListField(child=LineComment(), required=False)
    reply = serializers.CharField(
        allow_blank=True, required=False, default="", validators=[validate_text], help_text="submit: answers the return"
    )


class WorkItemSerializer(serializers.Serializer):
    """A task (``work_item_json``)."""

    id = serializers.IntegerField()
    plan = serializers.IntegerField()
    plan_type = serializers.CharField()
    cycle = serializers.IntegerField(help_text="the cycle's year")
    unit = serializers.CharField()
    unit_name = serializers.CharField()
    step = serializers.CharField()
    lane = serializers.CharField()
    title = serializers.CharField()
    agency = serializers.CharField()
    assignee = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    overdue = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()


class TaskCountsSerializer(serializers.Serializer):
    """The filter bar's counts of open tasks (``selectors.inbox_counts``)."""

    total = serializers.IntegerField()
    overdue = serializers.IntegerField()
    step = serializers.DictField(child=serializers.IntegerField())
    type = serializers.DictField(child=serializers.IntegerField())
    cycle = serializers.DictField(child=serializers.IntegerField(), help_text="by the cycle's year")


class TaskPageSerializer(serializers.Serializer):
    counts = TaskCountsSerializer(required=False, help_text="not in the archive")
    results = WorkItemSerializer(many=True)


class HistoryEventSerializer(serializers.Serializer):
    """One audit event of the plan, oldest first."""

    id = serializers.IntegerField()
    action = serializers.CharField()
    step = serializers.CharField()
    to = serializers.CharField()
    actor = serializers.CharField()
    acting_for = serializers.CharField(allow_null=True)
    agency = serializers.CharField(allow_null=True)
    comment = serializers.CharField()
    round = serializers.IntegerField(allow_null=True)
    data = serializers.JSONField()
    request_id = serializers.CharField()
    at = serializers.DateTimeField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField()  # a keyword in Python
        return fields


class PlanActionsSerializer(serializers.Serializer):
    status = serializers.CharField()
    actions = serializers.ListField(child=serializers.DictField())


def work_item_json(item: WorkItem, now) -> dict:
    plan = item.plan
    return {
        "id": item.pk,
        "plan": plan.pk,
        "plan_type": plan.plan_type,
        "cycle": plan.cycle.year,
        "unit": plan.unit.code,
        "unit_name": plan.unit.name,
        "step": item.step,
        "lane": item.lane,
        "title": item.title,
        "agency": item.agency.name,
        "assignee": item.assignee.display_name if item.assignee else None,
        "status": plan.status,
        "due_at": item.due_at,
        "overdue": bool(item.due_at and item.due_at < now),
        "created_at": item.created_at,
        "closed_at": item.closed_at,
        "outcome": item.outcome,
    }


class PlanCreateView(PlanListView):
    """POST opens the plan and starts its route; GET lists (from planning.api)."""

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def post(self, request: Request) -> Response:
        body = PlanCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        cycle = Cycle.objects.filter(pk=body.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": ["Không có chu kỳ này."]})
        unit = AdministrativeUnit.objects.filter(structure=cycle.structure, code=body.validated_data["unit"]).first()
        if unit is None:
            raise serializers.ValidationError({"unit": ["Không có đơn vị với mã này trong cơ cấu của chu kỳ."]})
        plan = services.plan_open(actor=request.user, cycle=cycle, unit=unit, plan_type=body.validated_data["type"])
        return Response(PlanSerializer(plan).data, status=201)


class PlanActionsView(APIView):
    @extend_schema(responses=PlanActionsSerializer)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response(
            {
                "status": plan.status,
                "actions": [o.as_dict() for o in services.actions_for_user(user=request.user, plan=plan)],
            }
        )


class PlanActionView(APIView):
    @extend_schema(
        request=ActionBody,
        responses=inline_serializer(
            "ActionResult",
            {
                "plan": serializers.IntegerField(),
                "action": serializers.CharField(),
                "status": serializers.CharField(),
                "step": serializers.CharField(),
                "round": serializers.IntegerField(),
            },
        ),
    )
    def post(self, request: Request, plan_id: int, action: str) -> Response:
        # One parser for the API's JSON and the task page's form; every error is answered by
        # config.errors (400/403/404/409, a blocked precondition's list included).
        body = parse_action_request(action=action, data=request.data, headers=request.headers)
        return Response(services.plan_act(actor=request.user, plan_id=plan_id, **body.act_kwargs()))


class TaskListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("cycle", int),
            OpenApiParameter("type", str),
            OpenApiParameter("unit", str),
            OpenApiParameter("step", str),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("archive", bool),
        ],
        responses=TaskPageSerializer,
    )
    def get(self, request: Request) -> Response:
        agency_ids = selectors.agency_ids_of(request.user)
        now = clock.now()  # the application's clock (the demo may move it), read once
        if request.query_params.get("archive") in ("1", "true"):
            items = selectors.archive(user=request.user, agency_ids=agency_ids)[:200]
            return Response({"results": [work_item_json(i, now) for i in items]})
        int_param(request.query_params, "cycle", minimum=1)  # 400 for what from_params would ignore
        filters = selectors.InboxFilters.from_params(request.query_params)
        items = selectors.inbox(user=request.user, filters=filters, agency_ids=agency_ids)[:200]
        return Response(
            {
                "counts": selectors.inbox_counts(user=request.user, agency_ids=agency_ids),
                "results": [work_item_json(i, now) for i in items],
            }
        )


class PlanHistoryView(APIView):
    @extend_schema(responses=HistoryEventSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response(
            [
                {
                    "id": e.pk,
                    "action": e.action,
                    "step": e.step,
                    "from": e.from_status,
                    "to": e.to_status,
                    "actor": e.actor.display_name,
                    "acting_for": e.acting_for.display_name if e.acting_for else None,
                    "agency": e.agency.name if e.agency else None,
                    "comment": e.comment,
                    "round": e.round_number,
                    "data": e.data,
                    "request_id": e.request_id,
                    "at": e.created_at,
                }
                for e in decisions.history(plan)
            ]
        )
