"""The PHQ-9 and GAD-7 without an account (issue 27, item 3): scored at once with the same safety path, nothing
stored in plain text anywhere, kept only by signing up (then the new account's first check, once, in the same
transaction), rate-limited per client. Service first, then the web pages."""

import json
import logging
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from accounts.models import User
from accounts.services import user_register, user_registered
from core.fields import health_data_fernet
from symptoms.instruments import PHQ9
from symptoms.models import SymptomCheck
from symptoms.services import (
    UNSAVED_CHECK_MAX_AGE_SECONDS,
    symptom_check_keep,
    symptom_check_score,
    symptom_check_seal,
    symptom_check_unseal,
)
from symptoms.signals import UNSAVED_CHECK_SESSION_KEY
from symptoms.throttling import VisitorCheckThrottle
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

# Item 9 ("thoughts that you would be better off dead, or of hurting yourself") at 2; total 7.
SAFETY_ANSWERS = {item.key: 0 for item in PHQ9.items} | {"phq9_1": 2, "phq9_2": 3, "phq9_9": 2}


def row_counts() -> dict[str, int]:
    """Every table's row count: the app tables (accounts, wallets and ledger, screenings, symptom checks, audit
    records, staff looks) and Django's own, sessions included. Taking a check without an account writes none."""
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608  (names from the database itself)
            counts[table] = cursor.fetchone()[0]
    return counts


def sign_up(client, email="new@example.com", **query):
    url = reverse("accounts:signup") + (f"?next={query['next']}" if "next" in query else "")
    return client.post(
        url,
        {
            "email": email,
            "display_name": "",
            "password1": "quiet-river-stone-7",
            "password2": "quiet-river-stone-7",
            "country": "US",
            "confirm_adult": "on",
            "accept_privacy": "on",
        },
    )


# --- Services ----------------------------------------------------------------------------------------------------


def test_a_check_without_an_account_is_scored_like_any_other_and_stores_nothing():
    before = row_counts()

    check = symptom_check_score(instrument_key="phq9", answers=SAFETY_ANSWERS)

    assert (check.total, check.band, check.safety_flag) == (7, "mild", True)
    assert check.owner_id is None
    assert check._state.adding
    assert row_counts() == before


def test_a_sealed_check_holds_no_answer_in_plain_text_and_opens_within_the_hour():
    check = symptom_check_score(instrument_key="phq9", answers=SAFETY_ANSWERS)

    sealed = symptom_check_seal(check=check)

    assert "phq9" not in sealed
    assert '"2"' not in sealed
    assert symptom_check_unseal(sealed=sealed) == {"instrument": "phq9", "answers": check.answers}


def test_a_sealed_check_older_than_an_hour_or_altered_is_refused():
    payload = json.dumps({"instrument": "phq9", "answers": SAFETY_ANSWERS}).encode()
    old = health_data_fernet().encrypt_at_time(payload, int(time.time()) - UNSAVED_CHECK_MAX_AGE_SECONDS - 1)
    fresh = symptom_check_seal(check=symptom_check_score(instrument_key="phq9", answers=SAFETY_ANSWERS))

    assert symptom_check_unseal(sealed=old.decode()) is None
    assert symptom_check_unseal(sealed=fresh[:-4] + "AAAA") is None
    assert symptom_check_unseal(sealed="not a sealed check") is None


def test_signing_up_keeps_the_waiting_check_as_the_first_one_once(django_capture_on_commit_callbacks):
    session = {
        UNSAVED_CHECK_SESSION_KEY: symptom_check_seal(
            check=symptom_check_score(instrument_key="phq9", answers=SAFETY_ANSWERS)
        )
    }
    session = SessionStub(session)

    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(email="new@example.com", password=PASSWORD, session=session)

    kept = SymptomCheck.objects.get(owner=user)
    assert (kept.instrument, kept.total, kept.safety_flag) == ("phq9", 7, True)
    assert UNSAVED_CHECK_SESSION_KEY not in session  # gone from the session once the account is committed
    assert symptom_check_keep(user=user, sealed=session.forgotten).created is False  # the same one, not a second
    assert SymptomCheck.objects.filter(owner=user).count() == 1


def test_the_account_and_its_first_check_are_stored_together_or_not_at_all():
    session = SessionStub(
        {
            UNSAVED_CHECK_SESSION_KEY: symptom_check_seal(
                check=symptom_check_score(instrument_key="phq9", answers=SAFETY_ANSWERS)
            )
        }
    )

    def a_later_receiver_fails(sender, **kwargs):
        raise RuntimeError("the sign-up fails after the check was kept")

    user_registered.connect(a_later_receiver_fails, dispatch_uid="test-fails")
    try:
        with pytest.raises(RuntimeError):
            user_register(email="new@example.com", password=PASSWORD, session=session)
    finally:
        user_registered.disconnect(dispatch_uid="test-fails")

    assert not User.objects.filter(email="new@example.com").exists()
    assert not SymptomCheck.objects.exists()
    assert UNSAVED_CHECK_SESSION_KEY in session  # still waiting: the sign-up can be tried again


def test_an_expired_check_is_not_kept_and_the_sign_up_goes_through(django_capture_on_commit_callbacks):
    payload = json.dumps({"instrument": "phq9", "answers": SAFETY_ANSWERS}).encode()
    old = health_data_fernet().encrypt_at_time(payload, int(time.time()) - UNSAVED_CHECK_MAX_AGE_SECONDS - 1)
    session = SessionStub({UNSAVED_CHECK_SESSION_KEY: old.decode()})

    with django_capture_on_commit_callbacks(execute=True):
        user = user_register(email="new@example.com", password=PASSWORD, session=session)

    assert not SymptomCheck.objects.filter(owner=user).exists()
    assert UNSAVED_CHECK_SESSION_KEY not in session


class SessionStub(dict):
    """What the receiver uses of a session: get, pop and set_expiry."""

    forgotten = ""

    def pop(self, key, default=None):
        self.forgotten = self.get(key, "")
        return super().pop(key, default)

    def set_expiry(self, value):
        self["_expiry"] = value


# --- Web ---------------------------------------------------------------------------------------------------------


def answer(client, instrument="phq9", answers=SAFETY_ANSWERS, **headers):
    data = {key: str(value) for key, value in answers.items()}
    return client.post(reverse("symptoms:new", args=[instrument]), data, **headers)


def test_a_visitor_sees_the_questionnaires_without_signing_up(client):
    index = client.get(reverse("symptoms:index"))
    form = client.get(reverse("symptoms:new", args=["phq9"]))

    assert index.status_code == form.status_code == 200
    assert "No account needed" in index.content.decode()
    assert 'name="phq9_9"' in form.content.decode()
    assert "No account needed" in form.content.decode()


def test_a_phq9_taken_logged_out_shows_its_score_and_the_safety_path_and_stores_nothing(client, caplog):
    before = row_counts()

    with caplog.at_level(logging.DEBUG):
        response = answer(client)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="big-number">7</span>' in html
    # The safety path, exactly as for a member: the calm message and a crisis line before the score.
    assert html.index('id="safety"') < html.index('href="tel:') < html.index('id="score"')
    assert 'id="keep"' in html
    assert row_counts() == before  # every table, the session table included
    assert "sessionid" not in response.cookies
    for record in caplog.records:
        logged = json.dumps(record.__dict__, default=str)
        assert "phq9_9" not in logged
        assert "mild" not in logged
        assert '"total"' not in logged


def cached_bytes() -> list[bytes]:
    """Every value the default cache holds, as stored (pickled): local memory's dict, or the Redis database."""
    backend = cache._cache
    if isinstance(backend, dict):
        return [bytes(value) for value in backend.values()]
    client = backend.get_client()
    return [client.get(key) or b"" for key in client.scan_iter()]


def test_nothing_about_the_answers_reaches_the_cache(client):
    answer(client)
    client.post(reverse("symptoms:keep"), {"check": "whatever"})

    held = cached_bytes()
    assert held  # the rate limit's counter is there: the scan sees what the cache holds
    assert not any(b"phq9" in value or b"mild" in value for value in held)


def test_a_visitor_gets_the_questionnaire_and_its_result_in_their_language(client):
    form = client.get(reverse("symptoms:new", args=["phq9"]), HTTP_ACCEPT_LANGUAGE="es")
    result = answer(client, HTTP_ACCEPT_LANGUAGE="es")

    assert '<html lang="es"' in form.content.decode()
    assert "No hace falta una cuenta" in form.content.decode()
    assert '<html lang="es"' in result.content.decode()
    assert 'id="safety"' in result.content.decode()


def test_a_missing_answer_is_shown_beside_its_question_without_an_account(client):
    answers = {k: v for k, v in SAFETY_ANSWERS.items() if k != "phq9_4"}

    response = answer(client, answers=answers)

    assert response.status_code == 200
    assert "Please answer question 4." in response.content.decode()


@pytest.mark.django_db(transaction=True)  # real commits: the waiting check leaves the session once the sign-up commits
def test_keeping_it_and_signing_up_makes_it_the_new_accounts_first_check(client):
    result = answer(client)
    sealed = result.context["sealed_check"]

    kept = client.post(reverse("symptoms:keep"), {"check": sealed})

    assert kept.status_code == 302
    assert kept["Location"].startswith(reverse("accounts:signup") + "?next=")
    waiting = Session.objects.get().get_decoded()
    assert waiting[UNSAVED_CHECK_SESSION_KEY] == sealed
    raw = Session.objects.get().session_data
    assert "phq9" not in raw
    assert "phq9" not in json.dumps(waiting)

    signed_up = sign_up(client, next=reverse("symptoms:index"))

    # To the login page, as for an address that has an account (which never gets the check:
    # tests/accounts/test_sign_up_taken_address.py), and from there back where the visitor was.
    assert signed_up.status_code == 302
    assert signed_up["Location"] == f"{reverse('accounts:login')}?next=%2Fsymptoms%2F"
    user = User.objects.get(email="new@example.com")
    first = SymptomCheck.objects.get(owner=user)
    assert (first.total, first.safety_flag) == (7, True)
    assert UNSAVED_CHECK_SESSION_KEY not in client.session
    logged_in = client.post(
        signed_up["Location"], {"username": "new@example.com", "password": "quiet-river-stone-7", "next": "/symptoms/"}
    )
    assert logged_in["Location"] == reverse("symptoms:index")
    page = client.get(reverse("symptoms:index")).content.decode()
    assert reverse("symptoms:detail", args=[first.id]) in page
    assert UNSAVED_CHECK_SESSION_KEY not in client.session
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE  # a signed-in session's usual length


def test_without_keeping_it_a_sign_up_starts_with_no_check(client):
    answer(client)

    sign_up(client)

    assert not SymptomCheck.objects.exists()


def test_an_hour_old_result_cannot_be_kept(client):
    payload = json.dumps({"instrument": "phq9", "answers": SAFETY_ANSWERS}).encode()
    old = health_data_fernet().encrypt_at_time(payload, int(time.time()) - UNSAVED_CHECK_MAX_AGE_SECONDS - 1)

    response = client.post(reverse("symptoms:keep"), {"check": old.decode()}, follow=True)

    assert "more than an hour old" in response.content.decode()
    assert not Session.objects.exists()


def test_checks_without_an_account_are_rate_limited_per_client_with_help_on_the_page(client, monkeypatch):
    monkeypatch.setattr(VisitorCheckThrottle, "THROTTLE_RATES", {"symptoms_visitor": "2/hour"})

    assert answer(client).status_code == 200
    assert answer(client).status_code == 200
    refused = answer(client)
    other_client = answer(client, REMOTE_ADDR="203.0.113.9")

    html = refused.content.decode()
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Please wait a little" in html
    assert 'href="tel:' in html  # help is never behind the limit
    assert "big-number" not in html
    assert other_client.status_code == 200


def test_the_api_still_needs_an_account(api_client):
    response = api_client.post(
        reverse("api-symptom-check-list"), {"instrument": "phq9", "answers": SAFETY_ANSWERS}, format="json"
    )

    assert response.status_code == 401
    assert not SymptomCheck.objects.exists()


def test_a_member_still_stores_their_check_as_before(client, member):
    client.force_login(member)

    response = answer(client)

    assert response.status_code == 302
    assert SymptomCheck.objects.filter(owner=member).count() == 1


def test_a_gad7_taken_logged_out_is_scored_the_same_way(client):
    from symptoms.instruments import GAD7

    before = row_counts()

    response = answer(client, "gad7", {item.key: 2 for item in GAD7.items})

    assert response.status_code == 200
    assert '<span class="big-number">14</span>' in response.content.decode()
    assert 'id="safety"' not in response.content.decode()  # the GAD-7 has no self-harm item
    assert row_counts() == before


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "without an account"), ("es", "sin una cuenta"), ("ru", "без аккаунта")],
)
def test_the_privacy_notice_says_what_happens_to_a_check_without_an_account(client, language, words):
    html = client.get(reverse("privacy"), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    section = html[html.index('id="without-an-account"') :]
    assert words in section[: section.index("</section>")]


def test_logging_in_to_an_existing_account_drops_the_waiting_check(client, member):
    sealed = answer(client).context["sealed_check"]
    client.post(reverse("symptoms:keep"), {"check": sealed})

    client.post(reverse("accounts:login"), {"username": member.email, "password": PASSWORD})

    assert "_auth_user_id" in client.session
    assert UNSAVED_CHECK_SESSION_KEY not in client.session
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not SymptomCheck.objects.exists()
