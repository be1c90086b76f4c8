"""Symptom questionnaires, their results and FHIR downloads. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import json
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.selectors import help_resources_for_request
from symptoms.exceptions import IdempotencyConflict, SymptomAnswersRejected
from symptoms.fhir import CONTENT_TYPE, questionnaire_response, questionnaire_response_bundle
from symptoms.forms import SymptomCheckForm
from symptoms.instruments import INSTRUMENTS
from symptoms.selectors import symptom_change, symptom_check_get, symptom_check_list, symptom_latest
from symptoms.services import symptom_check_submit

RECENT_CHECKS = 20


@never_cache
@login_required
def index(request: HttpRequest) -> HttpResponse:
    latest = symptom_latest(user=request.user)
    instruments = [{"instrument": i, "latest": latest.get(key)} for key, i in INSTRUMENTS.items()]
    recent = symptom_check_list(user=request.user)[:RECENT_CHECKS]
    return render(request, "symptoms/index.html", {"instruments": instruments, "recent": recent})


@never_cache
@login_required
def new(request: HttpRequest, instrument_key: str) -> HttpResponse:
    instrument = INSTRUMENTS.get(instrument_key)
    if instrument is None:
        raise Http404("No such questionnaire.")
    # The published version for the page's language, or the English original with a note (instrument.is_fallback).
    instrument = instrument.localized()
    form = SymptomCheckForm(request.POST or None, instrument=instrument)
    if request.method == "POST" and form.is_valid():
        try:
            submission = symptom_check_submit(
                user=request.user,
                instrument_key=instrument.key,
                answers=form.answers(),
                idempotency_key=form.idempotency_key(),
            )
        except IdempotencyConflict:
            form.renew_submission_key()
            form.add_error(None, _("You already sent this form with other answers. Check them and send it again."))
        except SymptomAnswersRejected as error:
            form.add_answer_errors(error.extra.get("fields", {}))
        else:
            if not submission.created:
                messages.info(request, _("You had already sent these answers, so here is that result."))
            return redirect("symptoms:detail", check_id=submission.check.id)
    return render(request, "symptoms/new.html", {"form": form, "instrument": instrument})


@never_cache
@login_required
def detail(request: HttpRequest, check_id: UUID) -> HttpResponse:
    check = symptom_check_get(user=request.user, check_id=check_id)
    instrument = check.definition.localized()
    rows = [(item, instrument.option(check.answers[item.key])) for item in instrument.items]
    difficulty = None
    if instrument.difficulty and check.answers.get(instrument.difficulty.key) is not None:
        difficulty = instrument.difficulty_option(check.answers[instrument.difficulty.key])
    context = {
        "check": check,
        "instrument": instrument,
        "band": instrument.band(check.band),
        "rows": rows,
        "difficulty": difficulty,
        "change": symptom_change(user=request.user, check=check),
        "help_resources": help_resources_for_request(request),
    }
    return render(request, "symptoms/detail.html", context)


def _fhir_response(resource: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, indent=2), content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
def fhir(request: HttpRequest, check_id: UUID) -> HttpResponse:
    check = symptom_check_get(user=request.user, check_id=check_id)
    filename = f"{check.instrument}-{check.created_at:%Y-%m-%d}-questionnaire-response.json"
    return _fhir_response(questionnaire_response(check), filename)


@never_cache
@login_required
def fhir_all(request: HttpRequest) -> HttpResponse:
    checks = list(symptom_check_list(user=request.user).order_by("created_at"))
    return _fhir_response(questionnaire_response_bundle(checks), "symptom-checks-fhir-bundle.json")
