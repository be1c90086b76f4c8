"""The OpenAPI schema is the contract: every status an operation can answer is in it, with the API's one error shape.

`AutoSchema` (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS) adds to each operation the error responses that the
request path around its view can produce, read from the operation drf-spectacular built (its body, parameters and
security) and from the view (authentication, throttles):

| status | when | where it comes from |
| --- | --- | --- |
| 400 | a body or parameter that is not valid (per field under `extra.fields`), unreadable JSON | serializers, parsers |
| 401 | no credentials, an expired or a bad token (`extra.code`) | authentication, on every non-public operation |
| 403 | a signed-in browser session without its CSRF token, on a change | SessionAuthentication |
| 404 | no such object of yours, or no such page | selectors, pagination |
| 406 | an Accept header for a format the API does not answer in | content negotiation |
| 413 | a body over DATA_UPLOAD_MAX_MEMORY_SIZE | core.api |
| 415 | a body that is not JSON | parsers |
| 429 | over a rate limit (with Retry-After) | throttles |
| 503 | the database briefly unreachable (with Retry-After); not on `database_free` views | core.api, core.errors |

A view declares the statuses of its own rules (402, 409, its 401 for a bad token) with `extend_schema(responses=...)`;
those are kept as they are. 405 belongs to no operation: it answers the methods a path does not have, with Allow.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication

from core.errors import RETRY_AFTER_SECONDS

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, in plain words.")
    extra = serializers.DictField(help_text="Details; empty for most errors.")


class FieldErrorsSerializer(serializers.Serializer):
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field (per question for answers): field name -> messages.",
    )


class ValidationErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, in plain words.")
    extra = FieldErrorsSerializer(help_text="`fields` when values were refused; empty when the body could not be read.")


class AuthenticationErrorExtraSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Why the request was refused: `not_authenticated` (no credentials), `token_expired` (get a new "
        "access token with the refresh token), `token_invalid` (not a token this site issued), `password_changed`, "
        "`user_inactive`, `user_not_found` or `bad_authorization_header`."
    )


class AuthenticationErrorSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What went wrong, in plain words.")
    extra = AuthenticationErrorExtraSerializer()


RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}}


def _response(serializer: type[serializers.Serializer], description: str) -> OpenApiResponse:
    return OpenApiResponse(response=serializer(), description=description)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, extended through its public methods only (get_operation, resolve_serializer,
    map_renderers, get_request_serializer)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        if "requestBody" in operation and isinstance(self.get_request_serializer(), PolymorphicProxySerializer):
            # A body that is one of several shapes (oneOf) is as required as each of them: drf-spectacular only
            # looks for a `required` list on the component itself.
            operation["requestBody"]["required"] = True
        if self.method == "DELETE" and "requestBody" not in operation:
            # drf-spectacular documents no body on a DELETE; one that declares a request serializer needs one
            # (DELETE /me/ asks for the password again), and it is required.
            serializer = self.get_request_serializer()
            if serializer is not None:
                component = self.resolve_serializer(serializer, "request")
                operation["requestBody"] = {
                    "content": {media_type: {"schema": component.ref} for media_type in self.map_parsers()},
                    "required": True,
                }
        responses = operation["responses"]
        for code, response, headers in self._error_responses(operation):
            if code not in responses:
                responses[code] = self._error_response(response, headers)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_response(self, response: OpenApiResponse, headers: dict[str, Any]) -> dict[str, Any]:
        # Errors are rendered by the renderer the request negotiated: JSON, or a JSON type of the view's own.
        schema = self.resolve_serializer(response.response, "response").ref
        body = {
            "content": {media_type: {"schema": schema} for media_type in self.map_renderers("media_type")},
            "description": response.description,
        }
        return {"headers": headers, **body} if headers else body

    def _error_responses(self, operation: dict[str, Any]):
        parameters = operation.get("parameters", [])
        has_body = "requestBody" in operation
        public = any(requirement == {} for requirement in operation.get("security", [{}]))
        has_path_id = any(parameter["in"] == "path" for parameter in parameters)
        paginated = any(parameter["in"] == "query" and parameter["name"] == "page" for parameter in parameters)
        if has_body or any(parameter["in"] in ("query", "header") for parameter in parameters):
            yield "400", _response(ValidationErrorSerializer, "A value is not valid (named under extra.fields)"), {}
        if not public:
            yield (
                "401",
                _response(
                    AuthenticationErrorSerializer, "No credentials, or an access token that expired or is not valid"
                ),
                {},
            )
            if self.method in UNSAFE_METHODS and any(
                isinstance(authenticator, SessionAuthentication) for authenticator in self.view.get_authenticators()
            ):
                yield "403", _response(ErrorSerializer, "A signed-in browser session sent no CSRF token"), {}
        if has_path_id:
            yield "404", _response(ErrorSerializer, "No such object of yours (someone else's is a 404 too)"), {}
        elif paginated:
            yield "404", _response(ErrorSerializer, "No such page"), {}
        yield "406", _response(ErrorSerializer, "The Accept header asks for a format this operation does not send"), {}
        if has_body:
            yield "413", _response(ErrorSerializer, "The body is too large"), {}
            yield "415", _response(ErrorSerializer, "The body is not JSON"), {}
        if self.view.get_throttles():
            yield "429", _response(ErrorSerializer, "Too many attempts; try again after Retry-After"), RETRY_AFTER
        if getattr(self.view, "database_free", False):
            return
        yield (
            "503",
            _response(ErrorSerializer, f"Briefly unavailable; try again after Retry-After ({RETRY_AFTER_SECONDS} s)"),
            RETRY_AFTER,
        )
