"""Structured logs: every record carries the request id and, where there is one, the screening id.

`ContextFilter` fills both from context variables that `core.middleware.RequestIdMiddleware` (web) and the Celery
signal handlers in `core.worker_metrics` (worker) set; an explicit `extra={"screening_id": ...}` wins.
`RedactFilter` is the safety net for sensitive health data: a record that carries answers or results in its
extras has them replaced before any handler writes it. Code should not pass them in the first place.
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime
from typing import Any

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
screening_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("screening_id", default="")

# Extras that would be questionnaire answers or model output. Matched on the extra's name.
SENSITIVE_KEYS = frozenset(
    {"answers", "answer", "cleaned", "probability", "factors", "risk_band", "band", "base_rate", "prediction", "result"}
)
REDACTED = "[redacted]"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
# The ids are printed first; `request` (django.request's extra) would print the full URL, query string included.
_CONTEXT_ATTRS = ("request_id", "screening_id", "request")


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # django.request logs a response after the middleware has finished: its record carries the request.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or request_id_var.get()
        if not getattr(record, "screening_id", ""):
            record.screening_id = screening_id_var.get()
        return True


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key in SENSITIVE_KEYS.intersection(vars(record)):
            setattr(record, key, REDACTED)
        return True


class TaskSuccessFilter(logging.Filter):
    """Drops Celery's "Task ... succeeded in ..." line (one per message) and keeps every other trace line."""

    def filter(self, record: logging.LogRecord) -> bool:
        from celery.app.trace import LOG_SUCCESS

        return record.msg != LOG_SUCCESS


def record_extras(record: logging.LogRecord) -> dict[str, Any]:
    """What the caller passed in `extra=`, without the context ids (formatters print those first)."""
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD_ATTRS and key not in _CONTEXT_ATTRS and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, screening_id, then the extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
            "screening_id": getattr(record, "screening_id", "") or None,
            "process": record.process,
        }
        for key, value in record_extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ReadableFormatter(logging.Formatter):
    """`2026-11-26 04:20:01,123 INFO screening.services screening submitted [req=ab12 scr=…] model=logistic`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tail = []
        if getattr(record, "request_id", ""):
            tail.append(f"req={record.request_id}")
        if getattr(record, "screening_id", ""):
            tail.append(f"screening={record.screening_id}")
        tail.extend(f"{key}={value}" for key, value in record_extras(record).items())
        if not tail:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{' '.join(tail)}]{newline}{rest}"
