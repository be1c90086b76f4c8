"""The questionnaire: the one source of truth for the web form, the API, training and display.

Adding a question means adding a `Question` here, its NHANES mapping in `predictor.training.dataset`, its
model feature in `predictor.features` and a line in `docs/questionnaire.md`; nothing else hard-codes question keys.

Cleaned answers (the output of `validate_answers`) always hold every key:
- an unanswered optional question ("prefer not to say") is `None`;
- a multichoice question is `None` when unanswered and a sorted list otherwise, where `[]` means
  "none of these" (sent either as `[]` or as `["none"]`, the explicit choice an HTML form can tick).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.utils.translation import ngettext

from predictor.exceptions import AnswersInvalid

SCHEMA_VERSION = "2026.11-1"

QuestionKind = Literal["integer", "number", "choice", "multichoice"]

SECTIONS: tuple[str, ...] = ("About you", "Home and work", "Habits", "Sleep", "Health")

NONE_OF_THESE = "none"

FREQUENCY_HEALTH = (
    ("excellent", "Excellent"),
    ("very_good", "Very good"),
    ("good", "Good"),
    ("fair", "Fair"),
    ("poor", "Poor"),
)
YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass(frozen=True)
class UnitChoice:
    """One way to enter a measurement. The answer is always stored in the question's own (metric) unit.

    `parts` are the boxes a person fills in, each with how many canonical units one of it is: feet and inches are
    two parts of one height.
    """

    key: str
    label: str
    parts: tuple[tuple[str, str, float], ...]  # (part key, its unit shown beside the box, canonical units per one)

    def to_canonical(self, values: Mapping[str, float]) -> float:
        """The measurement in the question's unit, to 0.1: 180 lb -> 81.6 kg, 5 ft 11 in -> 180.3 cm."""
        return round(sum(values.get(key, 0) * factor for key, _, factor in self.parts), 1)

    def from_canonical(self, value: float) -> dict[str, float]:
        """A stored value in this unit's boxes: 180.3 cm -> {"ft": 5, "in": 11}; 81.6 kg -> {"lb": 179.9}."""
        if len(self.parts) == 1:
            key, _, factor = self.parts[0]
            return {key: round(value / factor, 1)}
        (big, _, big_factor), (small, _, small_factor) = self.parts
        total_small = round(value / small_factor)
        per_big = round(big_factor / small_factor)
        return {big: total_small // per_big, small: total_small % per_big}


CENTIMETRES = UnitChoice("cm", "centimetres", (("value", "cm", 1.0),))
FEET_INCHES = UnitChoice("ft_in", "feet and inches", (("ft", "ft", 30.48), ("in", "in", 2.54)))
KILOGRAMS = UnitChoice("kg", "kilograms", (("value", "kg", 1.0),))
POUNDS = UnitChoice("lb", "pounds", (("value", "lb", 0.45359237),))


@dataclass(frozen=True)
class Question:
    key: str
    label: str
    help_text: str
    kind: QuestionKind
    section: str
    choices: tuple[tuple[str, str], ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    unit: str = ""
    # The unit for exactly one, where English changes it ("1 person", "1 drink"); chosen with ngettext.
    unit_one: str = ""
    optional: bool = True
    # Money: "$45,000" and "45k" are read as 45000.
    currency: bool = False
    # Other ways to enter a measurement; the first is the default shown to a person who has not chosen yet.
    unit_choices: tuple[UnitChoice, ...] = ()

    def unit_choice(self, key: str) -> UnitChoice | None:
        return next((choice for choice in self.unit_choices if choice.key == key), None)

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, value)

    def quantity(self, value: int | float) -> str:
        """A number with its unit, singular or plural as the number needs: "1 person", "3 people", "7.5 hours"."""
        number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
        if not self.unit:
            return number
        count = int(value) if float(value).is_integer() else 2  # fractions take the plural: "1.5 hours"
        unit = ngettext(self.unit_one or self.unit, self.unit, count) if self.unit_one else self.unit
        return f"{number} {unit}"


QUESTIONS: tuple[Question, ...] = (
    # About you
    Question(
        key="age",
        label="How old are you?",
        help_text="Your age in whole years. The checker is for adults (18 or older).",
        kind="integer",
        section="About you",
        min_value=18,
        max_value=120,
        unit="years",
        unit_one="year",
        optional=False,
    ),
    Question(
        key="sex",
        label="What is your sex?",
        help_text="The survey the models learned from recorded sex as female or male.",
        kind="choice",
        section="About you",
        choices=(("female", "Female"), ("male", "Male")),
        optional=False,
    ),
    Question(
        key="education",
        label="What is the highest level of school you have completed?",
        help_text="The highest degree or grade you finished.",
        kind="choice",
        section="About you",
        choices=(
            ("less_than_9th_grade", "Less than 9th grade"),
            ("some_high_school", "9th to 11th grade, no diploma"),
            ("high_school", "High-school graduate or equivalent"),
            ("some_college", "Some college or associate degree"),
            ("college_graduate", "College graduate or above"),
        ),
    ),
    Question(
        key="marital_status",
        label="What is your marital status?",
        help_text="",
        kind="choice",
        section="About you",
        choices=(
            ("married_or_partner", "Married or living with a partner"),
            ("widowed", "Widowed"),
            ("divorced_or_separated", "Divorced or separated"),
            ("never_married", "Never married"),
        ),
    ),
    # Home and work
    Question(
        key="household_size",
        label="How many people live in your household, including you?",
        help_text="Count everyone who usually lives with you.",
        kind="integer",
        section="Home and work",
        min_value=1,
        max_value=20,
        unit="people",
        unit_one="person",
    ),
    Question(
        key="annual_household_income",
        label="What is your household's total income per year, before taxes?",
        help_text=(
            "In US dollars. Together with household size it gives your income-to-poverty ratio; the number "
            "itself is not used."
        ),
        kind="number",
        section="Home and work",
        min_value=0,
        max_value=10_000_000,
        unit="USD per year",
        currency=True,
    ),
    Question(
        key="employment",
        label="Which best describes your work situation?",
        help_text="",
        kind="choice",
        section="Home and work",
        choices=(
            ("working", "Working (including temporarily away from work)"),
            ("looking_for_work", "Looking for work or laid off"),
            ("retired", "Retired"),
            ("unable_to_work", "Unable to work for health reasons or disabled"),
            ("not_working_other", "Not working for another reason (caring for family, studying, other)"),
        ),
    ),
    # Habits
    Question(
        key="smoking",
        label="Do you smoke cigarettes?",
        help_text="'Former' means you smoked at least 100 cigarettes in your life but have stopped.",
        kind="choice",
        section="Habits",
        choices=(("never", "Never smoked"), ("former", "Former smoker"), ("current", "Current smoker")),
    ),
    Question(
        key="alcohol_drinks_per_day",
        label="On a day when you drink alcohol, how many drinks do you usually have?",
        help_text="A drink is a can of beer, a glass of wine or a shot of spirits. Enter 0 if you do not drink.",
        kind="integer",
        section="Habits",
        min_value=0,
        max_value=30,
        unit="drinks",
        unit_one="drink",
    ),
    Question(
        key="physical_activity",
        label="In a typical week, do you do sports, fitness or recreational activities?",
        help_text=(
            "Vigorous activity makes you breathe much harder (running, basketball); moderate activity only a "
            "little harder (brisk walking, cycling, swimming)."
        ),
        kind="choice",
        section="Habits",
        choices=(
            ("vigorous", "Yes, including vigorous activity"),
            ("moderate", "Yes, moderate activity only"),
            ("none", "No"),
        ),
    ),
    Question(
        key="sitting_hours",
        label="On a typical day, how many hours do you spend sitting?",
        help_text="At work, at home, travelling, watching TV or using a computer; not sleeping.",
        kind="number",
        section="Habits",
        min_value=0,
        max_value=24,
        unit="hours",
        unit_one="hour",
    ),
    Question(
        key="diet_quality",
        label="In general, how healthy is your overall diet?",
        help_text="",
        kind="choice",
        section="Habits",
        choices=FREQUENCY_HEALTH,
    ),
    # Sleep
    Question(
        key="sleep_hours",
        label="How many hours do you usually sleep on a work night or weekday?",
        help_text="Your usual amount of actual sleep, which may differ from the time you spend in bed.",
        kind="number",
        section="Sleep",
        min_value=0,
        max_value=24,
        unit="hours",
        unit_one="hour",
    ),
    Question(
        key="sleep_trouble_told_doctor",
        label="Have you ever told a doctor or other health professional that you have trouble sleeping?",
        help_text="",
        kind="choice",
        section="Sleep",
        choices=YES_NO,
    ),
    # Health
    Question(
        key="height_cm",
        label="How tall are you?",
        help_text="Used with your weight to work out your body-mass index (BMI).",
        kind="number",
        section="Health",
        min_value=100,
        max_value=250,
        unit="cm",
        unit_choices=(FEET_INCHES, CENTIMETRES),
    ),
    Question(
        key="weight_kg",
        label="How much do you weigh?",
        help_text="Used with your height to work out your body-mass index (BMI).",
        kind="number",
        section="Health",
        min_value=25,
        max_value=350,
        unit="kg",
        unit_choices=(POUNDS, KILOGRAMS),
    ),
    Question(
        key="conditions",
        label="Has a doctor or other health professional ever told you that you have any of these conditions?",
        help_text="Tick all that apply, or 'None of these'.",
        kind="multichoice",
        section="Health",
        choices=(
            ("high_blood_pressure", "High blood pressure"),
            ("high_cholesterol", "High cholesterol"),
            ("diabetes", "Diabetes"),
            ("asthma", "Asthma"),
            ("arthritis", "Arthritis"),
            ("heart_disease", "Heart disease (heart failure, coronary heart disease, angina or a heart attack)"),
            ("stroke", "Stroke"),
            ("lung_disease", "Chronic bronchitis, emphysema or COPD"),
            ("liver_condition", "A liver condition"),
            ("thyroid_condition", "A thyroid problem"),
            ("cancer", "Cancer or a malignancy"),
            (NONE_OF_THESE, "None of these"),
        ),
    ),
    Question(
        key="general_health",
        label="Would you say your health in general is…",
        help_text="",
        kind="choice",
        section="Health",
        choices=FREQUENCY_HEALTH,
    ),
    Question(
        key="mental_health_visit",
        label="During the past 12 months, have you seen or talked to a mental health professional about your health?",
        help_text="For example a psychologist, psychiatrist, psychiatric nurse or clinical social worker.",
        kind="choice",
        section="Health",
        choices=YES_NO,
    ),
)

QUESTIONS_BY_KEY: dict[str, Question] = {question.key: question for question in QUESTIONS}
CONDITION_KEYS: tuple[str, ...] = tuple(
    value for value, _ in QUESTIONS_BY_KEY["conditions"].choices if value != NONE_OF_THESE
)

# HHS poverty guidelines 2025, 48 contiguous states and DC: $15,650 for one person plus $5,500 for each additional
# person. Source: US Department of Health and Human Services, ASPE, "2025 Poverty Guidelines"
# (https://aspe.hhs.gov/topics/poverty-economic-mobility/poverty-guidelines), Federal Register 90 FR 5917,
# 17 January 2025. NHANES' INDFMPIR divides family income by the guideline of the survey year and caps it at 5.
POVERTY_GUIDELINE_YEAR = 2025
POVERTY_GUIDELINE_FIRST_PERSON_USD = 15_650
POVERTY_GUIDELINE_EACH_ADDITIONAL_USD = 5_500
INCOME_TO_POVERTY_CAP = 5.0


def poverty_guideline(*, household_size: int) -> float:
    return POVERTY_GUIDELINE_FIRST_PERSON_USD + POVERTY_GUIDELINE_EACH_ADDITIONAL_USD * (max(household_size, 1) - 1)


def income_to_poverty_ratio(*, annual_household_income: float, household_size: int) -> float:
    """Income divided by the poverty guideline, capped at 5 like NHANES' INDFMPIR."""
    ratio = annual_household_income / poverty_guideline(household_size=household_size)
    return round(min(ratio, INCOME_TO_POVERTY_CAP), 2)


def _format_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _range_message(question: Question) -> str:
    unit = f" {question.unit}" if question.unit else ""
    return f"Enter a value from {_format_number(question.min_value)} to {_format_number(question.max_value)}{unit}."


# A body-mass index outside this range is almost always a slip (pounds typed as kilograms, inches as centimetres).
BMI_PLAUSIBLE = (12.0, 80.0)
# Above this, from kilograms, ask whether the number was pounds when as pounds it would be an ordinary BMI.
BMI_ASK_IF_POUNDS_ABOVE = 50.0
BMI_ORDINARY = (15.0, 45.0)


def body_size_warning(*, height_cm: float, weight_kg: float, weight_unit: str = "kg") -> str | None:
    """A question to ask before accepting a height and weight that are probably a slip, or None when they look
    right. Never a refusal: the person can confirm what they typed."""
    bmi = weight_kg / (height_cm / 100) ** 2
    if weight_unit == "kg" and bmi > BMI_ASK_IF_POUNDS_ABOVE:
        as_pounds = weight_kg * POUNDS.parts[0][2] / (height_cm / 100) ** 2
        if BMI_ORDINARY[0] <= as_pounds <= BMI_ORDINARY[1]:
            return (
                f"With this height, {weight_kg:g} kg gives a body-mass index of {bmi:.0f}, which is very rare. "
                f"Did you mean {weight_kg:g} pounds? Switch the unit to pounds, or confirm the weight is right."
            )
    if weight_unit == "lb" and bmi < BMI_PLAUSIBLE[0]:
        return (
            f"With this height, this weight gives a body-mass index of {bmi:.0f}, which is very rare. Did you mean "
            "kilograms? Switch the unit to kilograms, or confirm the weight is right."
        )
    if not BMI_PLAUSIBLE[0] <= bmi <= BMI_PLAUSIBLE[1]:
        return (
            f"This height and weight give a body-mass index of {bmi:.0f}, which is very rare. Please check both "
            "and their units (did you mean pounds?), or confirm they are right."
        )
    return None


MONEY_MESSAGE = "Enter an amount in US dollars, for example 45000, $45,000 or 45k."


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_number(question: Question, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("Enter a number.")
    if isinstance(value, str):
        value = value.strip().replace(",", "")
        if question.currency:
            # Decided: a leading "$" and a trailing "k" (thousands) are what people type for money; nothing else
            # ("45 thousand", "€") is guessed at.
            value = value.removeprefix("$").strip()
            if value[-1:] in ("k", "K"):
                try:
                    value = float(value[:-1]) * 1000
                except ValueError:
                    raise ValueError(MONEY_MESSAGE) from None
    try:
        number = float(value)
    except OverflowError:
        # An integer of hundreds of digits is beyond any float, and far beyond any question's range.
        raise ValueError(_range_message(question)) from None
    except (TypeError, ValueError):
        if question.currency:
            raise ValueError(MONEY_MESSAGE) from None
        raise ValueError("Enter a whole number." if question.kind == "integer" else "Enter a number.") from None
    if not math.isfinite(number):
        raise ValueError("Enter a number.")
    if question.kind == "integer" and not number.is_integer():
        raise ValueError("Enter a whole number.")
    if (question.min_value is not None and number < question.min_value) or (
        question.max_value is not None and number > question.max_value
    ):
        raise ValueError(_range_message(question))
    return int(number) if question.kind == "integer" else number


def _clean_choice(question: Question, value: Any) -> str:
    allowed = [choice for choice, _ in question.choices]
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"Choose one of: {', '.join(allowed)}.")
    return value


def _clean_multichoice(question: Question, value: Any) -> list[str]:
    allowed = [choice for choice, _ in question.choices]
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError("Send a list of choices.")
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        raise ValueError(f"Unknown choice(s): {', '.join(map(str, unknown))}. Choose from: {', '.join(allowed)}.")
    selected = set(value)
    if NONE_OF_THESE in selected and len(selected) > 1:
        raise ValueError("'None of these' cannot be combined with another condition.")
    selected.discard(NONE_OF_THESE)
    return sorted(selected, key=allowed.index)


def validate_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return cleaned answers with every question key present, or raise `AnswersInvalid`."""
    errors: dict[str, list[str]] = {}
    for key in raw:
        if key not in QUESTIONS_BY_KEY:
            errors[str(key)] = ["This is not a question in the questionnaire."]

    cleaned: dict[str, Any] = {}
    for question in QUESTIONS:
        value = raw.get(question.key)
        if _is_blank(value):
            if not question.optional:
                errors[question.key] = ["This question is required."]
            cleaned[question.key] = None
            continue
        try:
            if question.kind in ("integer", "number"):
                cleaned[question.key] = _clean_number(question, value)
            elif question.kind == "choice":
                cleaned[question.key] = _clean_choice(question, value)
            else:
                cleaned[question.key] = _clean_multichoice(question, value)
        except ValueError as error:
            errors[question.key] = [str(error)]

    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def question_as_dict(question: Question) -> dict[str, Any]:
    data = asdict(question)
    data["choices"] = [{"value": value, "label": label} for value, label in question.choices]
    data["unit_choices"] = [
        {
            "key": choice.key,
            "label": choice.label,
            "parts": [{"key": key, "unit": unit, "factor": factor} for key, unit, factor in choice.parts],
        }
        for choice in question.unit_choices
    ]
    return data


def schema_as_dict() -> dict[str, Any]:
    """The questionnaire as JSON for `GET /api/v1/questionnaire/`."""
    return {
        "version": SCHEMA_VERSION,
        "sections": [
            {"title": section, "questions": [q.key for q in QUESTIONS if q.section == section]} for section in SECTIONS
        ],
        "questions": [question_as_dict(question) for question in QUESTIONS],
        "income_to_poverty": {
            "guideline_year": POVERTY_GUIDELINE_YEAR,
            "first_person_usd": POVERTY_GUIDELINE_FIRST_PERSON_USD,
            "each_additional_person_usd": POVERTY_GUIDELINE_EACH_ADDITIONAL_USD,
            "cap": INCOME_TO_POVERTY_CAP,
            "source": "https://aspe.hhs.gov/topics/poverty-economic-mobility/poverty-guidelines",
        },
    }
