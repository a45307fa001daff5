"""Where the kit finds the repository, the data and the outputs folder.

Notes
-----
One rule for every notebook and command:

* data: ``$COURSE_DATA_DIR`` if set, otherwise the nearest folder named ``data``
  at or above the working directory (a notebook runs in its own folder, so
  ``release/01_numpy_cnn/`` finds the repository's ``data/``);
* outputs: ``$COURSE_OUTPUT_DIR`` if set, otherwise ``outputs/`` in the working
  directory (next to the notebook, so figures travel with a submission).
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "COURSE_DATA_DIR"
OUTPUT_ENV = "COURSE_OUTPUT_DIR"
CASTING = "casting_data"
CLASSES = ("def_front", "ok_front")
SPLITS = ("train", "test")


class DataNotFoundError(FileNotFoundError):
    """Raised with a message that says which command to run or where to put the data."""


def repo_root() -> Path:
    """The course repository (the folder holding ``nbgrader_config.py``)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "nbgrader_config.py").is_file():
        raise FileNotFoundError(
            f"cnnkit is not running from a course repository ({root} has no "
            "nbgrader_config.py); install it with `pip install -e .` from a clone."
        )
    return root


def data_dir(start: str | os.PathLike | None = None) -> Path:
    """The data folder by the rule in the module notes; raise if there is none."""
    if os.environ.get(DATA_ENV):
        path = Path(os.environ[DATA_ENV]).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(
                f"{DATA_ENV} is set to {path}, which is not a folder. Unset it or "
                "point it at the folder that holds casting_data/."
            )
        return path
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "data").is_dir():
            return folder / "data"
    raise DataNotFoundError(
        f"No data folder found at or above {here}. "
        + _how_to_get_data(None)
    )


def casting_dir(start: str | os.PathLike | None = None) -> Path:
    """``casting_data`` with ``train/`` and ``test/``, accepting the Kaggle double nesting."""
    base = data_dir(start)
    for candidate in (base / CASTING, base / CASTING / CASTING, base):
        if all((candidate / split).is_dir() for split in SPLITS):
            return candidate
    raise DataNotFoundError(
        f"The casting dataset is not in {base}. " + _how_to_get_data(base)
    )


def outputs_dir() -> Path:
    """The folder figures and checkpoints go to (created if missing)."""
    path = Path(os.environ.get(OUTPUT_ENV) or Path.cwd() / "outputs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _how_to_get_data(base: Path | None) -> str:
    where = base or Path("<repository>/data")
    return (
        "To get it:\n"
        "  * synthetic stand-in (offline, a few seconds): run `make data` in the course "
        "repository (or `python -m cnnkit data --profile ci`);\n"
        "  * the real Kaggle dataset 'casting product image data for quality inspection': "
        f"unzip it so that {where / CASTING}/train/def_front/*.jpeg exists "
        "(the download's extra casting_data/ level is fine), then check it with "
        "`python -m cnnkit verify`;\n"
        f"  * or set {DATA_ENV} to a folder that holds casting_data/."
    )
