"""``python -m cnnkit data``: write the synthetic casting dataset and the example image."""
from __future__ import annotations

import time
from pathlib import Path

from cnnkit.data.example_image import FILE_NAME, save_example_image
from cnnkit.data.synthetic import PROFILES, ensure_dataset, generate_dataset


def add_arguments(parser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci",
                        help="ci: 48 train + 24 test images per class; full: the Kaggle dataset's counts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="folder to write casting_data/ into (default: the repository's data/)")
    parser.add_argument("--force", action="store_true", help="regenerate even if an up-to-date copy exists")


def run(args) -> int:
    from cnnkit.paths import repo_root

    out = args.out or repo_root() / "data"
    started = time.perf_counter()
    make = generate_dataset if args.force else ensure_dataset
    casting = make(out, args.profile, args.seed)
    image = save_example_image(out / FILE_NAME)
    counts = PROFILES[args.profile]
    total = sum(n for split in counts.values() for n in split.values())
    print(f"{casting}: {args.profile} profile, seed {args.seed}, {total} images "
          f"({time.perf_counter() - started:.1f} s)")
    print(f"{image}: example image for the filtering exercises")
    return 0
