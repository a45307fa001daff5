"""Writing the example image of the filtering exercises into a course's ``data/`` folder.

The image itself (matplotlib's bundled ``grace_hopper.jpg``, cropped and resized)
is defined by the student runtime, :mod:`cnncourse.images`, which notebooks load it with.
"""
from __future__ import annotations

import os
from pathlib import Path

from PIL import Image

from cnncourse.images import FILE_NAME, SIZE, example_pixels, load_example_image

__all__ = ["FILE_NAME", "SIZE", "load_example_image", "save_example_image"]


def save_example_image(path: str | os.PathLike) -> Path:
    """Write the example image as a (lossless) PNG at ``path`` and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(example_pixels()).save(path, "PNG")
    return path
