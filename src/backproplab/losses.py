"""Loss functions, as a mean over the batch, and their output deltas dL/dz_out.

Shared by the chapters from chapter 3 (``book/03-delta-formulas.md``) on. Each loss is
computed from the output layer's pre-activation ``z_out`` (batch m, n_out) and the targets
``y``, so that it can be evaluated stably (no log of a rounded-to-zero probability), and
each has an *output delta*, the gradient of the loss with respect to ``z_out``:

- ``"mse"``: L = 1/(2m) Σ_samples ‖y_hat − y‖², with y_hat = f(z_out) for any output
  activation f. Its output delta is ``delta = (y_hat − y) / m * f′(z_out)``
  (equation ``eq-delta-output-mse``); for a softmax output the element-wise product
  becomes softmax's Jacobian applied to (y_hat − y) / m.
- ``"cross_entropy"`` with a softmax output: L = −1/m Σ_samples Σ_k y_k log y_hat_k, with
  y one-hot (or rows of probabilities) or integer class labels.
- ``"binary_cross_entropy"`` with a sigmoid output: L = −1/m Σ_samples Σ_k
  [y_k log y_hat_k + (1 − y_k) log(1 − y_hat_k)], with y in [0, 1].

For the last two the chain rule simplifies (equation ``eq-delta-output-ce``): the
derivative of the loss with respect to y_hat has a denominator that f′(z_out) cancels
exactly. For sigmoid + BCE, dL/dy_hat = (y_hat − y) / (y_hat (1 − y_hat)) / m and
σ′(z) = y_hat (1 − y_hat); for softmax + CE, the Jacobian of softmax applied to
−y / y_hat / m gives (y_hat Σ_k y_k − y) / m with Σ_k y_k = 1. Both leave

    delta = (y_hat − y) / m,

with no f′ left, which is why these pairings are used and why a loss refuses the other
output activations. (It also never computes 1 / y_hat, which would overflow.)

Every function keeps the dtype of ``z_out`` (float32 in, float32 out) and changes none of
its arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backproplab.activations import Activation, get_activation, sigmoid, softmax
from backproplab.i18n import gettext as _
from backproplab.validation import rows_array

# ---------------------------------------------------------------------------------------
# Checking shapes and targets
# ---------------------------------------------------------------------------------------

def _output_array(z_out) -> np.ndarray:
    return rows_array(z_out, "z_out", "(batch, n_out)")


def one_hot(labels, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Integer class labels (m,) as one-hot rows (m, n_classes): row i has a 1 at labels[i]."""
    labels = _integer_labels(labels, n_classes)
    y = np.zeros((labels.shape[0], n_classes), dtype=dtype)
    y[np.arange(labels.shape[0]), labels] = 1
    return y


def _integer_labels(labels, n_classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(_("class labels must be a 1-D array (m,); got shape {shape}.").format(
            shape=labels.shape))
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.issubdtype(labels.dtype, np.floating)
                and np.all(np.isfinite(labels)) and np.all(labels == np.round(labels))):
            raise ValueError(_(
                "class labels must be whole numbers 0, 1, ..., n_classes − 1; got values such "
                "as {values}. Pass one-hot rows (m, n_classes) instead, or "
                "convert the labels with .astype(int)."
            ).format(values=labels[:3].tolist()))
        labels = labels.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(_(
            "class labels must lie in 0 ... {last} (the output has {n_classes} "
            "units); got labels from {low} to {high}."
        ).format(last=n_classes - 1, n_classes=n_classes, low=labels.min(), high=labels.max()))
    return labels


def _same_shape_targets(z_out: np.ndarray, y, loss: str) -> np.ndarray:
    """``y`` as an array of z_out's shape and dtype; a 1-D y is accepted when n_out = 1."""
    y = np.asarray(y)
    m, n_out = z_out.shape
    if y.ndim == 1 and n_out == 1 and y.shape[0] == m:
        y = y.reshape(m, 1)
    if y.shape != z_out.shape:
        hint = ""
        if y.ndim == 1 and y.shape[0] == m:
            hint = _(" If y holds class labels, turn them into one-hot rows with "
                     "one_hot(y, {n_out}).").format(n_out=n_out)
        raise ValueError(_(
            "for the {loss!r} loss, y must have the output's shape (batch, n_out) = "
            "{shape}; got shape {got}.{hint}"
        ).format(loss=loss, shape=z_out.shape, got=y.shape, hint=hint))
    return y.astype(z_out.dtype, copy=False)


def _class_targets(z_out: np.ndarray, y) -> np.ndarray:
    """Targets for cross-entropy: labels (m,) or probability rows (m, n_out), as rows."""
    m, n_out = z_out.shape
    y = np.asarray(y)
    if y.ndim == 1:
        if y.shape[0] != m:
            raise ValueError(_(
                "y has {labels} labels but the batch has {m} samples: give one label "
                "per row of X."
            ).format(labels=y.shape[0], m=m))
        return one_hot(y, n_out, dtype=z_out.dtype)
    y = _same_shape_targets(z_out, y, "cross_entropy")
    if np.any(y < 0) or not np.allclose(y.sum(axis=1), 1, rtol=0, atol=1e-4):
        raise ValueError(_(
            "for the 'cross_entropy' loss each row of y must be a probability distribution "
            "(one-hot, non-negative, summing to 1), or y must be integer class labels (m,)."
        ))
    return y


def _check_output(loss: str, output_activation, allowed: tuple[str, ...]) -> Activation:
    activation = get_activation(output_activation)
    if allowed and activation.name not in allowed:
        advice = {
            "cross_entropy": _("use output='softmax', or loss='binary_cross_entropy' with a "
                               "sigmoid output, or loss='mse'"),
            "binary_cross_entropy": _("use output='sigmoid', or loss='cross_entropy' with a "
                                      "softmax output, or loss='mse'"),
        }[loss]
        raise ValueError(_(
            "the {loss!r} loss needs a {needed!r} output activation, got "
            "{got!r}: {advice}. (Only that pairing gives the simple output "
            "delta (y_hat − y)/m of eq-delta-output-ce.)"
        ).format(loss=loss, needed=allowed[0], got=activation.name, advice=advice))
    return activation


# ---------------------------------------------------------------------------------------
# Mean squared error
# ---------------------------------------------------------------------------------------

def mse_value(z_out, y, output_activation="identity"):
    """L = 1/(2m) Σ_samples ‖y_hat − y‖², y_hat = f(z_out); a NumPy scalar of z_out's dtype.

    ``z_out`` and ``y`` are (batch m, n_out); a 1-D ``y`` is accepted when n_out = 1.
    """
    z_out = _output_array(z_out)
    f = _check_output("mse", output_activation, ())
    y = _same_shape_targets(z_out, y, "mse")
    error = f.f(z_out) - y
    return np.sum(error * error) / (2 * z_out.shape[0])


def mse_delta(z_out, y, output_activation="identity"):
    """dL/dz_out for the MSE loss (equation ``eq-delta-output-mse``), shape (batch, n_out).

    ``delta = (y_hat − y) / m * f′(z_out)``. For a softmax output f′ is a matrix per sample;
    applied to g = (y_hat − y) / m it gives ``y_hat * (g − Σ_k g_k y_hat_k)`` row by row.
    """
    z_out = _output_array(z_out)
    f = _check_output("mse", output_activation, ())
    y = _same_shape_targets(z_out, y, "mse")
    y_hat = f.f(z_out)
    g = (y_hat - y) / z_out.shape[0]
    if f.name == "softmax":
        return y_hat * (g - np.sum(g * y_hat, axis=1, keepdims=True))
    return g * f.df(z_out)


# ---------------------------------------------------------------------------------------
# Cross-entropy with a softmax output
# ---------------------------------------------------------------------------------------

def log_softmax(z_out):
    """log softmax(z_out) row by row, computed as z − max − log Σ e^(z − max): no overflow,
    and no log of a probability that rounded to 0."""
    z_out = _output_array(z_out)
    shifted = z_out - z_out.max(axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def cross_entropy_value(z_out, y, output_activation="softmax"):
    """L = −1/m Σ_samples Σ_k y_k log softmax(z_out)_k; a NumPy scalar of z_out's dtype.

    ``y`` is integer class labels (m,) or one-hot (or probability) rows (m, n_out).
    """
    z_out = _output_array(z_out)
    _check_output("cross_entropy", output_activation, ("softmax",))
    y = _class_targets(z_out, y)
    return -np.sum(y * log_softmax(z_out)) / z_out.shape[0]


def cross_entropy_delta(z_out, y, output_activation="softmax"):
    """dL/dz_out for softmax + cross-entropy (equation ``eq-delta-output-ce``):
    ``delta = (y_hat − y) / m`` with y_hat = softmax(z_out), shape (batch, n_out)."""
    z_out = _output_array(z_out)
    _check_output("cross_entropy", output_activation, ("softmax",))
    y = _class_targets(z_out, y)
    return (softmax(z_out) - y) / z_out.shape[0]


# ---------------------------------------------------------------------------------------
# Binary cross-entropy with a sigmoid output
# ---------------------------------------------------------------------------------------

def binary_cross_entropy_value(z_out, y, output_activation="sigmoid"):
    """L = −1/m Σ_samples Σ_k [y_k log σ(z_k) + (1 − y_k) log(1 − σ(z_k))], from z_out.

    Computed as 1/m Σ [max(z, 0) − z y + log(1 + e^(−|z|))], the same number written so
    that nothing overflows. ``y`` is (m, n_out) with entries in [0, 1] (a 1-D y when
    n_out = 1). A NumPy scalar of z_out's dtype.
    """
    z_out = _output_array(z_out)
    _check_output("binary_cross_entropy", output_activation, ("sigmoid",))
    y = _binary_targets(z_out, y)
    per_entry = np.maximum(z_out, 0) - z_out * y + np.log1p(np.exp(-np.abs(z_out)))
    return np.sum(per_entry) / z_out.shape[0]


def binary_cross_entropy_delta(z_out, y, output_activation="sigmoid"):
    """dL/dz_out for sigmoid + binary cross-entropy (equation ``eq-delta-output-ce``):
    ``delta = (y_hat − y) / m`` with y_hat = σ(z_out), shape (batch, n_out)."""
    z_out = _output_array(z_out)
    _check_output("binary_cross_entropy", output_activation, ("sigmoid",))
    y = _binary_targets(z_out, y)
    return (sigmoid(z_out) - y) / z_out.shape[0]


def _binary_targets(z_out: np.ndarray, y) -> np.ndarray:
    y = _same_shape_targets(z_out, y, "binary_cross_entropy")
    if np.any(y < 0) or np.any(y > 1):
        raise ValueError(_(
            "for the 'binary_cross_entropy' loss the targets y must lie in [0, 1] "
            "(0/1 labels or probabilities); got values from {low:g} to {high:g}."
        ).format(low=y.min(), high=y.max()))
    return y


# ---------------------------------------------------------------------------------------
# The losses by name
# ---------------------------------------------------------------------------------------

class Loss(NamedTuple):
    """A loss: ``value(z_out, y, output_activation)`` and
    ``output_delta(z_out, y, output_activation)`` = dL/dz_out (batch, n_out), including 1/m.

    ``outputs`` lists the output activations it accepts (empty: any).
    """

    name: str
    value: Callable
    output_delta: Callable
    outputs: tuple[str, ...]

    def check_output(self, output_activation) -> Activation:
        """The output :class:`Activation`, or a ``ValueError`` if this loss cannot use it."""
        return _check_output(self.name, output_activation, self.outputs)


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", mse_value, mse_delta, ()),
    "cross_entropy": Loss("cross_entropy", cross_entropy_value, cross_entropy_delta,
                          ("softmax",)),
    "binary_cross_entropy": Loss("binary_cross_entropy", binary_cross_entropy_value,
                                 binary_cross_entropy_delta, ("sigmoid",)),
}
"""The losses by name, each with the output activations it may be paired with."""


def get_loss(name_or_loss) -> Loss:
    """The :class:`Loss` called ``name_or_loss``: ``"mse"``, ``"cross_entropy"`` or
    ``"binary_cross_entropy"`` (a Loss passes through)."""
    if isinstance(name_or_loss, Loss):
        return name_or_loss
    choices = ", ".join(repr(name) for name in LOSSES)
    if isinstance(name_or_loss, str):
        key = name_or_loss.strip().lower()
        if key in LOSSES:
            return LOSSES[key]
        raise ValueError(_("unknown loss {name!r}: choose one of {choices}.").format(
            name=name_or_loss, choices=choices))
    raise TypeError(_("a loss is given by its name, one of {choices}; got {name!r}.").format(
        choices=choices, name=name_or_loss))


__all__ = [
    "LOSSES", "Loss", "binary_cross_entropy_delta", "binary_cross_entropy_value",
    "cross_entropy_delta", "cross_entropy_value", "get_loss", "log_softmax", "mse_delta",
    "mse_value", "one_hot",
]
