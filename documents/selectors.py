"""Reads about issued documents, scoped like the plans they belong to."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from directory.models import User
from documents.models import IssuedDocument
from planning.models import Plan
from planning.selectors import plan_scope_q


def documents_of(plan: Plan) -> QuerySet[IssuedDocument]:
    """The plan's issued documents, newest version first."""
    return plan.issued_documents.select_related("signer", "on_behalf_of").order_by("-version")


def document_get_for_user(*, user: User, document_id: int) -> IssuedDocument:
    """The document if the caller may see its plan; otherwise 404, never revealing it exists."""
    try:
        return (
            IssuedDocument.objects.select_related("plan__unit__parent", "plan__cycle__period", "signer", "on_behalf_of")
            .filter(plan__in=Plan.objects.filter(plan_scope_q(user)))
            .get(pk=document_id)
        )
    except (IssuedDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
