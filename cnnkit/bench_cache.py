"""``python -m cnnkit bench cache``: assignment 4's training epochs with and without the feature cache.

The reference ``transfer_train`` of ``source/04_vgg_transfer`` (run from the
notebook, not copied) trains a ``DropoutAdaptedVGG`` twice on the same images:

* plain: every epoch sends every image through VGG-11;
* cached: :func:`cnncourse.features.cache_features` computes the backbone's output
  once, then ``head_only(model)`` is trained on it.

It prints the mean time of epochs 2.. of each (epoch 1 pays for warm-up), the
one-off cost of building the cache, and the ratio (goal: at least 10×).

Notes
-----
* Weights: the offline profile (random backbone); speed does not depend on them.
* Epochs are timed at the reference's ``store_checkpoint`` calls (one per epoch),
  replaced here by a timestamp: a checkpoint of the plain model holds the
  530 MB backbone, and writing it would measure the disk, not the training.
* Data: the configured casting data, or else the synthetic ``ci`` profile in
  ``.cache/data-ci``; a fixed random subset of the train folder.
"""
from __future__ import annotations

import contextlib
import io
import os
import time

import torch
from torch.utils.data import Subset

from cnnkit import notebooks, paths
from cnnkit.course import load
from cnncourse.features import cache_features, head_only
from cnnkit.weights import RANDOM, WEIGHTS_ENV

ASSIGNMENT = "04_vgg_transfer"
BATCH_SIZE = 32
LEARNING_RATE = 1e-3


def main(quick: bool = False, resolution: int | None = None, images: int | None = None, epochs: int | None = None):
    """Time both loops and print the ratio; ``resolution`` 224 for real runs, 64 by default."""
    resolution = resolution or (32 if quick else 64)
    images = images or (24 if quick else 96)
    epochs = epochs or (3 if quick else 5)
    with _offline_data(), _environment({WEIGHTS_ENV: RANDOM}):
        reference = notebooks.reference_namespace(load().source_notebook(ASSIGNMENT), name="bench")
        train, val = _subsets(reference, resolution, images)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            plain = _epoch_times(reference, _model(reference), train, val, epochs)
            model = _model(reference)
            started = time.perf_counter()
            train_features = cache_features(model.backbone, train, progress=False)
            val_features = cache_features(model.backbone, val, progress=False)
            cache_seconds = time.perf_counter() - started
            cached = _epoch_times(reference, head_only(model), train_features, val_features, epochs)
    plain_epoch, cached_epoch = _mean(plain[1:]), _mean(cached[1:])
    print(f"reference transfer_train, DropoutAdaptedVGG (random backbone), {len(train)} train + {len(val)} "
          f"validation images at {resolution}x{resolution}, batch {BATCH_SIZE}, epochs 2..{epochs}")
    print(f"  plain loop (VGG-11 in every epoch): {plain_epoch:8.3f} s/epoch")
    print(f"  cached backbone features:           {cached_epoch:8.3f} s/epoch "
          f"(+ {cache_seconds:.2f} s once to build the cache)")
    print(f"  speed-up of epochs 2..: x{plain_epoch / cached_epoch:.0f} (goal: x10)")


def _model(reference: dict) -> torch.nn.Module:
    torch.manual_seed(0)
    return reference["DropoutAdaptedVGG"]()


def _subsets(reference: dict, resolution: int, images: int) -> tuple[Subset, Subset]:
    """``images`` training and ``images // 4`` validation images, the same for both loops."""
    train, val, _ = reference["casting_datasets"](resolution)
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(0)).tolist()
    return Subset(train, order[:images]), Subset(val, list(range(min(len(val), max(1, images // 4)))))


def _epoch_times(reference: dict, model, train, val, epochs: int) -> list[float]:
    """Seconds per epoch of the reference transfer_train; no early stop (patience = epochs)."""
    marks = [time.perf_counter()]
    reference["store_checkpoint"] = lambda model, epoch, directory=None: marks.append(time.perf_counter())
    reference["transfer_train"](model, train, val, epochs=epochs, batch_size=BATCH_SIZE,
                                learning_rate=LEARNING_RATE, patience=epochs)
    return [later - earlier for earlier, later in zip(marks, marks[1:])]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@contextlib.contextmanager
def _offline_data():
    """The configured casting data, or else the cached synthetic ``ci`` profile."""
    try:
        paths.casting_dir()
    except paths.DataNotFoundError:
        from cnnkit.data.synthetic import ensure_dataset

        casting = ensure_dataset(paths.repo_root() / ".cache" / "data-ci", "ci", seed=0)
        with _environment({paths.DATA_ENV: str(casting.parent)}):
            yield
        return
    yield


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
