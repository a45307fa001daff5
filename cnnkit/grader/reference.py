"""The reference records: what the instructor's solution records in every test cell.

The source notebook (reference solutions in place, hidden tests included) is
executed once per assignment in the same sandbox as the submissions, and the
records of each test cell are kept as the expected values the judge compares
students' records with (:mod:`cnnkit.grader.judge`). They are cached in
``<course>/.cache/reference/`` under a digest of everything they depend on (the
source notebook, the runtime package, the sandbox's settings), and never enter
a student's sandbox.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import nbformat

import cnncourse
from cnnkit import notebooks
from cnnkit.course import Course
from cnnkit.grader import judge
from cnnkit.grader.execute import Execution, Task
from cnncourse.record import MIME

VERSION = 1


class ReferenceFailure(RuntimeError):
    """The reference solution does not pass its own tests: an instructor's mistake, reported as such."""


def reference_task(course: Course, assignment: str, sandbox, files=()) -> Task:
    source = notebooks.read(course.source_notebook(assignment))
    for cell in source.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return Task(f"{assignment}/(reference solution)", assignment, course.notebook_name(assignment),
                nbformat.writes(source), tuple(files), sandbox)


def digest(task: Task) -> str:
    """What the reference records depend on: the notebook, the runtime, the sandbox's settings."""
    h = hashlib.sha256()
    h.update(f"v{VERSION}".encode())
    h.update(task.notebook.encode())
    for name, data in task.files:
        h.update(name.encode() + data)
    runtime = Path(cnncourse.__file__).parent
    for path in sorted(runtime.glob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    h.update(json.dumps(asdict(task.sandbox), default=str, sort_keys=True).encode())
    return h.hexdigest()[:20]


def cache_file(course: Course, assignment: str, key: str) -> Path:
    return course.root / ".cache" / "reference" / f"{assignment}-{key}.json"


def load_cached(course: Course, assignment: str, task: Task) -> dict[str, list[judge.Record]] | None:
    path = cache_file(course, assignment, digest(task))
    if not path.is_file():
        return None
    return {cell: [judge.parse(p) for p in payloads] for cell, payloads in json.loads(path.read_text()).items()}


def records_by_cell(notebook, execution: Execution) -> tuple[dict[str, list], dict[str, str]]:
    """Raw record payloads and error messages per test cell, from an execution report."""
    payloads, errors = {}, {}
    for index, cell in enumerate(notebook.cells):
        if not notebooks.is_test(cell):
            continue
        cell_id = notebooks.grade_id(cell)
        outputs = execution.cells.get(index, {}).get("outputs", [])
        payloads[cell_id] = [o["data"][MIME] for o in outputs
                             if isinstance(o, dict) and o.get("output_type") == "display_data"
                             and isinstance(o.get("data"), dict) and MIME in o["data"]]
        error = next((o for o in outputs if isinstance(o, dict) and o.get("output_type") == "error"), None)
        if error is not None:
            errors[cell_id] = f"{error.get('ename')}: {str(error.get('evalue'))[:300]}"
        elif index not in execution.cells:
            errors[cell_id] = "did not run"
    return payloads, errors


def build(course: Course, assignment: str, task: Task, execution: Execution,
          policies: dict | None = None) -> dict[str, list[judge.Record]]:
    """Check the reference run and cache its records; raise :class:`ReferenceFailure` if it fails its tests."""
    source = nbformat.reads(task.notebook, as_version=4)
    payloads, errors = records_by_cell(source, execution)
    problems = [f"{cell}: {message}" for cell, message in errors.items()]
    problems += [f"{cell}: records nothing" for cell, found in payloads.items() if not found and cell not in errors]
    records = {cell: [judge.parse(p) for p in found] for cell, found in payloads.items()}
    for cell, found in records.items():
        problems += [f"{cell}: {r.key}: the reference solution raised {r.error}" for r in found if r.policy == "error"]
        verdict = judge.judge(cell, 1.0, True, found, found, policies=policies)
        problems += [f"{cell}: the reference fails its own check {f}" for f in verdict.failures]
    if execution.status != "done":
        problems.insert(0, f"the source notebook did not run to the end: {execution.status} {execution.message}")
    if problems:
        raise ReferenceFailure(
            f"the reference solution of {assignment} does not pass its own tests, so nothing can be graded:\n  "
            + "\n  ".join(problems[:12]) + (f"\n  log: {execution.log[-1500:]}" if execution.status != "done" else ""))
    path = cache_file(course, assignment, digest(task))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payloads))
    return records
