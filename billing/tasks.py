from celery import shared_task

from billing.services import allowance_grant_month


@shared_task
def grant_monthly_allowance() -> int:
    return allowance_grant_month()
