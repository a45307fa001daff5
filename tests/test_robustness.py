"""Broken submissions get a clear error or their fair grade, and cost nobody else anything."""
import pytest

from cnnkit import robustness


def test_reference_graded_next_to_broken_submissions(grading_run):
    reference = grading_run.broken["reference"]
    assert reference.status == "graded" and reference.total == reference.max_total


@pytest.mark.parametrize("case", robustness.CASES, ids=[c.student for c in robustness.CASES])
def test_broken_submission(grading_run, case):
    problem = robustness.mismatch(case, grading_run.broken[case.student])
    assert problem is None, problem
