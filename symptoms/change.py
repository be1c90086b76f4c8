"""Change over time: the rules clinicians use to read a later PHQ-9 or GAD-7 against an earlier one, as data.

Each rule names its published source and the date it was checked. `RULE_SETS` is the one list the site applies:
a clinic's own rules are one more `RuleSet` entry here (and its texts in locale/), nothing else changes; views,
templates and the API only show what `labels_for` returns.

The rules applied (docs/symptoms.md#change-over-time):

- NHS Talking Therapies (NHS England, "NHS Talking Therapies for anxiety and depression manual", and the outcome
  definitions of NHS Digital's Talking Therapies reports): a change of 6 points or more on the PHQ-9, or 4 or more
  on the GAD-7, is a *reliable* change (larger than the questionnaire's measurement error): a fall is reliable
  improvement, a rise reliable deterioration. *Caseness* is a PHQ-9 of 10 or more or a GAD-7 of 8 or more;
  *recovery* is moving from caseness to below both thresholds. Services take both questionnaires at the same
  appointment, so recovery is judged on the pair; here each is answered on its own, so a PHQ-9 and a GAD-7 count
  as a pair when they were answered within `PAIR_WINDOW` of each other (the nearest one). When the other
  questionnaire was answered at neither end, recovery is judged on the one questionnaire and the label says so;
  when it was answered at one end only, recovery is not judged (the pair cannot be compared).
- NCQA (HEDIS "Depression Remission or Response for Adolescents and Adults", DRR-E): among people whose index
  PHQ-9 was elevated (above 9), *response* is a PHQ-9 at least 50 % below that index score and *remission* a
  PHQ-9 below 5. Here the index is the person's first PHQ-9 (the baseline).

Not applied: the 5-point change often quoted for the PHQ-9 is a minimal clinically important difference (Löwe B,
Unützer J, Callahan CM, Perkins AJ, Kroenke K. Monitoring depression treatment outcomes with the Patient Health
Questionnaire-9. Med Care 2004;42(12):1194-1201), not a reliable-change index; `NOT_APPLIED` keeps it on record so
no one mistakes it for the rule shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

PHQ9, GAD7 = "phq9", "gad7"
# A PHQ-9 and a GAD-7 answered this close together are read as one sitting, as a service would take them.
PAIR_WINDOW = timedelta(hours=24)

# Where a label compares: the check just before, or the person's first check of that questionnaire.
PREVIOUS, BASELINE = "previous", "baseline"

RELIABLE_IMPROVEMENT = "reliable_improvement"
NO_RELIABLE_CHANGE = "no_reliable_change"
RELIABLE_DETERIORATION = "reliable_deterioration"
RESPONSE, REMISSION, RECOVERY = "response", "remission", "recovery"


@dataclass(frozen=True)
class Source:
    citation: str
    url: str
    checked: date


@dataclass(frozen=True)
class ReliableChange:
    """A change of `points` or more on `instrument` is larger than the questionnaire's own noise."""

    instrument: str
    points: int
    references: tuple[str, ...] = (PREVIOUS, BASELINE)


@dataclass(frozen=True)
class Response:
    """`instrument` at least `fraction` below the reference, from a reference score of `from_at_least` or more."""

    instrument: str
    fraction: float
    from_at_least: int
    references: tuple[str, ...] = (BASELINE,)


@dataclass(frozen=True)
class Remission:
    """`instrument` below `below`, from a reference score of `from_at_least` or more."""

    instrument: str
    below: int
    from_at_least: int
    references: tuple[str, ...] = (BASELINE,)


@dataclass(frozen=True)
class Recovery:
    """From caseness (any instrument at or above its threshold) to below every threshold, on paired checks."""

    caseness: dict[str, int]
    references: tuple[str, ...] = (BASELINE,)


Rule = ReliableChange | Response | Remission | Recovery


@dataclass(frozen=True)
class RuleSet:
    key: str
    name: str  # an organisation's name: not translated
    source: Source
    rules: tuple[Rule, ...]


NHS_TALKING_THERAPIES = RuleSet(
    key="nhs_talking_therapies",
    name="NHS Talking Therapies",
    source=Source(
        citation="NHS England. NHS Talking Therapies for anxiety and depression manual, version 7 (2024), "
        "outcome measurement: reliable improvement, reliable deterioration and recovery (PHQ-9 and GAD-7); "
        "NHS Digital, NHS Talking Therapies annual reports, data quality and methodology.",
        url="https://www.england.nhs.uk/publication/the-improving-access-to-psychological-therapies-manual/",
        checked=date(2026, 12, 7),
    ),
    rules=(
        ReliableChange(PHQ9, 6),
        ReliableChange(GAD7, 4),
        Recovery(caseness={PHQ9: 10, GAD7: 8}),
    ),
)

NCQA = RuleSet(
    key="ncqa",
    name="NCQA",
    source=Source(
        citation="National Committee for Quality Assurance. HEDIS measure Depression Remission or Response for "
        "Adolescents and Adults (DRR-E): response, a PHQ-9 at least 50 % below the index score; remission, a "
        "PHQ-9 below 5; for people whose index PHQ-9 was above 9.",
        url="https://www.ncqa.org/hedis/measures/depression-remission-or-response-for-adolescents-and-adults/",
        checked=date(2026, 12, 7),
    ),
    rules=(
        Response(PHQ9, fraction=0.5, from_at_least=10),
        Remission(PHQ9, below=5, from_at_least=10),
    ),
)

RULE_SETS: tuple[RuleSet, ...] = (NHS_TALKING_THERAPIES, NCQA)

NOT_APPLIED = {
    "phq9_mcid_5_points": Source(
        citation="Löwe B, Unützer J, Callahan CM, Perkins AJ, Kroenke K. Monitoring depression treatment outcomes "
        "with the Patient Health Questionnaire-9. Med Care 2004;42(12):1194-1201. A minimal clinically important "
        "difference of 5 points, not a reliable-change index: not the rule this site applies.",
        url="https://pubmed.ncbi.nlm.nih.gov/15550799/",
        checked=date(2026, 12, 7),
    ),
}

NAMES = {PHQ9: "PHQ-9", GAD7: "GAD-7"}


# --- What a label says -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One check as the rules read it: its questionnaire, total and time."""

    instrument: str
    total: int
    at: datetime
    id: Any = None


@dataclass(frozen=True)
class Label:
    key: str  # RELIABLE_IMPROVEMENT, NO_RELIABLE_CHANGE, RELIABLE_DETERIORATION, RESPONSE, REMISSION, RECOVERY
    rule_set: str
    rule: str  # the rule in words, naming its rule set: "NHS Talking Therapies: a change of 6 points or more..."
    text: str  # what it means, plainly
    points_to_help: bool = False

    @property
    def name(self) -> str:
        return str(KEY_NAMES[self.key])

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rule_set": self.rule_set,
            "rule": self.rule,
            "text": self.text,
            "points_to_help": self.points_to_help,
        }


@dataclass(frozen=True)
class Comparison:
    """A check against one earlier check of the same questionnaire, with every label that applies."""

    against: str  # PREVIOUS or BASELINE
    earlier: Reading
    difference: int  # later total minus earlier total
    labels: list[Label] = field(default_factory=list)

    @property
    def change_label(self) -> Label | None:
        """The reliable-change label; None only if no rule set has a reliable-change rule for the questionnaire."""
        return next((label for label in self.labels if label.key in CHANGE_KEYS), None)

    @property
    def other_labels(self) -> list[Label]:
        return [label for label in self.labels if label.key not in CHANGE_KEYS]


CHANGE_KEYS = frozenset({RELIABLE_IMPROVEMENT, NO_RELIABLE_CHANGE, RELIABLE_DETERIORATION})

KEY_NAMES: dict[str, str | Promise] = {
    RELIABLE_IMPROVEMENT: gettext_lazy("Reliable improvement"),
    NO_RELIABLE_CHANGE: gettext_lazy("No reliable change"),
    RELIABLE_DETERIORATION: gettext_lazy("Reliable deterioration"),
    RESPONSE: gettext_lazy("Response"),
    REMISSION: gettext_lazy("Remission"),
    RECOVERY: gettext_lazy("Recovery"),
}


def _rule_words(rule_set: RuleSet, rule: Rule) -> str:
    return f"{rule_set.name}: {_words(rule)}"


def _words(rule: Rule) -> str:
    """The rule in words, without its rule set's name."""
    if isinstance(rule, ReliableChange):
        words = ngettext(
            "a change of %(points)s point or more on the %(name)s",
            "a change of %(points)s points or more on the %(name)s",
            rule.points,
        ) % {"points": rule.points, "name": NAMES[rule.instrument]}
    elif isinstance(rule, Response):
        words = _("a %(name)s at least %(percent)s%% below the first one, which was %(low)s or more") % {
            "name": NAMES[rule.instrument],
            "percent": round(rule.fraction * 100),
            "low": rule.from_at_least,
        }
    elif isinstance(rule, Remission):
        words = _("a %(name)s below %(below)s, from a first one of %(low)s or more") % {
            "name": NAMES[rule.instrument],
            "below": rule.below,
            "low": rule.from_at_least,
        }
    else:
        thresholds = [(NAMES[key], value) for key, value in rule.caseness.items()]
        words = _("from a %(first)s of %(first_at)s or more or a %(second)s of %(second_at)s or more to below both") % {
            "first": thresholds[0][0],
            "first_at": thresholds[0][1],
            "second": thresholds[1][0],
            "second_at": thresholds[1][1],
        }
    return words


def _since(against: str) -> str:
    return _("since your first check") if against == BASELINE else _("since your last check")


def _change_label(rule_set: RuleSet, rule: ReliableChange, comparison: Comparison) -> Label:
    difference = comparison.difference
    size = abs(difference)
    since = _since(comparison.against)
    if difference <= -rule.points:
        key = RELIABLE_IMPROVEMENT
        text = ngettext(
            "%(count)s point lower %(since)s: more than the questionnaire's usual ups and downs.",
            "%(count)s points lower %(since)s: more than the questionnaire's usual ups and downs.",
            size,
        ) % {"count": size, "since": since}
    elif difference >= rule.points:
        key = RELIABLE_DETERIORATION
        text = ngettext(
            "%(count)s point higher %(since)s: more than the questionnaire's usual ups and downs. Things may be "
            "harder right now; it can help to talk to your doctor or to someone you trust.",
            "%(count)s points higher %(since)s: more than the questionnaire's usual ups and downs. Things may be "
            "harder right now; it can help to talk to your doctor or to someone you trust.",
            size,
        ) % {"count": size, "since": since}
    else:
        key = NO_RELIABLE_CHANGE
        if difference == 0:
            text = _("The same score %(since)s.") % {"since": since}
        elif difference < 0:
            text = ngettext(
                "%(count)s point lower %(since)s: within the questionnaire's usual ups and downs.",
                "%(count)s points lower %(since)s: within the questionnaire's usual ups and downs.",
                size,
            ) % {"count": size, "since": since}
        else:
            text = ngettext(
                "%(count)s point higher %(since)s: within the questionnaire's usual ups and downs.",
                "%(count)s points higher %(since)s: within the questionnaire's usual ups and downs.",
                size,
            ) % {"count": size, "since": since}
    return Label(
        key=key,
        rule_set=rule_set.key,
        rule=_rule_words(rule_set, rule),
        text=text,
        points_to_help=key == RELIABLE_DETERIORATION,
    )


def _caseness(pair: Sequence[Reading], thresholds: dict[str, int]) -> bool:
    return any(reading.total >= thresholds[reading.instrument] for reading in pair if reading.instrument in thresholds)


def _recovered(rule: Recovery, earlier: Sequence[Reading], later: Sequence[Reading]) -> tuple[bool, bool]:
    """(recovered, judged on one questionnaire alone); never recovered when the pairs cannot be compared."""
    earlier_kinds = {reading.instrument for reading in earlier}
    later_kinds = {reading.instrument for reading in later}
    if earlier_kinds != later_kinds:
        return False, False
    recovered = _caseness(earlier, rule.caseness) and not _caseness(later, rule.caseness)
    return recovered, len(earlier_kinds) == 1


def compare(
    later: Reading,
    earlier: Reading,
    *,
    against: str,
    later_pair: Sequence[Reading] = (),
    earlier_pair: Sequence[Reading] = (),
    rule_sets: Sequence[RuleSet] = RULE_SETS,
) -> Comparison:
    """Every label the rule sets give `later` against `earlier` (same questionnaire). `*_pair` are the other
    questionnaire's check answered with each, if any (see PAIR_WINDOW), for recovery."""
    comparison = Comparison(against=against, earlier=earlier, difference=later.total - earlier.total)
    for rule_set in rule_sets:
        for rule in rule_set.rules:
            if against not in rule.references:
                continue
            label = _apply(rule_set, rule, comparison, later, earlier, later_pair, earlier_pair)
            if label is not None:
                comparison.labels.append(label)
    return comparison


def _apply(
    rule_set: RuleSet,
    rule: Rule,
    comparison: Comparison,
    later: Reading,
    earlier: Reading,
    later_pair: Sequence[Reading],
    earlier_pair: Sequence[Reading],
) -> Label | None:
    words: Callable[[], str] = lambda: _rule_words(rule_set, rule)  # noqa: E731 (worded only when it applies)
    if isinstance(rule, ReliableChange):
        return _change_label(rule_set, rule, comparison) if rule.instrument == later.instrument else None
    if isinstance(rule, Response):
        if rule.instrument != later.instrument or earlier.total < rule.from_at_least:
            return None
        # Whole numbers, so "at least half below" is exact: later <= earlier * (1 - fraction), without rounding.
        if later.total > earlier.total * (1 - rule.fraction):
            return None
        text = _(
            "Your %(name)s is at least %(percent)s%% lower than at your first check: what %(rule_set)s calls a "
            "response. It describes a change in scores, not a diagnosis."
        ) % {"name": NAMES[rule.instrument], "percent": round(rule.fraction * 100), "rule_set": rule_set.name}
        return Label(key=RESPONSE, rule_set=rule_set.key, rule=words(), text=text)
    if isinstance(rule, Remission):
        if rule.instrument != later.instrument or earlier.total < rule.from_at_least or later.total >= rule.below:
            return None
        text = _(
            "Your %(name)s is below %(below)s: what %(rule_set)s calls remission. It is a word for scores, not an "
            "all-clear; keep looking after yourself and keep checking in."
        ) % {"name": NAMES[rule.instrument], "below": rule.below, "rule_set": rule_set.name}
        return Label(key=REMISSION, rule_set=rule_set.key, rule=words(), text=text)
    if later.instrument not in rule.caseness:
        return None
    recovered, alone = _recovered(rule, [earlier, *earlier_pair], [later, *later_pair])
    if not recovered:
        return None
    if alone:
        text = _(
            "From above %(rule_set)s's threshold to below it, judged on the %(name)s alone (no other questionnaire "
            "was answered the same day): what it calls recovery. It describes scores, not a cure."
        ) % {"name": NAMES[later.instrument], "rule_set": rule_set.name}
    else:
        text = _(
            "From above %(rule_set)s's thresholds to below both: what it calls recovery. It describes scores, not "
            "a cure."
        ) % {"rule_set": rule_set.name}
    return Label(key=RECOVERY, rule_set=rule_set.key, rule=words(), text=text)


# --- A person's checks, each labelled ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckChange:
    """A check's comparisons: against the one before and against the first (the same when they are one)."""

    reading: Reading
    previous: Comparison | None
    baseline: Comparison | None

    @property
    def comparisons(self) -> list[Comparison]:
        """What to show: the baseline comparison, and the previous one when it is another check."""
        shown = [self.baseline] if self.baseline else []
        if self.previous and (self.baseline is None or self.previous.earlier.id != self.baseline.earlier.id):
            shown.insert(0, self.previous)
        return shown

    @property
    def points_to_help(self) -> bool:
        return any(label.points_to_help for comparison in self.comparisons for label in comparison.labels)

    @property
    def rules(self) -> list[str]:
        """Every rule the shown labels name, once each, in order: for a compact line that names each rule once."""
        return list(dict.fromkeys(label.rule for c in self.comparisons for label in c.labels if label.rule))


def _pair(reading: Reading, others: Sequence[Reading]) -> list[Reading]:
    """The other questionnaire's check answered nearest `reading`, within PAIR_WINDOW; none if there is none."""
    near = [other for other in others if abs(other.at - reading.at) <= PAIR_WINDOW]
    return [min(near, key=lambda other: abs(other.at - reading.at))] if near else []


def labels_for(readings: Sequence[Reading], *, rule_sets: Sequence[RuleSet] = RULE_SETS) -> dict[Any, CheckChange]:
    """Every reading (one person's checks, any order, any questionnaires) with its comparisons, keyed by id.
    A questionnaire's first check has none."""
    by_instrument: dict[str, list[Reading]] = {}
    for reading in sorted(readings, key=lambda r: r.at):
        by_instrument.setdefault(reading.instrument, []).append(reading)
    changes: dict[Any, CheckChange] = {}
    for instrument, series in by_instrument.items():
        others = [r for key, rs in by_instrument.items() if key != instrument for r in rs]
        first = series[0]
        changes[first.id] = CheckChange(reading=first, previous=None, baseline=None)
        for index, reading in enumerate(series[1:], start=1):
            pair = _pair(reading, others)
            comparisons = {}
            for against, earlier in ((PREVIOUS, series[index - 1]), (BASELINE, first)):
                comparisons[against] = compare(
                    reading,
                    earlier,
                    against=against,
                    later_pair=pair,
                    earlier_pair=_pair(earlier, others),
                    rule_sets=rule_sets,
                )
            changes[reading.id] = CheckChange(
                reading=reading, previous=comparisons[PREVIOUS], baseline=comparisons[BASELINE]
            )
    return changes


def rule_sets_in_words() -> list[dict[str, Any]]:
    """Every rule applied, in words, with its source: for the pages' "about these labels" note and the docs."""
    return [
        {
            "key": rule_set.key,
            "name": rule_set.name,
            "source": rule_set.source.citation,
            "url": rule_set.source.url,
            "checked": rule_set.source.checked,
            "rules": [_rule_words(rule_set, rule) for rule in rule_set.rules],
            "words": [_words(rule) for rule in rule_set.rules],
        }
        for rule_set in RULE_SETS
    ]
