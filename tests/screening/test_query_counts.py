"""The statements each hot endpoint may run, pinned so a change that adds round trips is seen in review.

Counts, never times (benchmarks/e2e.py measures those). Savepoints count: the test wraps each test in a
transaction, so a service's transaction shows as SAVEPOINT / RELEASE here and as BEGIN / COMMIT in production.
"""

import pytest
from django.urls import reverse

from screening.models import Screening
from tests.screening.test_views import form_data

pytestmark = pytest.mark.django_db
SUBMIT = reverse("api-screening-list")


@pytest.fixture
def bearer(api_client, member, password):
    tokens = api_client.post(reverse("api-token"), {"email": member.email, "password": password}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    api_client.get(reverse("api-me"))  # the sign-in state is cached from here on, as on a running site
    return api_client


def test_an_api_submission(bearer, answers, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    # savepoint · insert the screening · the hold: lock the wallet, update it, append the ledger row · release savepoint
    with (
        django_assert_max_num_queries(6),
        django_capture_on_commit_callbacks(execute=False),
    ):
        response = bearer.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json")

    assert response.status_code == 202


def test_an_api_poll(bearer, member, answers, django_assert_max_num_queries):
    screening = Screening.objects.create(owner=member, model_key="logistic", answers=answers, cost=1)

    with django_assert_max_num_queries(1):
        response = bearer.get(reverse("api-screening-detail", args=[screening.id]))

    assert response.status_code == 200


def test_the_web_form_submission(
    client, member, answers, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client.force_login(member)

    # session · user · balance for the form · the submission (6) · scored in the request: the lease (1, once per
    # connection), the claim (1), the settle with its capture (7) · the units remembered (1) · the message saved in
    # the session (2)
    with (
        django_assert_max_num_queries(19),
        django_capture_on_commit_callbacks(execute=False),
    ):
        response = client.post(reverse("screening:new"), form_data(answers))

    assert response.status_code == 302
    assert Screening.objects.get().status == Screening.Status.DONE


def test_an_api_submission_that_waits(bearer, answers, django_assert_max_num_queries):
    # the submission (6) · scored in the request: the lease (1, once per connection), the claim (1), the settle with
    # its capture (7) — and nothing read again for the answer: the settled screening is the body
    with django_assert_max_num_queries(15):
        response = bearer.post(SUBMIT, {"model": "logistic", "answers": answers}, format="json", HTTP_PREFER="wait=5")

    assert response.status_code == 200
    assert response.json()["status"] == "done"
    assert response["Preference-Applied"] == "wait=5"


def test_the_result_page_status_partial(client, member, answers, django_assert_max_num_queries):
    client.force_login(member)
    screening = Screening.objects.create(owner=member, model_key="logistic", answers=answers, cost=1)

    # session · user · the screening (help resources come with a finished result only)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("screening:status", args=[screening.id]))

    assert response.status_code == 200


def test_the_profile(bearer, member, django_assert_max_num_queries):
    # the profile's fields · the balance (not one query per field of a signed-in user loaded from its token)
    with django_assert_max_num_queries(2):
        response = bearer.get(reverse("api-me"))

    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["display_name"], body["country"]) == (
        member.id,
        member.email,
        member.display_name,
        member.country,
    )
    assert body["date_joined"]
    assert set(body["balance"]) == {"available", "held"}
