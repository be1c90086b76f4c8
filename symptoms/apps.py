from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    name = "symptoms"
    verbose_name = "Symptom self-checks"
    default_auto_field = "django.db.models.BigAutoField"
