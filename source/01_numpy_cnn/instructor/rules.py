"""Assignment 1's rules, as its introduction states them: NumPy and the standard library only."""

FORBIDDEN_MODULES = ("torch", "torchvision", "tensorflow", "keras", "jax", "cv2", "skimage",
                     "scipy.signal", "scipy.ndimage")
MESSAGE = "assignment 1 allows NumPy and Python's standard library only"
