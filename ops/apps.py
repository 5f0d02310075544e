from django.apps import AppConfig


class OpsConfig(AppConfig):
    default = True
    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Celery is a hard dependency of the project; the hooks carry the request id from the
        # request that enqueued a task into that task's log lines.
        from ops import tasks_context

        tasks_context.connect()
