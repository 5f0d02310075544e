"""Demo: every demo plan gets its route, so its first task is in the drafting agency's inbox."""

from planning.models import Plan
from workflows import services


def load() -> None:
    for plan in Plan.objects.select_related("unit__parent", "cycle__period").order_by("pk"):
        services.process_ensure(plan)
