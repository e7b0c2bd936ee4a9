"""How much gradient reaches each time step: a plain RNN against an LSTM.

Chapter 6 of the book (``book/06-frameworks.md``), the demo ``TimeGradients``. For one
batch of random sequences, :func:`time_gradient_norms` runs ONE forward and ONE backward
pass of each model of ``backproplab.rnn`` (many-to-one, binary cross-entropy on random
labels) and keeps the per-step norms those passes already record: ‖dL/dh_t‖ for both
models and ‖dL/dc_t‖ for the LSTM, t = 1 … T. :func:`time_verdict` judges one such curve by
the ratio of its first to its last step: the gradient "vanishes", is "kept", "explodes", or
overflowed the floating-point range ("overflow").

The recurrent weights are ``init_rnn_params``' and ``init_lstm_params``' (standard
deviation 1/sqrt(n_h)) times ``scale``: the plain RNN's factor per step back,
``diag tanh′(z_t) W_hᵀ``, shrinks the gradient when ``scale`` is small and can grow it when
``scale`` is large; the LSTM's cell path multiplies by the forget gate only, which a high
``forget_bias`` keeps near 1. Pure NumPy; randomness from an explicit ``rng``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.rnn import (
    init_lstm_params,
    init_rnn_params,
    lstm_loss_and_gradients,
    rnn_loss_and_gradients,
)
from backproplab.validation import FLOAT_DTYPES, check_rng, check_whole, positive

VANISH = 1e-3
"""A curve whose first step gets less than this fraction of its last step's norm vanishes."""

EXPLODE = 1e3
"""A curve whose first step gets more than this multiple of its last step's norm explodes."""

STATUSES = ("vanishes", "kept", "explodes", "overflow")
"""The values of :attr:`TimeVerdict.status`."""


class TimeVerdict(NamedTuple):
    """What one curve of per-step norms ``[‖g_1‖, …, ‖g_T‖]`` says.

    ``finite``: every norm is a finite number (False once the backward pass overflowed to
    inf or NaN); ``reaches``: some gradient (> 0) reaches step 1; ``ratio`` = ‖g_1‖ / ‖g_T‖
    (NaN when not ``finite``); ``status``: one of :data:`STATUSES` — "overflow" when not
    finite, "vanishes" when ``ratio < VANISH`` (including 0), "explodes" when
    ``ratio > EXPLODE``, "kept" otherwise.
    """

    finite: bool
    reaches: bool
    ratio: float
    status: str


def time_verdict(norms, vanish: float = VANISH, explode: float = EXPLODE) -> TimeVerdict:
    """Judge the per-step norms ``norms`` (shape (T,), step 1 first) by ‖g_1‖ / ‖g_T‖."""
    n = np.asarray(norms, dtype=float)
    if n.ndim != 1 or n.size == 0:
        raise ValueError(_("norms must be a 1-D array of per-step norms (T,), step 1 first; "
                           "got shape {shape}.").format(shape=n.shape))
    finite = bool(np.all(np.isfinite(n)))
    if not finite or n[-1] == 0:
        status = "overflow" if not finite else "vanishes"
        return TimeVerdict(finite, finite and bool(n[0] > 0), math.nan, status)
    ratio = float(n[0] / n[-1])
    status = ("vanishes" if ratio < vanish else "explodes" if ratio > explode else "kept")
    return TimeVerdict(True, ratio > 0, ratio, status)


def scale_recurrent_weights(params: dict, scale: float) -> dict:
    """A copy of a plain RNN's or an LSTM's ``params`` with ``W_h`` multiplied by ``scale``
    (of the parameters' dtype); the other arrays are shared, none is changed."""
    W_h = params["W_h"]
    return {**params, "W_h": W_h * W_h.dtype.type(scale)}


class TimeGradientNorms(NamedTuple):
    """The result of :func:`time_gradient_norms`: the per-step norms (each shape (T),
    step 1 first) ``rnn_dh`` = ‖dL/dh_t‖ of the plain RNN, ``lstm_dh`` = ‖dL/dh_t‖ and
    ``lstm_dc`` = ‖dL/dc_t‖ of the LSTM, and a :class:`TimeVerdict` for each:
    ``rnn``, ``lstm`` (from ``lstm_dh``) and ``lstm_cell`` (from ``lstm_dc``)."""

    rnn_dh: np.ndarray
    lstm_dh: np.ndarray
    lstm_dc: np.ndarray
    rnn: TimeVerdict
    lstm: TimeVerdict
    lstm_cell: TimeVerdict


def time_gradient_norms(T: int, rng, scale: float = 1.0, forget_bias: float = 1.0,
                        n_h: int = 16, n_in: int = 4, batch: int = 8,
                        dtype=np.float64) -> TimeGradientNorms:
    """‖dL/dh_t‖ (and the LSTM's ‖dL/dc_t‖) for t = 1 … T, plain RNN against LSTM.

    Draws from ``rng``, in this order: the plain RNN's parameters (``init_rnn_params``),
    the LSTM's (``init_lstm_params`` with ``forget_bias``), both of hidden size ``n_h``,
    one output and ``dtype``; then the inputs X (batch, T, n_in) from N(0, 1) and labels
    y (batch,) from {0, 1}. Both models' ``W_h`` are multiplied by ``scale``
    (:func:`scale_recurrent_weights`). One ``rnn_loss_and_gradients`` and one
    ``lstm_loss_and_gradients`` (binary cross-entropy) give the norms. Overflow is not an
    error here: norms that became inf or NaN are returned as they are, and their verdict
    says "overflow".
    """
    check_rng(rng)
    T, n_h, n_in, batch = (check_whole(v, name) for v, name in
                           ((T, N_("T (the sequence length)")), (n_h, N_("n_h (the hidden size)")),
                            (n_in, "n_in"), (batch, "batch")))
    scale = positive(scale, N_("scale (the recurrent weights' multiple of 1/sqrt(n_h))"), "1.0")
    forget_bias = float(forget_bias)
    if not math.isfinite(forget_bias):
        raise ValueError(_("forget_bias must be a finite number such as 1.0 (larger keeps the "
                           "forget gate nearer 1); got {forget_bias!r}.").format(
            forget_bias=forget_bias))
    if np.dtype(dtype) not in FLOAT_DTYPES:
        raise ValueError(_("dtype must be float64 or float32; got {dtype}.").format(
            dtype=np.dtype(dtype)))
    rnn = init_rnn_params(n_in, n_h, 1, rng, dtype=dtype)
    lstm = init_lstm_params(n_in, n_h, 1, rng, forget_bias=forget_bias, dtype=dtype)
    X = rng.normal(size=(batch, T, n_in)).astype(dtype)
    y = rng.integers(0, 2, batch).astype(dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        rnn_back = rnn_loss_and_gradients(scale_recurrent_weights(rnn, scale), X, y)[1]
        lstm_back = lstm_loss_and_gradients(scale_recurrent_weights(lstm, scale), X, y)[1]
        rnn_dh, lstm_dh, lstm_dc = (rnn_back.dh_norms, lstm_back.dh_norms,
                                    lstm_back.dc_norms)
    return TimeGradientNorms(rnn_dh, lstm_dh, lstm_dc, time_verdict(rnn_dh),
                             time_verdict(lstm_dh), time_verdict(lstm_dc))


__all__ = [
    "EXPLODE", "STATUSES", "TimeGradientNorms", "TimeVerdict", "VANISH",
    "scale_recurrent_weights", "time_gradient_norms", "time_verdict",
]
