from django.urls import path

from predictor import api

urlpatterns = [
    path("questionnaire/", api.QuestionnaireApi.as_view(), name="predictor-questionnaire"),
    path("models/", api.ModelCatalogueApi.as_view(), name="predictor-models"),
]
