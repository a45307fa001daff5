"""``python -m cnnkit grade <assignment>``: grade ``submitted/`` in sandboxes, into the course gradebook.

Prints a progress bar, the score table and where the reports went; exits 1 when
any submission could not be graded (each is named, with the reason), 2 when
grading could not start at all. A second run grades only what is left.
"""
from __future__ import annotations

import sys
from pathlib import Path

from cnnkit.course import load
from cnnkit.grader import pipeline, report
from cnnkit.grader.prepare import GradingSetupError
from cnnkit.grader.reference import ReferenceFailure
from cnnkit.grader.sandbox import SandboxUnavailable, check_available


def add_arguments(parser) -> None:
    parser.add_argument("assignment", help="assignment id, e.g. 01_numpy_cnn")
    parser.add_argument("--course", metavar="DIR",
                        help="course folder (default: this folder if it has nbgrader_config.py, else the kit's)")
    parser.add_argument("--student", default="*", help="student id or glob (default: every submission)")
    parser.add_argument("--force", action="store_true", help="grade again submissions graded by an earlier run")
    parser.add_argument("--workers", type=int, default=None, help="sandboxes at a time (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="grade on a Dask cluster, e.g. tcp://10.0.0.5:8786 (see the README)")
    parser.add_argument("--timeout", type=int, help="per-cell time limit in seconds (default: nbgrader_config.py)")
    parser.add_argument("--notebook-timeout", type=int, help="time limit of a whole notebook in seconds")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code WITHOUT a sandbox, with your own rights (only where none can be made)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args) -> int:
    course = load(args.course or here())
    limits = {}
    if args.timeout:
        limits["cell_seconds"] = args.timeout
    if args.notebook_timeout:
        limits["notebook_seconds"] = args.notebook_timeout
    sandbox = pipeline.sandbox_for(course, enabled=not args.no_sandbox, **limits)
    try:
        course.notebook_name(args.assignment)
        if not args.no_sandbox:
            check_available(sandbox)
        pool = _pool(args)
    except (KeyError, SandboxUnavailable) as error:
        print(f"grade: {str(error).strip(chr(34))}", file=sys.stderr)
        return 2
    if args.no_sandbox:
        print("grade: WARNING: --no-sandbox: student code runs with your rights and can read and change "
              "everything you can.", file=sys.stderr)
    job = pipeline.Job(course, args.assignment, args.student)
    print(f"grading {args.assignment} with {pool.describe()}", file=sys.stderr)
    try:
        result = pipeline.grade([job], pool, sandbox, force=args.force, progress=not args.no_progress)
    except (GradingSetupError, ReferenceFailure) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    finally:
        pool.close()
    for failure in result.reference_failures.values():
        print(f"grade: {failure}", file=sys.stderr)
        return 2
    students = list(pipeline.submissions(job))
    if not students:
        print(f"no submissions in {course.root / 'submitted'}/*/{args.assignment}/", file=sys.stderr)
        return 1
    rows = report.course_rows(course, args.assignment, result.of(job), students)
    print(report.format_table(rows))
    files = report.write_files(course.root / "outputs" / args.assignment, rows)
    print(f"\nreports: {', '.join(str(f.relative_to(course.root)) for f in files)}")
    skipped = result.skipped.get((str(course.root), args.assignment), [])
    if skipped:
        print(f"{len(skipped)} submission(s) graded by an earlier run were kept (use --force to grade them again)")
    flagged = [r for r in rows.values() if r.findings]
    if flagged:
        print(f"integrity flags for {len(flagged)} student(s): {', '.join(r.student for r in flagged)} "
              f"(see integrity.csv)")
    problems = [r for r in rows.values() if r.status != "graded"]
    for r in problems:
        print(f"{r.student}: {'NOT GRADED' if r.status == 'error' else 'REJECTED'}: {r.error}", file=sys.stderr)
    if result.interrupted:
        print("interrupted: run the same command again to grade the rest", file=sys.stderr)
        return 1
    if problems:
        print(f"{len(problems)} submission(s) could not be graded; run again to retry those NOT GRADED",
              file=sys.stderr)
        return 1
    return 0


def here():
    """The current folder when it is a course folder (nbgrader's own rule), else None (the kit's repository)."""
    cwd = Path.cwd()
    return cwd if (cwd / "nbgrader_config.py").is_file() else None


def _pool(args):
    if args.scheduler:
        from cnnkit.grader.pool import DaskPool

        return DaskPool(args.scheduler)
    from cnnkit.grader.pool import LocalPool

    return LocalPool(args.workers)
