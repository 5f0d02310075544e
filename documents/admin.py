from django.contrib import admin

from config.admin_mixins import ReadOnlyAdmin
from documents.models import AgencyExchangeCode, IssuedDocument, SignerCredential


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    """Issued documents are written by the issuing job only (a reissue is a new version)."""

    list_display = ["plan", "version", "status", "number_symbol", "issued_on", "signer_name", "sha256", "created_at"]
    list_filter = ["status", "backend"]
    search_fields = ["number_symbol", "plan__unit__name", "sha256"]
    list_select_related = ["plan__unit", "plan__cycle"]
    exclude = ["prepared"]


@admin.register(AgencyExchangeCode)
class AgencyExchangeCodeAdmin(admin.ModelAdmin):
    """The agencies' codes on the document exchange platform (edXML OrganId): data to enter."""

    list_display = ["code", "agency"]
    search_fields = ["code", "agency__name"]
    autocomplete_fields = ["agency"]


@admin.register(SignerCredential)
class SignerCredentialAdmin(admin.ModelAdmin):
    list_display = ["user", "csc_credential_id"]
    search_fields = ["user__username", "csc_credential_id"]
    autocomplete_fields = ["user"]
