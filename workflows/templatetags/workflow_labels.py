"""Labels for the codes the workflow stores (actions, statuses, outcomes), in the active language."""

from django import template

from planning.models import PlanStatus
from workflows.services import ACTION_LABELS, action_label

register = template.Library()


@register.filter
def action_name(code: str) -> str:
    """An action or outcome code as officers read it ("return" → "Trả lại để chỉnh sửa")."""
    if code in ACTION_LABELS:
        return action_label(code)
    if code in PlanStatus.values:
        return PlanStatus(code).label
    return _other_labels().get(code, code)


@register.filter
def status_name(code: str) -> str:
    return PlanStatus(code).label if code in PlanStatus.values else code


def _other_labels() -> dict[str, str]:
    """Codes the audit trail and the archive store besides actions and statuses."""
    from django.utils.translation import gettext

    return {"cancelled": gettext("Đã hủy"), "extend_deadline": gettext("Gia hạn thời hạn")}
