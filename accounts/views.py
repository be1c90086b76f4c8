import math

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.forms import EmailLoginForm, SignupForm
from accounts.services import user_register
from core.throttling import AuthRateThrottle, auth_rate_limited


@auth_rate_limited
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


class WebAuthThrottle(AuthRateThrottle):
    """The API's "auth" rate limit, applied to the web login and sharing its counter per client address."""


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
