"""The icon arrays' figures: 100 people in rows of ten, the first `count` filled, at SVG coordinates."""

import re

import pytest

from screening.results import figures, icon_array

FIGURE = re.compile(r'<g class="person( filled)?" transform="translate\(([0-9.]+) ([0-9.]+)\)">')


@pytest.mark.parametrize("count", [0, 1, 37, 99])
def test_the_first_count_figures_are_filled_in_rows_of_ten_from_the_top_left(count):
    found = FIGURE.findall(figures(count))

    assert len(found) == 100
    assert [bool(filled) for filled, _, _ in found] == [index < count for index in range(100)]
    assert [(x, y) for _, x, y in found[:2]] == [("11.0", "6"), ("33.0", "6")]
    assert (found[10][1], found[10][2]) == ("11.0", "28")
    assert (found[99][1], found[99][2]) == ("209.0", "204")


def test_an_icon_array_carries_the_figures_of_its_count():
    array = icon_array(0.123, title="People with answers like yours", who="estimate")

    assert array["count"] == 12
    assert array["figures"] == figures(12)
    assert array["figures"].count(" filled") == 12
