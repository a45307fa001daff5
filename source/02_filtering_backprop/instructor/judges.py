"""Assignment 2's own comparisons, for the training loops' recorded behaviour.

The training loops may shuffle in any way the text allows (``rng.permutation``,
``rng.shuffle``, a generator made once or per epoch), so their losses and the order
of the examples differ between correct solutions: the test cells record what the
stand-in networks and losses saw, and these policies judge the properties the text
fixes. Each takes ``(student_value, reference_value, params)`` and returns None or
what is wrong (see :mod:`cnnkit.grader.rules`).
"""
from __future__ import annotations

import math


def _numbers(value) -> list[float] | None:
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    return numbers if all(math.isfinite(v) for v in numbers) else None


def same_sequence(student, reference, params) -> str | None:
    """A list equal to the reference's (e.g. the calls a training loop made); names the first difference,
    followed by ``params["explain"]`` (unlike a hint, it is not shown when the student's code raised)."""
    problem = _first_difference(student, reference)
    return problem + (f" ({params['explain']})" if params.get("explain") else "") if problem else None


def _first_difference(student, reference) -> str | None:
    if not isinstance(student, (list, tuple)):
        return "expected a list"
    student, reference = list(student), list(reference)
    for index, (got, wanted) in enumerate(zip(student, reference)):
        if got != wanted:
            before = ", ".join(repr(v) for v in reference[max(0, index - 3):index])
            return (f"item {index + 1} of {len(reference)} is {got!r}, expected {wanted!r}"
                    + (f" (after {before})" if before else ""))
    if len(student) != len(reference):
        extra = len(student) > len(reference)
        first = student[len(reference)] if extra else reference[len(student)]
        return (f"{len(student)} items, expected {len(reference)}: "
                + (f"{first!r} and more after the expected end" if extra else f"missing from {first!r} on"))
    return None


def each_epoch_a_permutation(student, reference, params) -> str | None:
    """The indices of the examples in the order the network saw them (``epochs`` epochs of ``N``):
    every epoch uses each example exactly once, and the order is shuffled (not 0, 1, ..., N - 1 in
    every epoch)."""
    N, epochs = int(params["N"]), int(params["epochs"])
    if not isinstance(student, (list, tuple)) or not all(isinstance(i, int) for i in student):
        return "expected the list of the examples the network saw"
    if len(student) != N * epochs:
        return (f"the network saw {len(student)} examples in {epochs} epochs of {N}, expected {N * epochs}: "
                "every epoch goes once through all the data (the last batch may be smaller)")
    chunks = [list(student[e * N:(e + 1) * N]) for e in range(epochs)]
    for number, chunk in enumerate(chunks, start=1):
        if sorted(chunk) != list(range(N)):
            return f"epoch {number} did not use every example exactly once"
    if all(chunk == list(range(N)) for chunk in chunks):
        return "the examples were never shuffled: go through them in a random order in every epoch"
    return None


def epoch_means(student, reference, params) -> str | None:
    """``{"batch losses": [...], "epoch losses": [...]}``: one loss per epoch, the mean of the
    losses of that epoch's ``batches`` batches (the stand-in loss noted them as it returned them)."""
    epochs, batches = int(params["epochs"]), int(params["batches"])
    if not isinstance(student, dict):
        return "expected the batch losses and the epoch losses"
    batch_losses, epoch_losses = _numbers(student.get("batch losses", ())), _numbers(student.get("epoch losses", ()))
    if epoch_losses is None:
        return "the losses returned are not all finite numbers"
    if len(epoch_losses) != epochs:
        return f"{len(epoch_losses)} losses returned for {epochs} epochs: one per epoch"
    if batch_losses is None or len(batch_losses) != epochs * batches:
        count = "?" if batch_losses is None else len(batch_losses)
        return f"the loss was computed {count} times, expected {epochs * batches} (once per batch)"
    for epoch in range(epochs):
        mean = sum(batch_losses[epoch * batches:(epoch + 1) * batches]) / batches
        if not math.isclose(epoch_losses[epoch], mean, rel_tol=1e-6, abs_tol=1e-12):
            return (f"epoch {epoch + 1}: loss {epoch_losses[epoch]:.6g}, but the mean of its {batches} batch losses "
                    f"is {mean:.6g}")
    return None


def different_orders(student, reference, params) -> str | None:
    """Two orders of the same examples, drawn with two seeds: they must differ."""
    if not isinstance(student, (list, tuple)) or len(student) != 2:
        return "expected two orders"
    first, second = (list(order) if isinstance(order, (list, tuple)) else order for order in student)
    if first == second:
        return "seed=0 and seed=1 gave the same order: draw the order from np.random.default_rng(seed)"
    return None


def at_least(student, reference, params) -> str | None:
    """A number no smaller than ``limit``."""
    if isinstance(student, bool) or not isinstance(student, (int, float)) or not math.isfinite(student):
        return f"expected a number, got {type(student).__name__}"
    limit = params["limit"]
    if student < limit:
        message = params.get("message")
        return f"{student:.4g}, expected at least {limit}" + (f" ({message})" if message else "")
    return None


POLICIES = {
    "same_sequence": same_sequence,
    "each_epoch_a_permutation": each_epoch_a_permutation,
    "epoch_means": epoch_means,
    "different_orders": different_orders,
    "at_least": at_least,
}
