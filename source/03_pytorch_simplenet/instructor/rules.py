"""Assignment 3's rules, as its text states them (Parts 5 and 10).

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

# Part 10 asks for eq. (6) written out: PyTorch's cross-entropy, log-softmax and softmax are not allowed in
# cross_entropy (torch.logsumexp, exp, log, max and gather are).
FORBIDDEN_CALLS["cross_entropy"] = ("cross_entropy", "CrossEntropyLoss", "nll_loss", "NLLLoss", "log_softmax",
                                    "LogSoftmax", "softmax", "Softmax")
CALL_MESSAGES["cross_entropy"] = ("Part 10 asks for eq. (6) written out: F.cross_entropy, nn.CrossEntropyLoss, F.nll_loss, "
                                  "F.log_softmax and softmax are not allowed in cross_entropy")
