from django import forms
from django.conf import settings
from django.utils.translation import ngettext

from billing.models import LedgerEntry


class CreditChangeForm(forms.Form):
    """Staff: grant credits, or correct a balance up or down.

    Two texts: the description is what the person reads on their credits page; the reason is internal, for the
    audit. A change of more than STAFF_GRANT_CONFIRM_ABOVE credits is only applied once it has been confirmed.
    """

    kind = forms.ChoiceField(
        choices=[(LedgerEntry.Kind.GRANT, "Grant (add credits)"), (LedgerEntry.Kind.ADJUSTMENT, "Adjust (+ or -)")]
    )
    amount = forms.IntegerField(help_text="Credits to add; for an adjustment, negative removes credits.")
    description = forms.CharField(
        max_length=200,
        required=False,
        label="What the person sees",
        help_text='Shown on their credits page, for example "Credits back for the outage on 3 May". '
        'Left empty: "N credits added by our team".',
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        label="Internal reason",
        help_text="For staff and the audit only; never shown to the person.",
    )
    confirm = forms.BooleanField(required=False, label="Yes, apply this large change")

    def __init__(self, *args, people: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.people = people
        self.confirm_above = settings.STAFF_GRANT_CONFIRM_ABOVE

    @property
    def needs_confirmation(self) -> bool:
        amount = self.cleaned_data.get("amount") if hasattr(self, "cleaned_data") else None
        return amount is not None and abs(amount) > self.confirm_above

    def clean(self) -> dict:
        data = super().clean()
        amount, kind = data.get("amount"), data.get("kind")
        if amount is not None:
            if amount == 0:
                self.add_error("amount", "Enter a number of credits other than zero.")
            elif kind == LedgerEntry.Kind.GRANT and amount < 0:
                self.add_error("amount", "A grant adds credits; use an adjustment to remove them.")
            elif abs(amount) > self.confirm_above and not data.get("confirm"):
                each = ""
                if self.people > 1:
                    each = " " + ngettext("for each of %(n)d person", "for each of %(n)d people", self.people) % {
                        "n": self.people
                    }
                self.add_error(
                    "confirm",
                    f"That is more than {self.confirm_above} credits{each}. Check the amount, then tick to confirm.",
                )
        return data
