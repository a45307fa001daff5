"""The 100×100 RGB example image of the filtering exercises.

Derived from matplotlib's bundled portrait ``grace_hopper.jpg`` (512×600 RGB),
so it is on every machine that has matplotlib and needs no download.

Notes
-----
A square crop around the face, (x, y) = (110, 60) to (410, 360), resized to
100×100 with Lanczos filtering; values are float64 in [0, 1].
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

SOURCE = "grace_hopper.jpg"
CROP_BOX = (110, 60, 410, 360)
SIZE = 100
FILE_NAME = "example_image.png"


def _derive() -> Image.Image:
    from matplotlib import cbook

    with cbook.get_sample_data(SOURCE) as handle:
        photo = Image.open(handle).convert("RGB")
        return photo.crop(CROP_BOX).resize((SIZE, SIZE), Image.LANCZOS)


def load_example_image() -> np.ndarray:
    """The example image: (100, 100, 3) float64 in [0, 1]."""
    return np.asarray(_derive(), dtype=np.float64) / 255.0


def save_example_image(path: str | Path) -> Path:
    """Write the example image as a lossless PNG (for looking at it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _derive().save(path, "PNG")
    return path
