"""Verdicts: a student's records compared with the reference solution's, outside the student's process.

Every test cell records what it checks (:mod:`cnncourse.record`). The reference
solution, run through the same cell, recorded the expected values and chose how
each is compared (the *policy*, taken from the reference record, never from the
student's). A check passes when the student recorded it exactly as often as the
reference did and the policy accepts the value.

Notes
-----
Scoring of one test cell with ``points`` P:

* checks are grouped by the case they belong to (a check outside any case is a
  group of its own); a group passes when all its checks pass;
* a cell whose source has hidden tests earns ``P * passed / groups`` (partial
  credit, rounded to 0.01); a visible test cell earns P or 0, as students see it;
* a failed check with ``gate=True`` (a requirement the exercise is about, e.g.
  "no loops over pixels") makes the whole cell 0.
"""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

import numpy as np

from cnncourse.checks import compare_close, compare_equal, compare_probabilities

MAX_LISTED = 6
NOT_RUN = "not checked"
ALLOWED_DTYPES = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8"}


class BadRecord(ValueError):
    """A record that does not decode (malformed, or not something a check produces)."""


@dataclass(frozen=True)
class TensorValue:
    """A recorded torch tensor: its values and what the comparison may need to know."""

    array: np.ndarray
    dtype: str
    device: str
    requires_grad: bool


@dataclass(frozen=True)
class ObjectValue:
    """A recorded value of some other type: only its type name and a short repr."""

    type: str
    repr: str


@dataclass(frozen=True)
class Record:
    key: str
    case: str | None
    policy: str
    params: dict
    value: object = None
    error: str | None = None


@dataclass
class Verdict:
    """The judgement of one test cell."""

    cell: str
    points: float
    score: float
    groups: int
    passed: int
    failures: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.score >= self.points

    def message(self) -> str:
        """What the student reads in the feedback: the verdict and each failed case."""
        if self.groups == 0:
            return self.failures[0] if self.failures else "no checks"
        head = f"{self.passed} of {self.groups} checks passed"
        if not self.failures:
            return head + "."
        listed = self.failures[:MAX_LISTED]
        more = len(self.failures) - len(listed)
        return head + ":\n  " + "\n  ".join(listed) + (f"\n  ... and {more} more" if more else "")


# ------------------------------------------------------------------ decoding


def decode(encoded, depth: int = 0):
    """A value from :func:`cnncourse.record.encode`, rebuilt as data only (no code runs)."""
    if depth > 8 or not isinstance(encoded, dict):
        raise BadRecord("malformed value")
    kind = encoded.get("t")
    if kind == "none":
        return None
    if kind == "bool":
        return bool(encoded["v"])
    if kind == "int":
        return int(str(encoded["v"])[:4000])
    if kind == "float":
        value = encoded["v"]
        return float(value) if isinstance(value, (int, float, str)) else math.nan
    if kind == "str":
        return str(encoded["v"])
    if kind in ("ndarray", "scalar", "tensor"):
        array = _array(encoded)
        if kind == "scalar":
            return array.reshape(()).item() if array.size == 1 else array
        if kind == "tensor":
            return TensorValue(array, str(encoded.get("torch_dtype", "")), str(encoded.get("device", "")),
                               bool(encoded.get("requires_grad", False)))
        return array
    if kind == "list":
        items = [decode(v, depth + 1) for v in list(encoded["v"])]
        return tuple(items) if encoded.get("tuple") else items
    if kind == "dict":
        return {str(k): decode(v, depth + 1) for k, v in dict(encoded["v"]).items()}
    if kind in ("object", "too-large"):
        return ObjectValue(str(encoded.get("type", kind)), str(encoded.get("repr", ""))[:200])
    raise BadRecord(f"unknown value type {kind!r}")


def _array(encoded) -> np.ndarray:
    dtype = str(encoded.get("dtype"))
    if dtype not in ALLOWED_DTYPES:
        raise BadRecord(f"dtype {dtype} not allowed")
    shape = tuple(int(n) for n in encoded["shape"])
    if any(n < 0 for n in shape) or len(shape) > 8:
        raise BadRecord("bad shape")
    data = base64.b64decode(str(encoded["b64"]), validate=True)
    array = np.frombuffer(data, dtype=np.dtype(dtype))
    if array.size != int(np.prod(shape)):
        raise BadRecord("data does not match the shape")
    return array.reshape(shape).copy()


def parse(payload) -> Record:
    """A :class:`Record` from an output's payload; raises :class:`BadRecord`."""
    if not isinstance(payload, dict) or not isinstance(payload.get("key"), str):
        raise BadRecord("not a record")
    case = payload.get("case")
    params = payload.get("params") if isinstance(payload.get("params"), dict) else {}
    if "error" in payload:
        return Record(payload["key"], case if isinstance(case, str) else None, "error", {},
                      error=str(payload["error"])[:400])
    return Record(payload["key"], case if isinstance(case, str) else None, str(payload.get("policy")),
                  params, decode(payload.get("value")))


# ------------------------------------------------------------------ policies
#
# Each policy: (student value, reference value, params) -> None or what is wrong.


def as_array(value) -> np.ndarray | None:
    """An ndarray for numbers, arrays, tensors and lists of numbers; None for anything else."""
    if isinstance(value, TensorValue):
        return value.array
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (bool, int, float)):
        return np.asarray(value, dtype=np.float64)
    if isinstance(value, (list, tuple)):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return None
    return None


def describe(value) -> str:
    """What a recorded value is, in words: "a torch.Tensor", "a NumPy array", "a dict", "None"."""
    if isinstance(value, TensorValue):
        return "a torch.Tensor"
    if isinstance(value, np.ndarray):
        return "a NumPy array"
    if isinstance(value, ObjectValue):
        return f"a {value.type}"
    return "None" if value is None else f"a {type(value).__name__}"


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(value):
    """An ndarray for numbers, arrays and tensors; the value itself otherwise."""
    array = as_array(value)
    return value if array is None else array


def _same_kind(student, reference) -> str | None:
    if isinstance(reference, TensorValue) and not isinstance(student, TensorValue):
        return f"expected a torch.Tensor, got {describe(student)}"
    if isinstance(reference, np.ndarray) and not isinstance(student, np.ndarray):
        return f"expected a NumPy array, got {describe(student)}"
    return None


def close(student, reference, params) -> str | None:
    problem = _same_kind(student, reference)
    if problem:
        return problem
    actual, expected = _numeric(student), _numeric(reference)
    if not isinstance(actual, np.ndarray):
        return f"expected numbers, got {describe(student)}"
    return compare_close(actual, expected, params.get("rtol"), params.get("atol"))


def equal(student, reference, params) -> str | None:
    problem = _same_kind(student, reference)
    if problem:
        return problem
    return compare_equal(_numeric(student) if isinstance(student, TensorValue) else student,
                         _numeric(reference) if isinstance(reference, TensorValue) else reference)


def true(student, reference, params) -> str | None:
    return None if student is True else str(params.get("message") or "the property does not hold")


def gradient(student, reference, params) -> str | None:
    """Relative difference ||a - b|| / (||a|| + ||b||) within a threshold set by the student's dtype.

    Notes
    -----
    1e-6 for float64 results, 1e-4 for float32 (measured on assignment 2:
    correct float64 gradients agree to 4e-10, float32 ones to 2e-8; the
    mistakes of its catalogue are off by 0.3 or more).
    """
    problem = _same_kind(student, reference)
    if problem:
        return problem
    actual, expected = _numeric(student), _numeric(reference)
    if not isinstance(actual, np.ndarray):
        return f"expected numbers, got {describe(student)}"
    if actual.shape != expected.shape:
        return f"shape {actual.shape}, expected {expected.shape}"
    if actual.dtype.kind not in "biuf" or not np.all(np.isfinite(actual)):
        return "result contains NaN or inf"
    double = actual.dtype.kind == "f" and actual.dtype.itemsize >= 8
    limit = params.get("threshold") or (1e-6 if double else 1e-4)
    a, b = actual.astype(np.float64), expected.astype(np.float64)
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    error = 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)
    if error > limit:
        return f"relative error {error:.2g} against the expected gradient (accepted up to {limit:g})"
    return None


def probabilities(student, reference, params) -> str | None:
    if not isinstance(student, TensorValue):
        return f"expected a torch.Tensor, got {describe(student)}"
    return compare_probabilities(student.array, int(params.get("batch_size", 0)))


def below(student, reference, params) -> str | None:
    if not isinstance(student, (int, float)) or isinstance(student, bool):
        return f"expected a number, got {describe(student)}"
    limit = params.get("limit")
    return None if student < limit else f"{student}, must be below {limit}"


def bounded_growth(student, reference, params) -> str | None:
    """``[small, large]``: large <= factor * small + slack (work that does not grow with the input)."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in student)):
        return f"expected two counts, got {describe(student)}"
    small, large = student
    if large > params.get("factor", 2) * small + params.get("slack", 50):
        return str(params.get("message") or f"grew from {small} to {large}")
    return None


POLICIES = {
    "close": close, "equal": equal, "true": true, "gradient": gradient, "probabilities": probabilities,
    "below": below, "bounded_growth": bounded_growth,
}


# ------------------------------------------------------------------ verdicts


def _occurrences(records: list[Record]) -> dict[tuple[str, int], Record]:
    """Records by (key, n): the n-th record with that key (checks in loops repeat keys)."""
    counts: dict[str, int] = {}
    indexed = {}
    for record in records:
        counts[record.key] = counts.get(record.key, 0) + 1
        indexed[(record.key, counts[record.key])] = record
    return indexed


def judge(cell: str, points: float, partial: bool, reference: list[Record], student: list[Record],
          stopped: str | None = None, policies: dict | None = None) -> Verdict:
    """The verdict of test cell ``cell``: ``student`` records against ``reference`` ones.

    ``stopped``: why the cell stopped early (its error), named for checks that
    were never recorded. ``policies``: the assignment's own comparisons
    (``source/<id>/instructor/judges.py``), besides :data:`POLICIES`.
    """
    known = {**POLICIES, **(policies or {})}
    expected = _occurrences(reference)
    given = _occurrences(student)
    counts: dict[str, int] = {}
    for key, n in given:
        counts[key] = max(counts.get(key, 0), n)
    errors = {r.case: r.error for r in student if r.policy == "error"}
    groups: dict[str, list[str]] = {}
    gated = False
    for (key, n), wanted in expected.items():
        group = wanted.case if wanted.case is not None else f"{key}#{n}"
        problem = _check(wanted, given.get((key, n)), counts.get(key, 0), _reference_count(expected, key),
                         errors.get(wanted.case), known)
        if problem:
            groups.setdefault(group, []).append(_label(wanted, problem))
            gated = gated or bool(wanted.params.get("gate"))
        else:
            groups.setdefault(group, [])
    total = len(groups)
    passed = sum(1 for problems in groups.values() if not problems)
    failures = [problems[0] for problems in groups.values() if problems]
    unchecked = sum(1 for f in failures if f.endswith(": " + NOT_RUN))
    failures = [f for f in failures if not f.endswith(": " + NOT_RUN)]
    if unchecked:
        reason = f" (the test stopped: {stopped})" if stopped and not failures else ""
        failures.append(f"{unchecked} check{'s' if unchecked > 1 else ''} did not run{reason}")
    if total == 0:
        return Verdict(cell, points, 0.0, 0, 0, ["the reference solution recorded nothing in this cell"])
    if gated or (not partial and passed < total):
        score = 0.0
    else:
        score = round(points * passed / total, 2)
    return Verdict(cell, points, score, total, passed, failures)


def _reference_count(expected: dict, key: str) -> int:
    return max(n for k, n in expected if k == key)


def _check(wanted: Record, got: Record | None, recorded: int, reference_count: int,
           case_error: str | None, policies: dict) -> str | None:
    if recorded > reference_count:
        return (f"recorded {recorded} times where the test records it {reference_count} times "
                "(something else in the notebook recorded it too), so it cannot be trusted")
    if got is None or got.policy == "error":
        if case_error:
            return f"raised {case_error}"
        return NOT_RUN
    policy = policies.get(wanted.policy)
    if policy is None:
        return f"unknown comparison {wanted.policy!r} (a mistake in the test, not in your code)"
    try:
        return policy(got.value, wanted.value, wanted.params)
    except Exception as error:  # a malformed value: the check fails, grading goes on
        return f"could not be compared ({type(error).__name__})"


def _label(wanted: Record, problem: str) -> str:
    hint = wanted.params.get("hint")
    show_hint = hint and problem != NOT_RUN and not problem.startswith("raised ")
    return f"{wanted.key}: {problem}" + (f" ({hint})" if show_hint else "")
