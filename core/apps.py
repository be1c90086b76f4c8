from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks  # noqa: F401 (registers the system checks)
        from core.fields import check_encryption
        from core.health import register_readiness_check

        register_readiness_check("encryption", check_encryption)
