"""/api/v1/ for issued documents: issue a plan's signed PDF (202, the job runs after), poll it,
download it and its edXML package, the two steps of signing on the officer's token, and the
verification of any uploaded PDF (open to anyone holding the file)."""

from __future__ import annotations

import base64

from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from documents import selectors, services
from documents.models import DocumentStatus, IssuedDocument
from planning.selectors import plan_get_for_user


class DocumentSerializer(serializers.ModelSerializer):
    progress = serializers.IntegerField(read_only=True)
    download = serializers.SerializerMethodField()
    edxml = serializers.SerializerMethodField()

    class Meta:
        model = IssuedDocument
        fields = [
            "id",
            "plan",
            "version",
            "status",
            "progress",
            "backend",
            "number_symbol",
            "issued_on",
            "place",
            "signer_name",
            "signer_title",
            "capacity",
            "sha256",
            "size",
            "pages",
            "certificate_subject",
            "certificate_serial",
            "error",
            "created_at",
            "finished_at",
            "download",
            "edxml",
        ]
        read_only_fields = fields

    def get_download(self, document: IssuedDocument) -> str | None:
        if document.status != DocumentStatus.ISSUED:
            return None
        return reverse("api-document-file", kwargs={"document_id": document.pk})

    def get_edxml(self, document: IssuedDocument) -> str | None:
        if document.status != DocumentStatus.ISSUED:
            return None
        return reverse("api-document-edxml", kwargs={"document_id": document.pk})


class IssueSerializer(serializers.Serializer):
    backend = serializers.ChoiceField(choices=["demo", "csc", "token"], required=False)
    certificate = serializers.CharField(required=False, allow_blank=True, help_text="PEM or base64 DER (token)")
    chain = serializers.ListField(child=serializers.CharField(), required=False)
    # Checked by the service (one rule for the page and the API): blank keeps the plan's own.
    number_symbol = serializers.CharField(
        required=False, allow_blank=True, help_text="Số, ký hiệu, e.g. 15/KH-UBND (required while the plan has none)"
    )
    issued_on = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Ngày ban hành: dd/mm/yyyy or yyyy-mm-dd (required while the plan has none)",
    )


class PlanDocumentsView(APIView):
    @extend_schema(responses=DocumentSerializer(many=True))
    def get(self, request: Request, plan_id: int) -> Response:
        plan = plan_get_for_user(user=request.user, plan_id=plan_id)
        return Response(DocumentSerializer(selectors.documents_of(plan), many=True).data)

    @extend_schema(request=IssueSerializer, responses={202: DocumentSerializer})
    def post(self, request: Request, plan_id: int) -> Response:
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.document_issue(
            actor=request.user,
            plan_id=plan_id,
            backend=body.validated_data.get("backend"),
            certificate=body.validated_data.get("certificate", ""),
            chain=body.validated_data.get("chain"),
            number_symbol=body.validated_data.get("number_symbol"),
            issued_on=body.validated_data.get("issued_on"),
        )
        document.refresh_from_db()
        return Response(DocumentSerializer(document).data, status=202)


class DocumentDetailView(APIView):
    @extend_schema(responses=DocumentSerializer)
    def get(self, request: Request, document_id: int) -> Response:
        return Response(
            DocumentSerializer(selectors.document_get_for_user(user=request.user, document_id=document_id)).data
        )


def issued(request: Request, document_id: int) -> IssuedDocument:
    document = selectors.document_get_for_user(user=request.user, document_id=document_id)
    if document.status != DocumentStatus.ISSUED:
        from config.errors import Conflict

        raise Conflict(_("Văn bản chưa được ban hành."))
    return document


def pdf_response(document: IssuedDocument) -> FileResponse:
    from documents.edxml import attachment_name

    return FileResponse(
        document.file.open("rb"), content_type="application/pdf", as_attachment=True, filename=attachment_name(document)
    )


def edxml_response(document: IssuedDocument) -> HttpResponse:
    from documents import edxml

    with document.file.open("rb") as handle:
        pdf = handle.read()
    response = HttpResponse(edxml.build(document, pdf), content_type="application/xml; charset=utf-8")
    name = edxml.attachment_name(document).removesuffix(".pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.edxml"'
    return response


class DocumentFileView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, document_id: int) -> FileResponse:
        return pdf_response(issued(request, document_id))


class DocumentEdxmlView(APIView):
    @extend_schema(responses={(200, "application/xml"): OpenApiTypes.BINARY})
    def get(self, request: Request, document_id: int) -> HttpResponse:
        return edxml_response(issued(request, document_id))


class TokenSignatureSerializer(serializers.Serializer):
    signature = serializers.CharField(help_text="base64 of the raw RSASSA-PSS signature over to_sign")


class DocumentTokenView(APIView):
    """The officer's token: GET the bytes to sign (and how), POST the signature back."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, document_id: int) -> Response:
        from documents import signing

        document = selectors.document_get_for_user(user=request.user, document_id=document_id)
        if document.status != DocumentStatus.AWAITING_SIGNATURE:
            from config.errors import Conflict

            raise Conflict(_("Văn bản không ở bước chờ ký."))
        prepared = signing.prepared_from_json(document.prepared)
        return Response(
            {
                "to_sign": base64.b64encode(prepared.to_sign).decode("ascii"),
                "mechanism": signing.signature_parameters(prepared.certificate),
            }
        )

    @extend_schema(request=TokenSignatureSerializer, responses=DocumentSerializer)
    def post(self, request: Request, document_id: int) -> Response:
        body = TokenSignatureSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.document_token_finish(
            actor=request.user, document_id=document_id, signature=body.validated_data["signature"]
        )
        return Response(DocumentSerializer(document).data)


BAD_INPUT = ("empty", "not_pdf", "too_large")


class VerifyView(APIView):
    """Anyone holding a PDF may check it: multipart ``file``. A file that is not a PDF, empty or
    too large answers 400 naming the field; a PDF answers 200 with the verdict."""

    permission_classes = [AllowAny]
    authentication_classes = []
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        from documents import verify

        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": [_("Chọn tệp PDF cần kiểm tra.")]})
        verdict = verify.verify_upload(upload)
        if verdict.outcome in BAD_INPUT:
            return Response({"file": [verdict.message], "detail": verdict.message, "code": verdict.outcome}, status=400)
        return Response(verdict.as_json())
