from django.apps import AppConfig


class DossierConfig(AppConfig):
    name = "dossier"
    verbose_name = "Hồ sơ kế hoạch: ý kiến và tệp đính kèm"
