import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.forms import CountryForm, EmailLoginForm, SignupForm
from accounts.services import language_or_blank, user_set_country, user_set_language, user_sign_up
from core.middleware import LANGUAGE_SESSION_KEY
from core.models import COUNTRIES
from core.selectors import HELP_COUNTRY_COOKIE, HELP_COUNTRY_NONE
from core.throttling import AuthRateThrottle, auth_rate_limited

# One message for an address with or without an account (OWASP Authentication Cheat Sheet).
SIGNED_UP = gettext_lazy(
    "If this address can be used, your account is ready: sign in. We have sent you an email either way."
)


@auth_rate_limited
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            language=translation.get_language(),
            country=form.cleaned_data["country"],
            # What the visitor chose to keep before signing up (a symptom check) becomes a new account's own.
            session=request.session,
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
        # The same page and words for a new address and for one with an account, and no one is signed in: signing
        # the new person in was the difference that told a stranger whether an address had an account.
        messages.success(request, SIGNED_UP)
        next_url = _safe_next(request)
        login_url = reverse("accounts:login")
        return redirect(f"{login_url}?{urlencode({'next': next_url})}" if next_url else login_url)
    return render(request, "accounts/signup.html", {"form": form})


def _safe_next(request: HttpRequest) -> str:
    """The page a sign-up started from (`?next=`), when it is one of ours."""
    next_url = request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return next_url if next_url and allowed else ""


class WebAuthThrottle(AuthRateThrottle):
    """The API's "auth" rate limit, applied to the web login and sharing its counter per client address."""


class LoginView(auth_views.LoginView):
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        throttle = WebAuthThrottle()
        if not throttle.allow_request(request, self):
            # Refused before any password is checked, so guessing gains nothing.
            seconds = math.ceil(throttle.wait() or 1)
            messages.error(
                request,
                translation.ngettext(
                    "Too many attempts. Try again in %(seconds)d second.",
                    "Too many attempts. Try again in %(seconds)d seconds.",
                    seconds,
                )
                % {"seconds": seconds},
            )
            form = self.authentication_form(request, initial={"username": request.POST.get("username", "")})
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("You are logged in."))
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out. Take care."))
        return response


HELP_COUNTRY_COOKIE_AGE = 365 * 24 * 60 * 60  # a year, then the browser's language decides again


def _safe_return_url(request: HttpRequest) -> str:
    next_url = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    return next_url


@require_POST
def help_country(request: HttpRequest) -> HttpResponse:
    """The footer's "Helplines for" selector (a plain form, no JavaScript): whose crisis lines and emergency number
    the pages show. Kept in a cookie for a visitor; a signed-in person's account keeps it ("another country"
    forgets it). Back to the same page, at the help."""
    chosen = (request.POST.get("country") or "").strip()
    response = HttpResponseRedirect(_safe_return_url(request).split("#")[0] + "#help")
    if chosen != HELP_COUNTRY_NONE and chosen.upper() not in COUNTRIES:
        return response
    value = HELP_COUNTRY_NONE if chosen == HELP_COUNTRY_NONE else chosen.upper()
    if request.user.is_authenticated:
        user_set_country(user=request.user, country="" if value == HELP_COUNTRY_NONE else value)
    response.set_cookie(
        HELP_COUNTRY_COOKIE,
        value,
        max_age=HELP_COUNTRY_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The language switcher (a plain form, no JavaScript): like Django's set_language, and for a signed-in person
    the choice is kept on their account, so it follows them to their next sign-in on any device."""
    response = HttpResponseRedirect(_safe_return_url(request))
    chosen = language_or_blank(request.POST.get("language"))
    if not chosen:
        return response
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=chosen)
        request.session[LANGUAGE_SESSION_KEY] = chosen
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        chosen,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


@require_POST
@login_required
def country(request: HttpRequest) -> HttpResponse:
    """Change the country on the account page; back to it, where the help resources now follow it."""
    form = CountryForm(request.POST)
    if form.is_valid():
        user_set_country(user=request.user, country=form.cleaned_data["country"])
        messages.success(request, _("Saved. The help resources are now those of the country you chose."))
    else:
        messages.error(request, _("Choose a country from the list."))
    return redirect(reverse("privacy:settings") + "#country")
