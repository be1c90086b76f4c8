"""DRF serializers generated from the questionnaire schema (input) and describing the predictor's outputs."""

from __future__ import annotations

from typing import Any

from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from predictor.schema import NONE_OF_THESE, QUESTIONS, QUESTIONS_BY_KEY, Question


def _answer_field(question: Question) -> serializers.Field:
    """The question as a typed DRF field, for the OpenAPI schema: type, range, choices, required and nullable."""
    common: dict[str, Any] = {
        "required": not question.optional,
        "allow_null": question.optional,
        "label": question.label,
        # Lazy: the questions' texts are translated when the schema is rendered; keys and values stay English.
        "help_text": format_lazy("{} Unit: {}.", question.help_text, question.unit)
        if question.unit
        else question.help_text,
    }
    if question.kind == "integer":
        return serializers.IntegerField(min_value=question.min_value, max_value=question.max_value, **common)
    if question.kind == "number":
        return serializers.FloatField(min_value=question.min_value, max_value=question.max_value, **common)
    if question.kind == "choice":
        return serializers.ChoiceField(choices=list(question.choices), **common)
    return MultichoiceAnswerField(choices=list(question.choices), allow_empty=True, **common)


class MultichoiceAnswerField(serializers.MultipleChoiceField):
    """A tick-all-that-apply question: a list of distinct choices, or ["none"] alone (predictor.schema)."""


class MultichoiceAnswerFieldExtension(OpenApiSerializerFieldExtension):
    target_class = MultichoiceAnswerField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        choices = [str(value) for value in field.choices if value != NONE_OF_THESE]
        schema: dict[str, Any] = {
            "oneOf": [
                {"type": "array", "items": {"type": "string", "enum": choices}, "uniqueItems": True},
                {"type": "array", "items": {"type": "string", "enum": [NONE_OF_THESE]}, "minItems": 1, "maxItems": 1},
            ],
        }
        if field.allow_null:
            schema["nullable"] = True
        return schema


def _json_type_error(question: Question, value: Any) -> str | None:
    """What is wrong with the JSON type of an answer the API received, or None. The API takes the types its schema
    promises — a number as a JSON number, a choice as a string — where the web form reads text (validate_answers
    checks the values for both: ranges, which strings are choices)."""
    if value is None:
        return None if question.optional else _("This question is required.")
    if question.kind == "integer":
        return None if isinstance(value, int) and not isinstance(value, bool) else _("Send a whole number.")
    if question.kind == "number":
        return None if isinstance(value, int | float) and not isinstance(value, bool) else _("Send a number.")
    if question.kind == "choice":
        # A string, and not a blank one: the API skips a question with null (the web form with ""). Which strings
        # are choices is the service's to check.
        if isinstance(value, str) and value.strip():
            return None
        return _("Choose one of: %(choices)s.") % {"choices": ", ".join(choice for choice, _ in question.choices)}
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return _("Send a list of choices.")
    if len(set(value)) != len(value):
        return _("Send each choice once.")
    return None


def answers_shape_errors(data: Any) -> dict[str, list[str]]:
    """What is wrong with the shape of answers sent to the API as JSON: an object, each answer of the JSON type the
    schema of `AnswersSerializer` gives it. The values themselves (ranges, choices, required questions, unknown
    keys) are the service's to check, with `validate_answers`, once."""
    if not isinstance(data, dict):
        return {"answers": [_("Send the answers as a JSON object of question: answer.")]}
    errors: dict[str, list[str]] = {}
    for key, value in data.items():
        question = QUESTIONS_BY_KEY.get(key)
        if question is not None and (message := _json_type_error(question, value)):
            errors[key] = [message]
    return errors


class _AnswersSerializer(serializers.Serializer):
    """Questionnaire answers: one property per question, typed from predictor.schema (built once, at import).
    Optional questions may be left out or sent as null ("prefer not to say"); an unknown key is refused.

    It describes the answers in the OpenAPI schema; the API checks their shape (answers_shape_errors) and the
    services validate them (validate_answers)."""


AnswersSerializer = extend_schema_serializer(component_name="QuestionnaireAnswers")(
    type(
        "AnswersSerializer",
        (_AnswersSerializer,),
        {"__doc__": _AnswersSerializer.__doc__, **{question.key: _answer_field(question) for question in QUESTIONS}},
    )
)


class AnswersSerializerExtension(OpenApiSerializerExtension):
    target_class = AnswersSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        if direction == "request":
            # What the API refuses, the schema says: no key that is not a question.
            schema["additionalProperties"] = False
        return schema


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class UnitPartSerializer(serializers.Serializer):
    key = serializers.CharField()
    unit = serializers.CharField()
    factor = serializers.FloatField(help_text="The question's own units per one of this part (1 lb = 0.4536 kg).")


class UnitChoiceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    parts = UnitPartSerializer(many=True)


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    help_text = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["integer", "number", "choice", "multichoice"])
    section = serializers.CharField()
    choices = ChoiceSerializer(many=True)
    min_value = serializers.FloatField(allow_null=True)
    max_value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    unit_one = serializers.CharField(allow_blank=True, help_text='The unit for one ("person"), when it differs.')
    optional = serializers.BooleanField()
    currency = serializers.BooleanField(help_text='Money: "$45,000" and "45k" are accepted.')
    unit_choices = UnitChoiceSerializer(
        many=True, help_text="Units the web form offers; answers are always sent in `unit`, to 0.1."
    )


class SectionSerializer(serializers.Serializer):
    title = serializers.CharField()
    questions = serializers.ListField(child=serializers.CharField())


class IncomeToPovertySerializer(serializers.Serializer):
    guideline_year = serializers.IntegerField()
    first_person_usd = serializers.IntegerField()
    each_additional_person_usd = serializers.IntegerField()
    cap = serializers.FloatField()
    source = serializers.URLField()


class QuestionnaireSerializer(serializers.Serializer):
    version = serializers.CharField()
    sections = SectionSerializer(many=True)
    questions = QuestionSerializer(many=True)
    income_to_poverty = IncomeToPovertySerializer()


class HeadlineMetricsSerializer(serializers.Serializer):
    roc_auc = serializers.FloatField()
    pr_auc = serializers.FloatField()
    brier = serializers.FloatField()
    calibration_slope = serializers.FloatField()


class ThresholdsSerializer(serializers.Serializer):
    moderate = serializers.FloatField()
    high = serializers.FloatField()


class ModelSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    cost = serializers.IntegerField(help_text="Price of one screening with this model, in credits.")
    version = serializers.CharField()
    metrics = HeadlineMetricsSerializer(help_text="On the held-out NHANES cycle.")
    risk_band_thresholds = ThresholdsSerializer()


class CatalogueSerializer(serializers.Serializer):
    version = serializers.CharField()
    base_rate = serializers.FloatField(
        help_text="Share of people aged 12 and over in the US who screened positive in 2021-2023 (NCHS), the "
        "prevalence the estimates are calibrated to (see /models/)."
    )
    models = ModelSerializer(many=True)


class FactorSerializer(serializers.Serializer):
    key = serializers.CharField()
    questions = serializers.ListField(child=serializers.CharField())
    text = serializers.CharField()
    direction = serializers.ChoiceField(choices=["raises", "lowers"])
    contribution = serializers.FloatField(help_text="Change in log-odds this answer caused.")


class PredictionSerializer(serializers.Serializer):
    probability = serializers.FloatField()
    risk_band = serializers.ChoiceField(choices=["low", "moderate", "high"])
    factors = FactorSerializer(many=True)
    model_version = serializers.CharField()
    base_rate = serializers.FloatField()
    model_key = serializers.CharField()
    thresholds = ThresholdsSerializer()
