"""``python -m cnnkit verify [PATH]``: check a casting dataset before a course uses it.

PATH may be ``data/``, ``data/casting_data/`` or the Kaggle download's doubly
nested ``casting_data/casting_data/``; it defaults to the data folder rule of
:mod:`cnnkit.paths`. The report gives, per split and class, the number of
files and the image sizes and colour modes seen, and lists the problems.

Notes
-----
Errors (exit code 1): a missing split or class folder, an empty class
folder, a file in a class folder that is not a readable JPEG named
``*.jpeg``/``*.jpg`` (not an image, another format under a .jpeg name,
truncated or corrupt data).

Warnings (exit code 0): files byte-identical between train and test — the
real dataset has 64 such ok_front images, so test accuracy on it is slightly
optimistic — images with the same bytes in both classes, unexpected files or
folders, and more than one image size or colour mode in the dataset.

A file is decoded at 1/8 scale (JPEG ``draft`` mode): that still reads every
byte of the compressed data, so truncation is caught, at a third of the cost.
"""
from __future__ import annotations

import hashlib
import io
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from cnnkit.paths import CASTING, CLASSES, SPLITS, DataNotFoundError, data_dir

KAGGLE_COUNTS = {
    "train": {"def_front": 3758, "ok_front": 2875},
    "test": {"def_front": 453, "ok_front": 262},
}
JPEG_SUFFIXES = (".jpeg", ".jpg")
EXAMPLES = 3  # file names quoted per problem
LISTED = 20  # problems of each kind printed before "... and N more"


@dataclass
class VerifyReport:
    """What :func:`verify_dataset` found.

    ``counts[split][cls]`` is the number of files in a class folder (0 when
    it is missing); ``sizes`` and ``modes`` map split → class → Counter of
    (width, height) or PIL mode over the readable images; ``duplicates`` maps a
    class to the names of its test files byte-identical to a training file.
    """

    path: Path
    root: Path | None = None
    nesting: str = ""
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    sizes: dict[str, dict[str, Counter]] = field(default_factory=dict)
    modes: dict[str, dict[str, Counter]] = field(default_factory=dict)
    duplicates: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    @property
    def matches_kaggle(self) -> bool:
        """Every class folder holds as many files as in the Kaggle dataset."""
        return self.counts == KAGGLE_COUNTS

    def count_differences(self) -> list[str]:
        """``split/class N (Kaggle M)`` for every class folder whose count differs."""
        return [
            f"{split}/{cls} {self.counts.get(split, {}).get(cls, 0)} (Kaggle {expected})"
            for split, classes in KAGGLE_COUNTS.items() for cls, expected in classes.items()
            if self.counts.get(split, {}).get(cls, 0) != expected
        ]


def find_root(path: Path) -> tuple[Path, str] | None:
    """The folder holding the splits at or below ``path``, and how it is nested; None if none."""
    candidates = (
        (path, "the folder given"),
        (path / CASTING, f"{CASTING}/ inside the folder given"),
        (path / CASTING / CASTING, f"the download's doubly nested {CASTING}/{CASTING}/"),
    )
    for candidate, nesting in candidates:
        if any((candidate / split).is_dir() for split in SPLITS):
            return candidate, nesting
    return None


def _problem_with(path: Path, data: bytes) -> tuple[str | None, tuple[int, int] | None, str | None]:
    """(problem or None, size, mode) of one file that should be a JPEG image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size, mode, kind = image.size, image.mode, image.format
            if kind != "JPEG":
                return f"not a JPEG file ({kind} image data)", None, None
            if path.suffix.lower() not in JPEG_SUFFIXES:
                return "JPEG data under a name not ending in .jpeg or .jpg", None, None
            image.draft(mode, (max(1, size[0] // 8), max(1, size[1] // 8)))
            image.load()
    except UnidentifiedImageError:
        return "not an image file", None, None
    except (OSError, SyntaxError, ValueError) as err:
        return f"corrupt or truncated image ({err})", None, None
    return None, size, mode


def _check_split_folder(report: VerifyReport, split: str) -> None:
    """Warn about anything in a split folder besides the class folders."""
    for entry in sorted((report.root / split).iterdir()):
        if entry.name not in CLASSES:
            kind = "folder" if entry.is_dir() else "file"
            report.warnings.append(f"unexpected {kind} {split}/{entry.name} (not in a class folder, not read)")


def _check_class_folder(report: VerifyReport, split: str, cls: str, hashes: dict) -> None:
    """Count, inspect and hash the files of one class folder into ``report`` and ``hashes``."""
    folder = report.root / split / cls
    sizes, modes = report.sizes[split][cls], report.modes[split][cls]
    if not folder.is_dir():
        report.errors.append(f"missing class folder {split}/{cls}/")
        return
    files = sorted(p for p in folder.iterdir() if p.is_file())
    report.counts[split][cls] = len(files)
    if not files:
        report.errors.append(f"empty class folder {split}/{cls}/")
    for subfolder in sorted(p.name for p in folder.iterdir() if p.is_dir()):
        report.warnings.append(f"unexpected folder {split}/{cls}/{subfolder}/ (not read)")
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as err:
            report.errors.append(f"{split}/{cls}/{path.name}: unreadable ({err.strerror})")
            continue
        problem, size, mode = _problem_with(path, data)
        if problem:
            report.errors.append(f"{split}/{cls}/{path.name}: {problem}")
            continue
        sizes[size] += 1
        modes[mode] += 1
        hashes.setdefault(hashlib.sha256(data).digest(), []).append((split, cls, path.name))


def _check_duplicates(report: VerifyReport, hashes: dict) -> None:
    """Warn about files whose bytes occur in both splits, or in both classes."""
    across_classes = 0
    for places in hashes.values():
        in_train = [p for p in places if p[0] == "train"]
        for split, cls, name in places:
            if split == "test" and any(c == cls for _, c, _ in in_train):
                report.duplicates.setdefault(cls, []).append(name)
        across_classes += len({cls for _, cls, _ in places}) > 1
    for cls, names in report.duplicates.items():
        report.warnings.append(
            f"{len(names)} {cls} test file(s) byte-identical to training files "
            f"(e.g. {', '.join(sorted(names)[:EXAMPLES])}): test accuracy will be slightly optimistic")
    if across_classes:
        report.warnings.append(f"{across_classes} image(s) occur with the same bytes in both classes")


def _check_uniformity(report: VerifyReport) -> None:
    """Warn when the images do not all share one size and one colour mode."""
    for name, table in (("sizes", report.sizes), ("modes", report.modes)):
        seen = _total(table)
        if len(seen) > 1:
            report.warnings.append(f"the images have {len(seen)} different {name}: {_format_counter(seen)}")


def _total(table: dict[str, dict[str, Counter]]) -> Counter:
    """All the Counters of a split → class table added up."""
    return sum((counter for classes in table.values() for counter in classes.values()), Counter())


def verify_dataset(path: str | Path) -> VerifyReport:
    """Check the casting dataset at or below ``path`` (module notes); never raises on bad data."""
    report = VerifyReport(Path(path))
    found = find_root(report.path)
    if found is None:
        report.errors.append(
            f"no train/ or test/ folder in {report.path}, in {report.path / CASTING} "
            f"or in {report.path / CASTING / CASTING}")
        return report
    report.root, report.nesting = found
    hashes: dict[bytes, list[tuple[str, str, str]]] = {}
    for split in SPLITS:
        report.counts[split] = {cls: 0 for cls in CLASSES}
        report.sizes[split] = {cls: Counter() for cls in CLASSES}
        report.modes[split] = {cls: Counter() for cls in CLASSES}
        if not (report.root / split).is_dir():
            report.errors.append(f"missing split folder {split}/")
            continue
        _check_split_folder(report, split)
        for cls in CLASSES:
            _check_class_folder(report, split, cls, hashes)
    _check_duplicates(report, hashes)
    _check_uniformity(report)
    return report


def _format_counter(counter: Counter) -> str:
    def label(key):
        return f"{key[0]}x{key[1]}" if isinstance(key, tuple) else str(key)
    return ", ".join(f"{label(key)} ({n})" for key, n in counter.most_common()) or "-"


def _format_problems(title: str, problems: list[str]) -> list[str]:
    if not problems:
        return []
    lines = [f"{title} ({len(problems)}):"] + [f"  - {p}" for p in problems[:LISTED]]
    if len(problems) > LISTED:
        lines.append(f"  ... and {len(problems) - LISTED} more")
    return lines


def format_report(report: VerifyReport) -> str:
    """The report as text: a table per split and class, the Kaggle comparison, the problems."""
    if report.root is None:
        lines = [f"No casting dataset at {report.path}"]
    else:
        lines = [f"Casting dataset at {report.root} ({report.nesting})",
                 f"{'split':<6} {'class':<10} {'files':>6}  {'sizes':<20} modes"]
        for split, classes in report.counts.items():
            for cls, count in classes.items():
                lines.append(f"{split:<6} {cls:<10} {count:>6}  "
                             f"{_format_counter(report.sizes[split][cls]):<20} "
                             f"{_format_counter(report.modes[split][cls])}")
        total = sum(n for classes in report.counts.values() for n in classes.values())
        comparison = ("matches the Kaggle dataset counts" if report.matches_kaggle
                      else "differs from the Kaggle dataset counts: " + ", ".join(report.count_differences()))
        lines.append(f"{total} files; {comparison}")
    lines += _format_problems("Warnings", report.warnings)
    lines += _format_problems("Errors", report.errors)
    verdict = "OK" if report.ok else "FAILED"
    lines.append(f"Result: {verdict} ({len(report.errors)} error(s), {len(report.warnings)} warning(s))")
    return "\n".join(lines)


def add_arguments(parser) -> None:
    parser.add_argument("path", nargs="?", type=Path,
                        help="data/, casting_data/ or casting_data/casting_data/ (default: the data folder rule)")


def run(args) -> int:
    try:
        path = args.path or data_dir()
    except DataNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    report = verify_dataset(path)
    print(format_report(report))
    return 0 if report.ok else 1
