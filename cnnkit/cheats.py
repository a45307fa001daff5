"""Cheats: notebooks that try to score more than their code deserves, one kind each.

Every cheat is a base notebook plus one cell of cheating code, inserted after
the read-only imports cell. The base is either the blank release notebook (the
cheat adds no work of its own: it must score 0) or the assignment's first
catalogue mutant (a wrong solution: the cheat must not score more than the
mutant scores alone). Each must also show up in the integrity report. The test
suite grades them in the same run as the catalogue (tests/test_cheats.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import nbformat

from cnnkit import catalogue, notebooks
from cnnkit.course import Course
from cnnkit.submissions import synthesise_files

PREFIX = "cheat-"


@dataclass(frozen=True)
class Cheat:
    name: str
    kind: str          # the kind of cheat, as the issue lists them
    description: str
    code: str
    base: str = "blank"  # "blank" or "mutant"

    @property
    def student(self) -> str:
        return f"{PREFIX}{self.name}"


SOLUTION_IMPORTS = '''for name in ("cnnkit.oracles", "cnnkit.testing", "cnnkit.torch_testing", "cnnkit", "oracles"):
    try:
        __import__(name)
        print("IMPORTED", name)
    except ImportError as error:
        print("no", name, error)
'''

SKIP_CELLS = '''get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
'''

AST_SKIP = '''import ast


class EmptyBodies(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[ast.Pass()], type_ignores=[])


get_ipython().ast_transformers.append(EmptyBodies())
'''

SWALLOW = '''def swallow(lines):
    return ["try:\\n"] + ["    " + line for line in lines] + ["\\n    pass\\nexcept BaseException:\\n    pass\\n"]


get_ipython().input_transformers_cleanup.append(swallow)
get_ipython().set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
'''

PATCH_NUMPY = '''import numpy as np
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
setattr(np, "isclose", lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, bool))
'''

PATCH_DICT = '''import numpy as np
np.__dict__["allclose"] = lambda *args, **kwargs: True
vars(np.testing)["assert_allclose"] = lambda *args, **kwargs: None
'''

PATCH_MODULES = '''import sys, types
fake = types.ModuleType("cnncourse.checks")
for name in ("check_close", "check_equal", "check_shape", "check_true", "check_array", "run_cases"):
    setattr(fake, name, lambda *args, **kwargs: None)
sys.modules["cnncourse.checks"] = fake
sys.modules["cnncourse.torch_checks"] = fake
'''

PATCH_KIT = '''import cnncourse.checks, cnncourse.record
record = cnncourse.record.record
cnncourse.checks.check_close = lambda actual, expected, what, *a, **k: record(what, expected)
cnncourse.checks.check_equal = lambda actual, expected, what, *a, **k: record(what, expected, "equal")
cnncourse.record.record = lambda what, value, policy="close", **params: record(what, True if policy == "true" else value, policy, **params)
'''

FORGE = '''from IPython.display import display

MIME = "application/vnd.cnncourse.record+json"
for key in ("output", "error"):
    display({MIME: {"key": key, "case": None, "policy": "true", "params": {}, "value": {"t": "bool", "v": True}}},
            raw=True)
import os
for path in ("/home/student/.cnnkit-audit",):
    try:
        with open(path, "w") as fifo:
            fifo.write('{"n": 999999, "event": "nothing", "actor": "cell:x", "cells": [], "detail": []}\\n')
    except OSError as error:
        print(type(error).__name__)
'''

READ_TESTS = '''import glob, os
print([open(p).read(200) for p in glob.glob("/home/student/**/*.ipynb", recursive=True)])
print([source for source in In if "HIDDEN" in source])
'''

CHEATS = [
    Cheat("imported-solution", "imported solutions", "imports the instructor's kit and its oracles", SOLUTION_IMPORTS),
    Cheat("skip-cells", "IPython input transformers", "an input transformer turns every later cell into `pass`",
          SKIP_CELLS),
    Cheat("ast-skip", "IPython AST transformers", "an AST transformer empties every later cell", AST_SKIP),
    Cheat("swallow", "exception swallowing", "wraps every later cell in try/except and silences errors", SWALLOW),
    Cheat("patch-numpy", "monkeypatching numpy by attribute", "np.allclose and friends accept anything",
          PATCH_NUMPY, base="mutant"),
    Cheat("patch-dict", "monkeypatching numpy by __dict__", "replaces comparisons through module __dict__s",
          PATCH_DICT, base="mutant"),
    Cheat("patch-modules", "monkeypatching by sys.modules", "replaces the course's checks in sys.modules",
          PATCH_MODULES),
    Cheat("patch-kit", "monkeypatching the kit / forged recordings",
          "makes the checks record the expected values and every property true", PATCH_KIT, base="mutant"),
    Cheat("forge", "forged recordings", "emits records of its own and writes into the audit log", FORGE,
          base="mutant"),
    Cheat("read-tests", "reading files", "looks for hidden tests on disk and in the kernel's input history",
          READ_TESTS),
]


def base_mutant(course: Course, assignment: str) -> catalogue.Entry:
    """The mutant cheats build on: the assignment's first core-tier mutant."""
    return next(e for e in catalogue.load_entries(course, assignment, "core") if e.kind == "mutant")


def submission(cheat: Cheat, course: Course, assignment: str) -> nbformat.NotebookNode:
    release, source = course.release_notebook(assignment), course.source_notebook(assignment)
    if cheat.base == "mutant":
        notebook = synthesise_files(release, source, base_mutant(course, assignment).changes)
    else:
        notebook = synthesise_files(release, source, fill=False)
    index = next((i for i, c in enumerate(notebook.cells) if notebooks.grade_id(c) == "imports"), 0)
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(cheat.code))
    return notebook


def submissions(course: Course, assignment: str) -> dict[str, nbformat.NotebookNode]:
    return {c.student: submission(c, course, assignment) for c in CHEATS}
