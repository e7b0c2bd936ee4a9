"""Activation functions f and their derivatives f′, each as a function of z.

Shared by the chapters from chapter 3 (``book/03-delta-formulas.md``) on. An
:class:`Activation` bundles a name, ``f`` and ``df`` (f′ written as a function of the
pre-activation ``z``, which is what the hidden delta ``eq-delta-hidden`` multiplies by).

Every function takes an array ``z`` of any shape and returns an array of the same shape and
floating dtype: float32 in, float32 out. None changes its argument.

``ACTIVATIONS`` holds the element-wise activations (usable in any layer). ``softmax`` is
different: each output depends on the whole row, so its derivative is a matrix per sample,
not an element-wise ``df``. It is accepted only as an output activation (see
``backproplab.losses``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backproplab.i18n import gettext as _
from backproplab.validation import float_array

ArrayFunction = Callable[[np.ndarray], np.ndarray]


class Activation(NamedTuple):
    """An activation function: ``a = f(z)``, and its derivative ``df(z) = f′(z)``."""

    name: str
    f: ArrayFunction
    df: ArrayFunction


def identity(z):
    """f(z) = z."""
    return float_array(z).copy()


def identity_prime(z):
    """f′(z) = 1."""
    return np.ones_like(float_array(z))


def sigmoid(z):
    """f(z) = 1 / (1 + e^(−z)), computed without overflow for large |z|.

    For z ≥ 0 it uses 1 / (1 + e^(−z)); for z < 0 the equal e^z / (1 + e^z). Either way the
    exponential is of −|z|, never larger than 1.
    """
    z = float_array(z)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z):
    """f′(z) = σ(z) (1 − σ(z)), as a function of z (not of a = σ(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    """f(z) = tanh z."""
    return np.tanh(float_array(z))


def tanh_prime(z):
    """f′(z) = 1 − tanh² z."""
    t = np.tanh(float_array(z))
    return 1 - t * t


def relu(z):
    """f(z) = max(z, 0)."""
    z = float_array(z)
    return np.maximum(z, 0)


def relu_prime(z):
    """f′(z) = 1 where z > 0, else 0 (the kink at z = 0 gets 0, as in PyTorch)."""
    z = float_array(z)
    return (z > 0).astype(z.dtype)


def softmax(z):
    """Row-wise softmax of ``z`` (batch, n_out): e^(z_k) / Σ_j e^(z_j), each row sums to 1.

    The row maximum is subtracted first (it cancels in the ratio), so no exponential
    overflows.
    """
    z = float_array(z)
    e = z - z.max(axis=-1, keepdims=True)
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _softmax_prime(z):
    raise ValueError(_(
        "softmax has no element-wise derivative f′(z): each output depends on the whole "
        "row, so its derivative is a matrix per sample. Use softmax only as the output "
        "activation, with the 'cross_entropy' loss (whose output delta simplifies to "
        "(y_hat − y)/m, eq-delta-output-ce) or with 'mse'."
    ))


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation("identity", identity, identity_prime),
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_prime),
    "tanh": Activation("tanh", tanh, tanh_prime),
    "relu": Activation("relu", relu, relu_prime),
}
"""The element-wise activations, by name. Any of them may be a hidden or an output layer's."""

SOFTMAX = Activation("softmax", softmax, _softmax_prime)
"""Softmax: an output activation only (its ``df`` raises and says why)."""


def _choices() -> str:
    return _("{names} (and 'softmax' for an output layer)").format(
        names=", ".join(repr(name) for name in ACTIVATIONS))


def get_activation(name_or_activation) -> Activation:
    """The :class:`Activation` called ``name_or_activation`` (an Activation passes through).

    Names: ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, and ``"softmax"`` (output
    layers only).
    """
    if isinstance(name_or_activation, Activation):
        return name_or_activation
    if isinstance(name_or_activation, str):
        key = name_or_activation.strip().lower()
        if key in ACTIVATIONS:
            return ACTIVATIONS[key]
        if key == "softmax":
            return SOFTMAX
        raise ValueError(_("unknown activation {name!r}: choose one of {choices}.").format(
            name=name_or_activation, choices=_choices()))
    raise TypeError(_(
        "an activation is given by its name, one of {choices}, or as an Activation; "
        "got {name!r}."
    ).format(choices=_choices(), name=name_or_activation))


def get_hidden_activation(name_or_activation) -> Activation:
    """Like :func:`get_activation`, but refuses softmax, which cannot be a hidden layer's."""
    activation = get_activation(name_or_activation)
    if activation.name == "softmax":
        raise ValueError(_(
            "softmax can only be the output activation; choose a hidden activation from "
            "{names}."
        ).format(names=", ".join(repr(name) for name in ACTIVATIONS)))
    return activation
