"""With the cache (Redis) unreachable, sign-in, tokens and registration still work, still rate-limited."""

import logging

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from core import throttling

pytestmark = pytest.mark.django_db

DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: refused at once, like a stopped Redis
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def redis_down(monkeypatch):
    # DRF's throttles hold the default cache from import time; point them at a Redis that is not there.
    with override_settings(CACHES=DOWN):
        monkeypatch.setattr(SimpleRateThrottle, "cache", caches["default"])
        throttling._process_cache.clear()
        yield
    throttling._process_cache.clear()


def test_token_refresh_registration_and_web_login_keep_working(
    api_client, member, password, redis_down, client, caplog
):
    with caplog.at_level(logging.WARNING, logger="core.throttling"):
        token = api_client.post(reverse("api-token"), {"email": member.email, "password": password})
        refresh = api_client.post(reverse("api-token-refresh"), {"refresh": token.json()["refresh"]})
        register = api_client.post(
            reverse("api-register"),
            {
                "email": "new@example.com",
                "password": "correct-horse-battery-9",
                "confirm_adult": True,
                "accept_privacy": True,
            },
            format="json",
        )
        login = client.post(reverse("accounts:login"), {"username": member.email, "password": password})

    assert (token.status_code, refresh.status_code, register.status_code, login.status_code) == (200, 200, 202, 302)
    assert "rate-limit cache unreachable" in caplog.text


def test_the_limit_still_holds_per_process_while_the_cache_is_down(api_client, member, redis_down, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/min"})

    codes = [
        api_client.post(reverse("api-token"), {"email": member.email, "password": "wrong"}).status_code
        for _ in range(5)
    ]

    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
