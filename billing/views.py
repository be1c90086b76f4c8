from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.selectors import ledger_list, wallet_balance


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    page = Paginator(ledger_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "billing/credits.html",
        {"balance": wallet_balance(user=request.user), "page": page},
    )
