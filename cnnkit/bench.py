"""``make bench``: speed measured against a reference in the same run, never asserted.

* ``conv``: assignment 2's fast NumPy convolution (forward + backward) against
  ``torch.nn.functional.conv2d`` on the CPU, and the loop version against the fast one;
* ``cache``: assignment 4's training epochs with and without the cached frozen backbone;
* ``grading``: grading throughput with 1 and 2 workers, and the sandbox's share of it.

Each prints ratios; the README records a run with the machine it ran on.
"""
from __future__ import annotations

import importlib
import os
import platform
import sys

SUITES = {"conv": "cnnkit.bench_conv", "cache": "cnnkit.bench_cache", "grading": "cnnkit.bench_grading"}


def machine() -> str:
    """One line describing where the numbers come from."""
    import numpy
    import torch

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, NumPy {numpy.__version__}, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads)")


def add_arguments(parser) -> None:
    parser.add_argument("suites", nargs="*", metavar="suite", help=f"any of {', '.join(SUITES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the benchmarks run")


def run(args) -> int:
    unknown = [name for name in args.suites if name not in SUITES]
    if unknown:
        print(f"unknown suite(s) {', '.join(unknown)}: choose from {', '.join(SUITES)}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}")
    for name in args.suites or list(SUITES):
        print(f"\n== {name}")
        importlib.import_module(SUITES[name]).main(quick=args.quick)
    return 0
