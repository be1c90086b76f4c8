"""Request ids and the one log line per request; the language of each request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

from core.errors import DATABASE_OUTAGE_ERRORS
from core.logging import request_id_var, screening_id_var

logger = logging.getLogger("mhc.request")

# An id from a proxy is kept when it is short and plain; anything else could forge or bloat log lines.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# Health checks and scrapes arrive every few seconds; logging each would drown the requests people make.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RequestIdMiddleware:
    """Gives each request an id (kept from X-Request-ID when sane), echoes it in the response and logs the outcome.

    The id, and the screening id of a screening URL, go into context variables that every log record of the
    request picks up (core.logging.ContextFilter) and that Celery tasks enqueued by the request inherit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = settings.REQUEST_ID_HEADER

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get(self.header, "")
        request_id = supplied if _ACCEPTABLE_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request_token = request_id_var.set(request_id)
        screening_token = screening_id_var.set("")
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[self.header] = request_id
            if request.path not in _QUIET_PATHS:
                logger.info(
                    "request finished",
                    extra={
                        "method": request.method,
                        # The route, not the path: paths can carry tokens (password reset) and query strings.
                        "route": _route(request),
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    },
                )
            return response
        finally:
            request_id_var.reset(request_token)
            screening_id_var.reset(screening_token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if "screening_id" in view_kwargs:
            screening_id_var.set(str(view_kwargs["screening_id"]))


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + match.route
    return "<unresolved>"


class PermissionsPolicyMiddleware:
    """Sends settings.PERMISSIONS_POLICY (Django has no setting of its own for this header)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


# The session key holding a signed-in person's language (accounts puts User.language there at login and when it
# changes), so choosing the language of a web request never reads the user row.
LANGUAGE_SESSION_KEY = "_language"


class LocaleMiddleware(DjangoLocaleMiddleware):
    """The language of a request: the signed-in person's own choice, else Django's order (the language cookie the
    switcher sets, then Accept-Language, then LANGUAGE_CODE).

    The API (/api/) goes straight to Django's order: an API client says its language with Accept-Language. Both
    are cheap: a request without a session cookie reads no session, and nothing here reads the database.
    """

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().__call__(request)
        finally:
            # The next code to run in this thread (a test, a task run in-process) starts from the default language
            # again instead of inheriting this request's.
            translation.deactivate()

    def process_request(self, request: HttpRequest) -> None:
        language = None
        if not request.path_info.startswith("/api/") and settings.SESSION_COOKIE_NAME in request.COOKIES:
            try:
                chosen = request.session.get(LANGUAGE_SESSION_KEY)
            except DATABASE_OUTAGE_ERRORS:
                # The request will answer 503 (core.errors); in the browser's language, at least.
                chosen = None
            if chosen and translation.check_for_language(chosen):
                language = translation.get_supported_language_variant(chosen)
        if language is None:
            language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()  # type: ignore[attr-defined]
