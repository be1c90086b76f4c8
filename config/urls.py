from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import health
from core import metrics as core_metrics
from core import views as core_views

# admin.site is core.admin_site.StaffAdminSite (core.admin_config): staff sign in with a password and a one-time
# code from a device of theirs (docs/operations.md), on a login form rate-limited like the site's.

# Django tries patterns in order and descends into every include with an empty prefix, so the busiest routes come
# first: a screening's submission and its result are tried before the rest. No two of these patterns overlap.
api_patterns = [
    path("", include("screening.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("billing.api_urls")),
    path("", include("predictor.api_urls")),
    path("", include("symptoms.api_urls")),
    path("", include("privacy.api_urls")),
    path("", include("sharing.api_urls")),
    # Built once per process and language (and format asked for), then served from memory (CACHES["schema"]).
    path(
        "schema/",
        cache_page(settings.SCHEMA_CACHE_SECONDS, cache="schema")(SpectacularAPIView.as_view()),
        name="api-schema",
    ),
    # The split view serves Swagger UI's start-up script as a file, so the docs page runs under the strict CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

# Error pages that need neither the database nor the user; a database outage is a 503 with Retry-After.
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

urlpatterns = [
    # First: the API is most of the traffic, and its prefix is no page's, so a page costs one failed match more.
    path("api/v1/", include(api_patterns)),
    path("", core_views.home, name="home"),
    path("privacy/", core_views.privacy, name="privacy"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("privacy.urls")),
    path("", include("billing.urls")),
    path("", include("predictor.urls")),
    path("", include("symptoms.urls")),
    path("", include("screening.urls")),
    path("", include("sharing.urls")),
    path("", include("reminders.urls")),
    path("admin/", admin.site.urls),
    # Operations: liveness, readiness and the Prometheus scrape (bearer token; see docs/operations.md).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", core_metrics.metrics, name="metrics"),
]
