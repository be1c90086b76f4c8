from django.urls import path

from screening.api import ScreeningDetailApi, ScreeningListCreateApi, ScreeningMovementApi

urlpatterns = [
    path("screenings/", ScreeningListCreateApi.as_view(), name="api-screening-list"),
    path("screenings/<uuid:screening_id>/", ScreeningDetailApi.as_view(), name="api-screening-detail"),
    path("screenings/<uuid:screening_id>/movement/", ScreeningMovementApi.as_view(), name="api-screening-movement"),
]
