"""Runs INSIDE the grading sandbox: execute one notebook, report each cell as it finishes.

Started by :mod:`cnnkit.grader.execute` with the venv's Python; imports nothing
from the kit. It reads the prepared notebook (JSON) on stdin and runs it with
nbgrader's own ``Execute`` preprocessor (nbclient and a Jupyter kernel). After
every cell it writes one JSON line to the results file descriptor:

* ``{"event": "start"}`` once the notebook is read;
* ``{"event": "cell", "index": i, "execution_count": n, "outputs": [...], "seconds": s}``
* ``{"event": "audit", "line": "..."}`` for each line of the kernel's audit log
  (see ``audit_startup.py``), forwarded as received;
* ``{"event": "done", "seconds": s}``, or ``{"event": "failed", "message": ...}``.

Nothing here is trusted by the grader: it only reads these lines as data. The
runner makes itself non-dumpable before starting the kernel, so code in the
kernel (same user) can neither attach to it nor open its file descriptors
through ``/proc``; it can still kill it, which ends the stream early.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import sys
import threading
import time

PR_SET_DUMPABLE = 4


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--results-fd", type=int, required=True)
    parser.add_argument("--timeout", type=int, required=True, help="per-cell timeout, seconds")
    parser.add_argument("--audit-startup", required=True, help="kernel startup file that installs the audit hook")
    parser.add_argument("--max-output", type=int, default=1_000_000, help="characters of output kept per cell")
    parser.add_argument("--limit", action="append", default=[], metavar="NAME=VALUE",
                        help="a resource limit (resource.RLIMIT_<NAME>) for this process and the kernel")
    args = parser.parse_args()
    for setting in args.limit:
        name, value = setting.split("=")
        limit = getattr(resource, f"RLIMIT_{name.upper()}")
        resource.setrlimit(limit, (int(value), int(value)))

    results = Results(args.results_fd)
    text = sys.stdin.read()
    _detach_stdin()
    results.write({"event": "start"})
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)

    fifo = _audit_channel(args.audit_startup, results)
    started = time.perf_counter()
    # jsonschema would build an IRI grammar parser (rfc3987_syntax, ~1 s) that notebook
    # validation never uses; without it, every graded notebook starts a second sooner.
    sys.modules.setdefault("rfc3987_syntax", None)
    try:
        import nbformat
        from nbgrader.preprocessors import Execute

        class StreamingExecute(Execute):
            """nbgrader's Execute, reporting every cell as soon as it has run."""

            def on_cell_executed(self, **kwargs):
                super().on_cell_executed(**kwargs)
                cell, index = kwargs["cell"], kwargs["cell_index"]
                results.write({"event": "cell", "index": index, "execution_count": cell.get("execution_count"),
                               "outputs": _limited(cell.get("outputs", []), args.max_output),
                               "seconds": round(time.perf_counter() - self._cell_started, 3)})

            def on_cell_execute(self, **kwargs):
                self._cell_started = time.perf_counter()

        notebook = nbformat.reads(text, as_version=4)
        executor = StreamingExecute(timeout=args.timeout, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        executor._cell_started = time.perf_counter()
        executor.preprocess(notebook, {"metadata": {"path": os.getcwd()}})
    except Exception as error:  # report and stop: the grader marks the rest as not run
        message = f"{type(error).__name__}: {str(error)[:500]}"
        if type(error).__name__ == "DeadKernelError":
            message = ("the kernel died (the notebook's code ended its process, or it ran out of memory); "
                       "the cells after it did not run")
        results.write({"event": "failed", "message": message})
        return 1
    finally:
        if fifo:
            fifo.close()
    results.write({"event": "done", "seconds": round(time.perf_counter() - started, 3)})
    return 0


class Results:
    """JSON lines on a file descriptor the kernel does not inherit."""

    def __init__(self, fd: int):
        os.set_inheritable(fd, False)
        self.stream = os.fdopen(fd, "w", buffering=1)
        self.lock = threading.Lock()

    def write(self, message: dict) -> None:
        line = json.dumps(message, default=str) + "\n"
        with self.lock:
            self.stream.write(line)
            self.stream.flush()


def _detach_stdin() -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)


def _limited(outputs: list, budget: int) -> list:
    """The outputs, cut once ``budget`` characters of JSON are used (a note marks the cut)."""
    kept, used = [], 0
    for output in outputs:
        size = len(json.dumps(output, default=str))
        if used + size > budget:
            kept.append({"output_type": "stream", "name": "stdout",
                         "text": f"\n[output cut by the grader after {budget} characters]\n"})
            break
        kept.append(output)
        used += size
    return kept


class _AuditPipe:
    """Forwards the kernel's audit lines until a sentinel only this process knows."""

    def __init__(self, path: str, results: Results):
        self.path = path
        self.results = results
        self.sentinel = os.urandom(16).hex()
        # Read-write, so opening never blocks and the pipe never reports end-of-file early.
        self.fd = os.open(path, os.O_RDWR)
        self.write_fd = os.dup(self.fd)
        self.thread = threading.Thread(target=self._forward, daemon=True)
        self.thread.start()

    def _forward(self) -> None:
        with os.fdopen(self.fd, "r", errors="replace") as pipe:
            for line in pipe:
                if line.strip() == self.sentinel:
                    return
                self.results.write({"event": "audit", "line": line[:2000]})

    def close(self) -> None:
        os.write(self.write_fd, (self.sentinel + "\n").encode())
        os.close(self.write_fd)
        self.thread.join(timeout=5)


def _audit_channel(startup_file: str, results: Results):
    """A FIFO the kernel's audit hook writes to, and the startup file that installs the hook."""
    home = os.environ["HOME"]
    fifo = os.path.join(home, ".cnnkit-audit")
    os.mkfifo(fifo, 0o600)
    startup = os.path.join(os.environ.get("IPYTHONDIR", os.path.join(home, ".ipython")),
                           "profile_default", "startup")
    os.makedirs(startup, exist_ok=True)
    with open(startup_file) as source, open(os.path.join(startup, "00-cnnkit-audit.py"), "w") as target:
        target.write(source.read())
    os.environ["CNNKIT_AUDIT_FIFO"] = fifo
    return _AuditPipe(fifo, results)


if __name__ == "__main__":
    raise SystemExit(main())
