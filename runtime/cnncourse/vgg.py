"""VGG-11 ImageNet weights without a network: where notebooks look, and the offline profile.

Notebooks call :func:`load_vgg11`. Instructors install the weights with
``python -m cnnkit weights install FILE`` (in the course repository).

Notes
-----
Where the weights come from; the first rule that applies wins:

1. ``COURSE_VGG_WEIGHTS=random``: the *offline profile*, a randomly initialised
   VGG-11 (always the same one: seed :data:`RANDOM_SEED`), announced in the
   output. Everything runs; accuracies are those of random features.
2. ``COURSE_VGG_WEIGHTS=<file>``: a VGG-11 state dict saved with ``torch.save``.
3. torchvision's cache, ``$TORCH_HOME/hub/checkpoints/vgg11-8a719046.pth``
   (``TORCH_HOME`` defaults to ``~/.cache/torch``), loaded by
   ``vgg11(weights=VGG11_Weights.IMAGENET1K_V1)``. torchvision
   (``torch.hub.load_state_dict_from_url``) downloads only when that file is
   missing, and the kit calls it only when the file is there, so the download
   path is never reached.
4. Nothing found: while nbgrader executes the notebook (``NBGRADER_EXECUTION``
   set) the offline profile with a printed notice, since grades must not depend
   on pretrained values; otherwise :class:`WeightsNotFoundError`, whose message
   says where to put the file and how a hub admin pre-loads it.

torchvision names the file after the first 8 hex digits of its SHA-256
(``8a719046``); ``install`` checks them and the size (506.84 MiB, from
torchvision's own metadata) before copying.

Building VGG-11 draws 133 million random initial weights (1–2 s). The offline
profile draws them once per process and gives every model a copy; weights read
from a file go straight into a model built without initialisation.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import torch

WEIGHTS_ENV = "COURSE_VGG_WEIGHTS"
RANDOM = "random"
RANDOM_SEED = 0
FILE_NAME = "vgg11-8a719046.pth"
SHA256_PREFIX = "8a719046"
FILE_MIB = 506.84  # VGG11_Weights.IMAGENET1K_V1.meta["_file_size"]
SIZE_TOLERANCE_MIB = 0.01
URL = "https://download.pytorch.org/models/vgg11-8a719046.pth"


class WeightsNotFoundError(FileNotFoundError):
    """No VGG-11 weights where the kit looks; the message says how to install them."""


@dataclass(frozen=True)
class WeightsSource:
    """Where :func:`load_vgg11` takes the weights from: ``kind`` is random, file or cache."""

    kind: str
    path: Path | None
    note: str


def cache_path() -> Path:
    """``$TORCH_HOME/hub/checkpoints/vgg11-8a719046.pth``, where torchvision looks."""
    return Path(torch.hub.get_dir()) / "checkpoints" / FILE_NAME


def resolve() -> WeightsSource:
    """The weights :func:`load_vgg11` would use now (rules in the module notes)."""
    setting = os.environ.get(WEIGHTS_ENV, "").strip()
    if setting == RANDOM:
        return WeightsSource(RANDOM, None, f"offline profile ({WEIGHTS_ENV}=random)")
    if setting:
        path = Path(setting).expanduser()
        if not path.is_file():
            raise WeightsNotFoundError(f"{WEIGHTS_ENV} is set to {path}, which is not a file.\n" + how_to_install())
        return WeightsSource("file", path, f"{WEIGHTS_ENV}={path}")
    cached = cache_path()
    if cached.is_file():
        return WeightsSource("cache", cached, f"torchvision cache {cached}")
    if os.environ.get("NBGRADER_EXECUTION"):
        return WeightsSource(RANDOM, None, f"offline profile (no weights at {cached}; grading does not need them)")
    raise WeightsNotFoundError("VGG-11 ImageNet weights not found.\n" + how_to_install())


def how_to_install() -> str:
    """Where the weights file goes and whom to ask, for error messages."""
    cached = cache_path()
    return (
        "This notebook never downloads them.\n"
        "  * On the course JupyterHub they are installed for you: if you see this message there, tell "
        "your instructor (nothing is wrong with your notebook).\n"
        f"  * On your own computer: download {FILE_NAME} (507 MB, {URL}) and copy it to\n"
        f"      {cached}\n"
        f"  * Or set {WEIGHTS_ENV}=random to work with a random backbone for now: everything runs, "
        "accuracy stays low.\n"
        "(Instructors: `python -m cnnkit weights install FILE` checks the file and installs it; on a hub, "
        "into a shared TORCH_HOME.)"
    )


def load_vgg11():
    """torchvision's VGG-11 (1000 classes) with the weights of :func:`resolve`; says which on stdout."""
    from torchvision.models import VGG11_Weights, vgg11

    source = resolve()
    if source.kind == RANDOM:
        print(f"VGG-11: {source.note}: randomly initialised backbone (seed {RANDOM_SEED}), "
              "not ImageNet features; expect low accuracy.")
        return _with_state({name: tensor.clone() for name, tensor in _random_state().items()})
    if source.kind == "cache":
        model = vgg11(weights=VGG11_Weights.IMAGENET1K_V1)
    else:
        model = _with_state(torch.load(source.path, map_location="cpu", weights_only=True), source.path)
    print(f"VGG-11: pretrained weights from {source.note}.")
    return model


@functools.lru_cache(maxsize=1)
def _random_state() -> dict:
    """The offline profile's weights: torchvision's initialisation, seeded, drawn once per process."""
    from torchvision.models import vgg11

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_SEED)
        return vgg11().state_dict()


def _with_state(state: dict, origin: Path | None = None):
    """A VGG-11 that takes over the tensors of ``state`` (no time spent on a throw-away initialisation)."""
    from torchvision.models import vgg11

    with torch.device("meta"):
        model = vgg11(init_weights=False)
    expected, given = set(model.state_dict()), set(state)
    if expected != given:
        raise RuntimeError(f"{origin} is not a VGG-11 state dict: missing keys {sorted(expected - given)[:3]}, "
                           f"unexpected keys {sorted(given - expected)[:3]}")
    model.load_state_dict(state, assign=True)
    return model
