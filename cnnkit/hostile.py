"""Hostile submissions: what the sandbox must contain, one behaviour each.

Each case is assignment 1's reference solution plus one cell of hostile code
(inserted after the imports, or after a given cell). Graded between honest
submissions, every case must leave the honest students' scores, the course
folder, the virtual environment, the grader's home folder and the process table
exactly as they were, and get its own clear status. Attacks that would only
show by success print a marker (``LEAKED``, ``WROTE``, ``CONNECTED``, ...) that
the tests look for in the graded notebook.

``{course}``, ``{home}``, ``{venv}``, ``{site}``, ``{kit}``, ``{port}`` and ``{secret}`` in a
case's code are filled in with the real paths and values of the grading run, so
the code knows exactly where the things it must not reach are.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import nbformat

from cnnkit import notebooks
from cnnkit.course import Course
from cnnkit.submissions import synthesise_files

ASSIGNMENT = "01_numpy_cnn"
FULL = 29.0
MARKER = "cnnkit-hostile-process"
SECRET_ENV = "JUPYTERHUB_API_TOKEN"


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    code: str
    score: float = FULL                  # its exact total
    findings: frozenset[str] = frozenset()  # integrity categories its report must contain
    note: str = ""                       # a phrase its notes or error must contain
    after: str = "imports"               # grade id of the cell the hostile cell follows
    slow: bool = False                   # graded with short time limits (cnnkit.hostile.TIME_LIMITS)

    @property
    def student(self) -> str:
        return f"hostile-{self.name}"


# Short enough that the endless loops cost little, with room for an honest assignment-1 notebook
# (about 12 s in its sandbox when the machine is idle, its slowest cell 5 s) to finish on a loaded one.
TIME_LIMITS = {"cell_seconds": 20, "notebook_seconds": 45}

READ = '''import glob, os
targets = ["{course}/gradebook.db", "{course}/source/01_numpy_cnn/numpy_cnn.ipynb",
           "{course}/source/01_numpy_cnn/instructor/catalogue.py", "{course}/nbgrader_config.py",
           "../../../gradebook.db", "{home}/.bash_history", "{kit}/oracles.py"]
targets += glob.glob("{course}/submitted/*/01_numpy_cnn/*.ipynb") + glob.glob("{course}/autograded/*/*/*.ipynb")
for path in targets:
    try:
        with open(path, "rb") as handle:
            handle.read(16)
        print("LEAKED", path)
    except OSError as error:
        print("denied", path, type(error).__name__)
for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            print("LEAKED environment" if b"{secret}" in handle.read() else "denied: no secret in", pid)
    except OSError as error:
        print("denied environment of", pid, type(error).__name__)
for name in ("{course}", "{course}/submitted", "{home}", os.path.dirname("{venv}"), "/root"):
    try:
        print("LEAKED listing", name, os.listdir(name)[:3])
    except OSError as error:
        print("denied listing", name, type(error).__name__)
'''

WRITE = '''import glob, os, sqlite3
def attempt(what, action):
    try:
        action()
        print("WROTE", what)
    except Exception as error:
        print("denied", what, type(error).__name__)
def write(path, text="print('owned')\\n"):
    with open(path, "a") as handle:
        handle.write(text)
def grades():
    db = sqlite3.connect("{course}/gradebook.db")
    db.execute("update grade set auto_score = 0")
    db.commit()
attempt("gradebook", grades)
attempt("source notebook", lambda: write("{course}/source/01_numpy_cnn/numpy_cnn.ipynb", "x"))
for path in glob.glob("{course}/submitted/honest-*/01_numpy_cnn/numpy_cnn.ipynb") or ["{course}/submitted/honest-a/01_numpy_cnn/numpy_cnn.ipynb"]:
    attempt("delete " + path, lambda: os.remove(path))
attempt("the kit", lambda: write("{kit}/__init__.py"))
site = "{site}"
attempt("sitecustomize", lambda: write(site + "/sitecustomize.py"))
attempt(".pth file", lambda: write(site + "/zz-owned.pth", "import os\\n"))
attempt("the runtime", lambda: write(site + "/cnncourse/checks.py"))
attempt("startup file", lambda: write("{home}/.ipython/profile_default/startup/00-owned.py"))
attempt("venv bin", lambda: write("{venv}/bin/owned"))
'''

DETACHED = '''import os, subprocess, sys, time
code = "import time; time.sleep(300)  # {marker}"
subprocess.Popen([sys.executable, "-c", code, "{marker}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(5)
        try:
            open("{course}/gradebook.db", "ab").write(b"owned")
        finally:
            os._exit(0)
    os._exit(0)
print("started detached processes")
'''

KILL_GRADER = '''import os, signal
os.kill(os.getppid(), signal.SIGKILL)
'''

MEMORY = '''import numpy as np
try:
    hoard = np.ones(3 * 2**30)  # 24 GB
    print("ALLOCATED", hoard.nbytes)
except MemoryError as error:
    print("refused:", error)
try:
    blocks = [bytearray(2**30) for _ in range(20)]
    print("ALLOCATED", len(blocks), "GB")
except MemoryError:
    print("refused: bytearrays")
blocks = None
'''

PROCESSES = '''import subprocess, sys
children = []
try:
    for _ in range(2000):
        children.append(subprocess.Popen(["sleep", "300"]))
except OSError as error:
    print("refused after", len(children), "processes:", type(error).__name__)
print("started", len(children))
'''

DISK = '''import os
try:
    with open("filler.bin", "wb") as handle:
        for _ in range(2048):
            handle.write(b"x" * 2**20)
    print("WROTE 2 GB")
except OSError as error:
    print("refused:", error)
finally:
    if os.path.exists("filler.bin"):
        os.remove("filler.bin")
'''

OUTPUT = '''line = "spam " * 200 + "\\n"
for _ in range(40_000):
    print(line, end="")
'''

NETWORK = '''import socket
for host, port in (("127.0.0.1", {port}), ("localhost", {port}), ("192.0.2.1", 80), ("example.com", 443)):
    try:
        socket.create_connection((host, port), timeout=3).close()
        print("CONNECTED", host, port)
    except OSError as error:
        print("no connection to", host, port, type(error).__name__)
'''

ENVIRONMENT = '''import os
print(dict(os.environ))
print(open("/proc/self/environ", "rb").read())
'''

DUPLICATE_ID = None  # built by copying a solution cell, see _duplicate_id

HANG = '''while True:
    pass
'''

CASES = [
    Case("read", "reads the gradebook, the source notebook and catalogue, other submissions, the kit and the "
         "instructor's home", READ, findings=frozenset({"files"})),
    Case("write", "writes the gradebook, the source, other submissions, the kit, site-packages, a .pth file, "
         "the runtime and an IPython startup file", WRITE, findings=frozenset({"files"})),
    Case("detached", "starts processes in new sessions that outlive the kernel and try to write after grading",
         DETACHED, findings=frozenset({"processes"})),
    Case("kill-grader", "kills the process that runs its notebook, right after the add_padding tests",
         KILL_GRADER, score=3.0, note="ended early", after="add_padding_hidden", findings=frozenset({"signals"})),
    Case("memory", "allocates 24 GB", MEMORY),
    Case("processes", "starts processes until none can be started", PROCESSES, findings=frozenset({"processes"})),
    Case("disk", "writes a 2 GB file", DISK),
    Case("output", "prints 40 MB", OUTPUT),
    Case("network", "connects to a service on the grader's loopback and to the internet", NETWORK,
         findings=frozenset({"network"})),
    Case("environment", "prints its environment, looking for tokens", ENVIRONMENT),
    Case("duplicate-id", "a solution cell pasted twice (same grade id)", "", note="appears 2 times"),
    Case("hang", "every cell it may edit loops forever", HANG, score=0.0, note="time limit", slow=True),
]


def submission(case: Case, course: Course, values: dict[str, str]) -> nbformat.NotebookNode:
    """The reference submission with the hostile cell of ``case`` (placeholders filled from ``values``)."""
    notebook = synthesise_files(course.release_notebook(ASSIGNMENT), course.source_notebook(ASSIGNMENT))
    if case.name == "duplicate-id":
        return _duplicate_id(notebook)
    if case.name == "hang":
        for cell in notebook.cells:
            if notebooks.is_solution(cell):
                cell.source = HANG
    code = case.code
    for key, value in values.items():
        code = code.replace("{" + key + "}", value)
    index = next(i for i, c in enumerate(notebook.cells) if notebooks.grade_id(c) == case.after)
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return notebook


def _duplicate_id(notebook):
    index = next(i for i, c in enumerate(notebook.cells) if notebooks.grade_id(c) == "convolve")
    notebook.cells.insert(index + 1, copy.deepcopy(notebook.cells[index]))
    return notebook
