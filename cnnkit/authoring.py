"""A plain-text form of nbgrader notebooks, for writing and reviewing them.

``python -m cnnkit author dump source/01_numpy_cnn/numpy_cnn.ipynb > nb.txt``
gives one block per cell; edit it in any editor, then
``python -m cnnkit author load nb.txt source/01_numpy_cnn/numpy_cnn.ipynb``
writes the notebook back. The round trip is exact for notebooks written by
``load`` (tests/test_authoring.py checks it on every source notebook).

Notes
-----
Each cell starts with a header line ``#%% <kind> [id=<grade_id>] [points=<n>]``:

========  ==============================================================
kind      nbgrader role
========  ==============================================================
markdown  instructions (``locked`` flag: read-only, needs ``id``)
code      ordinary code cell, students may edit it
given     read-only code (locked), restored from the gradebook at grading
solution  student's answer; code between ``### BEGIN/END SOLUTION`` is
          replaced by a stub in the release
tests     autograded cell worth ``points``; ``### BEGIN/END HIDDEN TESTS``
          marks the part students never see
answer    a written answer (markdown) worth ``points``, graded by hand in
          formgrader; the model answer and rubric between ``### BEGIN/END
          SOLUTION`` become "YOUR ANSWER HERE" in the release
========  ==============================================================

Cells are separated by one blank line; a cell's own trailing blank lines are
not kept.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat

from cnnkit import notebooks

HEADER = "#%% "
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _nbgrader_meta(kind: str, attrs: dict[str, str]) -> dict | None:
    base = {"schema_version": 3, "task": False, "grade": False, "solution": False, "locked": False}
    if kind == "solution":
        base.update(solution=True)
    elif kind == "tests":
        base.update(grade=True, locked=True, points=_number(attrs["points"]))
    elif kind == "answer":
        base.update(solution=True, grade=True, points=_number(attrs["points"]))
    elif kind == "given" or (kind == "markdown" and "locked" in attrs):
        base.update(locked=True)
    else:
        return None
    base["grade_id"] = attrs["id"]
    return base


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _cell_id(source: str, used: set[str]) -> str:
    digest = hashlib.sha1(source.encode()).hexdigest()[:10]
    candidate, n = f"c-{digest}", 1
    while candidate in used:
        n += 1
        candidate = f"c-{digest}-{n}"
    return candidate


def parse(text: str) -> nbformat.NotebookNode:
    """Build a notebook from the text form."""
    blocks: list[tuple[str, list[str]]] = []
    for line in text.split("\n"):
        if line.startswith(HEADER):
            blocks.append((line[len(HEADER):].strip(), []))
        elif blocks:
            blocks[-1][1].append(line)
        elif line.strip():
            raise ValueError(f"text before the first '{HEADER}' header: {line!r}")
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    used: set[str] = set()
    for header, lines in blocks:
        kind, *words = header.split()
        attrs = dict(w.split("=", 1) if "=" in w else (w, "") for w in words)
        source = "\n".join(lines).rstrip("\n")
        if kind not in {"markdown", "code", "given", "solution", "tests", "answer"}:
            raise ValueError(f"unknown cell kind {kind!r} in header {header!r}")
        meta = _nbgrader_meta(kind, attrs)
        if meta is None and "id" in attrs:
            raise ValueError(f"'{kind}' cells carry no grade id (header {header!r})")
        make = nbformat.v4.new_markdown_cell if kind in ("markdown", "answer") else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = attrs.get("id") or _cell_id(source, used)
        if cell.id in used:
            raise ValueError(f"duplicate id {cell.id!r}")
        used.add(cell.id)
        if meta is not None:
            cell.metadata["nbgrader"] = meta
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def dump(nb: nbformat.NotebookNode) -> str:
    """The text form of a notebook (outputs are not kept)."""
    blocks = []
    for cell in nb.cells:
        m = notebooks.meta(cell)
        if notebooks.is_solution(cell) and cell.cell_type == "markdown":
            header = f"answer id={m['grade_id']} points={_number(str(m['points']))}"
        elif notebooks.is_solution(cell):
            header = f"solution id={m['grade_id']}"
        elif notebooks.is_test(cell):
            header = f"tests id={m['grade_id']} points={_number(str(m['points']))}"
        elif cell.cell_type == "markdown":
            header = f"markdown locked id={m['grade_id']}" if m.get("locked") else "markdown"
        elif m.get("locked"):
            header = f"given id={m['grade_id']}"
        else:
            header = "code"
        blocks.append(f"{HEADER}{header}\n{cell.source}")
    return "\n\n".join(blocks) + "\n"


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    d = sub.add_parser("dump", help="print a notebook in the text form")
    d.add_argument("notebook", type=Path)
    d.add_argument("text", type=Path, nargs="?", help="write here instead of stdout")
    lo = sub.add_parser("load", help="write a notebook from the text form")
    lo.add_argument("text", type=Path)
    lo.add_argument("notebook", type=Path)


def run(args) -> int:
    if args.action == "dump":
        text = dump(notebooks.read(args.notebook))
        if args.text:
            args.text.write_text(text)
        else:
            sys.stdout.write(text)
    else:
        notebooks.write(parse(args.text.read_text()), args.notebook)
        print(f"wrote {args.notebook}")
    return 0
