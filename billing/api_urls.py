from django.urls import path

from billing.api import BalanceApi, LedgerApi

urlpatterns = [
    path("billing/balance/", BalanceApi.as_view(), name="api-billing-balance"),
    path("billing/ledger/", LedgerApi.as_view(), name="api-billing-ledger"),
]
