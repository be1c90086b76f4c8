from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.selectors import help_resources_for_request


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"help_resources": help_resources_for_request(request)})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html", {"help_resources": help_resources_for_request(request)})
