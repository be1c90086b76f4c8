"""Public, read-only API of the predictor: the questionnaire and the model catalogue."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from predictor.serializers import CatalogueSerializer, QuestionnaireSerializer
from predictor.services import catalogue_summary, schema_as_dict


class QuestionnaireApi(APIView):
    database_free = True  # served from code and the model files: no 503 in a database outage
    permission_classes = [AllowAny]
    authentication_classes = []  # public and read-only: no session, so no CSRF or credentials involved

    @extend_schema(
        operation_id="questionnaire_retrieve",
        summary="The questionnaire: sections, questions, allowed values and the schema version",
        responses={200: QuestionnaireSerializer},
        tags=["predictor"],
    )
    def get(self, request: Request) -> Response:
        return Response(QuestionnaireSerializer(schema_as_dict()).data)


class ModelCatalogueApi(APIView):
    database_free = True  # served from code and the model files: no 503 in a database outage
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        operation_id="models_list",
        summary="The models on offer: cost in credits, active version and held-out validation metrics",
        responses={200: CatalogueSerializer},
        tags=["predictor"],
    )
    def get(self, request: Request) -> Response:
        return Response(CatalogueSerializer(catalogue_summary()).data)
