"""Broken submissions, and what grading must make of them.

Grading must survive anything a student hands in: a file that is not a
notebook, metadata from another nbgrader, deleted or edited test cells, code
that kills the kernel or never returns. Each case here says what the grade must
be; the test suite and the demo grade them next to the reference submission
(which must still get full marks).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Callable

import nbformat

from cnnkit import notebooks
from cnnkit.course import Course
from cnnkit.submissions import Change, synthesise_files

ASSIGNMENT = "01_numpy_cnn"
# Per-cell limit for these cases: short, so the endless loop costs little, yet four times the
# slowest honest cell (importing torch, ~5 s on a busy 2-core machine), so the reference never hits it.
HANG_TIMEOUT = 20


@dataclass(frozen=True)
class Case:
    student: str
    description: str
    build: Callable[[Course, str], nbformat.NotebookNode | str]
    error: str | None = None  # a phrase the error must contain; None: graded normally
    loses: frozenset[str] = frozenset()
    note: str = ""  # a phrase the grading notes must contain


def _reference(course: Course, assignment: str, changes=()) -> nbformat.NotebookNode:
    return synthesise_files(course.release_notebook(assignment), course.source_notebook(assignment), changes)


def _without_cells(nb, cell_ids: set[str]):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if notebooks.grade_id(c) not in cell_ids]
    return nb


def _with_test_sources(nb, sources: dict[str, str]):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if notebooks.grade_id(cell) in sources:
            cell.source = sources[notebooks.grade_id(cell)]
    return nb


def _old_schema(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if notebooks.meta(cell):
            cell.metadata["nbgrader"]["schema_version"] = 1
    return nb


STRIDE_BUG = Change("convolve", edits=((
    "window = images[b, p * stride:p * stride + K, q * stride:q * stride + K, :]",
    "window = images[b, p:p + K, q:q + K, :]"),))
CONVOLVE_CELLS = frozenset({"convolve_visible", "convolve_hidden"})

CASES = [
    Case("broken-json", "a file cut off in the middle",
         lambda c, a: '{"cells": [ this is not json', error="not valid JSON"),
    Case("not-a-notebook", "valid JSON that is not a notebook",
         lambda c, a: json.dumps({"hello": "world"}), error="not a valid Jupyter notebook"),
    Case("old-metadata", "nbgrader metadata of an older schema",
         lambda c, a: _old_schema(_reference(c, a)), error="schema"),
    Case("deleted-tests", "test cells deleted: nbgrader restores them, hidden tests included",
         lambda c, a: _without_cells(_reference(c, a), set(CONVOLVE_CELLS))),
    Case("neutered-tests", "wrong convolve, its test cells replaced by `pass`",
         lambda c, a: _with_test_sources(_reference(c, a, [STRIDE_BUG]), {t: "pass" for t in CONVOLVE_CELLS}),
         loses=CONVOLVE_CELLS),
    Case("kernel-crash", "code that kills the kernel",
         lambda c, a: _reference(c, a, [Change("relu", code="import os\nos._exit(1)")]),
         loses=frozenset({"relu_visible", "relu_hidden", "maxpool_visible", "maxpool_hidden",
                          "fully_connected_visible", "fully_connected_hidden", "feedforward_visible",
                          "feedforward_hidden", "convolve_fast_visible", "convolve_fast_hidden"}),
         note="kernel died"),
    Case("endless-loop", "convolve never returns: its cells time out, the rest is graded",
         lambda c, a: _reference(c, a, [Change("convolve", code="while True:\n    pass")]),
         loses=CONVOLVE_CELLS),
]


def mismatch(case: Case, result) -> str | None:
    """Why a graded broken submission (a :class:`cnnkit.grader.report.Row`) is not what the case expects."""
    if case.error is not None:
        if result.error is None or case.error.lower() not in result.error.lower():
            return f"{case.student}: expected an error mentioning {case.error!r}, got {result.error!r}"
        if result.total != 0:
            return f"{case.student}: an ungradable submission must score 0, got {result.total}"
        return None
    if result.status != "graded":
        return f"{case.student}: should be graded, but: {result.error}"
    if result.lost() != case.loses:
        return f"{case.student}: lost {sorted(result.lost())}, expected {sorted(case.loses)}"
    if case.note and not any(case.note in n for n in result.notes):
        return f"{case.student}: expected a note mentioning {case.note!r}, got {result.notes}"
    return None
