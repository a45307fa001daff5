"""The integrity report: what a submission did that a fair solution does not need.

Two independent looks, both outside the student's process:

* a **static scan** of every cell the student could edit (solution cells and
  ordinary code cells; test and read-only cells come from the gradebook): kernel
  and IPython internals, patching library objects, ``sys.modules``, frames and
  tracing, ctypes and gc, dynamic code, processes, signals, sockets, files
  outside the notebook's folder, and libraries the assignment's rules forbid;
* the **run**: the sandboxed kernel's audit hook reports imports, file access
  outside the usual places, processes, sockets, ctypes, gc, frame tricks and
  patched library classes, attributed to the cell whose code did it.

Findings are *flags* for an instructor to look at, except two kinds of
*violations*. A forbidden library used in a solution cell breaks the rules the
notebook states: the tests of that function score 0 (see
:mod:`cnnkit.grader.rules`). Changing the grading machinery itself (the
``cnncourse`` checks and recorder, how IPython runs or displays cells,
``sys.modules``, the audit log) is never part of a fair solution and could
forge what the tests record: the whole notebook scores 0.
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

from cnnkit import notebooks
from cnnkit.grader.rules import Rules
from cnnkit.grader.sandbox import DATA, HOME, TORCH_HOME

INTERNAL_NAMES = {
    "get_ipython": "kernel internals", "In": "kernel internals", "Out": "kernel internals",
    "_ih": "kernel internals", "_oh": "kernel internals", "_i": "kernel internals", "_ii": "kernel internals",
    "_iii": "kernel internals", "_dh": "kernel internals", "__IPYTHON__": "kernel internals",
    "__builtins__": "builtins", "__import__": "dynamic code", "exec": "dynamic code", "eval": "dynamic code",
    "compile": "dynamic code", "globals": "namespace access", "vars": "namespace access",
}
# Attributes that are internals whatever they belong to.
INTERNAL_ATTRIBUTES = {
    "_getframe": "frames", "settrace": "tracing", "setprofile": "tracing", "currentframe": "frames",
    "f_back": "frames", "f_globals": "frames", "f_locals": "frames", "f_builtins": "frames", "tb_frame": "frames",
    "gi_frame": "frames", "__globals__": "frames", "__code__": "code objects", "co_code": "code objects",
    "__closure__": "code objects", "cell_contents": "code objects", "__bases__": "patching",
    "__subclasses__": "patching", "__setattr__": "patching", "__builtins__": "builtins",
    "input_transformers_cleanup": "kernel internals", "input_transformers_post": "kernel internals",
    "ast_transformers": "kernel internals", "set_custom_exc": "kernel internals", "showtraceback": "kernel internals",
    "excepthook": "kernel internals", "user_ns": "kernel internals", "display_pub": "kernel internals",
    "get_objects": "gc", "get_referrers": "gc", "get_referents": "gc", "addaudithook": "audit hooks",
}
# Attributes that are internals on these modules only (``os.system`` yes, ``np.stack`` no).
QUALIFIED_ATTRIBUTES = {
    ("sys", "modules"): "sys.modules", ("inspect", "stack"): "frames", ("importlib", "reload"): "sys.modules",
    ("importlib", "import_module"): "sys.modules", ("os", "_exit"): "processes", ("os", "system"): "processes",
    ("os", "fork"): "processes", ("os", "kill"): "processes", ("os", "killpg"): "processes",
    ("os", "execv"): "processes", ("os", "execve"): "processes", ("os", "popen"): "processes",
    ("os", "spawnv"): "processes", ("os", "setsid"): "processes", ("os", "remove"): "files",
    ("os", "unlink"): "files", ("shutil", "rmtree"): "files", ("os", "chmod"): "files",
}
SUSPECT_MODULES = {
    "ctypes": "ctypes", "_ctypes": "ctypes", "cffi": "ctypes", "gc": "gc", "inspect": "frames",
    "importlib": "sys.modules", "builtins": "builtins", "IPython": "kernel internals",
    "ipykernel": "kernel internals", "jupyter_client": "kernel internals", "zmq": "kernel internals",
    "nbformat": "kernel internals", "nbclient": "kernel internals", "nbgrader": "kernel internals",
    "subprocess": "processes", "multiprocessing": "processes", "signal": "signals", "pty": "processes",
    "socket": "network", "urllib": "network", "http": "network", "requests": "network", "ssl": "network",
    "threading": "threads", "_thread": "threads", "atexit": "exit hooks", "code": "dynamic code",
    "codeop": "dynamic code", "marshal": "code objects", "dis": "code objects", "types": "code objects",
    "resource": "limits", "sys": None, "os": None,
}
ALLOWED_DISPLAY = {"IPython.display"}
PATH_WORDS = re.compile(r"(^/|^~|\.\./|gradebook|\.ipynb|submitted|autograded|source/|\.ssh|\.jupyter|\.ipython)")
RUN_CATEGORIES = {
    "exec": "dynamic code", "compile": "dynamic code", "code.__new__": "code objects",
    "function.__new__": "code objects", "marshal.loads": "code objects",
    "os.system": "processes", "os.exec": "processes", "os.posix_spawn": "processes", "os.fork": "processes",
    "os.forkpty": "processes", "subprocess.Popen": "processes", "os.kill": "signals", "os.killpg": "signals",
    "signal.pthread_kill": "signals", "socket.connect": "network", "socket.bind": "network",
    "socket.sendto": "network", "socket.getaddrinfo": "network",
    "ctypes.dlopen": "ctypes", "ctypes.dlsym": "ctypes", "ctypes.addressof": "ctypes", "ctypes.cdata": "ctypes",
    "ctypes.string_at": "ctypes", "ctypes.call_function": "ctypes", "gc.get_objects": "gc",
    "gc.get_referrers": "gc", "gc.get_referents": "gc", "sys._getframe": "frames", "sys._current_frames": "frames",
    "sys.settrace": "tracing", "sys.setprofile": "tracing", "sys.addaudithook": "audit hooks",
    "object.__setattr__": "patching", "object.__delattr__": "patching", "os.remove": "files",
    "os.rename": "files", "os.rmdir": "files", "os.chmod": "files", "os.symlink": "files", "os.link": "files",
    "os.truncate": "files", "shutil.rmtree": "files", "os.listdir": "files", "os.scandir": "files",
    "os.chdir": "files",
}
PATCHED_OWNERS = ("numpy", "torch", "cnncourse", "builtins", "IPython", "ipykernel", "matplotlib")


FUNCTION = "function"   # a violation that costs the tests of one solution cell
NOTEBOOK = "notebook"   # a violation that costs the whole notebook
TAMPERING = "tampering with grading"
# Using these at all changes how cells run or show their results.
MACHINERY = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "set_custom_exc",
             "display_pub", "display_formatter", "displayhook_class"}
# Assigning these on the shell, sys or IPython does.
SHELL_ATTRIBUTES = {"showtraceback", "_showtraceback", "excepthook", "displayhook", "run_cell", "run_cell_async",
                    "events", "audit", "user_ns", "user_global_ns"}
SHELL_ROOTS = {"get_ipython", "sys", "IPython", "ipykernel", "builtins", "__builtins__"}


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
    forbidden_names = _forbidden_bindings(notebook, rules)
    runtime_names = _runtime_bindings(source for _, _, source in cells)
    shell_names = SHELL_ROOTS | _shell_bindings(source for _, _, source in cells)
    findings: list[Finding] = []
    for index, name, source in cells:
        solution = name in set(notebooks.solution_ids(notebook))
        findings += _scan_cell(name, source, rules, forbidden_names if solution else {}, solution, runtime_names,
                               shell_names)
    return _unique(findings)


def _python(source: str) -> str:
    """The cell as Python: IPython magics and shell escapes become flagged comments."""
    lines = []
    for line in source.split("\n"):
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass  # magic" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def _scan_cell(name: str, source: str, rules: Rules, forbidden_names: dict, solution: bool,
               runtime_names: set[str], shell_names: set[str]) -> list[Finding]:
    findings = []

    def flag(category, detail, violation=""):
        findings.append(Finding(name, category, detail, "scan", violation))

    def changes(target, what):
        root = _root_name(target)
        if root == "cnncourse" or root in runtime_names:
            flag(TAMPERING, f"{what} {ast.unparse(target)[:80]} (the course's checks and recorder)", NOTEBOOK)
        elif isinstance(target, ast.Attribute) and (target.attr in MACHINERY or (
                target.attr in SHELL_ATTRIBUTES and root in shell_names)):
            flag(TAMPERING, f"{what} {ast.unparse(target)[:80]} (how cells run or show their results)", NOTEBOOK)
        elif _is_sys_modules(target):
            flag(TAMPERING, f"{what} {ast.unparse(target)[:80]} (the table of loaded modules)", NOTEBOOK)
        elif _rooted_in_module(target, bare=what != "assigns to"):
            flag("patching", f"{what} {ast.unparse(target)[:80]}")

    if any(line.lstrip().startswith(("%", "!")) for line in source.split("\n")):
        flag("kernel internals", "IPython magic or shell command (% or !)")
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return findings
    local = _stored_names(tree)
    forbidden_names = {k: v for k, v in forbidden_names.items() if k not in local}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if solution and rules.forbids(module):
                    flag("forbidden library", f"imports {module}: {rules.message}", FUNCTION)
                category = SUSPECT_MODULES.get(module.split(".")[0])
                if category and module not in ALLOWED_DISPLAY and not (
                        module.split(".")[0] == "IPython" and node_names(node) <= {"display", "HTML", "Image",
                                                                                    "clear_output", "Markdown"}):
                    flag(category, f"imports {module}")
        elif isinstance(node, ast.Name) and node.id in INTERNAL_NAMES and isinstance(node.ctx, ast.Load):
            flag(INTERNAL_NAMES[node.id], f"uses {node.id}")
        elif isinstance(node, ast.Name) and node.id in forbidden_names and isinstance(node.ctx, ast.Load):
            flag("forbidden library", f"uses {node.id} ({forbidden_names[node.id]}): {rules.message}", FUNCTION)
        elif isinstance(node, ast.Attribute):
            base = node.value.id if isinstance(node.value, ast.Name) else None
            if node.attr in MACHINERY:
                flag(TAMPERING, f"uses .{node.attr} (how cells run or show their results)", NOTEBOOK)
            elif node.attr in INTERNAL_ATTRIBUTES:
                flag(INTERNAL_ATTRIBUTES[node.attr], f"uses .{node.attr}")
            elif (base, node.attr) in QUALIFIED_ATTRIBUTES:
                flag(QUALIFIED_ATTRIBUTES[(base, node.attr)], f"uses {base}.{node.attr}")
            if solution and rules.forbids_call(name, node.attr):
                flag("forbidden function", f"uses .{node.attr}: {rules.call_message(name)}", FUNCTION)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr") \
                and node.args:
            changes(node.args[0], node.func.id)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_sys_modules(node.func.value) \
                and node.func.attr in ("update", "pop", "setdefault", "clear", "__setitem__", "__delitem__"):
            changes(node.func.value, f"calls {node.func.attr} on")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "register" \
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "events":
            flag(TAMPERING, "registers an IPython event callback (how cells run)", NOTEBOOK)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete, ast.AnnAssign)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)):
                    changes(target, "deletes" if isinstance(node, ast.Delete) else "assigns to")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and PATH_WORDS.search(node.value) \
                and len(node.value) < 300 and "\n" not in node.value:
            flag("files", f"names a path outside the notebook: {node.value[:80]!r}")
    return findings


def _root_name(node) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_sys_modules(node) -> bool:
    while isinstance(node, ast.Subscript):
        node = node.value
    return isinstance(node, ast.Attribute) and node.attr == "modules" and _root_name(node) == "sys"


def _runtime_bindings(sources) -> set[str]:
    """Names the student's cells bind to the course runtime (``import cnncourse.checks as c`` binds ``c``)."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "cnncourse"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "cnncourse":
                names |= {a.asname or a.name for a in node.names}
    return names


def _shell_bindings(sources) -> set[str]:
    """Names bound to the IPython shell (``ip = get_ipython()``)."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and _root_name(node.value) == "get_ipython":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
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
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def node_names(node) -> set[str]:
    return {a.name for a in node.names}


def _rooted_in_module(target, bare: bool = False) -> bool:
    """``np.allclose = ...``, ``torch.nn.functional.conv2d = ...``, ``cnncourse.checks.x = ...``:
    assignment into something reached from a bare lower-case name (a module), not ``self.x``."""
    node = target
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    if not isinstance(node, ast.Name) or (node is target and not bare):
        return False
    root = node.id
    return root in ("np", "numpy", "torch", "nn", "F", "plt", "sys", "os", "builtins", "cnncourse", "math",
                    "matplotlib", "IPython", "random", "time")


def _forbidden_bindings(notebook, rules: Rules) -> dict[str, str]:
    """Names bound anywhere in the notebook to a module the rules forbid in solutions."""
    names = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(_python(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if rules.forbids(alias.name):
                        names[alias.asname or alias.name.split(".")[0]] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and rules.forbids(node.module):
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


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
    findings, numbers = [], []
    for line in audit:
        try:
            event = json.loads(line)
            numbers.append(int(event["n"]))
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
            cell = "dynamic code"
        finding = _judge_event(cell, name, detail, rules, cell in solutions, assignment)
        if finding:
            findings.append(finding)
    if numbers and sorted(numbers) != list(range(1, max(numbers) + 1)):
        findings.append(Finding("notebook", TAMPERING, "lines of the grader's audit log are missing or repeated "
                                "(read or written by notebook code)", "run", NOTEBOOK))
    return _unique(findings)


def _judge_event(cell, event, detail, rules: Rules, solution: bool, assignment: str) -> Finding | None:
    if event == "import":
        module = detail[0]
        if solution and rules.forbids(module):
            return Finding(cell, "forbidden library", f"imported {module} while running: {rules.message}", "run",
                           FUNCTION)
        category = SUSPECT_MODULES.get(module.split(".")[0])
        if category and module not in ALLOWED_DISPLAY:
            return Finding(cell, category, f"imported {module}", "run")
        return None
    if event == "open":
        path = detail[0]
        if _allowed_path(path, assignment):
            return None
        return Finding(cell, "files", f"opened {path} ({detail[1]})", "run")
    if event in ("object.__setattr__", "object.__delattr__"):
        owner = detail[0]
        if owner.split(".")[0] in ("cnncourse", "IPython", "ipykernel"):
            return Finding(cell, TAMPERING, f"changed {owner}.{detail[1]}.{detail[2]}", "run", NOTEBOOK)
        if owner.split(".")[0] in PATCHED_OWNERS:
            return Finding(cell, "patching", f"changed {owner}.{detail[1]}.{detail[2]}", "run")
        return None
    if event in ("os.listdir", "os.scandir", "os.chdir"):
        path = detail[0].strip("'\"b") if detail else ""
        if _allowed_path(path, assignment) or path in ("", ".", "None"):
            return None
    category = RUN_CATEGORIES.get(event)
    return Finding(cell, category, f"{event} {' '.join(detail)[:120]}", "run") if category else None


def _allowed_path(path: str, assignment: str) -> bool:
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
