"""Hostile submissions, each graded between two honest ones in the session's grading run.

Every honest student keeps their exact score; nothing in the course folder, the
kit, the venv or the grader's home folder changes; no process survives; no
connection reaches the grader's loopback; no secret of the grader's environment
reaches a graded notebook; and each hostile student gets its own clear status.
"""
import json

import nbformat
import pytest

from cnnkit import hostile

CASES = {c.name: c for c in hostile.CASES}


def outputs(grading_run, student: str) -> str:
    """Everything the cells of ``student``'s graded notebook printed or showed (not their code), as text."""
    case = CASES.get(student[len("hostile-"):])
    course = grading_run.courses["hostile-slow" if case and case.slow else "hostile"]
    path = course.root / "autograded" / student / hostile.ASSIGNMENT / "numpy_cnn.ipynb"
    notebook = nbformat.read(str(path), as_version=4)
    return "\n".join(json.dumps(o) for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("student", ["honest-a", "honest-b"])
def test_honest_students_keep_their_exact_score(grading_run, student):
    row = grading_run.hostile[student]
    assert row.status == "graded" and row.total == hostile.FULL, row.messages


@pytest.mark.parametrize("case", hostile.CASES, ids=[c.name for c in hostile.CASES])
def test_hostile_student_gets_a_clear_status(grading_run, case):
    row = grading_run.hostile[case.student]
    assert row.status == "graded", row.error
    assert row.total == case.score, {c: m for c, m in row.messages.items()}
    categories = {f["category"] for f in row.findings}
    assert case.findings <= categories, f"integrity report: {row.findings}"
    if case.note:
        assert any(case.note in note for note in row.notes), row.notes


@pytest.mark.parametrize("marker", ["LEAKED", "WROTE", "CONNECTED", "ALLOCATED", "IMPORTED"])
def test_no_attack_succeeded(grading_run, marker):
    found = [c.student for c in hostile.CASES if marker in outputs(grading_run, c.student)]
    assert found == []


def test_attacks_were_really_attempted(grading_run):
    """The markers above can only prove something if the attacks ran: their refusals are in the outputs."""
    assert "denied" in outputs(grading_run, "hostile-read") and "denied" in outputs(grading_run, "hostile-write")
    assert "no connection to" in outputs(grading_run, "hostile-network")
    assert "refused" in outputs(grading_run, "hostile-memory") and "refused" in outputs(grading_run, "hostile-disk")


@pytest.mark.parametrize("area", ["course", "kit", "venv", "home"])
def test_nothing_outside_the_sandbox_changed(grading_run, area):
    changed = {key: files for key, files in grading_run.changed.items() if key.endswith(area) and files}
    assert changed == {}


def test_no_process_survives_grading(grading_run):
    assert grading_run.survivors == []


def test_nothing_reached_the_graders_loopback(grading_run):
    assert grading_run.connections == 0


def test_secrets_of_the_graders_environment_stay_outside(grading_run):
    assert grading_run.secret and grading_run.secret not in outputs(grading_run, "hostile-environment")
    assert "HOME" in outputs(grading_run, "hostile-environment"), "the case must have printed its environment"


def test_output_flood_is_cut(grading_run):
    flood = outputs(grading_run, "hostile-output")
    assert "output cut by the grader" in flood and len(flood) < 2_000_000
