from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.models import HelpResource


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"help_resources": HelpResource.objects.for_display()})


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "core/privacy.html", {"help_resources": HelpResource.objects.for_display()})
