"""Release: ``nbgrader generate_assignment`` for every assignment, and its checks.

``python -m cnnkit build`` regenerates ``release/`` in the course folder with
plain nbgrader (as an instructor would). ``python -m cnnkit build --check``
regenerates into a temporary folder instead and fails when the committed
``release/`` differs from it, or when anything instructor-only leaks into it.

Notes
-----
A leak is any nbgrader marker, any *distinctive* line of a solution region or a
hidden-test region (a line that occurs nowhere else in the source notebook, so
ordinary lines such as ``return out`` do not count), or any file from an
``instructor/`` folder.
"""
from __future__ import annotations

import filecmp
import json
import sys
import tempfile
from pathlib import Path

from cnnkit import notebooks
from cnnkit.course import Course, load, run_nbgrader, scratch_course


def generate_release(course: Course, assignments: list[str]) -> None:
    """Run ``nbgrader generate_assignment <id> --force`` in the course folder."""
    for assignment in assignments:
        run_nbgrader(course.root, ["generate_assignment", assignment, "--force"], check=True)
        print(f"release/{assignment}: generated")


def secret_lines(source_nb) -> set[str]:
    """Lines of solution and hidden-test regions that occur nowhere else in the notebook."""
    inside, outside = set(), set()
    for cell in source_nb.cells:
        lines = cell.source.split("\n")
        marked = set()
        for begin, end in ((notebooks.BEGIN_SOLUTION, notebooks.END_SOLUTION),
                           (notebooks.BEGIN_HIDDEN, notebooks.END_HIDDEN)):
            for region in notebooks.regions(cell.source, begin, end):
                marked.update(range(region.start, region.end))
        for number, line in enumerate(lines):
            (inside if number in marked else outside).add(line.strip())
    return {line for line in inside - outside if len(line) >= 12}


def leaks(release_dir: Path, source_nb) -> list[str]:
    """Everything instructor-only found in a released assignment folder."""
    found = []
    secrets = secret_lines(source_nb)
    for path in sorted(release_dir.rglob("*")):
        relative = path.relative_to(release_dir)
        if "instructor" in relative.parts:
            found.append(f"{relative}: instructor-only file")
        if path.suffix != ".ipynb":
            continue
        for cell in notebooks.read(path).cells:
            text = cell.source
            found += [f"{relative}: marker {m!r}" for m in notebooks.NBGRADER_MARKERS if m in text]
            found += [f"{relative}: solution or hidden-test line {line!r}"
                      for line in sorted({raw.strip() for raw in text.split("\n")} & secrets)]
    return found


def differences(committed: Path, fresh: Path) -> list[str]:
    """Files that differ between two release folders (notebooks compared as JSON)."""
    found = []
    names = {p.relative_to(committed) for p in committed.rglob("*") if p.is_file()}
    names |= {p.relative_to(fresh) for p in fresh.rglob("*") if p.is_file()}
    for name in sorted(names):
        a, b = committed / name, fresh / name
        if not a.exists() or not b.exists():
            found.append(f"{name}: only in {'the fresh build' if b.exists() else 'release/'}")
        elif name.suffix == ".ipynb":
            if json.loads(a.read_text()) != json.loads(b.read_text()):
                found.append(f"{name}: differs from a fresh generate_assignment")
        elif not filecmp.cmp(a, b, shallow=False):
            found.append(f"{name}: differs from a fresh generate_assignment")
    return found


def check_release(course: Course, assignments: list[str], fresh_roots: dict[str, Path]) -> list[str]:
    """Stale or leaking release folders, given freshly generated course folders."""
    problems = []
    for assignment in assignments:
        committed = course.root / "release" / assignment
        fresh = fresh_roots[assignment] / "release" / assignment
        if not committed.is_dir():
            problems.append(f"release/{assignment} is missing: run `make release`")
            continue
        stale = differences(committed, fresh)
        problems += [f"release/{assignment}/{d} (run `make release`)" for d in stale]
        source = notebooks.read(course.source_notebook(assignment))
        problems += [f"release/{assignment}/{leak}" for leak in leaks(committed, source)]
    return problems


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", help="default: every assignment with a source notebook")
    parser.add_argument("--check", action="store_true", help="only check release/ (fresh and leak-free)")


def run(args) -> int:
    course = load()
    assignments = args.assignments or course.built()
    if not args.check:
        generate_release(course, assignments)
    with tempfile.TemporaryDirectory(prefix="cnnkit-build-") as tmp:
        fresh = {a: scratch_course(course, [a], Path(tmp) / a).root for a in assignments}
        problems = check_release(course, assignments, fresh)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"release/: {len(assignments)} assignment(s) checked, {len(problems)} problem(s)")
    return 1 if problems else 0
