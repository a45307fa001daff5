"""The kit's offline data: the synthetic casting dataset, its checker, the example image."""
from cnnkit.data.example_image import load_example_image

__all__ = ["load_example_image"]
