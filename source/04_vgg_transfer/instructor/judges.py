"""Assignment 4's own comparisons (instructor-only; the grader loads ``POLICIES``).

The test cells record raw observations (the forward passes of a training loop,
the order a dataset was read in, the outputs behind every loss, what a
checkpoint file holds) and these functions decide, outside the student's
process, whether the text's requirements hold. Each takes
``(student_value, reference_value, params)`` and returns None or what is wrong,
in words a student can act on (the grader appends ``params["hint"]``).

Values arrive decoded (:func:`cnnkit.grader.judge.decode`): tensors as
:class:`~cnnkit.grader.judge.TensorValue`, NumPy scalars as Python numbers,
tuples and lists as such. Every function must accept the reference solution's
own value (the grader checks the reference against itself).
"""
from __future__ import annotations

import math

import numpy as np

from cnncourse.checks import compare_close
from cnnkit.grader.judge import ObjectValue, TensorValue, as_array, describe, is_number
from cnnkit.grader.torch_judges import device_moves

LOSS_RTOL = 1e-4
LOSS_ATOL = 1e-6


# ------------------------------------------------------------------ helpers


def _pair(value):
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        return None
    first, second = as_array(value[0]), as_array(value[1])
    return None if first is None or second is None else (first, second)


def _rounded(values, digits: int = 4) -> list:
    return [round(float(v), digits) if is_number(v) else v for v in values]


def _bce(outputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-item binary cross-entropy, with torch's clamp of the logarithms at -100."""
    p = outputs.astype(np.float64).reshape(-1)
    y = labels.astype(np.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = np.maximum(np.log(p), -100.0)
        log_q = np.maximum(np.log1p(-p), -100.0)
    return -(y * log_p + (1 - y) * log_q)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= LOSS_ATOL + LOSS_RTOL * abs(b)


# ------------------------------------------------------------------ models


def pair_close(student, reference, params) -> str | None:
    """``[a, b]``: two tensors that must agree (e.g. model(x) and head(backbone(x)))."""
    pair = _pair(student)
    if pair is None:
        return f"expected two tensors, got {describe(student)}"
    problem = compare_close(pair[0], pair[1], params.get("rtol"), params.get("atol"))
    return None if problem is None else f"{params.get('first', 'the first')} and {params.get('second', 'the second')} differ: {problem}"


def unit_interval(student, reference, params) -> str | None:
    """A (B, 1) tensor of finite values in [0, 1] (a sigmoid's output, saturation allowed)."""
    if not isinstance(student, TensorValue):
        return f"expected a torch.Tensor, got {describe(student)}"
    values = student.array
    if tuple(values.shape) != (int(params["batch_size"]), 1):
        return f"shape {tuple(values.shape)}, expected ({params['batch_size']}, 1)"
    if not np.all(np.isfinite(values)):
        return "contains NaN or inf"
    if values.min() < 0 or values.max() > 1:
        return f"values from {values.min():.4g} to {values.max():.4g}, outside [0, 1]"
    return None


def all_of(student, reference, params) -> str | None:
    """``(k, n)``: all n things (n > 0) have the property, e.g. head parameters that require gradients."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2 and all(is_number(v) for v in student)):
        return f"expected two counts, got {describe(student)}"
    k, n = int(student[0]), int(student[1])
    if n == 0:
        return params.get("none", "there are none")
    if k != n:
        return f"{n - k} of {n} {params.get('items', 'items')} {params.get('problem', 'do not')}"
    return None


def dropout(student, reference, params) -> str | None:
    """``[features, head input]`` in training mode: a share p of the nonzero features zeroed, the rest scaled by 1/(1-p)."""
    pair = _pair(student)
    if pair is None:
        return f"expected two tensors, got {describe(student)}"
    features, received = pair
    if features.shape != received.shape:
        return f"the head received shape {received.shape}, the backbone gave {features.shape}"
    p, tolerance = float(params["p"]), float(params.get("tolerance", 0.05))
    active = features != 0
    if not active.any():
        return "the backbone's output is all zeros (cannot be checked)"
    dropped = (received == 0) & active
    rate = float(dropped.sum() / active.sum())
    if abs(rate - p) > tolerance:
        return (f"in training mode {rate:.0%} of the nonzero features reached the head as 0, expected about "
                f"{p:.0%}: nn.Dropout(p={p:g}) between backbone and head")
    kept = active & ~dropped
    problem = compare_close(received[kept], features[kept] / (1 - p))
    if problem:
        return f"the features the dropout keeps must be scaled by 1 / (1 - p) = {1 / (1 - p):g}: {problem}"
    return None


# ------------------------------------------------------------------ numbers


def number_close(student, reference, params) -> str | None:
    """A Python (or NumPy) number close to the reference; a tensor is not accepted."""
    if isinstance(student, TensorValue):
        return "returned a torch.Tensor, expected a Python float (use .item())"
    if not is_number(student):
        return f"expected a float, got {describe(student)}"
    expected = float(reference)
    if abs(float(student) - expected) > 1e-6 * max(1.0, abs(expected)):
        return f"got {float(student):.6g}, expected {expected:.6g}"
    return None


def falls(student, reference, params) -> str | None:
    """A list of losses whose last value is below its first."""
    if isinstance(student, (list, tuple)) and any(isinstance(v, TensorValue) for v in student):
        return "the history holds tensors: store Python floats (loss.item())"
    if not (isinstance(student, (list, tuple)) and len(student) >= 2 and all(is_number(v) for v in student)):
        return f"expected a list of at least two floats, got {describe(student)}"
    if not student[-1] < student[0]:
        return f"the training loss did not fall: {_rounded(student)}"
    return None


# ------------------------------------------------------------------ training loop


def _epochs(passes, n_train: int, n_val: int):
    """Split forward passes ``[(training, grad, batch)]`` into epochs: a pass over n_train images, then n_val.

    Returns ``([(train indices, val indices), ...], None)`` or ``(None, what does not fit)``.
    """
    epochs, index = [], 0
    total = len(passes)
    while index < total:
        parts = []
        for wanted, name in ((n_train, "training"), (n_val, "validation")):
            seen, first = 0, index
            while index < total and seen < wanted:
                seen += int(passes[index][2])
                index += 1
            if seen != wanted:
                return None, (f"epoch {len(epochs) + 1}: expected a {name} pass over {wanted} images, the model saw "
                              f"{seen} images in the forward passes that follow (batch sizes "
                              f"{[int(p[2]) for p in passes[first:index]][:12]})")
            parts.append(list(range(first, index)))
        epochs.append(tuple(parts))
    return epochs, None


def _passes(value):
    if not isinstance(value, (list, tuple)):
        return None
    rows = []
    for row in value:
        if not (isinstance(row, (list, tuple)) and len(row) == 3):
            return None
        rows.append((bool(row[0]), bool(row[1]), int(row[2])))
    return rows


def passes(student, reference, params) -> str | None:
    """The forward passes of a training run: per epoch, training batches then a validation pass.

    params: ``n_train``, ``n_val``, ``batch_size``, ``epochs``.
    """
    rows = _passes(student)
    if rows is None:
        return f"expected a list of forward passes, got {describe(student)}"
    epochs, problem = _epochs(rows, int(params["n_train"]), int(params["n_val"]))
    if problem:
        return problem
    if len(epochs) != int(params["epochs"]):
        return f"{len(epochs)} epochs ran, expected {params['epochs']}"
    size, n = int(params["batch_size"]), int(params["n_train"])
    wanted = [size] * (n // size) + ([n % size] if n % size else [])
    for number, (train, val) in enumerate(epochs, start=1):
        sizes = [rows[i][2] for i in train]
        if sizes != wanted:
            return (f"epoch {number}: training batches of sizes {sizes}, expected {wanted} "
                    f"(batches of batch_size={size}, the last one smaller)")
        eval_mode = sum(1 for i in train if not rows[i][0])
        if eval_mode:
            return (f"epoch {number}: {eval_mode} of {len(train)} training batches ran in eval mode: call "
                    "model.train() at the start of every epoch (validation switched to eval mode)")
        no_grad = sum(1 for i in train if not rows[i][1])
        if no_grad:
            return f"epoch {number}: {no_grad} training batches ran without gradients"
        training = sum(1 for i in val if rows[i][0])
        if training:
            return (f"epoch {number}: the validation pass ran in training mode ({training} of {len(val)} batches): "
                    "call model.eval() before validating (dropout must be off)")
        grad = sum(1 for i in val if rows[i][1])
        if grad:
            return (f"epoch {number}: the validation pass computed gradients ({grad} of {len(val)} batches): "
                    "validate inside `with torch.no_grad():`")
    return None


def shuffled(student, reference, params) -> str | None:
    """The indices a training set was read in: each epoch every item once, in a new random order.

    params: ``n`` (items), ``epochs``.
    """
    if not (isinstance(student, (list, tuple)) and all(is_number(v) for v in student)):
        return f"expected a list of indices, got {describe(student)}"
    n, epochs = int(params["n"]), int(params["epochs"])
    reads = _in_range(student, n)
    if len(reads) != n * epochs:
        return (f"the training set was read {len(reads)} times in {epochs} epochs, expected {n * epochs}: "
                f"each of its {n} items once per epoch")
    orders = [reads[e * n:(e + 1) * n] for e in range(epochs)]
    for number, order in enumerate(orders, start=1):
        if sorted(order) != list(range(n)):
            return f"epoch {number} did not read each of the {n} training items exactly once"
    in_order = [number for number, order in enumerate(orders, start=1) if order == list(range(n))]
    if in_order:
        return (f"epoch{'s' if len(in_order) > 1 else ''} {', '.join(map(str, in_order))} read the training items "
                "in their stored order: shuffle them (DataLoader(..., shuffle=True))")
    if epochs > 1 and all(order == orders[0] for order in orders):
        return ("every epoch read the training items in the same shuffled order: draw a new order every epoch "
                "(a DataLoader with shuffle=True does)")
    return None


def _in_range(reads, n: int) -> list[int]:
    """The reads of real items: iterating a dataset with ``for x, y in dataset`` also asks for index n (IndexError ends the loop)."""
    return [int(r) for r in reads if 0 <= int(r) < n]


def _split(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start:start + size])
        start += size
    return out


def _loss_inputs(student, params, name: str):
    """Common checks of the loss records; returns (losses, rows, epochs, outputs, reads, labels) or a problem."""
    if not isinstance(student, dict):
        return f"expected a record of the run, got {describe(student)}"
    losses = student.get(name)
    if not isinstance(losses, (list, tuple)):
        return f"history[{name!r}] is {describe(losses)}, expected a list of floats"
    tensors = [i for i, v in enumerate(losses) if isinstance(v, TensorValue)]
    if tensors:
        return f"history[{name!r}] holds tensors: store Python floats (loss.item())"
    if not all(is_number(v) for v in losses):
        return f"history[{name!r}] must hold floats, got {_rounded(losses)[:6]}"
    rows = _passes(student.get("passes"))
    epochs, problem = _epochs(rows or [], int(params["n_train"]), int(params["n_val"]))
    if rows is None or problem:
        return "could not be checked: the forward passes do not follow the text (see the check of the forward passes)"
    if len(losses) != len(epochs):
        return f"history[{name!r}] has {len(losses)} values for {len(epochs)} epochs run"
    outputs = student.get("outputs")
    if not (isinstance(outputs, (list, tuple)) and len(outputs) == len(rows)
            and all(isinstance(o, TensorValue) for o in outputs)):
        return "could not be checked: the model's outputs were not recorded (does the model return a tensor?)"
    reads = student.get("reads")
    labels = student.get("labels")
    if not (isinstance(reads, (list, tuple)) and isinstance(labels, (list, tuple))):
        return "could not be checked: the read order was not recorded"
    return losses, rows, epochs, outputs, [int(r) for r in reads], np.asarray(labels, dtype=np.float64)


def train_loss(student, reference, params) -> str | None:
    """history["train_loss"][e]: the mean of epoch e's batch losses (BCE of each batch, averaged over batches).

    The record holds the history, the forward passes and outputs, the order the
    training set was read in and its labels; the batch losses are recomputed
    from the outputs the model really gave. params: ``n_train``, ``n_val``.
    """
    found = _loss_inputs(student, params, "train_loss")
    if isinstance(found, str):
        return found
    losses, rows, epochs, outputs, reads, labels = found
    n = int(params["n_train"])
    reads = _in_range(reads, n)
    if len(reads) != n * len(epochs):
        return "could not be checked: the training set was not read once per epoch (see the check of the shuffling)"
    for number, (train, _) in enumerate(epochs, start=1):
        order = reads[(number - 1) * n:number * n]
        batches = _split(order, [rows[i][2] for i in train])
        per_batch = [_bce(outputs[i].array, labels[batch]) for i, batch in zip(train, batches)]
        batch_means = [float(b.mean()) for b in per_batch]
        expected = float(np.mean(batch_means))
        got = float(losses[number - 1])
        if _close(got, expected):
            continue
        squared = [float(np.mean((outputs[i].array.reshape(-1) - labels[batch]) ** 2)) for i, batch in zip(train, batches)]
        guesses = {
            "the mean squared error, not the binary cross-entropy (nn.BCELoss)": float(np.mean(squared)),
            "the mean over images (each batch weighted by its size)": float(np.concatenate(per_batch).mean()),
            "the sum of the batch losses": float(np.sum(batch_means)),
            "the loss of the last batch only": batch_means[-1],
            "the sum over images": float(np.concatenate(per_batch).sum()),
        }
        named = next((what for what, value in guesses.items() if _close(got, value)), None)
        return (f"epoch {number}: training loss {got:.6f}, but the mean of the epoch's {len(batch_means)} batch "
                f"losses is {expected:.6f}" + (f"; yours is {named}" if named else "")
                + " (the BCE of each batch, averaged over the batches)")
    return None


def val_loss(student, reference, params) -> str | None:
    """history["val_loss"][e]: the mean BCE over all validation images, from the outputs of epoch e's validation pass.

    params: ``n_train``, ``n_val``.
    """
    found = _loss_inputs(student, params, "val_loss")
    if isinstance(found, str):
        return found
    losses, rows, epochs, outputs, reads, labels = found
    n = int(params["n_val"])
    reads = _in_range(reads, n)
    if len(reads) != n * len(epochs):
        return (f"could not be checked: the validation set was read {len(reads)} times in {len(epochs)} epochs, "
                f"expected each of its {n} items once per epoch")
    for number, (_, val) in enumerate(epochs, start=1):
        order = reads[(number - 1) * n:number * n]
        batches = _split(order, [rows[i][2] for i in val])
        per_batch = [_bce(outputs[i].array, labels[batch]) for i, batch in zip(val, batches)]
        expected = float(np.concatenate(per_batch).mean())
        got = float(losses[number - 1])
        if _close(got, expected):
            continue
        batch_means = [float(b.mean()) for b in per_batch]
        squared = np.concatenate([(outputs[i].array.reshape(-1) - labels[batch]) ** 2 for i, batch in zip(val, batches)])
        guesses = {
            "the mean squared error, not the binary cross-entropy (nn.BCELoss)": float(squared.mean()),
            "the mean of the batch losses (a smaller last batch then counts as much as a full one)":
                float(np.mean(batch_means)),
            "the sum of the batch losses": float(np.sum(batch_means)),
            "the loss of the last batch only": batch_means[-1],
            "the sum over images": float(np.concatenate(per_batch).sum()),
        }
        named = next((what for what, value in guesses.items() if _close(got, value)), None)
        return (f"epoch {number}: validation loss {got:.6f}, but the mean BCE over the {n} validation images "
                f"is {expected:.6f}" + (f"; yours is {named}" if named else "")
                + " (add each batch's mean BCE times its size, divide by len(val_ds))")
    return None


def optimizer(student, reference, params) -> str | None:
    """The optimizers that stepped: Adam, at the given learning rate, over every trainable parameter, once per batch.

    params: ``lr``, ``steps`` (training batches in the run).
    """
    if not isinstance(student, dict) or not isinstance(student.get("optimizers"), (list, tuple)):
        return f"expected a record of the optimizers, got {describe(student)}"
    used = [u for u in student["optimizers"] if isinstance(u, dict)]
    if not used:
        return "no optimizer took a step: call optimizer.step() after every backward pass"
    kinds = sorted({str(u.get("type")) for u in used})
    if kinds != ["Adam"]:
        return f"uses {', '.join(kinds)}: the text asks for torch.optim.Adam"
    lr = float(params["lr"])
    for use in used:
        rates = use.get("lr") if isinstance(use.get("lr"), (list, tuple)) else []
        wrong = [r for r in rates if not (is_number(r) and math.isclose(float(r), lr, rel_tol=1e-9))]
        if wrong or not rates:
            return f"Adam's learning rate is {_rounded(rates)}, expected the learning_rate argument {lr:g}"
    trainable = {int(i) for i in student.get("trainable", [])}
    covered = {int(i) for u in used for i in (u.get("params") or [])}
    missing = sorted(trainable - covered)
    if missing:
        return (f"{len(missing)} of the {len(trainable)} parameter tensors that require gradients are not "
                "given to Adam: pass every parameter that requires a gradient")
    steps = sum(int(u.get("steps", 0)) for u in used)
    if steps != int(params["steps"]):
        return f"{steps} optimizer steps for {params['steps']} training batches: take one step per batch"
    return None


def history(student, reference, params) -> str | None:
    """The returned history: a dict with exactly train_loss and val_loss, one float each per epoch run."""
    if not isinstance(student, dict):
        return f"transfer_train returned {describe(student)}, expected a dict {{'train_loss': [...], 'val_loss': [...]}}"
    keys = sorted(student)
    if keys != ["train_loss", "val_loss"]:
        return f"the history has keys {keys}, expected ['train_loss', 'val_loss']"
    epochs = int(params["epochs"])
    for name in keys:
        values = student[name]
        if not isinstance(values, (list, tuple)):
            return f"history[{name!r}] is {describe(values)}, expected a list"
        if any(isinstance(v, TensorValue) for v in values):
            return f"history[{name!r}] holds tensors: store Python floats (loss.item())"
        if not all(is_number(v) for v in values):
            return f"history[{name!r}] must hold floats"
        if len(values) != epochs:
            return f"history[{name!r}] has {len(values)} values, expected {epochs} (one per epoch run)"
    return None


def early_calls(student, reference, params) -> str | None:
    """The calls of early_stopping_check: after every epoch (at least the last), with the validation losses so far.

    The record: ``{"calls": [[losses, threshold], ...], "val_loss": history["val_loss"]}``; params: ``patience``.
    """
    if not isinstance(student, dict) or not isinstance(student.get("calls"), (list, tuple)):
        return f"expected a record of the calls, got {describe(student)}"
    calls, history_losses = student["calls"], student.get("val_loss")
    if not isinstance(history_losses, (list, tuple)) or not all(is_number(v) for v in history_losses):
        return "could not be checked: history['val_loss'] is not a list of floats"
    if not calls:
        return "early_stopping_check was never called: call it after every epoch"
    patience = params["patience"]
    for number, call in enumerate(calls, start=1):
        losses, threshold = call
        if threshold != patience:
            return f"early_stopping_check got threshold {threshold!r}, expected patience={patience}"
        if not (isinstance(losses, (list, tuple)) and all(is_number(v) for v in losses)):
            return f"call {number} of early_stopping_check received {describe(losses)}, expected a list of floats"
        prefix = list(history_losses[:len(losses)])
        if len(losses) > len(history_losses) or not np.allclose(losses, prefix, rtol=1e-6, atol=1e-9):
            return (f"early_stopping_check received {_rounded(losses)}, but the validation losses so far were "
                    f"{_rounded(prefix)}: pass history['val_loss']")
    last = len(calls[-1][0])
    if last != len(history_losses):
        return (f"after the last epoch ({len(history_losses)}) early_stopping_check received {last} losses: "
                "call it after appending the epoch's validation loss")
    return None


# ------------------------------------------------------------------ evaluation and checkpoints


def eval_passes(student, reference, params) -> str | None:
    """Forward passes of an evaluation: eval mode, no gradients, every item once. params: ``n``."""
    rows = _passes(student)
    if rows is None:
        return f"expected a list of forward passes, got {describe(student)}"
    training = sum(1 for r in rows if r[0])
    if training:
        return f"{training} of {len(rows)} batches ran in training mode: call model.eval() first"
    grad = sum(1 for r in rows if r[1])
    if grad:
        return f"{grad} of {len(rows)} batches computed gradients: evaluate inside `with torch.no_grad():`"
    seen = sum(r[2] for r in rows)
    if seen != int(params["n"]):
        return f"the model saw {seen} images, the dataset has {params['n']}"
    return None


def state_dict_saved(student, reference, params) -> str | None:
    """What a checkpoint file holds: a state dict with the model's keys, in order, and its tensors.

    The record: ``{"keys": [...], "tensors": {name: tensor}}``, or a string saying
    why ``torch.load(weights_only=True)`` could not read it.
    """
    if isinstance(student, str):
        return student
    if not isinstance(student, dict) or not isinstance(student.get("keys"), (list, tuple)):
        return f"expected a description of the file, got {describe(student)}"
    keys, expected = list(student["keys"]), list(reference["keys"])
    if student.get("type") not in ("dict", "OrderedDict"):
        return f"the file holds a {student.get('type')}, expected the state dict (model.state_dict())"
    if keys != expected:
        return f"the file holds the keys {keys[:5]}, expected the model's state dict keys {expected[:5]}"
    tensors = student.get("tensors") or {}
    for name in expected:
        got, want = tensors.get(name), reference["tensors"][name]
        if not isinstance(got, TensorValue) or got.array.shape != want.array.shape \
                or not np.array_equal(got.array, want.array):
            return f"{name} in the file differs from the model's"
    return None


POLICIES = {
    "pair_close": pair_close, "unit_interval": unit_interval, "all_of": all_of, "dropout": dropout,
    "number_close": number_close, "falls": falls, "passes": passes, "shuffled": shuffled,
    "train_loss": train_loss, "val_loss": val_loss, "optimizer": optimizer, "history": history,
    "early_calls": early_calls, "eval_passes": eval_passes, "state_dict_saved": state_dict_saved,
    "device_moves": device_moves,
}
