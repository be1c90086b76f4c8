from django import forms
from django.utils.translation import gettext_lazy


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        help_text=gettext_lazy("To make sure it is you."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": gettext_lazy("Enter your password to delete your account.")},
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that my answers, results, credits and account will be deleted for good."),
        error_messages={"required": gettext_lazy("Tick the box to confirm.")},
    )
