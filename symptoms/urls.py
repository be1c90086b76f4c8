from django.urls import path

from symptoms import views

app_name = "symptoms"
urlpatterns = [
    path("symptoms/", views.index, name="index"),
    path("symptoms/fhir/", views.fhir_all, name="fhir-all"),
    path("symptoms/keep/", views.keep, name="keep"),
    path("symptoms/<slug:instrument_key>/", views.new, name="new"),
    path("symptoms/checks/<uuid:check_id>/", views.detail, name="detail"),
    path("symptoms/checks/<uuid:check_id>/fhir/", views.fhir, name="fhir"),
]
