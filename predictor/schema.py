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
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from django.conf import settings
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy, ngettext_lazy, pgettext_lazy
from django.utils.translation import gettext as _

from predictor.exceptions import AnswersInvalid

SCHEMA_VERSION = "2026.11-1"

QuestionKind = Literal["integer", "number", "choice", "multichoice"]

# Every text a person reads is marked for translation here, lazily (gettext_lazy): it is put into the language of
# the request when it is shown, so this one schema serves every language (locale/, README "Languages").
# Section titles are compared with Question.section; both are the same lazy text, equal in any language.
SECTIONS: tuple[str, ...] = (
    gettext_lazy("About you"),
    gettext_lazy("Home and work"),
    gettext_lazy("Habits"),
    gettext_lazy("Sleep"),
    gettext_lazy("Health"),
)

NONE_OF_THESE = "none"

# Ratings of a diet or of one's health.
FREQUENCY_HEALTH = (
    ("excellent", pgettext_lazy("rating", "Excellent")),
    ("very_good", pgettext_lazy("rating", "Very good")),
    ("good", pgettext_lazy("rating", "Good")),
    ("fair", pgettext_lazy("rating", "Fair")),
    ("poor", pgettext_lazy("rating", "Poor")),
)
YES_NO = (("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No")))

# A unit as shown beside a box or an answer; `Question.unit` itself stays the same code in every language.
UNIT_LABELS = {
    "years": pgettext_lazy("unit beside a box", "years"),
    "people": pgettext_lazy("unit beside a box", "people"),
    "USD per year": pgettext_lazy("unit beside a box", "USD per year"),
    "drinks": pgettext_lazy("unit beside a box", "drinks"),
    "hours": pgettext_lazy("unit beside a box", "hours"),
    "cm": pgettext_lazy("unit", "cm"),
    "kg": pgettext_lazy("unit", "kg"),
    "ft": pgettext_lazy("unit: feet", "ft"),
    "in": pgettext_lazy("unit: inches", "in"),
    "lb": pgettext_lazy("unit: pounds", "lb"),
}
# A number with its unit, in the plural form the number needs ("1 person", "3 people"; Russian has three forms).
QUANTITIES = {
    "years": ngettext_lazy("%(number)s year", "%(number)s years", "count"),
    "people": ngettext_lazy("%(number)s person", "%(number)s people", "count"),
    "drinks": ngettext_lazy("%(number)s drink", "%(number)s drinks", "count"),
    "hours": ngettext_lazy("%(number)s hour", "%(number)s hours", "count"),
}


def stored_language_active() -> bool:
    """True while the request is in the language results are stored in (settings.LANGUAGE_CODE, English): stored
    texts are shown as stored, and only other languages word them again."""
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0] == settings.LANGUAGE_CODE.split("-")[0]


def unit_label(unit: str) -> str:
    """A unit code ("cm", "ft", "years") as shown in the active language."""
    return str(UNIT_LABELS.get(unit, unit))


def format_number(value: float | int | None) -> str:
    """A number as the active language writes it: 45,000 / 45.000 / 45 000; up to two decimals."""
    if value is None:
        return ""
    if float(value).is_integer():
        return formats.number_format(int(value), force_grouping=True)
    text = formats.number_format(round(float(value), 2), decimal_pos=2, force_grouping=True)
    separator = formats.get_format("DECIMAL_SEPARATOR")
    return text.rstrip("0").rstrip(separator) if separator in text else text


# A measurement typed in another unit is kept to this many decimals of the question's own unit (see to_canonical).
CANONICAL_DECIMALS = 4


@dataclass(frozen=True)
class UnitChoice:
    """One way to enter a measurement. The answer is always stored in the question's own (metric) unit.

    `parts` are the boxes a person fills in, each with how many canonical units one of it is: feet and inches are
    two parts of one height.
    """

    key: str
    label: str | Promise
    parts: tuple[tuple[str, str, float], ...]  # (part key, its unit shown beside the box, canonical units per one)

    def to_canonical(self, values: Mapping[str, float]) -> float:
        """The measurement in the question's unit, to 0.0001: 180 lb -> 81.6466 kg, 5 ft 11 in -> 180.34 cm.

        Fine enough that `from_canonical` gives back what was typed (180 lb, not 179.9 lb); BMI does not care.
        """
        return round(sum(values.get(key, 0) * factor for key, _, factor in self.parts), CANONICAL_DECIMALS)

    def from_canonical(self, value: float) -> dict[str, float]:
        """A stored value in this unit's boxes: 180.34 cm -> {"ft": 5, "in": 11}; 81.6466 kg -> {"lb": 180.0}."""
        if len(self.parts) == 1:
            key, _, factor = self.parts[0]
            return {key: round(value / factor, 1)}
        (big, _, big_factor), (small, _, small_factor) = self.parts
        total_small = round(value / small_factor)
        per_big = round(big_factor / small_factor)
        return {big: total_small // per_big, small: total_small % per_big}


# Where a person who has not chosen is offered feet and inches and pounds first. Decided: the United States only,
# where people give their height and weight in US customary units; everywhere else (the UK, Mexico and Russia
# included) the question's metric unit comes first, and a person who prefers the other picks it once (it is kept on
# their account, `User.preferred_units`).
US_CUSTOMARY_COUNTRIES = frozenset({"US"})

CENTIMETRES = UnitChoice("cm", gettext_lazy("centimetres"), (("value", "cm", 1.0),))
FEET_INCHES = UnitChoice("ft_in", gettext_lazy("feet and inches"), (("ft", "ft", 30.48), ("in", "in", 2.54)))
KILOGRAMS = UnitChoice("kg", gettext_lazy("kilograms"), (("value", "kg", 1.0),))
POUNDS = UnitChoice("lb", gettext_lazy("pounds"), (("value", "lb", 0.45359237),))


@dataclass(frozen=True)
class Question:
    key: str
    label: str | Promise
    help_text: str | Promise
    kind: QuestionKind
    section: str | Promise
    choices: tuple[tuple[str, str | Promise], ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    unit: str = ""
    # The English unit for exactly one ("1 person"), for API clients; the site words numbers with QUANTITIES.
    unit_one: str = ""
    optional: bool = True
    # Money: "$45,000" and "45k" are read as 45000.
    currency: bool = False
    # Other ways to enter a measurement; `default_unit` says which one a person who has not chosen yet sees.
    unit_choices: tuple[UnitChoice, ...] = ()

    def unit_choice(self, key: str) -> UnitChoice | None:
        return next((choice for choice in self.unit_choices if choice.key == key), None)

    def default_unit(self, country: str) -> str:
        """The unit offered to a person who has not chosen one: the question's own (metric) unit, except in a
        country that measures people in US customary units (feet and inches, pounds)."""
        if country.upper() in US_CUSTOMARY_COUNTRIES:
            return next((choice.key for choice in self.unit_choices if choice.key != self.unit), self.unit)
        return self.unit

    def choice_label(self, value: str) -> str:
        return str(dict(self.choices).get(value, value))

    @property
    def unit_label(self) -> str:
        """The unit in the active language, as shown beside the box: "years", "años", "лет"."""
        return unit_label(self.unit)

    def quantity(self, value: int | float) -> str:
        """A number with its unit, singular or plural as the number needs: "1 person", "3 people", "7.5 hours"."""
        number = format_number(value)
        if not self.unit:
            return number
        plural = QUANTITIES.get(self.unit)
        if plural is None:
            return f"{number} {self.unit_label}"
        # A fraction takes the form of 2: the plural in English and Spanish, and in Russian the form fractions
        # take ("7,5 часа"). gettext's plural rules are for whole numbers only.
        count = int(value) if float(value).is_integer() else 2
        return plural % {"count": count, "number": number}


QUESTIONS: tuple[Question, ...] = (
    # About you
    Question(
        key="age",
        label=gettext_lazy("How old are you?"),
        help_text=gettext_lazy("Your age in whole years. The checker is for adults (18 or older)."),
        kind="integer",
        section=gettext_lazy("About you"),
        min_value=18,
        max_value=120,
        unit="years",
        unit_one="year",
        optional=False,
    ),
    Question(
        key="sex",
        label=gettext_lazy("What is your sex?"),
        help_text=gettext_lazy("The survey the models learned from recorded sex as female or male."),
        kind="choice",
        section=gettext_lazy("About you"),
        choices=(("female", gettext_lazy("Female")), ("male", gettext_lazy("Male"))),
        optional=False,
    ),
    Question(
        key="education",
        label=gettext_lazy("What is the highest level of school you have completed?"),
        help_text=gettext_lazy("The highest degree or grade you finished."),
        kind="choice",
        section=gettext_lazy("About you"),
        choices=(
            ("less_than_9th_grade", gettext_lazy("Less than 9th grade")),
            ("some_high_school", gettext_lazy("9th to 11th grade, no diploma")),
            ("high_school", gettext_lazy("High-school graduate or equivalent")),
            ("some_college", gettext_lazy("Some college or associate degree")),
            ("college_graduate", gettext_lazy("College graduate or above")),
        ),
    ),
    Question(
        key="marital_status",
        label=gettext_lazy("What is your marital status?"),
        help_text="",
        kind="choice",
        section=gettext_lazy("About you"),
        choices=(
            ("married_or_partner", gettext_lazy("Married or living with a partner")),
            ("widowed", gettext_lazy("Widowed")),
            ("divorced_or_separated", gettext_lazy("Divorced or separated")),
            ("never_married", gettext_lazy("Never married")),
        ),
    ),
    # Home and work
    Question(
        key="household_size",
        label=gettext_lazy("How many people live in your household, including you?"),
        help_text=gettext_lazy("Count everyone who usually lives with you."),
        kind="integer",
        section=gettext_lazy("Home and work"),
        min_value=1,
        max_value=20,
        unit="people",
        unit_one="person",
    ),
    Question(
        key="annual_household_income",
        label=gettext_lazy("What is your household's total income per year, before taxes?"),
        help_text=gettext_lazy(
            "In US dollars. Together with household size it gives your income-to-poverty ratio; the number "
            "itself is not used."
        ),
        kind="number",
        section=gettext_lazy("Home and work"),
        min_value=0,
        max_value=10_000_000,
        unit="USD per year",
        currency=True,
    ),
    Question(
        key="employment",
        label=gettext_lazy("Which best describes your work situation?"),
        help_text="",
        kind="choice",
        section=gettext_lazy("Home and work"),
        choices=(
            ("working", gettext_lazy("Working (including temporarily away from work)")),
            ("looking_for_work", gettext_lazy("Looking for work or laid off")),
            ("retired", gettext_lazy("Retired")),
            ("unable_to_work", gettext_lazy("Unable to work for health reasons or disabled")),
            ("not_working_other", gettext_lazy("Not working for another reason (caring for family, studying, other)")),
        ),
    ),
    # Habits
    Question(
        key="smoking",
        label=gettext_lazy("Do you smoke cigarettes?"),
        help_text=gettext_lazy("'Former' means you smoked at least 100 cigarettes in your life but have stopped."),
        kind="choice",
        section=gettext_lazy("Habits"),
        choices=(
            ("never", gettext_lazy("Never smoked")),
            ("former", gettext_lazy("Former smoker")),
            ("current", gettext_lazy("Current smoker")),
        ),
    ),
    Question(
        key="alcohol_drinks_per_day",
        label=gettext_lazy("On a day when you drink alcohol, how many drinks do you usually have?"),
        help_text=gettext_lazy(
            "A drink is a can of beer, a glass of wine or a shot of spirits. Enter 0 if you do not drink."
        ),
        kind="integer",
        section=gettext_lazy("Habits"),
        min_value=0,
        max_value=30,
        unit="drinks",
        unit_one="drink",
    ),
    Question(
        key="physical_activity",
        label=gettext_lazy("In a typical week, do you do sports, fitness or recreational activities?"),
        help_text=gettext_lazy(
            "Vigorous activity makes you breathe much harder (running, basketball); moderate activity only a "
            "little harder (brisk walking, cycling, swimming)."
        ),
        kind="choice",
        section=gettext_lazy("Habits"),
        choices=(
            ("vigorous", gettext_lazy("Yes, including vigorous activity")),
            ("moderate", gettext_lazy("Yes, moderate activity only")),
            ("none", gettext_lazy("No")),
        ),
    ),
    Question(
        key="sitting_hours",
        label=gettext_lazy("On a typical day, how many hours do you spend sitting?"),
        help_text=gettext_lazy("At work, at home, travelling, watching TV or using a computer; not sleeping."),
        kind="number",
        section=gettext_lazy("Habits"),
        min_value=0,
        max_value=24,
        unit="hours",
        unit_one="hour",
    ),
    Question(
        key="diet_quality",
        label=gettext_lazy("In general, how healthy is your overall diet?"),
        help_text="",
        kind="choice",
        section=gettext_lazy("Habits"),
        choices=FREQUENCY_HEALTH,
    ),
    # Sleep
    Question(
        key="sleep_hours",
        label=gettext_lazy("How many hours do you usually sleep on a work night or weekday?"),
        help_text=gettext_lazy("Your usual amount of actual sleep, which may differ from the time you spend in bed."),
        kind="number",
        section=gettext_lazy("Sleep"),
        min_value=0,
        max_value=24,
        unit="hours",
        unit_one="hour",
    ),
    Question(
        key="sleep_trouble_told_doctor",
        label=gettext_lazy("Have you ever told a doctor or other health professional that you have trouble sleeping?"),
        help_text="",
        kind="choice",
        section=gettext_lazy("Sleep"),
        choices=YES_NO,
    ),
    # Health
    Question(
        key="height_cm",
        label=gettext_lazy("How tall are you?"),
        help_text=gettext_lazy("Used with your weight to work out your body-mass index (BMI)."),
        kind="number",
        section=gettext_lazy("Health"),
        min_value=100,
        max_value=250,
        unit="cm",
        unit_choices=(FEET_INCHES, CENTIMETRES),
    ),
    Question(
        key="weight_kg",
        label=gettext_lazy("How much do you weigh?"),
        help_text=gettext_lazy("Used with your height to work out your body-mass index (BMI)."),
        kind="number",
        section=gettext_lazy("Health"),
        min_value=25,
        max_value=350,
        unit="kg",
        unit_choices=(POUNDS, KILOGRAMS),
    ),
    Question(
        key="conditions",
        label=gettext_lazy(
            "Has a doctor or other health professional ever told you that you have any of these conditions?"
        ),
        help_text=gettext_lazy("Tick all that apply, or 'None of these'."),
        kind="multichoice",
        section=gettext_lazy("Health"),
        choices=(
            ("high_blood_pressure", gettext_lazy("High blood pressure")),
            ("high_cholesterol", gettext_lazy("High cholesterol")),
            ("diabetes", gettext_lazy("Diabetes")),
            ("asthma", gettext_lazy("Asthma")),
            ("arthritis", gettext_lazy("Arthritis")),
            (
                "heart_disease",
                gettext_lazy("Heart disease (heart failure, coronary heart disease, angina or a heart attack)"),
            ),
            ("stroke", gettext_lazy("Stroke")),
            ("lung_disease", gettext_lazy("Chronic bronchitis, emphysema or COPD")),
            ("liver_condition", gettext_lazy("A liver condition")),
            ("thyroid_condition", gettext_lazy("A thyroid problem")),
            ("cancer", gettext_lazy("Cancer or a malignancy")),
            (NONE_OF_THESE, gettext_lazy("None of these")),
        ),
    ),
    Question(
        key="general_health",
        label=gettext_lazy("Would you say your health in general is…"),
        help_text="",
        kind="choice",
        section=gettext_lazy("Health"),
        choices=FREQUENCY_HEALTH,
    ),
    Question(
        key="mental_health_visit",
        label=gettext_lazy(
            "During the past 12 months, have you seen or talked to a mental health professional about your health?"
        ),
        help_text=gettext_lazy(
            "For example a psychologist, psychiatrist, psychiatric nurse or clinical social worker."
        ),
        kind="choice",
        section=gettext_lazy("Health"),
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


def _range_message(question: Question) -> str:
    low, high = format_number(question.min_value), format_number(question.max_value)
    if question.unit:
        return _("Enter a value from %(low)s to %(high)s %(unit)s.") % {
            "low": low,
            "high": high,
            "unit": question.unit_label,
        }
    return _("Enter a value from %(low)s to %(high)s.") % {"low": low, "high": high}


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
            return _(
                "With this height, %(weight)s kg gives a body-mass index of %(bmi)s, which is very rare. "
                "Did you mean %(weight)s pounds? Switch the unit to pounds, or confirm the weight is right."
            ) % {"weight": format_number(weight_kg), "bmi": format_number(round(bmi))}
    if weight_unit == "lb" and bmi < BMI_PLAUSIBLE[0]:
        return _(
            "With this height, this weight gives a body-mass index of %(bmi)s, which is very rare. Did you mean "
            "kilograms? Switch the unit to kilograms, or confirm the weight is right."
        ) % {"bmi": format_number(round(bmi))}
    if not BMI_PLAUSIBLE[0] <= bmi <= BMI_PLAUSIBLE[1]:
        return _(
            "This height and weight give a body-mass index of %(bmi)s, which is very rare. Please check both "
            "and their units (did you mean pounds?), or confirm they are right."
        ) % {"bmi": format_number(round(bmi))}
    return None


# A comma that is not between a digit and exactly three more digits: "1,5", "12,50", ",5", "1,5000".
MISPLACED_THOUSANDS_COMMA = re.compile(r"(?<!\d),|,(?!\d{3}(?!\d))")
DECIMAL_POINT_MESSAGE = gettext_lazy("Use a point for decimals, for example 1.5.")
MONEY_MESSAGE = gettext_lazy("Enter an amount in US dollars, for example 45000, $45,000 or 45k.")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plain_digits(text: str) -> str:
    """A typed number with Python's decimal point and no grouping, read the way the active language writes it.

    English: "," only groups thousands ("42,000"). Where the decimal mark is a comma (Spanish, Russian), both
    habits meet ("7,5" and "7.5" hours, "45.000", "45,000" and "45 000" dollars): the last mark is the decimal
    one unless exactly three digits follow it and it is the only mark, which reads as thousands.
    """
    text = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if formats.get_format("DECIMAL_SEPARATOR") == ".":
        # English: a comma groups thousands and nothing else. "1,5" is a decimal comma from another habit, and
        # reading it as 15 (as stripping the comma did) stores ten times the answer: refuse it instead.
        if MISPLACED_THOUSANDS_COMMA.search(text):
            raise ValueError(str(DECIMAL_POINT_MESSAGE))
        return text.replace(",", "")
    marks = [index for index, char in enumerate(text) if char in ",."]
    if not marks:
        return text
    last = marks[-1]
    digits_after = len(text) - last - 1
    if len(marks) == 1 and digits_after == 3 and text[last + 1 :].isdigit():
        return text[:last] + text[last + 1 :]
    whole = "".join(char for char in text[:last] if char not in ",.")
    return f"{whole}.{text[last + 1 :]}"


def read_number(text: str) -> float:
    """A number typed in a box, read the way the active language writes numbers (the same reading as the schema's
    own questions): "70,5" is 70.5 in Spanish and Russian; in English "1,200" is 1200 and "1,5" is refused.
    Raises ValueError with a message to show beside the box."""
    digits = _plain_digits(text)
    try:
        number = float(digits)
    except ValueError:
        raise ValueError(_("Enter a number.")) from None
    if not math.isfinite(number):
        raise ValueError(_("Enter a number."))
    return number


def _clean_number(question: Question, value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(_("Enter a number."))
    if isinstance(value, str):
        value = _plain_digits(value)
        if question.currency:
            # Decided: a leading "$" and a trailing "k" (thousands) are what people type for money; nothing else
            # ("45 thousand", "€") is guessed at.
            value = value.removeprefix("$").strip()
            if value[-1:] in ("k", "K"):
                try:
                    value = float(value[:-1]) * 1000
                except ValueError:
                    raise ValueError(str(MONEY_MESSAGE)) from None
    try:
        number = float(value)
    except OverflowError:
        # An integer of hundreds of digits is beyond any float, and far beyond any question's range.
        raise ValueError(_range_message(question)) from None
    except (TypeError, ValueError):
        if question.currency:
            raise ValueError(str(MONEY_MESSAGE)) from None
        raise ValueError(_("Enter a whole number.") if question.kind == "integer" else _("Enter a number.")) from None
    if not math.isfinite(number):
        raise ValueError(_("Enter a number."))
    if question.kind == "integer" and not number.is_integer():
        raise ValueError(_("Enter a whole number."))
    if (question.min_value is not None and number < question.min_value) or (
        question.max_value is not None and number > question.max_value
    ):
        raise ValueError(_range_message(question))
    return int(number) if question.kind == "integer" else number


def _clean_choice(question: Question, value: Any) -> str:
    allowed = [choice for choice, _ in question.choices]
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(_("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})
    return value


def _clean_multichoice(question: Question, value: Any) -> list[str]:
    allowed = [choice for choice, _ in question.choices]
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(_("Send a list of choices."))
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        raise ValueError(
            _("Unknown choice(s): %(unknown)s. Choose from: %(choices)s.")
            % {"unknown": ", ".join(map(str, unknown)), "choices": ", ".join(allowed)}
        )
    selected = set(value)
    if NONE_OF_THESE in selected and len(selected) > 1:
        raise ValueError(_("'None of these' cannot be combined with another condition."))
    selected.discard(NONE_OF_THESE)
    return sorted(selected, key=allowed.index)


def validate_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return cleaned answers with every question key present, or raise `AnswersInvalid`."""
    errors: dict[str, list[str]] = {}
    for key in raw:
        if key not in QUESTIONS_BY_KEY:
            errors[str(key)] = [_("This is not a question in the questionnaire.")]

    cleaned: dict[str, Any] = {}
    for question in QUESTIONS:
        value = raw.get(question.key)
        if _is_blank(value):
            if not question.optional:
                errors[question.key] = [_("This question is required.")]
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
    """A question as JSON, its texts in the active language (keys and codes stay the same in every language)."""
    data = asdict(question)
    for field in ("label", "help_text", "section"):
        data[field] = str(data[field])
    data["choices"] = [{"value": value, "label": str(label)} for value, label in question.choices]
    data["unit_choices"] = [
        {
            "key": choice.key,
            "label": str(choice.label),
            "parts": [{"key": key, "unit": unit_label(unit), "factor": factor} for key, unit, factor in choice.parts],
        }
        for choice in question.unit_choices
    ]
    return data


def schema_as_dict() -> dict[str, Any]:
    """The questionnaire as JSON for `GET /api/v1/questionnaire/`."""
    return {
        "version": SCHEMA_VERSION,
        "sections": [
            {"title": str(section), "questions": [q.key for q in QUESTIONS if q.section == section]}
            for section in SECTIONS
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
