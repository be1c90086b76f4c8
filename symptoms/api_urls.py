from django.urls import path

from symptoms.api import InstrumentListApi, SymptomCheckDetailApi, SymptomCheckFhirApi, SymptomCheckListCreateApi

urlpatterns = [
    path("instruments/", InstrumentListApi.as_view(), name="api-instrument-list"),
    path("symptom-checks/", SymptomCheckListCreateApi.as_view(), name="api-symptom-check-list"),
    path("symptom-checks/<uuid:check_id>/", SymptomCheckDetailApi.as_view(), name="api-symptom-check-detail"),
    path("symptom-checks/<uuid:check_id>/fhir/", SymptomCheckFhirApi.as_view(), name="api-symptom-check-fhir"),
]
