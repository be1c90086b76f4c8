"""One error shape for the whole API: {"message": str, "extra": {...}}.

Validation errors put per-field messages under extra.fields, so a client can show each next to its input.
"""

import logging
import traceback
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, pagination, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import ValidationError, as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DATABASE_OUTAGE_ERRORS, RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE
from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)
VALIDATION_MESSAGE = gettext_lazy("Some of the values sent are not valid.")


def error_body(message: str | Promise, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"message": message, "extra": extra or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, exc.extra), status=exc.status_code, headers=exc.headers or None)
    if isinstance(exc, DATABASE_OUTAGE_ERRORS):
        # The database is down or unreachable: a temporary condition, not a bug; the client may retry.
        logger.warning("database unavailable", extra={"error_type": type(exc).__name__})
        return Response(error_body(UNAVAILABLE_MESSAGE), status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(
                _("The request body is too large (at most %(bytes)s bytes).")
                % {"bytes": formats.number_format(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, force_grouping=True)}
            ),
            status=413,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response(error_body(_("The request could not be read.")), status=400)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        # A bug, not a client error: log it for us, answer in the API's shape without internals.
        # Type and stack only: an exception's message can quote the data (a database error quotes the row).
        stack = "".join(traceback.format_tb(exc.__traceback__))
        logger.error("unhandled API error %s\n%s", type(exc).__name__, stack)
        return Response(error_body(_("Something went wrong on our side. Please try again.")), status=500)

    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = error_body(VALIDATION_MESSAGE, {"fields": fields})
    elif isinstance(exc, (exceptions.AuthenticationFailed, exceptions.NotAuthenticated)):
        # A 401 says why in a word a client can act on: token_expired (refresh it), token_invalid, not_authenticated…
        response.data = error_body(_detail_message(response.data), {"code": _error_code(exc)})
    else:
        response.data = error_body(_detail_message(response.data))
    return response


def _error_code(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):  # simplejwt's refusals carry {"detail": ..., "code": ...}
        detail = detail.get("code", detail.get("detail"))
    return str(getattr(detail, "code", None) or detail or exc.default_code)


def _detail_message(data: Any) -> str:
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    if isinstance(data, list) and data:
        return str(data[0])
    return _("The request could not be completed.")


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_parameter(*, max_length: int, description: str) -> OpenApiParameter:
    """The optional Idempotency-Key header of a submission, as the OpenAPI schema describes it."""
    return OpenApiParameter(
        IDEMPOTENCY_HEADER,
        location=OpenApiParameter.HEADER,
        required=False,
        type={"type": "string", "maxLength": max_length},
        description=description,
    )


def idempotency_key_from(request: Request, *, max_length: int) -> str:
    """The request's Idempotency-Key ('' when absent), refused with a field error when longer than `max_length`."""
    key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
    if len(key) > max_length:
        raise ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    ngettext("Use at most %(count)d character.", "Use at most %(count)d characters.", max_length)
                    % {"count": max_length}
                ]
            }
        )
    return key


def submitted_headers(*, location: str, created: bool) -> dict[str, str]:
    """Location of what a submission made, and Idempotent-Replayed when the key's earlier answer is replayed."""
    headers = {"Location": location}
    if not created:
        headers["Idempotent-Replayed"] = "true"
    return headers


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: DRF's CharField would turn 5 into "5", which the schema says is not
    a string."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false as JSON booleans only: DRF's BooleanField also takes "yes", 1 and "on"."""

    default_error_messages = {"invalid": gettext_lazy("Send true or false.")}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages numbered from 1. A page that is not a whole number of at least 1, or a page sent twice, is a 400
    naming `page` (DRF would serve page 1 for `?page=` and answer 404 for `?page=x`); a page past the end is 404."""

    def get_page_number(self, request: Any, paginator: Any) -> int:
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        page = values[0].lstrip("0")
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit() or not page:
            raise ValidationError({self.page_query_param: [_("Send the page as a whole number from 1, once.")]})
        if len(page) > 18:  # past any end, and int() refuses strings of thousands of digits
            raise exceptions.NotFound(self.invalid_page_message)
        return int(page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters
