"""The judge: records decoded as data, compared by the reference's policy, scored per case."""
import json

import numpy as np
import pytest

from cnncourse.record import encode
from cnnkit.grader import judge
from cnnkit.grader.torch_judges import device_moves


def rec(key, value, policy="close", case=None, **params):
    """A record as cnncourse.record.record makes it (keys prefixed by their case)."""
    key = key if case is None else f"{case} :: {key}"
    payload = json.loads(json.dumps({"key": key, "case": case, "policy": policy, "params": params,
                                     "value": encode(value)}))
    return judge.parse(payload)


def error(case, message="ValueError: boom"):
    return judge.parse({"key": f"{case} :: error", "case": case, "policy": "error", "error": message})


def test_values_survive_encoding():
    values = [None, True, 3, 2.5, "text", np.arange(6, dtype=np.float32).reshape(2, 3), np.int64(4),
              [1, (2, 3)], {"a": [1.0]}]
    for value in values:
        decoded = judge.decode(json.loads(json.dumps(encode(value))))
        if isinstance(value, np.ndarray):
            assert decoded.dtype == value.dtype and np.array_equal(decoded, value)
        else:
            assert decoded == value


def test_tensors_keep_what_comparisons_need():
    torch = pytest.importorskip("torch")
    value = torch.ones(2, 1, requires_grad=True)
    decoded = judge.decode(json.loads(json.dumps(encode(value))))
    assert isinstance(decoded, judge.TensorValue) and decoded.requires_grad and decoded.dtype == "float32"


@pytest.mark.parametrize("encoded", [
    {"t": "ndarray", "dtype": "|O", "shape": [1], "b64": ""},           # objects could run code when loaded
    {"t": "ndarray", "dtype": "<f8", "shape": [3], "b64": "AAAA"},      # data does not match the shape
    {"t": "pickle", "v": "gASV"},
    "not a dict",
])
def test_malformed_or_dangerous_values_are_refused(encoded):
    with pytest.raises((judge.BadRecord, ValueError, TypeError, KeyError)):
        judge.decode(encoded)


def test_full_marks_when_every_check_matches():
    reference = [rec("a", np.ones(3)), rec("b", 2, "equal")]
    verdict = judge.judge("cell", 2.0, True, reference, [rec("a", np.ones(3) + 1e-12), rec("b", 2, "equal")])
    assert verdict.score == 2.0 and verdict.full


def test_tolerance_follows_the_students_dtype():
    reference = [rec("a", np.full(3, 1.0))]
    float32 = np.full(3, 1.0 + 5e-6, dtype=np.float32)
    float64 = np.full(3, 1.0 + 5e-6)
    assert judge.judge("c", 1, True, reference, [rec("a", float32)]).full
    assert not judge.judge("c", 1, True, reference, [rec("a", float64)]).full


def test_partial_credit_per_case_in_hidden_cells_and_all_or_nothing_in_visible_ones():
    reference = [rec("x", 1.0, case=f"case {i}") for i in range(4)]
    student = [rec("x", 1.0, case="case 0"), rec("x", 1.0, case="case 1"), rec("x", 1.0, case="case 2"),
               rec("x", 5.0, case="case 3")]
    hidden = judge.judge("c", 3.0, True, reference, student)
    assert (hidden.score, hidden.passed, hidden.groups) == (2.25, 3, 4)
    assert "case 3" in hidden.message()
    assert judge.judge("c", 3.0, False, reference, student).score == 0


def test_a_failed_gate_costs_the_whole_cell():
    reference = [rec("value", 1.0, case="c1"), rec("loops", [10, 10], "bounded_growth", gate=True,
                                                    message="still loops over pixels")]
    verdict = judge.judge("c", 3.0, True, reference, [rec("value", 1.0, case="c1"), rec("loops", [10, 900])])
    assert verdict.score == 0 and "still loops over pixels" in verdict.message()


def test_the_policy_comes_from_the_reference_never_from_the_student():
    reference = [rec("a", np.ones(2))]
    forged = [rec("a", True, "true")]
    assert not judge.judge("c", 1, True, reference, forged).full


def test_a_check_recorded_more_often_than_the_reference_does_fails():
    reference = [rec("a", 1.0)]
    verdict = judge.judge("c", 1, True, reference, [rec("a", 1.0), rec("a", 1.0)])
    assert not verdict.full and "cannot be trusted" in verdict.message()


def test_missing_checks_and_errors_are_named():
    reference = [rec("x", 1.0, case="c1"), rec("x", 1.0, case="c2")]
    verdict = judge.judge("c", 2, True, reference, [error("c1")], stopped="NameError: name 'f' is not defined")
    message = verdict.message()
    assert verdict.score == 0 and "raised ValueError: boom" in message and "did not run" in message


def test_expected_kinds_are_enforced():
    assert "expected a NumPy array" in judge.close([1.0, 2.0], np.ones(2), {})
    assert judge.close(np.ones(2), np.ones(2), {}) is None


def test_gradient_policy_uses_relative_difference():
    expected = np.array([1.0, -2.0, 3.0])
    assert judge.gradient(expected * (1 + 1e-9), expected, {}) is None
    assert "relative error" in judge.gradient(expected * 1.1, expected, {})


def test_unknown_policy_is_a_test_mistake_not_a_student_one():
    verdict = judge.judge("c", 1, True, [rec("a", 1.0, "nonsense")], [rec("a", 1.0, "nonsense")])
    assert "a mistake in the test" in verdict.message()


# ------------------------------------------------------------------ device moves (assignments 3 and 4)

def _training_events(model_moved=True, images_moved=True, labels_moved=True, validation_moved=True):
    """Two training steps of 4 images and one validation pass, as cnncourse.devices.recorded_moves logs them."""
    events = [("model_to", "cpu")] if model_moved else []
    for _ in range(2):
        if images_moved:
            events.append(("tensor_to", [4, 1, 2, 2], "float32", "cpu"))
        if labels_moved:
            events.append(("tensor_to", [4], "int64", "cpu"))
        events += [("forward", True, True, 4, images_moved), ("backward",)]
    if validation_moved:
        events.append(("tensor_to", [3, 1, 2, 2], "float32", "cpu"))
    events.append(("forward", False, False, 3, validation_moved))
    return [list(e) for e in events]


@pytest.mark.parametrize("mistake, message", [
    (dict(model_moved=False), "model.to(device)"),
    (dict(images_moved=False), "2 of 2 training batches"),
    (dict(labels_moved=False), "labels"),
    (dict(validation_moved=False), "1 validation batches"),
])
def test_device_moves_names_what_stayed_behind(mistake, message):
    params = dict(mode="train", device="cpu", validation=True)
    assert device_moves(_training_events(), None, params) is None
    assert message in device_moves(_training_events(**mistake), None, params)


def test_device_moves_checks_validation_batches_only_when_asked():
    events = _training_events(validation_moved=False)
    assert device_moves(events, None, dict(mode="train", device="cpu")) is None
    assert "1 of 3 batches" in device_moves(events, None, dict(mode="eval", device="cpu"))
