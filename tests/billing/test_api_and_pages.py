import pytest
from django.urls import reverse

from billing.services import wallet_hold
from tests.factories import ScreeningFactory

pytestmark = pytest.mark.django_db


def test_balance_shows_available_and_held(member_api, member):
    wallet_hold(user=member, amount=3, screening_id=ScreeningFactory(owner=member, cost=3).id)

    assert member_api.get(reverse("api-billing-balance")).json() == {"available": 7, "held": 3}


def test_the_ledger_is_paginated_newest_first_with_its_screening(member_api, member):
    screening = ScreeningFactory(owner=member, cost=3)
    wallet_hold(user=member, amount=3, screening_id=screening.id)

    body = member_api.get(reverse("api-billing-ledger")).json()

    assert body["count"] == 2
    newest, oldest = body["results"]
    assert (newest["kind"], newest["amount"], newest["available_after"], newest["held_after"]) == ("hold", -3, 7, 3)
    assert newest["screening_id"] == str(screening.id)
    assert "set aside" in newest["description"]
    assert (oldest["kind"], oldest["amount"], oldest["screening_id"]) == ("grant", 10, None)


def test_the_ledger_shows_only_the_callers_entries(member_api, outsider):
    body = member_api.get(reverse("api-billing-ledger")).json()

    assert body["count"] == 1


def test_the_credits_page_shows_balance_and_ledger(client, member):
    client.force_login(member)

    page = client.get(reverse("billing:credits")).content.decode()

    assert "Welcome credits" in page
    assert ">10<" in page


def test_the_credits_page_needs_a_login(client):
    response = client.get(reverse("billing:credits"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
