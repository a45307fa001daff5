"""``make demo``: the whole course pipeline on built-in data, offline.

data -> release -> sample submissions -> grading -> feedback and grades:

1. the synthetic ``ci`` casting data and the example image into ``data/``;
2. ``nbgrader generate_assignment`` for every assignment into ``release/``;
3. sample submissions in ``submitted/demo-*/``: the reference, the blank release
   notebook, two catalogue mutants per assignment, two broken files and a
   notebook that tries to read the gradebook (none may disturb anybody's grade);
4. the kit's grading pipeline (every notebook in its own sandbox, two at a time,
   into the course gradebook), then ``nbgrader generate_feedback`` and
   ``nbgrader export``;
5. into ``outputs/``: ``grades.csv`` (nbgrader's export), per assignment
   ``scores.csv``, ``integrity.csv`` and ``summary.png``, ``cell_scores.csv``
   (one row per student and test cell), ``feedback/`` (HTML); a score table per
   assignment on screen.

Runs with the offline guard on; fails if anything tried to reach the network.
"""
from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import nbformat

from cnnkit import build, catalogue, hostile, netguard, robustness
from cnnkit.course import Course, load, run_nbgrader
from cnnkit.grader import pipeline, report
from cnnkit.grader.pool import LocalPool
from cnnkit.grader.sandbox import check_available
from cnnkit.submissions import synthesise_files

PREFIX = "demo-"
MUTANTS_PER_ASSIGNMENT = 2
BROKEN = ("broken-json", "kernel-crash")
WORKERS = 2


def prepare_data(course: Course) -> Path:
    from cnnkit.data.example_image import save_example_image
    from cnnkit.data.synthetic import ensure_dataset, ensure_defect_types

    casting = ensure_dataset(course.root / "data", "ci", seed=0)
    ensure_defect_types(course.root / "data", "ci", seed=0)
    save_example_image(course.root / "data" / "example_image.png")
    return casting


def sample_submissions(course: Course, assignment: str) -> dict[str, nbformat.NotebookNode | str]:
    """Student id -> notebook (or raw text) for the demo."""
    release, source = course.release_notebook(assignment), course.source_notebook(assignment)
    made = {
        f"{PREFIX}reference": synthesise_files(release, source),
        f"{PREFIX}blank": synthesise_files(release, source, fill=False),
    }
    mutants = [e for e in catalogue.load_entries(course, assignment) if e.kind == "mutant"]
    for entry in mutants[:MUTANTS_PER_ASSIGNMENT]:
        made[f"{PREFIX}{entry.student}"] = synthesise_files(release, source, entry.changes)
    if assignment == robustness.ASSIGNMENT:
        for case in robustness.CASES:
            if case.student in BROKEN:
                made[f"{PREFIX}{case.student}"] = case.build(course, assignment)
        reader = next(c for c in hostile.CASES if c.name == "read")
        values = {"course": str(course.root), "home": str(Path.home()), "kit": str(Path(__file__).parent),
                  "venv": "", "port": "0", "secret": "", "marker": ""}
        made[f"{PREFIX}{reader.student}"] = hostile.submission(reader, course, values)
    return made


def write_submissions(course: Course, assignment: str, submissions: dict) -> None:
    name = course.notebook_name(assignment)
    for student, notebook in submissions.items():
        path = course.root / "submitted" / student / assignment / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(notebook if isinstance(notebook, str) else nbformat.writes(notebook))


def clear_demo_students(course: Course) -> None:
    """Remove earlier demo runs' files (only demo-* students; real students are never touched)."""
    for area in ("submitted", "autograded", "feedback"):
        for folder in (course.root / area).glob(f"{PREFIX}*"):
            shutil.rmtree(folder)
    for state in (course.root / ".cache" / "grading").glob(f"*/{PREFIX}*.json"):
        state.unlink()


def collect_feedback(course: Course, assignment: str, students) -> None:
    for student in students:
        for html in (course.root / "feedback" / student / assignment).glob("*.html"):
            target = course.root / "outputs" / "feedback" / assignment / f"{student}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(html, target)


def write_cell_scores(path: Path, all_rows: dict[str, dict[str, report.Row]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student", "cell", "score", "max_score", "error"])
        for assignment, rows in all_rows.items():
            for student, row in rows.items():
                for cell, maximum in row.max_scores.items():
                    error = (row.error or "").splitlines()[0] if row.error else ""
                    writer.writerow([assignment, student, cell, row.scores.get(cell, 0.0), maximum, error])


def run_demo(course: Course) -> int:
    started = time.perf_counter()
    log = course.root / ".cache" / "netguard-demo.log"
    log.unlink(missing_ok=True)
    netguard.enable(log)
    assignments = course.built()

    casting = prepare_data(course)
    print(f"[1/5] data: synthetic ci profile in {casting}")
    build.generate_release(course, assignments)
    leaks = [leak for a in assignments for leak in build.leaks(
        course.root / "release" / a, nbformat.read(str(course.source_notebook(a)), 4))]
    if leaks:
        print("release leaks instructor-only material:\n  " + "\n  ".join(leaks))
        return 1
    print(f"[2/5] release: {len(assignments)} assignment(s) generated, no leaks")

    check_available()
    clear_demo_students(course)
    jobs = []
    for assignment in assignments:
        write_submissions(course, assignment, sample_submissions(course, assignment))
        jobs.append(pipeline.Job(course, assignment, f"{PREFIX}*"))
    step = time.perf_counter()
    pool = LocalPool(WORKERS)
    try:
        run = pipeline.grade(jobs, pool, pipeline.sandbox_for(course, env=catalogue.offline_env(course)), force=True)
    finally:
        pool.close()
    if run.reference_failures:
        print("\n\n".join(run.reference_failures.values()))
        return 1
    total = sum(len(run.of(job)) for job in jobs)
    print(f"[3/5] {total} submissions graded in sandboxes ({WORKERS} at a time) in {time.perf_counter() - step:.0f} s")

    outputs = course.root / "outputs"
    all_rows = {}
    for job in jobs:
        rows = {s: report.row(r) for s, r in run.of(job).items()}
        all_rows[job.assignment] = rows
        report.write_files(outputs / job.assignment, rows)
        run_nbgrader(course.root, ["generate_feedback", job.assignment, f"--student={PREFIX}*", "--force"])
        collect_feedback(course, job.assignment, rows)
    run_nbgrader(course.root, ["export", f"--to={outputs / 'grades.csv'}"], check=True)
    write_cell_scores(outputs / "cell_scores.csv", all_rows)
    print(f"[4/5] feedback, grades.csv, cell_scores.csv and per-assignment reports in {outputs}")

    for assignment, rows in all_rows.items():
        print(f"\n== {assignment}\n{report.format_table(rows)}")
        for row in rows.values():
            for finding in row.findings[:3]:
                print(f"   integrity: {row.student}: {finding['cell']}: {finding['category']}: {finding['detail']}")
    blocked = netguard.violations(log)
    print(f"\n[5/5] done in {time.perf_counter() - started:.0f} s; network attempts blocked: {len(blocked)}")
    for line in blocked:
        print(f"  {line}")
    return 1 if blocked else 0


def add_arguments(parser) -> None:
    """No options: the demo always runs the whole pipeline."""


def run(args) -> int:
    return run_demo(load())
