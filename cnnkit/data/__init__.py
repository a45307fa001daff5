"""The kit's offline data: the synthetic casting dataset, its checker and the example image.

``python -m cnnkit data`` writes both into the repository's ``data/``;
``python -m cnnkit verify`` checks a casting dataset, real or synthetic.
"""
from cnnkit.data.example_image import load_example_image

__all__ = ["load_example_image"]
