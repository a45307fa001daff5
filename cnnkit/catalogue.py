"""Catalogues of mutants and alternatives: the proof that the hidden tests work.

Each assignment keeps its catalogue in ``source/<id>/instructor/catalogue.py``
(instructor-only: never released), as two lists of :class:`Entry`:

* ``MUTANTS``: realistic wrong solutions; each must lose exactly the test cells
  it names in ``loses`` and keep every other cell;
* ``ALTERNATIVES``: correct solutions written differently; full marks.

Together with the *reference* submission (full marks) and the *blank* release
notebook (0 everywhere) they are graded by real ``nbgrader autograde``:
``python -m cnnkit catalogue [assignment ...]`` or ``make test``.
"""
from __future__ import annotations

import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cnnkit import notebooks
from cnnkit.course import Course, load
from cnnkit.grading import GradeResult, Job, Submission, Template, autograde_many, format_table, prepare_template
from cnnkit.submissions import Change, synthesise_files


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    changes: tuple[Change, ...]
    loses: frozenset[str]
    kind: str  # "mutant" or "alternative"

    @property
    def student(self) -> str:
        return f"{'mut' if self.kind == 'mutant' else 'alt'}-{self.name}"


def _changes(cell, code, edits, source, region, changes) -> tuple[Change, ...]:
    if changes:
        return tuple(changes)
    return (Change(cell, code=code, region=region, edits=tuple(edits or ()), source=source),)


def mutant(name, description, *, loses, cell=None, code=None, edits=None, source=None, region=0, changes=None) -> Entry:
    """A wrong solution that must lose exactly the test cells ``loses``."""
    return Entry(name, description, _changes(cell, code, edits, source, region, changes), frozenset(loses), "mutant")


def alternative(name, description, *, cell=None, code=None, edits=None, source=None, region=0, changes=None) -> Entry:
    """A correct solution written differently: must score full marks."""
    return Entry(name, description, _changes(cell, code, edits, source, region, changes), frozenset(), "alternative")


def load_entries(course: Course, assignment: str) -> list[Entry]:
    """``MUTANTS + ALTERNATIVES`` of an assignment's catalogue (empty if it has none)."""
    path = course.instructor_dir(assignment) / "catalogue.py"
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"catalogue_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [*module.MUTANTS, *module.ALTERNATIVES]


def problems(entries: list[Entry], source_nb) -> list[str]:
    """Static mistakes in a catalogue: unknown cells, empty ``loses``, duplicate names."""
    found = []
    solutions = set(notebooks.solution_ids(source_nb))
    tests = set(notebooks.test_points(source_nb))
    names = [e.student for e in entries]
    found += [f"duplicate entry {n}" for n in sorted({n for n in names if names.count(n) > 1})]
    for entry in entries:
        if not entry.description.strip():
            found.append(f"{entry.student}: no description")
        if entry.kind == "mutant" and not entry.loses:
            found.append(f"{entry.student}: a mutant must name the test cells it loses")
        found += [f"{entry.student}: {c!r} is not a test cell" for c in sorted(entry.loses - tests)]
        found += [f"{entry.student}: {c.cell!r} is not a solution cell" for c in entry.changes if c.cell not in solutions]
    return found


@dataclass
class Graded:
    """One catalogue submission and its result."""

    assignment: str
    student: str
    description: str
    expected_lost: frozenset[str]
    result: GradeResult
    members: tuple[str, ...] = ()  # the entries graded together in this submission

    def mismatch(self) -> str | None:
        """Why the result differs from the expectation, with the cells' output."""
        if self.result.error:
            return f"{self.student}: not graded: {self.result.error}"
        lost = self.result.lost()
        if lost == self.expected_lost:
            return None
        lines = [f"{self.assignment}/{self.student} ({self.description})"]
        for cell in sorted(lost - self.expected_lost):
            lines.append(f"  lost {cell} unexpectedly:\n    " + self.result.cell_report(cell).replace("\n", "\n    "))
        for cell in sorted(self.expected_lost - lost):
            lines.append(f"  kept {cell}, which it should lose")
        return "\n".join(lines)


def bundle_alternatives(entries: list[Entry]) -> list[list[Entry]]:
    """Alternatives grouped so that no two in a group change the same cell (greedy, in order).

    Every alternative must score full marks and the test cells of one function do
    not depend on the others (correct versions are patched in), so alternatives of
    different cells can share a submission: any wrong one still shows as a lost cell.
    Mutants are always graded alone: only then does "loses exactly these cells" prove
    that a mistake costs points nowhere else.
    """
    groups: list[tuple[set[str], list[Entry]]] = []
    for entry in (e for e in entries if e.kind == "alternative"):
        cells = {c.cell for c in entry.changes}
        group = next((g for g in groups if not g[0] & cells), None)
        if group is None:
            groups.append((set(), []))
            group = groups[-1]
        group[0].update(cells)
        group[1].append(entry)
    return [members for _, members in groups]


@dataclass(frozen=True)
class Planned:
    """A submission to grade and what it must score."""

    submission: Submission
    description: str
    expected_lost: frozenset[str]
    members: tuple[str, ...] = ()


def build_submissions(template: Template, entries: list[Entry]) -> list[Planned]:
    """Reference, blank, each mutant, and the alternatives in bundles (:func:`bundle_alternatives`)."""
    release, source = template.release_notebook, template.source_notebook
    all_tests = frozenset(notebooks.test_points(notebooks.read(release)))
    made = [
        Planned(Submission("reference", synthesise_files(release, source)), "reference solution", frozenset()),
        Planned(Submission("blank", synthesise_files(release, source, fill=False)), "release notebook as-is", all_tests),
    ]
    for entry in (e for e in entries if e.kind == "mutant"):
        notebook = synthesise_files(release, source, entry.changes)
        made.append(Planned(Submission(entry.student, notebook), entry.description, entry.loses, (entry.student,)))
    for number, group in enumerate(bundle_alternatives(entries), start=1):
        notebook = synthesise_files(release, source, [c for e in group for c in e.changes])
        description = "; ".join(f"{e.name}: {e.description}" for e in group)
        made.append(Planned(Submission(f"alternatives-{number}", notebook), description, frozenset(),
                            tuple(e.student for e in group)))
    return made


def offline_env(course: Course) -> dict[str, str]:
    """What graded notebooks see in the tests and the demo: cached synthetic data, no weights.

    The ``ci`` profile of the synthetic casting data is generated once into
    ``.cache/`` and reused; the VGG notebook runs its documented offline profile
    (a randomly initialised backbone).
    """
    from cnnkit.data.synthetic import ensure_dataset

    casting = ensure_dataset(course.root / ".cache" / "data-ci", "ci", seed=0)
    return {"COURSE_DATA_DIR": str(casting.parent), "COURSE_VGG_WEIGHTS": "random"}


def grade_catalogues(
    course: Course, assignments: list[str], workdir: Path, workers: int = 2, env: dict[str, str] | None = None
) -> list[Graded]:
    """Grade the catalogues of ``assignments`` in one pool of nbgrader runs."""
    jobs, expectations = [], []
    for assignment in assignments:
        template = prepare_template(course, assignment, Path(workdir) / f"template-{assignment}")
        made = build_submissions(template, load_entries(course, assignment))
        jobs.append(Job(template, [m.submission for m in made]))
        expectations.append(made)
    outcomes = autograde_many(jobs, Path(workdir) / "grading", workers, env=env)
    graded = []
    for assignment, made, results in zip(assignments, expectations, outcomes):
        for plan in made:
            graded.append(Graded(assignment, plan.submission.student, plan.description, plan.expected_lost,
                                 results[plan.submission.student], plan.members))
    return graded


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every built assignment)")
    parser.add_argument("--workers", type=int, default=2, help="parallel nbgrader runs (default 2)")


def run(args) -> int:
    course = load()
    assignments = args.assignments or course.built()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cnnkit-catalogue-") as workdir:
        graded = grade_catalogues(course, assignments, Path(workdir), args.workers, offline_env(course))
        failures = [g.mismatch() for g in graded if g.mismatch()]
        for assignment in assignments:
            rows = {g.student: g.result for g in graded if g.assignment == assignment}
            print(f"\n== {assignment}\n{format_table(rows)}")
    print(f"\n{len(graded)} submissions graded in {time.perf_counter() - started:.0f} s; "
          f"{len(failures)} differ from the catalogue")
    for failure in failures:
        print("\n" + failure, file=sys.stderr)
    return 1 if failures else 0

