from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User
from billing.exceptions import InsufficientCredits
from billing.forms import CreditChangeForm
from billing.models import LedgerEntry, Wallet
from billing.selectors import ledger_list
from billing.services import wallet_adjust, wallet_grant

RECENT_LEDGER_ROWS = 20


def staff_change_audit_message(entry: LedgerEntry, *, confirmed: bool) -> str:
    """The admin history line for a staff change: amount, both texts, and whether it needed confirming."""
    line = (
        f"Credits: {entry.get_kind_display().lower()} {entry.amount:+d} (ledger entry {entry.pk}). "
        f'Shown to the person: "{entry.description}". Internal reason: "{entry.reason}".'
    )
    if confirmed:
        line += f" Confirmed as a change above {settings.STAFF_GRANT_CONFIRM_ABOVE} credits."
    return line


class ReadOnlyAdmin(admin.ModelAdmin):
    """Balances change only through the billing services, never by editing rows."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ["user", "available", "held", "updated_at"]
    search_fields = ["user__email"]
    list_select_related = ["user"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user_email", "kind", "amount", "available_after", "held_after", "author", "reason"]
    list_filter = ["kind", "created_at"]
    search_fields = ["wallet__user__email", "description", "reason"]
    list_select_related = ["wallet__user", "author"]
    date_hierarchy = "created_at"

    @admin.display(description="user", ordering="wallet__user__email")
    def user_email(self, obj: LedgerEntry) -> str:
        return obj.wallet.user.email


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    """The accounts app's user admin with each person's wallet, recent ledger and the grant action."""

    list_display = ["email", "display_name", "available_credits", "held_credits", "is_staff", "date_joined"]
    list_select_related = ["wallet"]
    readonly_fields = [*AccountsUserAdmin.readonly_fields, "recent_ledger"]
    actions = ["change_credits"]
    fieldsets = (
        *AccountsUserAdmin.fieldsets[:2],
        ("Credits", {"fields": ("recent_ledger",)}),
        *AccountsUserAdmin.fieldsets[2:],
    )

    @admin.display(description="available")
    def available_credits(self, obj: User) -> int | None:
        return getattr(getattr(obj, "wallet", None), "available", None)

    @admin.display(description="held")
    def held_credits(self, obj: User) -> int | None:
        return getattr(getattr(obj, "wallet", None), "held", None)

    @admin.display(description="Wallet and recent ledger")
    def recent_ledger(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        wallet = getattr(obj, "wallet", None)
        entries = list(ledger_list(user=obj)[:RECENT_LEDGER_ROWS])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.created_at.strftime("%Y-%m-%d %H:%M"),
                    e.get_kind_display(),
                    f"{e.amount:+d}",
                    e.available_after,
                    e.held_after,
                    e.description,
                    e.reason,
                )
                for e in entries
            ),
        )
        link = reverse("admin:billing_ledgerentry_changelist") + f"?wallet__user__id__exact={obj.pk}"
        return format_html(
            "<p>Available: <strong>{}</strong> · held: <strong>{}</strong> · <a href='{}'>full ledger</a></p>"
            "<table><thead><tr><th>when</th><th>kind</th><th>amount</th><th>available after</th>"
            "<th>held after</th><th>shown to the person</th><th>internal reason</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            wallet.available if wallet else 0,
            wallet.held if wallet else 0,
            link,
            rows,
        )

    def has_change_credits_permission(self, request: HttpRequest) -> bool:
        # Seeing users is not enough to mint credits: it takes the right to add ledger entries.
        return request.user.has_perm("billing.add_ledgerentry")

    @admin.action(description="Grant or adjust credits…", permissions=["change_credits"])
    def change_credits(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        form = CreditChangeForm(request.POST if "apply" in request.POST else None, people=queryset.count())
        if "apply" in request.POST and form.is_valid():
            data = form.cleaned_data
            done = 0
            for user in queryset:
                try:
                    change = wallet_grant if data["kind"] == LedgerEntry.Kind.GRANT else wallet_adjust
                    entry = change(
                        user=user,
                        amount=data["amount"],
                        author=request.user,
                        reason=data["reason"],
                        description=data["description"],
                    )
                except (InsufficientCredits, ValueError, ValidationError) as error:
                    self.message_user(request, f"{user.email}: {error}", level=messages.ERROR)
                    continue
                # The admin's own history of this user records who did it, what the person sees and why.
                self.log_change(request, user, staff_change_audit_message(entry, confirmed=form.needs_confirmation))
                done += 1
            if done:
                self.message_user(
                    request,
                    ngettext("Credits changed for %(n)d person.", "Credits changed for %(n)d people.", done)
                    % {"n": done},
                    level=messages.SUCCESS,
                )
            return None
        return render(
            request,
            "admin/accounts/change_credits.html",
            {
                **self.admin_site.each_context(request),
                "title": "Grant or adjust credits",
                "form": form,
                "users": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )
