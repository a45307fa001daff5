"""``make demo``: the whole course pipeline on built-in data, offline.

data -> release -> sample submissions -> autograde -> feedback and grades:

1. the synthetic ``ci`` casting data and the example image into ``data/``;
2. ``nbgrader generate_assignment`` for every assignment into ``release/``;
3. sample submissions in ``submitted/demo-*/``: the reference, the blank release
   notebook, two catalogue mutants per assignment, and two broken files
   (they must not disturb anybody's grade);
4. ``nbgrader autograde`` (through ``cnnkit grade``'s checks), then
   ``nbgrader generate_feedback`` and ``nbgrader export``;
5. into ``outputs/``: ``grades.csv`` (nbgrader's export), ``cell_scores.csv``
   (one row per student and test cell), ``feedback/`` (HTML) and the figures the
   reference submissions produced; a score table per assignment on screen.

Runs with the offline guard on; fails if anything tried to reach the network.
"""
from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

import nbformat

from cnnkit import build, catalogue, netguard, robustness
from cnnkit.course import Course, load
from cnnkit.grading import GradeResult, Template, format_table, grade_course, run_nbgrader
from cnnkit.submissions import synthesise_files

PREFIX = "demo-"
MUTANTS_PER_ASSIGNMENT = 2
BROKEN = ("broken-json", "kernel-crash")


def prepare_data(course: Course) -> Path:
    from cnnkit.data.example_image import save_example_image
    from cnnkit.data.synthetic import ensure_dataset

    casting = ensure_dataset(course.root / "data", "ci", seed=0)
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
        template = Template(course, assignment, course.root)
        for case in robustness.CASES:
            if case.student in BROKEN:
                made[f"{PREFIX}{case.student}"] = case.build(template)
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


def collect_outputs(course: Course, assignment: str, results: dict[str, GradeResult]) -> None:
    outputs = course.root / "outputs"
    figures = course.root / "autograded" / f"{PREFIX}reference" / assignment / "outputs"
    if figures.is_dir():
        shutil.copytree(figures, outputs / assignment, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("checkpoints"))
    for student in results:
        for html in (course.root / "feedback" / student / assignment).glob("*.html"):
            target = outputs / "feedback" / assignment / f"{student}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(html, target)


def write_cell_scores(path: Path, all_results: dict[str, dict[str, GradeResult]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["assignment", "student", "cell", "score", "max_score", "error"])
        for assignment, results in all_results.items():
            for student, result in results.items():
                for cell, maximum in result.max_scores.items():
                    error = (result.error or "").splitlines()[0] if result.error else ""
                    writer.writerow([assignment, student, cell, result.scores.get(cell, 0.0), maximum, error])


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

    clear_demo_students(course)
    all_results = {}
    for assignment in assignments:
        submissions = sample_submissions(course, assignment)
        write_submissions(course, assignment, submissions)
        step = time.perf_counter()
        all_results[assignment] = grade_course(course, assignment, students=f"{PREFIX}*", force=True)
        print(f"[3/5] {assignment}: {len(submissions)} submissions autograded "
              f"in {time.perf_counter() - step:.0f} s")

    outputs = course.root / "outputs"
    outputs.mkdir(exist_ok=True)
    for assignment in assignments:
        run_nbgrader(course.root, ["generate_feedback", assignment, f"--student={PREFIX}*", "--force"])
        collect_outputs(course, assignment, all_results[assignment])
    run_nbgrader(course.root, ["export", f"--to={outputs / 'grades.csv'}"], check=True)
    write_cell_scores(outputs / "cell_scores.csv", all_results)
    print(f"[4/5] feedback, grades.csv and cell_scores.csv in {outputs}")

    for assignment, results in all_results.items():
        print(f"\n== {assignment}\n{format_table(results)}")
    blocked = netguard.violations(log)
    print(f"\n[5/5] done in {time.perf_counter() - started:.0f} s; network attempts blocked: {len(blocked)}")
    for line in blocked:
        print(f"  {line}")
    return 1 if blocked else 0


def add_arguments(parser) -> None:
    """No options: the demo always runs the whole pipeline."""


def run(args) -> int:
    return run_demo(load())
