from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "planning"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from planning.models import FundingSource, ProgrammePeriod
        from planning.selectors import forget_sources

        # The periods' funding sources are kept per process (planning.selectors.sources_of_periods).
        for model in (FundingSource, ProgrammePeriod):
            post_save.connect(forget_sources, sender=model, dispatch_uid=f"forget-sources-{model.__name__}-saved")
            post_delete.connect(forget_sources, sender=model, dispatch_uid=f"forget-sources-{model.__name__}-deleted")
