"""The account page: credits, who on staff read your health data, and export or deletion of everything."""

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.forms import CountryForm
from billing.selectors import wallet_balance
from core.audit import health_data_access_list
from core.throttling import auth_rate_limited
from privacy.forms import DeleteAccountForm
from privacy.services import export_filename, user_delete, user_export
from sharing.selectors import share_opening_list


@never_cache
@login_required
def settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request, DeleteAccountForm())


def _settings_page(request: HttpRequest, delete_form: DeleteAccountForm, status: int = 200) -> HttpResponse:
    context = {
        "country_form": CountryForm(initial={"country": request.user.country}),
        "delete_form": delete_form,
        "balance": wallet_balance(user=request.user),
        "staff_accesses": health_data_access_list(owner_id=request.user.pk),
        "share_openings": share_opening_list(user=request.user),
    }
    return render(request, "privacy/settings.html", context, status=status)


@never_cache
@login_required
def export(request: HttpRequest) -> HttpResponse:
    """Everything about the person as a JSON file; the same data as GET /api/v1/me/export/."""
    response = HttpResponse(
        json.dumps(user_export(user=request.user), cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    return response


@never_cache
@login_required
@require_POST
@auth_rate_limited
def delete(request: HttpRequest) -> HttpResponse:
    form = DeleteAccountForm(request.POST)
    if form.is_valid():
        try:
            user_delete(user=request.user, password=form.cleaned_data["password"])
        except ValidationError as error:
            for message in error.message_dict.get("password", []):
                form.add_error("password", message)
        else:
            logout(request)
            messages.success(request, _("Your account and everything in it have been deleted. Take care."))
            return redirect("home")
    messages.error(request, _("Your account was not deleted. Please check the form below."))
    return _settings_page(request, form, status=400)
