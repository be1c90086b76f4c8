from django.apps import AppConfig


class SymptomsConfig(AppConfig):
    name = "symptoms"
    verbose_name = "Symptom self-checks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from symptoms import signals  # noqa: F401  (keeps a visitor's check at sign-up: accounts.user_registered)
