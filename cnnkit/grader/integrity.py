"""The integrity report: what a submission did that a fair solution does not need.

Two independent looks, both outside the student's process:

* a **static scan** of every cell the student could edit (solution cells and
  ordinary code cells; test and read-only cells come from the gradebook);
* the **run**: the sandboxed kernel's audit hook reports imports, file access
  outside the usual places, processes, sockets, ctypes, gc, frame tricks, dynamic
  code and patched library classes, attributed to the cell whose code did it.

What is found falls into three kinds:

* **tampering** (whole notebook scores 0, the report says why; an instructor can
  regrade by hand in formgrader): changing the grading machinery (the
  ``cnncourse`` checks and recorder, how IPython runs or displays cells,
  ``sys.modules``, the audit log), patching library objects the tests rely on
  (numpy, torch, ...), or the means to do so unseen (``exec``/``eval``/
  ``compile``/``__import__``, ``importlib``, ``builtins``, ``ctypes``, ``gc``'s
  object graph, frames and code objects, tracing and audit hooks). A fair
  solution of these assignments never needs any of them, and they could forge
  what the tests record;
* a **rule violation** (the tests of one solution cell score 0): a library the
  assignment forbids used in that cell (see :mod:`cnnkit.grader.rules`);
* a **flag** (no effect on the grade, listed for the instructor): processes,
  signals, sockets, files outside the notebook's folder, threads, IPython magics
  and kernel internals, ``globals()``/``vars()``, ``inspect``.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from cnnkit import notebooks
from cnnkit.grader.rules import Rules
from cnnkit.grader.sandbox import DATA, HOME, TORCH_HOME

FUNCTION = "function"   # a violation that costs the tests of one solution cell
NOTEBOOK = "notebook"   # a violation that costs the whole notebook
TAMPERING = "tampering"

# Module roots whose attributes tests and recorders rely on; assigning into them is patching.
LIBRARIES = {"numpy", "torch", "torchvision", "matplotlib", "IPython", "ipykernel", "builtins", "sys", "os", "math",
             "random", "time", "cnncourse", "PIL", "tqdm", "functools", "inspect", "types", "json", "io"}
# Configuration a fair solution may set on those libraries.
SETTINGS = {"rcParams", "environ", "backends", "defaults", "printoptions"}
# Using these attributes at all changes how cells run or show their results.
MACHINERY = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "set_custom_exc",
             "display_pub", "display_formatter", "displayhook_class", "_showtraceback", "showtraceback",
             "user_ns", "user_global_ns", "excepthook", "displayhook"}
# Means of acting unseen.
EVASION_NAMES = {"exec": "runs code from a string", "eval": "runs code from a string",
                 "compile": "compiles code from a string", "__import__": "imports by name",
                 "__builtins__": "reaches the builtins"}
EVASION_ATTRIBUTES = {"_getframe", "currentframe", "f_back", "f_globals", "f_locals", "f_builtins", "f_code",
                      "tb_frame", "gi_frame", "cr_frame", "__globals__", "__code__", "co_code", "__closure__",
                      "cell_contents", "settrace", "setprofile", "addaudithook", "get_objects", "get_referrers",
                      "get_referents", "__subclasses__", "__bases__", "__mro__", "__setattr__", "__delattr__"}
EVASION_MODULES = {"importlib", "builtins", "ctypes", "_ctypes", "cffi", "marshal", "code", "codeop", "dis", "_thread",
                   "sysconfig", "site", "cnnkit", "oracles"}
FLAGGED_MODULES = {
    "subprocess": "processes", "multiprocessing": "processes", "pty": "processes", "signal": "signals",
    "socket": "network", "urllib": "network", "http": "network", "requests": "network", "ssl": "network",
    "threading": "threads", "atexit": "exit hooks", "inspect": "introspection", "resource": "limits",
    "ipykernel": "kernel internals", "jupyter_client": "kernel internals", "zmq": "kernel internals",
    "nbformat": "kernel internals", "nbclient": "kernel internals", "nbgrader": "kernel internals",
    "IPython": "kernel internals", "shutil": "files", "gc": "memory management", "pickle": "serialization",
    "dill": "serialization",
}
DISPLAY_NAMES = {"display", "HTML", "Image", "clear_output", "Markdown", "Math", "Latex"}
FLAGGED_NAMES = {"get_ipython": "kernel internals", "In": "kernel internals", "Out": "kernel internals",
                 "_ih": "kernel internals", "_oh": "kernel internals", "_i": "kernel internals",
                 "_ii": "kernel internals", "_iii": "kernel internals", "_dh": "kernel internals",
                 "__IPYTHON__": "kernel internals", "globals": "namespace access", "vars": "namespace access"}
QUALIFIED = {("os", "_exit"): "processes", ("os", "system"): "processes", ("os", "fork"): "processes",
             ("os", "kill"): "signals", ("os", "killpg"): "signals", ("os", "execv"): "processes",
             ("os", "execve"): "processes", ("os", "popen"): "processes", ("os", "spawnv"): "processes",
             ("os", "setsid"): "processes", ("os", "remove"): "files", ("os", "unlink"): "files",
             ("os", "chmod"): "files", ("os", "listdir"): "files", ("os", "scandir"): "files",
             ("os", "walk"): "files", ("sys", "modules"): "kernel internals"}
PATH_WORDS = re.compile(r"(^/(?!tmp/)|^~|\.\./|gradebook|submitted/|autograded/|source/|\.ssh|\.jupyter|\.ipython)")
RUN_FLAGS = {
    "os.system": "processes", "os.exec": "processes", "os.posix_spawn": "processes", "os.fork": "processes",
    "os.forkpty": "processes", "subprocess.Popen": "processes", "os.kill": "signals", "os.killpg": "signals",
    "signal.pthread_kill": "signals", "socket.connect": "network", "socket.bind": "network",
    "socket.sendto": "network", "socket.getaddrinfo": "network", "os.remove": "files", "os.rename": "files",
    "os.rmdir": "files", "os.chmod": "files", "os.symlink": "files", "os.link": "files", "os.truncate": "files",
    "shutil.rmtree": "files", "os.listdir": "files", "os.scandir": "files", "os.chdir": "files",
}
RUN_EVASION = {
    "exec": "ran code from a string", "compile": "compiled code from a string", "code.__new__": "built a code object",
    "function.__new__": "built a function object", "marshal.loads": "loaded marshalled code",
    "ctypes.dlopen": "used ctypes", "ctypes.dlsym": "used ctypes", "ctypes.addressof": "used ctypes",
    "ctypes.cdata": "used ctypes", "ctypes.string_at": "used ctypes", "ctypes.call_function": "used ctypes",
    "gc.get_objects": "searched the object graph", "gc.get_referrers": "searched the object graph",
    "gc.get_referents": "searched the object graph", "sys._getframe": "read interpreter frames",
    "sys._current_frames": "read interpreter frames", "sys.settrace": "installed a tracer",
    "sys.setprofile": "installed a profiler", "sys.addaudithook": "installed an audit hook",
}


@dataclass(frozen=True)
class Finding:
    cell: str          # grade id, or "cell <n>" for an ordinary cell
    category: str
    detail: str
    seen_by: str       # "scan" or "run"
    violation: str = ""  # "", FUNCTION or NOTEBOOK

    def line(self) -> str:
        kind = {FUNCTION: "RULE", NOTEBOOK: "TAMPERING"}.get(self.violation, self.category)
        return f"{self.cell}: {kind}: {self.detail} ({self.seen_by})"


def student_cells(notebook) -> list[tuple[int, str, str]]:
    """(index, name, source) of every code cell a student may edit."""
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or notebooks.is_test(cell) or notebooks.meta(cell).get("locked"):
            continue
        name = notebooks.grade_id(cell) or f"cell {index}"
        found.append((index, name, cell.source))
    return found


# ------------------------------------------------------------------ static scan


def scan(notebook, rules: Rules) -> list[Finding]:
    """Findings of the static scan of the student's cells."""
    cells = student_cells(notebook)
    solutions = set(notebooks.solution_ids(notebook))
    forbidden = _bindings(notebook.cells, lambda module: rules.forbids(module))
    modules = _bindings(notebook.cells, lambda module: module.split(".")[0] in LIBRARIES)
    shells = _shell_bindings(source for _, _, source in cells)
    findings: list[Finding] = []
    for _, name, source in cells:
        scanner = _Scanner(name, rules, name in solutions, forbidden if name in solutions else {}, modules, shells)
        findings += scanner.scan(source)
    return _unique(findings)


def _python(source: str) -> str:
    """The cell as Python: IPython magics and shell escapes become ``pass``."""
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


class _Scanner:
    def __init__(self, cell, rules: Rules, solution: bool, forbidden: dict, modules: dict, shells: set):
        self.cell, self.rules, self.solution = cell, rules, solution
        self.forbidden, self.modules, self.shells = forbidden, modules, shells
        self.findings: list[Finding] = []
        self.continuations: set[int] = set()  # f-string text after a placeholder: "{epoch}/{epochs}" names no path

    def flag(self, category, detail, violation=""):
        self.findings.append(Finding(self.cell, category, detail, "scan", violation))

    def tamper(self, detail):
        self.flag(TAMPERING, detail, NOTEBOOK)

    def scan(self, source: str) -> list[Finding]:
        if any(line.lstrip().startswith(("%", "!")) for line in source.split("\n")):
            self.flag("kernel internals", "IPython magic or shell command (% or !)")
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            return self.findings
        local = _stored_names(tree)
        self.forbidden = {k: v for k, v in self.forbidden.items() if k not in local}
        self.modules = {k: v for k, v in self.modules.items() if k not in local or k in _imported_names(tree)}
        for node in ast.walk(tree):
            self.visit(node)
        return self.findings

    def visit(self, node) -> None:
        if isinstance(node, ast.JoinedStr):
            self.continuations.update(id(part) for part in node.values[1:])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self.imports(node)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            if node.id in EVASION_NAMES:
                self.tamper(f"uses {node.id} ({EVASION_NAMES[node.id]})")
            elif node.id in FLAGGED_NAMES:
                self.flag(FLAGGED_NAMES[node.id], f"uses {node.id}")
            if node.id in self.forbidden:
                self.flag("forbidden library", f"uses {node.id} ({self.forbidden[node.id]}): {self.rules.message}",
                          FUNCTION)
        elif isinstance(node, ast.Attribute):
            self.attribute(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args:
            self.changes(node.args[0], node.func.id, whole=True)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register" \
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "events":
            self.tamper("registers an IPython event callback (how cells run)")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete, ast.AnnAssign)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)):
                    self.changes(target, "deletes" if isinstance(node, ast.Delete) else "assigns to")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 300 \
                and "\n" not in node.value and id(node) not in self.continuations and PATH_WORDS.search(node.value):
            self.flag("files", f"names a path outside the notebook: {node.value[:80]!r}")

    def imports(self, node) -> None:
        modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        for module in modules:
            root = module.split(".")[0]
            if self.solution and self.rules.forbids(module):
                self.flag("forbidden library", f"imports {module}: {self.rules.message}", FUNCTION)
            if root in EVASION_MODULES:
                self.tamper(f"imports {module}")
            elif root == "IPython" and isinstance(node, ast.ImportFrom) and (
                    module == "IPython.display" or {a.name for a in node.names} <= DISPLAY_NAMES):
                continue
            elif root in FLAGGED_MODULES:
                self.flag(FLAGGED_MODULES[root], f"imports {module}")
            if isinstance(node, ast.ImportFrom) and root in ("sys", "os") and any(
                    a.name in ("modules", "_getframe", "settrace", "setprofile", "addaudithook") for a in node.names):
                self.tamper(f"imports internals from {module}")

    def attribute(self, node: ast.Attribute) -> None:
        base = node.value.id if isinstance(node.value, ast.Name) else None
        if node.attr in MACHINERY:
            self.tamper(f"uses .{node.attr} (how cells run or show their results)")
        elif node.attr in EVASION_ATTRIBUTES:
            self.tamper(f"uses .{node.attr} (frames, code objects, tracing or the object graph)")
        elif base in self.modules and self.modules[base].split(".")[0] in ("sys",) and node.attr == "modules":
            self.tamper("uses sys.modules (the table of loaded modules)")
        elif (self._module_of(base), node.attr) in QUALIFIED:
            self.flag(QUALIFIED[(self._module_of(base), node.attr)], f"uses {base}.{node.attr}")
        if base in self.forbidden:
            return
        if self.solution and self.rules.forbids_call(self.cell, node.attr):
            self.flag("forbidden function", f"uses .{node.attr}: {self.rules.call_message(self.cell)}", FUNCTION)

    def _module_of(self, name) -> str | None:
        return self.modules.get(name, "").split(".")[0] or None

    def changes(self, target, what: str, whole: bool = False) -> None:
        """An assignment, deletion, setattr or delattr whose target is ``target``."""
        root = _root_name(target)
        text = ast.unparse(target)[:80]
        module = self._module_of(root)
        if root in self.shells or (isinstance(target, ast.Attribute) and target.attr in MACHINERY):
            self.tamper(f"{what} {text} (how cells run or show their results)")
        elif module == "cnncourse":
            self.tamper(f"{what} {text} (the course's checks and recorder)")
        elif module and (whole or target is not None and not _is_bare(target)):
            if module == "sys" and "modules" in text:
                self.tamper(f"{what} {text} (the table of loaded modules)")
            elif not any(part in SETTINGS for part in _parts(target)):
                self.tamper(f"{what} {text} (a library the tests rely on)")


def _is_bare(node) -> bool:
    return isinstance(node, ast.Name)


def _parts(node) -> set[str]:
    parts = set()
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            parts.add(node.attr)
        node = node.value
    return parts


def _root_name(node) -> str | None:
    """The name an expression starts from (``vars(np)[...]`` and ``getattr(np, ...)`` start from ``np``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        if isinstance(node, ast.Call):
            through = isinstance(node.func, ast.Name) and node.func.id in ("vars", "getattr") and node.args
            node = node.args[0] if through else node.func
        else:
            node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _bindings(cells, wanted) -> dict[str, str]:
    """Names bound by imports anywhere in the notebook to modules (or their members) ``wanted`` accepts."""
    names = {}
    for cell in cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if wanted(alias.name):
                        names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                            alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and wanted(node.module):
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _shell_bindings(sources) -> set[str]:
    """``get_ipython`` and names bound to the IPython shell (``ip = get_ipython()``)."""
    names = {"get_ipython"}
    for source in sources:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _root_name(node.value) == "get_ipython":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _imported_names(tree) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {alias.asname or alias.name.split(".")[0] for alias in node.names}
    return names


def _stored_names(tree) -> set[str]:
    """Names a cell binds itself (assignments, arguments, loop variables, definitions, imports)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
    return names | _imported_names(tree)


# ------------------------------------------------------------------ the run


def cell_files(notebook) -> dict[str, int]:
    """The file name ipykernel gives each cell's code (a hash of its source) -> cell index."""
    from ipykernel.compiler import get_tmp_hash_seed, murmur2_x86

    return {f"{murmur2_x86(cell.source, get_tmp_hash_seed())}.py": index
            for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"}


def from_run(notebook, audit: list[str], rules: Rules, assignment: str) -> list[Finding]:
    """Findings from the kernel's audit lines, attributed to the student's cells."""
    files = cell_files(notebook)
    editable = {index: name for index, name, _ in student_cells(notebook)}
    solutions = set(notebooks.solution_ids(notebook))
    findings, numbers = [], {}
    for line in audit:
        try:
            event = json.loads(line)
            numbers.setdefault(int(event.get("pid", 0)), []).append(int(event["n"]))
            actor, name, detail = str(event["actor"]), str(event["event"]), [str(d) for d in event["detail"]]
        except (ValueError, KeyError, TypeError):
            findings.append(Finding("notebook", TAMPERING, "a malformed line in the grader's audit log "
                                    "(written by notebook code)", "run", NOTEBOOK))
            continue
        if actor.startswith("cell:"):
            index = files.get(actor[5:])
            if index is None:
                cell = "code run by exec"
            elif index in editable:
                cell = editable[index]
            else:
                continue
        else:
            cell = "code outside the notebook's cells"
        finding = _judge_event(cell, name, detail, rules, cell in solutions)
        if finding:
            findings.append(finding)
    if any(sorted(n) != list(range(min(n), max(n) + 1)) for n in numbers.values()) or (
            numbers and min(min(n) for n in numbers.values()) != 1):
        findings.append(Finding("notebook", TAMPERING, "lines of the grader's audit log are missing or repeated "
                                "(read or written by notebook code)", "run", NOTEBOOK))
    return _unique(findings)


def _judge_event(cell, event, detail, rules: Rules, solution: bool) -> Finding | None:
    if event == "import":
        module = detail[0]
        root = module.split(".")[0]
        if solution and rules.forbids(module):
            return Finding(cell, "forbidden library", f"imported {module} while running: {rules.message}", "run",
                           FUNCTION)
        if root in EVASION_MODULES:
            return Finding(cell, TAMPERING, f"imported {module}", "run", NOTEBOOK)
        if root in FLAGGED_MODULES and root != "IPython":
            return Finding(cell, FLAGGED_MODULES[root], f"imported {module}", "run")
        return None
    if event == "open":
        return None if _allowed_path(detail[0]) else Finding(cell, "files", f"opened {detail[0]} ({detail[1]})", "run")
    if event in ("object.__setattr__", "object.__delattr__"):
        owner = detail[0].split(".")[0]
        if owner in LIBRARIES:
            return Finding(cell, TAMPERING, f"changed the class {detail[0]}.{detail[1]} ({detail[2]})", "run", NOTEBOOK)
        return None
    if event in RUN_EVASION:
        return Finding(cell, TAMPERING, f"{RUN_EVASION[event]} ({event})", "run", NOTEBOOK)
    if event in ("os.listdir", "os.scandir", "os.chdir"):
        path = detail[0].strip("'\"b") if detail else ""
        if path in ("", ".", "None") or _allowed_path(path):
            return None
    category = RUN_FLAGS.get(event)
    return Finding(cell, category, f"{event} {' '.join(detail)[:120]}", "run") if category else None


def _allowed_path(path: str) -> bool:
    if not path.startswith("/"):
        return ".." not in path.split("/")
    private = (f"{HOME}/.ipython", f"{HOME}/.cnnkit-audit", f"{HOME}/.jupyter", f"{HOME}/.local/share/jupyter")
    if path.startswith(private):
        return False
    return path.startswith((f"{HOME}/", "/tmp/", DATA, TORCH_HOME)) or path in (HOME, "/tmp")


def _unique(findings: list[Finding]) -> list[Finding]:
    seen, kept = set(), []
    for finding in findings:
        key = (finding.cell, finding.category, finding.detail, finding.violation)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
