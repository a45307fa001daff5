"""Cheats score no more than the same notebook without the cheat, and the integrity report names them."""
import pytest

from cnnkit import cheats
from cnnkit.course import load

COURSE = load()
CASES = [(a, c) for a in COURSE.built() for c in cheats.CHEATS]


def baseline(grading_run, assignment: str, cheat: cheats.Cheat) -> float:
    if cheat.base == "blank":
        return grading_run.graded(assignment, "blank").result.total
    mutant = cheats.base_mutant(COURSE, assignment)
    graded = grading_run.graded(assignment, mutant.student).result
    reference = grading_run.graded(assignment, "reference").result
    # make test grades the mutant in a bundle: what it scores alone is the reference's total minus
    # what it lost on its own cells (the other members' cells are theirs)
    return reference.total - sum(reference.scores[cell] - graded.scores[cell] for cell in mutant.loses)


@pytest.mark.parametrize("assignment,cheat", CASES, ids=[f"{a}/{c.name}" for a, c in CASES])
def test_cheat_gains_nothing_and_is_flagged(grading_run, assignment, cheat):
    row = grading_run.cheats[(assignment, cheat.student)]
    assert row.status == "graded", row.error
    assert row.total <= baseline(grading_run, assignment, cheat), row.messages
    assert row.findings, "the integrity report must name the cheat"


def test_each_assignment_has_eight_kinds_of_cheat():
    assert len({c.kind for c in cheats.CHEATS}) >= 8
