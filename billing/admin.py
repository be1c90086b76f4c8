from django.contrib import admin

from billing.models import LedgerEntry, Wallet


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
