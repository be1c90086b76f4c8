"""Re-encrypt every encrypted field with the first key of FIELD_ENCRYPTION_KEYS (docs/privacy.md).

Run after putting a new key in front of the list; once it finishes, the old key can be removed. Safe while the
site serves: each row is read and rewritten under its own row lock, in a short transaction of its own, so a
screening that finishes meanwhile is either rewritten after its result is stored or stores its result after the
rewrite, never overwritten with what the row held before. Resumable: a row already under the newest key is left
alone, so an interrupted run is simply started again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models.functions import Cast

from core.fields import EncryptedFieldMixin, encryption_keys

BATCH = 500


def _encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]


def _stale_pks(model: type[models.Model], fields: list[str], newest: Fernet) -> Iterator[Any]:
    """Primary keys of rows with a value not under the newest key, read as stored (the tokens, not decrypted)."""
    raw = {f"raw_{name}": Cast(name, output_field=models.TextField()) for name in fields}
    rows = model._base_manager.order_by("pk").annotate(**raw).values_list("pk", *raw)
    for pk, *tokens in rows.iterator(chunk_size=BATCH):
        if any(token is not None and not _under(newest, token) for token in tokens):
            yield pk


def _under(fernet: Fernet, token: str) -> bool:
    try:
        fernet.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate_row(model: type[models.Model], fields: list[str], pk: Any) -> bool:
    """Rewrite one row's encrypted fields with the newest key, under its row lock; False when it is gone."""
    with transaction.atomic():
        row = model._base_manager.select_for_update(of=("self",)).filter(pk=pk).only("pk", *fields).first()
        if row is None:
            return False
        model._base_manager.filter(pk=pk).update(**{name: getattr(row, name) for name in fields})
    return True


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field with the newest key; safe while the site serves, and resumable."

    def handle(self, *args, **options) -> None:
        newest = Fernet(encryption_keys()[0])
        for model in apps.get_models():
            fields = _encrypted_fields(model)
            if not fields:
                continue
            rewritten = 0
            # The list first: each row is then rewritten in a transaction of its own, not inside the read's cursor.
            for pk in list(_stale_pks(model, fields, newest)):
                rewritten += rotate_row(model, fields, pk)
            self.stdout.write(f"{model._meta.label}: {rewritten} row(s) re-encrypted ({', '.join(fields)})")
