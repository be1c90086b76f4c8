"""The clinical safety case (docs/safety/): every control in the hazard log names a test that exists, every rating
follows the DCB0129 matrix, every hazard the issue asks for is there, and a control still being built elsewhere is
marked "planned (issue N)" and listed here, so it is seen and not forgotten."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "docs" / "safety" / "hazard-log.md"
INTENDED_USE = ROOT / "docs" / "safety" / "intended-use.md"

TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
PLANNED = re.compile(r"planned \(issue (\d+)\)")
RATING = re.compile(r"\*\*(Initial|Residual):\*\* severity (\d) \u00d7 likelihood (\d) → risk (\d)")
# DCB0129's 5 x 5 matrix: MATRIX[likelihood][severity].
MATRIX = {
    5: {1: 3, 2: 4, 3: 4, 4: 5, 5: 5},
    4: {1: 2, 2: 3, 3: 3, 4: 4, 5: 5},
    3: {1: 2, 2: 2, 3: 3, 4: 3, 5: 4},
    2: {1: 1, 2: 2, 3: 2, 4: 3, 5: 4},
    1: {1: 1, 2: 1, 3: 2, 4: 2, 5: 3},
}
# Controls being built by other issues: (hazard, issue). A new "planned" in the log must be added here on purpose.
PLANNED_CONTROLS: set[tuple[str, int]] = set()
REQUIRED_HAZARDS = {
    "H1": "false reassurance",
    "H2": "crisis path is not shown",
    "H3": "wrong or unsuitable crisis line",
    "H4": "drifted from today's population",
    "H5": "what-if read as causal advice",
    "H6": "export that overstates clinical status",
    "H7": "lower accuracy for some groups",
    "H8": "improvement within measurement error",
    "H9": "breach of health data",
}


def hazards() -> dict[str, str]:
    """Each hazard's section of the log, by its id."""
    sections = re.split(r"^## ", LOG.read_text(encoding="utf-8"), flags=re.M)[1:]
    return {section.split()[0]: section for section in sections if re.match(r"H\d+ ", section)}


def functions_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_the_safety_case_has_an_intended_use_and_every_hazard_the_issue_names():
    assert "## What it is not" in INTENDED_USE.read_text(encoding="utf-8")
    found = hazards()
    for hazard, words in REQUIRED_HAZARDS.items():
        assert hazard in found, hazard
        assert words.lower() in found[hazard].splitlines()[0].lower(), (hazard, words)


@pytest.mark.parametrize("hazard", sorted(REQUIRED_HAZARDS))
def test_every_hazard_has_cause_effect_ratings_and_a_control(hazard):
    section = hazards()[hazard]
    for part in ("**Cause:**", "**Effect:**", "**Controls:**"):
        assert part in section, (hazard, part)
    assert TEST_REFERENCE.search(section) or PLANNED.search(section), hazard


@pytest.mark.parametrize("hazard", sorted(REQUIRED_HAZARDS))
def test_every_rating_follows_the_matrix_and_the_controls_never_raise_it(hazard):
    ratings = {kind: (int(s), int(lk), int(r)) for kind, s, lk, r in RATING.findall(hazards()[hazard])}
    assert set(ratings) == {"Initial", "Residual"}, hazard
    for severity, likelihood, risk in ratings.values():
        assert MATRIX[likelihood][severity] == risk, (hazard, severity, likelihood, risk)
    assert ratings["Residual"][2] <= ratings["Initial"][2], hazard


def test_every_test_the_log_names_exists():
    references = TEST_REFERENCE.findall(LOG.read_text(encoding="utf-8"))
    assert len(references) >= len(REQUIRED_HAZARDS)
    missing = [
        f"{path}::{name}" for path, name in references if not (ROOT / path).is_file() or name not in functions_in(path)
    ]
    assert not missing, f"the hazard log names tests that do not exist: {missing}"


def test_the_controls_still_being_built_are_exactly_the_listed_ones():
    planned = {(hazard, int(issue)) for hazard, section in hazards().items() for issue in PLANNED.findall(section)}
    assert planned == PLANNED_CONTROLS
