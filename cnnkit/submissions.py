"""The submission synthesiser: student notebooks made from the release.

A submission is the release notebook (same cells, metadata and checksums as a
student's copy) whose solution stubs are filled in: by the reference solution
from ``source/``, or for chosen cells by other code. This is how the tests build
the reference, blank, mutant and alternative submissions.

Notes
-----
A :class:`Change` says what to put in one solution cell (by grade id):

* ``code``: replaces solution region ``region`` (0 unless the cell has several);
* ``edits``: ``(old, new)`` pairs applied to the cell's reference solution,
  each ``old`` must occur exactly once (so a stale mutant fails loudly);
* ``source``: the whole cell, for rewrites that touch code around the regions.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnkit import notebooks


@dataclass(frozen=True)
class Change:
    cell: str
    code: str | None = None
    region: int = 0
    edits: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    source: str | None = None

    def __post_init__(self):
        given = [self.code is not None, bool(self.edits), self.source is not None]
        if sum(given) != 1:
            raise ValueError(f"Change of cell {self.cell!r}: give exactly one of code, edits, source")


class SynthesisError(ValueError):
    """A change does not fit the notebook (unknown cell, stale edit, ...)."""


def apply_change(source_cell, change: Change) -> str:
    """The submitted text of one solution cell under ``change``."""
    if change.source is not None:
        return change.source
    if change.code is not None:
        codes = notebooks.region_texts(source_cell.source)
        if not 0 <= change.region < len(codes):
            raise SynthesisError(
                f"cell {change.cell!r} has {len(codes)} solution region(s), not region {change.region}"
            )
        codes[change.region] = change.code.strip("\n")
        return notebooks.fill_regions(source_cell.source, codes)
    text = notebooks.reference_code(source_cell)
    for old, new in change.edits:
        count = text.count(old)
        if count != 1:
            raise SynthesisError(
                f"edit of cell {change.cell!r}: {old!r} occurs {count} times in the reference, "
                "expected exactly once"
            )
        text = text.replace(old, new)
    return text


def synthesise(
    release_nb: nbformat.NotebookNode,
    source_nb: nbformat.NotebookNode,
    changes: list[Change] | tuple[Change, ...] = (),
    fill: bool = True,
) -> nbformat.NotebookNode:
    """A submission: the release with every stub filled (``fill``) and ``changes`` applied.

    With ``fill=False`` and no changes the result is the blank release notebook. Written
    answers (markdown answer cells) get the source's model answer when ``fill``.
    """
    sources = notebooks.cells_by_id(source_nb)
    solution_ids = set(notebooks.solution_ids(release_nb))
    by_cell = {}
    for change in changes:
        if change.cell not in solution_ids:
            raise SynthesisError(f"{change.cell!r} is not a solution cell of this notebook")
        if change.cell in by_cell:
            raise SynthesisError(f"two changes for cell {change.cell!r}")
        by_cell[change.cell] = change
    submission = copy.deepcopy(release_nb)
    for cell in submission.cells:
        cell_id = notebooks.grade_id(cell)
        if fill and cell.cell_type == "markdown" and notebooks.is_solution(cell) and cell_id in sources:
            cell.source = notebooks.reference_code(sources[cell_id])  # a written answer: the model answer
        if cell_id not in solution_ids:
            continue
        if cell_id in by_cell:
            cell.source = apply_change(sources[cell_id], by_cell[cell_id])
        elif fill:
            cell.source = notebooks.reference_code(sources[cell_id])
    return submission


def synthesise_files(release: Path, source: Path, changes=(), fill: bool = True):
    """:func:`synthesise` on notebook files."""
    return synthesise(notebooks.read(release), notebooks.read(source), changes, fill)
