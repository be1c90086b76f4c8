from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Re-check reminders"
    default_auto_field = "django.db.models.BigAutoField"
