"""Browser security headers: a strict Content-Security-Policy and a Permissions-Policy on every page."""

import re

import pytest
from csp.constants import NONE, SELF
from csp.utils import build_policy
from django.urls import reverse
from django.utils import timezone

from screening.models import Screening
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db

NONCE_VALUE = re.compile(r"'nonce-[^']+'")
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)


def test_pages_send_a_strict_csp_and_a_permissions_policy(client):
    response = client.get(reverse("home"))

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_no_page_needs_an_inline_style_or_script(client, member):
    done = ScreeningFactory(
        owner=member, status=Screening.Status.DONE, probability=0.31, risk_band="moderate", base_rate=0.087,
        model_version="v-test", finished_at=timezone.now(),
    )  # fmt: skip
    client.force_login(member)
    urls = [
        reverse("home"), reverse("screening:new"), reverse("screening:history"), reverse("billing:credits"),
        reverse("privacy:settings"), reverse("predictor:model-card"), reverse("screening:detail", args=[done.pk]),
        reverse("api-docs"),
    ]  # fmt: skip
    for url in urls:
        html = client.get(url).content.decode()
        assert not INLINE_STYLE.search(html), url
        assert not INLINE_SCRIPT.search(html), url


def test_the_policy_is_django_csps_and_follows_the_settings(client, settings):
    page, api = client.get(reverse("home")), client.get("/api/v1/models/")
    assert page["Content-Security-Policy"] == api["Content-Security-Policy"] == build_policy()
    assert "Content-Security-Policy-Report-Only" not in page

    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [NONE]}, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": [SELF]}}
    page, api = client.get(reverse("home")), client.get("/api/v1/models/")
    assert page["Content-Security-Policy"] == "default-src 'none'"
    assert "Content-Security-Policy" not in api  # an excluded prefix, as django-csp leaves it
    assert page["Content-Security-Policy-Report-Only"] == api["Content-Security-Policy-Report-Only"]
    assert page["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
