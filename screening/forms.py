"""The questionnaire as a Django form, built from `predictor.schema.QUESTIONS`; no question is written here.

The form only collects what was typed. Whether an answer is valid (required, in range, a known choice) is decided
once, by `predictor.schema.validate_answers` inside `screening_submit`; `add_answer_errors` puts those messages
back beside their questions.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils.functional import cached_property

from predictor.services import NONE_OF_THESE, QUESTIONS, SECTIONS, Question

PREFER_NOT_TO_SAY = "Prefer not to say"
MODEL_FIELD = "model"
KEY_FIELD = "submission_key"


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

    def __init__(self, *args: Any, models: list[dict[str, Any]], available_credits: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.models = models
        self.available_credits = available_credits
        self.fields[MODEL_FIELD] = forms.ChoiceField(
            label="Which model should make the estimate?",
            choices=[(m["key"], m["name"]) for m in models],
            widget=forms.RadioSelect,
            error_messages={"required": "Choose a model.", "invalid_choice": "Choose one of the models listed."},
        )
        for question in QUESTIONS:
            self.fields[question.key] = question_field(question)
        # One key per rendered form, sent to screening_submit as its idempotency key: a double click or a
        # resent POST returns the same screening instead of charging twice.
        self.fields[KEY_FIELD] = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
        self.initial.setdefault(KEY_FIELD, new_submission_key())
        if not self.is_bound and models:
            # Pre-select the cheapest model the person can pay for: gentle on credits, one click to change. An
            # earlier check's model ("Check again") stays chosen only while the person can still afford it.
            affordable = sorted((m for m in models if m["cost"] <= available_credits), key=lambda m: m["cost"])
            if self.initial.get(MODEL_FIELD) not in {m["key"] for m in affordable}:
                self.initial.pop(MODEL_FIELD, None)
            if affordable:
                self.initial.setdefault(MODEL_FIELD, affordable[0]["key"])

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
            options.append({**model, "radio": radio, "affordable": model["cost"] <= self.available_credits})
        return options

    @cached_property
    def sections(self) -> list[tuple[str, list[tuple[Question, forms.BoundField]]]]:
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


def answers_for_display(answers: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """A stored screening's answers as (section, [(question, answer in words)]), for its detail page."""
    shown = []
    for title in SECTIONS:
        rows = []
        for question in QUESTIONS:
            if question.section != title:
                continue
            rows.append((question.label, _answer_text(question, answers.get(question.key))))
        shown.append((title, rows))
    return shown


def _answer_text(question: Question, value: Any) -> str:
    if value is None:
        return PREFER_NOT_TO_SAY if question.optional else "—"
    if question.kind == "multichoice":
        if not value:
            return question.choice_label(NONE_OF_THESE)
        return ", ".join(question.choice_label(item) for item in value)
    if question.kind == "choice":
        return question.choice_label(value)
    unit = f" {question.unit}" if question.unit else ""
    if isinstance(value, int | float):
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
        return f"{number}{unit}"
    return f"{value}{unit}"
