"""Validated symptom questionnaires as data: one definition drives the form, the API, scoring, export and FHIR.

A new instrument is one more entry in INSTRUMENTS. Wording is the published text, verbatim: PHQ-9 and GAD-7
were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational
grant from Pfizer Inc.; no permission is required to reproduce, translate, display or distribute them.
Codes are LOINC (http://loinc.org): panel, one code per item, the total score, and the LA answer codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from symptoms.exceptions import SymptomAnswersInvalid

LOINC = "http://loinc.org"


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc: str


@dataclass(frozen=True)
class Item:
    key: str  # the answer's key in the API and the form, e.g. "phq9_9"
    number: int
    text: str
    loinc: str
    # True for the item that opens the safety path when answered above 0 (PHQ-9 item 9).
    safety: bool = False


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    low: int
    high: int


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    title: str
    loinc: str
    total_loinc: str
    total_label: str
    recall: str
    stem: str
    items: tuple[Item, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...]
    minutes: int
    source: str
    # The optional last question ("If you checked off any problems, how difficult..."): not scored.
    difficulty: Item | None = None
    difficulty_options: tuple[Option, ...] = field(default=())

    @property
    def max_total(self) -> int:
        return len(self.items) * max(option.value for option in self.options)

    @property
    def safety_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.safety)

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band
        raise ValueError(f"{total} is outside 0-{self.max_total}")

    def band(self, key: str) -> Band:
        return next(band for band in self.bands if band.key == key)

    def option(self, value: int) -> Option:
        return next(option for option in self.options if option.value == value)

    def difficulty_option(self, value: int) -> Option:
        return next(option for option in self.difficulty_options if option.value == value)

    def questions(self) -> list[Item]:
        return [*self.items, *([self.difficulty] if self.difficulty else [])]


FREQUENCY = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)
DIFFICULTY = (
    Option(0, "Not difficult at all", "LA6572-7"),
    Option(1, "Somewhat difficult", "LA6573-5"),
    Option(2, "Very difficult", "LA6575-0"),
    Option(3, "Extremely difficult", "LA6574-3"),
)
DIFFICULTY_TEXT = (
    "If you checked off any problems, how difficult have these problems made it for you to do your work, "
    "take care of things at home, or get along with other people?"
)
PFIZER_SOURCE = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational "
    "grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
)

PHQ9 = Instrument(
    key="phq9",
    name="PHQ-9",
    title="Patient Health Questionnaire (PHQ-9)",
    loinc="44249-1",
    total_loinc="44261-6",
    total_label="Patient Health Questionnaire 9 item (PHQ-9) total score",
    recall="Over the last 2 weeks",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        Item("phq9_1", 1, "Little interest or pleasure in doing things", "44250-9"),
        Item("phq9_2", 2, "Feeling down, depressed, or hopeless", "44255-8"),
        Item("phq9_3", 3, "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        Item("phq9_4", 4, "Feeling tired or having little energy", "44254-1"),
        Item("phq9_5", 5, "Poor appetite or overeating", "44251-7"),
        Item(
            "phq9_6",
            6,
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            "44258-2",
        ),
        Item(
            "phq9_7",
            7,
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "44252-5",
        ),
        Item(
            "phq9_8",
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
            "or restless that you have been moving around a lot more than usual",
            "44253-3",
        ),
        Item(
            "phq9_9",
            9,
            "Thoughts that you would be better off dead or of hurting yourself in some way",
            "44260-8",
            safety=True,
        ),
    ),
    options=FREQUENCY,
    bands=(
        Band("minimal", "Minimal", 0, 4),
        Band("mild", "Mild", 5, 9),
        Band("moderate", "Moderate", 10, 14),
        Band("moderately_severe", "Moderately severe", 15, 19),
        Band("severe", "Severe", 20, 27),
    ),
    minutes=2,
    source=PFIZER_SOURCE,
    difficulty=Item("phq9_difficulty", 10, DIFFICULTY_TEXT, "69722-7"),
    difficulty_options=DIFFICULTY,
)

GAD7 = Instrument(
    key="gad7",
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale (GAD-7)",
    loinc="69737-5",
    total_loinc="70274-6",
    total_label="Generalized anxiety disorder 7 item (GAD-7) total score",
    recall="Over the last 2 weeks",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        Item("gad7_1", 1, "Feeling nervous, anxious or on edge", "69725-0"),
        Item("gad7_2", 2, "Not being able to stop or control worrying", "68509-9"),
        Item("gad7_3", 3, "Worrying too much about different things", "69733-4"),
        Item("gad7_4", 4, "Trouble relaxing", "69734-2"),
        Item("gad7_5", 5, "Being so restless that it is hard to sit still", "69735-9"),
        Item("gad7_6", 6, "Becoming easily annoyed or irritable", "69689-8"),
        Item("gad7_7", 7, "Feeling afraid as if something awful might happen", "69736-7"),
    ),
    options=FREQUENCY,
    bands=(
        Band("minimal", "Minimal", 0, 4),
        Band("mild", "Mild", 5, 9),
        Band("moderate", "Moderate", 10, 14),
        Band("severe", "Severe", 15, 21),
    ),
    minutes=2,
    source=PFIZER_SOURCE,
)

INSTRUMENTS: dict[str, Instrument] = {instrument.key: instrument for instrument in (PHQ9, GAD7)}
INSTRUMENT_CHOICES = [(instrument.key, instrument.name) for instrument in INSTRUMENTS.values()]
BAND_CHOICES = sorted(
    {(band.key, band.label) for instrument in INSTRUMENTS.values() for band in instrument.bands},
    key=lambda choice: choice[0],
)


@dataclass(frozen=True)
class Score:
    total: int
    band: Band
    safety_flag: bool


def _as_choice(value: Any, allowed: set[int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value in allowed:
        return value
    return None


def validate_answers(instrument: Instrument, answers: Any) -> dict[str, int | None]:
    """Every item answered with one of its values; the difficulty question optional. Errors name each item."""
    if not isinstance(answers, dict):
        raise SymptomAnswersInvalid({"answers": ["Send the answers as an object of item: value."]})
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int | None] = {}
    allowed = {option.value for option in instrument.options}
    choices = ", ".join(f"{o.value} ({o.label.lower()})" for o in instrument.options)
    for item in instrument.items:
        value = answers.get(item.key)
        if value is None or value == "":
            errors[item.key] = [f"Please answer question {item.number}."]
            continue
        choice = _as_choice(value, allowed)
        if choice is None:
            errors[item.key] = [f"Question {item.number}: choose one of {choices}."]
        else:
            cleaned[item.key] = choice
    if instrument.difficulty:
        key = instrument.difficulty.key
        value = answers.get(key)
        if value is None or value == "":
            cleaned[key] = None
        else:
            choice = _as_choice(value, {option.value for option in instrument.difficulty_options})
            if choice is None:
                errors[key] = ["Choose how difficult, from 0 (not difficult at all) to 3 (extremely difficult)."]
            else:
                cleaned[key] = choice
    known = {question.key for question in instrument.questions()}
    for key in answers:
        if key not in known:
            errors[key] = [f"The {instrument.name} has no question {key!r}."]
    if errors:
        raise SymptomAnswersInvalid(errors)
    return cleaned


def score(instrument: Instrument, answers: dict[str, int | None]) -> Score:
    """The published scoring: the sum of the item values; the band by its range; the difficulty item unscored."""
    total = sum(answers[item.key] for item in instrument.items)
    safety_flag = any(answers[item.key] > 0 for item in instrument.safety_items)
    return Score(total=total, band=instrument.band_for(total), safety_flag=safety_flag)


def instrument_schema(instrument: Instrument) -> dict[str, Any]:
    """The JSON description served by GET /api/v1/instruments/."""

    def options(opts: tuple[Option, ...]) -> list[dict[str, Any]]:
        return [{"value": o.value, "label": o.label, "loinc": o.loinc} for o in opts]

    return {
        "key": instrument.key,
        "name": instrument.name,
        "title": instrument.title,
        "loinc": instrument.loinc,
        "total_loinc": instrument.total_loinc,
        "recall_period": instrument.recall,
        "instructions": instrument.stem,
        "items": [
            {"key": i.key, "number": i.number, "text": i.text, "loinc": i.loinc, "required": True}
            for i in instrument.items
        ],
        "options": options(instrument.options),
        "difficulty": {
            "key": instrument.difficulty.key,
            "text": instrument.difficulty.text,
            "loinc": instrument.difficulty.loinc or None,
            "required": False,
            "options": options(instrument.difficulty_options),
        }
        if instrument.difficulty
        else None,
        "max_total": instrument.max_total,
        "bands": [{"key": b.key, "label": b.label, "min": b.low, "max": b.high} for b in instrument.bands],
        "source": instrument.source,
    }
