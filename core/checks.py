"""System checks of core: run by `manage.py check` (and `check --deploy`), runserver and migrate."""

from django.conf import settings
from django.core.checks import Error, register

from core.keys import key_problems


@register()
def encryption_keys_are_fernet_keys(app_configs, **kwargs) -> list[Error]:
    """Every FIELD_ENCRYPTION_KEYS entry is a Fernet key; a broken one would make every encrypted write fail."""
    return [
        Error(
            problem,
            hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'",
            id="core.E001",
        )
        for problem in key_problems(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [])
    ]
