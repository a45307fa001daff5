"""Step 1 of grading (trusted): turn a submitted file into the notebook the sandbox will run.

The same sanitising that ``nbgrader autograde`` does before it executes
(jupyter/nbgrader#483 proposed running only the execution untrusted): nbgrader's
own ``ClearOutput``, ``DeduplicateIds``, ``OverwriteKernelspec``,
``OverwriteCells`` (read-only and test cells, hidden tests included, restored
from the course gradebook; deleted test cells added back) and
``CheckCellMetadata``. Before them, what would make nbgrader fail for the whole
notebook is repaired or rejected with a message a student can act on: a file
that is not a notebook, metadata of another nbgrader version, a grade id used
twice (a copied cell) or one that belongs to no cell of this assignment.
"""
from __future__ import annotations

import contextlib
import copy
import datetime
import hashlib
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnkit import notebooks
from cnnkit.course import Course

MAX_BYTES = 50 * 2**20


class GradingSetupError(RuntimeError):
    """The course is not ready to grade this assignment; the message says what to run."""


@dataclass
class Prepared:
    """A submission ready to execute, or the reason it cannot be graded (``error``)."""

    student: str
    assignment: str
    sha256: str
    path: Path
    notebook: nbformat.NotebookNode | None = None
    timestamp: datetime.datetime | None = None
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def coursedir(course: Course):
    """nbgrader's CourseDirectory of ``course`` (paths, database URL, ignore patterns)."""
    from nbgrader.coursedir import CourseDirectory

    return CourseDirectory(config=course.config, root=str(course.root))


def db_url(course: Course) -> str:
    return coursedir(course).db_url


@contextlib.contextmanager
def gradebook(course: Course):
    """nbgrader's Gradebook of ``course``, without the ORM warnings nbgrader itself triggers."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        with Gradebook(db_url(course), course.course_id) as gb:
            yield gb


def check_gradebook(course: Course, assignment: str) -> None:
    """Raise :class:`GradingSetupError` unless the gradebook knows the assignment's notebook."""
    from nbgrader.api import MissingEntry

    name = course.notebook_name(assignment)
    url = db_url(course)
    fix = (f"run `nbgrader generate_assignment {assignment} --force` in {course.root} first "
           "(it records the assignment's cells, hidden tests included, in the gradebook)")
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        raise GradingSetupError(f"there is no gradebook yet: {fix}")
    with gradebook(course) as gb:
        try:
            gb.find_notebook(name, assignment)
        except MissingEntry:
            raise GradingSetupError(f"the gradebook does not know {assignment}/{name}.ipynb: {fix}") from None


def submitted_path(course: Course, assignment: str, student: str) -> Path:
    folder = coursedir(course).format_path(coursedir(course).submitted_directory, student, assignment)
    return Path(folder) / f"{course.notebook_name(assignment)}.ipynb"


def prepare(course: Course, assignment: str, student: str, path: Path) -> Prepared:
    """Read, check, repair and sanitise one submission against the course gradebook."""
    raw = path.read_bytes()[:MAX_BYTES + 1]
    prepared = Prepared(student, assignment, hashlib.sha256(raw).hexdigest(), path, timestamp=_timestamp(course, path))
    if len(raw) > MAX_BYTES:
        prepared.error = f"the notebook file is larger than {MAX_BYTES // 2**20} MB; clear its outputs and submit again"
        return prepared
    notebook, problem = _read(raw)
    if problem:
        prepared.error = problem
        return prepared
    name = course.notebook_name(assignment)
    with gradebook(course) as gb:
        known = {cell.name for cell in gb.find_notebook(name, assignment).source_cells}
    prepared.notes += repair_grade_ids(notebook, known)
    try:
        prepared.notebook = _sanitise(course, assignment, student, notebook)
    except Exception as error:  # nbgrader's validators raise several types
        prepared.error = f"nbgrader could not read the notebook's grading metadata: {_first_line(error)}"
    return prepared


def _read(raw: bytes) -> tuple[nbformat.NotebookNode | None, str | None]:
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return None, f"not a notebook: the file is not valid JSON ({err})"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. duplicate cell ids of a copied cell, which nbformat repairs
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except Exception as err:  # nbformat raises several unrelated types
        return None, f"not a valid Jupyter notebook ({type(err).__name__}: {_first_line(err)})"
    versions = {notebooks.meta(c).get("schema_version") for c in notebook.cells if notebooks.meta(c)}
    if versions - {3}:
        return None, (f"nbgrader metadata schema {sorted(map(str, versions))} is not the course's (3): the notebook "
                      "was made for another nbgrader version or its metadata was edited; start from the released "
                      "notebook and copy your code into it")
    if not any(notebooks.grade_id(c) for c in notebook.cells):
        return None, "no graded cells left in the notebook (was it replaced by another file?)"
    return notebook, None


def repair_grade_ids(notebook, known: set[str]) -> list[str]:
    """Make every grade id unique and known; return what was changed, in words.

    A grade id that no cell of this assignment has loses its nbgrader metadata.
    A grade id used by several cells (a copied cell) is kept on one copy: the
    first for read-only and test cells, which nbgrader restores from the
    gradebook anyway; the last for solution cells, since the last definition is
    the one in force when the tests run. The other copies stay in the notebook
    as ordinary cells and still run.
    """
    notes = []
    by_id: dict[str, list] = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if not grade_id or grade_id not in known:
            del cell.metadata["nbgrader"]
            notes.append(f"cell {grade_id!r} is not a cell of this assignment; graded as an ordinary cell")
            continue
        by_id.setdefault(grade_id, []).append(cell)
    for grade_id, cells in by_id.items():
        if len(cells) == 1:
            continue
        solution = bool(notebooks.meta(cells[-1]).get("solution"))
        keep = cells[-1] if solution else cells[0]
        for cell in cells:
            if cell is not keep:
                del cell.metadata["nbgrader"]
        which = "last" if solution else "first"
        notes.append(f"cell {grade_id!r} appears {len(cells)} times (a copied cell?): the {which} copy is graded, "
                     "the others run as ordinary cells")
    return notes


def _sanitise(course: Course, assignment: str, student: str, notebook) -> nbformat.NotebookNode:
    from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells, \
        OverwriteKernelspec

    resources = {"nbgrader": {"db_url": db_url(course), "assignment": assignment, "student": student,
                              "notebook": course.notebook_name(assignment)}}
    notebook = copy.deepcopy(notebook)
    for step in (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata):
        notebook, resources = step(config=course.config).preprocess(notebook, resources)
    return notebook


def _timestamp(course: Course, path: Path) -> datetime.datetime | None:
    try:
        return coursedir(course).get_existing_timestamp(str(path.parent))
    except Exception:  # an unreadable timestamp.txt: graded as if there were none
        return None


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


def assignment_files(course: Course, assignment: str) -> tuple[tuple[str, bytes], ...]:
    """The non-notebook files of ``source/<assignment>/`` that nbgrader copies next to a submission."""
    from nbgrader.utils import find_all_files

    directory = coursedir(course)
    source = Path(directory.format_path(directory.source_directory, ".", assignment))
    found = find_all_files(str(source), directory.ignore + ["*.ipynb"])
    return tuple((str(Path(f).relative_to(source)), Path(f).read_bytes()) for f in sorted(found))
