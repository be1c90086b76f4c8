"""DRF serializers generated from the questionnaire schema (input) and describing the predictor's outputs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from predictor.exceptions import AnswersInvalid
from predictor.schema import QUESTIONS, Question, validate_answers


def _answer_field(question: Question) -> serializers.Field:
    common: dict[str, Any] = {
        "required": not question.optional,
        "allow_null": question.optional,
        "label": question.label,
        "help_text": question.help_text,
    }
    if question.kind == "integer":
        return serializers.IntegerField(min_value=question.min_value, max_value=question.max_value, **common)
    if question.kind == "number":
        return serializers.FloatField(min_value=question.min_value, max_value=question.max_value, **common)
    if question.kind == "choice":
        return serializers.ChoiceField(choices=list(question.choices), **common)
    return serializers.MultipleChoiceField(choices=list(question.choices), allow_empty=True, **common)


class AnswersSerializer(serializers.Serializer):
    """Questionnaire answers; one field per question, final cleaning by `validate_answers` (same messages as the
    web form). Unknown keys are refused."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {question.key: _answer_field(question) for question in QUESTIONS}

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Send the answers as a JSON object."]})
        try:
            # The schema is the one validator; the DRF fields above only document the shape.
            return validate_answers({key: (sorted(v) if isinstance(v, set) else v) for key, v in data.items()})
        except AnswersInvalid as error:
            raise serializers.ValidationError(error.errors) from error


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
    base_rate = serializers.FloatField(help_text="Share of adults in the training data who screened positive.")
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
