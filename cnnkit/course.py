"""The course as ``nbgrader_config.py`` declares it: id, assignments, folders."""
from __future__ import annotations

import os
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
