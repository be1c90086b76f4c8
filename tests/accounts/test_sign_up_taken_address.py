"""Sign-up answers the same for a new address and for one that has an account (issue 26).

The outside probe: the API answered 400 "already exists" and the web form said so beside the field, in any letter
case; the web also signed a new person in, which an existing address did not. Now both answer as for a new address,
nothing is created for a taken one, and its owner gets an e-mail instead (OWASP Authentication Cheat Sheet).
"""

import logging
from email import message_from_bytes

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.urls import reverse
from prometheus_client import REGISTRY

from accounts import services
from accounts.models import User
from accounts.services import user_sign_up
from accounts.tasks import SIGN_UP_RETRIES
from symptoms.models import SymptomCheck
from symptoms.services import symptom_check_score, symptom_check_seal
from symptoms.signals import UNSAVED_CHECK_SESSION_KEY
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = reverse("api-register")
NEW_PASSWORD = "correct-horse-battery-9"
API_MESSAGE = (
    "If this address can be used, the account is ready: sign in with it. We have sent an email to the address "
    "either way."
)
SAME_MESSAGE = "If this address can be used, your account is ready: sign in. We have sent you an email either way."


def register(client, email, **headers):
    body = {"email": email, "password": NEW_PASSWORD, "display_name": "Ana", "confirm_adult": True}
    return client.post(REGISTER, {**body, "accept_privacy": True}, format="json", **headers)


def sign_up(client, email, next_url=""):
    url = reverse("accounts:signup") + (f"?next={next_url}" if next_url else "")
    form = {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    return client.post(url, {**form, "display_name": "", "confirm_adult": "on", "accept_privacy": "on"})


def row_counts() -> dict[str, int]:
    """Every table's row count: accounts, wallets, ledger, checks, sessions, audit records, Django's own."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  (names from the database itself)
            counts[table] = cursor.fetchone()[0]
    return counts


def emails(kind: str, outcome: str) -> float | None:
    return REGISTRY.get_sample_value("mhc_account_emails_total", {"kind": kind, "outcome": outcome})


def text_of(envelope) -> tuple[str, str]:
    message = message_from_bytes(envelope.content)
    return str(message["Subject"]), message.get_payload(decode=True).decode()


# --- API ---------------------------------------------------------------------------------------------------------


def test_the_api_answers_a_taken_address_in_another_case_exactly_as_a_new_one(
    api_client, member, smtp_server, django_capture_on_commit_callbacks
):
    wallet_before = member.wallet.available
    with django_capture_on_commit_callbacks(execute=True):
        new = register(api_client, "ana@example.com")
    before = row_counts()

    with django_capture_on_commit_callbacks(execute=True):
        taken = register(api_client, "MEMBER@Example.COM")

    assert new.status_code == taken.status_code == 202
    assert new.json() == taken.json() == {"message": API_MESSAGE}
    assert new["Content-Type"] == taken["Content-Type"]
    assert row_counts() == before  # nothing created or changed for the taken address
    member.refresh_from_db()
    assert member.check_password(PASSWORD)  # the stranger's password did not replace the owner's
    assert member.wallet.available == wallet_before
    welcome, attempt = smtp_server.envelopes
    assert welcome.rcpt_tos == ["ana@example.com"]
    assert attempt.rcpt_tos == ["member@example.com"]
    subject, body = text_of(attempt)
    assert subject == "Someone tried to create an account with your address"
    assert "nothing was created" in body
    assert "http://testserver/accounts/login/" in body
    assert "http://testserver/accounts/password/reset/" in body
    assert "ignore this email" in body


def test_the_new_account_is_ready_to_sign_in_with_its_welcome_credits_and_a_welcome_email(
    api_client, settings, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(api_client, "Ana@Example.com")

    tokens = api_client.post(reverse("api-token"), {"email": "ana@example.com", "password": NEW_PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api_client.get(reverse("api-me")).json()
    assert (me["email"], me["display_name"]) == ("ana@example.com", "Ana")
    assert me["balance"] == {"available": settings.WELCOME_CREDITS, "held": 0}
    [welcome] = smtp_server.envelopes
    subject, body = text_of(welcome)
    assert welcome.rcpt_tos == ["ana@example.com"]
    assert subject == "Your Mental Health Checker account is ready"
    assert "http://testserver/accounts/login/" in body


def test_the_same_answer_in_each_language_and_the_owner_is_written_to_in_theirs(
    api_client, django_capture_on_commit_callbacks
):
    owner = UserFactory(email="rosa@example.com", language="es")
    with django_capture_on_commit_callbacks(execute=True):
        new = register(api_client, "ivan@example.com", HTTP_ACCEPT_LANGUAGE="ru")
        taken = register(api_client, "Rosa@example.com", HTTP_ACCEPT_LANGUAGE="ru")
    spanish = register(api_client, "lucia@example.com", HTTP_ACCEPT_LANGUAGE="es")

    assert new.json() == taken.json()
    assert new.json()["message"].startswith("Если")
    assert spanish.json()["message"].startswith("Si esta dirección")
    welcome, attempt = mail.outbox
    assert (welcome.to, welcome.subject) == (["ivan@example.com"], "Ваш аккаунт Mental Health Checker готов")
    assert (attempt.to, attempt.subject) == ([owner.email], "Alguien ha intentado crear una cuenta con su dirección")


def test_field_errors_that_do_not_depend_on_an_account_stay_400(api_client, member):
    weak = api_client.post(REGISTER, {"email": "MEMBER@example.com", "password": "123"}, format="json")

    assert weak.status_code == 400
    fields = weak.json()["extra"]["fields"]
    assert set(fields) == {"password", "confirm_adult", "accept_privacy"}  # nothing about the email
    assert mail.outbox == []


# --- Web ---------------------------------------------------------------------------------------------------------


def test_the_web_sign_up_answers_a_taken_address_exactly_as_a_new_one_and_signs_no_one_in(
    client, member, django_capture_on_commit_callbacks
):
    other_browser = type(client)()
    with django_capture_on_commit_callbacks(execute=True):
        new = sign_up(client, "bo@example.com", next_url="/symptoms/")
        taken = sign_up(other_browser, "Member@EXAMPLE.com", next_url="/symptoms/")

    assert new.status_code == taken.status_code == 302
    assert new["Location"] == taken["Location"] == "/accounts/login/?next=%2Fsymptoms%2F"
    for response in (new, taken):
        assert [str(m) for m in get_messages(response.wsgi_request)] == [SAME_MESSAGE]
    assert "_auth_user_id" not in client.session
    assert "_auth_user_id" not in other_browser.session
    assert User.objects.filter(email="bo@example.com").exists()
    assert User.objects.count() == 2
    welcome, attempt = mail.outbox
    assert welcome.to == ["bo@example.com"]
    assert attempt.to == ["member@example.com"]
    assert "Someone tried to create" in attempt.body


def test_the_sign_up_form_never_says_an_address_has_an_account(client, member):
    mistyped = client.post(
        reverse("accounts:signup"),
        {"email": "MEMBER@example.com", "password1": NEW_PASSWORD, "password2": "other", "display_name": "Sam"},
    )
    landed = client.get(sign_up(client, member.email)["Location"])

    assert set(mistyped.context["form"].errors) == {"password2", "confirm_adult", "accept_privacy"}
    assert "already exists" not in mistyped.content.decode()
    assert SAME_MESSAGE in landed.content.decode()
    assert "already exists" not in landed.content.decode()


def test_an_unsafe_next_is_dropped_on_both_paths(client, member):
    for email in ("new@example.com", member.email):
        response = sign_up(type(client)(), email, next_url="https://evil.example/")
        assert response["Location"] == "/accounts/login/"


# --- A visitor's kept check --------------------------------------------------------------------------------------


def a_waiting_check(client) -> str:
    answers = {f"phq9_{n}": "1" for n in range(1, 10)}
    sealed = client.post(reverse("symptoms:new", args=["phq9"]), answers).context["sealed_check"]
    client.post(reverse("symptoms:keep"), {"check": sealed})
    assert UNSAVED_CHECK_SESSION_KEY in client.session
    return sealed


def test_a_visitors_kept_check_never_joins_the_account_that_owns_the_address(client, member):
    a_waiting_check(client)

    sign_up(client, "MEMBER@example.com", next_url="/symptoms/")

    assert not SymptomCheck.objects.exists()
    # Dropped, as when a new account takes it: the session shows nothing that differs between the two paths.
    assert UNSAVED_CHECK_SESSION_KEY not in client.session
    client.post(reverse("accounts:login"), {"username": member.email, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    assert not SymptomCheck.objects.filter(owner=member).exists()


def test_the_service_drops_the_check_and_attaches_nothing_at_a_taken_address(member):
    sealed = symptom_check_seal(check=symptom_check_score(instrument_key="phq9", answers=_answers()))
    session = SessionStub({UNSAVED_CHECK_SESSION_KEY: sealed})

    user_sign_up(email="Member@Example.com", password=NEW_PASSWORD, session=session, domain="x", use_https=True)

    assert not SymptomCheck.objects.exists()
    assert session == {"_expiry": None}


def _answers() -> dict[str, int]:
    return {f"phq9_{n}": 1 for n in range(1, 10)}


class SessionStub(dict):
    def set_expiry(self, value):
        self["_expiry"] = value


# --- The same work on both paths, and the race -------------------------------------------------------------------


@pytest.fixture
def hashes(monkeypatch):
    """How many times the password hasher ran (the test settings' hasher: MD5, for speed)."""
    calls = []
    original = MD5PasswordHasher.encode

    def counted(self, password, salt):
        calls.append(password)
        return original(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counted)
    return calls


def test_both_api_paths_hash_the_submitted_password_once(api_client, member, hashes):
    register(api_client, "ana@example.com")
    assert hashes == [NEW_PASSWORD]

    register(api_client, "MEMBER@example.com")
    assert hashes == [NEW_PASSWORD, NEW_PASSWORD]


def test_both_web_paths_hash_the_submitted_password_once(client, member, hashes):
    sign_up(client, "bo@example.com")
    sign_up(client, member.email.upper())

    assert hashes == [NEW_PASSWORD, NEW_PASSWORD]


def test_two_sign_ups_at_once_with_one_address_give_one_account_and_the_loser_an_email(
    monkeypatch, django_capture_on_commit_callbacks
):
    real_register = services.user_register

    def the_other_commits_first(**kwargs):
        UserFactory(email="ana@example.com")
        return real_register(**kwargs)

    monkeypatch.setattr(services, "user_register", the_other_commits_first)
    with django_capture_on_commit_callbacks(execute=True):
        user_sign_up(email="ANA@example.com", password=NEW_PASSWORD, domain="testserver", use_https=False)

    assert User.objects.filter(email="ana@example.com").count() == 1
    [attempt] = mail.outbox
    assert attempt.to == ["ana@example.com"]
    assert attempt.subject == "Someone tried to create an account with your address"


# --- The e-mails are sent by a retried, counted task -------------------------------------------------------------


def test_both_kinds_are_counted_from_zero():
    for kind in ("welcome", "signup_existing"):
        for outcome in ("sent", "retried", "failed"):
            assert emails(kind, outcome) is not None


def test_with_the_mail_server_down_the_owners_email_is_retried_then_counted_and_logged_by_id(
    api_client, member, smtp_down, caplog, django_capture_on_commit_callbacks
):
    failed, retried = emails("signup_existing", "failed"), emails("signup_existing", "retried")

    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        response = register(api_client, member.email)

    assert response.status_code == 202
    assert emails("signup_existing", "retried") == retried + SIGN_UP_RETRIES
    assert emails("signup_existing", "failed") == failed + 1
    [record] = [r for r in caplog.records if r.getMessage() == "signup existing e-mail not sent"]
    assert record.user_id == member.pk
    assert member.email not in caplog.text


def test_with_the_broker_down_the_sign_up_still_answers_and_the_lost_email_is_counted(
    api_client, member, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from accounts.tasks import send_sign_up_email

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(send_sign_up_email, "delay", broker_down)
    failed_new, failed_taken = emails("welcome", "failed"), emails("signup_existing", "failed")

    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        new = register(api_client, "ana@example.com")
        taken = register(api_client, member.email)

    assert new.status_code == taken.status_code == 202
    assert User.objects.filter(email="ana@example.com").exists()
    assert emails("welcome", "failed") == failed_new + 1
    assert emails("signup_existing", "failed") == failed_taken + 1
    assert [r.user_id for r in caplog.records if r.getMessage() == "account e-mail not queued"] == [
        User.objects.get(email="ana@example.com").pk,
        member.pk,
    ]
