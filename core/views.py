from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.selectors import help_resources_for_request

_DAY = 24 * 60 * 60


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"help_resources": help_resources_for_request(request)})


def privacy(request: HttpRequest) -> HttpResponse:
    """The privacy notice: who runs the site, what is kept and for how long, read from the settings that decide it."""
    context = {
        "help_resources": help_resources_for_request(request),
        "operator_name": settings.SITE_OPERATOR_NAME,
        "contact_email": settings.SITE_CONTACT_EMAIL,
        "session_days": settings.SESSION_COOKIE_AGE // _DAY,
        "refresh_days": settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"].days,
        "reset_days": settings.PASSWORD_RESET_TIMEOUT // _DAY,
    }
    return render(request, "core/privacy.html", context)
