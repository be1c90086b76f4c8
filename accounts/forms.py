from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import password_validate
from core.models import COUNTRIES

# Help texts with a link: translated when shown, and marked safe then (the text is ours, not the person's).
mark_safe_lazy = lazy(mark_safe, str)


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    display_name = forms.CharField(
        max_length=80,
        required=False,
        label=gettext_lazy("Display name (optional)"),
        help_text=gettext_lazy("How the site greets you. You can leave it empty."),
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm_adult = forms.BooleanField(
        label=gettext_lazy("I am 18 or older."),
        help_text=mark_safe_lazy(
            gettext_lazy(
                "This site is for adults. If you are younger than 18, please talk to someone you trust, or reach a "
                "service for young people: in the US call or text 988, or find a helpline for children and young "
                'people in your country at <a href="https://childhelplineinternational.org/helplines/" '
                'rel="noopener noreferrer">Child Helpline International</a>.'
            )
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm you are 18 or older.")},
    )
    accept_privacy = forms.BooleanField(
        label=gettext_lazy(
            "I have read the privacy notice and agree that my answers and results are stored to give me my checks."
        ),
        help_text=mark_safe_lazy(
            gettext_lazy(
                '<a href="/privacy/">Read the privacy notice</a>: what we keep, who can see it, and how to download '
                "or delete it."
            )
        ),
        error_messages={
            "required": gettext_lazy("Tick the box to agree to the privacy notice, or we cannot store your checks.")
        },
    )

    field_order = ["email", "display_name", "country"]  # the rest in the order declared

    country = forms.ChoiceField(
        label=gettext_lazy("Your country (optional)"),
        required=False,
        help_text=gettext_lazy("So that we show the helplines and the emergency number of your country."),
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()

    def clean_email(self) -> str:
        # Never whether it has an account: that is answered the same way (accounts.services.user_sign_up).
        return User.objects.normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords are not the same."))
        elif p1:
            try:
                password_validate(password=p1, email=data.get("email", ""), display_name=data.get("display_name", ""))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy("That email and password do not match an account."),
    }


def country_choices() -> list[tuple[str, str]]:
    """ "Not given" first, then the countries whose helplines the site knows, by name in the active language."""
    named = sorted(((code, str(name)) for code, name in COUNTRIES.items()), key=lambda choice: choice[1])
    return [("", str(gettext_lazy("Another country, or I would rather not say"))), *named]


class CountryForm(forms.Form):
    """The country on the account page: asked once at sign-up, changed here."""

    country = forms.ChoiceField(
        label=gettext_lazy("Your country"),
        required=False,
        help_text=gettext_lazy(
            "The help resources on every page are those of this country, with its emergency number. Without one, "
            "we use the country your browser's language names, if it names one; otherwise we show help that works "
            "anywhere and ask you to call your local emergency number."
        ),
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, its e-mail sent by a retried task instead of inside the request.

    With the mail server unreachable the page used to say "sent" and the mail was lost. The task retries, and
    counts and logs (by id) a mail it finally could not send. The page says the same whether or not the address
    has an account.
    """

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        from accounts.tasks import send_password_reset

        send_password_reset.delay(
            user_id=context["user"].pk,
            domain=context["domain"],
            use_https=context["protocol"] == "https",
            language=get_language(),
        )
