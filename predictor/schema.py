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
    optional: bool = True

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, value)


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


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_number(question: Question, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("Enter a number.")
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    try:
        number = float(value)
    except (TypeError, ValueError):
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
