"""Records: what a test cell hands to the grader when a notebook is graded.

A graded notebook never decides its own marks. While the grader runs it
(``CNNCOURSE_RECORD=1``), each check in a test cell *records* what the
student's code returned or did, as a ``display_data`` output of the cell; the
grader reads those outputs afterwards, in another process, and compares them
with the records of the instructor's reference solution. In a student's own
session nothing is recorded: visible checks raise at once with their message.

Notes
-----
A record is ``{"key", "policy", "params", "value"}`` (or ``"error"`` instead
of ``"value"`` when the student's code raised). ``key`` names the check,
prefixed by the case it belongs to (:func:`case`); ``policy`` names the
comparison the grader applies (``close``, ``equal``, ``gradient``, ``true``,
...), with ``params``. Values are encoded by :func:`encode`: plain JSON for
scalars, strings, lists and dicts; NumPy arrays and torch tensors as dtype,
shape and base64 bytes.
"""
from __future__ import annotations

import base64
import contextlib
import math
import os

MIME = "application/vnd.cnncourse.record+json"
RECORD_ENV = "CNNCOURSE_RECORD"
MAX_BYTES = 4_000_000
MAX_DEPTH = 6
ERROR_CHARS = 300

_state = {"case": None}


def grading() -> bool:
    """True while the grader runs this notebook."""
    return os.environ.get(RECORD_ENV) == "1"


@contextlib.contextmanager
def case(label: str):
    """Group the records made in the block under ``label`` (one case of a test)."""
    outer = _state["case"]
    _state["case"] = label if outer is None else f"{outer} / {label}"
    try:
        yield
    finally:
        _state["case"] = outer


def current_case() -> str | None:
    return _state["case"]


def _key(what: str) -> str:
    label = _state["case"]
    return what if label is None else f"{label} :: {what}"


def record(what: str, value, policy: str = "close", **params) -> None:
    """Hand ``value`` to the grader under ``what`` (nothing happens outside grading)."""
    if grading():
        _emit({"key": _key(what), "case": _state["case"], "policy": policy, "params": params,
               "value": encode(value)})


def record_error(error: BaseException) -> None:
    """Tell the grader that the current case raised ``error`` in the student's code."""
    if grading():
        _emit({"key": _key("error"), "case": _state["case"], "policy": "error", "params": {},
               "error": describe_error(error)})


def describe_error(error: BaseException) -> str:
    """``ValueError: message``, one line, shortened."""
    if isinstance(error, NotImplementedError):
        return "not implemented yet (NotImplementedError)"
    text = str(error).strip().splitlines()
    line = f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
    return line if len(line) <= ERROR_CHARS else line[:ERROR_CHARS - 3] + "..."


def _emit(payload: dict) -> None:
    from IPython.display import display

    import json

    text = json.dumps(payload, allow_nan=False)
    if len(text) > MAX_BYTES:
        payload = {**payload, "value": {"t": "too-large", "bytes": len(text)}}
    display({MIME: payload}, raw=True)


# ------------------------------------------------------------------ encoding


def encode(value, depth: int = 0):
    """A JSON-safe description of ``value`` that the grader can decode without running code."""
    if depth > MAX_DEPTH:
        return {"t": "object", "type": type(value).__name__, "repr": "(nested too deep)"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value) if not math.isfinite(value) else value}
    if isinstance(value, str):
        return {"t": "str", "v": value[:10_000]}
    module = type(value).__module__.split(".")[0]
    if module == "numpy":
        return _encode_numpy(value)
    if module == "torch" and type(value).__name__ in ("Tensor", "Parameter"):
        return _encode_tensor(value)
    if isinstance(value, (list, tuple)):
        return {"t": "list", "tuple": isinstance(value, tuple), "v": [encode(v, depth + 1) for v in value[:10_000]]}
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {"t": "dict", "v": {k: encode(v, depth + 1) for k, v in list(value.items())[:1000]}}
    return {"t": "object", "type": type(value).__name__, "repr": _safe_repr(value)}


def _safe_repr(value) -> str:
    try:
        text = repr(value)
    except Exception as error:  # a student's __repr__ may raise anything
        text = f"(repr failed: {type(error).__name__})"
    return text[:200]


def _encode_numpy(value):
    import numpy as np

    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.dtype.itemsize > 8:
        return {"t": "object", "type": f"ndarray[{array.dtype}]", "repr": _safe_repr(value)}
    kind = "scalar" if isinstance(value, np.generic) else "ndarray"
    return {"t": kind, "dtype": array.dtype.str, "shape": list(array.shape),
            "b64": base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()}


def _encode_tensor(tensor):
    import torch

    data = tensor.detach()
    dtype = str(data.dtype).replace("torch.", "")
    if data.dtype in (torch.bfloat16, torch.float16):
        data = data.float()
    if data.is_complex() or data.is_sparse or data.is_quantized:
        return {"t": "object", "type": f"Tensor[{dtype}]", "repr": _safe_repr(tensor)}
    array = data.cpu().numpy()
    encoded = _encode_numpy(array)
    encoded.update(t="tensor", torch_dtype=dtype, device=str(tensor.device),
                   requires_grad=bool(tensor.requires_grad))
    return encoded
