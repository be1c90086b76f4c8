"""The states a screening can be in and the changes between them: one table on the model, drawn in the docs."""

import re
from pathlib import Path

from screening.models import Screening

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screening.md"


def documented_edges() -> set[tuple[str, str]]:
    section = DOCS.read_text().split("## States", 1)[1].split("\n## ", 1)[0]
    diagram = section.split("```mermaid", 1)[1].split("```", 1)[0]
    edges = re.findall(r"^\s*(\S+)\s+-->\s+([^\s:]+)", diagram, flags=re.MULTILINE)
    return {(before, after) for before, after in edges if "[*]" not in (before, after)}


def test_the_docs_diagram_draws_exactly_the_models_transitions():
    table = {(before, after) for before, afters in Screening.TRANSITIONS.items() for after in afters}

    assert documented_edges() == table


def test_every_status_has_a_row_and_only_done_and_failed_are_final():
    assert set(Screening.TRANSITIONS) == set(Screening.Status.values)
    assert {Screening.Status.DONE, Screening.Status.FAILED} == Screening.FINISHED_STATUSES
    assert Screening.statuses_before(Screening.Status.RUNNING) == [Screening.Status.PENDING]
