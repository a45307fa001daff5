"""Test helpers shared by the PyTorch notebooks' test cells.

Stand-ins that record how a student's code uses them (a dataset that logs the
order its items are read in, a model that logs its mode and whether gradients
are on at every forward pass), tiny fixed datasets and a known-good model, so
that a function like ``train`` can be judged on its own; plus parameter
counting, output checks for binary classifiers and a quiet, seeded context
for torch. As in :mod:`cnncourse.checks`, checks raise ``AssertionError`` with a
message meant for the student, nothing here writes to stderr, and nothing here
solves an exercise.

Notes
-----
Datasets here return ``(image, label)`` with ``image`` a float32 tensor
``(C, H, W)`` and ``label`` a Python ``int``, and carry ``classes``,
``class_to_idx`` and ``targets`` like ``torchvision.datasets.ImageFolder``, so
code written for ImageFolder runs on them unchanged.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from cnncourse import record as _record
from cnncourse.checks import compare_close, compare_probabilities, quiet

DEFAULT_CLASSES = ("def_front", "ok_front")


# ------------------------------------------------------------------ contexts


@contextlib.contextmanager
def seeded(seed: int):
    """Run the block under ``torch.manual_seed(seed)`` and restore the RNG state after.

    A test that draws random weights or shuffles data is deterministic, and the
    notebook's own random stream is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


@contextlib.contextmanager
def quiet_torch():
    """:func:`cnncourse.checks.quiet` plus the process-level stderr (file descriptor 2).

    Some torch messages are printed by C++ code straight to the file descriptor,
    past ``sys.stderr``; the Jupyter kernel forwards them to the cell's stderr,
    which makes nbgrader give the cell 0.
    """
    with quiet():
        sys.stdout.flush()
        try:
            saved = os.dup(2)
        except OSError:  # no file descriptor 2 (embedded interpreters)
            yield
            return
        try:
            with open(os.devnull, "w") as devnull:
                os.dup2(devnull.fileno(), 2)
                yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@contextlib.contextmanager
def forbidden(*targets: tuple[object, str], advice: str):
    """Make ``getattr(owner, name)`` raise for each ``(owner, name)`` during the block.

    For exercises that must build something from lower-level pieces, e.g. a
    convolution from ``F.unfold`` without ``F.conv2d``. The error names the
    function and gives ``advice``. Originals are restored afterwards.
    """
    saved = [(owner, name, getattr(owner, name)) for owner, name in targets]

    def refuse(name):
        def call(*args, **kwargs):
            raise AssertionError(f"{name} must not be used here: {advice}")
        return call

    try:
        for owner, name, _ in saved:
            setattr(owner, name, refuse(f"{getattr(owner, '__name__', type(owner).__name__)}.{name}"))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


# ------------------------------------------------------------------ models


def count_trainable(model: nn.Module) -> int:
    """Number of scalar parameters with ``requires_grad`` (what an optimiser trains)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def layers(model: nn.Module, kind: type) -> list[nn.Module]:
    """Sub-modules of ``model`` of type ``kind``, in registration order."""
    return [m for m in model.modules() if isinstance(m, kind)]


def tiny_classifier(in_channels: int = 3, seed: int = 0) -> nn.Module:
    """A known-good binary classifier for images of any size: (B, C, H, W) -> (B, 1) in (0, 1).

    conv 3x3 (4 filters) -> ReLU -> global average pooling -> linear -> sigmoid;
    no dropout or batch norm, so it computes the same in train and eval mode.
    Weights are drawn from ``seed`` without touching the global RNG.
    """
    with seeded(seed):
        return nn.Sequential(
            nn.Conv2d(in_channels, 4, kernel_size=3, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 1), nn.Sigmoid(),
        )


class MeanPixelModel(nn.Module):
    """A classifier with known outputs: the mean of each image, (B, C, H, W) -> (B, 1).

    In training mode it returns ``1 - mean`` instead, like a layer that behaves
    differently while training (dropout, batch norm): code that forgets
    ``model.eval()`` sees the opposite predictions. Its one parameter (a scale
    fixed at 1) lets code ask for ``model.parameters()``.
    """

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, x):
        mean = x.flatten(1).mean(dim=1, keepdim=True) * self.scale
        return 1 - mean if self.training else mean


@dataclass(frozen=True)
class Forward:
    """One recorded forward pass."""

    training: bool
    grad_enabled: bool
    batch_size: int


class ModeRecorder(nn.Module):
    """Wraps a model and records how it is used in training and validation.

    * ``calls``: one :class:`Forward` per forward pass: the mode
      (``model.train()``/``model.eval()``), whether autograd was on, the batch size;
    * ``backwards`` and ``stale_backwards``: backward passes, and those that found
      a gradient left over from an earlier one (``optimizer.zero_grad()`` missing).

    ``train()``/``eval()`` reach the wrapped model as usual (it is a child module).

    Notes
    -----
    A hook on the first trainable parameter runs when its gradient has been
    computed but not yet added to ``.grad``; at that moment ``.grad`` must be
    None or zero if gradients were reset since the previous backward pass.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        self.calls: list[Forward] = []
        self.backwards = 0
        self.stale_backwards = 0
        watched = next((p for p in model.parameters() if p.requires_grad), None)
        if watched is not None:
            watched.register_hook(functools.partial(self._on_gradient, watched))

    def forward(self, x):
        self.calls.append(Forward(self.training, torch.is_grad_enabled(), int(x.shape[0])))
        return self.model(x)

    def _on_gradient(self, parameter: torch.Tensor, gradient: torch.Tensor) -> None:
        self.backwards += 1
        if parameter.grad is not None and bool(parameter.grad.abs().sum() > 0):
            self.stale_backwards += 1

    def seen(self, *, training: bool, grad_enabled: bool) -> int:
        """How many images went through forward passes in this mode."""
        return sum(c.batch_size for c in self.calls if c.training == training and c.grad_enabled == grad_enabled)


# ------------------------------------------------------------------ datasets


class ImageDataset(Dataset):
    """Fixed images (N, C, H, W) and integer labels, with ImageFolder's attributes."""

    def __init__(self, images: torch.Tensor, labels: Sequence[int], classes: Sequence[str] = DEFAULT_CLASSES):
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.images = images
        self.targets = [int(y) for y in labels]
        self.classes = list(classes)
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        return self.images[index], self.targets[index]


class ReadOrderDataset(Dataset):
    """Wraps a dataset and records the index of every item read, in order (``reads``)."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.reads: list[int] = []
        for name in ("classes", "class_to_idx", "targets"):
            if hasattr(dataset, name):
                setattr(self, name, getattr(dataset, name))

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        self.reads.append(int(index))
        return self.dataset[index]

    def read_in_order(self) -> bool:
        """Whether some run of ``len(self)`` consecutive reads is 0, 1, ..., N-1 (no shuffling)."""
        n = len(self)
        in_order = 0
        for index in self.reads:
            in_order = in_order + 1 if index == in_order else (1 if index == 0 else 0)
            if in_order == n:
                return True
        return False


def constant_images(values: Iterable[float], labels: Sequence[int], shape=(3, 4, 4),
                    classes: Sequence[str] = DEFAULT_CLASSES) -> ImageDataset:
    """One image per value, every pixel equal to it; with :class:`MeanPixelModel` the outputs are ``values``."""
    values = torch.tensor(list(values), dtype=torch.float32)
    images = values.reshape(-1, *([1] * len(shape))).expand(-1, *shape).contiguous()
    return ImageDataset(images, labels, classes)


def two_class_images(n: int, size: int = 8, channels: int = 3, seed: int = 0,
                     classes: Sequence[str] = DEFAULT_CLASSES) -> ImageDataset:
    """``n`` noisy images in [0, 1], alternately of class 0 and 1; class 1 is brighter.

    Easy to learn: any working training loop lowers the loss within a few epochs.
    """
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    brightness = np.where(labels == 1, 0.65, 0.35)[:, None, None, None]
    images = np.clip(brightness + rng.normal(0, 0.1, size=(n, channels, size, size)), 0, 1)
    return ImageDataset(torch.from_numpy(images.astype(np.float32)), labels.tolist(), classes)


# ------------------------------------------------------------------ checks


def check_tensor(value, what: str) -> torch.Tensor:
    """``value`` must be a torch tensor."""
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(value).__name__}")
    return value


def check_tensor_close(actual, expected, what: str, rtol: float | None = None, atol: float | None = None,
                       hint: str | None = None) -> None:
    """:func:`cnncourse.checks.check_close` for tensors (tolerance from the dtype of ``actual``)."""
    _record.record(what, actual, "close", rtol=rtol, atol=atol, hint=hint)
    check_tensor(actual, what)
    problem = compare_close(actual.detach().cpu().numpy(), _numpy(expected), rtol, atol)
    if problem:
        raise AssertionError(f"{what}: {problem}" + (f" ({hint})" if hint else ""))


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def check_probabilities(output, batch_size: int, what: str) -> torch.Tensor:
    """A binary classifier's output: a tensor (B, 1) of finite values strictly between 0 and 1."""
    _record.record(what, output, "probabilities", batch_size=batch_size)
    output = check_tensor(output, what)
    problem = compare_probabilities(_numpy(output), batch_size)
    if problem:
        raise AssertionError(f"{what}: {problem}")
    return output


def check_parameter_count(model: nn.Module, what: str, expected: int | None = None, below: int | None = None) -> int:
    """Trainable parameters: exactly ``expected`` and/or fewer than ``below``."""
    count = count_trainable(model)
    if expected is not None:
        _record.record(what, count, "equal")
        if count != expected:
            raise AssertionError(f"{what}: {count} trainable parameters, expected {expected}")
    if below is not None:
        _record.record(f"{what} (limit)", count, "below", limit=below)
        if count >= below:
            raise AssertionError(f"{what}: {count} trainable parameters, must be fewer than {below}")
    return count


# ------------------------------------------------------------------ submodules


@dataclass
class Call:
    """One recorded call of a submodule: its first input and its output (detached)."""

    input: torch.Tensor
    output: torch.Tensor


@contextlib.contextmanager
def recorded_calls(module: nn.Module):
    """Record every call of ``module`` during the block, as a list of :class:`Call`.

    Shows what a submodule received inside a student's ``forward``, e.g. whether a
    dropout sits between two parts of a model, without depending on how ``forward``
    is written (the submodule only has to be called, ``module(x)``). Hooks are
    removed after the block.
    """
    calls: list[Call] = []

    def hook(_module, args, output):
        calls.append(Call(args[0].detach(), output.detach()))

    handle = module.register_forward_hook(hook)
    try:
        yield calls
    finally:
        handle.remove()


# ------------------------------------------------------------------ training loops
#
# Recorders for a loop the student wrote (train, validate, evaluate): they only
# watch, through hooks that are removed after the block, and record raw
# observations; what is right or wrong is decided elsewhere.


class PassLog:
    """What :func:`recorded_passes` saw.

    * ``calls``: one :class:`Forward` per forward pass of the model (mode,
      whether autograd was on, batch size), in order;
    * ``outputs``: the model's output of each pass (detached copies), when asked for;
    * ``backwards`` / ``stale_backwards``: backward passes, and those that found a
      gradient left over from an earlier one (``optimizer.zero_grad()`` missing).
    """

    def __init__(self):
        self.calls: list[Forward] = []
        self.outputs: list[torch.Tensor] = []
        self.backwards = 0
        self.stale_backwards = 0

    def table(self) -> list[tuple[bool, bool, int]]:
        """``[(training, grad_enabled, batch_size), ...]``, one per forward pass."""
        return [(c.training, c.grad_enabled, c.batch_size) for c in self.calls]


@contextlib.contextmanager
def recorded_passes(model: nn.Module, keep_outputs: bool = False):
    """Record every forward (and backward) pass of ``model`` during the block, as a :class:`PassLog`.

    Unlike :class:`ModeRecorder` nothing is wrapped: the student's code gets the
    model itself (its attributes, its class), so any way of calling ``model(x)``
    is seen. The gradient hook sits on the first parameter that requires a gradient.
    """
    log = PassLog()

    def on_forward(module, args, kwargs, output):
        first = args[0] if args else next(iter(kwargs.values()), None)
        size = int(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() else 0
        log.calls.append(Forward(bool(module.training), torch.is_grad_enabled(), size))
        if keep_outputs and isinstance(output, torch.Tensor):
            log.outputs.append(output.detach().clone())

    handles = [model.register_forward_hook(on_forward, with_kwargs=True)]
    watched = next((p for p in model.parameters() if p.requires_grad), None)
    if watched is not None:
        def on_gradient(gradient):
            log.backwards += 1
            if watched.grad is not None and bool(watched.grad.abs().sum() > 0):
                log.stale_backwards += 1

        handles.append(watched.register_hook(on_gradient))
    try:
        yield log
    finally:
        for handle in handles:
            handle.remove()


class OptimizerUse:
    """One optimizer that took steps: its class, learning rates, parameters and step count."""

    def __init__(self, kind: str, lrs: list[float], params: list[int]):
        self.type = kind
        self.lrs = lrs
        self.params = params
        self.steps = 0

    def summary(self) -> dict:
        """A plain dict (for a record): ``type``, ``lr`` (one per parameter group), ``params``, ``steps``."""
        return {"type": self.type, "lr": list(self.lrs), "params": list(self.params), "steps": self.steps}


@contextlib.contextmanager
def recorded_optimizers(model: nn.Module):
    """Record every ``torch.optim`` optimizer that steps during the block, as a list of :class:`OptimizerUse`.

    Uses torch's global step hook, so nothing is patched and an optimizer is seen
    however the code created it. ``params`` are indices into
    ``list(model.parameters())`` (-1 for a tensor that is not one of them).
    """
    from torch.optim.optimizer import register_optimizer_step_post_hook

    index = {id(p): i for i, p in enumerate(model.parameters())}
    seen: dict = {}
    uses: list[OptimizerUse] = []

    def on_step(optimizer, args, kwargs):
        use = seen.get(id(optimizer))
        if use is None:
            groups = optimizer.param_groups
            params = sorted(index.get(id(p), -1) for group in groups for p in group["params"])
            use = OptimizerUse(type(optimizer).__name__, [float(group["lr"]) for group in groups], params)
            seen[id(optimizer)] = use
            uses.append(use)
            keep.append(optimizer)  # ids stay unique while the block runs
        use.steps += 1

    keep: list = []
    handle = register_optimizer_step_post_hook(on_step)
    try:
        yield uses
    finally:
        handle.remove()


# ------------------------------------------------------------------ training steps, operators, figures


class StepLog:
    """What :func:`recorded_steps` saw: forward and backward passes in the order they happened.

    ``events``: ``("forward", training, grad_enabled, batch_size)`` for each forward
    pass, ``("backward", stale)`` for each backward pass (``stale``: it found a
    gradient left over from an earlier one, ``optimizer.zero_grad()`` missing). A
    forward pass directly followed by a backward pass is a training step; the
    others are evaluation passes (validation, accuracy), whatever their mode.
    """

    def __init__(self):
        self.events: list[tuple] = []

    def _split(self, step: bool) -> list[Forward]:
        following = self.events[1:] + [("end",)]
        return [Forward(*event[1:]) for event, after in zip(self.events, following)
                if event[0] == "forward" and (after[0] == "backward") == step]

    def steps(self) -> list[Forward]:
        """The forward passes of training steps, in order."""
        return self._split(True)

    def passes(self) -> list[Forward]:
        """The other forward passes, in order."""
        return self._split(False)

    @property
    def stale_backwards(self) -> int:
        return sum(1 for event in self.events if event[0] == "backward" and event[1])


@contextlib.contextmanager
def recorded_steps(model: nn.Module):
    """Record the forward and backward passes of ``model`` during the block, in order, as a :class:`StepLog`.

    Hooks only (removed after the block): the student's code gets the model itself.
    The gradient hook sits on the first parameter that requires a gradient.
    """
    log = StepLog()

    def on_forward(module, args, kwargs, output):
        first = args[0] if args else next(iter(kwargs.values()), None)
        size = int(first.shape[0]) if isinstance(first, torch.Tensor) and first.dim() else 0
        log.events.append(("forward", bool(module.training), bool(torch.is_grad_enabled()), size))

    handles = [model.register_forward_hook(on_forward, with_kwargs=True)]
    watched = next((p for p in model.parameters() if p.requires_grad), None)
    if watched is not None:
        def on_gradient(gradient):
            log.events.append(("backward", watched.grad is not None and bool(watched.grad.abs().sum() > 0)))

        handles.append(watched.register_hook(on_gradient))
    try:
        yield log
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def recorded_ops():
    """Record the name of every ATen operator that runs during the block (backward passes included).

    Yields a list of names such as ``"mm"``, ``"im2col"``, ``"convolution"``: what
    really ran, however it was called (``F.conv2d``, ``nn.Conv2d``, ``torch.ops.aten...``).
    """
    from torch.utils._python_dispatch import TorchDispatchMode

    names: list[str] = []

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            packet = getattr(func, "overloadpacket", None)
            names.append(str(getattr(packet, "__name__", func)))
            return func(*args, **(kwargs or {}))

    with Recorder():
        yield names


CONVOLUTION_OPS = ("conv1d", "conv2d", "conv3d", "conv_", "convolution", "mkldnn_conv", "thnn_conv", "slow_conv",
                   "cudnn_conv", "miopen_conv")


def convolution_ops(names: Iterable[str]) -> list[str]:
    """The convolution operators among ATen operator names (sorted, without repeats)."""
    return sorted({n for n in names if n.lstrip("_").startswith(CONVOLUTION_OPS) or "convolution" in n})


@contextlib.contextmanager
def scratch_outputs(namespace: dict | None = None):
    """Send figures to a temporary folder during the block (yielded), not to the student's ``outputs/``.

    Sets ``$COURSE_OUTPUT_DIR`` (read by :func:`cnncourse.paths.outputs_dir`) and, in
    ``namespace`` (the notebook's ``globals()``), replaces ``outputs_dir`` by a
    function that returns the folder. Both are restored afterwards; the folder is deleted.
    """
    import tempfile
    from pathlib import Path

    from cnncourse.checks import patched
    from cnncourse.paths import OUTPUT_ENV

    with tempfile.TemporaryDirectory(prefix="cnncourse-figures-") as folder:
        path = Path(folder)
        saved = os.environ.get(OUTPUT_ENV)
        os.environ[OUTPUT_ENV] = str(path)
        try:
            with patched(namespace if namespace is not None else {}, outputs_dir=lambda: path):
                yield path
        finally:
            if saved is None:
                os.environ.pop(OUTPUT_ENV, None)
            else:
                os.environ[OUTPUT_ENV] = saved


@contextlib.contextmanager
def patched_attributes(owner, **replacements):
    """Temporarily replace attributes of a class (or any object), e.g. the methods of a parent class.

    A class the notebook asks to inherit from is tested with a stand-in parent:
    ``with patched_attributes(AdaptedVGG, __init__=..., train=...)`` changes what
    ``super()`` finds in every subclass, and restores the originals afterwards
    (also an attribute that was inherited rather than defined on ``owner``).
    """
    missing = object()
    own = vars(owner) if isinstance(owner, type) else getattr(owner, "__dict__", {})
    saved = {name: own.get(name, missing) for name in replacements}
    try:
        for name, value in replacements.items():
            setattr(owner, name, value)
        yield owner
    finally:
        for name, value in saved.items():
            if value is missing:
                delattr(owner, name)
            else:
                setattr(owner, name, value)
