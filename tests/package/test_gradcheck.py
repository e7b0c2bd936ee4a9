"""Unit tests of backproplab.gradcheck: central differences, and the diagnosis of mistakes.

Each catalogued mistake is injected into a student-style backward pass written out here
(independently of the package), and the report must name the mistake, the layers and the
parameters it affects.
"""

import numpy as np
import pytest

from backproplab.activations import get_activation
from backproplab.gradcheck import (
    MISTAKES,
    check_gradients,
    layer_label,
    numerical_gradients,
    relative_error,
)
from backproplab.losses import one_hot
from backproplab.mlp import copy_params, init_params, loss_and_gradients

ALL = "all"


# ---------------------------------------------------------------------------------------
# A student's backward pass, with one mistake at a time
# ---------------------------------------------------------------------------------------

def student_gradients(params, X, y, *, hidden, output, loss, bug=None):
    """Backpropagation as a student writes it, with the mistake ``bug`` (or none)."""
    f_h, f_o = get_activation(hidden), get_activation(output)
    L, m = len(params), X.shape[0]
    z, a = [None], [X]
    for l, p in enumerate(params, start=1):
        z.append(a[-1] @ p["W"] + p["b"])
        a.append((f_o if l == L else f_h).f(z[-1]))
    Y = one_hot(y, a[L].shape[1]) if loss == "cross_entropy" else y
    delta = a[L] - Y
    if loss == "mse" and bug != "missing_output_fprime":
        delta = delta * f_o.df(z[L])
    if bug == "extra_output_fprime":
        delta = delta * f_o.df(z[L])
    if bug != "missing_1_over_m":
        delta = delta / m
    if bug == "sign_flipped":
        delta = -delta
    grads = []
    for l in range(L, 0, -1):
        a_in = a[l - 1]
        if bug == "a_instead_of_a_prev":
            a_in = a[l]
        if bug == "z_instead_of_a_prev" and l > 1:
            a_in = z[l - 1]
        dW, db = a_in.T @ delta, delta.sum(axis=0)
        if bug == "divided_by_m_twice":
            dW, db = dW / m, db / m
        if bug == "dW_transposed" and l == L:
            dW = delta.T @ a_in
        if bug == "db_not_summed" and l == L:
            db = delta
        grads.insert(0, {"W": dW, "b": db})
        if l > 1:
            W = params[l - 1]["W"]
            back = delta @ (W if bug == "W_not_transposed" else W.T)
            if bug == "missing_fprime":
                delta = back
            elif bug == "fprime_of_wrong_layer":
                delta = back * (f_o if l == L else f_h).df(z[l])
            elif bug == "fprime_of_a":
                delta = back * f_h.df(a[l - 1])
            else:
                delta = back * f_h.df(z[l - 1])
    return grads


def problem(sizes, m, loss, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng, scale=0.9)
    for layer in params:
        layer["b"] = rng.standard_normal(layer["b"].shape) * 0.3
    X = rng.standard_normal((m, sizes[0]))
    if loss == "cross_entropy":
        y = rng.integers(0, sizes[-1], size=m)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(m, sizes[-1])).astype(float)
    else:
        y = rng.standard_normal((m, sizes[-1]))
    return params, X, y


def where(layers, names="Wb"):
    return {(l, n) for l in layers for n in names}


# (mistake, sizes, hidden, output, loss, the (layer, name) pairs it makes wrong)
CASES = [
    ("missing_fprime", [3, 5, 4, 2], "tanh", "identity", "mse", where([1, 2])),
    ("W_not_transposed", [3, 4, 4, 4], "tanh", "softmax", "cross_entropy", where([1, 2])),
    ("fprime_of_wrong_layer", [3, 4, 4, 4], "tanh", "sigmoid", "binary_cross_entropy",
     where([1, 2])),
    ("fprime_of_a", [2, 5, 3], "sigmoid", "identity", "mse", where([1])),
    ("fprime_of_a", [2, 5, 4, 3], "tanh", "softmax", "cross_entropy", where([1, 2])),
    ("a_instead_of_a_prev", [3, 4, 4, 4], "sigmoid", "identity", "mse",
     where([1, 2, 3], "W")),
    ("a_instead_of_a_prev", [3, 5, 2], "sigmoid", "identity", "mse", where([1, 2], "W")),
    ("z_instead_of_a_prev", [3, 5, 4, 2], "tanh", "softmax", "cross_entropy",
     where([2, 3], "W")),
    ("missing_1_over_m", [3, 5, 2], "sigmoid", "softmax", "cross_entropy", where([1, 2])),
    ("divided_by_m_twice", [3, 5, 2], "relu", "identity", "mse", where([1, 2])),
    ("sign_flipped", [3, 5, 4, 2], "sigmoid", "sigmoid", "binary_cross_entropy",
     where([1, 2, 3])),
    ("missing_output_fprime", [3, 5, 2], "tanh", "sigmoid", "mse", where([1, 2])),
    ("extra_output_fprime", [3, 5, 2], "tanh", "sigmoid", "binary_cross_entropy",
     where([1, 2])),
    ("dW_transposed", [3, 5, 2], "tanh", "identity", "mse", {(2, "W")}),
    ("db_not_summed", [3, 5, 2], "tanh", "identity", "mse", {(2, "b")}),
]


def run_check(mistake, sizes, hidden, output, loss, m=6, **kwargs):
    params, X, y = problem(sizes, m, loss)
    grads = student_gradients(params, X, y, hidden=hidden, output=output, loss=loss,
                              bug=mistake)
    return check_gradients(params, X, y, grads, hidden=hidden, output=output, loss=loss,
                           **kwargs)


# ---------------------------------------------------------------------------------------
# Central differences and the relative error
# ---------------------------------------------------------------------------------------

def test_numerical_gradients_of_a_known_function():
    params = [{"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([0.25, -1.0])}]

    def loss_fn(p):  # L = Σ W³ / 3 + Σ b² / 2: dL/dW = W², dL/db = b
        return np.sum(p[0]["W"] ** 3) / 3 + np.sum(p[0]["b"] ** 2) / 2

    grads = numerical_gradients(loss_fn, params)
    np.testing.assert_allclose(grads[0]["W"], params[0]["W"] ** 2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads[0]["b"], params[0]["b"], rtol=1e-9, atol=1e-9)


def test_numerical_gradients_of_one_dict_of_arrays():
    """A recurrent network's parameters are one dict (backproplab.rnn): same result shape."""
    params = {"W_h": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([0.25, -1.0])}
    seen = []

    def loss_fn(p):  # L = Σ W_h³ / 3 + Σ b² / 2
        seen.append(type(p))
        return np.sum(p["W_h"] ** 3) / 3 + np.sum(p["b"] ** 2) / 2

    grads = numerical_gradients(loss_fn, params)
    assert isinstance(grads, dict) and set(grads) == {"W_h", "b"} and set(seen) == {dict}
    np.testing.assert_allclose(grads["W_h"], params["W_h"] ** 2, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(grads["b"], params["b"], rtol=1e-9, atol=1e-9)


def test_numerical_gradients_work_in_float64_and_change_nothing():
    params32 = [{"W": np.array([[0.1, 0.2]], dtype=np.float32), "b": np.zeros(2, np.float32)}]
    before = copy_params(params32)
    seen = []

    def loss_fn(p):
        seen.append(p[0]["W"].dtype)
        return float(np.sum(np.sin(p[0]["W"])) + np.sum(p[0]["b"]))

    grads = numerical_gradients(loss_fn, params32)
    assert set(seen) == {np.dtype(np.float64)} and grads[0]["W"].dtype == np.float64
    np.testing.assert_allclose(grads[0]["W"], np.cos(params32[0]["W"].astype(float)),
                               rtol=1e-9)
    np.testing.assert_array_equal(params32[0]["W"], before[0]["W"])
    assert params32[0]["W"].dtype == np.float32
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        numerical_gradients(loss_fn, params32, eps=0)


def test_relative_error():
    a = np.array([1.0, -2.0, 4.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(a, -a) == 2.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(a, a + np.array([0, 0.04, 0])) == pytest.approx(0.01, rel=1e-12)
    with pytest.raises(ValueError, match="shapes"):
        relative_error(a, a[:2])


def test_layer_labels():
    assert layer_label(1, 2) == "layer 1 (input → hidden)"
    assert layer_label(2, 2) == "layer 2 (hidden → output)"
    assert layer_label(2, 3) == "layer 2 (hidden 1 → hidden 2)"
    assert layer_label(1, 1) == "layer 1 (input → output)"


# ---------------------------------------------------------------------------------------
# Correct gradients pass
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes, hidden, output, loss", [
    ([3, 5, 2], "sigmoid", "identity", "mse"),
    ([3, 4, 4, 4], "tanh", "softmax", "cross_entropy"),
    ([2, 5, 4, 3], "relu", "sigmoid", "binary_cross_entropy"),
])
def test_correct_gradients_give_a_clean_report(sizes, hidden, output, loss):
    params, X, y = problem(sizes, 5, loss)
    _, grads = loss_and_gradients(params, X, y, hidden, output, loss)
    student = student_gradients(params, X, y, hidden=hidden, output=output, loss=loss)
    for given in (grads, student):
        report = check_gradients(params, X, y, given, hidden=hidden, output=output, loss=loss)
        assert report.ok and bool(report)
        assert report.problems == () and report.diagnosis == () and report.hint == ""
        assert max(report.errors.values()) <= 1e-7
        assert len(report.errors) == 2 * (len(sizes) - 1)
        assert str(report).startswith("Gradient check passed")


def test_a_small_error_fails_at_the_tolerance():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse")
    grads[0]["W"] = grads[0]["W"] * (1 + 1e-5)
    kwargs = dict(hidden="tanh", output="identity", loss="mse")
    report = check_gradients(params, X, y, grads, **kwargs)
    assert not report.ok and {p.where for p in report.problems} == {(1, "W")}
    assert report.errors[(1, "W")] == pytest.approx(1e-5, rel=1e-3)
    assert check_gradients(params, X, y, grads, rtol=1e-4, **kwargs).ok


def test_reference_can_be_the_analytic_backward_pass():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse",
                              bug="missing_fprime")
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse", reference="analytic")
    assert report.mistakes == ("missing_fprime",)
    assert "backproplab's backward pass" in str(report)


# ---------------------------------------------------------------------------------------
# Each catalogued mistake is recognised
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("mistake, sizes, hidden, output, loss, wrong", CASES,
                         ids=[f"{c[0]}-{len(c[1]) - 2}hidden" for c in CASES])
def test_each_mistake_is_recognised(mistake, sizes, hidden, output, loss, wrong):
    report = run_check(mistake, sizes, hidden, output, loss)
    assert not report.ok
    assert {p.where for p in report.problems} == wrong
    assert report.mistakes == (mistake,)
    assert set(report.diagnosis[0].where) == wrong
    assert report.hint == ""
    text = str(report)
    assert text.startswith(f"Gradient check failed: {len(wrong)} of {2 * (len(sizes) - 1)}")
    assert MISTAKES[mistake][0] in text and MISTAKES[mistake][1] in text
    for l, name in wrong:  # every wrong array is named with its layer
        assert f"{layer_label(l, len(sizes) - 1)}, d{name}" in text


def test_W_instead_of_W_transposed_needs_a_square_W():
    """With a non-square W a student's delta @ W fails; the check must not crash on other
    wrong gradients for such a network, and must not claim that mistake."""
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse")
    grads[0]["W"] = grads[0]["W"] + 0.01 * np.random.default_rng(0).standard_normal((3, 5))
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse")
    assert not report.ok and report.mistakes == ()
    assert {p.where for p in report.problems} == {(1, "W")}
    assert "No common mistake explains the numbers. Only dW is wrong" in str(report)


def test_problems_say_where_the_largest_difference_is():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse")
    grads[1]["W"] = grads[1]["W"].copy()
    grads[1]["W"][3, 1] += 0.5
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse")
    (p,) = report.problems
    assert (p.layer, p.name, p.index) == (2, "W", (3, 1))
    assert p.got - p.expected == pytest.approx(0.5, rel=1e-6)
    assert "layer 2 (hidden → output), dW: relative error" in str(report)
    assert "largest at dW[3, 1]" in str(report)


def test_unexplained_errors_get_a_hint_on_where_to_look():
    params, X, y = problem([3, 5, 4, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse")
    grads[0]["b"] = grads[0]["b"] * 1.1
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse")
    assert report.mistakes == () and "Only db is wrong" in report.hint
    hidden_only = student_gradients(params, X, y, hidden="tanh", output="identity",
                                    loss="mse")
    for name in "Wb":
        hidden_only[1][name] = hidden_only[1][name] * 0.9
    report = check_gradients(params, X, y, hidden_only, hidden="tanh", output="identity",
                             loss="mse")
    assert "look at the hidden delta (eq-delta-hidden)" in report.hint


def test_two_mistakes_at_once_are_both_reported():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse",
                              bug="db_not_summed")
    grads = [{"W": -g["W"], "b": -g["b"]} for g in grads]
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse")
    assert report.mistakes == ("db_not_summed", "sign_flipped")
    assert "Likely causes:" in str(report)


def test_float32_gradients_are_pointed_out():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse",
                              bug="sign_flipped")
    grads32 = [{k: v.astype(np.float32) for k, v in g.items()} for g in grads]
    report = check_gradients(params, X, y, grads32, hidden="tanh", output="identity",
                             loss="mse")
    assert report.mistakes == ("sign_flipped", "float32")
    assert "compute in float64" in str(report)


def test_non_finite_gradients():
    params, X, y = problem([3, 5, 2], 4, "mse")
    grads = student_gradients(params, X, y, hidden="tanh", output="identity", loss="mse")
    grads[0]["W"] = np.full((3, 5), np.nan)
    report = check_gradients(params, X, y, grads, hidden="tanh", output="identity",
                             loss="mse")
    assert report.mistakes == ("not_finite",) and "NaN" in str(report)


def test_malformed_grads_are_explained():
    params, X, y = problem([3, 5, 2], 4, "mse")
    result = loss_and_gradients(params, X, y, "tanh", "identity", "mse")
    kwargs = dict(hidden="tanh", output="identity", loss="mse")
    with pytest.raises(TypeError, match=r"looks like \(loss, grads\)"):
        check_gradients(params, X, y, result, **kwargs)
    with pytest.raises(TypeError, match="list of 2 dicts"):
        check_gradients(params, X, y, result[1][:1], **kwargs)
    with pytest.raises(ValueError, match="reference must be"):
        check_gradients(params, X, y, result[1], reference="exact", **kwargs)


def test_check_gradients_changes_nothing():
    params, X, y = problem([3, 4, 4, 4], 4, "cross_entropy")
    grads = student_gradients(params, X, y, hidden="tanh", output="softmax",
                              loss="cross_entropy", bug="W_not_transposed")
    params_before, grads_before = copy_params(params), copy_params(grads)
    X_before = X.copy()
    check_gradients(params, X, y, grads, hidden="tanh", output="softmax", loss="cross_entropy")
    for new, old in zip(params + grads, params_before + grads_before):
        np.testing.assert_array_equal(new["W"], old["W"])
        np.testing.assert_array_equal(new["b"], old["b"])
    np.testing.assert_array_equal(X, X_before)


def test_student_float32_network_is_checked_in_float64():
    params, X, y = problem([3, 5, 2], 4, "mse")
    params32 = [{k: v.astype(np.float32) for k, v in p.items()} for p in params]
    # Gradients computed in float64 from the float32 network's values pass in float64.
    exact = [{k: v.astype(np.float64) for k, v in p.items()} for p in params32]
    grads = student_gradients(exact, X.astype(np.float32).astype(float), y, hidden="tanh",
                              output="identity", loss="mse")
    report = check_gradients(params32, X.astype(np.float32), y, grads, hidden="tanh",
                             output="identity", loss="mse")
    assert report.ok, str(report)
