"""``python -m cnnkit verify [PATH]``: check a casting dataset before a course uses it.

Accepts ``data/``, ``data/casting_data/`` or Kaggle's doubly nested
``casting_data/casting_data/``; reports per split and class the number of
files, the image sizes and colour modes seen, and the problems found.

Notes
-----
Errors (exit code 1): a missing split or class folder, a file that is not a
readable image. Warnings (exit code 0): files byte-identical between train and
test — the real dataset has 64 such ok_front images, so a model's test accuracy
there is slightly optimistic — and counts that differ from the Kaggle dataset.
"""
from __future__ import annotations

import hashlib
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from cnnkit.paths import CASTING, CLASSES, SPLITS, DataNotFoundError, data_dir

KAGGLE_COUNTS = {"train": {"def_front": 3758, "ok_front": 2875}, "test": {"def_front": 453, "ok_front": 262}}
EXAMPLES = 3


@dataclass
class VerifyReport:
    root: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sizes: Counter = field(default_factory=Counter)
    modes: Counter = field(default_factory=Counter)
    duplicates: dict[str, list[str]] = field(default_factory=dict)  # class -> file names
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def matches_kaggle(self) -> bool:
        return self.counts == KAGGLE_COUNTS


def find_root(path: Path) -> Path:
    """The folder holding ``train/`` and ``test/`` at or below ``path`` (either nesting)."""
    for candidate in (path, path / CASTING, path / CASTING / CASTING):
        if any((candidate / split).is_dir() for split in SPLITS):
            return candidate
    raise DataNotFoundError(f"no train/ or test/ folder in {path}, {path / CASTING} or {path / CASTING / CASTING}")


def _inspect(path: Path, report: VerifyReport) -> str | None:
    """Record size and mode of one image; its SHA-256, or None when it is not an image."""
    data = path.read_bytes()
    try:
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            image.load()
            report.sizes[image.size] += 1
            report.modes[image.mode] += 1
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        report.errors.append(f"{path}: not a readable image ({type(err).__name__}: {err})")
        return None
    return hashlib.sha256(data).hexdigest()


def verify_dataset(path: str | Path) -> VerifyReport:
    root = find_root(Path(path))
    report = VerifyReport(root)
    hashes: dict[str, dict[str, dict[str, str]]] = {}
    for split in SPLITS:
        report.counts[split] = {}
        for cls in CLASSES:
            folder = root / split / cls
            hashes.setdefault(cls, {})[split] = {}
            if not folder.is_dir():
                report.errors.append(f"missing folder {folder}")
                report.counts[split][cls] = 0
                continue
            files = sorted(p for p in folder.iterdir() if p.is_file())
            report.counts[split][cls] = len(files)
            for file in files:
                digest = _inspect(file, report)
                if digest:
                    hashes[cls][split][digest] = file.name
    for cls in CLASSES:
        shared = set(hashes[cls].get("train", {})) & set(hashes[cls].get("test", {}))
        if shared:
            names = sorted(hashes[cls]["test"][h] for h in shared)
            report.duplicates[cls] = names
            report.warnings.append(
                f"{len(names)} {cls} test file(s) are byte-identical to training files "
                f"(e.g. {', '.join(names[:EXAMPLES])}): test accuracy will be optimistic")
    if not report.matches_kaggle and not report.errors:
        report.warnings.append("counts differ from the Kaggle dataset (fine for the synthetic ci profile)")
    return report


def format_report(report: VerifyReport) -> str:
    lines = [f"casting dataset at {report.root}"]
    for split, classes in report.counts.items():
        lines.append(f"  {split:<5} " + "  ".join(f"{cls}: {n:>5}" for cls, n in classes.items()))
    lines.append("  sizes: " + ", ".join(f"{w}x{h} ({n})" for (w, h), n in report.sizes.most_common()))
    lines.append("  modes: " + ", ".join(f"{mode} ({n})" for mode, n in report.modes.most_common()))
    lines.append("  matches the Kaggle dataset counts" if report.matches_kaggle
                 else "  Kaggle counts: " + ", ".join(
                     f"{s}/{c} {KAGGLE_COUNTS[s][c]}" for s in SPLITS for c in CLASSES))
    lines += [f"  WARNING {w}" for w in report.warnings]
    lines += [f"  ERROR {e}" for e in report.errors]
    lines.append("OK" if report.ok else f"{len(report.errors)} error(s)")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("path", nargs="?", type=Path,
                        help="data/, casting_data/ or casting_data/casting_data/ (default: the data folder rule)")


def run(args) -> int:
    try:
        report = verify_dataset(args.path or data_dir())
    except DataNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    print(format_report(report))
    return 0 if report.ok else 1
