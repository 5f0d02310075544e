"""/api/v1/plans/{id}/comments/ and /api/v1/plans/{id}/attachments/[{aid}/]."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.parsers import JSONParser
from dossier import selectors, services
from dossier.models import Attachment
from dossier.views import serve
from planning import selectors as plan_selectors


class CommentBody(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=services.MAX_COMMENT)
    parent = serializers.IntegerField(required=False, allow_null=True, default=None)
    line = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)


def attachment_json(attachment: Attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "kind": attachment.kind,
        "kind_label": attachment.get_kind_display(),
        "content_type": attachment.content_type,
        "size": attachment.size,
        "round": attachment.round_number,
        "frozen": attachment.is_frozen,
        "frozen_at": attachment.frozen_at.isoformat() if attachment.frozen_at else None,
        "uploaded_by": attachment.uploaded_by.display_name,
        "uploaded_at": attachment.uploaded_at.isoformat(),
        "download": reverse("api-plan-attachment", args=[attachment.plan_id, attachment.pk]),
    }


class PlanCommentsView(APIView):
    """GET: the plan's thread (decisions with their reasons, comments with their replies).
    POST ``{text, parent?, line?}``: a comment, a reply, or a comment on a budget line."""

    @extend_schema(operation_id="plans_comments_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response({"results": [entry.as_dict() for entry in selectors.thread(plan)]})

    @extend_schema(request=CommentBody, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, plan_id: int) -> Response:
        plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        body = CommentBody(data=request.data)
        body.is_valid(raise_exception=True)
        comment = services.comment_add(
            actor=request.user,
            plan_id=plan_id,
            text=body.validated_data["text"],
            parent_id=body.validated_data["parent"],
            line_ref=body.validated_data["line"],
        )
        return Response(
            {
                "id": comment.pk,
                "parent": comment.parent_id,
                "line": comment.line_ref or None,
                "round": comment.round_number,
                "author": comment.author.display_name,
                "agency": comment.agency.name if comment.agency else None,
                "text": comment.text,
                "created_at": comment.created_at.isoformat(),
            },
            status=201,
        )


class PlanAttachmentsView(APIView):
    """GET: the plan's files by round. POST multipart ``file`` (and ``kind``): attach a file."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(operation_id="plans_attachments_list", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response({"results": [attachment_json(a) for a in selectors.attachments_of(plan)]})

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}, "kind": {"type": "string"}},
            }
        },
        responses={201: OpenApiTypes.OBJECT},
    )
    def post(self, request: Request, plan_id: int) -> Response:
        plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        attachment = services.attachment_upload(
            actor=request.user,
            plan_id=plan_id,
            upload=request.FILES.get("file"),
            kind=request.data.get("kind") or Attachment.Kind.OTHER,
        )
        return Response(attachment_json(attachment), status=201)


class PlanAttachmentView(APIView):
    """GET: download the file. DELETE: remove it (the plan's drafters, while a draft, not frozen)."""

    @extend_schema(
        operation_id="plans_attachment_download", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}
    )
    def get(self, request: Request, plan_id: int, attachment_id: int):
        plan = plan_selectors.plan_get_for_user(user=request.user, plan_id=plan_id)
        attachment = selectors.attachment_get(plan, attachment_id)
        if attachment is None:
            raise Http404
        return serve(attachment)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, plan_id: int, attachment_id: int) -> Response:
        services.attachment_remove(actor=request.user, plan_id=plan_id, attachment_id=attachment_id)
        return Response(status=204)
