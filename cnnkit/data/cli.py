"""``python -m cnnkit data``: write the synthetic casting dataset, the defect-type dataset and the example image.

Both go into ``--out`` (default: the repository's ``data/``). Without
``--force`` an up-to-date copy (same profile, seed and generator version) is
kept as it is; a folder holding the real dataset is never overwritten.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from cnnkit.data.example_image import FILE_NAME, save_example_image
from cnnkit.data.synthetic import PROFILES, ensure_defect_types, generate_dataset, generate_defect_types, is_current
from cnnkit.paths import CASTING


def add_arguments(parser) -> None:
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci",
                        help="ci: 48 train + 24 test images per class; full: the Kaggle dataset's counts")
    parser.add_argument("--seed", type=int, default=0, help="same seed, byte-identical files (default 0)")
    parser.add_argument("--out", type=Path,
                        help="folder to write casting_data/ and the example image into (default: the repository's data/)")
    parser.add_argument("--force", action="store_true", help="regenerate even if an up-to-date copy exists")


def run(args) -> int:
    from cnnkit.paths import repo_root

    out = args.out or repo_root() / "data"
    started = time.perf_counter()
    casting = out / CASTING
    counts = PROFILES[args.profile]
    total = sum(n for classes in counts.values() for n in classes.values())
    if args.force or not is_current(casting, args.profile, args.seed):
        try:
            generate_dataset(out, args.profile, args.seed)
        except FileExistsError as err:
            print(err, file=sys.stderr)
            return 1
        action = f"generated {total} images"
    else:
        action = f"already up to date ({total} images), kept"
    types = generate_defect_types(out, args.profile, args.seed) if args.force else \
        ensure_defect_types(out, args.profile, args.seed)
    image = save_example_image(out / FILE_NAME)
    print(f"{casting}: {args.profile} profile, seed {args.seed}: {action}")
    print(f"{types}: the four-class defect-type task (burr, crack, hole, ok)")
    print(f"{image}: the 100x100 example image")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
