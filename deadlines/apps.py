from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = _("Hạn xử lý")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from config import clock
        from deadlines.models import ClockOffset

        # A request keeps the offset it read (config.clock); moving the clock drops that copy.
        post_save.connect(clock.forget_offset, sender=ClockOffset, dispatch_uid="clock-offset-saved")
        post_delete.connect(clock.forget_offset, sender=ClockOffset, dispatch_uid="clock-offset-deleted")
