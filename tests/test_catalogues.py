"""The autograder's proof: every catalogue submission graded by the kit's grading pipeline.

For each built assignment: the reference gets full marks, the blank release
notebook gets 0 on every test cell (and grading completes), each mutant loses
exactly the cells its catalogue entry names (and nothing else, visible cells
included), each alternative gets full marks. ``make test`` grades the core tier (its mutants
in bundles of different functions), ``make test-extended`` every mutant alone and
the extended alternatives (CI runs both).
"""
import os

import pytest

from cnnkit import catalogue, notebooks
from cnnkit.course import load

COURSE = load()
TIER = os.environ.get("CNNKIT_TIER", "core")
ENTRIES = {a: catalogue.load_entries(COURSE, a) for a in COURSE.built()}
BASELINES = ["reference", "blank"] if TIER == "core" else []
STUDENTS = [(a, s) for a, entries in ENTRIES.items()
            for s in [*BASELINES, *(e.student for e in entries
                                    if e.tier == TIER or (TIER == "extended" and e.kind == "mutant"))]]


@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_catalogue_is_well_formed(assignment):
    source = notebooks.read(COURSE.source_notebook(assignment))
    assert catalogue.problems(ENTRIES[assignment], source) == []


@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_catalogue_size(assignment):
    """The core tier alone has at least the size the issues ask for; the extended tier adds to it."""
    minimum = {"01_numpy_cnn": (12, 4), "02_filtering_backprop": (15, 5),
               "03_pytorch_simplenet": (10, 4), "04_vgg_transfer": (8, 4)}[assignment]
    kinds = [e.kind for e in ENTRIES[assignment] if e.tier == "core"]
    assert (kinds.count("mutant"), kinds.count("alternative")) >= minimum


@pytest.mark.parametrize("assignment,student", STUDENTS, ids=[f"{a}/{s}" for a, s in STUDENTS])
def test_submission_scores_as_catalogued(grading_run, assignment, student):
    graded = grading_run.graded(assignment, student)
    assert graded.mismatch() is None, graded.mismatch()


@pytest.mark.skipif(TIER != "core", reason="the baselines are graded in the core tier")
@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_reference_full_blank_zero(grading_run, assignment):
    reference = grading_run.graded(assignment, "reference").result
    blank = grading_run.graded(assignment, "blank").result
    assert reference.status == "graded" and reference.total == reference.max_total > 0
    assert blank.status == "graded", "grading must complete normally on the blank notebook"
    assert blank.total == 0


@pytest.mark.skipif(TIER != "core", reason="the baselines are graded in the core tier")
@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_no_integrity_findings_on_fair_solutions(grading_run, assignment):
    """Reference and alternatives are fair solutions: the integrity report must stay silent about them."""
    fair = [g for g in grading_run.catalogue if g.assignment == assignment
            and (g.student == "reference" or g.student.startswith("alternatives-"))]
    assert fair
    noisy = {g.student: g.result.findings for g in fair if g.result.findings}
    assert noisy == {}


@pytest.mark.skipif(TIER != "core", reason="checked once, on the core tier's run")
@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_the_gradebook_holds_every_score(grading_run, assignment):
    """What formgrader, export and feedback read: nbgrader's gradebook has each cell's score, as judged."""
    from cnnkit.grader.prepare import gradebook

    scratch = grading_run.courses[assignment]
    graded = [g for g in grading_run.catalogue if g.assignment == assignment]
    with gradebook(scratch) as gb:
        for g in graded:
            notebook = gb.find_submission_notebook(scratch.notebook_name(assignment), assignment, g.student)
            stored = {grade.name: grade.auto_score for grade in notebook.grades if grade.name in g.result.scores}
            assert stored == g.result.scores, g.student


@pytest.mark.skipif(TIER != "core", reason="the baselines are graded in the core tier")
@pytest.mark.parametrize("assignment", list(ENTRIES))
def test_the_reference_runs_every_cell_without_an_error(grading_run, assignment):
    """An ungraded cell that fails (a test cell overwriting a name a later cell needs) costs no points, so
    only this shows it: the reference submission, graded as a student's, raises nowhere."""
    recorded = grading_run.recorded[(str(grading_run.courses[assignment].root), "reference")]
    failing = {index: f"{o.get('ename')}: {o.get('evalue')}" for index, cell in enumerate(recorded.notebook.cells)
               if cell.cell_type == "code" for o in cell.get("outputs", []) if o.get("output_type") == "error"}
    assert failing == {}
