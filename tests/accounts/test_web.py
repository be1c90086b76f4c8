import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signing_up_makes_the_account_with_its_welcome_credits_and_sends_to_the_login(client, settings):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "Bo@Example.com",
            "display_name": "",
            "password1": "quiet-river-stone-7",
            "password2": "quiet-river-stone-7",
            "confirm_adult": "on",
            "accept_privacy": "on",
        },
        follow=True,
    )

    user = User.objects.get()
    assert user.email == "bo@example.com"
    assert user.wallet.available == settings.WELCOME_CREDITS
    # Not signed in: what a new address and a taken one answer must be the same (test_sign_up_taken_address.py).
    assert response.redirect_chain == [(reverse("accounts:login"), 302)]
    assert not response.context["user"].is_authenticated
    assert "If this address can be used, your account is ready: sign in." in response.content.decode()
    credentials = {"username": "bo@example.com", "password": "quiet-river-stone-7"}
    signed_in = client.post(reverse("accounts:login"), credentials)
    assert signed_in.status_code == 302
    assert client.get(reverse("billing:credits")).context["user"] == user


def test_signup_keeps_what_was_typed_and_says_what_is_wrong(client, member):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "MEMBER@example.com",
            "display_name": "Sam",
            "password1": "quiet-river-stone-7",
            "password2": "other",
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "email" not in form.errors  # never whether the address has an account
    assert form.errors["password2"] == ["The two passwords are not the same."]
    assert 'value="Sam"' in response.content.decode()
    assert User.objects.count() == 1


def test_login_accepts_the_email_in_any_case_and_logout_ends_the_session(client, member, password):
    response = client.post(reverse("accounts:login"), {"username": "Member@Example.com", "password": password})
    assert response.status_code == 302
    assert client.get(reverse("billing:credits")).status_code == 200

    client.post(reverse("accounts:logout"))
    assert client.get(reverse("billing:credits")).status_code == 302


def test_a_wrong_password_says_so_without_saying_which_part(client, member):
    response = client.post(reverse("accounts:login"), {"username": member.email, "password": "nope"})

    assert "That email and password do not match an account." in response.content.decode()


def test_password_change_and_reset(client, member, password):
    client.force_login(member)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "a-fresh-pass-phrase-5", "new_password2": "a-fresh-pass-phrase-5"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password("a-fresh-pass-phrase-5")

    client.logout()
    client.post(reverse("accounts:password_reset"), {"email": member.email})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/" in mail.outbox[0].body


def test_every_account_page_renders(client):
    for name in ["accounts:signup", "accounts:login", "accounts:password_reset", "home"]:
        assert client.get(reverse(name)).status_code == 200


def test_web_login_attempts_share_the_auth_rate_limit(client, member, monkeypatch):
    from accounts.views import WebAuthThrottle

    monkeypatch.setattr(WebAuthThrottle, "THROTTLE_RATES", {"auth": "3/min"})
    url = reverse("accounts:login")

    statuses = [client.post(url, {"username": member.email, "password": "guess"}).status_code for _ in range(4)]
    refused = client.post(url, {"username": member.email, "password": "guess"})

    assert statuses == [200, 200, 200, 429]
    assert "Too many attempts" in refused.content.decode()


def test_signup_refuses_a_password_too_similar_to_the_email(client):
    response = client.post(
        reverse("accounts:signup"),
        {"email": "rosalind.franklin@example.com", "password1": "rosalindfranklin", "password2": "rosalindfranklin"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"] == ["The password is too similar to the email address."]
    assert not User.objects.exists()
