"""The plan page's panel of issued documents ({% issued_documents_panel plan %})."""

from django import template

from documents import selectors, services

register = template.Library()
ISSUE_FIELDS = ("number_symbol", "issued_on")


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def issued_documents_panel(context, plan):
    """The documents, and for the plan's drafters and heads the issue form: its number and date
    prefilled from the plan (required while it has none), or why the plan cannot be issued yet.
    ``issue_errors`` / ``issue_posted``: a refused POST, shown again (``documents.views.issue``)."""
    from approvals.selectors import issuer_of, last_signing_event

    user = context["request"].user
    documents = list(selectors.documents_of(plan))
    may_issue = services.may_issue(user, plan)
    posted = context.get("issue_posted") or {}
    errors = context.get("issue_errors") or {}
    return {
        "plan": plan,
        "documents": documents,
        "may_issue": may_issue,
        "signed_off": may_issue and last_signing_event(plan) is not None,
        "symbol": issuer_of(plan).symbol if may_issue else "",
        "number_symbol": posted.get("number_symbol", plan.number_symbol),
        "issued_on": posted.get("issued_on", plan.issued_on.strftime("%d/%m/%Y") if plan.issued_on else ""),
        "errors": errors,
        "other_errors": [m for field, ms in errors.items() if field not in ISSUE_FIELDS for m in ms],
        "busy": any(d.is_busy for d in documents),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
