import json

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import IDEMPOTENCY_HEADER, idempotency_key_from, submitted_headers
from symptoms.fhir import CONTENT_TYPE, questionnaire_response
from symptoms.instruments import INSTRUMENTS, PHQ9, instrument_schema
from symptoms.models import SymptomCheck
from symptoms.selectors import symptom_check_get, symptom_check_list
from symptoms.services import symptom_check_submit

IDEMPOTENCY_KEY_MAX_LENGTH = SymptomCheck._meta.get_field("idempotency_key").max_length

PHQ9_EXAMPLE_ANSWERS = {
    "phq9_1": 1, "phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "phq9_5": 0, "phq9_6": 1, "phq9_7": 1, "phq9_8": 0,
    "phq9_9": 1, "phq9_difficulty": 1,
}  # fmt: skip


class InstrumentListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="The symptom questionnaires: items, answer options, bands and LOINC codes (public)",
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="A list of instruments (the example shows the first, the PHQ-9)",
                examples=[OpenApiExample("The PHQ-9", value=[instrument_schema(PHQ9)])],
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response([instrument_schema(instrument) for instrument in INSTRUMENTS.values()])


class SymptomCheckSerializer(serializers.ModelSerializer):
    instrument_name = serializers.SerializerMethodField()
    band_label = serializers.CharField()
    max_total = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    fhir_url = serializers.SerializerMethodField()

    class Meta:
        model = SymptomCheck
        fields = [
            "id", "instrument", "instrument_name", "created_at", "answers", "total", "max_total", "band",
            "band_label", "safety_flag", "url", "fhir_url",
        ]  # fmt: skip

    def get_instrument_name(self, check: SymptomCheck) -> str:
        return check.definition.name

    def get_max_total(self, check: SymptomCheck) -> int:
        return check.definition.max_total

    def get_url(self, check: SymptomCheck) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-symptom-check-detail", args=[check.id]))

    def get_fhir_url(self, check: SymptomCheck) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-symptom-check-fhir", args=[check.id]))


class SymptomCheckSubmitInputSerializer(serializers.Serializer):
    instrument = serializers.CharField(help_text="One of the keys listed by GET /api/v1/instruments/.")
    answers = serializers.JSONField(help_text="Item key -> value 0-3, as described by GET /api/v1/instruments/.")


SUBMIT_EXAMPLE_RESPONSE = {
    "id": "3f8e2a47-5a0e-4a43-9d0b-2f0c1e6b8a11",
    "instrument": "phq9",
    "instrument_name": "PHQ-9",
    "created_at": "2026-12-01T09:30:00Z",
    "answers": PHQ9_EXAMPLE_ANSWERS,
    "total": 9,
    "max_total": 27,
    "band": "mild",
    "band_label": "Mild",
    "safety_flag": True,
    "url": "https://example.org/api/v1/symptom-checks/3f8e2a47-5a0e-4a43-9d0b-2f0c1e6b8a11/",
    "fhir_url": "https://example.org/api/v1/symptom-checks/3f8e2a47-5a0e-4a43-9d0b-2f0c1e6b8a11/fhir/",
}


class SymptomCheckListCreateApi(ListAPIView):
    serializer_class = SymptomCheckSerializer

    def get_queryset(self):
        return symptom_check_list(user=self.request.user, instrument=self.request.query_params.get("instrument"))

    @extend_schema(
        summary="Your symptom checks, newest first",
        parameters=[OpenApiParameter("instrument", description="Only this instrument, e.g. phq9", required=False)],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SymptomCheckSubmitInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="Repeat a request safely: the same key and body return the same check.",
            )
        ],
        responses={
            201: SymptomCheckSerializer,
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="A missing or invalid item (named under extra.fields) or no such instrument",
                examples=[
                    OpenApiExample(
                        "An item left out",
                        value={
                            "message": "Some answers are missing or not valid.",
                            "extra": {"fields": {"phq9_9": ["Please answer question 9."]}},
                        },
                    )
                ],
            ),
            409: OpenApiResponse(description="Idempotency-Key reused with a different body"),
        },
        examples=[
            OpenApiExample("A PHQ-9", value={"instrument": "phq9", "answers": PHQ9_EXAMPLE_ANSWERS}, request_only=True),
            OpenApiExample("Scored at once", value=SUBMIT_EXAMPLE_RESPONSE, response_only=True, status_codes=["201"]),
        ],
        summary="Answer a symptom questionnaire: scored at once, free (never costs credits)",
    )
    def post(self, request: Request) -> Response:
        data = SymptomCheckSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        idempotency_key = idempotency_key_from(request, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        submission = symptom_check_submit(
            user=request.user,
            instrument_key=data.validated_data["instrument"],
            answers=data.validated_data["answers"],
            idempotency_key=idempotency_key,
        )
        body = SymptomCheckSerializer(submission.check, context={"request": request}).data
        headers = submitted_headers(location=body["url"], created=submission.created)
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class SymptomCheckDetailApi(APIView):
    @extend_schema(responses=SymptomCheckSerializer, summary="One of your symptom checks")
    def get(self, request: Request, check_id) -> Response:
        check = symptom_check_get(user=request.user, check_id=check_id)
        return Response(SymptomCheckSerializer(check, context={"request": request}).data)


class SymptomCheckFhirApi(APIView):
    @extend_schema(
        summary="One symptom check as an HL7 FHIR R4 QuestionnaireResponse (LOINC-coded)",
        responses={
            (200, "application/fhir+json"): OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="QuestionnaireResponse (HL7 FHIR R4), LOINC-coded items, answers and total",
                examples=[
                    OpenApiExample(
                        "PHQ-9 QuestionnaireResponse",
                        value={
                            "resourceType": "QuestionnaireResponse",
                            "id": "3f8e2a47-5a0e-4a43-9d0b-2f0c1e6b8a11",
                            "questionnaire": "http://loinc.org/q/44249-1",
                            "status": "completed",
                            "authored": "2026-12-01T09:30:00+00:00",
                            "item": [
                                {
                                    "linkId": "44250-9",
                                    "text": "Little interest or pleasure in doing things",
                                    "answer": [
                                        {
                                            "valueCoding": {
                                                "system": "http://loinc.org",
                                                "code": "LA6569-3",
                                                "display": "Several days",
                                            }
                                        }
                                    ],
                                },
                                {
                                    "linkId": "44261-6",
                                    "text": "Patient Health Questionnaire 9 item (PHQ-9) total score",
                                    "answer": [{"valueInteger": 9}],
                                },
                            ],
                        },
                    )
                ],
            )
        },
    )
    def get(self, request: Request, check_id) -> HttpResponse:
        check = symptom_check_get(user=request.user, check_id=check_id)
        return HttpResponse(json.dumps(questionnaire_response(check), indent=2), content_type=CONTENT_TYPE)
