"""Unit tests of backproplab.activations and backproplab.losses (shared from chapter 3 on).

Derivatives are checked against central differences in float64; losses against their
textbook formulas, computed naively where that is safe; the stable forms at extreme inputs.
"""

import warnings

import numpy as np
import pytest

from backproplab.activations import (
    ACTIVATIONS,
    SOFTMAX,
    Activation,
    get_activation,
    get_hidden_activation,
    sigmoid,
    softmax,
)
from backproplab.losses import LOSSES, get_loss, log_softmax, one_hot

ELEMENTWISE = list(ACTIVATIONS)
# Every valid (loss, output activation) pairing.
PAIRINGS = [("mse", name) for name in [*ELEMENTWISE, "softmax"]] + [
    ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]
NAIVE = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
}


def central(f, z, eps=1e-6):
    """Element-wise central difference of an element-wise function."""
    return (f(z + eps) - f(z - eps)) / (2 * eps)


def away_from_kink(rng, shape):
    """Random z with |z| >= 0.1, so that ReLU's kink at 0 is never inside a nudge."""
    z = rng.uniform(0.1, 3.0, size=shape)
    return z * rng.choice([-1.0, 1.0], size=shape)


# ---------------------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_matches_its_formula(name):
    z = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(ACTIVATIONS[name].f(z), NAIVE[name](z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_activation_derivative_against_central_differences(name):
    z = away_from_kink(np.random.default_rng(1), (6, 7))
    act = ACTIVATIONS[name]
    np.testing.assert_allclose(act.df(z), central(act.f, z), rtol=1e-8, atol=1e-10)


def test_relu_derivative_at_the_kink_is_zero_like_pytorch():
    np.testing.assert_array_equal(ACTIVATIONS["relu"].df(np.array([-1.0, 0.0, 2.0])),
                                  [0.0, 0.0, 1.0])


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        s = sigmoid(z)
        ds = ACTIVATIONS["sigmoid"].df(z)
    np.testing.assert_allclose(s, [0.0, np.exp(-50.0), 0.5, 1.0, 1.0], rtol=1e-12, atol=0)
    assert np.all(np.isfinite(ds)) and ds[2] == 0.25


@pytest.mark.parametrize("name", [*ELEMENTWISE, "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_activations_keep_dtype_and_do_not_change_z(name, dtype):
    z = np.random.default_rng(2).standard_normal((4, 3)).astype(dtype)
    before = z.copy()
    act = get_activation(name)
    assert act.f(z).dtype == dtype
    if name != "softmax":
        assert act.df(z).dtype == dtype
    np.testing.assert_array_equal(z, before)


def test_identity_returns_a_new_array():
    z = np.ones(3)
    assert not np.shares_memory(ACTIVATIONS["identity"].f(z), z)


def test_softmax_rows_sum_to_one_and_survive_huge_inputs():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    s = softmax(z)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(s[0], [1.0, 0.0, 0.0], atol=1e-300)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s[1], e / e.sum(), rtol=1e-14)


def test_softmax_has_no_elementwise_derivative_and_says_why():
    with pytest.raises(ValueError, match="only as the output activation"):
        SOFTMAX.df(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="softmax can only be the output activation"):
        get_hidden_activation("softmax")


def test_get_activation_names_the_choices():
    assert get_activation("Tanh") is ACTIVATIONS["tanh"]
    custom = Activation("cube", lambda z: z ** 3, lambda z: 3 * z ** 2)
    assert get_activation(custom) is custom
    assert get_activation("softmax") is SOFTMAX
    with pytest.raises(ValueError, match="unknown activation 'sigmoidd'.*'identity', "
                                         "'sigmoid', 'tanh', 'relu'.*'softmax'"):
        get_activation("sigmoidd")
    with pytest.raises(TypeError, match="by its name"):
        get_activation(3)


# ---------------------------------------------------------------------------------------
# Losses: values
# ---------------------------------------------------------------------------------------

def batch(rng, m=5, n_out=3):
    z = rng.standard_normal((m, n_out))
    labels = rng.integers(0, n_out, size=m)
    return z, labels


def targets_for(loss, z, labels, rng):
    if loss == "cross_entropy":
        return one_hot(labels, z.shape[1])
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=z.shape).astype(float)
    return rng.standard_normal(z.shape)


@pytest.mark.parametrize("output", [*ELEMENTWISE, "softmax"])
def test_mse_value_is_half_the_mean_squared_norm(output):
    rng = np.random.default_rng(3)
    z, _ = batch(rng)
    y = rng.standard_normal(z.shape)
    y_hat = get_activation(output).f(z)
    expected = sum(np.sum((y_hat[i] - y[i]) ** 2) for i in range(5)) / (2 * 5)
    assert get_loss("mse").value(z, y, output) == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_value_from_labels_and_one_hot():
    rng = np.random.default_rng(4)
    z, labels = batch(rng)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(5), labels]))
    ce = get_loss("cross_entropy")
    assert ce.value(z, labels) == pytest.approx(expected, rel=1e-13)
    assert ce.value(z, one_hot(labels, 3)) == pytest.approx(expected, rel=1e-13)
    assert ce.value(z, labels.astype(float)) == pytest.approx(expected, rel=1e-13)


def test_binary_cross_entropy_value():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((6, 2))
    y = rng.uniform(0, 1, size=(6, 2))
    s = 1 / (1 + np.exp(-z))
    expected = -np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)) / 6
    assert get_loss("binary_cross_entropy").value(z, y) == pytest.approx(expected, rel=1e-13)


def test_losses_are_stable_at_extreme_outputs():
    z = np.array([[1000.0, -1000.0], [-800.0, 800.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce = get_loss("cross_entropy").value(z, np.array([0, 0]))
        bce = get_loss("binary_cross_entropy").value(z, np.array([[1.0, 0.0], [1.0, 0.0]]))
        lsm = log_softmax(z)
    assert ce == pytest.approx(1600.0 / 2, rel=1e-12)  # sample 2: log p_0 = -1600
    assert bce == pytest.approx(2 * 800.0 / 2, rel=1e-12)  # sample 2 is wrong by 800 twice
    assert np.all(np.isfinite(lsm)) and lsm[0, 0] == 0.0


# ---------------------------------------------------------------------------------------
# Losses: output deltas
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss, output", PAIRINGS)
@pytest.mark.parametrize("m", [1, 4])
def test_output_delta_against_central_differences(loss, output, m):
    rng = np.random.default_rng(6)
    z, labels = batch(rng, m=m)
    if output == "relu":
        z = away_from_kink(rng, z.shape)
    y = targets_for(loss, z, labels, rng)
    L = get_loss(loss)
    numeric = np.empty_like(z)
    eps = 1e-6
    for index in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (L.value(plus, y, output) - L.value(minus, y, output)) / (2 * eps)
    delta = L.output_delta(z, y, output)
    assert delta.shape == z.shape
    scale = np.max(np.abs(numeric))
    assert np.max(np.abs(delta - numeric)) <= 1e-8 * scale


@pytest.mark.parametrize("loss, output", [("cross_entropy", "softmax"),
                                          ("binary_cross_entropy", "sigmoid")])
def test_simplified_delta_equals_the_full_chain_rule(loss, output):
    """eq-delta-output-ce: dL/dy_hat times f′ (softmax: its Jacobian) is (y_hat − y)/m."""
    rng = np.random.default_rng(7)
    z, labels = batch(rng, m=4)
    y = targets_for(loss, z, labels, rng)
    y_hat = get_activation(output).f(z)
    if loss == "binary_cross_entropy":
        dL_dyhat = -(y / y_hat - (1 - y) / (1 - y_hat)) / 4
        chain = dL_dyhat * y_hat * (1 - y_hat)
    else:
        dL_dyhat = -y / y_hat / 4
        jacobians = [np.diag(s) - np.outer(s, s) for s in y_hat]
        chain = np.stack([J.T @ g for J, g in zip(jacobians, dL_dyhat)])
    delta = get_loss(loss).output_delta(z, y, output)
    np.testing.assert_allclose(delta, chain, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(delta, (y_hat - y) / 4, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss, output", PAIRINGS)
def test_deltas_include_one_over_m(loss, output):
    """Two copies of a batch have the same mean loss, so each row's delta halves."""
    rng = np.random.default_rng(8)
    z, labels = batch(rng, m=3)
    y = targets_for(loss, z, labels, rng)
    L = get_loss(loss)
    z2, y2 = np.vstack([z, z]), np.vstack([y, y])
    assert L.value(z2, y2, output) == pytest.approx(L.value(z, y, output), rel=1e-13)
    np.testing.assert_allclose(L.output_delta(z2, y2, output)[:3],
                               L.output_delta(z, y, output) / 2, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("loss, output", PAIRINGS)
def test_losses_keep_float32_and_change_nothing(loss, output):
    rng = np.random.default_rng(9)
    z, labels = batch(rng)
    y = targets_for(loss, z, labels, rng)
    z32 = z.astype(np.float32)
    z_before, y_before = z32.copy(), y.copy()
    L = get_loss(loss)
    assert L.output_delta(z32, y, output).dtype == np.float32
    assert np.asarray(L.value(z32, y, output)).dtype == np.float32
    np.testing.assert_array_equal(z32, z_before)
    np.testing.assert_array_equal(y, y_before)


def test_one_hot():
    np.testing.assert_array_equal(one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    assert one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="must lie in 0 ... 2"):
        one_hot([3], 3)


# ---------------------------------------------------------------------------------------
# Losses: errors a reader can trigger
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("loss, output, advice", [
    ("cross_entropy", "sigmoid", "use output='softmax'"),
    ("cross_entropy", "identity", "use output='softmax'"),
    ("binary_cross_entropy", "softmax", "use output='sigmoid'"),
    ("binary_cross_entropy", "tanh", "use output='sigmoid'"),
])
def test_invalid_pairings_are_refused_with_advice(loss, output, advice):
    z = np.zeros((2, 3))
    y = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    for method in (get_loss(loss).value, get_loss(loss).output_delta):
        with pytest.raises(ValueError, match=f"needs a .* output activation.*{advice}"):
            method(z, y, output)


def test_shape_and_label_errors_say_what_to_change():
    z = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"must have the output's shape.*one_hot\(y, 3\)"):
        get_loss("mse").value(z, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="2 labels but the batch has 4 samples"):
        get_loss("cross_entropy").value(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="must lie in 0 ... 2"):
        get_loss("cross_entropy").output_delta(z, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match="whole numbers"):
        get_loss("cross_entropy").value(z, np.array([0, 0.5, 1, 2]))
    with pytest.raises(ValueError, match="probability distribution"):
        get_loss("cross_entropy").value(z, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        get_loss("binary_cross_entropy").value(z, np.full((4, 3), 2.0))
    with pytest.raises(ValueError, match=r"2-D \(batch, n_out\)"):
        get_loss("mse").value(np.zeros(3), np.zeros(3))
    with pytest.raises(ValueError, match="unknown loss 'mae'.*'mse', 'cross_entropy', "
                                         "'binary_cross_entropy'"):
        get_loss("mae")


def test_one_output_unit_accepts_1d_targets():
    z = np.array([[0.3], [-0.2]])
    y = np.array([1.0, 0.0])
    for name, output in [("mse", "identity"), ("binary_cross_entropy", "sigmoid")]:
        L = LOSSES[name]
        assert L.value(z, y, output) == pytest.approx(L.value(z, y[:, None], output), rel=0)
        assert L.output_delta(z, y, output).shape == (2, 1)
