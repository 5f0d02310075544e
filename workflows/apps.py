from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from directory import signals
        from workflows import receivers

        signals.agency_left.connect(receivers.tasks_back_to_agency, dispatch_uid="workflows.tasks_back_to_agency")
