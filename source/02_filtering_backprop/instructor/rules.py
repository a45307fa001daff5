"""Assignment 2's rules, as its introduction states them: NumPy and the standard library only.

Matplotlib is for plots only (the given helpers); PyTorch, SciPy's convolution and filters,
and other libraries' convolution or pooling are not allowed in any solution.
"""

FORBIDDEN_MODULES = ("torch", "torchvision", "tensorflow", "keras", "jax", "cv2", "skimage",
                     "scipy.signal", "scipy.ndimage", "scipy.fft", "numba")
MESSAGE = "assignment 2 allows NumPy and Python's standard library only"

# Solution cells whose test cells are not named <cell>_visible / <cell>_hidden.
TESTED_BY = {
    "fully_connected": ("fc_backward_visible", "fc_backward_hidden", "fc_update_visible", "fc_update_hidden"),
    "relu": ("relu_backward_visible", "relu_backward_hidden"),
    "feedforward": ("ffn_backward_visible", "ffn_backward_hidden", "ffn_update_visible", "ffn_update_hidden"),
    "maxpool": ("maxpool_backward_visible", "maxpool_backward_hidden"),
    "conv2d": ("conv2d_backward_visible", "conv2d_backward_hidden", "conv2d_update_visible", "conv2d_update_hidden"),
}
