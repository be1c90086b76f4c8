import json
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictCharField, idempotency_key_from, idempotency_parameter, submitted_headers
from core.openapi import ErrorSerializer, ValidationErrorSerializer
from symptoms.change import CheckChange, Comparison
from symptoms.exceptions import SymptomAnswersRejected
from symptoms.fhir import CONTENT_TYPE, questionnaire_response
from symptoms.instruments import INSTRUMENTS, PHQ9, Instrument, Item, Option, instrument_schema
from symptoms.limits import BURST, DAILY
from symptoms.models import SymptomCheck
from symptoms.selectors import symptom_changes, symptom_check_get, symptom_check_list
from symptoms.services import symptom_check_submit

IDEMPOTENCY_KEY_MAX_LENGTH = SymptomCheck._meta.get_field("idempotency_key").max_length

PHQ9_EXAMPLE_ANSWERS = {
    "phq9_1": 1, "phq9_2": 2, "phq9_3": 1, "phq9_4": 2, "phq9_5": 0, "phq9_6": 1, "phq9_7": 1, "phq9_8": 0,
    "phq9_9": 1, "phq9_difficulty": 1,
}  # fmt: skip


class OptionSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=0)
    label = serializers.CharField()
    loinc = serializers.CharField()


class ItemSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The answer's key in `answers`, e.g. phq9_9.")
    number = serializers.IntegerField(min_value=1)
    text = serializers.CharField()
    loinc = serializers.CharField()
    required = serializers.BooleanField()


class DifficultySerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    loinc = serializers.CharField(allow_null=True)
    required = serializers.BooleanField()
    options = OptionSerializer(many=True)


class BandSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    min = serializers.IntegerField(min_value=0)
    max = serializers.IntegerField(min_value=0)


class InstrumentSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    title = serializers.CharField()
    loinc = serializers.CharField()
    total_loinc = serializers.CharField()
    language = serializers.CharField(help_text="BCP 47 tag of the wording served, e.g. en-US or es-US.")
    fallback = serializers.BooleanField(help_text="True when the English original stands in for the language asked.")
    recall_period = serializers.CharField()
    instructions = serializers.CharField()
    items = ItemSerializer(many=True)
    options = OptionSerializer(many=True)
    difficulty = DifficultySerializer(allow_null=True)
    max_total = serializers.IntegerField(min_value=0)
    bands = BandSerializer(many=True)
    source = serializers.CharField()


class InstrumentListApi(APIView):
    database_free = True  # served from code and the model files: no 503 in a database outage
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="The symptom questionnaires: items, answer options, bands and LOINC codes (public)",
        responses={
            200: OpenApiResponse(
                response=InstrumentSerializer(many=True),
                description="Every instrument, in the request's language where a published version is held "
                "(the example shows the first, the PHQ-9)",
                examples=[OpenApiExample("The PHQ-9", value=instrument_schema(PHQ9, "en"))],
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response([instrument_schema(instrument) for instrument in INSTRUMENTS.values()])


# --- Answers, typed from symptoms.instruments at import: one component per instrument ------------------------------


def _item_field(item: Item, options: tuple[Option, ...], *, required: bool) -> serializers.IntegerField:
    values = [option.value for option in options]
    labels = ", ".join(f"{option.value} = {option.label}" for option in options)
    return serializers.IntegerField(
        min_value=min(values),
        max_value=max(values),
        required=required,
        allow_null=not required,
        label=f"{item.number}. {item.text}",
        help_text=labels + ("" if required else "; may be left out or null"),
    )


def _answers_serializer(instrument: Instrument) -> type[serializers.Serializer]:
    fields = {item.key: _item_field(item, instrument.options, required=True) for item in instrument.items}
    if instrument.difficulty:
        fields[instrument.difficulty.key] = _item_field(
            instrument.difficulty, instrument.difficulty_options, required=False
        )
    doc = f"{instrument.name} answers: every item 0-3, the difficulty question optional; an unknown key is refused."
    name = f"{instrument.key.capitalize()}AnswersSerializer"
    return type(name, (serializers.Serializer,), {"__doc__": doc, **fields})


ANSWERS_SERIALIZERS = {key: _answers_serializer(instrument) for key, instrument in INSTRUMENTS.items()}


class AnswersSerializerExtension(OpenApiSerializerExtension):
    target_class = serializers.Serializer
    match_subclasses = True
    priority = -1

    @classmethod
    def _matches(cls, target) -> bool:
        return (target if isinstance(target, type) else type(target)) in ANSWERS_SERIALIZERS.values()

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            schema["additionalProperties"] = False  # what the API refuses, the schema says
        return schema


def _submit_serializer(instrument: Instrument) -> type[serializers.Serializer]:
    fields = {
        "instrument": serializers.ChoiceField(choices=[(instrument.key, instrument.name)]),
        "answers": ANSWERS_SERIALIZERS[instrument.key](),
    }
    name = f"{instrument.key.capitalize()}SymptomCheckSubmitSerializer"
    return type(name, (serializers.Serializer,), {"__doc__": f"A {instrument.name} to score.", **fields})


SUBMIT_REQUEST = PolymorphicProxySerializer(
    component_name="SymptomCheckSubmit",
    serializers={key: _submit_serializer(instrument) for key, instrument in INSTRUMENTS.items()},
    resource_type_field_name="instrument",
)


def _json_item_error(item: Item, value: Any) -> str | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        return _("Question %(number)d: send the value as a whole number from 0 to 3.") % {"number": item.number}
    return None


def submission_shape_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with the shape of a JSON submission's answers: each item a JSON integer (or null), as the
    schema above gives it. The values (the scale, required items, unknown keys) are the service's to check, with
    the instrument's validate_answers, once; an unknown instrument too, naming those on offer."""
    instrument = INSTRUMENTS.get(data["instrument"])
    if instrument is None:
        return {}
    answers = data["answers"]
    return {
        item.key: [message]
        for item in instrument.questions()
        if item.key in answers and (message := _json_item_error(item, answers[item.key]))
    }


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="SymptomAnswers", serializers=list(ANSWERS_SERIALIZERS.values()), resource_type_field_name=None
    )
)
class StoredAnswersField(serializers.JSONField):
    """A check's answers: every item's key and value, the difficulty question null when it was left out."""


class ChangeLabelSerializer(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=[
            "reliable_improvement", "no_reliable_change", "reliable_deterioration", "response", "remission",
            "recovery",
        ]
    )  # fmt: skip
    rule_set = serializers.CharField(help_text="The rule set's key, e.g. nhs_talking_therapies or ncqa.")
    rule = serializers.CharField(help_text="The rule in words, naming its rule set.")
    text = serializers.CharField(help_text="What the label means, in the request's language.")
    points_to_help = serializers.BooleanField(help_text="True for a reliable deterioration: show help beside it.")


class ComparisonSerializer(serializers.Serializer):
    check_id = serializers.UUIDField(help_text="The earlier check compared with.")
    created_at = serializers.DateTimeField()
    total = serializers.IntegerField(help_text="The earlier check's total.")
    difference = serializers.IntegerField(help_text="This check's total minus the earlier one's.")
    labels = ChangeLabelSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    previous = ComparisonSerializer(help_text="Against the check of the same questionnaire just before this one.")
    baseline = ComparisonSerializer(help_text="Against the person's first check of this questionnaire.")


def _comparison(comparison: Comparison) -> dict[str, Any]:
    return {
        "check_id": str(comparison.earlier.id),
        "created_at": serializers.DateTimeField().to_representation(comparison.earlier.at),
        "total": comparison.earlier.total,
        "difference": comparison.difference,
        "labels": [label.as_dict() for label in comparison.labels],
    }


def change_representation(change: CheckChange | None) -> dict[str, Any] | None:
    """A check's labels (symptoms.change) for the API; None for a questionnaire's first check."""
    if change is None or change.baseline is None or change.previous is None:
        return None
    return {"previous": _comparison(change.previous), "baseline": _comparison(change.baseline)}


class SymptomCheckSerializer(serializers.ModelSerializer):
    instrument_name = serializers.SerializerMethodField()
    band_label = serializers.CharField()
    max_total = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    fhir_url = serializers.SerializerMethodField()
    # Declared: the answers are stored encrypted; the API shows them as the instrument's typed object.
    answers = StoredAnswersField(read_only=True)
    change = serializers.SerializerMethodField(
        help_text="Against the previous and the first check of the same questionnaire, labelled by published "
        "rules (NHS Talking Therapies, NCQA; see docs/symptoms.md); null for the first check."
    )

    class Meta:
        model = SymptomCheck
        fields = [
            "id", "instrument", "instrument_name", "created_at", "answers", "total", "max_total", "band",
            "band_label", "safety_flag", "change", "url", "fhir_url",
        ]  # fmt: skip

    @extend_schema_field(ChangeSerializer(allow_null=True))
    def get_change(self, check: SymptomCheck) -> dict[str, Any] | None:
        changes = self.context.get("changes")
        if changes is None:
            changes = symptom_changes(user=self.context["request"].user)
        return change_representation(changes.get(check.id))

    def get_instrument_name(self, check: SymptomCheck) -> str:
        return check.definition.name

    def get_max_total(self, check: SymptomCheck) -> int:
        return check.definition.max_total

    def get_url(self, check: SymptomCheck) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-symptom-check-detail", args=[check.id]))

    def get_fhir_url(self, check: SymptomCheck) -> str:
        return self.context["request"].build_absolute_uri(reverse("api-symptom-check-fhir", args=[check.id]))


class SymptomCheckSubmitInputSerializer(serializers.Serializer):
    instrument = StrictCharField(help_text="One of the keys listed by GET /api/v1/instruments/.")
    answers = serializers.DictField(help_text="Item key -> value 0-3, as described by GET /api/v1/instruments/.")


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
    "change": None,
    "fhir_url": "https://example.org/api/v1/symptom-checks/3f8e2a47-5a0e-4a43-9d0b-2f0c1e6b8a11/fhir/",
}


class SymptomCheckListCreateApi(ListAPIView):
    serializer_class = SymptomCheckSerializer

    def get_queryset(self):
        instruments = self.request.query_params.getlist("instrument")
        if len(instruments) > 1 or (instruments and instruments[0] not in INSTRUMENTS):
            message = _("Send one of: %(keys)s, once.") % {"keys": ", ".join(INSTRUMENTS)}
            raise ValidationError({"instrument": [message]})
        return symptom_check_list(user=self.request.user, instrument=instruments[0] if instruments else None)

    def get_serializer_context(self) -> dict[str, Any]:
        # Every check's labels from one read, not one per check listed.
        return {**super().get_serializer_context(), "changes": symptom_changes(user=self.request.user)}

    @extend_schema(
        summary="Your symptom checks, newest first",
        parameters=[
            OpenApiParameter(
                "instrument",
                type={"type": "string", "enum": list(INSTRUMENTS)},
                description="Only this instrument",
                required=False,
            )
        ],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=SUBMIT_REQUEST,
        parameters=[
            idempotency_parameter(
                max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
                description="Repeat a request safely: the same key and body return the same check.",
            ),
            OpenApiParameter(
                "Retry-After",
                location=OpenApiParameter.HEADER,
                type=int,
                response=[429],
                description="Seconds until one more check may be stored.",
            ),
        ],
        responses={
            201: SymptomCheckSerializer,
            400: OpenApiResponse(
                response=ValidationErrorSerializer,
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
            409: OpenApiResponse(ErrorSerializer, "This Idempotency-Key was used before with another body"),
            429: OpenApiResponse(
                ErrorSerializer,
                f"Past the person's volume limit, nothing stored: at most {DAILY.checks} checks in 24 hours and "
                f"{BURST.checks} in {BURST.window.seconds // 60} minutes (docs/symptoms.md#how-many-checks-a-day). "
                "`extra` names the limit (`checks`, `window_seconds`), "
                "`retry_after` in seconds (also the Retry-After header) and `safety_flag`: whether these answers "
                "would have opened the safety path, so a client still shows its crisis lines. A replay of an "
                "Idempotency-Key is never refused.",
                examples=[
                    OpenApiExample(
                        "20 in a day",
                        value={
                            "message": "You have sent 20 questionnaires in the last 24 hours, the most we store for "
                            "one person in a day. They ask about the last 2 weeks, so answering more often does not "
                            "tell more. Your answers were not stored; you can send them in 3 hours.",
                            "extra": {
                                "limit": {"checks": 20, "window_seconds": 86400},
                                "retry_after": 9840,
                                "safety_flag": False,
                            },
                        },
                    )
                ],
            ),
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
        if errors := submission_shape_errors(data.validated_data):
            raise SymptomAnswersRejected(extra={"fields": errors})
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


class FhirContentNegotiation(DefaultContentNegotiation):
    """Lets a FHIR client ask for `Accept: application/fhir+json` (DRF would answer 406): it is read as JSON, and the
    resource is served as application/fhir+json whichever JSON type was asked for; an error is JSON in the API's one
    shape."""

    def get_accept_list(self, request: Request) -> list[str]:
        accepts = super().get_accept_list(request)
        return ["application/json" if a.split(";")[0].strip() == CONTENT_TYPE.split(";")[0] else a for a in accepts]


class SymptomCheckFhirApi(APIView):
    content_negotiation_class = FhirContentNegotiation

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
