"""API tokens are checked without reading the user row, and revocation still works at once."""

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


def test_the_user_fields_a_view_needs_are_still_there(bearer, member):
    bearer.get(ME)

    body = bearer.get(ME).json()

    assert body["email"] == member.email
    assert body["id"] == member.id


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
    assert response.json()["message"] == "Given token not valid for any token type"  # simplejwt's own refusal


def test_a_token_altered_after_the_genuine_one_was_kept_is_refused(api_client, member):
    client = _signed_in_for(api_client, member, seconds=300)
    assert client.get(ME).status_code == 200
    genuine = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    header, payload, signature = genuine.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")])

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get(ME).status_code == 401
    assert client.get(ME).status_code == 401  # a refusal is not kept as if it were a verified token
