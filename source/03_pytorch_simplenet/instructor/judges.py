"""Assignment 3's own comparisons (instructor-only; the grader loads ``POLICIES``).

The test cells record raw observations (the images a dataset returns, the
subplots of a figure, the forward and backward passes of a training loop in
order, the optimisers that took steps, the order a dataset was read in, what
was printed, the operators that ran inside a convolution) and these functions
decide, outside the student's process, whether the text's requirements hold.
Each takes ``(student_value, reference_value, params)`` and returns None or what
is wrong, in words a student can act on (the grader appends ``params["hint"]``).

Values arrive decoded (:func:`cnnkit.grader.judge.decode`): tensors as
:class:`~cnnkit.grader.judge.TensorValue`, tuples and lists as such. Every
function must accept the reference solution's own value (the grader checks the
reference against itself). Values that legitimately differ between correct
solutions (which images ``plot_samples`` picks, the validation batch size, how
many passes validation takes, the weights of ``ImprovedNet``) are judged by
properties, never against the reference's value.
"""
from __future__ import annotations

import math
import re

import numpy as np

from cnncourse.checks import compare_close
from cnnkit.grader.judge import ObjectValue, TensorValue, as_array, describe, is_number
from cnnkit.grader.torch_judges import device_moves


# ------------------------------------------------------------------ helpers


def _rounded(values, digits: int = 4) -> list:
    return [round(float(v), digits) if is_number(v) else v for v in values]


def _batches(n: int, batch_size: int) -> list[int]:
    """The batch sizes of one pass over n items: full batches, then the rest."""
    return [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


# ------------------------------------------------------------------ generic properties


def within(student, reference, params) -> str | None:
    """``[low, high]`` (e.g. an image's smallest and largest value) inside ``[params.low, params.high]``."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2 and all(is_number(v) for v in student)):
        return f"expected [smallest, largest], got {describe(student)}"
    low, high = student
    if not (math.isfinite(low) and math.isfinite(high)):
        return "contains NaN or inf"
    if low < params["low"] - 1e-6 or high > params["high"] + 1e-6:
        return f"values from {low:.3f} to {high:.3f}, expected within [{params['low']:g}, {params['high']:g}]"
    return None


def image_close(student, reference, params) -> str | None:
    """An image of the reference's shape whose mean absolute difference per channel is at most ``tolerance``.

    Resizing with PIL or with torch (and antialiasing or not) moves pixels by a few
    hundredths; cropping, normalising or another photo moves them by tenths.
    """
    actual, expected = as_array(student), as_array(reference)
    if actual is None:
        return f"expected an image tensor, got {describe(student)}"
    if actual.shape != expected.shape:
        return f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
    if not np.all(np.isfinite(actual)):
        return "contains NaN or inf"
    error = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
    per_channel = error.reshape(error.shape[0], -1).mean(axis=1) if error.ndim >= 2 else error
    worst = float(per_channel.max()) if per_channel.size else 0.0
    if worst > params["tolerance"]:
        return (f"differs from the photo resized to the expected size by {worst:.3f} on average per pixel "
                f"(accepted up to {params['tolerance']:g})")
    return None


def includes(student, reference, params) -> str | None:
    """A list (e.g. of saved files) that holds every item of ``params.items``."""
    if not isinstance(student, (list, tuple)):
        return f"expected a list, got {describe(student)}"
    missing = [item for item in params["items"] if item not in student]
    if missing:
        found = ", ".join(map(str, student)) or "nothing"
        return f"{', '.join(map(str, missing))} missing (found: {found})"
    return None


def pair_close(student, reference, params) -> str | None:
    """``[a, b]``, two observations of the student's own code that must agree (e.g. a batch vs. images alone)."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2):
        return f"expected two values, got {describe(student)}"
    first, second = as_array(student[0]), as_array(student[1])
    if first is None or second is None:
        return f"expected numbers, got {describe(student[0])} and {describe(student[1])}"
    if first.shape != second.shape:
        return f"shapes {tuple(first.shape)} and {tuple(second.shape)} differ"
    problem = compare_close(first.astype(np.float64), second.astype(np.float64), params.get("rtol", 1e-4),
                            params.get("atol", 1e-6))
    return None if problem is None else str(params.get("message") or problem)


def falls(student, reference, params) -> str | None:
    """Losses per epoch whose last value is below ``factor`` times the first."""
    values = as_array(student)
    if values is None or values.ndim != 1 or values.size < 2:
        return f"expected one loss per epoch, got {describe(student)}"
    if not np.all(np.isfinite(values)):
        return f"not finite: {_rounded(values.tolist())}"
    if not values[-1] < params["factor"] * values[0]:
        return f"the training loss did not fall enough: {_rounded(values.tolist(), 3)}"
    return None


def same_twice(student, reference, params) -> str | None:
    """``[first run, second run]`` exactly equal."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2):
        return f"expected two runs, got {describe(student)}"
    first, second = as_array(student[0]), as_array(student[1])
    if first is None or second is None or first.shape != second.shape or not np.array_equal(first, second):
        return str(params.get("message") or "the two runs differ")
    return None


# ------------------------------------------------------------------ plot_samples


def samples(student, reference, params) -> str | None:
    """The image subplots of ``plot_samples``: which dataset image each shows, its title and its position.

    ``student``: one dict per subplot that shows an image: ``image`` (index of the
    dataset image it shows), ``distance`` (how far the shown pixels are from that
    image), ``title`` (its titles, every location), ``x``, ``y`` (its position in the
    figure). Any images may be chosen; each must be shown unchanged, titled with
    its class, ``n_per_class`` per class, one row per class.
    """
    labels, classes, n = params["labels"], params["classes"], params["n_per_class"]
    if not isinstance(student, (list, tuple)) or not all(isinstance(s, dict) for s in student):
        return f"expected the figure's subplots, got {describe(student)}"
    wanted = n * len(classes)
    if len(student) != wanted:
        return f"{len(student)} subplots show an image, expected {n} per class = {wanted}"
    shown = []
    for number, axis in enumerate(student):
        if not is_number(axis.get("distance")) or axis["distance"] > 0.01:
            return (f"subplot {number} shows an image that is not one of the dataset's "
                    "(show dataset[i][0] unchanged, as (h, w, 3): image.permute(1, 2, 0))")
        index = int(axis["image"])
        name = classes[labels[index]]
        title = str(axis.get("title", ""))
        if name not in title or any(other in title for other in classes if other != name and other not in name):
            return f"subplot {number} shows an image of class {name!r} but is titled {title.strip()!r}"
        shown.append(index)
    if len(set(shown)) < len(shown):
        return "an image is shown twice"
    counts = [sum(1 for i in shown if labels[i] == c) for c in range(len(classes))]
    if counts != [n] * len(classes):
        return f"images per class {counts}, expected {n} of each"
    rows: dict[float, set] = {}
    for axis, index in zip(student, shown):
        rows.setdefault(round(float(axis["y"]), 2), set()).add(labels[index])
    if len(rows) != len(classes) or any(len(found) != 1 for found in rows.values()):
        return f"the images are laid out in {len(rows)} rows, expected one row per class ({len(classes)}), each of one class"
    return None


# ------------------------------------------------------------------ evaluate_accuracy


def eval_passes(student, reference, params) -> str | None:
    """Forward passes ``[(training, grad_enabled, batch_size), ...]`` of an evaluation over ``n`` images."""
    if not isinstance(student, (list, tuple)):
        return f"expected the forward passes, got {describe(student)}"
    if any(p[0] for p in student):
        return "the model ran in training mode: call model.eval() first"
    if any(p[1] for p in student):
        return "gradients were on: evaluate under torch.no_grad() (or torch.inference_mode())"
    seen = sum(int(p[2]) for p in student)
    if seen != params["n"]:
        return f"{seen} images went through the model, expected each of the {params['n']} images once"
    sizes = sorted(int(p[2]) for p in student)
    if sizes != sorted(_batches(params["n"], params["batch_size"])):
        return (f"batches of {sorted(set(sizes), reverse=True)} images, expected batches of batch_size="
                f"{params['batch_size']}: DataLoader(dataset, batch_size=batch_size)")
    return None


# ------------------------------------------------------------------ train


def printed_count(student, reference, params) -> str | None:
    """The printed text mentions the number of trainable parameters (not the total, when they differ)."""
    if not isinstance(student, str):
        return f"expected the printed text, got {describe(student)}"
    plain = re.sub(r"(?<=\d)[,_ '\u2009\u202f](?=\d{3}\b)", "", student)
    numbers = {int(n) for n in re.findall(r"(?<![\d.])\d+(?!\d|\.\d)", plain)}
    trainable, total = params["trainable"], params["total"]
    if trainable in numbers:
        return None
    shown = student.strip()[:120]
    if total in numbers:
        return (f"printed {total}, the number of all parameters; this model has {total - trainable} frozen ones "
                f"(requires_grad=False), so {trainable} are trainable: count only p.requires_grad")
    return f"train must print the number of trainable parameters ({trainable}); it printed {shown!r}"


def shuffled(student, reference, params) -> str | None:
    """The indices a training set was read at: every item once per epoch, a new random order every epoch."""
    n, epochs = params["n"], params["epochs"]
    if not isinstance(student, (list, tuple)) or not all(is_number(i) for i in student):
        return f"expected the read indices, got {describe(student)}"
    counts = np.bincount(np.asarray(student, dtype=np.int64), minlength=n) if student else np.zeros(n, int)
    if counts.min() < epochs:
        return f"some training images were read fewer than {epochs} times in {epochs} epochs: read every image once per epoch"
    orders = [list(student[e * n:(e + 1) * n]) for e in range(epochs)]
    if any(order == list(range(n)) for order in orders):
        return "the training images were read in their stored order: shuffle them (DataLoader(..., shuffle=True))"
    if all(order == orders[0] for order in orders[1:]):
        return ("the training images were read in the same order every epoch: let the DataLoader shuffle anew "
                "each epoch (do not seed its generator again before every epoch)")
    return None


def _forwards(events) -> list[tuple[bool, tuple]]:
    """(is a training step, (training, grad_enabled, batch_size)) per forward pass."""
    found = []
    for event, after in zip(events, list(events[1:]) + [("end",)]):
        if event[0] == "forward":
            found.append((after[0] == "backward", tuple(event[1:])))
    return found


def _epochs(events) -> list[tuple[list, list]]:
    """Per epoch: its training steps, then the evaluation passes until the next epoch's first step."""
    epochs: list[tuple[list, list]] = []
    for step, forward in _forwards(events):
        if step:
            if not epochs or epochs[-1][1]:
                epochs.append(([], []))
            epochs[-1][0].append(forward)
        elif epochs:
            epochs[-1][1].append(forward)
    return epochs


def _events(student) -> str | None:
    if not isinstance(student, (list, tuple)) or not all(isinstance(e, (list, tuple)) and e for e in student):
        return f"expected the recorded passes, got {describe(student)}"
    return None


def train_modes(student, reference, params) -> str | None:
    """Training steps in training mode; validation after every epoch, on every image, in eval mode, without gradients.

    ``student``: ``[("forward", training, grad_enabled, batch_size) | ("backward", stale), ...]`` in order.
    """
    problem = _events(student)
    if problem:
        return problem
    forwards = _forwards(student)
    steps = [f for step, f in forwards if step]
    if not steps:
        return "no forward pass was followed by loss.backward(): nothing was trained"
    if any(not f[0] for f in steps):
        first_eval = next(i for i, f in enumerate(steps) if not f[0])
        if first_eval == 0:
            return "training batches ran in eval mode: call model.train() at the start of every epoch"
        return ("training batches of later epochs ran in eval mode: call model.train() at the start of every "
                "epoch (validating switched the model to eval mode)")
    evaluations = [f for step, f in forwards if not step]
    if any(f[0] for f in evaluations):
        return "validation forward passes ran in training mode: call model.eval() before validating"
    if any(f[1] for f in evaluations):
        return "validation ran with gradients on: validate under torch.no_grad() (nothing is trained there)"
    epochs = _epochs(student)
    if len(epochs) != params["epochs"]:
        return (f"{len(epochs)} rounds of training steps followed by validation, expected {params['epochs']}: "
                "validate after every epoch")
    for number, (_, validation) in enumerate(epochs, start=1):
        seen = sum(f[2] for f in validation)
        if seen < params["n_val"]:
            return (f"after epoch {number}, {seen} validation images went through the model, expected all "
                    f"{params['n_val']} (validate after every epoch, on the whole of val_ds)")
    return None


def train_steps(student, reference, params) -> str | None:
    """One step (forward, backward) per batch of ``batch_size`` images, every epoch, gradients reset at every step."""
    problem = _events(student)
    if problem:
        return problem
    wanted = _batches(params["n_train"], params["batch_size"])
    sizes = [f[2] for step, f in _forwards(student) if step]
    if sorted(sizes) != sorted(wanted * params["epochs"]):
        shown = sizes if len(sizes) <= 12 else sizes[:12] + ["..."]
        return (f"training steps with batch sizes {shown}, expected {params['epochs']} epochs of {wanted}: "
                "one step (forward, loss.backward(), optimizer.step()) per batch of batch_size images")
    stale = sum(1 for e in student if e[0] == "backward" and e[1])
    if stale:
        return (f"{stale} backward passes added to gradients left from the previous batch: call "
                "optimizer.zero_grad() at every step")
    return None


def optimiser(student, reference, params) -> str | None:
    """One ``torch.optim.Adam`` with ``lr=learning_rate``, created once, updating every trainable parameter.

    ``student``: one summary per optimiser that took steps: ``type``, ``lr`` (one per
    parameter group), ``params`` (indices into ``model.parameters()``), ``steps``.
    Adam's other settings (betas, eps, weight decay) are left open by the text.
    """
    if not isinstance(student, (list, tuple)) or not all(isinstance(u, dict) for u in student):
        return f"expected the optimisers, got {describe(student)}"
    if not student:
        return "no optimiser took a step: call optimizer.step() after loss.backward()"
    names = sorted({str(u.get("type")) for u in student})
    if names != ["Adam"]:
        return f"the optimiser is {', '.join(names)}; the text asks for torch.optim.Adam"
    if len(student) > 1:
        return (f"{len(student)} Adam optimisers took steps: create one, once, before the first epoch "
                "(Adam keeps running averages of the gradients)")
    use = student[0]
    rates = _rounded(list(use.get("lr", [])), 8)
    if not rates or any(not is_number(r) or abs(r - params["learning_rate"]) > 1e-12 for r in rates):
        return f"Adam's learning rate is {rates}, expected lr=learning_rate ({params['learning_rate']:g})"
    missing = sorted(set(params["trainable"]) - set(use.get("params", [])))
    if missing:
        return "the optimiser does not update every trainable parameter: give it model.parameters()"
    if use.get("steps") != params["steps"]:
        return f"{use.get('steps')} optimiser steps, expected {params['steps']} (one per batch)"
    return None


def plotted(student, reference, params) -> str | None:
    """``plot_history`` called once, after the last epoch, with the returned history and the reference's name."""
    if not isinstance(student, dict) or not isinstance(student.get("calls"), (list, tuple)):
        return f"expected the plot_history calls, got {describe(student)}"
    calls, returned = student["calls"], student.get("returned")
    if len(calls) != 1:
        return f"plot_history was called {len(calls)} times, expected once, at the end"
    call = calls[0]
    if call.get("history") != returned:
        return "plot_history received another history than train returned (call it once, after the last epoch)"
    wanted = reference["calls"][0]["name"]
    if call.get("name") != wanted:
        return (f"plot_history was called with the name {call.get('name')!r}, expected {wanted!r} "
                "(the name argument, or type(model).__name__ when it is None)")
    return None


# ------------------------------------------------------------------ networks


def sigmoid_of(student, reference, params) -> str | None:
    """``[output, z]``: the network's output is sigmoid(z), z the output of its last nn.Linear layer."""
    if not (isinstance(student, (list, tuple)) and len(student) == 2):
        return f"expected two tensors, got {describe(student)}"
    output, z = as_array(student[0]), as_array(student[1])
    if output is None or z is None:
        return "expected two tensors"
    if output.shape != z.shape:
        return f"the output has shape {tuple(output.shape)}, the last nn.Linear layer's output {tuple(z.shape)}"
    expected = 1 / (1 + np.exp(-z.astype(np.float64)))
    if compare_close(output.astype(np.float64), expected, 1e-4, 1e-6):
        return "the output is not sigmoid(output of the last nn.Linear layer)"
    return None


def no_convolution(student, reference, params) -> str | None:
    """The ATen operators that ran inside the student's function include no convolution."""
    if not isinstance(student, (list, tuple)):
        return f"expected operator names, got {describe(student)}"
    found = sorted({str(n) for n in student if _is_convolution(str(n))})
    if found:
        return (f"PyTorch's own convolution ran inside Conv2dUnfold ({', '.join(found)}): "
                "build it from F.unfold, a matrix product and F.fold")
    return None


CONVOLUTION_PREFIXES = ("conv1d", "conv2d", "conv3d", "conv_", "convolution", "mkldnn_conv", "thnn_conv", "slow_conv",
                        "cudnn_conv", "miopen_conv")


def _is_convolution(name: str) -> bool:
    return name.lstrip("_").startswith(CONVOLUTION_PREFIXES) or "convolution" in name


# ------------------------------------------------------------------ experiments (Part 9)


def _pool_of(label) -> str | None:
    """The pooling a line's label names: "max", "avg" (avg, average, mean) or None (neither, or both)."""
    text = str(label).lower()
    found = {"max"} if "max" in text else set()
    if "avg" in text or "aver" in text or "mean" in text:
        found.add("avg")
    return found.pop() if len(found) == 1 else None


def pooling_calls(student, reference, params) -> str | None:
    """compare_pooling's calls: make_model("max") and make_model("avg"), each right after torch.manual_seed(seed),
    and each network trained once, on the given data, with the given settings and the name pool_<pool>.

    ``student``: ``{"made": [[pool, random state], ...], "trained": [{pool, model, train_ds, val_ds, epochs,
    batch_size, learning_rate, name}, ...], "seeded": random state right after torch.manual_seed(seed)}``.
    """
    if not isinstance(student, dict) or not isinstance(student.get("made"), (list, tuple)):
        return f"expected the recorded calls, got {describe(student)}"
    made, trained = list(student["made"]), list(student.get("trained") or [])
    pools = sorted(str(m[0]) for m in made)
    if pools != ["avg", "max"]:
        return f"make_model was called with {pools}, expected 'max' and 'avg', once each"
    if any(m[1] != student.get("seeded") for m in made):
        return ("a network was not created right after torch.manual_seed(seed): call torch.manual_seed(seed) "
                "before make_model(pool), for each network, so that both start alike")
    if len(trained) != 2 or sorted(str(t.get("pool")) for t in trained) != ["avg", "max"]:
        return (f"train was called {len(trained)} times, for the poolings "
                f"{sorted(str(t.get('pool')) for t in trained)}: train each of the two networks once")
    if sorted(int(t.get("model", -1)) for t in trained) != [0, 1]:
        return "train did not receive the networks make_model returned"
    for call in trained:
        if not (call.get("train_ds") is True and call.get("val_ds") is True):
            return "train did not receive train_ds and val_ds as given"
        settings = (call.get("epochs"), call.get("batch_size"), call.get("learning_rate"))
        if settings != (params["epochs"], params["batch_size"], params["learning_rate"]):
            return (f"train got epochs, batch_size, learning_rate = {settings}, expected "
                    f"{(params['epochs'], params['batch_size'], params['learning_rate'])}")
        if call.get("name") != f"pool_{call.get('pool')}":
            return f"train got name={call.get('name')!r} for the {call.get('pool')} network, expected 'pool_{call.get('pool')}'"
    return None


def pool_curves(student, reference, params) -> str | None:
    """The figure of compare_pooling: each line of the reference's figure (a metric of one pooling) is there,
    with the same values and a label naming its pooling; the lines that share a subplot in the reference share
    one in the student's figure, and lines of different reference subplots do not.

    ``student``/``reference``: one dict per line: ``axes`` (index of its subplot), ``label``, ``y`` (values).
    """
    if not isinstance(student, (list, tuple)) or not all(isinstance(line, dict) for line in student):
        return f"expected the figure's lines, got {describe(student)}"
    if not student:
        return "the returned figure has no lines: return (histories, fig) with the plotted figure"
    placed: dict[int, set] = {}
    for wanted in reference:
        pool = _pool_of(wanted["label"])
        values = np.asarray(wanted["y"], dtype=np.float64)
        same = [line for line in student if as_array(line.get("y")) is not None
                and as_array(line["y"]).shape == values.shape and np.allclose(as_array(line["y"]), values, atol=1e-9)]
        if not same:
            return (f"no line shows the values {_rounded(values.tolist(), 3)} of the {pool} network: plot the "
                    "validation loss and the validation accuracy per epoch of both networks")
        labelled = [line for line in same if _pool_of(line.get("label")) == pool]
        if not labelled:
            return (f"the line of the {pool} network's values {_rounded(values.tolist(), 3)} is labelled "
                    f"{same[0].get('label')!r}: label each line with its pooling ('max', 'avg') and add a legend")
        placed.setdefault(int(wanted["axes"]), set()).add(int(labelled[0]["axes"]))
    if any(len(axes) != 1 for axes in placed.values()):
        return "the two networks' curves of one quantity are in different subplots: one subplot per quantity"
    targets = [next(iter(axes)) for axes in placed.values()]
    if len(set(targets)) != len(targets):
        return "the validation loss and the validation accuracy share one subplot: draw them in two"
    return None


def sweep_calls(student, reference, params) -> str | None:
    """sweep's calls: one new network per (learning rate, batch size) combination, each created right after
    torch.manual_seed(seed) and trained once, on the given data, for ``epochs``, with a name of its own."""
    if not isinstance(student, dict) or not isinstance(student.get("runs"), (list, tuple)):
        return f"expected the recorded calls, got {describe(student)}"
    runs, models = list(student["runs"]), list(student.get("models") or [])
    wanted = sorted((lr, bs) for lr in params["learning_rates"] for bs in params["batch_sizes"])
    got = sorted((run.get("learning_rate"), run.get("batch_size")) for run in runs)
    if got != wanted:
        return (f"train ran for the (learning rate, batch size) combinations {got}; expected every combination, "
                f"once each: {wanted}")
    numbers = [run.get("model") for run in runs]
    if sorted(numbers) != list(range(len(runs))) or len(models) != len(runs):
        return ("the runs did not each train a new network: call make_model() once per combination, "
                "right before training it")
    if any(run.get("made") != run.get("model") + 1 for run in runs):
        return "a run trained another network than the one just created: make_model() right before train"
    if any(state != student.get("seeded") for state in models):
        return ("a network was not created right after torch.manual_seed(seed): call torch.manual_seed(seed) "
                "before make_model(), in every run")
    for run in runs:
        if not (run.get("train_ds") is True and run.get("val_ds") is True):
            return "train did not receive train_ds and val_ds as given"
        if run.get("epochs") != params["epochs"]:
            return f"train got epochs={run.get('epochs')}, expected {params['epochs']}"
    names = [run.get("name") for run in runs]
    if any(name is None for name in names) or len(set(names)) != len(names):
        return "give every run a name of its own (train's name argument), so that its curves are kept"
    return None


def sweep_rows(student, reference, params) -> str | None:
    """sweep's table: the reference's rows, in any order, with the same keys and values."""
    if not isinstance(student, (list, tuple)):
        return f"expected a list of rows, got {describe(student)}"
    if not all(isinstance(row, dict) for row in student):
        return "every row must be a dict"
    keys = sorted(reference[0]) if reference else []
    for row in student:
        if sorted(row) != keys:
            return f"a row has the keys {sorted(row)}, expected {keys}"

    def key(row):
        return (round(float(row["learning_rate"]), 12), round(float(row["batch_size"]), 12))

    if len(student) != len(reference):
        return f"{len(student)} rows, expected {len(reference)}: one per (learning rate, batch size)"
    if not all(is_number(row[k]) for row in student for k in keys):
        return "every value of the table must be a number"
    mine = sorted(student, key=key)
    expected = sorted(reference, key=key)
    for row, wanted in zip(mine, expected):
        if key(row) != key(wanted):
            return f"the table's (learning rate, batch size) are {sorted(key(r) for r in student)}"
        for k in keys:
            if abs(float(row[k]) - float(wanted[k])) > 1e-9:
                names = {"final_val_accuracy": "the last epoch's validation accuracy",
                         "best_val_accuracy": "the highest validation accuracy",
                         "best_epoch": "the epoch of the highest validation accuracy, counted from 1 (the first if tied)"}
                return (f"row with learning rate {wanted['learning_rate']:g}, batch size {int(wanted['batch_size'])}: "
                        f"{k} is {row[k]:g}, expected {wanted[k]:g} ({names.get(k, k)})")
    return None


# ------------------------------------------------------------------ multi-class (Part 10)


def named_close(student, reference, params) -> str | None:
    """A dict of numbers with the reference's keys and values (within 1e-6)."""
    if not isinstance(student, dict):
        return f"expected a dict, got {describe(student)}"
    if sorted(student) != sorted(reference):
        return f"keys {sorted(student)}, expected {sorted(reference)}"
    for name, wanted in reference.items():
        value = student[name]
        if not is_number(value) or not math.isfinite(value) or abs(value - wanted) > 1e-6:
            return f"{name}: {value!r}, expected {wanted:.4f}"
    return None


POLICIES = {
    "pooling_calls": pooling_calls, "pool_curves": pool_curves, "sweep_calls": sweep_calls, "sweep_rows": sweep_rows,
    "named_close": named_close,
    "device_moves": device_moves,
    "within": within, "image_close": image_close, "includes": includes, "pair_close": pair_close, "falls": falls,
    "same_twice": same_twice, "samples": samples, "eval_passes": eval_passes, "printed_count": printed_count,
    "shuffled": shuffled, "train_modes": train_modes, "train_steps": train_steps, "optimiser": optimiser,
    "plotted": plotted, "sigmoid_of": sigmoid_of, "no_convolution": no_convolution,
}
