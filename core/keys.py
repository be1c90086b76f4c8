"""FIELD_ENCRYPTION_KEYS checked without Django, so that production settings can refuse a broken key at start-up."""

from cryptography.fernet import Fernet


def key_problems(keys: list[str] | list[bytes] | tuple) -> list[str]:
    """What is wrong with FIELD_ENCRYPTION_KEYS, entry by entry (by position: a message never shows a key).

    A Fernet key is 32 bytes in URL-safe base64: 44 characters ending in "=". One that lost a character in a copy
    and paste would otherwise pass start-up and fail every encrypted write with a 500.
    """
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):  # binascii.Error, a short or long key, not text at all
            problems.append(
                f"entry {position} of FIELD_ENCRYPTION_KEYS is not a Fernet key "
                "(32 bytes in URL-safe base64: 44 characters ending in '=')"
            )
    return problems
