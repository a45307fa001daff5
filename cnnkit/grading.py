"""Autograde submissions with real ``nbgrader autograde`` and read back per-cell scores.

Two ways in:

* :func:`autograde` (used by the tests and the catalogue runner) grades
  notebooks in throw-away course folders: one gradebook per worker, workers in
  parallel, the source notebooks removed so hidden tests can only come from the
  gradebook, exactly as on a grading server;
* ``python -m cnnkit grade <assignment>`` grades ``submitted/`` of the real
  course folder, after checking every submission so that one broken notebook
  cannot stop the run, then prints the score table.

Notes
-----
nbgrader scores a test cell 0 when its output holds an error *or anything on
stderr*, full points otherwise. A submission nbgrader cannot process at all
(invalid JSON, a dead kernel) gets an ``error`` and 0 on every cell; the other
students are graded as usual.
"""
from __future__ import annotations

import concurrent.futures
import json
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnkit import notebooks
from cnnkit.course import Course, load, nbgrader_command, nbgrader_env

SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


@dataclass
class Submission:
    """One student's notebook: a notebook object, or raw text for broken files."""

    student: str
    notebook: nbformat.NotebookNode | str


@dataclass
class GradeResult:
    student: str
    scores: dict[str, float]
    max_scores: dict[str, float]
    error: str | None = None
    autograded: Path | None = None
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def max_total(self) -> float:
        return sum(self.max_scores.values())

    def lost(self) -> set[str]:
        """Test cells that did not get full points."""
        return {c for c, s in self.scores.items() if s < self.max_scores[c]}

    def cell_report(self, cell_id: str, limit: int = 1500) -> str:
        """What the executed test cell printed (its error, for a failed cell)."""
        if self.autograded is None or not self.autograded.is_file():
            return self.error or "(no autograded notebook)"
        for cell in notebooks.read(self.autograded).cells:
            if notebooks.grade_id(cell) == cell_id:
                return _outputs_text(cell)[-limit:] or "(no output)"
        return f"(cell {cell_id} not in the autograded notebook)"


def _outputs_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            parts.append(_strip_ansi("\n".join(out.traceback[-3:])))
        elif out.output_type == "stream":
            parts.append(f"[{out.name}] {out.text}")
    return "\n".join(parts)


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def check_submission(text: str) -> str | None:
    """Why nbgrader could not grade this notebook file, or None when it can.

    nbgrader handles most damage itself (deleted test cells are restored, edited
    read-only cells are overwritten); these checks cover what would crash the
    whole run or lose the submission without a readable message.
    """
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        return f"not a notebook: the file is not valid JSON ({err})"
    try:
        nb = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several unrelated types
        return f"not a valid Jupyter notebook ({type(err).__name__}: {str(err).splitlines()[0]})"
    versions = {notebooks.meta(c).get("schema_version") for c in nb.cells if notebooks.meta(c)}
    if versions - {3}:
        return (
            f"nbgrader metadata schema {sorted(map(str, versions))} is not the course's (3): "
            "the notebook was made for another nbgrader version or its metadata was edited"
        )
    if not any(notebooks.is_test(c) for c in nb.cells):
        return "no autograded test cells left in the notebook (was it replaced by another file?)"
    return None


@dataclass
class Template:
    """A course folder in which ``generate_assignment`` has filled the gradebook."""

    course: Course
    assignment: str
    root: Path

    @property
    def release_notebook(self) -> Path:
        return self.root / "release" / self.assignment / f"{self.course.notebook_name(self.assignment)}.ipynb"

    @property
    def source_notebook(self) -> Path:
        return self.course.source_notebook(self.assignment)


def prepare_template(course: Course, assignment: str, workdir: Path) -> Template:
    """Copy the config and source of ``assignment`` to ``workdir`` and generate it there."""
    root = Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.root / "nbgrader_config.py", root)
    shutil.copytree(course.root / "source" / assignment, root / "source" / assignment, dirs_exist_ok=True)
    run_nbgrader(root, ["generate_assignment", assignment, "--force"], check=True)
    return Template(course, assignment, root)


def run_nbgrader(root: Path, args: list[str], env=None, check=False, timeout=None):
    proc = subprocess.run(
        nbgrader_command(*args), cwd=root, env=env or nbgrader_env(),
        capture_output=True, text=True, timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {root}:\n{proc.stderr[-4000:]}")
    return proc


def _shard_root(template: Template, root: Path) -> None:
    """A grading course folder: config, gradebook, non-notebook source files only."""
    root.mkdir(parents=True)
    shutil.copy(template.root / "nbgrader_config.py", root)
    shutil.copy(template.root / "gradebook.db", root)
    shutil.copytree(
        template.root / "source" / template.assignment,
        root / "source" / template.assignment,
        ignore=shutil.ignore_patterns("*.ipynb", "instructor"),
    )


def _write_submission(root: Path, template: Template, submission: Submission) -> None:
    name = template.course.notebook_name(template.assignment)
    path = root / "submitted" / submission.student / template.assignment / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(submission.notebook, str):
        path.write_text(submission.notebook)
    else:
        nbformat.write(submission.notebook, str(path))


def read_scores(root: Path, course: Course, assignment: str, students: list[str], log: str) -> dict[str, GradeResult]:
    """Per-cell scores of ``students`` from the gradebook in ``root``."""
    from nbgrader.api import Gradebook, MissingEntry

    name = course.notebook_name(assignment)
    results = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course.course_id) as gb:
        cells = {c.name: c.max_score for c in gb.find_notebook(name, assignment).grade_cells}
        for student in students:
            executed = root / "autograded" / student / assignment / f"{name}.ipynb"
            zero = {c: 0.0 for c in cells}
            if not executed.is_file():
                results[student] = GradeResult(student, zero, cells, _error_from_log(log, student))
                continue
            try:
                grades = gb.find_submission_notebook(name, assignment, student).grades
            except MissingEntry:
                results[student] = GradeResult(student, zero, cells, "no gradebook entry after autograde")
                continue
            scores = {g.name: float(g.score or 0.0) for g in grades if g.name in cells}
            results[student] = GradeResult(student, scores, cells, None, executed)
    return results


def _log_records(log: str) -> list[str]:
    """nbgrader's log split into records (a record's continuation lines are indented)."""
    records: list[str] = []
    for line in _strip_ansi(log).splitlines():
        if line.startswith("[") or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


def _error_from_log(log: str, student: str) -> str:
    """A one-line reason from nbgrader's log for a submission it did not grade."""
    records = _log_records(log)
    mine = [i for i, r in enumerate(records) if f"/submitted/{student}/" in r or f"student '{student}'" in r]
    if not mine:
        errors = [r.split("\n")[0] for r in records if "| ERROR]" in r]
        return "nbgrader stopped before grading this submission: " + (errors[-1] if errors else "see its log")
    reasons = []
    for record in records[mine[0]:mine[-1] + 1]:
        if "| ERROR]" not in record:
            continue
        message = record.split("] ", 1)[-1]
        if message.startswith("Traceback"):
            reasons.append([line.strip() for line in message.splitlines() if line.strip()][-1])
        elif not message.startswith(("There was an error processing", "Please see")):
            reasons.append(message.splitlines()[0])
    return "nbgrader could not grade this submission: " + ("; ".join(reasons) or "see its log")


def _grade_shard(template: Template, root: Path, shard: list[Submission], extra_env, timeout) -> dict[str, GradeResult]:
    _shard_root(template, root)
    for submission in shard:
        _write_submission(root, template, submission)
    started = time.perf_counter()
    args = ["autograde", template.assignment, "--force"]
    if timeout:
        args.append(f"--Execute.timeout={timeout}")
    proc = run_nbgrader(root, args, env=nbgrader_env(extra_env), timeout=900 + 120 * len(shard))
    seconds = (time.perf_counter() - started) / max(len(shard), 1)
    results = read_scores(root, template.course, template.assignment, [s.student for s in shard], proc.stderr)
    for result in results.values():
        result.seconds = seconds
    return results


@dataclass
class Job:
    """Submissions of one assignment to grade, with an optional per-cell timeout (s)."""

    template: Template
    submissions: list[Submission]
    timeout: int | None = None


def autograde(
    template: Template,
    submissions: list[Submission],
    workdir: Path,
    workers: int = 2,
    timeout: int | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, GradeResult]:
    """Grade ``submissions`` of one assignment; see :func:`autograde_many`."""
    return autograde_many([Job(template, submissions, timeout)], workdir, workers, env)[0]


def autograde_many(
    jobs: list[Job],
    workdir: Path,
    workers: int = 2,
    env: dict[str, str] | None = None,
    shard_size: int = 6,
) -> list[dict[str, GradeResult]]:
    """Grade several jobs with ``workers`` nbgrader runs at a time.

    Each job is cut into shards of at most ``shard_size`` students; every shard
    is its own course folder and gradebook, so runs never share a database.
    Submissions that :func:`check_submission` rejects are not given to nbgrader
    (they could abort the run for everybody) and come back with their error.
    """
    extra = {**(SINGLE_THREAD if workers > 1 else {}), **(env or {})}
    outcomes: list[dict[str, GradeResult]] = []
    tasks = []
    for number, job in enumerate(jobs):
        students = [s.student for s in job.submissions]
        if len(set(students)) != len(students):
            raise ValueError(f"student ids must be unique within a job ({job.template.assignment})")
        results, gradable = {}, []
        for submission in job.submissions:
            text = submission.notebook
            problem = check_submission(text if isinstance(text, str) else nbformat.writes(text))
            if problem:
                results[submission.student] = _rejected(job.template, submission.student, problem)
            else:
                gradable.append(submission)
        count = max(1, -(-len(gradable) // shard_size))
        for index in range(count):
            shard = gradable[index::count]
            if shard:
                root = Path(workdir) / f"{number:02d}-{job.template.assignment}-{index}"
                tasks.append((results, (job.template, root, shard, extra, job.timeout)))
        outcomes.append(results)
    with concurrent.futures.ThreadPoolExecutor(max(1, workers)) as pool:
        futures = [(results, pool.submit(_grade_shard, *args)) for results, args in tasks]
        for results, future in futures:
            results.update(future.result())
    return [
        {s.student: results[s.student] for s in job.submissions}
        for results, job in zip(outcomes, jobs)
    ]


def _rejected(template: Template, student: str, problem: str) -> GradeResult:
    cells = notebooks.test_points(notebooks.read(template.release_notebook))
    return GradeResult(student, {c: 0.0 for c in cells}, cells, problem)


def format_table(results: dict[str, GradeResult], cells: list[str] | None = None, wide_limit: int = 10) -> str:
    """The score table: one row per test cell and a column per student.

    With more than ``wide_limit`` students (a real course) a row per student
    instead, with the total and the cells that lost points.
    """
    if not results:
        return "(no submissions)"
    first = next(iter(results.values()))
    cells = cells or list(first.max_scores)
    if len(results) > wide_limit:
        return _student_rows(results, cells)
    names = list(results)
    width = max(len(c) for c in [*cells, "total"])
    columns = [max(len(n), 6) for n in names]
    lines = [f"{'test cell':<{width}}  {'max':>4}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, columns))]
    lines.append("-" * len(lines[0]))
    for cell in cells:
        scores = "  ".join(f"{_fmt(results[n].scores.get(cell, 0)):>{w}}" for n, w in zip(names, columns))
        lines.append(f"{cell:<{width}}  {_fmt(first.max_scores[cell]):>4}  {scores}")
    lines.append("-" * len(lines[0]))
    totals = "  ".join(f"{_fmt(results[n].total):>{w}}" for n, w in zip(names, columns))
    lines.append(f"{'total':<{width}}  {_fmt(first.max_total):>4}  {totals}")
    lines += [f"{n}: ERROR {results[n].error.splitlines()[0]}" for n in names if results[n].error]
    return "\n".join(lines)


def _student_rows(results: dict[str, GradeResult], cells: list[str]) -> str:
    width = max(len(s) for s in [*results, "student"])
    lines = [f"{'student':<{width}}  total  lost points in"]
    for student, r in results.items():
        detail = f"ERROR {r.error.splitlines()[0]}" if r.error else ", ".join(c for c in cells if c in r.lost())
        lines.append(f"{student:<{width}}  {_fmt(r.total):>5}  {detail or '-'}")
    return "\n".join(lines)


def _fmt(x: float) -> str:
    return f"{x:g}"


# ---------------------------------------------------------------- command line


def grade_course(course: Course, assignment: str, timeout: int | None = None, students: str = "*",
                 env: dict[str, str] | None = None, force: bool = False) -> dict[str, GradeResult]:
    """Autograde ``submitted/<students>/<assignment>`` of the real course with plain nbgrader.

    Each file is checked first; broken ones are excluded from the nbgrader run
    (``--CourseDirectory.student_id_exclude``) and reported with their reason,
    so the others are graded and written to the course gradebook as usual.
    """
    name = course.notebook_name(assignment)
    submitted = sorted((course.root / "submitted").glob(f"{students}/{assignment}/{name}.ipynb"))
    ids = [p.parents[1].name for p in submitted]
    rejected = {}
    for path, student in zip(submitted, ids):
        problem = check_submission(path.read_text(errors="replace"))
        if problem:
            rejected[student] = problem
    args = ["autograde", assignment, f"--student={students}", *(["--force"] if force else [])]
    if rejected:
        args.append(f"--CourseDirectory.student_id_exclude={','.join(rejected)}")
    if timeout:
        args.append(f"--Execute.timeout={timeout}")
    good = [s for s in ids if s not in rejected]
    results = {}
    if good:
        log = run_nbgrader(course.root, args, env=nbgrader_env(env)).stderr
        results = read_scores(course.root, course, assignment, good, log)
    if rejected:
        release = notebooks.test_points(notebooks.read(course.release_notebook(assignment)))
        for student, problem in rejected.items():
            results[student] = GradeResult(student, {c: 0.0 for c in release}, release, problem)
    return {s: results[s] for s in ids}


def add_arguments(parser) -> None:
    parser.add_argument("assignment", help="assignment id, e.g. 01_numpy_cnn")
    parser.add_argument("--timeout", type=int, help="per-cell timeout in seconds (default: nbgrader_config.py)")
    parser.add_argument("--student", default="*", help="student id or glob (default: every submission)")
    parser.add_argument("--force", action="store_true", help="grade again submissions already autograded")


def run(args) -> int:
    course = load()
    results = grade_course(course, args.assignment, args.timeout, args.student, force=args.force)
    if not results:
        print(f"no submissions in {course.root / 'submitted'}/*/{args.assignment}/")
        return 1
    print(format_table(results))
    for student, result in results.items():
        if result.error:
            print(f"\n{student}: {result.error}")
    return 0

