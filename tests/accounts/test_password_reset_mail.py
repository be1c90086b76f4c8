"""The password-reset e-mail is sent by a task that retries while the mail server is down, then counts a failure.

The outside probe: with SMTP unreachable the page said "sent" and the mail was lost, with no retry and no trace.
"""

import logging
import re
from email import message_from_bytes

import pytest
from django.urls import reverse
from prometheus_client import REGISTRY

from accounts.tasks import RESET_RETRIES

pytestmark = pytest.mark.django_db


def emails(outcome: str) -> float:
    return REGISTRY.get_sample_value("mhc_account_emails_total", {"kind": "password_reset", "outcome": outcome}) or 0


def test_the_reset_mail_reaches_a_real_smtp_server_with_a_working_link(client, member, smtp_server):
    sent_before = emails("sent")

    response = client.post(reverse("accounts:password_reset"), {"email": member.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == [member.email]
    body = message_from_bytes(envelope.content).get_payload(decode=True).decode()
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", body).group(1)
    assert client.get(link).status_code == 302  # Django swaps the token for its session and asks for the password
    assert emails("sent") == sent_before + 1


def test_with_the_mail_server_down_the_send_is_retried_then_counted_and_logged_by_id(client, member, smtp_down, caplog):
    failed_before, retried_before = emails("failed"), emails("retried")

    with caplog.at_level(logging.INFO):
        response = client.post(reverse("accounts:password_reset"), {"email": member.email})

    assert response.status_code == 302  # the page says the same: it never tells whether an address has an account
    assert emails("retried") == retried_before + RESET_RETRIES
    assert emails("failed") == failed_before + 1
    [record] = [r for r in caplog.records if r.getMessage() == "password reset e-mail not sent"]
    assert record.user_id == member.pk
    assert member.email not in caplog.text


def test_an_address_without_an_account_gets_the_same_page_and_no_mail(client, smtp_server):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert smtp_server.envelopes == []
