"""VGG-11 ImageNet weights without a network: ``status`` and ``install`` for instructors.

``python -m cnnkit weights status`` says which weights a notebook would load;
``python -m cnnkit weights install FILE`` checks a downloaded
``vgg11-8a719046.pth`` (size and SHA-256 prefix) and copies it into
torchvision's cache. Notebooks load them with :func:`cnncourse.vgg.load_vgg11`,
whose notes give the rules (an explicit file, torchvision's cache, or the
offline profile of a seeded random backbone).

Notes
-----
torchvision names the file after the first 8 hex digits of its SHA-256
(``8a719046``); ``install`` checks them and the size (506.84 MiB, from
torchvision's own metadata) before copying.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from cnncourse.vgg import (FILE_NAME, RANDOM, RANDOM_SEED, URL, WEIGHTS_ENV, WeightsNotFoundError, cache_path,
                           how_to_install, load_vgg11, resolve)

SHA256_PREFIX = "8a719046"
FILE_MIB = 506.84  # VGG11_Weights.IMAGENET1K_V1.meta["_file_size"]
SIZE_TOLERANCE_MIB = 0.01
__all__ = ["FILE_NAME", "RANDOM", "RANDOM_SEED", "URL", "WEIGHTS_ENV", "WeightsNotFoundError", "WeightsRejected",
           "cache_path", "how_to_install", "install", "load_vgg11", "resolve", "sha256"]


class WeightsRejected(ValueError):
    """A file given to ``install`` is not torchvision's VGG-11 ImageNet weights."""


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def install(
    source: str | os.PathLike,
    destination: str | os.PathLike | None = None,
    *,
    sha256_prefix: str = SHA256_PREFIX,
    size_mib: float = FILE_MIB,
    size_tolerance_mib: float = SIZE_TOLERANCE_MIB,
) -> Path:
    """Copy a checked weights file to ``destination`` (default :func:`cache_path`); return it.

    Raises :class:`WeightsRejected` when the size is not ``size_mib`` (within the
    tolerance) or the SHA-256 does not start with ``sha256_prefix``. The copy goes
    to a temporary file next to the destination first, so readers never see half a file.
    """
    source = Path(source)
    if not source.is_file():
        raise WeightsRejected(f"{source} is not a file")
    size = source.stat().st_size
    if abs(size / 2**20 - size_mib) > size_tolerance_mib:
        raise WeightsRejected(
            f"{source} has {size} bytes ({size / 2**20:.2f} MiB), expected {size_mib} MiB: "
            "a truncated download or another file; nothing installed."
        )
    digest = sha256(source)
    if not digest.startswith(sha256_prefix):
        raise WeightsRejected(
            f"{source}: SHA-256 starts with {digest[:len(sha256_prefix)]}, expected {sha256_prefix} "
            "(the hash in torchvision's file name): a damaged or different file; nothing installed."
        )
    destination = Path(destination) if destination else cache_path()
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, prefix=".installing-")
    os.close(handle)
    try:
        shutil.copyfile(source, partial)
        os.chmod(partial, 0o644)  # a shared TORCH_HOME is read by every user
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return destination


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="action")
    sub.add_parser("status", help="which weights a notebook would load now (default)")
    install_parser = sub.add_parser("install", help="check FILE and copy it to the torchvision cache")
    install_parser.add_argument("file", help=f"the downloaded {FILE_NAME}")


def run(args) -> int:
    if getattr(args, "action", None) == "install":
        try:
            target = install(args.file)
        except WeightsRejected as err:
            print(f"weights install: {err}", file=sys.stderr)
            return 1
        print(f"installed {target} (size and SHA-256 prefix {SHA256_PREFIX} checked)")
        return 0
    return _status()


def _status() -> int:
    print(f"torchvision cache: {cache_path()} ({'present' if cache_path().is_file() else 'missing'})")
    print(f"{WEIGHTS_ENV}: {os.environ.get(WEIGHTS_ENV) or '(not set)'}")
    try:
        source = resolve()
    except WeightsNotFoundError as err:
        print(f"notebooks would stop with:\n{err}")
        return 1
    what = "a randomly initialised backbone" if source.kind == RANDOM else "pretrained weights"
    print(f"notebooks load: {what}, {source.note}")
    return 0
