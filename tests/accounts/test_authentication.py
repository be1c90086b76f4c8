"""API tokens are checked without reading the user row on every request, the user they give is whole, revocation
still works at once, and a refused token says whether it expired or is not valid."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework_simplejwt import tokens as simplejwt_tokens
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import authentication
from accounts.authentication import auth_state_key
from screening.services import screening_submit

pytestmark = pytest.mark.django_db
TOKEN = reverse("api-token")
ME = reverse("api-me")


@pytest.fixture
def bearer(api_client, member, password):
    tokens = api_client.post(TOKEN, {"email": member.email, "password": password}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    return api_client


def test_a_token_request_reads_no_user_row_once_the_state_is_cached(bearer, member, django_assert_num_queries):
    screening = screening_submit(user=member, model_key="logistic", answers={"age": 61, "sex": "male"}).screening
    url = reverse("api-screening-detail", args=[screening.id])
    assert bearer.get(url).status_code == 200  # reads the row once and caches what revocation needs

    with django_assert_num_queries(1):  # the screening, nothing else
        response = bearer.get(url)

    assert response.json()["id"] == str(screening.id)


def test_the_user_is_whole_and_reading_its_fields_costs_no_query(bearer, member, django_assert_num_queries):
    member.display_name = "Ana"
    member.country = "ES"
    member.save()
    bearer.get(ME)

    with django_assert_num_queries(1):  # the balance; every profile field comes with the signed-in user
        body = bearer.get(ME).json()

    assert (body["id"], body["email"], body["display_name"], body["country"]) == (member.id, member.email, "Ana", "ES")


def test_the_cache_keeps_no_password_hash(bearer, member):
    bearer.get(ME)

    assert member.password not in str(cache.get(auth_state_key(member.pk)))


def test_deleting_the_account_with_its_password_still_works_through_a_token(bearer, member, password):
    bearer.get(ME)  # the user now comes from the cache, its password hash read only when checked

    response = bearer.delete(ME, {"password": password}, format="json")

    assert response.status_code == 204


def test_a_password_change_refuses_earlier_tokens_even_with_the_state_cached(bearer, member):
    assert bearer.get(ME).status_code == 200
    assert cache.get(auth_state_key(member.pk)) is not None

    member.set_password("a-brand-new-pass-phrase-8")
    member.save()

    response = bearer.get(ME)
    assert response.status_code == 401


def test_a_deactivated_account_is_refused_at_once(bearer, member):
    assert bearer.get(ME).status_code == 200

    member.is_active = False
    member.save(update_fields=["is_active"])

    assert bearer.get(ME).status_code == 401


def test_an_erased_account_is_refused_at_once(bearer, member, password):
    assert bearer.get(ME).status_code == 200

    member.delete()

    assert bearer.get(ME).status_code == 401


def test_without_the_cache_the_row_is_read_and_revocation_still_holds(bearer, member, monkeypatch):
    def cache_down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", cache_down)
    monkeypatch.setattr(cache, "set", cache_down)
    monkeypatch.setattr(cache, "delete", cache_down)
    assert bearer.get(ME).status_code == 200

    member.set_password("a-brand-new-pass-phrase-8")
    member.save()

    assert bearer.get(ME).status_code == 401


# --- verified tokens kept per process ---------------------------------------------------------------------------


def _signed_in_for(api_client, member, seconds: int):
    token = AccessToken.for_user(member)
    token.set_exp(lifetime=timedelta(seconds=seconds))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


def test_a_kept_token_is_refused_once_it_expires(api_client, member, monkeypatch):
    client = _signed_in_for(api_client, member, seconds=60)
    assert client.get(ME).status_code == 200
    hits = authentication._verified_token.cache_info().hits
    assert client.get(ME).status_code == 200
    assert authentication._verified_token.cache_info().hits == hits + 1  # kept: the repeat skipped the signature

    later = aware_utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(authentication, "aware_utcnow", lambda: later)
    monkeypatch.setattr(simplejwt_tokens, "aware_utcnow", lambda: later)
    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["extra"] == {"code": "token_expired"}
    assert "expired" in response.json()["message"]


def test_a_token_that_expired_before_it_was_ever_seen_says_so(api_client, member):
    client = _signed_in_for(api_client, member, seconds=-5)

    response = client.get(ME)

    assert response.status_code == 401
    assert response.json()["extra"] == {"code": "token_expired"}


def test_the_expiry_message_is_translated(api_client, member):
    client = _signed_in_for(api_client, member, seconds=-5)

    response = client.get(ME, HTTP_ACCEPT_LANGUAGE="es")

    assert response.json()["extra"] == {"code": "token_expired"}
    assert "expired" not in response.json()["message"]


def test_no_token_and_a_garbled_token_are_told_apart(api_client):
    assert api_client.get(ME).json()["extra"] == {"code": "not_authenticated"}

    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get(ME)

    assert response.status_code == 401
    assert response.json()["extra"] == {"code": "token_invalid"}


def test_a_token_altered_after_the_genuine_one_was_kept_is_refused(api_client, member):
    client = _signed_in_for(api_client, member, seconds=300)
    assert client.get(ME).status_code == 200
    genuine = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    header, payload, signature = genuine.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get(ME).json()["extra"] == {"code": "token_invalid"}
    assert client.get(ME).status_code == 401  # a refusal is not kept as if it were a verified token
