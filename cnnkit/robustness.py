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
from cnnkit.grading import Submission, Template
from cnnkit.submissions import Change, synthesise_files

ASSIGNMENT = "01_numpy_cnn"
HANG_TIMEOUT = 5


@dataclass(frozen=True)
class Case:
    student: str
    description: str
    build: Callable[[Template], nbformat.NotebookNode | str]
    error: str | None = None  # a phrase the error must contain; None: graded normally
    loses: frozenset[str] = frozenset()
    timeout: int | None = None  # per-cell timeout to grade this case with


def _reference(template: Template, changes=()) -> nbformat.NotebookNode:
    return synthesise_files(template.release_notebook, template.source_notebook, changes)


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
         lambda t: '{"cells": [ this is not json', error="not valid JSON"),
    Case("not-a-notebook", "valid JSON that is not a notebook",
         lambda t: json.dumps({"hello": "world"}), error="not a valid Jupyter notebook"),
    Case("old-metadata", "nbgrader metadata of an older schema",
         lambda t: _old_schema(_reference(t)), error="schema"),
    Case("deleted-tests", "test cells deleted: nbgrader restores them, hidden tests included",
         lambda t: _without_cells(_reference(t), set(CONVOLVE_CELLS))),
    Case("neutered-tests", "wrong convolve, its test cells replaced by `pass`",
         lambda t: _with_test_sources(_reference(t, [STRIDE_BUG]), {c: "pass" for c in CONVOLVE_CELLS}),
         loses=CONVOLVE_CELLS),
    Case("kernel-crash", "code that kills the kernel",
         lambda t: _reference(t, [Change("relu", code="import os\nos._exit(1)")]), error="could not grade"),
    Case("endless-loop", "convolve never returns: its cells time out, the rest is graded",
         lambda t: _reference(t, [Change("convolve", code="while True:\n    pass")]),
         loses=CONVOLVE_CELLS, timeout=HANG_TIMEOUT),
]


def submission(case: Case, template: Template) -> Submission:
    return Submission(case.student, case.build(template))


def mismatch(case: Case, result) -> str | None:
    """Why a graded broken submission is not what the case expects."""
    if case.error is not None:
        if result.error is None or case.error.lower() not in result.error.lower():
            return f"{case.student}: expected an error mentioning {case.error!r}, got {result.error!r}"
        if result.total != 0:
            return f"{case.student}: an ungradable submission must score 0, got {result.total}"
        return None
    if result.error:
        return f"{case.student}: should be graded, but: {result.error}"
    if result.lost() != case.loses:
        return f"{case.student}: lost {sorted(result.lost())}, expected {sorted(case.loses)}"
    return None
