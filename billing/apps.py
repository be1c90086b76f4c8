from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from accounts.services import user_registered

        user_registered.connect(_open_wallet, dispatch_uid="billing-open-wallet-on-registration")


def _open_wallet(sender, user, **kwargs) -> None:
    from billing.services import wallet_create

    wallet_create(user=user)
