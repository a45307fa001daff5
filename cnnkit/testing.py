"""Test helpers shared by the notebooks' visible and hidden tests.

Every check raises ``AssertionError`` with a message meant for the student:
which function, which case (shapes, stride, padding), what differs and by how
much. Nothing here prints to stderr (nbgrader gives 0 to a test cell that
does), and nothing here solves an exercise.

Notes
-----
Tolerances follow the dtype of the student's result, so float32 and float64
solutions are judged alike: ``rtol = 1e-4`` for float32 (and lower precision),
``1e-7`` for float64; ``atol = rtol * max(1, max|expected|)``.
"""
from __future__ import annotations

import contextlib
import io
import itertools
import sys
import warnings
from typing import Callable, Iterable

import numpy as np

MAX_REPORTED = 4


def describe(**params) -> str:
    """``B=2, h=7, S=2`` – a case in words."""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    return repr(value) if isinstance(value, str) else str(value)


def check_array(value, what: str) -> np.ndarray:
    """``value`` must be a NumPy array (not a list, a tensor or None)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what}: expected a NumPy array, got {type(value).__name__}")
    return value


def check_shape(actual, expected_shape: tuple, what: str) -> None:
    actual = check_array(actual, what)
    if tuple(actual.shape) != tuple(expected_shape):
        raise AssertionError(f"{what}: shape {tuple(actual.shape)}, expected {tuple(expected_shape)}")


def tolerance(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(rtol, atol) for comparing a student's result of this dtype."""
    double = np.issubdtype(actual.dtype, np.floating) and np.finfo(actual.dtype).bits >= 64
    rtol = 1e-7 if double or not np.issubdtype(actual.dtype, np.floating) else 1e-4
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    return rtol, rtol * max(1.0, scale)


def check_close(actual, expected, what: str, rtol: float | None = None, atol: float | None = None) -> None:
    """Same shape and values within the dtype's tolerance; reports the worst element."""
    expected = np.asarray(expected)
    check_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what}: result contains NaN or inf")
    default_rtol, default_atol = tolerance(actual, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    bad = diff > atol + rtol * np.abs(expected)
    if bad.any():
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} values differ; max abs error "
            f"{diff[worst]:.3g} at index {tuple(int(i) for i in worst)} "
            f"(got {float(actual[worst]):.6g}, expected {float(expected[worst]):.6g})"
        )


def run_cases(what: str, cases: Iterable[dict], check: Callable[..., None]) -> None:
    """Call ``check(**case)`` for every case; fail once, listing the failing cases.

    A student's exception counts as a failed case (with its type and message),
    so one message shows every case that went wrong.
    """
    failures, total = [], 0
    for case in cases:
        total += 1
        try:
            with quiet():
                check(**case)
        except AssertionError as err:
            failures.append(f"[{describe(**_public(case))}] {err}")
        except NotImplementedError:
            failures.append(f"[{describe(**_public(case))}] not implemented yet (NotImplementedError)")
        except Exception as err:  # the student's code raised: report, don't crash the cell
            failures.append(f"[{describe(**_public(case))}] raised {type(err).__name__}: {err}")
    if failures:
        shown = "\n  ".join(failures[:MAX_REPORTED])
        more = f"\n  ... and {len(failures) - MAX_REPORTED} more" if len(failures) > MAX_REPORTED else ""
        raise AssertionError(f"{what}: {len(failures)} of {total} cases failed:\n  {shown}{more}")


def _public(case: dict) -> dict:
    return {k: v for k, v in case.items() if not k.startswith("_")}


@contextlib.contextmanager
def quiet():
    """Keep the code under test off stderr: warnings silenced, stderr captured.

    nbgrader gives 0 to a test cell that writes to stderr, so a harmless warning
    or a tqdm progress bar inside a tested function must not reach it.
    """
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            yield


@contextlib.contextmanager
def patched(namespace: dict, **replacements):
    """Temporarily replace names in a namespace, e.g. the notebook's ``globals()``.

    Lets a test judge one function on its own: ``Conv2D.forward`` is tested with
    a correct ``convolve`` patched in, so a wrong ``convolve`` costs points only
    in the cells that test ``convolve``.
    """
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """h_out = (h_in + 2P - K) / S + 1 (eq. 2), for sizes where it is an integer."""
    return (size + 2 * padding - kernel) // stride + 1


def conv_cases(
    seed: int,
    count: int,
    strides: Iterable[int] = (1, 2, 3),
    paddings: Iterable[int] = (0, 1, 2),
    kernel_sizes: Iterable[int] = (1, 2, 3, 4),
    max_channels: int = 4,
    max_batch: int = 3,
) -> list[dict]:
    """Random convolution shapes covering every stride x padding pair at least once.

    Each case: ``B, h, w, F_in, F_out, K, S, P`` with ``(h + 2P - K) % S == 0``
    (and the same for ``w``), ``h != w`` where possible so transposed axes show.
    """
    rng = np.random.default_rng(seed)
    grid = list(itertools.product(list(strides), list(paddings)))
    cases = []
    for index in range(max(count, len(grid))):
        S, P = grid[index % len(grid)]
        K = int(rng.choice(list(kernel_sizes)))
        h_out, w_out = (int(v) for v in rng.integers(1, 5, size=2))
        if h_out == w_out:
            w_out += 1
        cases.append(dict(
            B=int(rng.integers(1, max_batch + 1)),
            h=_input_size(h_out, K, S, P),
            w=_input_size(w_out, K, S, P),
            F_in=int(rng.integers(1, max_channels + 1)),
            F_out=int(rng.integers(1, max_channels + 1)),
            K=K, S=S, P=P,
        ))
    return cases


def _input_size(out: int, K: int, S: int, P: int) -> int:
    """The smallest h >= 2 with output ``>= out`` under eq. 2 and an integer result."""
    while (out - 1) * S + K - 2 * P < 2:
        out += 1
    return (out - 1) * S + K - 2 * P



def python_lines(call: Callable[[], object], namespace: dict) -> int:
    """How many lines of notebook code run during ``call()``.

    Only frames whose globals are ``namespace`` (functions defined in the
    notebook) are counted, so NumPy's own work is free: a vectorised solution
    runs a few dozen lines, a loop over pixels thousands. This is deterministic,
    unlike timing.
    """
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def enter(frame, event, arg):
        return local if frame.f_globals is namespace else None

    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


# ---------------------------------------------------------------- gradients
#
# The notebooks' students write their own finite differences and relative
# error; the hidden tests use these independent versions instead.

GRADIENT_THRESHOLD = {"double": 1e-6, "single": 1e-4}


def centred_differences(f: Callable[[np.ndarray], np.ndarray], x, upstream, h: float = 1e-6) -> np.ndarray:
    """d/dx of sum(upstream * f(x)) by centred differences, in float64; ``x`` is not modified.

    Costs two calls of ``f`` per element of ``x``: keep ``x`` small.
    """
    point = np.array(x, dtype=np.float64)
    upstream = np.asarray(upstream, dtype=np.float64)
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        plus = np.sum(upstream * f(point.copy()))
        point[index] = original - h
        minus = np.sum(upstream * f(point.copy()))
        point[index] = original
        gradient[index] = (plus - minus) / (2 * h)
    return gradient


def relative_difference(actual, expected) -> float:
    """||actual - expected|| / (||actual|| + ||expected||) (Frobenius norms); 0 when both are 0."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    scale = np.linalg.norm(actual) + np.linalg.norm(expected)
    return 0.0 if scale == 0 else float(np.linalg.norm(actual - expected) / scale)


def gradient_threshold(actual: np.ndarray) -> float:
    """Largest accepted relative difference for a gradient of this dtype (see check_gradient)."""
    double = np.issubdtype(actual.dtype, np.floating) and np.finfo(actual.dtype).bits >= 64
    return GRADIENT_THRESHOLD["double" if double else "single"]


def check_gradient(actual, expected, what: str, threshold: float | None = None) -> None:
    """Same shape, finite, and relative difference at most ``threshold`` (default: by dtype).

    Notes
    -----
    ``GRADIENT_THRESHOLD``: 1e-6 for float64 results, 1e-4 for float32. Measured
    on assignment 2: centred differences (h = 1e-6) agree with correct float64
    gradients to at most 4e-10 and with float32 ones to at most 2e-8; the
    mistakes its catalogue models (unflipped kernel, missing dilation, a second
    division by the batch size, ...) are off by 0.3 or more.
    """
    expected = np.asarray(expected)
    check_shape(actual, expected.shape, what)
    if not np.all(np.isfinite(actual)):
        raise AssertionError(f"{what}: result contains NaN or inf")
    limit = gradient_threshold(actual) if threshold is None else threshold
    error = relative_difference(actual, expected)
    if error > limit:
        raise AssertionError(f"{what}: relative error {error:.2g} against the expected gradient "
                             f"(accepted up to {limit:g})")


def untied(rng: np.random.Generator, shape: tuple, spread: float = 4.0) -> np.ndarray:
    """Random values, pairwise at least ``spread / size`` apart: no ties, e.g. for max pooling."""
    size = int(np.prod(shape))
    values = (rng.permutation(size) + 0.5) / size - 0.5
    return spread * values.reshape(shape)


def away_from_zero(rng: np.random.Generator, shape: tuple, margin: float = 0.05) -> np.ndarray:
    """Normal random values with |x| >= margin: safe for ReLU and its derivative."""
    x = rng.normal(size=shape)
    return np.where(x >= 0, x + margin, x - margin)
