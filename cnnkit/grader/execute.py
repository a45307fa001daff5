"""Step 2 of grading (UNTRUSTED): run one prepared notebook in a sandbox, and nothing else.

:func:`execute` is the unit of work a pool runs, on this machine or on a Dask
worker: it receives a prepared notebook (hidden tests restored, no gradebook,
no other files of the course) and returns what the sandbox reported, cell by
cell, as plain data. It scores nothing and writes nothing outside the sandbox:
the trusted steps (:mod:`~cnnkit.grader.record`, :mod:`~cnnkit.grader.merge`)
read the result afterwards.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cnnkit.grader.sandbox import HOME, INSIDE, Limits, Sandbox, sandbox_user

LOG_CHARS = 20_000
READ_LIMIT = 64 * 2**20

_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class Task:
    """One notebook to execute: picklable, so a Dask worker can take it."""

    key: str                       # "<assignment>/<student>", for messages
    assignment: str
    notebook_name: str
    notebook: str                  # the prepared notebook, JSON
    files: tuple[tuple[str, bytes], ...] = ()   # other files of the assignment folder
    sandbox: Sandbox = field(default_factory=Sandbox)


@dataclass
class Execution:
    """What the sandbox reported. Everything here may have been shaped by student code."""

    key: str
    status: str                    # done, failed, timeout, crashed
    message: str = ""
    cells: dict[int, dict] = field(default_factory=dict)   # cell index -> {"outputs", "execution_count", "seconds"}
    audit: list[str] = field(default_factory=list)
    seconds: float = 0.0
    log: str = ""
    worker: str = ""
    started: bool = False          # the runner read the notebook (False: the sandbox itself failed)


def execute(task: Task) -> Execution:
    """Run ``task`` in a fresh sandbox and collect its report (never raises for student behaviour)."""
    started = time.perf_counter()
    limits = task.sandbox.limits
    notebook_dir = f"{HOME}/{task.assignment}"
    read_end, write_end = os.pipe()
    with tempfile.TemporaryDirectory(prefix="cnnkit-files-") as staging, sandbox_user() as uid:
        if not task.sandbox.enabled:
            inside = Path(__file__).with_name("inside")
            runner = _runner_command(limits, write_end, str(inside), processes=None)
            command, cwd, env = runner, *_unsandboxed(task, Path(staging))
        else:
            processes = limits.processes if uid is not None else _own_processes() + limits.processes
            runner = _runner_command(limits, write_end, INSIDE, processes)
            command = _with_files(task.sandbox.command(runner, notebook_dir, uid), task.files, Path(staging),
                                  notebook_dir)
            # bubblewrap is the sandbox's process 1: its /proc/1/environ must not hold the grader's variables
            cwd, env = None, {"PATH": os.defpath, "LANG": "C.UTF-8"}
        result = _run(command, cwd, env, task.notebook, limits, read_end, write_end)
    result.key = task.key
    result.seconds = round(time.perf_counter() - started, 3)
    result.worker = os.uname().nodename
    return result


def _runner_command(limits: Limits, results_fd: int, inside: str, processes: int | None) -> list[str]:
    command = [sys.executable, "-I", f"{inside}/runner.py", "--results-fd", str(results_fd),
               "--timeout", str(limits.cell_seconds), "--audit-startup", f"{inside}/audit_startup.py",
               "--max-output", str(limits.output_chars)]
    limit = {"as": limits.memory_bytes, "fsize": limits.file_bytes, "nofile": limits.open_files,
             "cpu": limits.cpu_seconds, "core": 0}
    if processes is not None:
        limit["nproc"] = processes
    for name, value in limit.items():
        command += ["--limit", f"{name}={value}"]
    return command


def _own_processes() -> int:
    """Processes of this user now: RLIMIT_NPROC counts them together with the sandbox's."""
    uid = os.getuid()
    return sum(1 for entry in Path("/proc").iterdir() if entry.name.isdigit() and _owner(entry) == uid)


def _owner(entry: Path) -> int | None:
    try:
        return entry.stat().st_uid
    except OSError:
        return None


def _with_files(command: list[str], files, staging: Path, notebook_dir: str) -> list[str]:
    """Bind the assignment's other files read-only into the notebook folder."""
    binds = []
    for name, data in files:
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        binds += ["--ro-bind", str(path), f"{notebook_dir}/{name}"]
    split = command.index("--")
    return command[:split] + binds + command[split:]


def _unsandboxed(task: Task, staging: Path):
    """``--no-sandbox``: the same runner in a scratch folder, with the instructor's rights."""
    home = staging / "home"
    folder = home / task.assignment
    folder.mkdir(parents=True)
    for name, data in task.files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    env = {**task.sandbox.environment(str(folder)), "TMPDIR": tempfile.gettempdir()}
    for name, value in list(env.items()):
        if value.startswith(HOME):
            env[name] = str(home) + value[len(HOME):]
    if task.sandbox.data_dir:
        env["COURSE_DATA_DIR"] = str(task.sandbox.data_dir)
    if task.sandbox.torch_home:
        env["TORCH_HOME"] = str(task.sandbox.torch_home)
    return str(folder), env


def _run(command: list[str], cwd, env, notebook: str, limits: Limits, read_end: int, write_end: int) -> Execution:
    try:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                pass_fds=(write_end,), cwd=cwd, env=env or None, start_new_session=True)
    except OSError as error:
        os.close(read_end)
        os.close(write_end)
        return Execution("", "crashed", f"the sandbox could not start: {error}")
    os.close(write_end)
    with _running_lock:
        _running.add(proc)
    lines: list[str] = []
    log: list[bytes] = []
    readers = [threading.Thread(target=_read_lines, args=(read_end, lines), daemon=True),
               threading.Thread(target=_read_log, args=(proc.stdout, log), daemon=True)]
    for reader in readers:
        reader.start()
    try:
        proc.stdin.write(notebook.encode())
        proc.stdin.close()
    except OSError:
        pass
    timed_out = False
    try:
        proc.wait(timeout=limits.notebook_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill(proc)
    for reader in readers:
        reader.join(timeout=10)
    with _running_lock:
        _running.discard(proc)
    result = _parse(lines)
    result.log = b"".join(log).decode(errors="replace")[-LOG_CHARS:]
    if timed_out:
        result.status = "timeout"
        result.message = (f"the notebook did not finish within its time limit of {limits.notebook_seconds} s "
                          f"({len(result.cells)} cells had run)")
    elif result.status == "running":
        result.status = "crashed"
        result.message = (f"the notebook's run ended early (exit status {proc.returncode}) after "
                          f"{len(result.cells)} cells: the kernel or its runner was stopped")
    return result


def kill_running() -> None:
    """Kill every sandbox this process started (Ctrl-C: stop now, graded students stay graded)."""
    with _running_lock:
        running = list(_running)
    for proc in running:
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    """Kill bubblewrap's whole session; its PID namespace takes every sandboxed process with it."""
    try:
        os.killpg(proc.pid, 9)
    except ProcessLookupError:
        pass
    proc.wait()


def _read_lines(fd: int, lines: list[str]) -> None:
    total = 0
    with os.fdopen(fd, "rb") as stream:
        for raw in stream:
            total += len(raw)
            if total > READ_LIMIT:
                lines.append(json.dumps({"event": "failed", "message": "the notebook produced too much output"}))
                break
            lines.append(raw.decode(errors="replace"))


def _read_log(stream, log: list[bytes]) -> None:
    kept = 0
    for chunk in iter(lambda: stream.read(65536), b""):
        if kept < LOG_CHARS * 4:
            log.append(chunk)
            kept += len(chunk)


def _parse(lines: list[str]) -> Execution:
    """The runner's report, read as data: malformed lines are skipped, a cell reported twice keeps its first."""
    result = Execution("", "running")
    for line in lines:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if not isinstance(message, dict):
            continue
        event = message.get("event")
        if event == "cell" and isinstance(message.get("index"), int) and isinstance(message.get("outputs"), list):
            result.cells.setdefault(message["index"], {
                "outputs": message["outputs"], "execution_count": message.get("execution_count"),
                "seconds": message.get("seconds")})
        elif event == "audit" and isinstance(message.get("line"), str):
            result.audit.append(message["line"])
        elif event == "start":
            result.started = True
        elif event == "done" and result.status == "running":
            result.status = "done"
        elif event == "failed" and result.status == "running":
            result.status = "failed"
            result.message = f"the notebook stopped: {str(message.get('message'))[:500]}"
    return result
