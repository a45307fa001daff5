"""Assignment 3's rules, as its text states them.

Part 5 asks for a convolution built from ``F.unfold``, one matrix product and
``F.fold``, with a hand-written backward pass: ``Conv2dUnfold`` must not use
PyTorch's own convolutions (forward or backward). The static rule below
catches them by name in the solution cell; the hidden test also records which
ATen operators really ran inside the student's forward and backward passes (a
convolution reached another way, e.g. ``from torch.nn.functional import
conv2d``, shows there) and the judge refuses them (``no_convolution`` in
``judges.py``).
"""

FORBIDDEN_CALLS = {
    "conv2d_unfold": ("conv1d", "conv2d", "conv3d", "Conv1d", "Conv2d", "Conv3d", "conv_transpose2d",
                      "ConvTranspose2d", "convolution", "_convolution", "conv2d_input", "conv2d_weight",
                      "convolution_backward"),
}
CALL_MESSAGES = {
    "conv2d_unfold": ("Part 5 asks for the convolution built from F.unfold, one matrix product and F.fold; "
                      "F.conv2d, nn.Conv2d, F.conv_transpose2d and torch.nn.grad are not allowed in Conv2dUnfold"),
}
