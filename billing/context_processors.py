"""What checks cost and what is free, for the pages that explain it (home, sign-up, questionnaire, credits)."""

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest


def credit_terms(request: HttpRequest) -> dict:
    costs = sorted(settings.PREDICTOR_MODEL_COSTS.values())
    return {
        "credit_terms": {
            "cheapest": costs[0] if costs else 0,
            "dearest": costs[-1] if costs else 0,
            "welcome": settings.WELCOME_CREDITS,
            "monthly": settings.MONTHLY_ALLOWANCE_CREDITS,
            # Symptom self-checks are free; they are named only once the app that offers them is installed.
            "symptom_checks": apps.is_installed("symptoms"),
        }
    }
