"""A multilayer perceptron (MLP) and backpropagation with the delta formulas.

Chapter 3 of the book, ``book/03-delta-formulas.md``. Equation labels in the docstrings are
the labels of that chapter:

- ``eq-forward``: z^l = a^(l−1) W^l + b^l and a^l = f(z^l), row by row;
- ``eq-delta-output-mse`` and ``eq-delta-output-ce``: the output delta dL/dz^L
  (in ``backproplab.losses``);
- ``eq-delta-hidden``: delta^(l−1) = (delta^l W^lᵀ) ⊙ f′(z^(l−1));
- ``eq-dW``: dL/dW^l = a^(l−1)ᵀ delta^l;
- ``eq-db``: dL/db^l = the sum of delta^l over the batch.

Conventions (the book's): activations are rows, shape (batch m, features). Layers are
numbered 1 … L; layer 1 is the first hidden layer and layer L the output layer.
``params[l - 1]`` is layer l's ``{"W": W^l, "b": b^l}``, with ``W[i, j]`` connecting neuron
i of layer l − 1 to neuron j of layer l: shape (n_(l−1), n_l), and b of shape (n_l,).
``grads`` has the same structure, ``grads[l - 1] = {"W": dL/dW^l, "b": dL/db^l}``. A
:class:`Cache` holds ``z[l]`` and ``a[l]`` for l = 0 … L, with ``a[0] = X`` and
``z[0] = None`` (the input has no pre-activation), so the index l means layer l everywhere.

All hidden layers share one activation (``hidden``), the output layer has its own
(``output``); both are names from ``backproplab.activations``. The loss (``loss``) is a
name from ``backproplab.losses``. The parameters' dtype sets the precision: X is converted
to it, and float32 parameters give float32 activations, deltas and gradients. No function
here changes its arguments. The gradient descent step (chapter 4's ``eq-sgd``) is
``backproplab.optimizers.sgd_step`` and the training loop ``backproplab.training.train``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backproplab.activations import get_activation, get_hidden_activation
from backproplab.i18n import gettext as _
from backproplab.losses import get_loss, one_hot
from backproplab.validation import FLOAT_DTYPES, Params, check_rng, input_array

# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------

def init_params(sizes, rng, scale="xavier", dtype=np.float64) -> Params:
    """Random weights and zero biases for layers of ``sizes = [n_0, n_1, ..., n_L]``.

    ``n_0`` is the number of input features and ``n_L`` the number of outputs. Layer l gets
    ``W`` of shape (n_(l−1), n_l), drawn from a normal distribution with mean 0 and
    standard deviation ``sqrt(2 / (n_(l−1) + n_l))`` for ``scale="xavier"`` (Glorot: keeps
    the variance of z about that of a, suits sigmoid and tanh), ``sqrt(2 / n_(l−1))`` for
    ``"he"`` (suits ReLU), or the number ``scale`` itself; and ``b = 0`` of shape (n_l,).
    ``dtype`` is np.float64 or np.float32. Returns a new list of dicts ``{"W", "b"}``.
    """
    check_rng(rng)
    sizes = list(sizes)
    if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in sizes):
        raise ValueError(_(
            "sizes must list at least two positive whole numbers, the layer widths from "
            "input to output, such as [64, 30, 10]; got {sizes!r}."
        ).format(sizes=sizes))
    dtype = np.dtype(dtype)
    if dtype not in FLOAT_DTYPES:
        raise ValueError(_("dtype must be np.float64 or np.float32; got {dtype}.").format(
            dtype=dtype))
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        std = _init_std(scale, n_in, n_out)
        W = rng.standard_normal((n_in, n_out), dtype=dtype) * dtype.type(std)
        params.append({"W": W, "b": np.zeros(n_out, dtype=dtype)})
    return params


def _init_std(scale, n_in: int, n_out: int) -> float:
    if isinstance(scale, str):
        if scale == "xavier":
            return math.sqrt(2 / (n_in + n_out))
        if scale == "he":
            return math.sqrt(2 / n_in)
    elif isinstance(scale, (int, float)) and not isinstance(scale, bool):
        if math.isfinite(scale) and scale >= 0:
            return float(scale)
    raise ValueError(_(
        "scale must be 'xavier', 'he' or a standard deviation >= 0 such as 0.1; got {scale!r}."
    ).format(scale=scale))


def copy_params(params) -> Params:
    """A copy of ``params`` (new arrays) that can be changed without touching the original."""
    return [{name: np.array(array) for name, array in layer.items()} for layer in params]


# ---------------------------------------------------------------------------------------
# Forward pass
# ---------------------------------------------------------------------------------------

class Cache(NamedTuple):
    """What the forward pass keeps for the backward pass: ``z[l]`` and ``a[l]``, l = 0 … L.

    ``a[0]`` is X and ``z[0]`` is None; ``a[L]`` is the network's output ``y_hat``.
    """

    z: list
    a: list

    @property
    def y_hat(self) -> np.ndarray:
        """The output of the network, ``a[L]`` (batch, n_L)."""
        return self.a[-1]


def layer_forward(a_prev, W, b, activation):
    """One layer (equation ``eq-forward``): ``z = a_prev @ W + b`` and ``a = f(z)``.

    ``a_prev`` is (batch, n_in), ``W`` (n_in, n_out), ``b`` (n_out,); returns ``(z, a)``,
    both (batch, n_out).
    """
    z = a_prev @ W + b
    return z, get_activation(activation).f(z)


def forward(params, X, hidden="sigmoid", output="identity") -> Cache:
    """The forward pass of the whole network (equation ``eq-forward`` layer after layer).

    ``X`` is (batch, n_0). Hidden layers use the activation ``hidden``, the last layer
    ``output``. Returns a :class:`Cache` with every layer's ``z`` and ``a``.
    """
    X = input_array(X, params)
    hidden_f = get_hidden_activation(hidden)
    output_f = get_activation(output)
    z, a = [None], [X]
    for l, layer in enumerate(params, start=1):
        activation = output_f if l == len(params) else hidden_f
        z_l, a_l = layer_forward(a[-1], layer["W"], layer["b"], activation)
        z.append(z_l)
        a.append(a_l)
    return Cache(z, a)


def cache_nbytes(cache) -> int:
    """Bytes of the arrays a forward pass keeps for the backward pass (chapter 3's
    ``sec-backprop-memory``): the sum of ``nbytes`` over every ``z[l]`` and ``a[l]`` of
    ``cache``, ``a[0] = X`` included and ``z[0] = None`` skipped. For a batch of m rows and
    widths n_0 … n_L that is m · (n_0 + 2 · (n_1 + … + n_L)) · itemsize: it grows with the
    batch, the widths and the depth."""
    return sum(array.nbytes for array in (*cache.z, *cache.a) if array is not None)


def params_nbytes(params) -> int:
    """Bytes of the parameters: the sum of ``nbytes`` over every layer's ``W`` and ``b``.
    For widths n_0 … n_L that is Σ_l (n_(l−1) + 1) · n_l · itemsize, whatever the batch."""
    return sum(array.nbytes for layer in params for array in layer.values())


# ---------------------------------------------------------------------------------------
# Backward pass: four small steps and the loop over them
# ---------------------------------------------------------------------------------------

def output_delta(z_out, y, loss="mse", output="identity"):
    """delta^L = dL/dz^L, (batch, n_L), including the 1/m of the mean loss.

    ``(y_hat − y) / m * f′(z_out)`` for ``loss="mse"`` (equation ``eq-delta-output-mse``);
    ``(y_hat − y) / m`` for softmax + ``"cross_entropy"`` and sigmoid +
    ``"binary_cross_entropy"`` (equation ``eq-delta-output-ce``). See
    ``backproplab.losses``.
    """
    return get_loss(loss).output_delta(z_out, y, output)


def hidden_delta(delta, W, z_prev, activation):
    """delta^(l−1) from delta^l (equation ``eq-delta-hidden``).

    ``delta_prev = (delta @ W.T) * f′(z_prev)``: ``delta`` is layer l's delta (batch, n_l),
    ``W`` layer l's weights (n_(l−1), n_l), ``z_prev`` layer l − 1's pre-activation
    (batch, n_(l−1)) and ``activation`` layer l − 1's activation. Returns (batch, n_(l−1)).
    """
    return (delta @ W.T) * get_hidden_activation(activation).df(z_prev)


def weight_gradient(a_prev, delta):
    """dL/dW of a layer (equation ``eq-dW``): ``a_prev.T @ delta``, shape (n_in, n_out).

    Entry [i, j] is Σ over the batch of a_prev[:, i] * delta[:, j]: the activation at the
    weight's input end times the delta at its output end.
    """
    return a_prev.T @ delta


def bias_gradient(delta):
    """dL/db of a layer (equation ``eq-db``): ``delta`` summed over the batch, shape (n_out,)."""
    return delta.sum(axis=0)


class BackwardSteps(NamedTuple):
    """The four steps of the backward pass, as :func:`backward` calls them."""

    output_delta: Callable
    hidden_delta: Callable
    weight_gradient: Callable
    bias_gradient: Callable


def backward(params, cache, y, loss="mse", hidden="sigmoid", output="identity",
             steps=None) -> Params:
    """The gradients of the loss with respect to every W and b, from a forward pass' cache.

    A loop over the four steps, from the output layer back: the output delta, then for
    each layer l = L … 1 its weight and bias gradients and (except at layer 1) the delta of
    layer l − 1. Returns ``grads``, ``grads[l - 1] = {"W": dL/dW^l, "b": dL/db^l}``.
    ``steps`` are this module's four functions unless given (``backproplab.gradcheck``
    passes :class:`BackwardSteps` with one typical mistake built in).
    """
    steps = steps or BackwardSteps(output_delta, hidden_delta, weight_gradient, bias_gradient)
    L = len(params)
    if len(cache.z) != L + 1 or len(cache.a) != L + 1:
        raise ValueError(_(
            "the cache has {layers} layers but params has {L}: pass the cache "
            "that forward(params, X, ...) returned for these params."
        ).format(layers=len(cache.a) - 1, L=L))
    grads = [None] * L
    delta = steps.output_delta(cache.z[L], y, loss, output)
    for l in range(L, 0, -1):
        grads[l - 1] = {"W": steps.weight_gradient(cache.a[l - 1], delta),
                        "b": steps.bias_gradient(delta)}
        if l > 1:
            delta = steps.hidden_delta(delta, params[l - 1]["W"], cache.z[l - 1], hidden)
    return grads


def compute_loss(params, X, y, hidden="sigmoid", output="identity", loss="mse") -> float:
    """The loss of the network on ``(X, y)``, as a float."""
    cache = forward(params, X, hidden, output)
    return float(get_loss(loss).value(cache.z[-1], y, output))


def loss_and_gradients(params, X, y, hidden="sigmoid", output="identity", loss="mse"):
    """One forward and one backward pass: ``(loss as a float, grads)``."""
    get_loss(loss).check_output(output)
    cache = forward(params, X, hidden, output)
    value = float(get_loss(loss).value(cache.z[-1], y, output))
    return value, backward(params, cache, y, loss, hidden, output)


# ---------------------------------------------------------------------------------------
# Predictions
# ---------------------------------------------------------------------------------------

def predict(params, X, hidden="sigmoid", output="identity") -> np.ndarray:
    """Predicted class labels (batch,): the output unit with the largest activation, or,
    for a network with one output unit, 1 where y_hat ≥ 0.5 and 0 elsewhere."""
    y_hat = forward(params, X, hidden, output).y_hat
    if y_hat.shape[1] == 1:
        return (y_hat[:, 0] >= 0.5).astype(np.intp)
    return y_hat.argmax(axis=1)


def class_labels(y) -> np.ndarray:
    """Class labels (m,) from labels (m,), one-hot rows (m, n) or one 0/1 column (m, 1)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.ndim == 2:
        return (y[:, 0] >= 0.5).astype(np.intp)
    return y.astype(np.intp)


def accuracy(params, X, y, hidden="sigmoid", output="identity") -> float:
    """The fraction of samples whose predicted class (:func:`predict`) is the class in y
    (labels, one-hot rows or one 0/1 column)."""
    labels = class_labels(y)
    if labels.shape[0] != np.shape(X)[0]:
        raise ValueError(_("X has {rows} rows but y has {targets} targets.").format(
            rows=np.shape(X)[0], targets=labels.shape[0]))
    return float(np.mean(predict(params, X, hidden, output) == labels))


# ---------------------------------------------------------------------------------------
# Data: the handwritten digits bundled with scikit-learn
# ---------------------------------------------------------------------------------------

class Dataset(NamedTuple):
    """A data set split into training, test and (optionally) validation rows: rows of X
    with integer class labels y.

    ``X_val`` and ``y_val`` are the validation rows, for choosing settings (learning rate,
    epochs, width) while the test rows stay untouched until the end. They have zero rows
    when no validation split was asked for (and are None in a Dataset built by hand with
    four fields only).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


def load_digits_dataset(rng, test_fraction=0.25, dtype=np.float64, *,
                        val_fraction=0.0) -> Dataset:
    """The 1,797 handwritten digits (8×8 images, classes 0–9) bundled with scikit-learn.

    No download: the data ship inside scikit-learn. Each image is one row of 64 pixel
    intensities scaled from 0…16 to [0, 1] and stored as ``dtype``; labels are integers
    0–9 (turn them into one-hot rows with :func:`one_hot` for the MSE loss). The rows are
    shuffled with ``rng`` and the last ``test_fraction`` of them held out as the test set.
    With ``val_fraction > 0`` (a fraction of all rows) the rows just before the test rows
    become the validation set ``X_val``, ``y_val`` and the training set shrinks by as many;
    the test rows are the same as with ``val_fraction=0`` and the same ``rng`` state.
    Without it ``X_val`` (0, 64) and ``y_val`` (0,) are empty.
    """
    check_rng(rng)
    if not 0 < test_fraction < 1:
        raise ValueError(_("test_fraction must be between 0 and 1, such as 0.25; "
                           "got {test_fraction!r}.").format(test_fraction=test_fraction))
    if not 0 <= val_fraction < 1 - test_fraction:
        raise ValueError(_("val_fraction must be at least 0 and leave training rows: below "
                           "1 − test_fraction = {limit:g}, such as 0.2; "
                           "got {val_fraction!r}.").format(limit=1 - test_fraction,
                                                           val_fraction=val_fraction))
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError(_("the digits data set ships with scikit-learn: install it with "
                            "pip install 'scikit-learn>=1.4,<2'.")) from None
    digits = load_digits()
    X = (digits.data / 16).astype(dtype)
    y = digits.target.astype(np.intp)
    order = rng.permutation(len(y))
    n_test = max(1, round(test_fraction * len(y)))
    n_val = max(1, round(val_fraction * len(y))) if val_fraction > 0 else 0
    n_train = len(y) - n_test - n_val
    if n_train < 1:
        raise ValueError(_("test_fraction={test_fraction!r} and val_fraction={val_fraction!r} "
                           "leave no training rows: make them smaller.").format(
            test_fraction=test_fraction, val_fraction=val_fraction))
    train_rows, val_rows, test_rows = np.split(order, [n_train, n_train + n_val])
    return Dataset(X[train_rows], y[train_rows], X[test_rows], y[test_rows],
                   X[val_rows], y[val_rows])


def centre_pixels(X, reference=None, floor=0.1) -> np.ndarray:
    """Every pixel (column) of ``X`` centred and scaled by the mean and standard deviation
    of ``reference`` (``X`` itself by default; the training rows, when ``X`` is the test
    rows): ``(X - mean) / (std + floor)``. ``floor`` keeps pixels that never change (std 0,
    such as the digits' corners) finite. Deep networks (chapter 5) train better on them."""
    X = np.asarray(X, dtype=float)
    reference = X if reference is None else np.asarray(reference, dtype=float)
    if reference.ndim != 2 or X.ndim != 2 or reference.shape[1] != X.shape[1]:
        raise ValueError(_("X {X} and reference {reference} must be tables with "
                           "the same number of columns (pixels).").format(
            X=X.shape, reference=reference.shape))
    return (X - reference.mean(axis=0)) / (reference.std(axis=0) + floor)


__all__ = [
    "BackwardSteps", "Cache", "Dataset", "Params", "accuracy", "backward", "bias_gradient",
    "cache_nbytes", "centre_pixels", "class_labels", "compute_loss", "copy_params", "forward",
    "hidden_delta", "init_params", "layer_forward", "load_digits_dataset",
    "loss_and_gradients", "one_hot", "output_delta", "params_nbytes", "predict",
    "weight_gradient",
]
