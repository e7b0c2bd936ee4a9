"""Chapter 6's package code: backpropagation through time for a plain RNN and an LSTM,
checked against central differences (float64) and PyTorch autograd (float64, optional),
and the per-time-step gradient norms (vanishing for the RNN, kept by the LSTM)."""

import numpy as np
import pytest

from backproplab.gradcheck import numerical_gradients, relative_error
from backproplab.rnn import (
    KEYS,
    init_lstm_params,
    init_rnn_params,
    lstm_backward,
    lstm_forward,
    lstm_loss,
    lstm_loss_and_gradients,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_loss,
    rnn_loss_and_gradients,
)

RTOL_NUMERIC = 1e-7   # central differences with eps = 1e-6 in float64
RTOL_TORCH = 1e-10    # the same arithmetic in another library, float64

N_IN, N_H, BATCH, T = 3, 4, 5, 6


@pytest.fixture
def rng():
    return np.random.default_rng(6)


def sequences(rng, batch=BATCH, steps=T):
    return rng.normal(size=(batch, steps, N_IN))


def numeric(loss_of_params, params):
    """Central differences of loss_of_params(params) for every entry of every array."""
    return numerical_gradients(loss_of_params, params)


# --- central differences -------------------------------------------------------------

@pytest.mark.parametrize("loss, n_out", [("binary_cross_entropy", 1), ("cross_entropy", 3),
                                         ("mse", 2)])
def test_rnn_gradients_match_central_differences(rng, loss, n_out):
    params = init_rnn_params(N_IN, N_H, n_out, rng)
    params["b"] = rng.normal(size=N_H) * 0.1  # no gradient hidden by a zero bias
    X = sequences(rng)
    y = {"binary_cross_entropy": rng.integers(0, 2, BATCH).astype(float),
         "cross_entropy": rng.integers(0, 3, BATCH),
         "mse": rng.normal(size=(BATCH, 2))}[loss]
    value, back = rnn_loss_and_gradients(params, X, y, loss)
    assert value == pytest.approx(rnn_loss(params, X, y, loss), rel=1e-15)
    expected = numeric(lambda p: rnn_loss(p, X, y, loss), params)
    assert set(back.grads) == set(KEYS)
    for key in KEYS:
        assert back.grads[key].shape == params[key].shape
        assert relative_error(back.grads[key], expected[key]) <= RTOL_NUMERIC, key


@pytest.mark.parametrize("loss, n_out", [("binary_cross_entropy", 1), ("cross_entropy", 3)])
def test_lstm_gradients_match_central_differences(rng, loss, n_out):
    params = init_lstm_params(N_IN, N_H, n_out, rng)
    params["b"] = params["b"] + rng.normal(size=4 * N_H) * 0.1
    X = sequences(rng)
    y = (rng.integers(0, 2, BATCH).astype(float) if n_out == 1
         else rng.integers(0, n_out, BATCH))
    value, back = lstm_loss_and_gradients(params, X, y, loss)
    assert value == pytest.approx(lstm_loss(params, X, y, loss), rel=1e-15)
    expected = numeric(lambda p: lstm_loss(p, X, y, loss), params)
    for key in KEYS:
        assert relative_error(back.grads[key], expected[key]) <= RTOL_NUMERIC, key


def test_lstm_step_backward_matches_central_differences(rng):
    """One cell alone, L = Σ A ⊙ h_t + Σ B ⊙ c_t: dL/dh_t = A and B reaches c_t along the
    cell path. Gradients for the weights and for h_prev and c_prev."""
    params = init_lstm_params(N_IN, N_H, 1, rng)
    A, B = rng.normal(size=(2, BATCH, N_H))
    x = rng.normal(size=(BATCH, N_IN))
    state = {"h_prev": rng.normal(size=(BATCH, N_H)), "c_prev": rng.normal(size=(BATCH, N_H))}

    def loss(layers):
        weights, inputs = layers
        step = lstm_step_forward({**params, **weights}, x, inputs["h_prev"], inputs["c_prev"])
        return float(np.sum(A * step.h) + np.sum(B * step.c))

    weights = {key: params[key] for key in ("W_x", "W_h", "b")}
    expected_weights, expected_state = numerical_gradients(loss, [weights, state])
    back = lstm_step_backward(params, A, B, lstm_step_forward(params, x, **state))
    assert relative_error(back.dh_prev, expected_state["h_prev"]) <= RTOL_NUMERIC
    assert relative_error(back.dc_prev, expected_state["c_prev"]) <= RTOL_NUMERIC
    for key in weights:
        assert relative_error(back.grads[key], expected_weights[key]) <= RTOL_NUMERIC, key


def test_the_result_changes_no_argument(rng):
    params = init_lstm_params(N_IN, N_H, 1, rng)
    before = {key: value.copy() for key, value in params.items()}
    X = sequences(rng)
    X_before = X.copy()
    lstm_loss_and_gradients(params, X, np.ones(BATCH))
    rnn_params = init_rnn_params(N_IN, N_H, 1, rng)
    rnn_loss_and_gradients(rnn_params, X, np.ones(BATCH))
    assert all(np.array_equal(params[key], before[key]) for key in KEYS)
    assert np.array_equal(X, X_before)


# --- PyTorch autograd ----------------------------------------------------------------

def torch_head_loss(torch, h_last, params, y, loss):
    W_y = torch.tensor(params["W_y"], requires_grad=True)
    b_y = torch.tensor(params["b_y"], requires_grad=True)
    z_out = h_last @ W_y + b_y
    if loss == "binary_cross_entropy":
        value = torch.nn.functional.binary_cross_entropy_with_logits(
            z_out, torch.tensor(y).reshape(z_out.shape))
    else:
        value = torch.nn.functional.cross_entropy(z_out, torch.tensor(y))
    return value, W_y, b_y


@pytest.mark.parametrize("model, loss, n_out", [
    ("rnn", "binary_cross_entropy", 1), ("rnn", "cross_entropy", 3),
    ("lstm", "binary_cross_entropy", 1), ("lstm", "cross_entropy", 3),
])
def test_gradients_match_pytorch_autograd(rng, model, loss, n_out):
    torch = pytest.importorskip("torch")
    init = init_rnn_params if model == "rnn" else init_lstm_params
    params = init(N_IN, N_H, n_out, rng)
    params["b"] = params["b"] + rng.normal(size=params["b"].shape) * 0.1
    X = sequences(rng)
    y = (rng.integers(0, 2, BATCH).astype(float) if n_out == 1
         else rng.integers(0, n_out, BATCH))
    run = rnn_loss_and_gradients if model == "rnn" else lstm_loss_and_gradients
    value, back = run(params, X, y, loss)

    layer = (torch.nn.RNN(N_IN, N_H, nonlinearity="tanh", batch_first=True)
             if model == "rnn" else torch.nn.LSTM(N_IN, N_H, batch_first=True)).double()
    with torch.no_grad():  # PyTorch stores W as (out, in): our W transposed; b = b_ih + b_hh
        layer.weight_ih_l0.copy_(torch.tensor(params["W_x"].T))
        layer.weight_hh_l0.copy_(torch.tensor(params["W_h"].T))
        layer.bias_ih_l0.copy_(torch.tensor(params["b"]))
        layer.bias_hh_l0.zero_()
    out, _ = layer(torch.tensor(X))
    torch_value, W_y, b_y = torch_head_loss(torch, out[:, -1], params, y, loss)
    torch_value.backward()

    assert abs(value - torch_value.item()) <= 1e-12
    theirs = {"W_x": layer.weight_ih_l0.grad.numpy().T, "W_h": layer.weight_hh_l0.grad.numpy().T,
              "b": layer.bias_ih_l0.grad.numpy(), "W_y": W_y.grad.numpy(),
              "b_y": b_y.grad.numpy()}
    for key in KEYS:
        assert relative_error(back.grads[key], theirs[key]) <= RTOL_TORCH, key


def test_the_lstm_hidden_states_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    params = init_lstm_params(N_IN, N_H, 1, rng)
    X = sequences(rng)
    layer = torch.nn.LSTM(N_IN, N_H, batch_first=True).double()
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.tensor(params["W_x"].T))
        layer.weight_hh_l0.copy_(torch.tensor(params["W_h"].T))
        layer.bias_ih_l0.copy_(torch.tensor(params["b"]))
        layer.bias_hh_l0.zero_()
        out, (h_T, c_T) = layer(torch.tensor(X))
    cache = lstm_forward(params, X)
    ours = np.stack([step.h for step in cache.steps], axis=1)
    assert np.max(np.abs(ours - out.numpy())) <= 1e-14
    assert np.max(np.abs(cache.steps[-1].c - c_T[0].numpy())) <= 1e-14


# --- the gradient through time ---------------------------------------------------------

def small_recurrent_rnn(rng, spectral_norm, n_h=8, steps=20):
    params = init_rnn_params(N_IN, n_h, 1, rng)
    params["W_h"] = params["W_h"] * spectral_norm / np.linalg.norm(params["W_h"], 2)
    return params, sequences(rng, 16, steps), rng.integers(0, 2, 16).astype(float)


def test_rnn_gradient_shrinks_geometrically_going_back_in_time(rng):
    params, X, y = small_recurrent_rnn(rng, spectral_norm=0.5)
    norms = rnn_loss_and_gradients(params, X, y)[1].dh_norms
    assert norms.shape == (X.shape[1],)
    # one step back multiplies by diag tanh′(z_t) W_hᵀ, so ‖dh_(t−1)‖ ≤ ‖W_h‖₂ ‖dh_t‖
    bound = np.linalg.norm(params["W_h"], 2)
    assert np.all(norms[:-1] <= bound * norms[1:] * (1 + 1e-12))
    assert norms[0] / norms[-1] <= bound ** (X.shape[1] - 1)
    assert norms[0] / norms[-1] < 1e-5


def test_lstm_with_a_high_forget_bias_keeps_the_gradient(rng):
    params, X, y = small_recurrent_rnn(rng, spectral_norm=0.5)
    rnn_ratio = (lambda n: n[0] / n[-1])(rnn_loss_and_gradients(params, X, y)[1].dh_norms)

    def lstm_ratio(forget_bias):
        lstm = init_lstm_params(N_IN, 8, 1, np.random.default_rng(0), forget_bias=forget_bias)
        dc_norms = lstm_loss_and_gradients(lstm, X, y)[1].dc_norms
        return dc_norms[0] / dc_norms[-1]

    kept, closed = lstm_ratio(5.0), lstm_ratio(0.0)
    assert kept > 0.1                  # about as much gradient at t = 1 as at t = T
    assert kept > 1e6 * rnn_ratio      # the plain RNN lost almost all of it
    assert kept > 100 * closed         # and it is the forget gate near 1 that keeps it


def test_the_norms_are_those_of_the_gradients_passed_back(rng):
    params = init_rnn_params(N_IN, N_H, 1, rng)
    X = sequences(rng)
    cache = rnn_forward(params, X)
    back = rnn_backward(params, cache, np.ones((BATCH, 1)) / BATCH)
    assert len(back.dh) == T
    assert back.dh_norms[-1] == pytest.approx(
        np.linalg.norm(np.ones((BATCH, 1)) / BATCH @ params["W_y"].T), rel=1e-14)


# --- errors that say what to change ----------------------------------------------------

def test_a_2d_X_is_refused_with_a_hint(rng):
    params = init_rnn_params(N_IN, N_H, 1, rng)
    with pytest.raises(ValueError, match=r"3-D \(batch, T, n_in\).*x\[None\]"):
        rnn_forward(params, np.zeros((T, N_IN)))
    with pytest.raises(ValueError, match="4 features per time step but W_x has shape"):
        rnn_forward(params, np.zeros((BATCH, T, 4)))


def test_params_missing_a_key_are_refused(rng):
    params = init_lstm_params(N_IN, N_H, 1, rng)
    del params["W_h"]
    with pytest.raises(ValueError, match=r"params is missing \['W_h'\].*init_lstm_params"):
        lstm_forward(params, sequences(rng))


def test_rnn_params_given_to_the_lstm_are_refused(rng):
    with pytest.raises(ValueError, match=r"W_h must have shape \(n_h, 4 n_h\)"):
        lstm_forward(init_rnn_params(N_IN, N_H, 1, rng), sequences(rng))


def test_a_wrong_output_gradient_is_refused(rng):
    params = init_lstm_params(N_IN, N_H, 2, rng)
    cache = lstm_forward(params, sequences(rng))
    with pytest.raises(ValueError, match=r"d_out is dL/dz_out.*\(5, 2\)"):
        lstm_backward(params, cache, np.zeros((BATCH, 1)))


def test_randomness_is_explicit():
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        init_rnn_params(N_IN, N_H, 1, rng=0)
