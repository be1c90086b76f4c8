"""A symptom questionnaire as a Django form, built from its instrument definition; no question is written here.

Fields are optional here: whether every item is answered is decided once, by the instrument's validation inside
`symptom_check_submit`, whose messages `add_answer_errors` puts back beside their questions.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms

from symptoms.instruments import Instrument

KEY_FIELD = "submission_key"


class SymptomCheckForm(forms.Form):
    def __init__(self, *args: Any, instrument: Instrument, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for item in instrument.items:
            self.fields[item.key] = forms.ChoiceField(
                label=f"{item.number}. {item.text}",
                choices=[(str(o.value), o.label) for o in instrument.options],
                widget=forms.RadioSelect,
                required=False,
            )
        if instrument.difficulty:
            self.fields[instrument.difficulty.key] = forms.ChoiceField(
                label=instrument.difficulty.text,
                choices=[(str(o.value), o.label) for o in instrument.difficulty_options],
                widget=forms.RadioSelect,
                required=False,
            )
        # One key per form shown: sending the same page twice (a double tap, a reload) stores one check.
        self.fields[KEY_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)
        if not self.is_bound:
            self.initial[KEY_FIELD] = uuid.uuid4().hex

    def answers(self) -> dict[str, str]:
        return {q.key: self.cleaned_data.get(q.key, "") for q in self.instrument.questions()}

    def idempotency_key(self) -> str:
        key = self.cleaned_data.get(KEY_FIELD, "")
        return f"web:{key}" if key else ""

    def renew_submission_key(self) -> None:
        self.data = self.data.copy()
        self.data[KEY_FIELD] = uuid.uuid4().hex

    def add_answer_errors(self, errors: dict[str, list[str]]) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)

    def item_fields(self) -> list[forms.BoundField]:
        return [self[item.key] for item in self.instrument.items]

    def difficulty_field(self) -> forms.BoundField | None:
        return self[self.instrument.difficulty.key] if self.instrument.difficulty else None
