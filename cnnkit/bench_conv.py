"""``make bench`` suite ``conv``: assignment 2's fast NumPy convolution against PyTorch.

Times, in float32 on the CPU, forward + backward of

* the reference ``FastConv2D`` of ``source/02_filtering_backprop`` (run from the
  source notebook with :func:`cnnkit.notebooks.reference_namespace`, so the kit holds
  no copy of the solution), and
* ``torch.nn.functional.conv2d`` with autograd (input, weight and bias gradients),

and prints their ratio per shape; then the loop-based ``Conv2D`` against
``FastConv2D`` on a small shape. Nothing is asserted: the numbers depend on the
machine (``cnnkit.bench.machine`` prints it).

Notes
-----
Each measurement is the best of ``repeats`` runs after one warm-up run, which
keeps the first-call costs (allocation, thread start-up) out of the comparison;
the two sides of a comparison run in turn (:func:`best_times`), so load from
other processes does not favour one of them.
Goal of issue 3: NumPy within 2x of PyTorch on every shape.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

ASSIGNMENT = "02_filtering_backprop"


@dataclass(frozen=True)
class ConvShape:
    """One benchmark case: batch, square image size, filters in/out, kernel, stride, padding."""

    batch: int
    size: int
    f_in: int
    f_out: int
    kernel: int = 3
    stride: int = 1
    padding: int = 1

    @property
    def out_size(self) -> int:
        return (self.size + 2 * self.padding - self.kernel) // self.stride + 1

    def label(self) -> str:
        return (f"B={self.batch:<3} {self.size}x{self.size} {self.f_in:>2}->{self.f_out:<2} "
                f"K={self.kernel} S={self.stride} P={self.padding}")


SHAPES = [ConvShape(32, 28, 16, 32), ConvShape(64, 32, 3, 16), ConvShape(16, 56, 32, 64)]
QUICK_SHAPES = [ConvShape(4, 12, 3, 4)]
LOOP_SHAPE = ConvShape(4, 16, 4, 8)
QUICK_LOOP_SHAPE = ConvShape(2, 8, 2, 3)


def best_times(runs: list[Callable[[], object]], repeats: int) -> list[float]:
    """Smallest wall-clock time (seconds) of each function over ``repeats`` rounds.

    Each function is called once to warm up; then every round calls each of them
    once, in turn, so a burst of load from another process hits them alike.
    """
    for run in runs:
        run()
    times = [[] for _ in runs]
    for _ in range(repeats):
        for run, measured in zip(runs, times):
            start = time.perf_counter()
            run()
            measured.append(time.perf_counter() - start)
    return [min(measured) for measured in times]


def random_case(shape: ConvShape, seed: int = 0) -> tuple[np.ndarray, ...]:
    """float32 input (B, h, w, F_in), kernels (K, K, F_in, F_out), bias and upstream gradient."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((shape.batch, shape.size, shape.size, shape.f_in), dtype=np.float32)
    kernels = rng.standard_normal((shape.kernel, shape.kernel, shape.f_in, shape.f_out), dtype=np.float32)
    bias = rng.standard_normal(shape.f_out, dtype=np.float32)
    upstream = rng.standard_normal((shape.batch, shape.out_size, shape.out_size, shape.f_out), dtype=np.float32)
    return x, kernels, bias, upstream


def layer_step(layer_class, shape: ConvShape, seed: int = 0) -> Callable[[], object]:
    """Forward + backward of a notebook layer class (Conv2D or FastConv2D) on one batch."""
    x, kernels, bias, upstream = random_case(shape, seed)
    layer = layer_class(kernels, bias, stride=shape.stride, padding=shape.padding)

    def step():
        layer.forward(x)
        return layer.backward(upstream)

    return step


def torch_step(shape: ConvShape, seed: int = 0) -> Callable[[], object]:
    """Forward + backward of ``torch.nn.functional.conv2d`` on the same data, NCHW."""
    import torch
    import torch.nn.functional as F

    x, kernels, bias, upstream = random_case(shape, seed)
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))).requires_grad_()
    w_t = torch.from_numpy(np.ascontiguousarray(kernels.transpose(3, 2, 0, 1))).requires_grad_()
    b_t = torch.from_numpy(bias.copy()).requires_grad_()
    g_t = torch.from_numpy(np.ascontiguousarray(upstream.transpose(0, 3, 1, 2)))

    def step():
        for tensor in (x_t, w_t, b_t):
            tensor.grad = None
        F.conv2d(x_t, w_t, b_t, stride=shape.stride, padding=shape.padding).backward(g_t)
        return x_t.grad

    return step


def reference_layers() -> dict:
    """``Conv2D`` and ``FastConv2D`` of the source notebook's reference solution."""
    from cnnkit.course import load
    from cnnkit.notebooks import reference_namespace

    namespace = reference_namespace(load().source_notebook(ASSIGNMENT), name="bench_conv")
    return {"loop": namespace["Conv2D"], "fast": namespace["FastConv2D"]}


def main(quick: bool = False) -> None:
    layers = reference_layers()
    repeats = 3 if quick else 20
    print(f"forward + backward, float32, best of {repeats} interleaved runs after a warm-up run")
    print(f"{'shape':<34} {'NumPy fast':>11} {'PyTorch':>9} {'ratio':>7}")
    for shape in QUICK_SHAPES if quick else SHAPES:
        ours, theirs = best_times([layer_step(layers["fast"], shape), torch_step(shape)], repeats)
        print(f"{shape.label():<34} {ours * 1e3:>8.2f} ms {theirs * 1e3:>6.2f} ms {ours / theirs:>6.2f}x")
    shape = QUICK_LOOP_SHAPE if quick else LOOP_SHAPE
    steps = [layer_step(layers["loop"], shape), layer_step(layers["fast"], shape)]
    loop, fast = best_times(steps, max(1, repeats // 3))
    print(f"\nloop Conv2D vs FastConv2D, {shape.label()}: {loop * 1e3:.1f} ms vs {fast * 1e3:.2f} ms, "
          f"speed-up x{loop / fast:.0f}")
