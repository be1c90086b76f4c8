"""A finished result in the words and pictures people read best: counts in 100, an icon array, what-ifs.

Risk-communication research (Spiegelhalter and the Winton Centre; Galesic and Garcia-Retamero) finds natural
frequencies ("12 in 100 people") beside a base rate, drawn as an icon array, understood better than a percentage,
most of all by people less at ease with numbers. Everything here is arithmetic on stored numbers; the SVG is
drawn on the server so it works without JavaScript, and it carries a text alternative.
"""

from __future__ import annotations

from typing import Any

COLUMNS = ROWS = 10
CELL = 22  # px per icon in the SVG's own units


def in_100(probability: float) -> int:
    """0.123 -> 12; never 0 or 100 for an estimate that is not exactly that: "under 1" is said in words."""
    return min(99, max(0, round(probability * 100)))


def in_100_words(probability: float) -> str:
    count = in_100(probability)
    if count == 0:
        return "fewer than 1 in 100"
    return f"{count} in 100"


def icon_array(probability: float, *, title: str, people: str) -> dict[str, Any]:
    """Coordinates for 100 person icons, the first `count` filled, in rows of ten from the top left."""
    count = in_100(probability)
    icons = []
    for index in range(COLUMNS * ROWS):
        row, column = divmod(index, COLUMNS)
        icons.append({"x": column * CELL + CELL / 2, "y": row * CELL + 6, "filled": index < count})
    return {
        "count": count,
        "words": in_100_words(probability),
        "title": title,
        "people": people,
        "icons": icons,
        "size": COLUMNS * CELL,
    }


def result_pictures(*, probability: float | None, base_rate: float | None) -> dict[str, Any]:
    if probability is None:
        return {}
    pictures = {
        "estimate": icon_array(probability, title="People with answers like yours", people="people like you"),
    }
    if base_rate is not None:
        pictures["base"] = icon_array(base_rate, title="Adults in the survey", people="adults in the survey")
    return pictures


def what_if_rows(*, what_ifs: list[dict[str, Any]], probability: float | None) -> list[dict[str, Any]]:
    """Stored what-ifs as sentences, the lowest estimate first."""
    if probability is None:
        return []
    own = in_100(probability)
    rows = []
    for what_if in sorted(what_ifs, key=lambda w: w["probability"]):
        count = in_100(what_if["probability"])
        rows.append(
            {
                "key": what_if["key"],
                "sentence": f"People with your answers but {what_if['instead']} had an estimated "
                f"{in_100_words(what_if['probability'])}.",
                "count": count,
                "difference": count - own,
            }
        )
    return rows
