"""Catalogues of mutants and alternatives: the proof that the hidden tests work.

Each assignment keeps its catalogue in ``source/<id>/instructor/catalogue.py``
(instructor-only: never released), as two lists of :class:`Entry` (and, optionally,
``CORE``: the names graded by ``make test``; the others form the extended tier,
which CI grades after it):

* ``MUTANTS``: realistic wrong solutions; each must lose exactly the test cells
  it names in ``loses`` and keep every other cell;
* ``ALTERNATIVES``: correct solutions written differently; full marks.

Together with the *reference* submission (full marks) and the *blank* release
notebook (0 everywhere) they are graded by the kit's grading pipeline (nbgrader's
preprocessors, the sandbox, the gradebook), exactly as students' notebooks are:
``python -m cnnkit catalogue [assignment ...]`` or ``make test``.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cnnkit import notebooks
from cnnkit.course import Course, load, scratch_course
from cnnkit.grader import pipeline, report
from cnnkit.grader.pool import LocalPool
from cnnkit.submissions import Change, synthesise_files


TIERS = ("core", "extended")


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    changes: tuple[Change, ...]
    loses: frozenset[str]
    kind: str  # "mutant" or "alternative"
    tier: str = "core"  # "core": graded by `make test`; "extended": by `make test-extended` (CI runs both)

    @property
    def student(self) -> str:
        return f"{'mut' if self.kind == 'mutant' else 'alt'}-{self.name}"


def _changes(cell, code, edits, source, region, changes) -> tuple[Change, ...]:
    if changes:
        return tuple(changes)
    return (Change(cell, code=code, region=region, edits=tuple(edits or ()), source=source),)


def mutant(name, description, *, loses, cell=None, code=None, edits=None, source=None, region=0, changes=None,
           tier="core") -> Entry:
    """A wrong solution that must lose exactly the test cells ``loses``."""
    return Entry(name, description, _changes(cell, code, edits, source, region, changes), frozenset(loses), "mutant",
                 tier)


def alternative(name, description, *, cell=None, code=None, edits=None, source=None, region=0, changes=None,
                tier="core") -> Entry:
    """A correct solution written differently: must score full marks."""
    return Entry(name, description, _changes(cell, code, edits, source, region, changes), frozenset(),
                 "alternative", tier)


def load_entries(course: Course, assignment: str, tier: str | None = None) -> list[Entry]:
    """``MUTANTS + ALTERNATIVES`` of an assignment's catalogue (empty if it has none), of one tier or all."""
    path = course.instructor_dir(assignment) / "catalogue.py"
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"catalogue_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    entries = [*module.MUTANTS, *module.ALTERNATIVES]
    core = getattr(module, "CORE", None)
    if core is not None:
        unknown = set(core) - {e.name for e in entries}
        if unknown:
            raise ValueError(f"{path}: CORE names entries that do not exist: {sorted(unknown)}")
        entries = [e if e.name in core else dataclasses.replace(e, tier="extended") for e in entries]
    return [e for e in entries if tier is None or e.tier == tier]


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
        if entry.tier not in TIERS:
            found.append(f"{entry.student}: tier {entry.tier!r} is not one of {', '.join(TIERS)}")
    return found


@dataclass
class Graded:
    """One catalogue submission and its result."""

    assignment: str
    student: str
    description: str
    expected_lost: frozenset[str]
    result: report.Row
    members: tuple[str, ...] = ()  # the entries graded together in this submission

    def mismatch(self) -> str | None:
        """Why the result differs from the expectation, with the verdicts of the cells concerned."""
        if self.result.status != "graded":
            return f"{self.assignment}/{self.student}: not graded: {self.result.error}"
        lost = self.result.lost()
        if lost == self.expected_lost:
            return None
        lines = [f"{self.assignment}/{self.student} ({self.description})"]
        for cell in sorted(lost - self.expected_lost):
            lines.append(f"  lost {cell} unexpectedly:\n    "
                         + self.result.messages.get(cell, "(no message)").replace("\n", "\n    "))
        for cell in sorted(self.expected_lost - lost):
            lines.append(f"  kept {cell}, which it should lose")
        return "\n".join(lines)


def _defined_names(source_nb, cell_id: str) -> set[str]:
    """The functions and classes the solution cell ``cell_id`` of the source notebook defines."""
    import ast

    cell = notebooks.cells_by_id(source_nb).get(cell_id)
    try:
        tree = ast.parse(cell.source if cell is not None else "")
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def _mentioned_names(entry: Entry) -> set[str]:
    """Every identifier in the code an entry writes (its replacements, edits or whole cells)."""
    import re

    texts = [t for c in entry.changes for t in (c.code, c.source, *(new for _, new in c.edits)) if t]
    return {word for text in texts for word in re.findall(r"[A-Za-z_]\w*", text)}


def bundle(entries: list[Entry], source_nb=None) -> list[list[Entry]]:
    """``entries`` grouped so that no two in a group change the same cell or lose the same test cell (greedy).

    With ``source_nb``, an entry whose code names a function or class that another
    member's cell defines is kept out of that group as well (``convolve_fast``
    written to call the mutated ``convolve`` would lose points through it).

    The test cells of one function do not depend on the others (correct versions
    are patched in), so entries of different functions can share a submission:
    a wrong alternative still shows as a lost cell, and a group of mutants must
    lose exactly the union of their cells. Only a mutant graded alone proves that
    its mistake costs points nowhere else, also not in another member's cells:
    ``make test`` bundles its mutants for speed, ``make test-extended`` and
    ``python -m cnnkit catalogue`` grade every mutant alone.
    """
    def claims(entry: Entry) -> set[str]:
        cells = {c.cell for c in entry.changes}
        defined = set().union(*(_defined_names(source_nb, c) for c in cells)) if source_nb is not None else set()
        return cells | {f"test:{cell}" for cell in entry.loses} | {f"name:{name}" for name in defined}

    def uses(entry: Entry) -> set[str]:
        return {f"name:{name}" for name in _mentioned_names(entry)} if source_nb is not None else set()

    groups: list[tuple[set[str], set[str], list[Entry]]] = []  # (claimed, used, members)
    for entry in entries:
        claimed, used = claims(entry), uses(entry)
        group = next((g for g in groups if not g[0] & claimed and not g[0] & (used - claimed)
                      and not g[1] & (claimed - used)), None)
        if group is None:
            groups.append((set(), set(), []))
            group = groups[-1]
        group[0].update(claimed)
        group[1].update(used)
        group[2].append(entry)
    return [members for _, _, members in groups]


def bundle_alternatives(entries: list[Entry]) -> list[list[Entry]]:
    """The alternatives of ``entries`` in groups of different cells (:func:`bundle`)."""
    return bundle([e for e in entries if e.kind == "alternative"])


@dataclass(frozen=True)
class Planned:
    """A submission to grade and what it must score."""

    student: str
    notebook: object  # a notebook, or raw text for broken files
    description: str
    expected_lost: frozenset[str]
    members: tuple[str, ...] = ()


def build_submissions(course: Course, assignment: str, entries: list[Entry], baselines: bool = True,
                      bundle_mutants: bool = False) -> list[Planned]:
    """Reference and blank (``baselines``), each mutant (or bundles of them), the alternatives in bundles.

    See :func:`bundle` for what sharing a submission does and does not prove.
    """
    release, source = course.release_notebook(assignment), course.source_notebook(assignment)
    all_tests = frozenset(notebooks.test_points(notebooks.read(release)))
    made = [
        Planned("reference", synthesise_files(release, source), "reference solution", frozenset()),
        Planned("blank", synthesise_files(release, source, fill=False), "release notebook as-is", all_tests),
    ] if baselines else []
    mutants = [e for e in entries if e.kind == "mutant"]
    if bundle_mutants:
        for number, group in enumerate(bundle(mutants, notebooks.read(source)), start=1):
            notebook = synthesise_files(release, source, [c for e in group for c in e.changes])
            description = "; ".join(f"{e.name}: {e.description}" for e in group)
            made.append(Planned(f"mutants-{number}", notebook, description,
                                frozenset().union(*(e.loses for e in group)), tuple(e.student for e in group)))
    else:
        for entry in mutants:
            notebook = synthesise_files(release, source, entry.changes)
            made.append(Planned(entry.student, notebook, entry.description, entry.loses, (entry.student,)))
    for number, group in enumerate(bundle_alternatives(entries), start=1):
        notebook = synthesise_files(release, source, [c for e in group for c in e.changes])
        description = "; ".join(f"{e.name}: {e.description}" for e in group)
        made.append(Planned(f"alternatives-{number}", notebook, description, frozenset(),
                            tuple(e.student for e in group)))
    return made


def write_submissions(course: Course, assignment: str, planned: list[Planned]) -> None:
    """Put ``planned`` into ``submitted/<student>/<assignment>/`` of ``course``."""
    import nbformat

    name = course.notebook_name(assignment)
    for plan in planned:
        path = course.root / "submitted" / plan.student / assignment / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan.notebook if isinstance(plan.notebook, str) else nbformat.writes(plan.notebook))


def offline_env(course: Course) -> dict[str, str]:
    """What graded notebooks see in the tests and the demo: cached synthetic data, no weights.

    The ``ci`` profile of the synthetic casting data is generated once into
    ``.cache/`` and reused; the VGG notebook runs its documented offline profile
    (a randomly initialised backbone).
    """
    from cnnkit.data.synthetic import ensure_dataset, ensure_defect_types

    casting = ensure_dataset(course.root / ".cache" / "data-ci", "ci", seed=0)
    ensure_defect_types(casting.parent, "ci", seed=0)
    return {"COURSE_DATA_DIR": str(casting.parent), "COURSE_VGG_WEIGHTS": "random"}


def grade_catalogues(course: Course, assignments: list[str], workdir: Path, pool,
                     only: set[str] | None = None) -> list[Graded]:
    """Grade the catalogues of ``assignments`` in one pool, each in a scratch course folder.

    ``only``: the names of the entries to grade (with the reference and the blank); default all.
    """
    jobs, plans, sandboxes = [], {}, {}
    env = offline_env(course)
    for assignment in assignments:
        scratch = scratch_course(course, [assignment], Path(workdir) / assignment)
        entries = [e for e in load_entries(course, assignment) if only is None or e.name in only]
        plans[assignment] = build_submissions(scratch, assignment, entries)
        write_submissions(scratch, assignment, plans[assignment])
        job = pipeline.Job(scratch, assignment)
        jobs.append(job)
        sandboxes[(str(scratch.root), assignment)] = pipeline.sandbox_for(scratch, env=env)
    run = pipeline.grade(jobs, pool, sandboxes, progress=False)
    if run.reference_failures:
        raise RuntimeError("\n\n".join(run.reference_failures.values()))
    graded = []
    for job in jobs:
        results = run.of(job)
        for plan in plans[job.assignment]:
            row = report.row(results[plan.student])
            graded.append(Graded(job.assignment, plan.student, plan.description, plan.expected_lost, row, plan.members))
    return graded


def add_arguments(parser) -> None:
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every built assignment)")
    parser.add_argument("--workers", type=int, default=2, help="sandboxes at a time (default 2)")
    parser.add_argument("--only", help="comma-separated entry names: grade these (and the reference and blank) only")


def run(args) -> int:
    course = load()
    assignments = args.assignments or course.built()
    started = time.perf_counter()
    pool = LocalPool(args.workers)
    with tempfile.TemporaryDirectory(prefix="cnnkit-catalogue-") as workdir:
        try:
            only = set(args.only.split(",")) if args.only else None
            graded = grade_catalogues(course, assignments, Path(workdir), pool, only)
        finally:
            pool.close()
        failures = [g.mismatch() for g in graded if g.mismatch()]
        for assignment in assignments:
            rows = {g.student: g.result for g in graded if g.assignment == assignment}
            print(f"\n== {assignment}\n{report.format_table(rows)}")
    print(f"\n{len(graded)} submissions graded in {time.perf_counter() - started:.0f} s; "
          f"{len(failures)} differ from the catalogue")
    for failure in failures:
        print("\n" + failure, file=sys.stderr)
    return 1 if failures else 0
