from django.urls import path

from sharing import views

app_name = "sharing"
urlpatterns = [
    path("summary/share/", views.manage, name="manage"),
    path("summary/share/<uuid:link_id>/revoke/", views.revoke, name="revoke"),
    path("summary/fhir-bundle/", views.fhir_bundle, name="fhir-bundle"),
    # The token is the whole path segment: a link is this URL, and only its hash is stored.
    path("s/<str:token>/", views.shared, name="shared"),
    path("s/<str:token>/fhir/", views.shared_fhir, name="shared-fhir"),
]
