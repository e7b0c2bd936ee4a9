"""Argument checks shared by the package's modules, and the ``Params`` type.

Not tied to one chapter: every numeric module (``activations``, ``losses``, ``derivatives``,
``mlp``, ``optimizers``, ``deepnets``, ``gradcheck``, ``training``) checks what a reader
passes with these functions, so that a wrong argument gets the same sentence everywhere:
what was wrong and what to pass instead. Each check returns the value converted (a float,
an int, an array) or raises ``TypeError`` / ``ValueError``. This module imports only NumPy
and ``i18n`` (its sentences are looked up in the reader's language when raised) and sits
below all the others.
"""

from __future__ import annotations

import math

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _

Params = list[dict[str, np.ndarray]]
"""A network's parameters: one dict of arrays per layer, ``{"W": W^l, "b": b^l}`` (chapter
5's deep networks add ``"gamma"`` and ``"beta"``). Gradients have the same structure."""

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes a network may compute in."""


# ---------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------

def positive(value, name: str, example: str) -> float:
    """``value`` as a float, or an error saying that ``name`` must be a positive number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(_("{name} must be a number such as {example}; got {value!r}.").format(
            name=_(name), example=example, value=value)) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(_("{name} must be a positive number such as {example}; got "
                           "{value!r}.").format(name=_(name), example=example, value=value))
    return value


def check_lr(lr) -> float:
    """The learning rate as a positive float."""
    return positive(lr, N_("lr (the learning rate)"), "0.1")


def fraction(value, name: str, example: str) -> float:
    """``value`` as a float in [0, 1) (a decay rate such as momentum's beta)."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(_("{name} must be a number such as {example}; got {value!r}.").format(
            name=_(name), example=example, value=value)) from None
    if not 0 <= value < 1:
        raise ValueError(_("{name} must be at least 0 and below 1, such as {example}; "
                           "got {value!r}.").format(name=_(name), example=example, value=value))
    return value


def not_negative(value, name: str) -> float:
    """``value`` as a float >= 0 (a penalty weight, where 0 switches the penalty off)."""
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(_("{name} must be a number >= 0 such as 1e-4 (0 switches it off); "
                           "got {value!r}.").format(name=_(name), value=value))
    return value


def check_whole(value, name: str) -> int:
    """``value`` as an int >= 1 (a number of epochs, steps or samples, a batch size)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(_("{name} must be a whole number >= 1; got {value!r}.").format(
            name=_(name), value=value))
    return int(value)


def check_eps(eps, example: str = "1e-3") -> float:
    """The step ``eps`` of a finite difference as a positive float."""
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise TypeError(_("eps must be a number such as {example}; got {eps!r}.").format(
            example=example, eps=eps)) from None
    if not math.isfinite(eps) or eps <= 0:
        raise ValueError(_(
            "eps must be a small positive number such as {example}; got {eps!r}. "
            "A nudge of zero (or a negative or infinite one) cannot estimate a slope."
        ).format(example=example, eps=eps))
    return eps


def check_rng(rng) -> None:
    """Refuse anything but a ``numpy.random.Generator`` (randomness is always explicit)."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(_(
            "rng must be a numpy.random.Generator, such as np.random.default_rng(0); "
            "got {rng!r}. Pass one explicitly so that results can be reproduced."
        ).format(rng=rng))


# ---------------------------------------------------------------------------------------
# Arrays
# ---------------------------------------------------------------------------------------

def float_array(z) -> np.ndarray:
    """``z`` as a floating array, keeping float32 / float64 (integers become float64)."""
    z = np.asarray(z)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype(np.float64)
    return z


def rows_array(z, name: str, shape: str) -> np.ndarray:
    """``z`` as a 2-D floating array with at least one row (one row per sample)."""
    z = float_array(z)
    if z.ndim != 2:
        raise ValueError(_(
            "{name} must be 2-D {shape}, one row per sample; got shape {got}. "
            "For a single sample use {name}.reshape(1, -1)."
        ).format(name=name, shape=shape, got=z.shape))
    if z.shape[0] == 0:
        raise ValueError(_("the batch is empty: {name} has no rows.").format(name=name))
    return z


def check_params(params) -> np.dtype:
    """Check a network's layers (shapes that fit, one float dtype); return that dtype."""
    if not isinstance(params, (list, tuple)) or not params:
        raise TypeError(_(
            "params must be a non-empty list of layers {{'W': ..., 'b': ...}}, as returned by "
            "init_params; got {type}."
        ).format(type=type(params).__name__))
    dtype = None
    for l, layer in enumerate(params, start=1):
        if not isinstance(layer, dict) or "W" not in layer or "b" not in layer:
            raise TypeError(_("layer {l} of params must be a dict with keys 'W' and 'b'.").format(
                l=l))
        W, b = layer["W"], layer["b"]
        if not isinstance(W, np.ndarray) or W.ndim != 2:
            raise ValueError(_("layer {l}'s W must be a 2-D array (n_in, n_out); "
                               "got {got!r}.").format(l=l, got=getattr(W, "shape", W)))
        if not isinstance(b, np.ndarray) or b.shape != (W.shape[1],):
            raise ValueError(_(
                "layer {l}'s b must have shape ({n_out},), one bias per neuron of the "
                "layer (W has shape {W_shape}); got {got!r}."
            ).format(l=l, n_out=W.shape[1], W_shape=W.shape, got=getattr(b, "shape", b)))
        if l > 1 and W.shape[0] != params[l - 2]["W"].shape[1]:
            raise ValueError(_(
                "layer {l}'s W has shape {W_shape} but layer {previous} has "
                "{n} neurons: W of layer {l} needs {n} rows."
            ).format(l=l, W_shape=W.shape, previous=l - 1, n=params[l - 2]["W"].shape[1]))
        dtype = dtype or W.dtype
        if W.dtype not in FLOAT_DTYPES or W.dtype != dtype or b.dtype != dtype:
            raise ValueError(_(
                "all weights and biases must share one dtype, float64 or float32; layer {l} "
                "has W {W_dtype} and b {b_dtype} (layer 1's W is {dtype}). Convert them "
                "with .astype(), or create them with init_params(..., dtype=...)."
            ).format(l=l, W_dtype=W.dtype, b_dtype=b.dtype, dtype=dtype))
    return dtype


def input_array(X, params) -> np.ndarray:
    """X as a 2-D array of the parameters' dtype, checked against the first layer."""
    dtype = check_params(params)
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(_(
            "X must be 2-D (batch, features), one row per sample; got shape {shape}. "
            "For a single sample x use x.reshape(1, -1)."
        ).format(shape=X.shape))
    n_in = params[0]["W"].shape[0]
    if X.shape[1] != n_in:
        raise ValueError(_(
            "X has {features} features per row but the first layer expects {n_in} "
            "(its W has shape {W_shape}): make sizes[0] the number of columns of X."
        ).format(features=X.shape[1], n_in=n_in, W_shape=params[0]["W"].shape))
    return X if X.dtype == dtype else X.astype(dtype)


__all__ = [
    "FLOAT_DTYPES", "Params", "check_eps", "check_lr", "check_params", "check_rng",
    "check_whole", "float_array", "fraction", "input_array", "not_negative", "positive",
    "rows_array",
]
