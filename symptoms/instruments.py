"""Validated symptom questionnaires as data: one definition drives the form, the API, scoring, export and FHIR.

A new instrument is one more entry in INSTRUMENTS. Wording is the published text, verbatim: PHQ-9 and GAD-7
were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an educational
grant from Pfizer Inc.; no permission is required to reproduce, translate, display or distribute them.
Codes are LOINC (http://loinc.org): panel, one code per item, the total score, and the LA answer codes.

Published translations sit beside the English as data (`Translation`), never in the gettext catalogues: a
validated instrument's wording is copied from its official version, not translated by whoever fills in a
catalogue. `Instrument.localized(language)` serves the version for the request's language and the English original,
marked as a fallback, where no verified version is held (docs/symptoms.md says which and where each comes from).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

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
    label: str | Promise  # the site's word for the band (translated by the catalogues), not instrument wording
    low: int
    high: int


@dataclass(frozen=True)
class Translation:
    """One published translation of an instrument: every text a person reads, verbatim from its official version."""

    language: str  # the Django language code it serves, e.g. "es"
    tag: str  # BCP 47 tag of the version, as FHIR's `language` wants it, e.g. "es-US"
    version: str  # the version's name on the publisher's site, e.g. "Spanish for the USA"
    stem: str
    recall: str
    items: tuple[str, ...]  # in item order
    options: tuple[str, ...]  # in value order
    source: str  # the attribution line as the translated form prints it
    difficulty: str = ""
    difficulty_options: tuple[str, ...] = ()
    # The language of `source` when it is not the version's own (BCP 47), e.g. an English line kept on a Russian
    # form: a screen reader then reads it with English rules.
    source_language: str = ""


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    title: str | Promise
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
    translations: tuple[Translation, ...] = field(default=(), repr=False)
    # The language of the wording this object carries (BCP 47), and the one that was asked for when it differs:
    # `localized()` sets both; the definitions below are the English originals.
    language: str = "en-US"
    requested_language: str = "en"
    source_language: str = "en-US"  # the language of `source`, usually `language`

    @property
    def is_fallback(self) -> bool:
        """True when another language was asked for and the English original is served instead."""
        return _base(self.requested_language) != _base(self.language)

    def translation(self, language: str | None) -> Translation | None:
        base = _base(language)
        return next((t for t in self.translations if t.language == base), None)

    def localized(self, language: str | None = None) -> Instrument:
        """This instrument in `language` (default: the active one) where a published version is held, otherwise
        the English original with `is_fallback` set. Values, keys, codes and bands are the same in every language,
        so scoring never depends on it."""
        return _localized(self.key, _base(language or get_language()))

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


def _base(language: str | None) -> str:
    """ "es-mx" -> "es"; nothing active -> "en"."""
    return (language or "en").split("-")[0].lower()


@lru_cache(maxsize=32)
def _localized(key: str, language: str) -> Instrument:
    original = INSTRUMENTS[key]
    if language == "en":
        return original
    translation = original.translation(language)
    if translation is None:
        return replace(original, requested_language=language)
    difficulty = original.difficulty
    return replace(
        original,
        stem=translation.stem,
        recall=translation.recall,
        source=translation.source,
        items=tuple(replace(item, text=text) for item, text in zip(original.items, translation.items, strict=True)),
        options=tuple(
            replace(option, label=label) for option, label in zip(original.options, translation.options, strict=True)
        ),
        difficulty=replace(difficulty, text=translation.difficulty) if difficulty else None,
        difficulty_options=tuple(
            replace(option, label=label)
            for option, label in zip(original.difficulty_options, translation.difficulty_options, strict=True)
        ),
        language=translation.tag,
        requested_language=language,
        source_language=translation.source_language or translation.tag,
    )


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

# --- Published translations (Pfizer's PHQ screeners, translated for Pfizer by MAPI Research Trust). Copied verbatim,
# each item cross-checked against at least two independent public copies; docs/symptoms.md names them. Do not edit:
# a change here is a different questionnaire. The GAD-7 "Russian for Russia" is not here: only one public copy was
# found, so it could not be cross-checked, and the English original is served instead.

SPANISH_US_FREQUENCY = ("Ningún día", "Varios días", "Más de la mitad de los días", "Casi todos los días")
SPANISH_US_STEM = (
    "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los siguientes problemas?"
)
SPANISH_US_SOURCE = (
    "Elaborado por los doctores Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke y colegas, mediante una "
    "subvención educativa otorgada por Pfizer Inc. No se requiere permiso para reproducir, traducir, presentar o "
    "distribuir."
)
RUSSIAN_FREQUENCY = ("Ни разу", "Несколько дней", "Более недели", "Почти каждый день")
# The Russian form's own footer was found in one public copy only, so the verified English line is kept.
RUSSIAN_SOURCE = PFIZER_SOURCE

PHQ9_SPANISH_US = Translation(
    language="es",
    tag="es-US",
    version="Spanish for the USA",
    stem=SPANISH_US_STEM,
    recall="Durante las últimas 2 semanas",
    items=(
        "Poco interés o placer en hacer cosas",
        "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
        "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
        "Se ha sentido cansado(a) o con poca energía",
        "Sin apetito o ha comido en exceso",
        "Se ha sentido mal con usted mismo(a) – o que es un fracaso o que ha quedado mal con usted mismo(a) o con "
        "su familia",
        "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el periódico o ver la "
        "televisión",
        "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo contrario – muy "
        "inquieto(a) o agitado(a) que ha estado moviéndose mucho más de lo normal",
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
    ),
    options=SPANISH_US_FREQUENCY,
    source=SPANISH_US_SOURCE,
    difficulty=(
        "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos problemas para hacer su "
        "trabajo, encargarse de las tareas del hogar, o llevarse bien con otras personas?"
    ),
    difficulty_options=("No ha sido difícil", "Un poco difícil", "Muy difícil", "Extremadamente difícil"),
)

PHQ9_RUSSIAN = Translation(
    language="ru",
    tag="ru-RU",
    version="Russian for Russia",
    stem="Как часто за последние 2 недели Вас беспокоили следующие проблемы?",
    recall="За последние 2 недели",
    items=(
        "Вам не хотелось ничего делать",
        "У Вас было плохое настроение, Вы были подавлены или испытывали чувство безысходности",
        "Вам было трудно заснуть, у Вас был прерывистый сон, или Вы слишком много спали",
        "Вы были утомлены, или у Вас было мало сил",
        "У Вас был плохой аппетит, или Вы переедали",
        "Вы плохо о себе думали: считали себя неудачником (неудачницей), или были в себе разочарованы, или "
        "считали, что подвели свою семью",
        "Вам было трудно сосредоточиться (например, на чтении газеты или на просмотре телепередач)",
        "Вы двигались или говорили настолько медленно, что окружающие это замечали? Или, наоборот, Вы были "
        "настолько суетливы или взбудоражены, что двигались гораздо больше обычного",
        "Вас посещали мысли о том, что Вам лучше было бы умереть, или о том, чтобы причинить себе какой-нибудь вред",
    ),
    options=RUSSIAN_FREQUENCY,
    source=RUSSIAN_SOURCE,
    source_language="en-US",
    difficulty=(
        "Если Вы положительно ответили на какие-нибудь пункты, то оцените, насколько трудно Вам было работать, "
        "заниматься домашними делами или общаться с людьми из-за этих проблем?"
    ),
    difficulty_options=("Совсем не трудно", "Немного трудно", "Очень трудно", "Чрезвычайно трудно"),
)

GAD7_SPANISH_US = Translation(
    language="es",
    tag="es-US",
    version="Spanish for the USA",
    stem=SPANISH_US_STEM,
    recall="Durante las últimas 2 semanas",
    items=(
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
        "No ha sido capaz de parar o controlar su preocupación",
        "Se ha preocupado demasiado por motivos diferentes",
        "Ha tenido dificultad para relajarse",
        "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
        "Se ha molestado o irritado fácilmente",
        "Ha tenido miedo de que algo terrible fuera a pasar",
    ),
    options=SPANISH_US_FREQUENCY,
    source=SPANISH_US_SOURCE,
)

PHQ9 = Instrument(
    key="phq9",
    name="PHQ-9",
    title=_("Patient Health Questionnaire (PHQ-9)"),
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
        Band("minimal", _("Minimal"), 0, 4),
        Band("mild", _("Mild"), 5, 9),
        Band("moderate", _("Moderate"), 10, 14),
        Band("moderately_severe", _("Moderately severe"), 15, 19),
        Band("severe", _("Severe"), 20, 27),
    ),
    minutes=2,
    source=PFIZER_SOURCE,
    difficulty=Item("phq9_difficulty", 10, DIFFICULTY_TEXT, "69722-7"),
    difficulty_options=DIFFICULTY,
    translations=(PHQ9_SPANISH_US, PHQ9_RUSSIAN),
)

GAD7 = Instrument(
    key="gad7",
    name="GAD-7",
    title=_("Generalized Anxiety Disorder 7-item scale (GAD-7)"),
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
        Band("minimal", _("Minimal"), 0, 4),
        Band("mild", _("Mild"), 5, 9),
        Band("moderate", _("Moderate"), 10, 14),
        Band("severe", _("Severe"), 15, 21),
    ),
    minutes=2,
    source=PFIZER_SOURCE,
    translations=(GAD7_SPANISH_US,),
)

INSTRUMENTS: dict[str, Instrument] = {instrument.key: instrument for instrument in (PHQ9, GAD7)}
INSTRUMENT_CHOICES = [(instrument.key, instrument.name) for instrument in INSTRUMENTS.values()]
# Keyed by band so no lazy label is hashed (that would translate it at import time).
BAND_CHOICES = sorted(
    {band.key: band.label for instrument in INSTRUMENTS.values() for band in instrument.bands}.items(),
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
    """Every item answered with one of its values; the difficulty question optional. Errors name each item, in the
    active language (the options as the person reads them)."""
    if not isinstance(answers, dict):
        raise SymptomAnswersInvalid({"answers": [gettext("Send the answers as an object of item: value.")]})
    shown = instrument.localized()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int | None] = {}
    allowed = {option.value for option in instrument.options}
    choices = ", ".join(f"{o.value} ({o.label.lower()})" for o in shown.options)
    for item in instrument.items:
        value = answers.get(item.key)
        if value is None or value == "":
            errors[item.key] = [gettext("Please answer question %(number)s.") % {"number": item.number}]
            continue
        choice = _as_choice(value, allowed)
        if choice is None:
            errors[item.key] = [
                gettext("Question %(number)s: choose one of %(choices)s.") % {"number": item.number, "choices": choices}
            ]
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
                low, high = shown.difficulty_options[0], shown.difficulty_options[-1]
                errors[key] = [
                    gettext("Choose how difficult, from %(low)s (%(low_label)s) to %(high)s (%(high_label)s).")
                    % {
                        "low": low.value,
                        "low_label": low.label.lower(),
                        "high": high.value,
                        "high_label": high.label.lower(),
                    }
                ]
            else:
                cleaned[key] = choice
    known = {question.key for question in instrument.questions()}
    for key in answers:
        if key not in known:
            errors[key] = [gettext("The %(name)s has no question %(key)r.") % {"name": instrument.name, "key": key}]
    if errors:
        raise SymptomAnswersInvalid(errors)
    return cleaned


def score(instrument: Instrument, answers: dict[str, int | None]) -> Score:
    """The published scoring: the sum of the item values; the band by its range; the difficulty item unscored."""
    total = sum(answers[item.key] for item in instrument.items)
    safety_flag = any(answers[item.key] > 0 for item in instrument.safety_items)
    return Score(total=total, band=instrument.band_for(total), safety_flag=safety_flag)


def instrument_schema(instrument: Instrument, language: str | None = None) -> dict[str, Any]:
    """The JSON description served by GET /api/v1/instruments/, in the request's language where a published version
    is held (`language` says which wording it is; `fallback` is true when the English original stands in)."""
    shown = instrument.localized(language)

    def options(opts: tuple[Option, ...]) -> list[dict[str, Any]]:
        return [{"value": o.value, "label": o.label, "loinc": o.loinc} for o in opts]

    return {
        "key": shown.key,
        "name": shown.name,
        "title": str(shown.title),
        "loinc": shown.loinc,
        "total_loinc": shown.total_loinc,
        "language": shown.language,
        "fallback": shown.is_fallback,
        "recall_period": shown.recall,
        "instructions": shown.stem,
        "items": [
            {"key": i.key, "number": i.number, "text": i.text, "loinc": i.loinc, "required": True} for i in shown.items
        ],
        "options": options(shown.options),
        "difficulty": {
            "key": shown.difficulty.key,
            "text": shown.difficulty.text,
            "loinc": shown.difficulty.loinc or None,
            "required": False,
            "options": options(shown.difficulty_options),
        }
        if shown.difficulty
        else None,
        "max_total": shown.max_total,
        "bands": [{"key": b.key, "label": str(b.label), "min": b.low, "max": b.high} for b in shown.bands],
        "source": shown.source,
    }
