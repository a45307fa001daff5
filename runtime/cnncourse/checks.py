"""Checks used by the notebooks' test cells (NumPy and plain Python values).

In a student's session a check compares at once and raises ``AssertionError``
with a message for the student: which function, which case, what differs. While
the notebook is graded it also *records* the value (:mod:`cnncourse.record`),
and the grader decides the marks by comparing the records with those of the
reference solution, in its own process, with the same comparison functions
(:func:`compare_close`, :func:`compare_equal`). Nothing here writes to stderr
(nbgrader gives 0 to a test cell that does), and nothing here solves an exercise.

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

from cnncourse import record as _record

MAX_REPORTED = 4


def describe(**params) -> str:
    """``B=2, h=7, S=2``: a case in words."""
    return ", ".join(f"{k}={_short(v)}" for k, v in params.items())


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    return repr(value) if isinstance(value, str) else str(value)


# ------------------------------------------------------------------ comparisons
#
# Pure functions: a message saying what is wrong, or None. The grader applies
# the same functions to recorded values.


def tolerance(actual: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """(rtol, atol) for comparing a student's result of this dtype."""
    double = np.issubdtype(actual.dtype, np.floating) and np.finfo(actual.dtype).bits >= 64
    rtol = 1e-7 if double or not np.issubdtype(actual.dtype, np.floating) else 1e-4
    scale = float(np.max(np.abs(expected))) if expected.size else 1.0
    return rtol, rtol * max(1.0, scale)


def compare_shape(actual, expected_shape) -> str | None:
    if not isinstance(actual, np.ndarray):
        return f"expected a NumPy array, got {type(actual).__name__}"
    if tuple(actual.shape) != tuple(expected_shape):
        return f"shape {tuple(actual.shape)}, expected {tuple(expected_shape)}"
    return None


def compare_close(actual, expected, rtol: float | None = None, atol: float | None = None) -> str | None:
    """Same shape, finite, and values within the dtype's tolerance; names the worst element."""
    expected = np.asarray(expected)
    problem = compare_shape(actual, expected.shape)
    if problem:
        return problem
    if actual.dtype.kind not in "biuf":
        return f"expected numbers, got an array of dtype {actual.dtype}"
    if not np.all(np.isfinite(actual)):
        return "result contains NaN or inf"
    default_rtol, default_atol = tolerance(actual, expected)
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    bad = diff > atol + rtol * np.abs(expected)
    if not bad.any():
        return None
    worst = np.unravel_index(np.argmax(diff), diff.shape)
    return (f"{int(bad.sum())} of {bad.size} values differ; max abs error {diff[worst]:.3g} at index "
            f"{tuple(int(i) for i in worst)} (got {float(actual[worst]):.6g}, expected {float(expected[worst]):.6g})")


def compare_equal(actual, expected) -> str | None:
    """Exactly equal: arrays element by element (same shape), anything else with ``==``."""
    if isinstance(expected, np.ndarray) or isinstance(actual, np.ndarray):
        if not isinstance(actual, np.ndarray):
            return f"expected a NumPy array, got {type(actual).__name__}"
        expected = np.asarray(expected)
        if actual.shape != expected.shape:
            return f"shape {actual.shape}, expected {expected.shape}"
        if not np.array_equal(actual, expected):
            return f"{int(np.sum(actual != expected))} of {actual.size} values differ"
        return None
    if type(actual) is not type(expected) and not (_is_number(actual) and _is_number(expected)):
        return f"expected {_brief(expected)} ({type(expected).__name__}), got {_brief(actual)} ({type(actual).__name__})"
    if actual != expected:
        return f"got {_brief(actual)}, expected {_brief(expected)}"
    return None


def compare_probabilities(output, batch_size: int) -> str | None:
    """Why ``output`` is not a (B, 1) array of finite values strictly between 0 and 1, or None."""
    if tuple(output.shape) != (batch_size, 1):
        return f"shape {tuple(output.shape)}, expected ({batch_size}, 1)"
    if not np.all(np.isfinite(output)):
        return "contains NaN or inf"
    if not np.all((output > 0) & (output < 1)):
        return (f"values must lie in (0, 1) (probabilities), got min {output.min():.4g}, "
                f"max {output.max():.4g}: is the sigmoid missing?")
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _brief(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ------------------------------------------------------------------ checks


def check_array(value, what: str) -> np.ndarray:
    """``value`` must be a NumPy array (not a list, a tensor or None)."""
    if not isinstance(value, np.ndarray):
        raise AssertionError(f"{what}: expected a NumPy array, got {type(value).__name__}")
    return value


def _fail(what: str, problem: str | None, hint: str | None) -> None:
    __tracebackhide__ = True  # noqa: F841 - IPython shows the student's line, not this helper's
    if problem:
        raise AssertionError(f"{what}: {problem}" + (f" ({hint})" if hint else ""))


def check_shape(actual, expected_shape: tuple, what: str, hint: str | None = None) -> None:
    __tracebackhide__ = True  # noqa: F841
    _record.record(what, tuple(getattr(actual, "shape", ())) if isinstance(actual, np.ndarray) else None,
                   "equal", hint=hint)
    _fail(what, compare_shape(actual, expected_shape), hint)


def check_close(actual, expected, what: str, rtol: float | None = None, atol: float | None = None,
                hint: str | None = None) -> None:
    """Same shape and values within the dtype's tolerance (see the module notes)."""
    __tracebackhide__ = True  # noqa: F841
    _record.record(what, actual, "close", rtol=rtol, atol=atol, hint=hint)
    _fail(what, compare_close(actual, expected, rtol, atol), hint)


def check_equal(actual, expected, what: str, hint: str | None = None) -> None:
    """Exactly equal (arrays element by element)."""
    __tracebackhide__ = True  # noqa: F841
    _record.record(what, actual, "equal", hint=hint)
    _fail(what, compare_equal(actual, expected), hint)


def check_true(condition, what: str, message: str) -> None:
    """A property the test computed; ``message`` says what is wrong when it does not hold."""
    __tracebackhide__ = True  # noqa: F841
    condition = bool(condition)
    _record.record(what, condition, "true", message=message)
    if not condition:
        raise AssertionError(f"{what}: {message}")


def run_cases(what: str, cases: Iterable[dict], check: Callable[..., None]) -> None:
    """Call ``check(**case)`` for every case; fail once, listing the failing cases.

    A student's exception counts as a failed case (with its type and message),
    so one message shows every case that went wrong. While grading, each case's
    records are grouped under the case (partial credit is given per case).
    """
    __tracebackhide__ = True  # noqa: F841
    failures, total = [], 0
    for params in cases:
        total += 1
        label = f"{what} [{describe(**_public(params))}]"
        with _record.case(label):
            try:
                with quiet():
                    check(**params)
            except AssertionError as err:  # a check failed, or the student's code asserted something
                _record.record_error(err)
                failures.append(f"[{describe(**_public(params))}] {err}")
            except Exception as err:  # the student's code raised: report, don't crash the cell
                _record.record_error(err)
                failures.append(f"[{describe(**_public(params))}] raised {_record.describe_error(err)}")
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
    a stand-in ``convolve``, so a wrong ``convolve`` costs points only in the
    cells that test ``convolve``.
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


def replay(name: str, parameters: tuple[str, ...], answers: list[tuple[tuple, object]]) -> Callable:
    """A stand-in for function ``name`` that knows only the answers of fixed examples.

    ``parameters``: the function's argument names; ``answers``: ``[(args, result), ...]``.
    A call whose arguments (given by position or by name) equal some ``args``
    (arrays element by element) returns a copy of its result; any other call
    raises, saying which argument differs from the example. Visible tests use it
    to judge one function without handing out a working version of another.
    """
    def same(given, wanted) -> bool:
        if isinstance(wanted, np.ndarray) or isinstance(given, np.ndarray):
            return (isinstance(given, np.ndarray) and given.shape == np.shape(wanted)
                    and bool(np.allclose(given, wanted, rtol=1e-6, atol=1e-9)))
        return given == wanted

    def show(value) -> str:
        return f"an array of shape {value.shape}" if isinstance(value, np.ndarray) else repr(value)

    def stand_in(*args, **kwargs):
        given = dict(zip(parameters, args), **kwargs)
        if set(given) != set(parameters):
            raise AssertionError(f"the test's stand-in for {name} expects the arguments {', '.join(parameters)}")
        for wanted, result in answers:
            if all(same(given[p], w) for p, w in zip(parameters, wanted)):
                return np.array(result, copy=True) if isinstance(result, np.ndarray) else result
        wanted = max((a for a, _ in answers), key=lambda a: sum(same(given[p], w) for p, w in zip(parameters, a)))
        differs = [f"{p} holds other values than the example's" if isinstance(given[p], np.ndarray)
                   and isinstance(w, np.ndarray) and given[p].shape == w.shape
                   else f"{p} is {show(given[p])}, the example expects {show(w)}"
                   for p, w in zip(parameters, wanted) if not same(given[p], w)]
        raise AssertionError(f"{name} was called with other arguments than this example expects: "
                             + "; ".join(differs))

    stand_in.__name__ = name
    return stand_in


# ------------------------------------------------------------------ inputs


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


def untied(rng: np.random.Generator, shape: tuple, spread: float = 4.0) -> np.ndarray:
    """Random values, pairwise at least ``spread / size`` apart: no ties, e.g. for max pooling."""
    size = int(np.prod(shape))
    values = (rng.permutation(size) + 0.5) / size - 0.5
    return spread * values.reshape(shape)


def away_from_zero(rng: np.random.Generator, shape: tuple, margin: float = 0.05) -> np.ndarray:
    """Normal random values with |x| >= margin: safe for ReLU and its derivative."""
    x = rng.normal(size=shape)
    return np.where(x >= 0, x + margin, x - margin)


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
