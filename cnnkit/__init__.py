"""cnnkit: build, grade and check the CNN course assignments (see README.md)."""

__version__ = "0.1.0"
