"""Keeps share-link tokens out of the logs.

Django logs every 4xx/5xx answer on "django.request" with the request's path ("Gone: /s/<token>/"); a token in a
log line would open the link for anyone who reads the logs. This filter, attached to that logger in
config/settings/base.py, puts a placeholder where the token was.
"""

import logging
import re

_TOKEN_PATH = re.compile(r"^/s/[^/]*")
PLACEHOLDER = "/s/[token]"


class ShareTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_TOKEN_PATH.sub(PLACEHOLDER, a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _TOKEN_PATH.sub(PLACEHOLDER, record.msg)
        return True
