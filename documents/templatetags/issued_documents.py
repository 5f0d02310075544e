"""The plan page's panel of issued documents ({% issued_documents_panel plan %})."""

from django import template

from documents import selectors, services

register = template.Library()


@register.inclusion_tag("documents/_panel.html", takes_context=True)
def issued_documents_panel(context, plan):
    user = context["request"].user
    documents = list(selectors.documents_of(plan))
    return {
        "plan": plan,
        "documents": documents,
        "may_issue": services.may_issue(user, plan),
        "busy": any(d.is_busy for d in documents),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
