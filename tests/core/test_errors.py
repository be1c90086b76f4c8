"""Error answers: a database outage is a 503 with Retry-After and a kind page, and 404/500 pages offer help."""

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.urls import path

from core.errors import RETRY_AFTER_SECONDS


def database_down(request):
    raise OperationalError("connection to server failed")


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("down/", database_down), path("broken/", broken), path("api/v1/down/", database_down)]
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"


@pytest.fixture
def raising_client(client):
    client.raise_request_exception = False
    return client


@override_settings(ROOT_URLCONF=__name__)
def test_a_database_outage_is_a_friendly_503_with_retry_after(raising_client):
    page = raising_client.get("/down/")
    api = raising_client.get("/api/v1/down/")

    assert page.status_code == 503
    assert page["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "Please try again in" in page.content.decode()
    assert "988" in page.content.decode()  # the help links, without the database
    assert api.status_code == 503
    assert api["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert api.json()["message"].startswith("The service is briefly unavailable")


@override_settings(ROOT_URLCONF=__name__)
def test_a_bug_is_a_kind_500_page_without_internals(raising_client):
    response = raising_client.get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "a bug" not in html
    assert "988" in html


@pytest.mark.django_db
def test_an_unknown_page_is_a_404_with_help_links_and_the_api_answers_in_its_own_shape(client):
    page = client.get("/no-such-page/")
    api = client.get("/api/v1/no-such-endpoint/")

    assert page.status_code == 404
    assert "We could not find that page" in page.content.decode()
    assert "988" in page.content.decode()
    assert api.status_code == 404
    assert api.json() == {"message": "Not found.", "extra": {}}
