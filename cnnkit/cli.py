"""``python -m cnnkit <command>``: one sub-command per pipeline step.

Each command lives in its own module, which provides ``add_arguments(parser)``
and ``run(args) -> int``; modules are imported only when their command runs,
so ``--help`` stays fast and cheap commands never import torch.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

COMMANDS = {
    "data": ("cnnkit.data.cli", "generate the synthetic casting dataset and the example image"),
    "verify": ("cnnkit.data.verify", "check a casting dataset folder: counts, sizes, modes, problems"),
    "author": ("cnnkit.authoring", "convert between notebooks and the plain-text cell format"),
    "build": ("cnnkit.build", "generate release/ with nbgrader and check it is fresh and leak-free"),
    "grade": ("cnnkit.grader.cli", "grade submissions in sandboxes into the course gradebook; score table and reports"),
    "catalogue": ("cnnkit.catalogue", "autograde the mutant/alternative catalogue of assignments"),
    "demo": ("cnnkit.demo", "data -> release -> sample submissions -> autograde -> grades and feedback"),
    "weights": ("cnnkit.weights", "find or install the VGG-11 ImageNet weights (offline)"),
    "bench": ("cnnkit.bench", "benchmarks: fast NumPy convolution vs torch, feature cache"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cnnkit", description="The CNN course kit: data, release, grading, checks.")
    sub = parser.add_subparsers(dest="command", metavar="command")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    # Parse the command name first, then let its module add its own options.
    known, _ = parser.parse_known_args(argv[:1] or ["--help"])
    module = importlib.import_module(known._module)
    command_parser = argparse.ArgumentParser(
        prog=f"python -m cnnkit {known.command}", description=COMMANDS[known.command][1]
    )
    module.add_arguments(command_parser)
    args = command_parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print(f"cnnkit {known.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # one readable line for the user; the traceback goes to the log
        log = _log_path(known.command)
        log.write_text(traceback.format_exc())
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        print(f"cnnkit {known.command}: {first}\n(details: {log})", file=sys.stderr)
        return 1


def _log_path(command: str) -> Path:
    folder = Path(tempfile.gettempdir()) / "cnnkit-logs"
    folder.mkdir(exist_ok=True)
    return folder / f"{command}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
