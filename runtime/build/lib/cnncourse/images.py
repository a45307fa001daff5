"""The 100×100 RGB example image of the filtering exercises.

Notes
-----
Source: matplotlib's bundled sample ``grace_hopper.jpg`` (512×600 RGB), so the
image is available offline wherever matplotlib is installed. The face is cut
out as the square ``CROP_BOX`` (left, upper, right, lower, in pixels) and
resized to 100×100 with Lanczos filtering; pixel values are ``uint8 / 255``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import cbook
from PIL import Image

from cnncourse.paths import DataNotFoundError, data_dir

SAMPLE = "grace_hopper.jpg"
CROP_BOX = (112, 40, 402, 330)
SIZE = 100
FILE_NAME = "example_image.png"


def example_pixels() -> np.ndarray:
    """The example image as uint8 (100, 100, 3), derived from the matplotlib sample."""
    with Image.open(cbook.get_sample_data(SAMPLE, asfileobj=False)) as photo:
        face = photo.convert("RGB").crop(CROP_BOX).resize((SIZE, SIZE), Image.LANCZOS)
    return np.asarray(face)


def _stored_png() -> Path | None:
    try:
        path = data_dir() / FILE_NAME
    except DataNotFoundError:
        return None
    return path if path.is_file() else None


def load_example_image() -> np.ndarray:
    """The example image, float64 (100, 100, 3) in [0, 1].

    Read from ``<data_dir>/example_image.png`` when it exists, otherwise derived
    from the matplotlib sample; both give the same array.
    """
    png = _stored_png()
    if png is None:
        pixels = example_pixels()
    else:
        with Image.open(png) as image:
            pixels = np.asarray(image.convert("RGB"))
    return pixels.astype(np.float64) / 255.0
