from django import forms
from django.utils.translation import gettext_lazy

from reminders.models import CADENCE_DEFAULT_WEEKS, CADENCE_MAX_WEEKS, CADENCE_MIN_WEEKS

_CADENCE_ERROR = gettext_lazy("Choose a whole number of weeks from 1 to 8.")


class ReminderForm(forms.Form):
    cadence_weeks = forms.IntegerField(
        label=gettext_lazy("Remind me every (weeks)"),
        min_value=CADENCE_MIN_WEEKS,
        max_value=CADENCE_MAX_WEEKS,
        initial=CADENCE_DEFAULT_WEEKS,
        help_text=gettext_lazy("From 1 to 8 weeks. Two weeks is the period the questionnaires ask about."),
        error_messages={
            "required": _CADENCE_ERROR,
            "invalid": _CADENCE_ERROR,
            "min_value": _CADENCE_ERROR,
            "max_value": _CADENCE_ERROR,
        },
    )
