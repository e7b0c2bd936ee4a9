"""Backpropagation through time: a plain recurrent network and an LSTM, in NumPy.

Chapter 6 of the book (backpropagation through time; the page is still to be written).
Both models read a sequence ``X`` of shape (batch, T, n_in) and produce one output per
sequence from the last hidden state (many-to-one, as a sentiment classifier does):
``z_out = h_T @ W_y + b_y``, shape (batch, n_out), scored by a loss of
``backproplab.losses``.

- **Plain RNN** (tanh): ``z_t = x_t @ W_x + h_(t−1) @ W_h + b``, ``h_t = tanh(z_t)``,
  h_0 = 0. Its backward pass (BPTT) is a loop over time of :func:`rnn_step_backward`:
  ``delta_t = dL/dh_t * tanh′(z_t)``, ``dL/dh_(t−1) = delta_t @ W_hᵀ``. Every step back in
  time multiplies by one factor ``diag tanh′(z_t) W_hᵀ``: chapter 5's product
  (``eq-delta-product``) again, along time instead of across layers, so ‖dL/dh_t‖ shrinks
  (or grows) geometrically going back.
- **LSTM**: four gates computed from one pre-activation
  ``z_t = x_t @ W_x + h_(t−1) @ W_h + b`` of width 4 n_h, split into column blocks in the
  order **[i, f, g, o]**: input gate i = σ(·), forget gate f = σ(·), candidate g = tanh(·),
  output gate o = σ(·). Then ``c_t = f ⊙ c_(t−1) + i ⊙ g`` and ``h_t = o ⊙ tanh(c_t)``.
  The cell state's path back in time is ``dL/dc_(t−1) = dL/dc_t ⊙ f``: a multiplication by
  the forget gate, with no weight matrix and no squashing derivative — an additive path like
  chapter 5's residual connection (``eq-residual``), which keeps the gradient alive when
  f ≈ 1.

**PyTorch's layout.** ``nn.RNN`` and ``nn.LSTM`` store weights as (out, in), our W
transposed: ``weight_ih_l0 = W_x.T`` and ``weight_hh_l0 = W_h.T``. For the LSTM the rows
of ``weight_ih_l0`` (4 n_h, n_in) are the gates in the same order [i, f, g, o] as our
columns, so the transpose is all it takes. PyTorch adds two biases, ``bias_ih_l0 +
bias_hh_l0``; our single ``b`` is their sum (copy ``b`` into one, zeros into the other).

Conventions as in ``backproplab.mlp``: rows are the batch, ``W`` has shape (n_in, n_out),
``z = a_prev @ W + b``, and the weight and bias gradients of a step are ``mlp``'s
``weight_gradient`` and ``bias_gradient``. Gradients are summed over the time steps (the
weights are shared). Parameters are a dict of arrays; gradients have the same keys. No
function changes its arguments; randomness comes from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backproplab.activations import sigmoid, tanh, tanh_prime
from backproplab.i18n import gettext as _
from backproplab.losses import get_loss
from backproplab.mlp import bias_gradient, weight_gradient
from backproplab.validation import FLOAT_DTYPES, check_rng, check_whole

KEYS = ("W_x", "W_h", "b", "W_y", "b_y")
"""The keys of both models' parameters (and gradients); the LSTM's W_x, W_h and b are four
gates wide."""

GATES = ("i", "f", "g", "o")
"""The LSTM gates in the order of their column blocks (PyTorch's row order too)."""

OUTPUTS = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax", "mse": "identity"}
"""The output activation each loss is paired with."""


# ---------------------------------------------------------------------------------------
# Checking arguments
# ---------------------------------------------------------------------------------------

def _check_model_params(params, n_gates: int, init: str) -> np.dtype:
    """Check the five arrays of an RNN (n_gates = 1) or LSTM (4); return their dtype."""
    if not isinstance(params, dict):
        raise TypeError(_("params must be a dict with keys {keys}, as returned by "
                          "{init}; got {type}.").format(keys=list(KEYS), init=init,
                                                        type=type(params).__name__))
    missing = [key for key in KEYS if key not in params]
    if missing:
        raise ValueError(_("params is missing {missing}: it needs the keys {keys}, "
                           "as returned by {init}.").format(missing=missing, keys=list(KEYS),
                                                            init=init))
    W_x, W_h, W_y = (np.asarray(params[k]) for k in ("W_x", "W_h", "W_y"))
    if W_h.ndim != 2 or W_h.shape[1] != n_gates * W_h.shape[0]:
        wide = ("(n_h, n_h)" if n_gates == 1
                else _("(n_h, 4 n_h), the gates [i, f, g, o] side by side"))
        raise ValueError(_("W_h must have shape {wide}; got {shape}.").format(
            wide=wide, shape=W_h.shape))
    n_h = W_h.shape[0]
    expected = {"W_x": (None, n_gates * n_h), "b": (n_gates * n_h,), "W_y": (n_h, None),
                "b_y": (W_y.shape[-1] if W_y.ndim == 2 else None,)}
    for key, shape in expected.items():
        got = np.shape(params[key])
        if len(got) != len(shape) or any(e is not None and g != e for g, e in zip(got, shape)):
            want = tuple("any" if e is None else e for e in shape)
            raise ValueError(_("params[{key!r}] must have shape {want} for n_h = {n_h} "
                               "(W_h has shape {W_h}); got {got}.").format(
                key=key, want=want, n_h=n_h, W_h=W_h.shape, got=got))
    dtypes = {np.asarray(params[key]).dtype for key in KEYS}
    if len(dtypes) != 1 or W_x.dtype not in FLOAT_DTYPES:
        raise ValueError(_("all arrays of params must share one dtype, float64 or float32; "
                           "got {dtypes}. Convert them with .astype().").format(
            dtypes=sorted(str(d) for d in dtypes)))
    return W_x.dtype


def _sequence_array(X, params, dtype) -> np.ndarray:
    """X as a (batch, T, n_in) array of the parameters' dtype."""
    X = np.asarray(X)
    if X.ndim != 3:
        hint = (_(" For one sequence x of shape (T, n_in) use x[None].") if X.ndim == 2 else "")
        raise ValueError(_("X must be 3-D (batch, T, n_in): one row per sequence, one step per "
                           "time step; got shape {shape}.{hint}").format(shape=X.shape,
                                                                         hint=hint))
    if 0 in X.shape[:2]:
        raise ValueError(_("X must hold at least one sequence of at least one step; got shape "
                           "{shape}.").format(shape=X.shape))
    n_in = np.shape(params["W_x"])[0]
    if X.shape[2] != n_in:
        raise ValueError(_("X has {features} features per time step but W_x has shape "
                           "{W_x}: make n_in the size of X's last axis.").format(
            features=X.shape[2], W_x=np.shape(params["W_x"])))
    return X.astype(dtype, copy=False)


def _output_gradient(d_out, z_out) -> np.ndarray:
    d_out = np.asarray(d_out, dtype=z_out.dtype)
    if d_out.shape != z_out.shape:
        raise ValueError(_("d_out is dL/dz_out and must have the output's shape (batch, n_out) "
                           "= {shape}; got {got}.").format(shape=z_out.shape, got=d_out.shape))
    return d_out


def _check_loss(loss) -> tuple:
    name = get_loss(loss).name
    return get_loss(name), OUTPUTS[name]


def step_norms(gradients) -> np.ndarray:
    """The norm (over the batch and the units) of each time step's gradient array: for
    ``dh`` of a backward pass, ``[‖dL/dh_1‖, …, ‖dL/dh_T‖]``, shape (T,)."""
    return np.array([np.linalg.norm(g) for g in gradients])


# ---------------------------------------------------------------------------------------
# The plain recurrent network
# ---------------------------------------------------------------------------------------

def init_rnn_params(n_in: int, n_h: int, n_out: int, rng, dtype=np.float64) -> dict:
    """A plain RNN's parameters: weights drawn from N(0, 1/fan_in), biases zero.

    ``W_x`` (n_in, n_h), ``W_h`` (n_h, n_h), ``b`` (n_h,), ``W_y`` (n_h, n_out), ``b_y``
    (n_out,), all of ``dtype``. Scale ``W_h`` afterwards to study vanishing gradients.
    """
    check_rng(rng)
    n_in, n_h, n_out = (check_whole(n, name) for n, name in
                        ((n_in, "n_in"), (n_h, "n_h"), (n_out, "n_out")))
    params = {"W_x": rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_h)),
              "W_h": rng.normal(0, 1 / np.sqrt(n_h), (n_h, n_h)),
              "b": np.zeros(n_h),
              "W_y": rng.normal(0, 1 / np.sqrt(n_h), (n_h, n_out)),
              "b_y": np.zeros(n_out)}
    return {key: value.astype(dtype) for key, value in params.items()}


class RNNCache(NamedTuple):
    """What the forward pass keeps for BPTT: the inputs ``X`` (batch, T, n_in), every
    step's ``z`` (T arrays (batch, n_h)), the hidden states ``h`` (T + 1 arrays, ``h[0]``
    = h_0 = 0, ``h[t]`` = h_t) and the output's ``z_out`` (batch, n_out)."""

    X: np.ndarray
    z: tuple
    h: tuple
    z_out: np.ndarray


def rnn_step_forward(params, x_t, h_prev):
    """One time step: ``z_t = x_t @ W_x + h_prev @ W_h + b`` and ``h_t = tanh(z_t)``;
    returns ``(z_t, h_t)``, each (batch, n_h)."""
    z_t = x_t @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    return z_t, tanh(z_t)


def output_forward(params, h_last):
    """The many-to-one output head: ``z_out = h_T @ W_y + b_y``, shape (batch, n_out)."""
    return h_last @ params["W_y"] + params["b_y"]


def output_backward(params, h_last, d_out):
    """The output head's backward step: ``(dL/dh_T, {"W_y": dW_y, "b_y": db_y})``."""
    return d_out @ params["W_y"].T, {"W_y": weight_gradient(h_last, d_out),
                                     "b_y": bias_gradient(d_out)}


def rnn_forward(params, X) -> RNNCache:
    """Run the plain RNN over the sequences ``X`` (batch, T, n_in) from h_0 = 0; return
    the :class:`RNNCache` (its ``z_out`` is the output's pre-activation)."""
    dtype = _check_model_params(params, 1, "init_rnn_params")
    X = _sequence_array(X, params, dtype)
    h = [np.zeros((X.shape[0], params["W_h"].shape[0]), dtype=dtype)]
    z = []
    for t in range(X.shape[1]):
        z_t, h_t = rnn_step_forward(params, X[:, t], h[-1])
        z.append(z_t)
        h.append(h_t)
    return RNNCache(X, tuple(z), tuple(h), output_forward(params, h[-1]))


def rnn_step_backward(params, dh_t, z_t, x_t, h_prev):
    """One step of BPTT, given dL/dh_t (batch, n_h) from the output and the later steps.

    ``delta_t = dh_t * tanh′(z_t)``; the step's share of the weight gradients
    ``dW_x = x_tᵀ delta_t``, ``dW_h = h_prevᵀ delta_t``, ``db = Σ_batch delta_t``; and the
    gradient passed one step back, ``dL/dh_(t−1) = delta_t @ W_hᵀ``. Returns
    ``(dh_prev, {"W_x": ..., "W_h": ..., "b": ...})``.
    """
    delta_t = dh_t * tanh_prime(z_t)
    grads = {"W_x": weight_gradient(x_t, delta_t), "W_h": weight_gradient(h_prev, delta_t),
             "b": bias_gradient(delta_t)}
    return delta_t @ params["W_h"].T, grads


class RNNBackward(NamedTuple):
    """The result of :func:`rnn_backward`: ``grads`` (the keys of params) and ``dh``, the
    T arrays dL/dh_t (batch, n_h), t = 1 … T, that the loop passed back in time."""

    grads: dict
    dh: tuple

    @property
    def dh_norms(self) -> np.ndarray:
        """``[‖dL/dh_1‖, …, ‖dL/dh_T‖]``, shape (T,): how much gradient reaches each step."""
        return step_norms(self.dh)


def rnn_backward(params, cache: RNNCache, d_out) -> RNNBackward:
    """Backpropagation through time for the plain RNN, from ``d_out`` = dL/dz_out.

    The output head's step, then :func:`rnn_step_backward` for t = T, …, 1, adding each
    step's weight gradients (the weights are shared by all steps). Returns an
    :class:`RNNBackward`: the gradients, and every dL/dh_t for the per-step norms.
    """
    _check_model_params(params, 1, "init_rnn_params")
    d_out = _output_gradient(d_out, cache.z_out)
    dh_t, grads = output_backward(params, cache.h[-1], d_out)
    grads.update({key: np.zeros_like(params[key]) for key in ("W_x", "W_h", "b")})
    dh = []
    for t in reversed(range(len(cache.z))):
        dh.append(dh_t)
        dh_t, step = rnn_step_backward(params, dh_t, cache.z[t], cache.X[:, t], cache.h[t])
        for key, value in step.items():
            grads[key] += value
    return RNNBackward({key: grads[key] for key in KEYS}, tuple(reversed(dh)))


def rnn_loss(params, X, y, loss="binary_cross_entropy"):
    """The loss of the plain RNN on (X, y); the output activation is the loss's pairing
    (``OUTPUTS``: sigmoid for binary cross-entropy, softmax for cross-entropy)."""
    loss, output = _check_loss(loss)
    return loss.value(rnn_forward(params, X).z_out, y, output)


def rnn_loss_and_gradients(params, X, y, loss="binary_cross_entropy"):
    """One forward and one backward pass: ``(loss value, RNNBackward)``; the gradients
    are ``result.grads`` and the per-step norms ``result.dh_norms``."""
    loss, output = _check_loss(loss)
    cache = rnn_forward(params, X)
    d_out = loss.output_delta(cache.z_out, y, output)
    return loss.value(cache.z_out, y, output), rnn_backward(params, cache, d_out)


# ---------------------------------------------------------------------------------------
# The LSTM
# ---------------------------------------------------------------------------------------

def init_lstm_params(n_in: int, n_h: int, n_out: int, rng, forget_bias: float = 1.0,
                     dtype=np.float64) -> dict:
    """An LSTM's parameters: weights from N(0, 1/fan_in), biases zero except the forget
    gate's, which is ``forget_bias`` (1 is the usual choice; larger keeps f ≈ 1).

    ``W_x`` (n_in, 4 n_h), ``W_h`` (n_h, 4 n_h), ``b`` (4 n_h,) with the gates' column
    blocks in the order [i, f, g, o]; ``W_y`` (n_h, n_out), ``b_y`` (n_out,).
    """
    check_rng(rng)
    n_in, n_h, n_out = (check_whole(n, name) for n, name in
                        ((n_in, "n_in"), (n_h, "n_h"), (n_out, "n_out")))
    b = np.zeros(4 * n_h)
    b[n_h:2 * n_h] = float(forget_bias)
    params = {"W_x": rng.normal(0, 1 / np.sqrt(n_in), (n_in, 4 * n_h)),
              "W_h": rng.normal(0, 1 / np.sqrt(n_h), (n_h, 4 * n_h)),
              "b": b,
              "W_y": rng.normal(0, 1 / np.sqrt(n_h), (n_h, n_out)),
              "b_y": np.zeros(n_out)}
    return {key: value.astype(dtype) for key, value in params.items()}


class LSTMStep(NamedTuple):
    """One LSTM step's values, kept for its backward step: the inputs ``x`` (batch, n_in),
    ``h_prev`` and ``c_prev`` (batch, n_h), the gates ``i``, ``f``, ``g``, ``o``, and the
    new cell state ``c`` and hidden state ``h`` (all (batch, n_h))."""

    x: np.ndarray
    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    c: np.ndarray
    h: np.ndarray


def lstm_step_forward(params, x_t, h_prev, c_prev) -> LSTMStep:
    """One LSTM step: the gates from ``z_t = x_t @ W_x + h_prev @ W_h + b`` (blocks
    [i, f, g, o]), ``c_t = f ⊙ c_prev + i ⊙ g``, ``h_t = o ⊙ tanh(c_t)``; returns the
    :class:`LSTMStep` (its ``h`` and ``c`` are h_t and c_t)."""
    z_t = x_t @ params["W_x"] + h_prev @ params["W_h"] + params["b"]
    z_i, z_f, z_g, z_o = np.split(z_t, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), tanh(z_g), sigmoid(z_o)
    c = f * c_prev + i * g
    return LSTMStep(x_t, h_prev, c_prev, i, f, g, o, c, o * tanh(c))


class LSTMStepGradients(NamedTuple):
    """What :func:`lstm_step_backward` returns: ``dh_prev`` and ``dc_prev`` to pass one
    step back, the step's share of the weight gradients ``grads`` (W_x, W_h, b), and
    ``dc``, the whole dL/dc_t (the cell path plus the path through h_t)."""

    dh_prev: np.ndarray
    dc_prev: np.ndarray
    grads: dict
    dc: np.ndarray


def lstm_step_backward(params, dh_t, dc_next, step: LSTMStep) -> LSTMStepGradients:
    """One LSTM step of BPTT, given dL/dh_t (batch, n_h) and ``dc_next``, the gradient that
    reached c_t along the cell path from step t + 1 (zeros at t = T).

    ``dc = dc_next + dh_t ⊙ o ⊙ (1 − tanh² c_t)``; the gates' gradients ``di = dc ⊙ g``,
    ``df = dc ⊙ c_prev``, ``dg = dc ⊙ i``, ``do = dh_t ⊙ tanh c_t``, times each gate's
    derivative give ``delta_t`` (batch, 4 n_h), blocks [i, f, g, o]; then
    ``dW_x = x_tᵀ delta_t``, ``dW_h = h_prevᵀ delta_t``, ``db = Σ_batch delta_t``,
    ``dh_prev = delta_t @ W_hᵀ`` and ``dc_prev = dc ⊙ f`` — the additive path.
    """
    tanh_c = tanh(step.c)
    dc = dc_next + dh_t * step.o * (1 - tanh_c * tanh_c)
    delta_t = np.concatenate([dc * step.g * step.i * (1 - step.i),
                              dc * step.c_prev * step.f * (1 - step.f),
                              dc * step.i * (1 - step.g * step.g),
                              dh_t * tanh_c * step.o * (1 - step.o)], axis=1)
    grads = {"W_x": weight_gradient(step.x, delta_t),
             "W_h": weight_gradient(step.h_prev, delta_t), "b": bias_gradient(delta_t)}
    return LSTMStepGradients(delta_t @ params["W_h"].T, dc * step.f, grads, dc)


class LSTMCache(NamedTuple):
    """The LSTM's forward pass: one :class:`LSTMStep` per time step (``steps``, T of them)
    and the output's ``z_out`` (batch, n_out)."""

    steps: tuple
    z_out: np.ndarray


def lstm_forward(params, X) -> LSTMCache:
    """Run the LSTM over ``X`` (batch, T, n_in) from h_0 = c_0 = 0; return the
    :class:`LSTMCache`."""
    dtype = _check_model_params(params, 4, "init_lstm_params")
    X = _sequence_array(X, params, dtype)
    h = c = np.zeros((X.shape[0], params["W_h"].shape[0]), dtype=dtype)
    steps = []
    for t in range(X.shape[1]):
        step = lstm_step_forward(params, X[:, t], h, c)
        h, c = step.h, step.c
        steps.append(step)
    return LSTMCache(tuple(steps), output_forward(params, h))


class LSTMBackward(NamedTuple):
    """The result of :func:`lstm_backward`: ``grads`` (the keys of params), and the T
    arrays dL/dh_t and dL/dc_t (batch, n_h), t = 1 … T."""

    grads: dict
    dh: tuple
    dc: tuple

    @property
    def dh_norms(self) -> np.ndarray:
        """``[‖dL/dh_1‖, …, ‖dL/dh_T‖]``, shape (T,)."""
        return step_norms(self.dh)

    @property
    def dc_norms(self) -> np.ndarray:
        """``[‖dL/dc_1‖, …, ‖dL/dc_T‖]``, shape (T,)."""
        return step_norms(self.dc)


def lstm_backward(params, cache: LSTMCache, d_out) -> LSTMBackward:
    """Backpropagation through time for the LSTM, from ``d_out`` = dL/dz_out: the output
    head's step, then :func:`lstm_step_backward` for t = T, …, 1, adding each step's weight
    gradients. Returns an :class:`LSTMBackward` with every dL/dh_t and dL/dc_t."""
    _check_model_params(params, 4, "init_lstm_params")
    d_out = _output_gradient(d_out, cache.z_out)
    dh_t, grads = output_backward(params, cache.steps[-1].h, d_out)
    grads.update({key: np.zeros_like(params[key]) for key in ("W_x", "W_h", "b")})
    dc_t = np.zeros_like(dh_t)
    dh, dc = [], []
    for step in reversed(cache.steps):
        dh.append(dh_t)
        back = lstm_step_backward(params, dh_t, dc_t, step)
        dc.append(back.dc)
        dh_t, dc_t = back.dh_prev, back.dc_prev
        for key, value in back.grads.items():
            grads[key] += value
    return LSTMBackward({key: grads[key] for key in KEYS}, tuple(reversed(dh)),
                        tuple(reversed(dc)))


def lstm_loss(params, X, y, loss="binary_cross_entropy"):
    """The loss of the LSTM on (X, y), with the loss's output activation (``OUTPUTS``)."""
    loss, output = _check_loss(loss)
    return loss.value(lstm_forward(params, X).z_out, y, output)


def lstm_loss_and_gradients(params, X, y, loss="binary_cross_entropy"):
    """One forward and one backward pass: ``(loss value, LSTMBackward)``."""
    loss, output = _check_loss(loss)
    cache = lstm_forward(params, X)
    d_out = loss.output_delta(cache.z_out, y, output)
    return loss.value(cache.z_out, y, output), lstm_backward(params, cache, d_out)


__all__ = [
    "GATES", "KEYS", "LSTMBackward", "LSTMCache", "LSTMStep", "LSTMStepGradients",
    "OUTPUTS", "RNNBackward", "RNNCache", "init_lstm_params", "init_rnn_params",
    "lstm_backward", "lstm_forward", "lstm_loss", "lstm_loss_and_gradients",
    "lstm_step_backward", "lstm_step_forward", "output_backward", "output_forward",
    "rnn_backward", "rnn_forward", "rnn_loss", "rnn_loss_and_gradients", "rnn_step_backward",
    "rnn_step_forward", "step_norms",
]
