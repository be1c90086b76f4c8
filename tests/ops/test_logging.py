"""Structured logs carry request and screening ids, and never a questionnaire answer or a result."""

import json
import logging

import pytest
from django.urls import reverse

from core.logging import ContextFilter, JsonFormatter, ReadableFormatter, RedactFilter, request_id_var

# Answers chosen to be unmistakable in a log: no id, timestamp or duration looks like them.
DISTINCTIVE_ANSWERS = {
    "age": 47,
    "sex": "female",
    "household_size": 3,
    "annual_household_income": 48213,
    "sleep_hours": 6.75,
    "height_cm": 171.3,
    "weight_kg": 68.9,
    "alcohol_drinks_per_day": 2,
    "smoking": "former",
    "conditions": ["thyroid_condition"],
    "general_health": "fair",
}
DISTINCTIVE_VALUES = ("48213", "6.75", "171.3", "68.9", "thyroid_condition", "annual_household_income")


def render(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    ContextFilter().filter(record)
    RedactFilter().filter(record)
    return formatter.format(record)


def make_record(message: str, **extra) -> logging.LogRecord:
    record = logging.LogRecord("screening.services", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_the_request_and_screening_ids_and_the_extras():
    token = request_id_var.set("req-0123456789")
    try:
        line = render(make_record("screening submitted", screening_id="abc-123", model="forest"), JsonFormatter())
    finally:
        request_id_var.reset(token)

    entry = json.loads(line)
    assert entry["message"] == "screening submitted"
    assert entry["request_id"] == "req-0123456789"
    assert entry["screening_id"] == "abc-123"
    assert entry["model"] == "forest"
    assert entry["level"] == "INFO"


def test_answers_or_results_passed_by_mistake_are_redacted_in_both_formats():
    for formatter in (JsonFormatter(), ReadableFormatter()):
        record = make_record("oops", answers=DISTINCTIVE_ANSWERS, probability=0.123456789, risk_band="high")
        line = render(record, formatter)

        assert "48213" not in line
        assert "0.123456789" not in line
        assert "[redacted]" in line


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz")

    assert len(response["X-Request-ID"]) == 32


def test_a_sane_request_id_from_the_proxy_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/healthz", HTTP_X_REQUEST_ID="edge-5f2c9a1b")
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")

    assert kept["X-Request-ID"] == "edge-5f2c9a1b"
    assert replaced["X-Request-ID"] != "x\nFAKE LOG LINE"
    assert len(replaced["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_a_request_logs_one_line_with_its_route_and_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="mhc.request"):
        response = client.get("/", HTTP_X_REQUEST_ID="edge-0000aaaa")

    (record,) = [r for r in caplog.records if r.name == "mhc.request"]
    assert record.status == response.status_code
    assert record.route == "/"
    assert render(record, JsonFormatter()).count("edge-0000aaaa") == 1


@pytest.mark.django_db(transaction=True)
def test_the_logs_of_a_whole_screening_hold_ids_but_no_answers_or_results(member_api, caplog):
    """Submit through the API, score (in-process here; a real worker in the ops proof), read the result, and
    grep everything every logger wrote, formatted as production writes it."""
    caplog.set_level(logging.DEBUG)

    submitted = member_api.post(
        reverse("api-screening-list"), {"model": "logistic", "answers": DISTINCTIVE_ANSWERS}, format="json"
    )
    assert submitted.status_code == 202, submitted.json()
    result = member_api.get(submitted.json()["url"]).json()
    assert result["status"] == "done", result
    member_api.get(reverse("api-screening-list"))

    probability = result["result"]["probability"]
    lines = [render(record, JsonFormatter()) for record in caplog.records]
    text = "\n".join(lines)
    assert any(submitted.json()["id"] in line and "screening submitted" in line for line in lines)
    # The task ran inside the request (no broker here): the request's own closing line still has its id.
    finished = [json.loads(line) for line in lines if '"request finished"' in line]
    assert finished
    assert all(entry["request_id"] for entry in finished)
    for value in (*DISTINCTIVE_VALUES, repr(probability), f"{probability:.4f}"):
        assert value not in text, f"{value!r} appears in the logs"


def test_celery_logs_no_line_per_message_received_or_succeeded_but_keeps_retries_and_failures(caplog):
    from celery.app.trace import LOG_FAILURE, LOG_RETRY, LOG_SUCCESS
    from celery.app.trace import logger as trace_logger
    from celery.worker.strategy import logger as strategy_logger

    context = {"id": "t-1", "name": "screening.tasks.score_screening", "return_value": "done", "runtime": 0.01}
    with caplog.at_level(logging.INFO):
        trace_logger.info(LOG_SUCCESS, context)
        strategy_logger.info("Task %(name)s[%(id)s] received", context)
        trace_logger.info(LOG_RETRY, {**context, "exc": "OperationalError"})
        trace_logger.error(LOG_FAILURE, {**context, "exc": "ValueError", "description": "raised unexpected"})

    messages = [record.getMessage() for record in caplog.records]
    assert not any("succeeded" in message or "received" in message for message in messages), messages
    assert any("retry" in message for message in messages), messages
    assert any("raised unexpected" in message for message in messages), messages
