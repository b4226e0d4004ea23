from django.apps import AppConfig


class MantisConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "mantis"
    verbose_name = "Import MantisBT"
