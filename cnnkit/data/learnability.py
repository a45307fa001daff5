"""Is the synthetic data learnable, and only through its defects?

``python -m cnnkit.data.learnability --profile ci`` trains a small CNN on the
grayscale images downsampled to 64×64 and reports its test accuracy, next to a
brightness-only baseline (a threshold on the mean intensity, fitted on the
training split). The figures are recorded in ``data/README.md``.

Notes
-----
The CNN (~65 k parameters): four blocks of 3×3 convolution (16, 32, 64, 64
filters), batch normalisation, ReLU and 2×2 max pooling, then global max
pooling and a linear layer to one logit; inputs standardised with the training
mean and standard deviation; Adam (lr 1e-3), BCE. Global max pooling suits
defects that can be anywhere on the part. Without batch normalisation and
standardised inputs a CNN this small often stays at the majority class.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from cnnkit.paths import CLASSES, SPLITS

SIZE = 64


def load_split(casting: Path, split: str, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, size, size) float32 in [0, 1] and labels (N,) with def_front = 0, ok_front = 1."""
    from PIL import Image

    images, labels = [], []
    for label, cls in enumerate(CLASSES):
        for path in sorted((casting / split / cls).glob("*.jpeg")):
            with Image.open(path) as image:
                small = image.convert("L").resize((size, size), Image.BILINEAR)
            images.append(np.asarray(small, dtype=np.float32) / 255.0)
            labels.append(label)
    return np.stack(images)[:, None], np.array(labels, dtype=np.float32)


def brightness_baseline(train: tuple, test: tuple) -> float:
    """Test accuracy of the best threshold on the mean intensity (either direction)."""
    (x_train, y_train), (x_test, y_test) = train, test
    m_train, m_test = x_train.mean(axis=(1, 2, 3)), x_test.mean(axis=(1, 2, 3))
    best = max(
        ((np.mean((m_train > t) == (y_train == 1)) if above else np.mean((m_train <= t) == (y_train == 1))), t, above)
        for t in np.unique(m_train) for above in (True, False)
    )
    _, threshold, above = best
    predicted = (m_test > threshold) if above else (m_test <= threshold)
    return float(np.mean(predicted == (y_test == 1)))


def small_cnn():
    from torch import nn

    blocks = []
    for f_in, f_out in ((1, 16), (16, 32), (32, 64), (64, 64)):
        blocks += [nn.Conv2d(f_in, f_out, 3, padding=1), nn.BatchNorm2d(f_out), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(*blocks, nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, 1))


def train_and_test(train: tuple, test: tuple, epochs: int, seed: int = 0) -> float:
    """Test accuracy of :func:`small_cnn` after ``epochs`` of Adam on ``train``."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = small_cnn()
    mean, std = train[0].mean(), train[0].std()
    x, y = torch.from_numpy((train[0] - mean) / std), torch.from_numpy(train[1])
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(x)).split(32):
            optimiser.zero_grad()
            loss_fn(model(x[batch]).squeeze(1), y[batch]).backward()
            optimiser.step()
    model.eval()
    with torch.no_grad():
        x_test = torch.from_numpy((test[0] - mean) / std)
        logits = torch.cat([model(chunk) for chunk in x_test.split(256)]).squeeze(1)
    return float(((logits > 0).float() == torch.from_numpy(test[1])).float().mean())


def main(argv: list[str] | None = None) -> int:
    from cnnkit.data.synthetic import ensure_dataset
    from cnnkit.paths import repo_root

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    casting = ensure_dataset(repo_root() / ".cache" / f"data-{args.profile}", args.profile, seed=0)
    train, test = (load_split(casting, split) for split in SPLITS)
    print(f"{args.profile}: {len(train[1])} training, {len(test[1])} test images at {SIZE}x{SIZE}")
    print(f"brightness-only baseline: {brightness_baseline(train, test):.1%} test accuracy")
    accuracy = train_and_test(train, test, args.epochs)
    print(f"small CNN, {args.epochs} epochs: {accuracy:.1%} test accuracy "
          f"({time.perf_counter() - started:.0f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
