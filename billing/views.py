from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.selectors import allowance_next, entry_description, ledger_for_person, wallet_balance


@login_required
def credits(request: HttpRequest) -> HttpResponse:
    page = Paginator(ledger_for_person(user=request.user), 25).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.description_shown = entry_description(entry.description)
    return render(
        request,
        "billing/credits.html",
        {
            "balance": wallet_balance(user=request.user),
            "page": page,
            "next_allowance": allowance_next(user=request.user),
        },
    )
