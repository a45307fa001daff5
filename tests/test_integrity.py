"""The integrity report: static scan and run-time audit lines, with no false alarms on fair code."""
import json

import nbformat
import pytest

from cnnkit import cheats
from cnnkit.course import load
from cnnkit.grader import integrity, rules
from cnnkit.submissions import synthesise_files

COURSE = load()
A1 = "01_numpy_cnn"
RULES = rules.load(COURSE, A1)

FAIR = {
    "prints and plots": "import matplotlib.pyplot as plt\nplt.rcParams['figure.figsize'] = (4, 3)\n"
                        "fig, ax = plt.subplots()\nax.plot([1, 2])\nprint('done')",
    "helpers and classes": "def helper(x):\n    return x * 2\n\nclass Net:\n    def __init__(self):\n"
                           "        self.events = []\n        setattr(self, 'kernel', 1)\n        self.write = print",
    "progress bars": "from tqdm.auto import tqdm\nfor i in tqdm(range(3)):\n    pass",
    "torch settings": "import torch\ntorch.manual_seed(0)\ntorch.backends.cudnn.deterministic = True\n"
                      "import os\nos.environ['PYTHONHASHSEED'] = '0'",
    "a local F": "def shape_of(x):\n    B, h, w, F = x.shape\n    return F",
    "progress text": "for epoch in range(1, 4):\n    print(f'epoch {epoch}/{3}', f'{epoch}/data')",
    "display": "from IPython.display import display, clear_output\ndisplay('x')\nclear_output()",
}


def notebook(*sources, solution=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    if solution is not None:
        nb.cells[solution].metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "convolve",
                                                   "locked": False, "schema_version": 3}
    return nb


@pytest.mark.parametrize("name", list(FAIR))
def test_ordinary_code_raises_no_alarm(name):
    assert integrity.scan(notebook("import numpy as np\nimport torch.nn.functional as F", FAIR[name]), RULES) == []


def test_a_path_outside_the_notebook_is_flagged():
    found = integrity.scan(notebook("text = open('/etc/passwd').read()", "print(f'/root/{1}')"), RULES)
    assert [f.category for f in found] == ["files", "files"]


def test_reference_solutions_and_alternatives_raise_no_alarm():
    from cnnkit import catalogue

    for assignment in COURSE.built():
        release, source = COURSE.release_notebook(assignment), COURSE.source_notebook(assignment)
        entry_rules = rules.load(COURSE, assignment)
        fair = [synthesise_files(release, source)] + [
            synthesise_files(release, source, e.changes) for e in catalogue.load_entries(COURSE, assignment)
            if e.kind == "alternative"]
        for nb in fair:
            assert integrity.scan(nb, entry_rules) == [], assignment


@pytest.mark.parametrize("cheat", cheats.CHEATS, ids=[c.name for c in cheats.CHEATS])
def test_every_cheat_is_seen_by_the_scan_or_the_run(cheat):
    found = integrity.scan(notebook("import numpy as np", cheat.code), RULES)
    if cheat.name == "forge":
        assert any(f.category == "files" for f in found)  # the rest shows in the audit log (see the run tests)
    else:
        assert found, cheat.name


@pytest.mark.parametrize("code", [cheats.SKIP_CELLS, cheats.AST_SKIP, cheats.SWALLOW, cheats.PATCH_NUMPY,
                                  cheats.PATCH_DICT, cheats.PATCH_MODULES, cheats.PATCH_KIT,
                                  "m = __import__('cnncourse.checks', fromlist=['x'])\nsetattr(m, 'check_close', print)",
                                  "import ctypes", "import gc\ngc.get_objects()", "import sys\nf = sys._getframe(1)"])
def test_tampering_costs_the_whole_notebook(code):
    found = integrity.scan(notebook("import numpy as np", code), RULES)
    assert any(f.violation == integrity.NOTEBOOK for f in found), found


def test_a_forbidden_library_in_a_solution_costs_that_function_only():
    solution = "def convolve(kernels, images, stride):\n    return F.conv2d(images, kernels)"
    found = integrity.scan(notebook("import torch.nn.functional as F", solution, solution=1), RULES)
    assert [(f.cell, f.violation) for f in found] == [("convolve", integrity.FUNCTION)]
    assert integrity.scan(notebook("import torch.nn.functional as F", solution), RULES) == [], \
        "an ordinary cell (Part 5's illustration) may use PyTorch"


def audit(*events):
    return [json.dumps({"n": n, **e}) for n, e in enumerate(events, start=1)]


def test_run_time_events_are_attributed_to_the_students_cells():
    nb = notebook("import numpy as np", "x = 1", "y = 2")
    nb.cells[2].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "t_hidden", "points": 1,
                                        "locked": True, "schema_version": 3}
    files = {index: name for name, index in integrity.cell_files(nb).items()}
    lines = audit(
        {"event": "open", "actor": f"cell:{files[1]}", "cells": [], "detail": ["/root/secret", "r"]},
        {"event": "open", "actor": f"cell:{files[1]}", "cells": [], "detail": ["/home/student/01_numpy_cnn/x", "w"]},
        {"event": "exec", "actor": f"cell:{files[1]}", "cells": [], "detail": ["<code>"]},
        {"event": "import", "actor": f"cell:{files[2]}", "cells": [], "detail": ["ctypes"]},  # a test cell's own
    )
    found = integrity.from_run(nb, lines, RULES, A1)
    assert [(f.cell, f.category, f.violation) for f in found] == [
        ("cell 1", "files", ""), ("cell 1", integrity.TAMPERING, integrity.NOTEBOOK)]


@pytest.mark.parametrize("lines", [["not json"], audit({"event": "open", "actor": "cell:1.py", "cells": [],
                                                         "detail": ["/tmp/x", "r"]})[:0] + [
    json.dumps({"n": 2, "event": "import", "actor": "cell:1.py", "cells": [], "detail": ["numpy"]})]])
def test_a_tampered_audit_log_is_tampering(lines):
    found = integrity.from_run(notebook("x = 1"), lines, RULES, A1)
    assert any(f.violation == integrity.NOTEBOOK for f in found)
