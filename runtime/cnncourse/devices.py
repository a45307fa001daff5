"""A recorder of device moves, for testing device-agnostic code on a machine without a GPU.

Code that runs on a GPU must move the model (``model.to(device)``) and every batch
(``images.to(device)``, ``labels.to(device)``) to the same device; forgetting one
fails only on a GPU ("Expected all tensors to be on the same device"). On the CPU
``tensor.to("cpu")`` returns the tensor itself, so nothing shows. The recorder makes
the moves visible: it logs every ``Tensor.to(...)`` call that names a device, every
``model.to(...)`` call, and for each forward pass of the model whether its input is
a tensor that went through such a call. As elsewhere in the runtime it only watches:
what is right or wrong is decided elsewhere, and nothing here solves an exercise.
"""
from __future__ import annotations

import contextlib
import functools

import torch
from torch import nn


def _device_of(args: tuple, kwargs: dict) -> str | None:
    """The device a ``Tensor.to``/``Module.to`` call names, as a string, or None (a dtype-only call)."""
    candidates = [kwargs["device"]] if kwargs.get("device") is not None else list(args)
    for value in candidates:
        if isinstance(value, torch.device):
            return str(value)
        if isinstance(value, torch.Tensor):
            return str(value.device)
        if isinstance(value, str):
            try:
                return str(torch.device(value))
            except RuntimeError:
                continue
        if isinstance(value, int) and not isinstance(value, bool):
            return f"cuda:{value}"
    return None


class MoveLog:
    """What :func:`recorded_moves` saw, in order (``events``).

    * ``("model_to", device)``: ``model.to(device)``;
    * ``("tensor_to", shape, dtype, device)``: a tensor moved with ``.to(device)``
      (its shape and dtype before the call);
    * ``("forward", training, grad_enabled, batch_size, moved)``: a forward pass of
      the model; ``moved`` says whether its input came out of a ``.to(device)`` call;
    * ``("backward",)``: a backward pass through the model (a training step).
    """

    def __init__(self):
        self.events: list[tuple] = []
        self._moved: dict[int, torch.Tensor] = {}  # id -> tensor, kept alive so that ids stay unique
        self._inside_model_to = False

    def model_moves(self) -> list[str]:
        return [event[1] for event in self.events if event[0] == "model_to"]

    def forwards(self) -> list[tuple]:
        return [event for event in self.events if event[0] == "forward"]

    def unmoved_inputs(self) -> int:
        """Forward passes whose input never went through ``.to(device)``."""
        return sum(1 for event in self.forwards() if not event[4])


@contextlib.contextmanager
def recorded_moves(model: nn.Module):
    """Record the device moves around ``model`` during the block, as a :class:`MoveLog`.

    ``Tensor.to`` is wrapped for the block (every tensor's), ``model.to`` and the
    model's forward pass are watched through an attribute and hooks; all are restored
    or removed afterwards. Calls that only change the dtype are not moves.
    """
    log = MoveLog()
    original_tensor_to = torch.Tensor.to
    own_tensor_to = "to" in vars(torch.Tensor)
    had_own_model_to = "to" in vars(model)
    original_model_to = model.to

    @functools.wraps(original_tensor_to)
    def tensor_to(self, *args, **kwargs):
        result = original_tensor_to(self, *args, **kwargs)
        device = _device_of(args, kwargs)
        if device is not None and not log._inside_model_to:
            log.events.append(("tensor_to", [int(n) for n in self.shape], str(self.dtype).replace("torch.", ""),
                               device))
            if isinstance(result, torch.Tensor):
                log._moved[id(result)] = result
        return result

    def model_to(*args, **kwargs):
        log.events.append(("model_to", _device_of(args, kwargs)))
        log._inside_model_to = True  # the parameters' own moves are part of this one
        try:
            return original_model_to(*args, **kwargs)
        finally:
            log._inside_model_to = False

    def on_forward(module, args, kwargs, output):
        first = args[0] if args else next(iter(kwargs.values()), None)
        size = int(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() else 0
        moved = isinstance(first, torch.Tensor) and log._moved.get(id(first)) is first
        log.events.append(("forward", bool(module.training), bool(torch.is_grad_enabled()), size, moved))

    handles = [model.register_forward_hook(on_forward, with_kwargs=True)]
    watched = next((p for p in model.parameters() if p.requires_grad), None)
    if watched is not None:
        handles.append(watched.register_hook(lambda gradient: log.events.append(("backward",))))
    torch.Tensor.to = tensor_to
    object.__setattr__(model, "to", model_to)
    try:
        yield log
    finally:
        if own_tensor_to:
            torch.Tensor.to = original_tensor_to
        else:
            del torch.Tensor.to
        if had_own_model_to:
            object.__setattr__(model, "to", original_model_to)
        else:
            object.__delattr__(model, "to")
        for handle in handles:
            handle.remove()
