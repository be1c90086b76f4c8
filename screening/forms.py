"""The questionnaire as a Django form, built from `predictor.schema.QUESTIONS`; no question is written here.

The form only collects what was typed. Whether an answer is valid (required, in range, a known choice) is decided
once, by `predictor.schema.validate_answers` inside `screening_submit`; `add_answer_errors` puts those messages
back beside their questions. Two things happen here first, both defined by the schema: a measurement typed in
another unit (feet and inches, pounds) is converted to the question's own unit, and a height and weight that are
probably a slip are asked about (`body_size_warning`) until the person confirms them. When either of those (or the
model choice) stops the form, it asks the same `validate_answers` about every other answer, so one round shows
every error, never one slip hiding the rest.

Numbers in every box are read the way the page's language writes them (`predictor.schema.read_number`): "70,5" kg
in Spanish or Russian is 70.5, and in English "1,5" is refused rather than read as 15.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from predictor.services import (
    DECIMAL_POINT_MESSAGE,
    NONE_OF_THESE,
    QUESTIONS,
    SECTIONS,
    AnswersInvalid,
    Question,
    Suggestion,
    body_size_warning,
    format_number,
    read_number,
    suggest_model,
    unit_label,
    validate_answers,
)

PREFER_NOT_TO_SAY = gettext_lazy("Prefer not to say")
MODEL_FIELD = "model"
KEY_FIELD = "submission_key"
CONFIRM_BODY_SIZE_FIELD = "confirm_body_size"
UNIT_QUESTIONS = tuple(q for q in QUESTIONS if q.unit_choices)


# The model choice in plain words; the technical description stays on the model card.
PLAIN_MODEL_DESCRIPTIONS = {
    "logistic": gettext_lazy("The simplest model: each answer moves the estimate up or down by a fixed amount."),
    "forest": gettext_lazy(
        "Many simple yes/no rules voting together, so it can notice answers that matter in combination."
    ),
    "xgboost": gettext_lazy("Simple rules built one after another, each correcting the mistakes of the ones before."),
    "ensemble": gettext_lazy("The average of the other three models."),
}


def ranks_in_100(roc_auc: float | None) -> int | None:
    """ROC-AUC in words: how many times in 100 the model ranks a person who screened positive above one who did
    not, on people it never saw."""
    return None if roc_auc is None else round(roc_auc * 100)


def unit_field(question: Question) -> str:
    return f"{question.key}__unit"


def part_field(question: Question, unit_key: str, part: str) -> str:
    """The box for one part of a unit; the question's own unit (cm, kg) uses the question's field itself."""
    return question.key if unit_key == question.unit else f"{question.key}__{unit_key}_{part}"


def _stored_number(text: str) -> float | None:
    """A number the site wrote itself (an earlier check's answer as form initial data): Python's own notation."""
    try:
        return float(str(text))
    except ValueError:
        return None


def _typed_number(text: str) -> float | None:
    """A number a person typed, in the page's language; None when it is not one."""
    try:
        return read_number(str(text))
    except ValueError:
        return None


def _number_widget(question: Question) -> forms.TextInput:
    # type="text" with inputmode, not type="number": a number input silently empties "42,000" and changes
    # values on scroll, while the schema accepts thousands separators and says clearly what is wrong.
    return forms.TextInput(
        attrs={
            "inputmode": "numeric" if question.kind == "integer" else "decimal",
            "autocomplete": "off",
            "spellcheck": "false",
            "class": "number",
        }
    )


def question_field(question: Question) -> forms.Field:
    """One form field for one question. Every field is optional here: the schema decides what is required."""
    common = {"label": question.label, "help_text": question.help_text, "required": False}
    if question.kind in ("integer", "number"):
        # A CharField, so "1,200" or "7.5" reach the schema's own parser and its messages, not Django's.
        return forms.CharField(widget=_number_widget(question), max_length=32, **common)
    if question.kind == "choice":
        choices = list(question.choices)
        if question.optional:
            choices.append(("", PREFER_NOT_TO_SAY))
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    return forms.MultipleChoiceField(choices=list(question.choices), widget=forms.CheckboxSelectMultiple, **common)


class ScreeningForm(forms.Form):
    """Model choice plus one field per question, grouped in the schema's sections."""

    def __init__(
        self,
        *args: Any,
        models: list[dict[str, Any]],
        available_credits: int,
        preferred_units: dict[str, str] | None = None,
        country: str = "",
        earlier_answers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.models = models
        self.available_credits = available_credits
        self.fields[MODEL_FIELD] = forms.ChoiceField(
            label=_("Which model should make the estimate?"),
            choices=[(m["key"], m["name"]) for m in models],
            widget=forms.RadioSelect,
            error_messages={"required": _("Choose a model."), "invalid_choice": _("Choose one of the models listed.")},
        )
        for question in QUESTIONS:
            self.fields[question.key] = question_field(question)
        # One key per rendered form, sent to screening_submit as its idempotency key: a double click or a
        # resent POST returns the same screening instead of charging twice.
        self.fields[KEY_FIELD] = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
        self._add_unit_fields(preferred_units or {}, country=country)
        self.fields[CONFIRM_BODY_SIZE_FIELD] = forms.BooleanField(
            required=False, label=_("Yes, this height and weight are right")
        )
        self.asks_body_size = False
        self.suggestion: Suggestion | None = None
        self.initial.setdefault(KEY_FIELD, new_submission_key())
        if not self.is_bound and models:
            # Pre-select the cheapest model the person can pay for: gentle on credits, one click to change. An
            # earlier check's model ("Check again") stays chosen only while the person can still afford it.
            # Otherwise the cheapest, unless a dearer one was measurably better for people like this person.
            affordable = sorted((m for m in models if m["cost"] <= available_credits), key=lambda m: m["cost"])
            if self.initial.get(MODEL_FIELD) not in {m["key"] for m in affordable}:
                self.initial.pop(MODEL_FIELD, None)
                self.suggestion = suggest_model(answers=earlier_answers, affordable=[m["key"] for m in affordable])
                if self.suggestion is not None:
                    self.initial[MODEL_FIELD] = self.suggestion.model_key

    def _add_unit_fields(self, preferred: dict[str, str], *, country: str) -> None:
        for question in UNIT_QUESTIONS:
            name = unit_field(question)
            self.fields[name] = forms.ChoiceField(
                label=_("Unit for: %(question)s") % {"question": question.label},
                choices=[(choice.key, choice.label) for choice in question.unit_choices],
                widget=forms.RadioSelect,
                required=False,
            )
            # The person's own choice once made; until then, the unit of their country (metric but in the US).
            chosen = preferred.get(question.key)
            if question.unit_choice(chosen or "") is None:
                chosen = question.default_unit(country)
            self.initial.setdefault(name, chosen)
            for choice in question.unit_choices:
                if choice.key == question.unit:
                    continue
                for part, unit, _factor in choice.parts:
                    self.fields[part_field(question, choice.key, part)] = forms.CharField(
                        label=pgettext_lazy("a box of a measurement", "%(question)s (%(unit)s)")
                        % {"question": question.label, "unit": unit_label(unit)},
                        required=False,
                        max_length=16,
                        widget=_number_widget(question),
                    )
            # An earlier answer ("Check again") shown in the unit the person uses.
            stored = _stored_number(self.initial.get(question.key, "")) if self.initial.get(question.key) else None
            unit = question.unit_choice(chosen)
            if stored is not None and unit is not None and unit.key != question.unit:
                for part, value in unit.from_canonical(stored).items():
                    self.initial.setdefault(part_field(question, unit.key, part), f"{value:g}")

    def chosen_units(self) -> dict[str, str]:
        """Which unit the person used for each measurement, to remember for their next check."""
        data = getattr(self, "cleaned_data", {})
        return {q.key: data.get(unit_field(q)) or q.unit for q in UNIT_QUESTIONS}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for question in UNIT_QUESTIONS:
            # No unit sent (a form posted by a script, an old page): the question's own field holds the answer.
            unit = question.unit_choice(data.get(unit_field(question)) or question.unit)
            if unit is None or unit.key == question.unit:
                continue
            typed = {
                part: (data.get(part_field(question, unit.key, part)) or "").strip()
                for part, _unit, _factor in unit.parts
            }
            if not any(typed.values()):
                data[question.key] = ""
                continue
            try:
                numbers = {part: read_number(text) if text else 0.0 for part, text in typed.items()}
            except ValueError as error:
                # "1,5" in English says how to write it; anything else ("5'10", "180 lb") shows the boxes' example.
                refused = str(error) if str(error) == str(DECIMAL_POINT_MESSAGE) else _unit_hint(unit)
                self.add_error(question.key, refused)
                continue
            if any(number < 0 for number in numbers.values()):
                self.add_error(question.key, _unit_hint(unit))
                continue
            data[question.key] = f"{unit.to_canonical(numbers):g}"
        self._ask_about_body_size(data)
        if self.errors:
            self._add_other_answer_errors()
        return data

    def _add_other_answer_errors(self) -> None:
        """The schema's messages for every answer the form's own checks did not already stop on."""
        try:
            validate_answers(self.answers())
        except AnswersInvalid as error:
            for key, messages in error.errors.items():
                if key in self.fields and not self.has_error(key):
                    for message in messages:
                        self.add_error(key, message)

    def _ask_about_body_size(self, data: dict[str, Any]) -> None:
        height, weight = _typed_number(data.get("height_cm") or ""), _typed_number(data.get("weight_kg") or "")
        if not height or not weight or self.has_error("height_cm") or self.has_error("weight_kg"):
            return
        weight_unit = "lb" if data.get("weight_kg__unit") == "lb" else "kg"
        warning = body_size_warning(height_cm=height, weight_kg=weight, weight_unit=weight_unit)
        if warning and not data.get(CONFIRM_BODY_SIZE_FIELD):
            self.asks_body_size = True
            self.add_error("weight_kg", warning)

    def unit_options(self, question: Question) -> list[dict[str, Any]]:
        """For a measurement question: each unit with its radio button and its boxes."""
        radios = {radio.data["value"]: radio for radio in self[unit_field(question)]}
        return [
            {
                "choice": choice,
                "radio": radios[choice.key],
                "boxes": [
                    (self[part_field(question, choice.key, part)], unit_label(unit))
                    for part, unit, _factor in choice.parts
                ],
            }
            for choice in question.unit_choices
        ]

    @property
    def step_count(self) -> int:
        """The questionnaire's parts: one per schema section, plus the model choice."""
        return len(SECTIONS) + 1

    @property
    def can_afford_any(self) -> bool:
        return any(m["cost"] <= self.available_credits for m in self.models)

    def model_options(self) -> list[dict[str, Any]]:
        """Each model with its radio button, for a template that shows cost and description beside it."""
        by_key = {m["key"]: m for m in self.models}
        options = []
        for radio in self[MODEL_FIELD]:
            model = by_key[radio.data["value"]]
            options.append(
                {
                    **model,
                    "radio": radio,
                    "affordable": model["cost"] <= self.available_credits,
                    "plain": PLAIN_MODEL_DESCRIPTIONS.get(model["key"], model.get("description", "")),
                    "ranks_in_100": ranks_in_100(model.get("metrics", {}).get("roc_auc")),
                }
            )
        return options

    def suggested_because(self) -> dict[str, str] | None:
        """Why a dearer model than the cheapest is pre-selected, in words; None when the cheapest is."""
        if self.suggestion is None or not self.suggestion.because:
            return None
        names = {m["key"]: m["name"] for m in self.models}
        cheapest = min((m for m in self.models if m["cost"] <= self.available_credits), key=lambda m: m["cost"])
        return {
            "model": names[self.suggestion.model_key],
            "group": self.suggestion.because,
            "cheapest": cheapest["name"],
        }

    def models_equally_accurate(self) -> bool:
        """True when every model ranks people within 1 in 100 of the others: then price is the only difference."""
        ranks = [ranks_in_100(m.get("metrics", {}).get("roc_auc")) for m in self.models]
        return None not in ranks and bool(ranks) and max(ranks) - min(ranks) <= 1

    @cached_property
    def sections(self) -> list[tuple[str, list[tuple[Question, forms.BoundField]]]]:
        for question in UNIT_QUESTIONS:
            # Bound fields are cached per form, so the template finds these on the field it is given.
            self[question.key].unit_options = self.unit_options(question)
            self[question.key].confirm = self[CONFIRM_BODY_SIZE_FIELD] if question.key == "weight_kg" else None
        return [
            (title, [(question, self[question.key]) for question in QUESTIONS if question.section == title])
            for title in SECTIONS
        ]

    def answers(self) -> dict[str, Any]:
        """What was typed, in the shape `validate_answers` expects; blanks mean "prefer not to say"."""
        raw: dict[str, Any] = {}
        for question in QUESTIONS:
            value = self.cleaned_data.get(question.key)
            if question.kind == "multichoice":
                raw[question.key] = list(value) if value else None
            else:
                raw[question.key] = value if value not in ("", None) else None
        return raw

    def idempotency_key(self) -> str:
        key = self.cleaned_data.get(KEY_FIELD) or ""
        return f"web:{key}" if key else ""

    def renew_submission_key(self) -> None:
        """After the key was used for other answers (the back button, then a change): the next send is new."""
        self.data = self.data.copy()
        self.data[KEY_FIELD] = new_submission_key()

    def add_answer_errors(self, fields: dict[str, list[str]]) -> None:
        """Put the schema's per-question messages beside their questions."""
        for key, messages in fields.items():
            field = key if key in self.fields else None
            for message in messages:
                self.add_error(field, message)


def _unit_hint(unit: Any) -> str:
    if len(unit.parts) > 1:
        return _("Enter numbers only, for example 5 and 9.")
    return _("Enter a number only, for example 180.")


def initial_from(screening_answers: dict[str, Any], model_key: str) -> dict[str, Any]:
    """A stored screening's answers as form initial data, to start a new check from an earlier one."""
    initial: dict[str, Any] = {MODEL_FIELD: model_key}
    for question in QUESTIONS:
        value = screening_answers.get(question.key)
        if value is None:
            continue
        if question.kind == "multichoice":
            initial[question.key] = list(value) or [NONE_OF_THESE]
        elif question.kind in ("integer", "number"):
            initial[question.key] = f"{value:g}" if isinstance(value, float) else str(value)
        else:
            initial[question.key] = value
    return initial


def new_submission_key() -> str:
    return uuid.uuid4().hex


def answers_for_display(
    answers: dict[str, Any], units: dict[str, str] | None = None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """A stored screening's answers as (section, [(question, answer in words)]), for its detail page; heights and
    weights also in the units the person uses (`units`, question key -> unit key), the stored metric beside."""
    shown = []
    for title in SECTIONS:
        rows = []
        for question in QUESTIONS:
            if question.section != title:
                continue
            text = _answer_text(question, answers.get(question.key))
            unit = question.unit_choice((units or {}).get(question.key, ""))
            value = answers.get(question.key)
            if unit is not None and unit.key != question.unit and isinstance(value, int | float):
                parts = unit.from_canonical(value)
                in_unit = " ".join(f"{format_number(parts[part])} {unit_label(label)}" for part, label, _ in unit.parts)
                text = f"{in_unit} ({text})"
            rows.append((question.label, text))
        shown.append((title, rows))
    return shown


def answer_in_words(question: Question, value: Any) -> str:
    """One stored answer in words, as a screening's detail page shows it."""
    return _answer_text(question, value)


def _answer_text(question: Question, value: Any) -> str:
    if value is None:
        return PREFER_NOT_TO_SAY if question.optional else "—"
    if question.kind == "multichoice":
        if not value:
            return question.choice_label(NONE_OF_THESE)
        return ", ".join(question.choice_label(item) for item in value)
    if question.kind == "choice":
        return question.choice_label(value)
    if isinstance(value, int | float):
        return question.quantity(value)
    return f"{value} {question.unit_label}".strip()
