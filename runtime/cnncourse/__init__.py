"""cnncourse: what the CNN course's notebooks import (the student runtime).

Data location and loading, the example image, the VGG-11 loader, and the
checks the notebooks' test cells use. It holds no solution: the reference
implementations, hidden-test oracles and grading tools live in the
instructor's kit (``cnnkit``), which is never installed where students work.
"""

__version__ = "0.2.0"
