"""Is a casting dataset learnable, and only through its defects?

``python -m cnnkit.data.learnability --profile ci`` trains a small CNN on the
grayscale images downsampled to 64×64, reports its test-split accuracy and
the time taken, and compares it with two baselines: always answering the
training split's majority class, and a threshold on the global mean
intensity fitted on the training split. The figures are recorded in
``data/README.md``.

Notes
-----
Labels follow the order of ``cnnkit.paths.CLASSES``: def_front = 0,
ok_front = 1 (torchvision's ImageFolder order).

The CNN (23 585 parameters): three blocks of 3×3 convolution (16, 32, 64
filters, padding 1), batch normalisation, ReLU and 2×2 max pooling, then
global max pooling and a linear layer to one logit. Global max pooling asks
"is there a defect anywhere?", which suits defects that can be anywhere on
the part. Inputs are standardised with the training mean and standard
deviation; training uses Adam (learning rate 2e-3), binary cross-entropy,
batches of 32, and random flips and quarter turns (a round part keeps its
label when turned).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnkit.paths import CLASSES, SPLITS

SIZE = 64
DEFAULT_EPOCHS = {"ci": 40, "full": 8}


def load_split(casting: Path, split: str, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Images uint8 (N, size, size), grayscale, and labels int64 (N,) of one split.

    JPEGs are decoded at reduced scale (``draft``) and then resized with
    PIL's antialiasing bilinear filter.
    """
    images, labels = [], []
    for label, cls in enumerate(CLASSES):
        for path in sorted((Path(casting) / split / cls).glob("*.jpeg")):
            with Image.open(path) as image:
                image.draft("L", (size, size))
                images.append(np.asarray(image.convert("L").resize((size, size), Image.BILINEAR)))
            labels.append(label)
    return np.stack(images), np.array(labels, dtype=np.int64)


def majority_baseline(train_labels: np.ndarray, test_labels: np.ndarray) -> float:
    """Test accuracy of always answering the training split's most frequent label."""
    majority = np.bincount(train_labels).argmax()
    return float(np.mean(test_labels == majority))


def brightness_baseline(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """(training, test) accuracy of the best threshold on the per-image mean intensity.

    Notes
    -----
    The rule is ``label = [mean > t]`` or its opposite; t and the direction
    maximise the training accuracy. With the training means sorted, putting
    t after the k-th one scores ``(zeros among the first k + ones after them) / N``.
    """
    (x_train, y_train), (x_test, y_test) = train, test
    m_train, m_test = x_train.mean(axis=(1, 2)), x_test.mean(axis=(1, 2))
    order = np.argsort(m_train)
    ones = np.concatenate([[0], np.cumsum(y_train[order])])
    zeros = np.arange(len(order) + 1) - ones
    accuracy_above = (zeros + ones[-1] - ones) / len(order)
    k = int(np.argmax(np.maximum(accuracy_above, 1 - accuracy_above)))
    threshold = m_train[order[k - 1]] if k else -np.inf
    flip = accuracy_above[k] < 0.5
    predicted = (m_test > threshold) ^ flip
    return float(max(accuracy_above[k], 1 - accuracy_above[k])), float(np.mean(predicted == y_test.astype(bool)))


def small_cnn() -> nn.Module:
    """The CNN of the module notes: (N, 1, H, W) float32 → (N, 1) logits of ok_front."""
    blocks = []
    for f_in, f_out in ((1, 16), (16, 32), (32, 64)):
        blocks += [nn.Conv2d(f_in, f_out, 3, padding=1), nn.BatchNorm2d(f_out), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, 1))


def _augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The batch (N, 1, H, W) flipped left-right at random and turned by a random multiple of 90°."""
    if torch.rand(1, generator=generator) < 0.5:
        batch = batch.flip(3)
    return torch.rot90(batch, int(torch.randint(4, (1,), generator=generator)), dims=(2, 3))


def train_and_test(train: tuple[np.ndarray, np.ndarray], test: tuple[np.ndarray, np.ndarray],
                   epochs: int, seed: int = 0) -> dict:
    """Train :func:`small_cnn` on ``train`` and measure it on ``test``.

    Returns test accuracy, per-class recall (a dict keyed by class name),
    the number of parameters and the training time in seconds.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = small_cnn()
    mean, std = float(train[0].mean()), float(train[0].std())

    def tensor(images):
        return torch.from_numpy((images.astype(np.float32) - mean) / std)[:, None]

    x, y = tensor(train[0]), torch.from_numpy(train[1]).float()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    started = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(x), generator=generator).split(32):
            optimiser.zero_grad()
            loss_fn(model(_augment(x[batch], generator)).squeeze(1), y[batch]).backward()
            optimiser.step()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(chunk) for chunk in tensor(test[0]).split(256)]).squeeze(1) > 0
    correct = predicted.numpy() == test[1].astype(bool)
    recall = {cls: float(correct[test[1] == label].mean()) for label, cls in enumerate(CLASSES)}
    return {"accuracy": float(correct.mean()), "recall": recall,
            "parameters": sum(p.numel() for p in model.parameters()), "seconds": seconds}


def _casting_folder(args) -> Path:
    if args.data:
        from cnnkit.data.verify import find_root

        found = find_root(Path(args.data))
        if found is None:
            raise SystemExit(f"no casting dataset at {args.data}")
        return found[0]
    from cnnkit.data.synthetic import ensure_dataset
    from cnnkit.paths import repo_root

    return ensure_dataset(repo_root() / ".cache" / f"data-{args.profile}", args.profile, seed=args.seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnnkit.data.learnability", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(DEFAULT_EPOCHS), default="ci",
                        help="synthetic profile, generated into .cache/data-<profile> if needed")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (the CNN always uses 0)")
    parser.add_argument("--epochs", type=int, help="default: 40 for ci, 8 for full")
    parser.add_argument("--data", help="another casting dataset (e.g. the real one) instead of a profile")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: on a shared 2-core machine, 2 threads ran 4x slower)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    epochs = args.epochs or DEFAULT_EPOCHS[args.profile]
    started = time.perf_counter()
    casting = _casting_folder(args)
    train, test = (load_split(casting, split) for split in SPLITS)
    print(f"{casting}: {len(train[1])} training, {len(test[1])} test images at {SIZE}x{SIZE} "
          f"(ready in {time.perf_counter() - started:.1f} s)")
    print(f"majority class:  {majority_baseline(train[1], test[1]):.1%} test accuracy")
    fitted, tested = brightness_baseline(train, test)
    print(f"brightness only: {tested:.1%} test accuracy ({fitted:.1%} on the training split it was fitted on)")
    result = train_and_test(train, test, epochs)
    recall = ", ".join(f"{cls} {value:.1%}" for cls, value in result["recall"].items())
    print(f"small CNN ({result['parameters']} parameters, {epochs} epochs, {result['seconds']:.0f} s of training): "
          f"{result['accuracy']:.1%} test accuracy (recall: {recall})")
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
