"""COVERAGE.md (the course material, item by item, against the notebooks) stays in step with the notebooks."""
import re
from pathlib import Path

from cnnkit import notebooks
from cnnkit.course import load

REPO = Path(__file__).resolve().parents[1]
COURSE = load()
HEADER = ["document", "item", "notebook", "part", "grade id", "graded by"]
KINDS = ("hidden tests", "visible tests", "manual (formgrader)")
REASONED = ("not graded:", "replaced:", "missing:")


def rows() -> list[dict]:
    found, header = [], None
    for line in (REPO / "COVERAGE.md").read_text().splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            assert header == HEADER
        elif not re.fullmatch(r"-+", cells[0].replace(":", "")):
            found.append(dict(zip(header, cells)))
    return found


def graded_cells(assignment: str) -> set[str]:
    """Solution cells and manually graded answer cells of an assignment."""
    source = notebooks.read(COURSE.source_notebook(assignment))
    return {notebooks.grade_id(c) for c in source.cells if notebooks.is_solution(c)}


def test_every_item_names_a_real_place_and_how_it_is_graded():
    problems = []
    table = rows()
    assert len(table) >= 71, "every exercise, question and experiment of the five documents has a row"
    for row in table:
        where = f"{row['document']} {row['item']}"
        kind = row["graded by"]
        if not (kind in KINDS or any(kind.startswith(p) and len(kind) > len(p) + 3 for p in REASONED)):
            problems.append(f"{where}: 'graded by' must be one of {KINDS} or give a reason ({kind!r})")
        if kind in KINDS:
            if row["notebook"] not in COURSE.assignments:
                problems.append(f"{where}: graded, but in no notebook ({row['notebook']!r})")
            elif row["grade id"] not in graded_cells(row["notebook"]):
                problems.append(f"{where}: {row['notebook']} has no solution or answer cell {row['grade id']!r}")
    assert problems == []


def test_the_documents_are_all_covered():
    assert {row["document"] for row in rows()} == {"000", "001", "002", "003", "004"}
