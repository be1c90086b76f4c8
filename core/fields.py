"""Model fields encrypted at rest with django-fernet-encrypted-fields (Fernet: AES-128-CBC + HMAC-SHA256).

The whole value is encrypted — a JSON document as one token, so neither its keys nor its values nor its types show
in the database — and every write path encrypts it, `QuerySet.update()` included (Django prepares the value with
`get_db_prep_value`). Keys come from FIELD_ENCRYPTION_KEYS (Fernet keys, newest first): the first encrypts, any of
them decrypts, so a rotation adds a key in front and `manage.py encryption_rotate` re-encrypts the rows. Without
configured keys (development, tests) the library derives one from SECRET_KEY and SALT_KEY. A value that is not a
token (a row written before encryption) is read as it is, and encrypted on its next save or rotation.
"""

from __future__ import annotations

import contextlib
import functools
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin as LibraryEncryptedFieldMixin

from core.keys import key_problems


def encryption_keys() -> list[bytes]:
    """FIELD_ENCRYPTION_KEYS (newest first), or in development a key derived from SECRET_KEY."""
    configured = getattr(settings, "FIELD_ENCRYPTION_KEYS", None)
    if configured:
        return [key.encode() if isinstance(key, str) else key for key in configured]
    return _derived_keys(settings.SECRET_KEY, tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ())))


def check_encryption() -> str:
    """/readyz: the configured keys encrypt and decrypt (core.health). Never shows a key."""
    keys = encryption_keys()
    if problems := key_problems(keys):
        raise ValueError("; ".join(problems))
    fernet = _fernet(tuple(keys))
    if fernet.decrypt(fernet.encrypt(b"readyz")) != b"readyz":
        raise ValueError("a value encrypted was not decrypted back")
    configured = bool(getattr(settings, "FIELD_ENCRYPTION_KEYS", None))
    return f"{len(keys)} key(s)" if configured else "derived from SECRET_KEY (development)"


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[bytes, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


class EncryptedFieldMixin(LibraryEncryptedFieldMixin):
    @property
    def keys(self) -> list[bytes]:
        return encryption_keys()

    @property
    def f(self) -> MultiFernet:
        # Not cached on the field: a rotation (or a test's settings) changes the keys without a restart of the class.
        return _fernet(tuple(self.keys))

    def to_text(self, value: Any) -> str:
        return str(value)

    def from_text(self, text: str) -> Any:
        return text

    def get_prep_value(self, value: Any) -> Any:
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return self.f.encrypt(self.to_text(value).encode()).decode()

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, str) or hasattr(self, "_already_decrypted"):
            return value
        # A value that is not a token was written before encryption: read it as it is.
        with contextlib.suppress(InvalidToken):
            value = self.f.decrypt(value.encode()).decode()
        return self.from_text(value)


@functools.lru_cache(maxsize=4)
def _derived_keys(secret_key: str, fallbacks: tuple[str, ...]) -> list[bytes]:
    # The library's own derivation (PBKDF2 over SECRET_KEY and SALT_KEY), computed once per process.
    probe = LibraryEncryptedFieldMixin()
    return LibraryEncryptedFieldMixin.keys.func(probe)


class EncryptedJSONField(EncryptedFieldMixin, models.TextField):
    # For django-stubs: the Python value is JSON data, not the text stored.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_text(self, value: Any) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    def from_text(self, text: str) -> Any:
        return json.loads(text)


class EncryptedFloatField(EncryptedFieldMixin, models.FloatField):
    _pyi_private_set_type: float | int | None
    _pyi_private_get_type: float

    def to_text(self, value: Any) -> str:
        return repr(float(value))

    def from_text(self, text: str) -> Any:
        return float(text)


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    pass


class EncryptedIntegerField(EncryptedFieldMixin, models.IntegerField):
    _pyi_private_set_type: int | None
    _pyi_private_get_type: int

    @functools.cached_property
    def validators(self) -> list:
        # IntegerField adds the column type's range; the column is text here, and the value is checked where it is
        # computed (the owner of the data says its range).
        return [*self.default_validators, *self._validators]

    def to_text(self, value: Any) -> str:
        return str(int(value))

    def from_text(self, text: str) -> Any:
        return int(text)


class EncryptedBooleanField(EncryptedFieldMixin, models.BooleanField):
    _pyi_private_set_type: bool | None
    _pyi_private_get_type: bool

    def to_text(self, value: Any) -> str:
        return "true" if value else "false"

    def from_text(self, text: str) -> Any:
        # "1"/"0" and "t"/"f": a boolean column cast to text before its rows were encrypted (SQLite, PostgreSQL).
        return text.strip().lower() in ("true", "1", "t")


def health_data_fernet() -> MultiFernet:
    """The keys the encrypted fields use (FIELD_ENCRYPTION_KEYS, or the derived ones), for health data held outside
    a model field: a visitor's symptom check waiting in their session to be kept (symptoms.services)."""
    return _fernet(tuple(encryption_keys()))
