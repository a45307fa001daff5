"""The autograder's proof: every catalogue submission graded by real nbgrader autograde.

For each built assignment: the reference gets full marks, the blank release
notebook gets 0 on every test cell (and autograde completes), each mutant loses
exactly the cells its catalogue entry names, each alternative gets full marks.
"""
import pytest

from cnnkit import catalogue, notebooks
from cnnkit.course import load

COURSE = load()
ENTRIES = {a: catalogue.load_entries(COURSE, a) for a in COURSE.built()}
STUDENTS = [(a, s) for a, entries in ENTRIES.items() for s in ["reference", "blank", *(e.student for e in entries)]]


@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_catalogue_is_well_formed(assignment):
    source = notebooks.read(COURSE.source_notebook(assignment))
    assert catalogue.problems(ENTRIES[assignment], source) == []


@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_catalogue_size(assignment):
    minimum = {"01_numpy_cnn": (12, 4), "02_filtering_backprop": (15, 5),
               "03_pytorch_simplenet": (10, 4), "04_vgg_transfer": (8, 4)}[assignment]
    kinds = [e.kind for e in ENTRIES[assignment]]
    assert (kinds.count("mutant"), kinds.count("alternative")) >= minimum


@pytest.mark.parametrize("assignment,student", STUDENTS, ids=[f"{a}/{s}" for a, s in STUDENTS])
def test_submission_scores_as_catalogued(grading_run, assignment, student):
    graded = grading_run.graded(assignment, student)
    assert graded.mismatch() is None, graded.mismatch()


@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_reference_full_blank_zero(grading_run, assignment):
    reference = grading_run.graded(assignment, "reference").result
    blank = grading_run.graded(assignment, "blank").result
    assert reference.error is None and reference.total == reference.max_total > 0
    assert blank.error is None, "autograde must complete normally on the blank notebook"
    assert blank.total == 0
