"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS (docs/privacy.md).

Run after putting a new key in front of the list; once it finishes, the old key can be removed. Safe to run again
and while the site serves: each row is rewritten in its own short update of its encrypted columns only.
"""

from django.apps import apps
from django.core.management.base import BaseCommand

from core.fields import EncryptedFieldMixin


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key."

    def handle(self, *args, **options) -> None:
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
            if not fields:
                continue
            rewritten = 0
            for row in model._base_manager.only("pk", *fields).iterator(chunk_size=500):
                model._base_manager.filter(pk=row.pk).update(**{name: getattr(row, name) for name in fields})
                rewritten += 1
            self.stdout.write(f"{model._meta.label}: {rewritten} row(s) re-encrypted ({', '.join(fields)})")
