"""Step 4 of grading (trusted): write a recorded submission into the course, the way nbgrader does.

The only step that touches the course gradebook, and it does so through
nbgrader's API: the student and the submission (with its timestamp) are
created as ``nbgrader autograde`` creates them, the scored notebook goes to
``autograded/<student>/<assignment>/``, and nbgrader's own ``SaveAutoGrades``,
``AssignLatePenalties`` and ``CheckCellMetadata`` preprocessors read the scores
from it (the steps ``nbgrader autograde`` runs after executing; its other ones,
``IgnorePattern``, ``LimitOutput`` and the disabled ``ClearMetadataPreprocessor``,
concern outputs the record step already replaced). Formgrader, ``nbgrader export`` and ``nbgrader generate_feedback`` then
see an ordinary autograded submission (jupyter/nbgrader#1424 merges shards the
same way). A small state file per student (``.cache/grading/``) lets an
interrupted run resume without grading anyone twice.
"""
from __future__ import annotations

import copy

import json
import os
import tempfile
import warnings
from dataclasses import asdict
from pathlib import Path

import nbformat

from cnnkit import notebooks
from cnnkit.course import Course
from cnnkit.grader.prepare import Prepared, coursedir, db_url, gradebook
from cnnkit.grader.record import Recorded

STATE_VERSION = 1


class MergeError(RuntimeError):
    """The scored notebook does not match the gradebook (it never should: a bug, reported loudly)."""


def autograded_path(course: Course, assignment: str, student: str) -> Path:
    directory = coursedir(course)
    folder = directory.format_path(directory.autograded_directory, student, assignment)
    return Path(folder) / f"{course.notebook_name(assignment)}.ipynb"


def state_path(course: Course, assignment: str, student: str) -> Path:
    return course.root / ".cache" / "grading" / assignment / f"{student}.json"


def read_state(course: Course, assignment: str, student: str) -> dict | None:
    path = state_path(course, assignment, student)
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("version") == STATE_VERSION else None


def is_done(course: Course, assignment: str, student: str, sha256: str) -> bool:
    """Graded already, from this very file, with its scored notebook in place."""
    state = read_state(course, assignment, student)
    return bool(state and state.get("sha256") == sha256 and state.get("status") in ("graded", "rejected")
                and (state["status"] == "rejected" or autograded_path(course, assignment, student).is_file()))


def merge(course: Course, recorded: Recorded, prepared: Prepared) -> None:
    """Write ``recorded`` into the gradebook and ``autograded/``; an ``error`` result writes nothing."""
    if recorded.status == "error":
        return
    assignment, student = recorded.assignment, recorded.student
    name = course.notebook_name(assignment)
    with gradebook(course) as gb:
        gb.update_or_create_student(student)
        if prepared.timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=prepared.timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        if recorded.status == "rejected":
            for grade in gb.find_submission_notebook(name, assignment, student).grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()
    target = autograded_path(course, assignment, student)
    if recorded.status == "rejected":
        target.unlink(missing_ok=True)
    else:
        _check_sources(course, assignment, recorded.notebook)
        notebook = _save_grades(course, assignment, student, recorded.notebook)
        _write_atomic(target, nbformat.writes(notebook))
        _copy_exchange_files(prepared.path.parent, target.parent)
    _write_state(course, recorded, prepared)


EXCHANGE_FILES = ("timestamp.txt", "submission_secret.txt")


def _copy_exchange_files(submitted: Path, autograded: Path) -> None:
    """The two small files nbgrader's feedback exchange needs, as ``nbgrader autograde`` copies them.

    Only these, only regular files (never a symlink a student planted) of a few bytes:
    everything in ``autograded/`` ends up in the feedback students receive.
    """
    for name in EXCHANGE_FILES:
        source = submitted / name
        if source.is_file() and not source.is_symlink() and source.stat().st_size <= 1024:
            text = source.read_text(errors="replace")
            if text.isprintable() or text.strip().isprintable():
                _write_atomic(autograded / name, text)


def _check_sources(course: Course, assignment: str, notebook) -> None:
    """Every test and read-only cell is the gradebook's, checksum for checksum."""
    from nbgrader.utils import compute_checksum

    name = course.notebook_name(assignment)
    with gradebook(course) as gb:
        for cell in notebook.cells:
            grade_id = notebooks.grade_id(cell)
            if not grade_id or not (notebooks.is_test(cell) or notebooks.meta(cell).get("locked")):
                continue
            source = gb.find_source_cell(grade_id, name, assignment)
            if source.checksum != compute_checksum(_without_restore_note(course, cell, grade_id)):
                raise MergeError(f"{assignment}: cell {grade_id} differs from the gradebook's; not recorded")


def _without_restore_note(course: Course, cell, grade_id: str):
    """``cell`` without the note nbgrader's ``OverwriteCells`` puts on a test cell it added back (a deleted one)."""
    from nbgrader.preprocessors import OverwriteCells

    note = OverwriteCells(config=course.config).missing_cell_notification.format(cell_id=grade_id)
    prefix = ("# " if cell.cell_type == "code" else "") + note
    if not cell.source.startswith(prefix):
        return cell
    restored = copy.deepcopy(cell)
    restored.source = cell.source[len(prefix):]
    return restored


def _save_grades(course: Course, assignment: str, student: str, notebook):
    from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades

    resources = {"nbgrader": {"db_url": db_url(course), "assignment": assignment, "student": student,
                              "notebook": course.notebook_name(assignment)}}
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        for step in (SaveAutoGrades, AssignLatePenalties, CheckCellMetadata):
            notebook, resources = step(config=course.config).preprocess(notebook, resources)
    return notebook


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=".ipynb")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    os.chmod(partial, 0o644)
    os.replace(partial, path)


def _write_state(course: Course, recorded: Recorded, prepared: Prepared) -> None:
    state = {
        "version": STATE_VERSION, "student": recorded.student, "assignment": recorded.assignment,
        "sha256": prepared.sha256, "status": recorded.status, "error": recorded.error,
        "seconds": recorded.seconds, "worker": recorded.worker, "notes": recorded.notes,
        "scores": {c: v.score for c, v in recorded.verdicts.items()},
        "max_scores": {c: v.points for c, v in recorded.verdicts.items()},
        "messages": {c: v.message() for c, v in recorded.verdicts.items() if not v.full},
        "findings": [asdict(f) for f in recorded.findings],
    }
    _write_atomic(state_path(course, recorded.assignment, recorded.student), json.dumps(state, indent=1))
