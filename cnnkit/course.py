"""The course as ``nbgrader_config.py`` declares it: id, assignments, folders."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from traitlets.config import Config

from cnnkit.paths import repo_root


@dataclass(frozen=True)
class Course:
    root: Path
    course_id: str
    assignments: dict[str, str]  # assignment id -> notebook name
    config: Config
    grading: dict = field(default_factory=dict)  # GRADING in nbgrader_config.py: sandbox limits

    @property
    def cell_timeout(self) -> int:
        """nbgrader's per-cell timeout (``c.Execute.timeout``), in seconds."""
        return int(self.config.Execute.get("timeout", 60))

    def notebook_name(self, assignment: str) -> str:
        if assignment not in self.assignments:
            known = ", ".join(self.assignments)
            raise KeyError(f"unknown assignment {assignment!r}; nbgrader_config.py declares {known}")
        return self.assignments[assignment]

    def source_notebook(self, assignment: str) -> Path:
        return self.root / "source" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def release_notebook(self, assignment: str) -> Path:
        return self.root / "release" / assignment / f"{self.notebook_name(assignment)}.ipynb"

    def instructor_dir(self, assignment: str) -> Path:
        return self.root / "source" / assignment / "instructor"

    def built(self) -> list[str]:
        """Assignments whose source notebook exists."""
        return [a for a in self.assignments if self.source_notebook(a).is_file()]


def load(root: str | os.PathLike | None = None) -> Course:
    """Read ``nbgrader_config.py`` the way nbgrader does (``get_config()`` in scope)."""
    root = Path(root) if root else repo_root()
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(root / "nbgrader_config.py")}
    exec(compile((root / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    return Course(root, namespace["COURSE_ID"], dict(namespace["ASSIGNMENTS"]), config,
                  dict(namespace.get("GRADING", {})))


def scratch_course(course: Course, assignments: list[str], folder: str | os.PathLike) -> Course:
    """A throw-away copy of ``course`` in ``folder`` with ``assignments`` generated into its gradebook.

    Holds the config and ``source/<assignment>/`` (instructor files included: the grader
    reads the rules there); ``nbgrader generate_assignment`` fills ``release/`` and the
    gradebook, as in a real course folder. The catalogues and the tests grade in these.
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(course.root / "nbgrader_config.py", root)
    for assignment in assignments:
        shutil.copytree(course.root / "source" / assignment, root / "source" / assignment, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        run_nbgrader(root, ["generate_assignment", assignment, "--force"], check=True)
    return load(root)


def run_nbgrader(root: str | os.PathLike, args: list[str], env: dict[str, str] | None = None, check: bool = False,
                 timeout: float | None = None) -> subprocess.CompletedProcess:
    """``nbgrader <args>`` in ``root``; with ``check``, a failure raises with the end of nbgrader's log."""
    proc = subprocess.run(nbgrader_command(*args), cwd=root, env=nbgrader_env(env), capture_output=True, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {root}:\n{proc.stderr[-4000:]}")
    return proc


def nbgrader_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for nbgrader subprocesses: this interpreter's scripts on PATH.

    nbgrader calls helper programs (alembic, the kernel) by name, so the venv's
    bin folder must come first even when the venv is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


def nbgrader_command(*args: str) -> list[str]:
    """``nbgrader <args>`` run by this interpreter (no reliance on PATH)."""
    return [sys.executable, "-m", "nbgrader", *args]
