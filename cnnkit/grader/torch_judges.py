"""Judges shared by the PyTorch assignments (instructor side; assignments list them in ``POLICIES``).

Same contract as an assignment's ``judges.py``: each takes ``(student_value,
reference_value, params)`` and returns None or what is wrong, in words a student
can act on.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from cnnkit.grader.judge import describe


def device_moves(student, reference, params) -> str | None:
    """The model moved to ``params.device`` before its first forward pass, and every batch moved too.

    ``student``: the events of :func:`cnncourse.devices.recorded_moves`, in order:
    ``("model_to", device)``, ``("tensor_to", shape, dtype, device)``,
    ``("forward", training, grad_enabled, batch_size, moved)``, ``("backward",)``.
    ``mode="eval"``: every forward pass gets a moved input. ``mode="train"``: every
    training step (a forward pass followed by a backward pass) gets moved images, and
    as many label-sized tensors (``batch_size`` numbers) are moved as there are steps;
    with ``validation=True`` the other forward passes (validation) get moved inputs too.
    """
    if not isinstance(student, (list, tuple)) or not all(isinstance(e, (list, tuple)) and e for e in student):
        return f"expected the recorded moves and passes, got {describe(student)}"
    device = params["device"]
    events = [tuple(e) for e in student]
    forwards = [i for i, e in enumerate(events) if e[0] == "forward"]
    if not forwards:
        return "the model never ran"
    if not any(e[0] == "model_to" and e[1] == device for e in events[:forwards[0]]):
        return f"the model was not moved before its first forward pass: call model.to(device) (device is {device})"
    passes = [e for e in events if e[0] in ("forward", "backward")]
    if params["mode"] == "eval":
        unmoved = sum(1 for e in passes if e[0] == "forward" and not e[4])
        if unmoved:
            return (f"{unmoved} of {len(forwards)} batches reached the model without .to(device): "
                    "images = images.to(device) before the forward pass")
        return None
    stepped = [i for i in range(len(passes) - 1) if passes[i][0] == "forward" and passes[i + 1][0] == "backward"]
    steps = [passes[i] for i in stepped]
    if not steps:
        return "no training step (a forward pass followed by loss.backward()) was seen"
    unmoved = sum(1 for e in steps if not e[4])
    if unmoved:
        return (f"{unmoved} of {len(steps)} training batches reached the model without .to(device): "
                "images = images.to(device) before the forward pass")
    wanted = Counter(int(e[3]) for e in steps)  # batch size -> training steps
    labels = Counter(int(e[1][0]) for e in events  # label-sized tensors moved: (B,) or (B, 1)
                     if e[0] == "tensor_to" and e[3] == device and 1 <= len(e[1]) <= 2
                     and int(np.prod(e[1])) == int(e[1][0]))
    if any(labels[size] < count for size, count in wanted.items()):
        return "the labels of the training batches were not moved: labels = labels.to(device) before the loss"
    if params.get("validation"):
        unmoved = sum(1 for i, e in enumerate(passes) if e[0] == "forward" and i not in stepped and not e[4])
        if unmoved:
            return (f"{unmoved} validation batches reached the model without .to(device): move them as the "
                    "training batches")
    return None
