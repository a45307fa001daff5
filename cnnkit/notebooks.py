"""Reading nbgrader notebooks: cell roles, grade ids and solution regions.

Notes
-----
nbgrader marks cells in ``cell.metadata["nbgrader"]``: *solution* cells are
where students write code (the part between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` is replaced by a stub in the release); *test* cells are
autograded (``grade: true`` with ``points``); *given* cells are read-only code
(``locked: true``). Hidden tests sit between ``### BEGIN HIDDEN TESTS`` and
``### END HIDDEN TESTS`` inside test cells.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
NBGRADER_MARKERS = (BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN)


def read(path: str | Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def write(nb: nbformat.NotebookNode, path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograded test cell (code, graded, not a solution)."""
    m = meta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


def cells_by_id(nb) -> dict[str, nbformat.NotebookNode]:
    return {grade_id(c): c for c in nb.cells if grade_id(c)}


def solution_ids(nb) -> list[str]:
    return [grade_id(c) for c in nb.cells if is_solution(c) and c.cell_type == "code"]


def test_points(nb) -> dict[str, float]:
    """Test cell id -> points, in notebook order."""
    return {grade_id(c): float(meta(c)["points"]) for c in nb.cells if is_test(c)}


@dataclass(frozen=True)
class Region:
    """Lines ``start..end`` (exclusive) of a cell between two markers, with their indent."""

    start: int
    end: int
    indent: str


def regions(source: str, begin: str = BEGIN_SOLUTION, end: str = END_SOLUTION) -> list[Region]:
    """The marked regions of a cell; the marker lines themselves are excluded."""
    lines = source.split("\n")
    found, opened = [], None
    for number, line in enumerate(lines):
        if line.strip() == begin:
            if opened is not None:
                raise ValueError(f"nested '{begin}' at line {number + 1}")
            opened = (number, re.match(r"\s*", line).group())
        elif line.strip() == end:
            if opened is None:
                raise ValueError(f"'{end}' without '{begin}' at line {number + 1}")
            found.append(Region(opened[0] + 1, number, opened[1]))
            opened = None
    if opened is not None:
        raise ValueError(f"'{begin}' at line {opened[0] + 1} is never closed")
    return found


def region_texts(source: str) -> list[str]:
    """The code inside each solution region, dedented to the region's indent."""
    lines = source.split("\n")
    return [
        "\n".join(_strip_indent(line, r.indent) for line in lines[r.start:r.end])
        for r in regions(source)
    ]


def fill_regions(source: str, codes: list[str]) -> str:
    """Replace each solution region (markers included) by ``codes[i]`` at its indent."""
    spans = regions(source)
    if len(codes) != len(spans):
        raise ValueError(f"cell has {len(spans)} solution regions, got {len(codes)} codes")
    lines = source.split("\n")
    out, cursor = [], 0
    for span, code in zip(spans, codes):
        out.extend(lines[cursor:span.start - 1])
        out.extend((span.indent + line) if line else "" for line in code.split("\n"))
        cursor = span.end + 1
    out.extend(lines[cursor:])
    return "\n".join(out)


def stub_regions(source: str) -> list[Region]:
    """Where nbgrader put the code stub in a released solution cell."""
    lines = source.split("\n")
    found = []
    for number in range(len(lines) - 1):
        first, second = lines[number], lines[number + 1]
        if first.strip() == CODE_STUB[0] and second.strip() == CODE_STUB[1]:
            indent = first[: len(first) - len(first.lstrip())]
            found.append(Region(number, number + 2, indent))
    return found


def _strip_indent(line: str, indent: str) -> str:
    return line[len(indent):] if line.startswith(indent) else line.lstrip()


def reference_code(cell) -> str:
    """A solution cell with its reference solution in place of the markers."""
    return fill_regions(cell.source, region_texts(cell.source))


def _only_imports(source: str) -> bool:
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return False
    return bool(body) and all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in body)


def reference_namespace(path: str | Path, name: str = "reference") -> dict:
    """Run a source notebook's definitions (no training, no plots) and return its namespace.

    Executes, in order, the given (read-only) cells, the solution cells with their
    reference solutions, and the plain code cells that only import. Benchmarks and
    kit commands use this to call the reference solution without copying it.
    """
    namespace = {"__name__": name}
    for cell in read(path).cells:
        if cell.cell_type != "code" or is_test(cell):
            continue
        if is_solution(cell):
            code = reference_code(cell)
        elif meta(cell).get("locked") or _only_imports(cell.source):
            code = cell.source
        else:
            continue
        exec(compile(code, f"<{Path(path).name}:{grade_id(cell) or 'code'}>", "exec"), namespace)
    return namespace
