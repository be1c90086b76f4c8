from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import StrictBooleanField, StrictCharField, idempotency_key_from, idempotency_parameter, submitted_headers
from core.http import answer_wait_preference, preferred_wait
from core.openapi import ErrorSerializer, ValidationErrorSerializer
from predictor.serializers import AnswersSerializer, answers_shape_errors
from predictor.services import model_keys
from screening.exceptions import AnswersRejected
from screening.models import Screening
from screening.movement import screening_movement
from screening.selectors import screening_get, screening_get_awaited, screening_list
from screening.services import screening_submit

IDEMPOTENCY_KEY_MAX_LENGTH = Screening._meta.get_field("idempotency_key").max_length


def detail_url(request: Request, screening: Screening) -> str:
    return request.build_absolute_uri(reverse("api-screening-detail", args=[screening.id]))


@extend_schema_field({"type": "string", "enum": model_keys()})
class ModelKeyField(StrictCharField):
    """A model's key; the service names the models on offer when it is not one."""


@extend_schema_field(AnswersSerializer)
class AnswersField(serializers.DictField):
    """The answers object, typed in the schema from the questionnaire. The serializer checks only its shape (each
    answer's JSON type); the service validates the values, once (ranges, choices, required questions)."""

    def run_child_validation(self, data: dict) -> dict:
        # DictField's child takes every value as it is, but ran a field's whole validation for each answer.
        return {str(key): value for key, value in data.items()}


@extend_schema_field(AnswersSerializer)
class StoredAnswersField(serializers.JSONField):
    """A screening's cleaned answers: every question's key, null where it was skipped."""


class ScreeningSubmitInputSerializer(serializers.Serializer):
    model = ModelKeyField(help_text="One of the keys listed by GET /api/v1/models/.")
    answers = AnswersField(help_text="Question key -> answer, as described by GET /api/v1/questionnaire/.")
    confirm_body_size = StrictBooleanField(
        default=False,
        help_text="Send true to keep a height and weight the site asked about (a body-mass index outside 12-80, "
        "or a weight that looks like pounds sent as kilograms).",
    )

    def validate(self, attrs: dict) -> dict:
        # Raised as the service raises its own, so that each question's messages sit under extra.fields by key.
        if errors := answers_shape_errors(attrs["answers"]):
            raise AnswersRejected(extra={"fields": errors})
        return attrs


class ResultSerializer(serializers.Serializer):
    probability = serializers.FloatField()
    risk_band = serializers.ChoiceField(choices=["low", "moderate", "high"])
    factors = serializers.ListField(
        child=serializers.DictField(),
        help_text="The answers that raised or lowered the estimate: key, questions, text, direction (raises or "
        "lowers), contribution (the change in log-odds).",
    )
    what_ifs = serializers.ListField(
        child=serializers.DictField(),
        help_text="The same model's estimate with one modifiable answer moved to a healthier value: key, instead "
        "(the change in words), changed (the new answer), probability. An association, not a promise.",
    )
    model_version = serializers.CharField()
    base_rate = serializers.FloatField(allow_null=True)
    interval_low = serializers.FloatField(
        allow_null=True, help_text="The lower end of the model's 90 % range around probability (see /models/)."
    )
    interval_high = serializers.FloatField(allow_null=True, help_text="The upper end of that range.")


class ScreeningSerializer(serializers.Serializer):
    """A screening as the API shows it: the one description of the body, in the schema and in every response."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Screening.Status.choices)
    model = serializers.CharField(source="model_key")
    model_name = serializers.CharField(source="get_model_key_display")
    cost = serializers.IntegerField(min_value=0)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    # The model field is encrypted text in the database; the API shows the cleaned answers as JSON.
    answers = StoredAnswersField()
    result = serializers.SerializerMethodField(help_text="Null until the screening is done.")
    error = serializers.CharField(source="error_message", allow_blank=True)
    url = serializers.SerializerMethodField()

    @extend_schema_field(ResultSerializer(allow_null=True))
    def get_result(self, screening: Screening) -> dict | None:
        if screening.status != Screening.Status.DONE:
            return None
        return ResultSerializer(screening).data

    def get_url(self, screening: Screening) -> str:
        return self.context.get("url") or detail_url(self.context["request"], screening)


class EstimateStepSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=["recalibration", "model", "answer"],
        help_text="recalibration: the adjustment to today's prevalence; model: another model or model version "
        "(with anything an unloadable earlier version cannot separate); answer: one changed answer.",
    )
    question = serializers.CharField(allow_null=True, help_text="The question whose answer changed (answer steps).")
    before = serializers.FloatField(help_text="The estimate before this step, on the path from the earlier one.")
    after = serializers.FloatField()
    effect = serializers.FloatField(help_text="after - before: this step's exact share of the difference.")
    margin_change = serializers.FloatField(allow_null=True, help_text="The step's change of the log-odds.")
    contribution_change = serializers.FloatField(
        allow_null=True,
        help_text="The change of the question's own log-odds contributions; equal to margin_change for the "
        "logistic model with every answer given.",
    )


class MovementSerializer(serializers.Serializer):
    earlier = serializers.UUIDField(help_text="The previous finished screening of the same person.")
    start = serializers.FloatField(help_text="Its estimate.")
    end = serializers.FloatField(help_text="This screening's estimate.")
    total = serializers.FloatField(help_text="end - start; the steps' effects add up to it.")
    steps = EstimateStepSerializer(many=True)
    changed_questions = serializers.ListField(child=serializers.CharField())
    separable = serializers.BooleanField(
        help_text="False when a model version could not be loaded: its share is in the model step."
    )
    from_model = serializers.CharField()
    to_model = serializers.CharField()
    from_version = serializers.CharField()
    to_version = serializers.CharField()


class ScreeningMovementSerializer(serializers.Serializer):
    screening = serializers.UUIDField()
    movement = MovementSerializer(
        allow_null=True,
        help_text="How the model's estimate moved since the previous finished screening (not why a mood "
        "changed); null for a first or unfinished screening.",
    )


def movement_representation(screening: Screening) -> dict:
    found = screening_movement(screening=screening)
    movement = None
    if found is not None:
        earlier, moved = found
        movement = {"earlier": str(earlier.id), **moved.as_dict()}
    return {"screening": str(screening.id), "movement": movement}


class ScreeningSubmittedSerializer(serializers.Serializer):
    """What a submission answers before the result (202): where to find the screening."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Screening.Status.choices)
    model = serializers.CharField(source="model_key")
    cost = serializers.IntegerField(min_value=0)
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, screening: Screening) -> str:
        return self.context.get("url") or detail_url(self.context["request"], screening)


def prefer_wait_parameter(description: str) -> OpenApiParameter:
    return OpenApiParameter("Prefer", location=OpenApiParameter.HEADER, required=False, description=description)


class ScreeningListCreateApi(ListAPIView):
    serializer_class = ScreeningSerializer

    def get_queryset(self):
        return screening_list(user=self.request.user)

    @extend_schema(
        request=ScreeningSubmitInputSerializer,
        parameters=[
            idempotency_parameter(
                max_length=IDEMPOTENCY_KEY_MAX_LENGTH,
                description="Repeat a request safely: the same key and body return the same screening.",
            ),
            prefer_wait_parameter(
                "`wait=N` (RFC 7240): wait up to N seconds (at most 20) for the result. Done or failed within them, "
                "the answer is 200 with the whole screening, as GET of its url gives; otherwise 202 as without the "
                "header, and the url says when it is done. `Preference-Applied: wait=N` says it waited."
            ),
        ],
        responses={
            200: OpenApiResponse(ScreeningSerializer, "Prefer: wait=N, and the screening finished within N seconds"),
            202: ScreeningSubmittedSerializer,
            400: OpenApiResponse(
                ValidationErrorSerializer, "Invalid answers (per question under extra.fields) or unknown model"
            ),
            402: OpenApiResponse(ErrorSerializer, "Not enough credits for this model"),
            409: OpenApiResponse(ErrorSerializer, "This Idempotency-Key was used before with another body"),
        },
        summary="Submit answers for scoring",
    )
    def post(self, request: Request) -> Response:
        data = ScreeningSubmitInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        idempotency_key = idempotency_key_from(request, max_length=IDEMPOTENCY_KEY_MAX_LENGTH)
        wait = preferred_wait(request, maximum=settings.SCREENING_WAIT_MAX_SECONDS)
        submission = screening_submit(
            user=request.user,
            model_key=data.validated_data["model"],
            answers=data.validated_data["answers"],
            idempotency_key=idempotency_key,
            confirm_body_size=data.validated_data["confirm_body_size"],
            score_here=bool(wait),  # the client waits anyway: scored in this request when a slot is free
        )
        location = detail_url(request, submission.screening)
        headers = submitted_headers(location=location, created=submission.created)
        screening, waited = submission.screening, bool(wait)
        if wait and not screening.is_finished:
            # One request instead of a submission and a waiting GET: the result, once stored, wakes this one.
            screening, waited = screening_get_awaited(user=request.user, screening_id=screening.id, wait=wait)
        context = {"request": request, "url": location}
        if wait and screening.is_finished:
            response = Response(ScreeningSerializer(screening, context=context).data, headers=headers)
        else:
            body = ScreeningSubmittedSerializer(submission.screening, context=context).data
            response = Response(body, status=status.HTTP_202_ACCEPTED, headers=headers)
        return answer_wait_preference(response, wait=wait, waited=waited)


class ScreeningDetailApi(APIView):
    @extend_schema(
        responses=ScreeningSerializer,
        summary="One screening; result is null until it is done",
        parameters=[
            prefer_wait_parameter(
                "`wait=N` (RFC 7240): answer as soon as the screening is done or failed, or after N seconds (at "
                "most 20). The response carries `Preference-Applied: wait=N` when it waited; without it the server "
                "was too busy to wait and answered at once, so ask again after a short pause."
            )
        ],
    )
    def get(self, request: Request, screening_id) -> Response:
        wait = preferred_wait(request, maximum=settings.SCREENING_WAIT_MAX_SECONDS)
        screening, waited = screening_get_awaited(user=request.user, screening_id=screening_id, wait=wait)
        response = Response(ScreeningSerializer(screening, context={"request": request}).data)
        return answer_wait_preference(response, wait=wait, waited=waited)


class ScreeningMovementApi(APIView):
    """Kept beside the detail rather than in it: the detail answers every poll in one query without scoring, and
    the breakdown scores several states with the predictor, so it is worked out only when asked for."""

    @extend_schema(
        responses=ScreeningMovementSerializer,
        summary="What moved this screening's estimate since the previous finished one: recalibration, model "
        "version and each changed answer, adding up to the difference",
    )
    def get(self, request: Request, screening_id) -> Response:
        screening = screening_get(user=request.user, screening_id=screening_id)
        return Response(movement_representation(screening))
