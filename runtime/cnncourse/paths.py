"""Where notebooks find the course data and put their figures.

Notes
-----
One rule for every notebook:

* data: ``$COURSE_DATA_DIR`` if set, otherwise the nearest folder named ``data``
  at or above the working directory (a notebook runs in its own folder);
* outputs: ``$COURSE_OUTPUT_DIR`` if set, otherwise ``outputs/`` in the working
  directory (next to the notebook).
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "COURSE_DATA_DIR"
OUTPUT_ENV = "COURSE_OUTPUT_DIR"
CASTING = "casting_data"
DEFECT_TYPES = "defect_types"
CLASSES = ("def_front", "ok_front")
SPLITS = ("train", "test")


class DataNotFoundError(FileNotFoundError):
    """Raised with a message that says where the data should be and whom to ask."""


def data_dir(start: str | os.PathLike | None = None) -> Path:
    """The data folder by the rule in the module notes; raise if there is none."""
    if os.environ.get(DATA_ENV):
        path = Path(os.environ[DATA_ENV]).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(
                f"{DATA_ENV} is set to {path}, which is not a folder. Unset it or point it at the "
                "folder that holds casting_data/. " + _how_to_get_data(None)
            )
        return path
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data").is_dir():
            return folder / "data"
    raise DataNotFoundError(f"No course data folder found at or above {here}. " + _how_to_get_data(None))


def casting_dir(start: str | os.PathLike | None = None) -> Path:
    """``casting_data`` with ``train/`` and ``test/``, accepting the Kaggle double nesting."""
    base = data_dir(start)
    for candidate in (base / CASTING, base / CASTING / CASTING, base):
        if all((candidate / split).is_dir() for split in SPLITS):
            return candidate
    raise DataNotFoundError(f"The casting dataset is not in {base}. " + _how_to_get_data(base))


def defect_types_dir(start: str | os.PathLike | None = None) -> Path:
    """``defect_types`` with ``train/`` and ``test/``: the four-class task (burr, crack, hole, ok)."""
    folder = data_dir(start) / DEFECT_TYPES
    if not all((folder / split).is_dir() for split in SPLITS):
        raise DataNotFoundError(
            f"The defect-type images are not in {folder}.\n\nOn the course JupyterHub they are installed for you: "
            "if you see this message there, tell your instructor (nothing is wrong with your notebook).\n"
            "(Instructors: `python -m cnnkit data` in the course repository writes them next to casting_data/.)")
    return folder


def outputs_dir() -> Path:
    """The folder figures go to (created if missing)."""
    path = Path(os.environ.get(OUTPUT_ENV) or Path.cwd() / "outputs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _how_to_get_data(base: Path | None) -> str:
    where = (base or Path("data")) / CASTING
    return (
        "\n\nOn the course JupyterHub the data is installed for you: if you see this message there, "
        "tell your instructor (nothing is wrong with your notebook).\n"
        "On your own computer: download the Kaggle dataset 'casting product image data for quality "
        f"inspection' and unzip it so that {where}/train/def_front/ holds .jpeg files, in a folder "
        f"named data/ next to (or above) this notebook; or set the environment variable {DATA_ENV} "
        "to the folder that holds casting_data/.\n"
        "(Instructors: `python -m cnnkit data` in the course repository writes a small synthetic stand-in.)"
    )
