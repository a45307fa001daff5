"""Assignment 4's rules, as its introduction states them.

"Use torch, torchvision, numpy, matplotlib and the helpers imported below (no other
machine-learning library, e.g. no scikit-learn)." The grader can only name what is
forbidden, so the libraries that would do an exercise's work (accuracy, confusion
matrix, training loop, checkpoints) are listed. The other rules of the text ("get
VGG-11 with load_vgg11()", what each function must do) are judged by the tests:
a VGG-11 from torchvision's own constructor has other weights and fails the
backbone's values, a download fails in the sandbox.
"""

FORBIDDEN_MODULES = ("sklearn", "torchmetrics", "tensorflow", "keras", "jax", "lightning", "pytorch_lightning",
                     "ignite", "timm", "skorch")
MESSAGE = ("assignment 4 allows torch, torchvision, numpy, matplotlib and the course's helpers "
           "(no other machine-learning library)")
