"""Symptom questionnaires, their results and FHIR downloads. Thin: parse, call one service or selector, render.

The questionnaires and their scores need no account (docs/symptoms.md#without-an-account): a visitor's check is
scored and shown, and stored only if they choose to keep it by signing up.
"""

from __future__ import annotations

import json
import math
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.api import VALIDATION_MESSAGE, error_body
from core.selectors import help_resources_for_request
from symptoms.exceptions import IdempotencyConflict, SymptomAnswersRejected, SymptomCheckLimitReached
from symptoms.fhir import (
    CONTENT_TYPE,
    PageNotFound,
    bundle_page,
    page_url_for,
    questionnaire_response,
    questionnaire_response_page,
)
from symptoms.forms import SymptomCheckForm
from symptoms.instruments import INSTRUMENTS, Instrument
from symptoms.selectors import symptom_change, symptom_check_get, symptom_check_list, symptom_latest
from symptoms.services import (
    UNSAVED_CHECK_MAX_AGE_SECONDS,
    symptom_check_score,
    symptom_check_seal,
    symptom_check_submit,
    symptom_check_unseal,
)
from symptoms.signals import UNSAVED_CHECK_SESSION_KEY
from symptoms.throttling import VisitorCheckThrottle

RECENT_CHECKS = 20


@never_cache
def index(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    latest = symptom_latest(user=request.user) if signed_in else {}
    instruments = [{"instrument": i, "latest": latest.get(key)} for key, i in INSTRUMENTS.items()]
    recent = symptom_check_list(user=request.user)[:RECENT_CHECKS] if signed_in else []
    return render(request, "symptoms/index.html", {"instruments": instruments, "recent": recent})


@never_cache
def new(request: HttpRequest, instrument_key: str) -> HttpResponse:
    instrument = INSTRUMENTS.get(instrument_key)
    if instrument is None:
        raise Http404("No such questionnaire.")
    # The published version for the page's language, or the English original with a note (instrument.is_fallback).
    instrument = instrument.localized()
    if not request.user.is_authenticated:
        return _new_without_account(request, instrument)
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
        except SymptomCheckLimitReached as refused:
            return _over_the_limit(request, form, instrument, refused)
        else:
            if not submission.created:
                messages.info(request, _("You had already sent these answers, so here is that result."))
            return redirect("symptoms:detail", check_id=submission.check.id)
    return render(request, "symptoms/new.html", {"form": form, "instrument": instrument})


def _over_the_limit(
    request: HttpRequest, form: SymptomCheckForm, instrument: Instrument, refused: SymptomCheckLimitReached
) -> HttpResponse:
    """The same form with the answers kept and the limit in words; help first whatever the answers, and the safety
    path's crisis lines first when they would have opened it: a limit never stands between a person and help."""
    context = {
        "form": form,
        "instrument": instrument,
        "over_the_limit": refused.message,
        "safety_flag": refused.safety_flag,
        "help_resources": help_resources_for_request(request),
    }
    response = render(request, "symptoms/new.html", context, status=429)
    response["Retry-After"] = str(refused.retry_after)
    return response


@never_cache
@login_required
def detail(request: HttpRequest, check_id: UUID) -> HttpResponse:
    check = symptom_check_get(user=request.user, check_id=check_id)
    return render(request, "symptoms/detail.html", _result_context(request, check, check.definition.localized()))


def _result_context(request: HttpRequest, check, instrument: Instrument, *, unsaved: bool = False) -> dict:
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
        # A visitor's check is their first as far as the site knows: nothing to compare it with.
        "change": None if unsaved else symptom_change(user=request.user, check=check),
        "help_resources": help_resources_for_request(request),
        "unsaved": unsaved,
    }
    if unsaved:
        context["sealed_check"] = symptom_check_seal(check=check)
    return context


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
    """The person's checks as FHIR, one page at a time (symptoms.fhir: `_count`, `page`, Bundle.link)."""
    try:
        page = bundle_page(request.GET)
    except ValidationError as error:
        return JsonResponse(error_body(VALIDATION_MESSAGE, {"fields": error.message_dict}), status=400)
    try:
        bundle = questionnaire_response_page(
            checks=symptom_check_list(user=request.user), page=page, url=page_url_for(request)
        )
    except PageNotFound as error:
        raise Http404("No such page.") from error
    stem = "symptom-checks-fhir-bundle"
    return _fhir_response(bundle, f"{stem}.json" if page.number == 1 else f"{stem}-page-{page.number}.json")


def _new_without_account(request: HttpRequest, instrument: Instrument) -> HttpResponse:
    """The same form, scoring and safety path, with nothing stored: the result is the answer to the POST itself."""
    form = SymptomCheckForm(request.POST or None, instrument=instrument)
    if request.method == "POST":
        if refused := _too_many(request):
            return refused
        if form.is_valid():
            try:
                check = symptom_check_score(instrument_key=instrument.key, answers=form.answers())
            except SymptomAnswersRejected as error:
                form.add_answer_errors(error.extra.get("fields", {}))
            else:
                return render(
                    request, "symptoms/detail.html", _result_context(request, check, instrument, unsaved=True)
                )
    return render(request, "symptoms/new.html", {"form": form, "instrument": instrument})


@require_POST
@never_cache
def keep(request: HttpRequest) -> HttpResponse:
    """A visitor asked to keep the result on screen: it waits, sealed, in their session while they sign up."""
    if request.user.is_authenticated:
        return redirect("symptoms:index")
    if refused := _too_many(request):
        return refused
    sealed = request.POST.get("check", "")
    if symptom_check_unseal(sealed=sealed) is None:
        messages.error(request, _("That result is more than an hour old, so it is gone. You can answer again."))
        return redirect("symptoms:index")
    request.session[UNSAVED_CHECK_SESSION_KEY] = sealed
    # The session holds nothing else for a visitor: it ends when the sealed result would be refused anyway.
    request.session.set_expiry(UNSAVED_CHECK_MAX_AGE_SECONDS)
    messages.info(
        request,
        _(
            "Create your account below and your result will be kept as your first check. If you do not, it is "
            "forgotten within an hour."
        ),
    )
    return redirect(f"{reverse('accounts:signup')}?{urlencode({'next': reverse('symptoms:index')})}")


def _too_many(request: HttpRequest) -> HttpResponse | None:
    throttle = VisitorCheckThrottle()
    if throttle.allow_request(request, None):
        return None
    wait = math.ceil(throttle.wait() or 1)
    context = {"wait_minutes": math.ceil(wait / 60), "help_resources": help_resources_for_request(request)}
    response = render(request, "symptoms/too_many.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response
