"""The reminder forms other pages include: on the account page, and at the end of a check."""

from django import template

from reminders.forms import ReminderForm
from reminders.models import CADENCE_DEFAULT_WEEKS
from reminders.selectors import reminder_next_due_on, reminder_preference_get

register = template.Library()


def _context(context: template.Context) -> dict:
    request = context["request"]
    if not request.user.is_authenticated:
        # A check taken without an account: reminders need an address, so nothing is offered.
        return {"shown": False}
    preference = reminder_preference_get(user=request.user)
    enabled = preference is not None and preference.enabled
    return {
        "preference": preference if enabled else None,
        "next_due_on": reminder_next_due_on(user=request.user) if enabled else None,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "shown": True,
    }


@register.inclusion_tag("reminders/_account.html", takes_context=True)
def reminder_settings(context: template.Context) -> dict:
    """The account page's card: reminders on or off, and their cadence."""
    data = _context(context)
    if not data["shown"]:
        return data
    cadence = data["preference"].cadence_weeks if data["preference"] else CADENCE_DEFAULT_WEEKS
    return {**data, "form": ReminderForm(initial={"cadence_weeks": cadence})}


@register.inclusion_tag("reminders/_offer.html", takes_context=True)
def reminder_offer(context: template.Context) -> dict:
    """At the end of a check: "remind me in 2 weeks", or when the next reminder is due and how to stop it."""
    return {**_context(context), "default_weeks": CADENCE_DEFAULT_WEEKS}
