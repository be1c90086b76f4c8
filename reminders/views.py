"""Reminder pages: turn them on or off (signed in), and unsubscribe from a link in the e-mail (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from reminders.exceptions import ReminderLinkInvalid
from reminders.forms import ReminderForm
from reminders.selectors import reminder_next_due_on, reminder_preference_get
from reminders.services import (
    reminder_preference_disable,
    reminder_preference_set,
    reminder_unsubscribe,
    reminder_unsubscribe_person_id,
)


def _back(request: HttpRequest) -> HttpResponse:
    """Back to the page the form was on (the account page, a check's result), else the reminders page."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect("reminders:settings")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest) -> HttpResponse:
    """The reminder choice on a page of its own; the forms elsewhere post here, and errors are shown here."""
    preference = reminder_preference_get(user=request.user)
    initial = {"cadence_weeks": preference.cadence_weeks} if preference else {}
    form = ReminderForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            cadence = form.cleaned_data["cadence_weeks"]
            reminder_preference_set(user=request.user, cadence_weeks=cadence)
            messages.success(
                request,
                ngettext(
                    "We will e-mail you a reminder to check in every week.",
                    "We will e-mail you a reminder to check in every %(count)d weeks.",
                    cadence,
                )
                % {"count": cadence},
            )
            return _back(request)
        status = 400
    else:
        status = 200
    context = {
        "form": form,
        "preference": preference,
        "next_due_on": reminder_next_due_on(user=request.user),
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "reminders/settings.html", context, status=status)


@never_cache
@login_required
@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    reminder_preference_disable(user=request.user, via="account")
    messages.success(request, _("Reminders are off. You will get no more of them."))
    return _back(request)


@never_cache
@csrf_exempt  # RFC 8058: the mail client's one-click POST carries no CSRF token; the signed link is the proof.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (a link scanner's GET must not unsubscribe); POST turns reminders off."""
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    try:
        if request.method == "GET":
            reminder_unsubscribe_person_id(token=token)
            return render(request, "reminders/unsubscribe.html", {"token": token})
        reminder_unsubscribe(token=token, via="one_click" if one_click else "link")
    except ReminderLinkInvalid:
        return render(request, "reminders/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "reminders/unsubscribed.html")
