"""Unit tests of backproplab.mlp (chapter 3): the delta formulas against central differences.

Gradients are compared with central differences in float64 for several network shapes, every
activation and every valid (loss, output) pairing; the optional PyTorch test compares losses
and gradients with autograd in float64. Training on the bundled digits must reach a
sensible accuracy.
"""

import subprocess
import sys

import numpy as np
import pytest

from backproplab.activations import ACTIVATIONS, get_activation
from backproplab.gradcheck import numerical_gradients, relative_error
from backproplab.losses import get_loss, one_hot
from backproplab.mlp import (
    accuracy,
    backward,
    bias_gradient,
    cache_nbytes,
    centre_pixels,
    class_labels,
    compute_loss,
    copy_params,
    forward,
    hidden_delta,
    init_params,
    load_digits_dataset,
    loss_and_gradients,
    output_delta,
    params_nbytes,
    predict,
    weight_gradient,
)
from backproplab.optimizers import sgd_step
from backproplab.training import train

HIDDEN = list(ACTIVATIONS)
PAIRINGS = [("mse", name) for name in [*ACTIVATIONS, "softmax"]] + [
    ("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")]
# (layer sizes, batch size): one hidden layer, three hidden layers, a batch of one.
SHAPES = [([3, 5, 2], 4), ([4, 6, 5, 4, 3], 3), ([3, 4, 2], 1)]
GRAD_RTOL = 1e-7


def make_problem(sizes, m, loss, seed=0, dtype=np.float64):
    """Random params, X and targets y suited to ``loss``."""
    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng, scale=0.8, dtype=dtype)
    for layer in params:  # non-zero biases, so that a bias bug cannot hide
        layer["b"] = rng.standard_normal(layer["b"].shape).astype(dtype) * 0.3
    X = rng.standard_normal((m, sizes[0])).astype(dtype)
    n_out = sizes[-1]
    if loss == "cross_entropy":
        y = rng.integers(0, n_out, size=m)
    elif loss == "binary_cross_entropy":
        y = rng.integers(0, 2, size=(m, n_out)).astype(dtype)
    else:
        y = rng.standard_normal((m, n_out)).astype(dtype)
    return params, X, y


def far_from_kinks(params, X, hidden, output, margin=1e-3):
    """True when no ReLU input is within ``margin`` of 0 (so no nudge crosses the kink)."""
    cache = forward(params, X, hidden, output)
    layers = [(z, hidden) for z in cache.z[1:-1]] + [(cache.z[-1], output)]
    return all(np.min(np.abs(z)) > margin for z, f in layers if f == "relu")


# ---------------------------------------------------------------------------------------
# Gradients against central differences
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes, m", SHAPES)
@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss, output", PAIRINGS)
def test_backward_matches_central_differences(sizes, m, hidden, loss, output):
    for seed in range(20):  # the first seed whose ReLU inputs keep clear of the kink
        params, X, y = make_problem(sizes, m, loss, seed)
        if far_from_kinks(params, X, hidden, output):
            break
    else:
        pytest.fail("no seed keeps ReLU inputs away from 0")
    _, grads = loss_and_gradients(params, X, y, hidden, output, loss)
    numeric = numerical_gradients(
        lambda p: compute_loss(p, X, y, hidden, output, loss), params)
    for l, (g, n) in enumerate(zip(grads, numeric), start=1):
        for name in ("W", "b"):
            assert g[name].shape == params[l - 1][name].shape
            error = relative_error(g[name], n[name])
            assert error <= GRAD_RTOL, f"layer {l} d{name}: relative error {error:.2e}"


def test_the_steps_are_the_formulas():
    """eq-delta-hidden, eq-dW and eq-db written with explicit sums over the batch."""
    rng = np.random.default_rng(1)
    m, n_prev, n = 4, 3, 5
    delta = rng.standard_normal((m, n))
    W = rng.standard_normal((n_prev, n))
    z_prev = rng.standard_normal((m, n_prev))
    a_prev = np.tanh(z_prev)
    expected_delta_prev = np.array(
        [[sum(delta[s, j] * W[i, j] for j in range(n)) * (1 - np.tanh(z_prev[s, i]) ** 2)
          for i in range(n_prev)] for s in range(m)])
    np.testing.assert_allclose(hidden_delta(delta, W, z_prev, "tanh"), expected_delta_prev,
                               rtol=1e-13)
    expected_dW = sum(np.outer(a_prev[s], delta[s]) for s in range(m))  # dW_ij = Σ a_i delta_j
    np.testing.assert_allclose(weight_gradient(a_prev, delta), expected_dW, rtol=1e-13)
    np.testing.assert_allclose(bias_gradient(delta), delta.sum(axis=0), rtol=1e-15)
    z_out = rng.standard_normal((m, n))
    y = rng.standard_normal((m, n))
    np.testing.assert_allclose(output_delta(z_out, y, "mse", "sigmoid"),
                               get_loss("mse").output_delta(z_out, y, "sigmoid"), rtol=0)


def test_forward_computes_z_and_a_layer_by_layer():
    params, X, _ = make_problem([3, 4, 2], 5, "mse")
    cache = forward(params, X, hidden="tanh", output="sigmoid")
    assert cache.z[0] is None and cache.a[0] is X
    z1 = X @ params[0]["W"] + params[0]["b"]
    np.testing.assert_allclose(cache.z[1], z1, rtol=1e-15)
    np.testing.assert_allclose(cache.a[1], np.tanh(z1), rtol=1e-15)
    z2 = np.tanh(z1) @ params[1]["W"] + params[1]["b"]
    np.testing.assert_allclose(cache.z[2], z2, rtol=1e-15)
    np.testing.assert_allclose(cache.y_hat, 1 / (1 + np.exp(-z2)), rtol=1e-14)
    assert [a.shape for a in cache.a] == [(5, 3), (5, 4), (5, 2)]


# ---------------------------------------------------------------------------------------
# PyTorch autograd in float64 (optional)
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("loss, output", PAIRINGS)
def test_same_loss_and_gradients_as_pytorch(hidden, loss, output):
    torch = pytest.importorskip("torch")
    params, X, y = make_problem([4, 6, 5, 3], 7, loss, seed=3)
    value, grads = loss_and_gradients(params, X, y, hidden, output, loss)

    Ws = [torch.tensor(p["W"], requires_grad=True) for p in params]
    bs = [torch.tensor(p["b"], requires_grad=True) for p in params]
    torch_f = {"identity": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
               "relu": torch.relu, "softmax": lambda t: torch.softmax(t, dim=1)}
    a = torch.tensor(X)
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = a @ W + b
        a = torch_f[output if l == len(Ws) else hidden](z)
    m = X.shape[0]
    if loss == "mse":
        t_loss = ((a - torch.tensor(y)) ** 2).sum() / (2 * m)
    elif loss == "cross_entropy":
        t_loss = torch.nn.functional.cross_entropy(z, torch.tensor(y))
    else:
        t_loss = torch.nn.functional.binary_cross_entropy_with_logits(
            z, torch.tensor(y), reduction="sum") / m
    t_loss.backward()
    assert value == pytest.approx(t_loss.item(), rel=1e-10)
    for l in range(len(params)):
        np.testing.assert_allclose(grads[l]["W"], Ws[l].grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(grads[l]["b"], bs[l].grad.numpy(), rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------------
# Parameters, dtypes, no mutation
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("scale, std", [("xavier", np.sqrt(2 / (400 + 300))),
                                        ("he", np.sqrt(2 / 400)), (0.05, 0.05)])
def test_init_params_shapes_and_scales(scale, std):
    sizes = [400, 300, 2]
    params = init_params(sizes, np.random.default_rng(0), scale=scale)
    assert [p["W"].shape for p in params] == [(400, 300), (300, 2)]
    assert [p["b"].shape for p in params] == [(300,), (2,)]
    assert np.all(params[0]["b"] == 0)
    # 120,000 draws: the sample standard deviation is within 1 % of the true one.
    assert np.std(params[0]["W"]) == pytest.approx(std, rel=0.01)
    assert sizes == [400, 300, 2]


def test_init_params_is_reproducible_and_errors_are_explained():
    a = init_params([3, 4, 2], np.random.default_rng(5))
    b = init_params([3, 4, 2], np.random.default_rng(5))
    np.testing.assert_array_equal(a[0]["W"], b[0]["W"])
    with pytest.raises(TypeError, match="numpy.random.Generator.*default_rng"):
        init_params([3, 2], 0)
    with pytest.raises(ValueError, match="at least two positive whole numbers"):
        init_params([3], np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale must be 'xavier', 'he'"):
        init_params([3, 2], np.random.default_rng(0), scale="glorot")
    with pytest.raises(ValueError, match="dtype must be np.float64 or np.float32"):
        init_params([3, 2], np.random.default_rng(0), dtype=np.int64)


@pytest.mark.parametrize("loss, output", PAIRINGS)
def test_float32_stays_float32_end_to_end(loss, output):
    params, X, y = make_problem([3, 5, 4, 2], 6, loss, dtype=np.float32)
    assert params[0]["W"].dtype == np.float32
    cache = forward(params, X, "tanh", output)
    assert all(a.dtype == np.float32 for a in cache.a)
    assert all(z.dtype == np.float32 for z in cache.z[1:])
    grads = backward(params, cache, y, loss, "tanh", output)
    assert all(g[k].dtype == np.float32 for g in grads for k in "Wb")
    stepped = sgd_step(params, grads, 0.1)
    assert all(p[k].dtype == np.float32 for p in stepped for k in "Wb")
    trained = train(params, X, y, epochs=2, batch_size=4, lr=0.1, hidden="tanh",
                    output=output, loss=loss, rng=np.random.default_rng(0)).params
    assert all(p[k].dtype == np.float32 for p in trained for k in "Wb")


def test_float64_X_is_converted_to_float32_parameters():
    params, X, _ = make_problem([3, 4, 2], 5, "mse", dtype=np.float32)
    cache = forward(params, X.astype(np.float64))
    assert cache.a[0].dtype == np.float32 and cache.y_hat.dtype == np.float32
    cache = forward(params, np.ones((2, 3), dtype=int))
    assert cache.y_hat.dtype == np.float32


def test_nothing_is_mutated():
    params, X, y = make_problem([3, 4, 4, 2], 5, "cross_entropy")
    frozen = copy_params(params)
    X_before, y_before = X.copy(), y.copy()
    cache = forward(params, X, "sigmoid", "softmax")
    cache_before = [a.copy() for a in cache.a] + [z.copy() for z in cache.z[1:]]
    grads = backward(params, cache, y, "cross_entropy", "sigmoid", "softmax")
    grads_before = copy_params(grads)
    new = sgd_step(params, grads, 0.5)
    train(params, X, y, epochs=2, batch_size=2, lr=0.1, hidden="sigmoid", output="softmax",
          loss="cross_entropy", rng=np.random.default_rng(0))
    for p, q in zip(params, frozen):
        np.testing.assert_array_equal(p["W"], q["W"])
        np.testing.assert_array_equal(p["b"], q["b"])
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    for before, after in zip(cache_before, [*cache.a, *cache.z[1:]]):
        np.testing.assert_array_equal(before, after)
    for g, h in zip(grads, grads_before):
        np.testing.assert_array_equal(g["W"], h["W"])
    assert not any(np.shares_memory(n["W"], p["W"]) for n, p in zip(new, params))


def test_sgd_steps():
    params, X, y = make_problem([3, 4, 2], 5, "mse")
    _, grads = loss_and_gradients(params, X, y)
    new = sgd_step(params, grads, 0.1)
    for n, p, g in zip(new, params, grads):
        np.testing.assert_allclose(n["W"], p["W"] - 0.1 * g["W"], rtol=1e-15)
        np.testing.assert_allclose(n["b"], p["b"] - 0.1 * g["b"], rtol=1e-15)
    # A small enough step lowers the loss: the gradient points uphill.
    assert compute_loss(sgd_step(params, grads, 1e-3), X, y) < compute_loss(params, X, y)
    with pytest.raises(ValueError, match="learning rate"):
        sgd_step(params, grads, -0.1)
    with pytest.raises(ValueError, match="structure and shapes of params"):
        sgd_step(params, grads[:1], 0.1)


# ---------------------------------------------------------------------------------------
# Errors a reader can trigger
# ---------------------------------------------------------------------------------------

def test_errors_say_what_to_change():
    params, X, y = make_problem([3, 4, 2], 5, "mse")
    with pytest.raises(ValueError, match="X has 4 features per row but the first layer "
                                         "expects 3.*sizes"):
        forward(params, np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"X must be 2-D.*reshape\(1, -1\)"):
        forward(params, np.ones(3))
    with pytest.raises(ValueError, match="softmax can only be the output activation"):
        forward(params, X, hidden="softmax")
    with pytest.raises(ValueError, match="needs a 'softmax' output.*use output='softmax'"):
        loss_and_gradients(params, X, np.array([0, 1, 0, 1, 1]), "sigmoid", "identity",
                           "cross_entropy")
    mixed = copy_params(params)
    mixed[1]["W"] = mixed[1]["W"].astype(np.float32)
    with pytest.raises(ValueError, match="share one dtype.*astype"):
        forward(mixed, X)
    wrong = copy_params(params)
    wrong[1]["W"] = np.ones((3, 2))
    with pytest.raises(ValueError, match="layer 1 has 4 neurons"):
        forward(wrong, X)
    cache = forward(params[:1], X)
    with pytest.raises(ValueError, match="pass the cache that forward"):
        backward(params, cache, y)


# ---------------------------------------------------------------------------------------
# Predictions and training on real data
# ---------------------------------------------------------------------------------------

def test_predict_accuracy_and_class_labels():
    params = [{"W": np.array([[1.0, -1.0]]), "b": np.zeros(2)}]
    X = np.array([[2.0], [-3.0], [1.0]])
    np.testing.assert_array_equal(predict(params, X), [0, 1, 0])
    assert accuracy(params, X, np.array([0, 1, 1])) == pytest.approx(2 / 3, rel=1e-15)
    assert accuracy(params, X, one_hot([0, 1, 0], 2)) == 1.0
    single = [{"W": np.array([[1.0]]), "b": np.zeros(1)}]
    np.testing.assert_array_equal(predict(single, X, output="sigmoid"), [1, 0, 1])
    np.testing.assert_array_equal(class_labels(np.array([[0.2], [0.9]])), [0, 1])


def test_load_digits_dataset():
    data = load_digits_dataset(np.random.default_rng(0), test_fraction=0.25)
    assert data.X_train.shape == (1348, 64) and data.X_test.shape == (449, 64)
    assert data.y_train.shape == (1348,) and set(np.unique(data.y_test)) == set(range(10))
    assert data.X_train.min() == 0.0 and data.X_train.max() == 1.0
    again = load_digits_dataset(np.random.default_rng(0), test_fraction=0.25)
    np.testing.assert_array_equal(data.y_test, again.y_test)
    other = load_digits_dataset(np.random.default_rng(1), test_fraction=0.25)
    assert not np.array_equal(data.y_test, other.y_test)
    assert load_digits_dataset(np.random.default_rng(0), 0.5, np.float32).X_test.dtype \
        == np.float32
    with pytest.raises(ValueError, match="test_fraction must be between 0 and 1"):
        load_digits_dataset(np.random.default_rng(0), test_fraction=1.5)


def test_load_digits_dataset_validation_split():
    before = load_digits_dataset(np.random.default_rng(0), test_fraction=0.25)
    assert before.X_val.shape == (0, 64) and before.y_val.shape == (0,)
    data = load_digits_dataset(np.random.default_rng(0), test_fraction=0.25, val_fraction=0.2)
    assert data.X_val.shape == (359, 64) and data.y_val.shape == (359,)
    assert data.X_train.shape == (1348 - 359, 64) and data.X_test.shape == (449, 64)
    # the test rows do not move when a validation part is asked for
    np.testing.assert_array_equal(data.X_test, before.X_test)
    np.testing.assert_array_equal(data.y_test, before.y_test)
    # the validation rows are the last rows of the former training part
    np.testing.assert_array_equal(np.concatenate([data.X_train, data.X_val]), before.X_train)
    np.testing.assert_array_equal(np.concatenate([data.y_train, data.y_val]), before.y_train)
    assert set(np.unique(data.y_val)) == set(range(10))
    # a Dataset built by hand with four fields still works
    hand = type(data)(data.X_train, data.y_train, data.X_test, data.y_test)
    assert hand.X_val is None and hand.y_val is None
    for bad in (-0.1, 0.75, 0.9):
        with pytest.raises(ValueError, match="val_fraction must be at least 0"):
            load_digits_dataset(np.random.default_rng(0), test_fraction=0.25, val_fraction=bad)


def test_core_modules_import_without_optional_packages():
    code = ("import sys\n"
            "for name in ['matplotlib', 'ipywidgets', 'sklearn', 'tqdm', 'torch']:\n"
            "    sys.modules[name] = None\n"
            "import backproplab.activations, backproplab.losses, backproplab.mlp, "
            "backproplab.gradcheck\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_activation_objects_work_in_place_of_names():
    params, X, y = make_problem([3, 4, 2], 5, "mse")
    by_name = loss_and_gradients(params, X, y, "tanh", "sigmoid", "mse")
    by_object = loss_and_gradients(params, X, y, get_activation("tanh"),
                                   get_activation("sigmoid"), get_loss("mse"))
    assert by_name[0] == by_object[0]
    np.testing.assert_array_equal(by_name[1][0]["W"], by_object[1][0]["W"])


def test_centre_pixels_centres_and_scales_by_the_reference():
    rng = np.random.default_rng(3)
    X = rng.uniform(0, 1, (40, 5))
    X[:, 0] = 0.25  # a pixel that never changes stays finite (std 0)
    Z = centre_pixels(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(axis=0), X.std(axis=0) / (X.std(axis=0) + 0.1),
                               rtol=1e-12)
    assert np.all(Z[:, 0] == 0)
    test = rng.uniform(0, 1, (7, 5))
    np.testing.assert_allclose(centre_pixels(test, reference=X),
                               (test - X.mean(axis=0)) / (X.std(axis=0) + 0.1), rtol=1e-12)
    with pytest.raises(ValueError, match="same number of columns"):
        centre_pixels(test[:, :3], reference=X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sizes, m", [([3, 5, 2], 4), ([4, 6, 5, 4, 3], 7), ([3, 4, 2], 1)])
def test_cache_and_params_nbytes_count_every_array(sizes, m, dtype):
    params, X, _ = make_problem(sizes, m, "mse", dtype=dtype)
    cache = forward(params, X, "tanh", "identity")
    itemsize = np.dtype(dtype).itemsize
    # a[0] = X, then z and a for every layer; W and b for every layer
    assert cache_nbytes(cache) == m * (sizes[0] + 2 * sum(sizes[1:])) * itemsize
    assert params_nbytes(params) == sum((n_in + 1) * n_out for n_in, n_out
                                        in zip(sizes[:-1], sizes[1:])) * itemsize
    assert isinstance(cache_nbytes(cache), int) and isinstance(params_nbytes(params), int)
    doubled = forward(params, np.concatenate([X, X]), "tanh", "identity")
    assert cache_nbytes(doubled) == 2 * cache_nbytes(cache)  # linear in the batch
