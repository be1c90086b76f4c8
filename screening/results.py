"""A finished result in the words and pictures people read best: counts in 100, an icon array, what-ifs.

Risk-communication research (Spiegelhalter and the Winton Centre; Galesic and Garcia-Retamero) finds natural
frequencies ("12 in 100 people") beside a base rate, drawn as an icon array, understood better than a percentage,
most of all by people less at ease with numbers. Everything here is arithmetic on stored numbers; the SVG is
drawn on the server so it works without JavaScript, and it carries a text alternative.
"""

from __future__ import annotations

import functools
from typing import Any

from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from predictor.services import instead_in_words, less_reliable_for, submodel_used

COLUMNS = ROWS = 10
CELL = 22  # px per icon in the SVG's own units


def in_100(probability: float) -> int:
    """0.123 -> 12; never 0 or 100 for an estimate that is not exactly that: "under 1" is said in words."""
    return min(99, max(0, round(probability * 100)))


def in_100_words(probability: float) -> str:
    count = in_100(probability)
    if count == 0:
        return _("fewer than 1 in 100")
    return ngettext("%(count)s in 100", "%(count)s in 100", count) % {"count": count}


def gettext_stored(text: str) -> str:
    """A message the services stored in English (a failure's reason), in the reader's language; a text that is
    not in the catalogue (written before it was, or by staff) is shown as stored."""
    return _(text) if text else text


def _icon_texts(count: int, *, who: str) -> tuple[str, str]:
    """The icon array's description (for screen readers) and caption, in the reader's language."""
    if who == "estimate":
        if count == 0:
            desc = _("Fewer than 1 in 100 people like you would screen positive: none of the 100 figures is filled.")
        else:
            desc = ngettext(
                "%(count)s in 100 people like you would screen positive: %(count)s of 100 figures is filled.",
                "%(count)s in 100 people like you would screen positive: %(count)s of 100 figures are filled.",
                count,
            ) % {"count": count}
    elif count == 0:
        desc = _(
            "Fewer than 1 in 100 people aged 12 and over in the US screened positive in 2021–2023: none of the 100 "  # noqa: RUF001 (a range of years)
            "figures is filled."
        )
    else:
        desc = ngettext(
            "%(count)s in 100 people aged 12 and over in the US screened positive in 2021–2023: %(count)s of 100 "  # noqa: RUF001 (a range of years)
            "figures is filled.",
            "%(count)s in 100 people aged 12 and over in the US screened positive in 2021–2023: %(count)s of 100 "  # noqa: RUF001 (a range of years)
            "figures are filled.",
            count,
        ) % {"count": count}
    # The estimate is what would happen; the comparison is what a national survey found.
    if who == "estimate" and count == 0:
        caption = _("Fewer than 1 in 100 would screen positive")
    elif who == "estimate":
        caption = ngettext(
            "%(count)s in 100 would screen positive", "%(count)s in 100 would screen positive", count
        ) % {"count": count}
    elif count == 0:
        caption = _("Fewer than 1 in 100 screened positive")
    else:
        caption = ngettext("%(count)s in 100 screened positive", "%(count)s in 100 screened positive", count) % {
            "count": count
        }
    return desc, caption


_FIGURE = (
    '<g class="person{}" transform="translate({} {})"><circle cy="2" r="3.2"/>'
    '<path d="M-5 14 v-4 a5 5 0 0 1 10 0 v4 z"/></g>'
)


@functools.cache  # 101 counts (0 to 100), each made once
def figures(count: int) -> SafeString:
    """The SVG of 100 person icons, the first `count` filled, in rows of ten from the top left.

    The same for every page and language (coordinates are SVG numbers, never localized: to SVG the "11,0" of
    Spanish or Russian is two numbers), so made once per count: as 100 template loop iterations it was most of the
    CPU of a finished result's render.
    """
    positions = (divmod(index, COLUMNS) for index in range(COLUMNS * ROWS))
    return format_html_join(
        "",
        _FIGURE,
        (
            (" filled" if row * COLUMNS + column < count else "", column * CELL + CELL / 2, row * CELL + 6)
            for row, column in positions
        ),
    )


def icon_array(probability: float, *, title: str, who: str) -> dict[str, Any]:
    """An icon array of 100 people for a probability, with its texts."""
    count = in_100(probability)
    desc, caption = _icon_texts(count, who=who)
    return {
        "count": count,
        "words": in_100_words(probability),
        "title": title,
        "desc": desc,
        "caption": caption,
        "figures": figures(count),
        "size": COLUMNS * CELL,
    }


def result_pictures(*, probability: float | None, base_rate: float | None) -> dict[str, Any]:
    if probability is None:
        return {}
    pictures = {
        "estimate": icon_array(probability, title=_("People with answers like yours"), who="estimate"),
    }
    if base_rate is not None:
        pictures["base"] = icon_array(base_rate, title=_("People aged 12 and over in the US"), who="base")
    return pictures


def estimate_range(*, low: float | None, high: float | None) -> dict[str, int] | None:
    """The model's range around an estimate as counts in 100 ("between about 7 and 11"), or None without one."""
    if low is None or high is None:
        return None
    return {"low": in_100(low), "high": in_100(high)}


def what_if_rows(
    *, what_ifs: list[dict[str, Any]], probability: float | None, answers: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Stored what-ifs as sentences in the reader's language, the lowest estimate first. The change is worded
    again from the stored answers; the English stored with the result is the fallback."""
    if probability is None:
        return []
    own = in_100(probability)
    rows = []
    for what_if in sorted(what_ifs, key=lambda w: w["probability"]):
        count = in_100(what_if["probability"])
        instead = instead_in_words(what_if["key"], answers or {}) or what_if["instead"]
        if count == 0:
            sentence = _("People with your answers but %(instead)s had an estimated fewer than 1 in 100.") % {
                "instead": instead
            }
        else:
            sentence = ngettext(
                "People with your answers but %(instead)s had an estimated %(count)s in 100.",
                "People with your answers but %(instead)s had an estimated %(count)s in 100.",
                count,
            ) % {"instead": instead, "count": count}
        rows.append(
            {
                "key": what_if["key"],
                "sentence": sentence,
                "count": count,
                "difference": count - own,
            }
        )
    return rows


# A range at least this wide (high - low, as a probability) says why on the result.
WIDE_RANGE = 0.15


def range_wide_because(*, low: float | None, high: float | None, skipped: bool) -> str:
    """Why a range is wide, for one plain sentence beside it: "skipped" (partly the questions left unanswered),
    "model" (the model is less precise for estimates like this one), or "" when it is not wide."""
    if low is None or high is None or high - low < WIDE_RANGE:
        return ""
    return "skipped" if skipped else "model"


def less_reliable_rows(*, answers: dict[str, Any], model_key: str, model_version: str) -> list[dict[str, Any]]:
    """The groups this person is in where the model that scored them was clearly less accurate on the hold-out
    (the model card's rule), with both figures as "N in 100" (how often it ranked a person who screened positive
    above one who did not)."""
    if not answers or not model_version:
        return []
    return [
        {
            "group": group["describe"],
            "group_in_100": round(100 * group["roc_auc"]),
            "overall_in_100": round(100 * group["overall"]),
        }
        for group in less_reliable_for(answers=answers, model_key=model_key, model_version=model_version)
    ]


def scored_without_skipped(*, answers: dict[str, Any], model_version: str) -> bool:
    """Whether this result came from a pattern submodel: a model trained without the questions this person left
    out, which reads only the ones they answered (docs/predictor.md, "Version 3")."""
    if not answers or not model_version:
        return False
    return submodel_used(answers=answers, model_version=model_version) is not None
