"""The requirements tables (``source/<id>/instructor/requirements.md``) and the notebooks stay in step.

Every graded item has rows; every row names test cells and catalogue entries
that exist; a stated (``fixed``) requirement names a test cell that checks it and a
mutant that breaks it; an ``open`` choice names alternatives (or ``-`` when no
student could choose differently). And no mutant loses points outside the test
cells of the solution cells it changes.
"""
import re

import pytest

from cnnkit import catalogue, notebooks
from cnnkit.course import load
from cnnkit.grader import rules

COURSE = load()
ASSIGNMENTS = COURSE.built()
HEADER = ["item", "requirement", "kind", "visible", "hidden", "catalogue"]


def table(assignment: str) -> list[dict]:
    text = (COURSE.instructor_dir(assignment) / "requirements.md").read_text()
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            assert header == HEADER, f"the table's header must be {HEADER}"
        elif not re.fullmatch(r"-+", cells[0].replace(":", "")):
            rows.append(dict(zip(header, cells)))
    return rows


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def graded_items(assignment: str) -> tuple[set[str], set[str]]:
    """(solution cells graded by tests, written answers graded by hand)."""
    source = notebooks.read(COURSE.source_notebook(assignment))
    answers = {notebooks.grade_id(c) for c in source.cells if c.cell_type == "markdown" and notebooks.is_solution(c)}
    return set(notebooks.solution_ids(source)), answers


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_graded_item_has_requirements(assignment):
    coded, answers = graded_items(assignment)
    items = {row["item"] for row in table(assignment)}
    assert (coded | answers) - items == set()
    assert items - (coded | answers) == set(), "rows for items that are not solution or answer cells"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_row_names_what_exists(assignment):
    source = notebooks.read(COURSE.source_notebook(assignment))
    tests = set(notebooks.test_points(source))
    entries = {e.name: e for e in catalogue.load_entries(COURSE, assignment)}
    _, answers = graded_items(assignment)
    problems = []
    for row in table(assignment):
        where = f"{row['item']}: {row['requirement'][:60]}"
        if row["item"] in answers:  # graded by hand in formgrader: no test cell, no mutant
            if row["visible"] != "-" or row["hidden"] != "-":
                problems.append(f"{where}: a written answer has no test cells")
            continue
        if row["kind"] not in ("fixed", "open"):
            problems.append(f"{where}: kind {row['kind']!r}")
        for column in ("visible", "hidden"):
            if row[column] != "-" and row[column] not in tests:
                problems.append(f"{where}: no test cell {row[column]!r}")
        named = [n.strip() for n in row["catalogue"].split(",") if n.strip() not in ("-", "")]
        problems += [f"{where}: no catalogue entry {n!r}" for n in named if n not in entries]
        kinds = {entries[n].kind for n in named if n in entries}
        if row["kind"] == "fixed":
            if row["visible"] == row["hidden"] == "-":
                problems.append(f"{where}: a stated requirement that no test cell checks")
            if "mutant" not in kinds:
                problems.append(f"{where}: a stated requirement that no mutant breaks")
        elif named and "alternative" not in kinds:
            problems.append(f"{where}: an open choice must name alternatives (or '-')")
    assert problems == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_mutant_loses_points_outside_its_own_functions(assignment):
    source = notebooks.read(COURSE.source_notebook(assignment))
    assignment_rules = rules.load(COURSE, assignment)
    outside = {}
    for entry in catalogue.load_entries(COURSE, assignment):
        if entry.kind != "mutant":
            continue
        own = {t for change in entry.changes for t in assignment_rules.tests_of(change.cell, source)}
        if entry.loses - own:
            outside[entry.name] = sorted(entry.loses - own)
    assert outside == {}
