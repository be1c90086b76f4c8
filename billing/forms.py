from django import forms

from billing.models import LedgerEntry


class CreditChangeForm(forms.Form):
    """Staff: grant credits, or correct a balance up or down, always with a reason."""

    kind = forms.ChoiceField(
        choices=[(LedgerEntry.Kind.GRANT, "Grant (add credits)"), (LedgerEntry.Kind.ADJUSTMENT, "Adjust (+ or -)")]
    )
    amount = forms.IntegerField(help_text="Credits to add; for an adjustment, negative removes credits.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)

    def clean(self) -> dict:
        data = super().clean()
        amount, kind = data.get("amount"), data.get("kind")
        if amount is not None:
            if amount == 0:
                self.add_error("amount", "Enter a number of credits other than zero.")
            elif kind == LedgerEntry.Kind.GRANT and amount < 0:
                self.add_error("amount", "A grant adds credits; use an adjustment to remove them.")
        return data
