"""Actions, inbox and history over /api/v1/."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors as decisions
from deadlines import clock
from directory.models import AdministrativeUnit
from planning import selectors as plan_selectors
from planning.api import PlanCreateSerializer, PlanListView, PlanSerializer
from planning.models import Cycle
from workflows import selectors, services
from workflows.action_request import parse_action_request
from workflows.models import WorkItem


class ActionBody(serializers.Serializer):
    """The body's schema (for the OpenAPI document); ``workflows.action_request`` parses it."""

    comment = serializers.CharField(allow_blank=True, required=False, default="")
    idempotency_key = serializers.CharField(max_length=100, allow_blank=True, required=False, default="")
    resolution_number = serializers.CharField(max_length=64, required=False)
    resolution_date = serializers.CharField(required=False, help_text="yyyy-mm-dd or dd/mm/yyyy")
    line_comments = serializers.ListField(child=serializers.DictField(), required=False)
    reply = serializers.CharField(allow_blank=True, required=False, default="", help_text="submit: answers the return")


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
    @extend_schema(responses=OpenApiTypes.OBJECT)
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
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        agency_ids = selectors.agency_ids_of(request.user)
        now = clock.now()  # the application's clock (the demo may move it), read once
        if request.query_params.get("archive") in ("1", "true"):
            items = selectors.archive(user=request.user, agency_ids=agency_ids)[:200]
            return Response({"results": [work_item_json(i, now) for i in items]})
        filters = selectors.InboxFilters.from_params(request.query_params)
        items = selectors.inbox(user=request.user, filters=filters, agency_ids=agency_ids)[:200]
        return Response(
            {
                "counts": selectors.inbox_counts(user=request.user, agency_ids=agency_ids),
                "results": [work_item_json(i, now) for i in items],
            }
        )


class PlanHistoryView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT)
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
