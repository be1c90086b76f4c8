from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from accounts.models import User
from billing.exceptions import InsufficientCredits
from billing.forms import CreditChangeForm
from billing.selectors import ledger_list
from billing.services import staff_change_audit_message, wallet_staff_change

RECENT_LEDGER_ROWS = 20


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "available_credits", "held_credits", "is_staff", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "display_name"]
    list_select_related = ["wallet"]
    readonly_fields = ["date_joined", "last_login", "recent_ledger"]
    actions = ["change_credits"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("display_name",)}),
        ("Credits", {"fields": ("recent_ledger",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

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
                    entry = wallet_staff_change(
                        user=user,
                        kind=data["kind"],
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
