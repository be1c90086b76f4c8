"""What moved my estimate: a finished screening against the same person's previous one, in words.

The arithmetic is the predictor's (`predictor.services.estimate_movement`, a path whose steps add up exactly to the
difference); this module picks the earlier screening and words each step in the reader's language. It says how
the model's estimate moved, never what changed how the person feels: the model learned associations, not causes.
"""

from __future__ import annotations

from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _

from predictor.services import QUESTIONS, EstimateMovement, estimate_movement, model_name
from screening.forms import answer_in_words
from screening.models import Screening
from screening.selectors import screening_previous_done

QUESTIONS_BY_KEY = {question.key: question for question in QUESTIONS}


def _stored(screening: Screening) -> dict[str, Any]:
    return {
        "model_key": screening.model_key,
        "model_version": screening.model_version,
        "answers": screening.answers,
        "probability": screening.probability,
    }


def screening_movement(*, screening: Screening) -> tuple[Screening, EstimateMovement] | None:
    """The previous finished screening and how the estimate moved from it; None for a first or unfinished one."""
    if screening.status != Screening.Status.DONE or screening.probability is None:
        return None
    earlier = screening_previous_done(screening=screening)
    if earlier is None or earlier.probability is None:
        return None
    return earlier, estimate_movement(earlier=_stored(earlier), later=_stored(screening))


def points(effect: float) -> str:
    """A probability difference in percentage points, signed, one decimal, in the reader's number format:
    "+1.2", "0.0", and a true minus sign (U+2212) before a fall."""
    size = formats.number_format(round(abs(effect) * 100, 1), decimal_pos=1)
    if round(abs(effect) * 100, 1) == 0:
        return size
    return ("+" if effect > 0 else "\u2212") + size


def _model_text(movement: EstimateMovement) -> str:
    if movement.from_model != movement.to_model and movement.from_version != movement.to_version:
        text = _("Another model and model version: %(before)s (version %(from)s), now %(after)s (version %(to)s).")
    elif movement.from_model != movement.to_model:
        text = _("Another model: %(before)s, now %(after)s.")
    elif movement.from_version != movement.to_version:
        text = _("A newer version of the %(after)s model: %(from)s, now %(to)s.")
    else:
        text = _("The same model, scored again today.")
    text %= {
        "before": model_name(movement.from_model),
        "after": model_name(movement.to_model),
        "from": movement.from_version,
        "to": movement.to_version,
    }
    if not movement.separable:
        text += " " + _(
            "An earlier model version can no longer be loaded, so what it would have told apart (the adjustment "
            "to today's prevalence, and any changed answers) is counted here."
        )
    return text


def _answer_text(key: str, earlier: dict[str, Any], later: dict[str, Any]) -> str:
    question = QUESTIONS_BY_KEY[key]
    return _("Your answer to “%(question)s”: %(before)s, now %(after)s.") % {
        "question": question.label,
        "before": answer_in_words(question, earlier.get(key)),
        "after": answer_in_words(question, later.get(key)),
    }


def movement_rows(*, earlier: Screening, later: Screening, movement: EstimateMovement) -> dict[str, Any]:
    """The breakdown as a page shows it: each step worded, with its effect in percentage points."""
    steps = []
    for step in movement.steps:
        if step.kind == "recalibration":
            text = _(
                "Adjusting the estimate to how common a positive screen is today (the newer version is "
                "calibrated to today's published prevalence)."
            )
        elif step.kind == "model":
            text = _model_text(movement)
        else:
            text = _answer_text(step.question or "", earlier.answers, later.answers)
        steps.append({"kind": step.kind, "text": text, "points": points(step.effect), "raises": step.effect > 0})
    return {
        "earlier": earlier,
        "steps": steps,
        "total": points(movement.total),
        "separable": movement.separable,
        "unchanged": not movement.steps,
    }
