from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = _("Hạn xử lý")
    default_auto_field = "django.db.models.BigAutoField"
