import json
import math

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from rest_framework.throttling import SimpleRateThrottle

from accounts.forms import DeleteAccountForm, EmailLoginForm, SignupForm
from accounts.services import export_filename, user_delete, user_export, user_register
from billing.selectors import wallet_balance
from core.audit import health_data_access_list


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = user_register(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Your account is ready and your welcome credits are in your wallet.")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


class WebAuthThrottle(SimpleRateThrottle):
    """The API's "auth" rate limit, applied to the web login and sharing its counter per client address."""

    scope = "auth"

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginView(auth_views.LoginView):
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttle = WebAuthThrottle()
        if not throttle.allow_request(request, self):
            # Refused before any password is checked, so guessing gains nothing.
            messages.error(request, f"Too many attempts. Try again in {math.ceil(throttle.wait() or 1)} seconds.")
            form = self.authentication_form(request, initial={"username": request.POST.get("username", "")})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "You are logged in.")
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You are logged out. Take care.")
        return response


@never_cache
@login_required
def settings(request: HttpRequest) -> HttpResponse:
    return _settings_page(request, DeleteAccountForm())


def _settings_page(request: HttpRequest, delete_form: DeleteAccountForm, status: int = 200) -> HttpResponse:
    context = {
        "delete_form": delete_form,
        "balance": wallet_balance(user=request.user),
        "staff_accesses": health_data_access_list(owner_id=request.user.pk),
    }
    return render(request, "accounts/settings.html", context, status=status)


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
            messages.success(request, "Your account and everything in it have been deleted. Take care.")
            return redirect("home")
    messages.error(request, "Your account was not deleted. Please check the form below.")
    return _settings_page(request, form, status=400)
