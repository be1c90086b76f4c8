"""Error pages and answers that need neither the database nor the signed-in user, so they work in an outage.

A database that is down or unreachable (OperationalError, InterfaceError) anywhere in a request — a view, the
session or authentication middleware, the API — is answered 503 with Retry-After and a friendly page (JSON in the
API's error shape under /api/), never a 500 trace.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy

from core.selectors import help_resources_for

DATABASE_OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE_MESSAGE = gettext_lazy("The service is briefly unavailable. Please try again in a moment.")
SERVER_ERROR_MESSAGE = gettext_lazy("Something went wrong on our side. Please try again.")
NOT_FOUND_MESSAGE = gettext_lazy("Not found.")


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def render_error_page(template: str, status: int, **context) -> HttpResponse:
    # No request and so no context processors: nothing here may query the database or load the user.
    # The defaults in code for the language's country (the person's own is in the database, which may be down).
    help_resources = help_resources_for(use_database=False)
    html = loader.get_template(template).render({"help_resources": help_resources, **context})
    return HttpResponse(html, status=status)


def unavailable(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        response = JsonResponse({"message": UNAVAILABLE_MESSAGE, "extra": {}}, status=503)
    else:
        response = render_error_page("503.html", 503, retry_after=RETRY_AFTER_SECONDS)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: called inside the handler of the exception that escaped, so sys.exc_info() names it."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_OUTAGE_ERRORS):
        return unavailable(request)
    if is_api(request):
        return JsonResponse({"message": SERVER_ERROR_MESSAGE, "extra": {}}, status=500)
    return render_error_page("500.html", 500)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"message": NOT_FOUND_MESSAGE, "extra": {}}, status=404)
    return render_error_page("404.html", 404)
