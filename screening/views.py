"""Questionnaire, result, history. Thin: parse the request, call one service or selector, render."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.services import user_remember_units
from billing.exceptions import InsufficientCredits
from billing.models import LedgerEntry
from billing.selectors import allowance_next, entry_description, wallet_balance
from core.http import answer_wait_preference, preferred_wait
from core.selectors import help_country, help_resources_for_request
from predictor.services import PredictorError, factors_in_words, model_catalogue
from screening.exceptions import AnswersRejected, IdempotencyConflict, ModelNotOffered
from screening.forms import MODEL_FIELD, ScreeningForm, answers_for_display, initial_from
from screening.models import Screening
from screening.movement import movement_rows, screening_movement
from screening.results import (
    estimate_range,
    gettext_stored,
    less_reliable_rows,
    range_wide_because,
    result_pictures,
    scored_without_skipped,
    what_if_rows,
)
from screening.selectors import screening_get, screening_get_awaited, screening_list
from screening.services import screening_submit
from symptoms.change import rule_sets_in_words
from symptoms.selectors import (
    SUMMARY_TREND_CHECKS,
    summary_rows,
    symptom_change_rows,
    symptom_changes,
    symptom_chart,
    symptom_invitation,
    symptom_item_trend,
    symptom_safety_active,
)

logger = logging.getLogger(__name__)

HISTORY_PAGE_SIZE = 20
CHART_POINTS = 50


@never_cache
@login_required
def new(request: HttpRequest) -> HttpResponse:
    balance = wallet_balance(user=request.user)
    initial, earlier = {}, None
    if request.method == "GET" and request.GET.get("from"):
        earlier = screening_get(user=request.user, screening_id=_uuid_or_404(request.GET["from"]))
        initial = initial_from(earlier.answers, earlier.model_key)
    try:
        models = model_catalogue()
    except PredictorError:
        logger.exception("model catalogue unavailable")
        context = {"help_resources": help_resources_for_request(request)}
        return render(request, "screening/unavailable.html", context, status=503)
    form = ScreeningForm(
        request.POST or None,
        initial=initial,
        models=models,
        available_credits=balance["available"],
        preferred_units=request.user.preferred_units,
        # Units for someone who has not chosen yet: their account's country, else the one their language suggests.
        country=help_country(country=request.user.country),
        earlier_answers=earlier.answers if earlier is not None else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            submission = screening_submit(
                user=request.user,
                model_key=form.cleaned_data[MODEL_FIELD],
                answers=form.answers(),
                idempotency_key=form.idempotency_key(),
                confirm_body_size=True,  # the form asked about an unlikely height and weight itself
                score_here=True,  # the person waits for the next page: it shows the result when a slot was free
            )
        except IdempotencyConflict:
            form.renew_submission_key()
            form.add_error(None, _("You already sent this form with other answers. Check them and send it again."))
        except AnswersRejected as error:
            form.add_answer_errors(error.extra.get("fields", {}))
        except ModelNotOffered as error:
            form.add_error(MODEL_FIELD, str(error.message))
        except InsufficientCredits as error:
            if form.can_afford_any:
                form.add_error(
                    MODEL_FIELD, _("%(problem)s Choose a model that costs less.") % {"problem": error.message}
                )
            else:
                form.add_error(
                    MODEL_FIELD,
                    _("%(problem)s Your next free credits arrive on the date shown above.")
                    % {"problem": error.message},
                )
        else:
            user_remember_units(user=request.user, units=form.chosen_units())
            if submission.created:
                # The result block says whether the estimate is still being worked out; a flash saying so would
                # stay above the finished result.
                messages.success(request, _("Thank you. Your answers are in."))
            else:
                messages.info(
                    request, _("You had already sent these answers, so here is that check. Nothing more was charged.")
                )
            return redirect("screening:detail", screening_id=submission.screening.id)
    context = {"form": form, "balance": balance, "earlier": earlier}
    if not form.can_afford_any:
        context["next_allowance"] = allowance_next(user=request.user)
        context["allowance_today"] = context["next_allowance"] == timezone.now().date()
    return render(request, "screening/new.html", context)


def _uuid_or_404(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise Http404(_("No such check.")) from None


@never_cache
@login_required
def detail(request: HttpRequest, screening_id: UUID) -> HttpResponse:
    screening = screening_get(user=request.user, screening_id=screening_id)
    context = _result_context(screening, request)
    if not screening.is_finished and symptom_safety_active(user=request.user):
        # While the estimate is worked out, the crisis lines already come first.
        context["safety_active"] = True
        context["help_resources"] = help_resources_for_request(request)
    context["answers"] = answers_for_display(screening.answers, units=request.user.preferred_units)
    return render(request, "screening/detail.html", context)


@never_cache
@login_required
def status(request: HttpRequest, screening_id: UUID) -> HttpResponse:
    """The result block alone, which the detail page asks for while the estimate is being worked out.

    The page sends `Prefer: wait=N`, so the answer comes when the result is stored rather than on a timer.
    """
    wait = preferred_wait(request, maximum=settings.SCREENING_WAIT_MAX_SECONDS)
    screening, waited = screening_get_awaited(user=request.user, screening_id=screening_id, wait=wait)
    response = render(request, "screening/_result.html", _result_context(screening, request))
    return answer_wait_preference(response, wait=wait, waited=waited)


@never_cache
@login_required
def history(request: HttpRequest) -> HttpResponse:
    screenings = screening_list(user=request.user).only(
        "id", "created_at", "model_key", "status", "probability", "risk_band", "base_rate", "model_version"
    )
    page = Paginator(screenings, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for screening in page.object_list:
        screening.percent = percent(screening.probability) if screening.probability is not None else ""
    done = list(screenings.filter(status=Screening.Status.DONE)[:CHART_POINTS])
    context = {
        "page": page,
        "chart": history_chart(done[::-1]),
        "symptom_chart": symptom_chart(user=request.user),
        "safety_active": symptom_safety_active(user=request.user),
    }
    if context["safety_active"]:
        context["help_resources"] = help_resources_for_request(request)
    if context["symptom_chart"]:
        changes = symptom_changes(user=request.user)
        context["symptom_rows"] = symptom_change_rows(user=request.user, changes=changes)
        context["item_trend"] = symptom_item_trend(user=request.user, changes=changes)
    return render(request, "screening/history.html", context)


@never_cache
@login_required
def summary(request: HttpRequest) -> HttpResponse:
    """One printable page to bring to a clinician: the latest PHQ-9 and GAD-7 with their items, each one's trend,
    and the latest life-factor estimate with its model version."""
    changes = symptom_changes(user=request.user)
    # The page's language where a published version is held; each row with its change labels.
    instruments = summary_rows(user=request.user, changes=changes)
    estimate = screening_list(user=request.user).filter(status=Screening.Status.DONE).first()
    safety_active = symptom_safety_active(user=request.user)
    context = {
        "instruments": instruments,
        "item_trend": symptom_item_trend(user=request.user, limit=SUMMARY_TREND_CHECKS, changes=changes),
        "change_rules": rule_sets_in_words(),
        "estimate": estimate,
        "estimate_percent": percent(estimate.probability) if estimate else "",
        "safety_active": safety_active,
        "help_resources": help_resources_for_request(request) if safety_active else (),
    }
    return render(request, "screening/summary.html", context)


def _result_context(screening: Screening, request: HttpRequest) -> dict[str, Any]:
    refund = None
    if screening.status == Screening.Status.FAILED:
        refund = screening.ledger_entries.filter(kind=LedgerEntry.Kind.RELEASE).first()
    probability, base_rate = screening.probability, screening.base_rate
    # Stored in English with the result; worded again in the reader's language from the stored answers.
    answers = screening.answers if screening.status == Screening.Status.DONE else {}
    factors = factors_in_words(screening.factors, answers)
    symptoms = symptom_invitation(user=request.user) if screening.status == Screening.Status.DONE else None
    # The safety path (latest PHQ-9 item 9 above 0) is read from the invitation's PHQ-9 when there is one, so a
    # poll while the model works reads nothing more; the page itself asks for a pending check (detail()).
    if symptoms is not None:
        safety_active = bool(symptoms["latest"] is not None and symptoms["latest"].safety_flag)
    else:
        safety_active = screening.is_finished and symptom_safety_active(user=request.user)
    return {
        "screening": screening,
        "percent": percent(probability) if probability is not None else "",
        "base_percent": percent(base_rate) if base_rate is not None else "",
        "bar_width": f"{(probability or 0) * 100:.1f}",
        "base_bar_width": f"{(base_rate or 0) * 100:.1f}",
        "refund": refund,
        # While the person's latest PHQ-9 had item 9 above 0, the crisis lines come first, whatever the estimate.
        "safety_active": safety_active,
        # Shown with a finished result (and on the safety path) only; a poll while it is worked out needs none.
        "help_resources": help_resources_for_request(request) if screening.is_finished or safety_active else (),
        "factors_raise": [f for f in factors if f.get("direction") == "raises"],
        "factors_lower": [f for f in factors if f.get("direction") != "raises"],
        "poll_url": reverse("screening:status", args=[screening.id]) if not screening.is_finished else "",
        # Shown beside a finished estimate only, so a poll while the model works reads nothing more.
        "symptoms": symptoms,
        "pictures": result_pictures(probability=probability, base_rate=base_rate),
        "range": estimate_range(low=screening.interval_low, high=screening.interval_high),
        # Part of the range is how much the skipped questions could move the estimate: say so, answering narrows it.
        "range_widened_by_skipped": any(value is None for value in answers.values()),
        # A wide range says why (issue 25); a group where the model was clearly weaker is named (the card's rule).
        "range_wide_because": range_wide_because(
            low=screening.interval_low,
            high=screening.interval_high,
            skipped=any(value is None for value in answers.values()),
        ),
        "scored_without_skipped": scored_without_skipped(answers=answers, model_version=screening.model_version or ""),
        "less_reliable": less_reliable_rows(
            answers=answers, model_key=screening.model_key, model_version=screening.model_version or ""
        ),
        "what_ifs": what_if_rows(what_ifs=screening.what_ifs, probability=probability, answers=answers),
        "error_message": gettext_stored(screening.error_message),
        "refund_description": entry_description(refund.description) if refund else "",
        "movement": _movement(screening),
    }


def _movement(screening: Screening) -> dict[str, Any] | None:
    """What moved the estimate since the previous finished check, worded; None without one."""
    try:
        found = screening_movement(screening=screening)
    except PredictorError:  # the result stands without its breakdown; the log names no answer or estimate
        logger.exception("estimate movement unavailable [screening_id=%s]", screening.id)
        return None
    if found is None:
        return None
    earlier, movement = found
    rows = movement_rows(earlier=earlier, later=screening, movement=movement)
    rows["start_percent"], rows["end_percent"] = percent(movement.start), percent(movement.end)
    return rows


def percent(probability: float) -> str:
    """0.234 -> "23%" ("23 %" in Russian); tiny values say so rather than round to a reassuring 0 %."""
    if probability < 0.01:
        return _("under 1%")
    if probability > 0.99:
        return _("over 99%")
    return _("%(number)s%%") % {"number": f"{probability * 100:.0f}"}


# --- The history chart: a server-rendered SVG, no JavaScript. -------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 520, 250
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 80, 504, 18, 200


def _y(probability: float) -> float:
    return round(PLOT_BOTTOM - probability * (PLOT_BOTTOM - PLOT_TOP), 1)


def history_chart(screenings: list[Screening]) -> dict[str, Any] | None:
    """Coordinates for the estimate-over-time chart, oldest first; points are evenly spaced, one per check."""
    if not screenings:
        return None
    span = PLOT_RIGHT - PLOT_LEFT
    count = len(screenings)
    points = []
    for index, screening in enumerate(screenings):
        x = PLOT_LEFT + span / 2 if count == 1 else PLOT_LEFT + span * index / (count - 1)
        points.append(
            {
                "x": round(x, 1),
                "y": _y(screening.probability),
                "percent": percent(screening.probability),
                "screening": screening,
            }
        )
    base_rate = screenings[-1].base_rate
    # One line per model: an XGBoost estimate after an ensemble one is not progress, so they are never joined.
    lines = {}
    for point in points:
        lines.setdefault(point["screening"].model_key, []).append(point)
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "left": PLOT_LEFT,
        "right": PLOT_RIGHT,
        "bottom": PLOT_BOTTOM,
        "points": points,
        "polylines": [" ".join(f"{p['x']},{p['y']}" for p in line) for line in lines.values() if len(line) > 1],
        "grid": [{"y": _y(v / 100), "label": _("%(number)s%%") % {"number": v}} for v in (0, 25, 50, 75, 100)],
        "base_rate": base_rate,
        "base_rate_percent": percent(base_rate) if base_rate is not None else "",
        "last_percent": points[-1]["percent"],
        "half_span": round(span / 2, 1),
        "base_rate_y": _y(base_rate) if base_rate is not None else None,
        "first": screenings[0],
        "last": screenings[-1],
        "label_y": CHART_HEIGHT - 14,
    }
