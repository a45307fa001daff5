"""Where the kit finds the course repository; data and outputs follow the students' rule.

The data rule (``$COURSE_DATA_DIR``, else the nearest ``data/`` folder) belongs
to the student runtime (:mod:`cnncourse.paths`), so that notebooks and the kit's
commands find the same data; it is re-exported here for the kit's commands.
"""
from __future__ import annotations

from pathlib import Path

from cnncourse.paths import (CASTING, CLASSES, DATA_ENV, OUTPUT_ENV, SPLITS, DataNotFoundError, casting_dir,
                             data_dir, outputs_dir)

__all__ = ["CASTING", "CLASSES", "DATA_ENV", "OUTPUT_ENV", "SPLITS", "DataNotFoundError", "casting_dir", "data_dir",
           "outputs_dir", "repo_root"]


def repo_root() -> Path:
    """The course repository (the folder holding ``nbgrader_config.py``)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(
            f"cnnkit is not running from a course repository ({root} has no "
            "nbgrader_config.py); install it with `pip install -e .` from a clone."
        )
    return root
