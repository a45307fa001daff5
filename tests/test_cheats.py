"""Cheats score no more than the same notebook without the cheat, and the integrity report names them."""
import pytest

from cnnkit import cheats
from cnnkit.course import load

COURSE = load()
CASES = [(a, c) for a in COURSE.built() for c in cheats.CHEATS]


def baseline(grading_run, assignment: str, cheat: cheats.Cheat) -> float:
    if cheat.base == "blank":
        return grading_run.graded(assignment, "blank").result.total
    return grading_run.graded(assignment, cheats.base_mutant(COURSE, assignment).student).result.total


@pytest.mark.parametrize("assignment,cheat", CASES, ids=[f"{a}/{c.name}" for a, c in CASES])
def test_cheat_gains_nothing_and_is_flagged(grading_run, assignment, cheat):
    row = grading_run.cheats[(assignment, cheat.student)]
    assert row.status == "graded", row.error
    assert row.total <= baseline(grading_run, assignment, cheat), row.messages
    assert row.findings, "the integrity report must name the cheat"


def test_each_assignment_has_eight_kinds_of_cheat():
    assert len({c.kind for c in cheats.CHEATS}) >= 8
