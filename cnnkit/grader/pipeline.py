"""The grading pipeline: prepare (trusted) -> execute (sandboxed, in a pool) -> record -> merge -> report.

:func:`grade` grades the submissions of one or more assignments (possibly of
different course folders, as the test suite does) in one pool. Each submission
is one task; as each finishes, the coordinator records it and merges it into
its course's gradebook at once, so an interrupted run keeps everything graded
so far and a later run grades only the rest (unless ``force``).
"""
from __future__ import annotations

import copy
import fnmatch
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cnnkit.course import Course
from cnnkit import notebooks
from cnnkit.grader import integrity, judge, merge as merging, reference, rules as rules_module
from cnnkit.grader.execute import Execution, Task
from cnnkit.grader.prepare import Prepared, assignment_files, check_gradebook, prepare
from cnnkit.grader.record import Recorded, record, verdict_outputs
from cnnkit.grader.sandbox import Limits, Sandbox


@dataclass
class Job:
    """Submissions of one assignment in one course folder; ``students`` is a glob of student ids."""

    course: Course
    assignment: str
    students: str = "*"


@dataclass
class Run:
    """The outcome of :func:`grade`: per job, per student (in the order found)."""

    results: dict[tuple[str, str], dict[str, Recorded]] = field(default_factory=dict)
    skipped: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    reference_failures: dict[tuple[str, str], str] = field(default_factory=dict)
    interrupted: bool = False

    def of(self, job: Job) -> dict[str, Recorded]:
        return self.results.get(_job_key(job), {})

    @property
    def failed(self) -> list[Recorded]:
        return [r for results in self.results.values() for r in results.values() if r.status == "error"]


def _job_key(job: Job) -> tuple[str, str]:
    return str(job.course.root), job.assignment


def sandbox_for(course: Course, enabled: bool = True, env: dict[str, str] | None = None,
                threads: int = 1, **limits) -> Sandbox:
    """The sandbox settings of ``course``: limits from ``GRADING`` in nbgrader_config.py, data and weights.

    Data: ``$COURSE_DATA_DIR`` or the course's ``data/`` folder; weights: ``$TORCH_HOME``
    or ``~/.cache/torch``; ``COURSE_VGG_WEIGHTS`` is passed on.
    """
    settings = {"cell_seconds": course.cell_timeout, **course.grading, **limits}
    data = Path(os.environ.get("COURSE_DATA_DIR") or course.root / "data")
    torch_home = Path(os.environ.get("TORCH_HOME") or Path.home() / ".cache" / "torch")
    passed = {k: v for k, v in os.environ.items() if k == "COURSE_VGG_WEIGHTS"}
    passed.update(env or {})
    if "COURSE_DATA_DIR" in passed:
        data = Path(passed.pop("COURSE_DATA_DIR"))
    return Sandbox(Limits(**settings), data if data.is_dir() else None,
                   torch_home if torch_home.is_dir() else None, tuple(sorted(passed.items())), threads, enabled)


def submissions(job: Job) -> dict[str, Path]:
    """Student id -> submitted notebook, for the students of ``job``."""
    from cnnkit.grader.prepare import coursedir

    directory = coursedir(job.course)
    root = Path(directory.format_path(directory.submitted_directory, "*", job.assignment)).parent.parent
    found = {}
    if not root.is_dir():
        return found
    name = f"{job.course.notebook_name(job.assignment)}.ipynb"
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if fnmatch.fnmatch(folder.name, job.students) and (folder / job.assignment / name).is_file():
            found[folder.name] = folder / job.assignment / name
    return found


def grade(jobs: list[Job], pool, sandbox: Sandbox | dict[tuple[str, str], Sandbox], force: bool = False,
          progress: bool = True) -> Run:
    """Grade every submission of ``jobs`` in ``pool``; see the module notes."""
    run = Run()
    sandboxes = sandbox if isinstance(sandbox, dict) else {_job_key(j): sandbox for j in jobs}
    plans, references, rulebook = {}, {}, {}
    for job in jobs:
        key = _job_key(job)
        check_gradebook(job.course, job.assignment)
        rulebook[key] = rules_module.load(job.course, job.assignment)
        run.results[key] = {}
        run.skipped[key] = []
        files = assignment_files(job.course, job.assignment)
        task = reference.reference_task(job.course, job.assignment, sandboxes[key], files)
        references[key] = reference.load_cached(job.course, job.assignment, task) or task
        for student, path in submissions(job).items():
            prepared = prepare(job.course, job.assignment, student, path)
            if not force and merging.is_done(job.course, job.assignment, student, prepared.sha256):
                run.skipped[key].append(student)
                continue
            plans[(key, student)] = (job, prepared, files)
    futures = {}
    for key, ref in references.items():
        if isinstance(ref, Task):
            futures[pool.submit(ref)] = ("reference", key)
    for (key, student), (job, prepared, files) in plans.items():
        if prepared.error:
            _finish(run, job, prepared, rejected(job.course, prepared))
            continue
        tampering = not_run(prepared, rulebook[key])
        if tampering is not None:
            _finish(run, job, prepared, tampering)
            continue
        task = Task(f"{job.assignment}/{student}", job.assignment, job.course.notebook_name(job.assignment),
                    _json(prepared.notebook), files, sandboxes[key])
        futures[pool.submit(task)] = ("student", (key, student))
    waiting: dict[tuple, list] = {}
    bar = _progress(sum(1 for kind, _ in futures.values() if kind == "student"), progress)
    try:
        for future in pool.as_completed(list(futures)):
            kind, what = futures[future]
            execution = _result(pool, future, what)
            if kind == "reference":
                job = next(j for j in jobs if _job_key(j) == what)
                try:
                    references[what] = reference.build(job.course, job.assignment, references[what], execution,
                                                       rulebook[what].policies)
                except reference.ReferenceFailure as failure:
                    references[what] = failure
                for pending_key, pending in waiting.pop(what, []):
                    _record_one(run, plans[pending_key], pending, references[what], rulebook[what], bar)
                continue
            key, student = what
            if isinstance(references[key], Task):
                waiting.setdefault(key, []).append(((key, student), execution))
                continue
            _record_one(run, plans[(key, student)], execution, references[key], rulebook[key], bar)
    except KeyboardInterrupt:
        pool.cancel()
        run.interrupted = True
    finally:
        bar.close()
    for key, failure in references.items():
        if isinstance(failure, Exception):
            run.reference_failures[key] = str(failure)
    return run


def _json(notebook) -> str:
    import nbformat

    return nbformat.writes(notebook)


def _result(pool, future, what) -> Execution:
    try:
        return pool.result(future)
    except Exception as error:  # a lost worker, a cancelled task: the student is retried next run
        return Execution(str(what), "crashed", f"the grading worker failed: {type(error).__name__}: {error}")


def _record_one(run: Run, plan, execution: Execution, ref, rules, bar) -> None:
    job, prepared, _ = plan
    if isinstance(ref, Exception):
        recorded = Recorded(prepared.student, job.assignment, "error", f"not graded: {ref}".splitlines()[0])
    else:
        try:
            recorded = record(prepared, execution, ref, rules)
        except Exception as error:  # a bug in the trusted steps must not lose the others
            recorded = Recorded(prepared.student, job.assignment, "error",
                                f"recording failed: {type(error).__name__}: {error}")
    _finish(run, job, prepared, recorded)
    bar.update(1)
    failures = len(run.failed)
    if failures:
        bar.set_postfix(failed=failures)


def _finish(run: Run, job: Job, prepared: Prepared, recorded: Recorded) -> None:
    try:
        merging.merge(job.course, recorded, prepared)
    except Exception as error:  # the gradebook refused: report it for this student, go on with the others
        recorded.status, recorded.error = "error", f"could not be written to the gradebook: {error}"
    run.results[_job_key(job)][prepared.student] = recorded


def not_run(prepared: Prepared, rules) -> Recorded | None:
    """A notebook whose cells tamper with the grading (static scan): recorded with 0, never run.

    Its verdict could not change by running it (tampering costs the whole notebook), and
    running it would only give the tampering code its chance. The instructor sees the
    reason in the report and can grade it by hand in formgrader.
    """
    findings = integrity.scan(prepared.notebook, rules)
    tampering = next((f for f in findings if f.violation == integrity.NOTEBOOK), None)
    if tampering is None:
        return None
    message = (f"not run and not graded: {tampering.cell} changes the grading machinery ({tampering.detail}); "
               "ask your instructor")
    notebook = copy.deepcopy(prepared.notebook)
    verdicts = {}
    for cell in notebook.cells:
        if notebooks.is_test(cell):
            verdict = judge.Verdict(notebooks.grade_id(cell), float(notebooks.meta(cell)["points"]), 0.0, 0, 0,
                                    [message])
            verdicts[verdict.cell] = verdict
            cell.outputs = verdict_outputs(verdict)
    return Recorded(prepared.student, prepared.assignment, "graded", notebook=notebook, verdicts=verdicts,
                    findings=findings, notes=[*prepared.notes, "not run: the static scan found tampering"])


def rejected(course: Course, prepared: Prepared) -> Recorded:
    """A submission that cannot be graded at all: 0 on every test cell, and the reason.

    (Written answers, graded by hand, are not the pipeline's: nbgrader records them as unanswered.)
    """
    points = _gradebook_points(course, prepared.assignment)
    verdicts = {c: judge.Verdict(c, p, 0.0, 0, 0, [prepared.error]) for c, p in points.items()}
    return Recorded(prepared.student, prepared.assignment, "rejected", prepared.error, verdicts=verdicts,
                    notes=list(prepared.notes))


def _gradebook_points(course: Course, assignment: str) -> dict[str, float]:
    from cnnkit.grader.prepare import gradebook

    with gradebook(course) as gb:
        notebook = gb.find_notebook(course.notebook_name(assignment), assignment)
        return {c.name: c.max_score for c in notebook.grade_cells if c.cell_type == "code"}


class _NoBar:
    def update(self, n):
        pass

    def set_postfix(self, **kw):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool):
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="grading", unit="student", file=sys.stderr, dynamic_ncols=True)
