from django import forms
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sharing.models import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, ShareLink


class ShareLinkForm(forms.Form):
    contents = forms.ChoiceField(
        label=_("What the link shows"),
        choices=ShareLink.Contents.choices,
        initial=ShareLink.Contents.CHECKS,
        widget=forms.RadioSelect,
    )
    days = forms.IntegerField(
        label=_("How many days it works"),
        min_value=MIN_DAYS,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=_("From 1 to 30 days. You can turn it off sooner at any time."),
        error_messages={
            "required": _("Enter a number of days from 1 to 30."),
            "invalid": _("Enter a number of days from 1 to 30."),
            "min_value": _("Enter a number of days from 1 to 30."),
            "max_value": _("Enter a number of days from 1 to 30."),
        },
    )
    language = forms.ChoiceField(label=_("Language of the shared page"), choices=settings.LANGUAGES)
    show_name = forms.BooleanField(label=_("Show my display name on the shared page"), required=False, initial=True)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = (get_language() or "en").split("-")[0]
        self.fields["language"].initial = language if language in dict(settings.LANGUAGES) else "en"
