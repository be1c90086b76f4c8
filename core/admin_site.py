"""The admin site: a password and a one-time code (django-otp), and the "auth" rate limit on its login form."""

from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite

from core.throttling import auth_rate_limited


class StaffAdminSite(OTPAdminSite):
    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return auth_rate_limited(super().login)(request, extra_context)
