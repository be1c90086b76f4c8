from django import forms


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="To make sure it is you.",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to delete your account."},
    )
    confirm = forms.BooleanField(
        label="I understand that my answers, results, credits and account will be deleted for good.",
        error_messages={"required": "Tick the box to confirm."},
    )
