"""Deep networks: vanishing and exploding gradients, and the remedies.

Chapter 5 of the book, ``book/05-vanishing-exploding.md``. Equation labels in the
docstrings are the labels of that chapter:

- ``eq-delta-product``: the delta of layer l is the output delta times one factor
  ``W^kᵀ diag f′(z^(k−1))`` per layer above it — the product that vanishes or explodes;
- ``eq-sigmoid-band``: the width of the band of inputs a on which one sigmoid neuron's
  factor |w σ′(w a + b)| reaches 1 (why large weights cannot rescue the sigmoid);
- ``eq-bn-forward``: batch normalisation, x̂ = (x − μ_B) / sqrt(σ²_B + ε), y = γ x̂ + β;
- ``eq-bn-backward``: its compact backward pass,
  dx = γ / (m sqrt(σ²_B + ε)) · (m dy − Σ dy − x̂ Σ (dy x̂));
- ``eq-residual``: a residual block a_out = a + f(a W + b), whose backward pass adds the
  upstream gradient unchanged to the one through the layer;
- ``eq-clip``: gradient clipping by the global norm;
- ``eq-dropout``: inverted dropout, a ⊙ mask / (1 − p).

Conventions as in ``backproplab.mlp``: rows are examples, ``W`` has shape (n_in, n_out),
``z = a_prev @ W + b``. Randomness comes from an explicit ``numpy.random.Generator``. No
function here changes its arguments; each returns new arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from backproplab.activations import get_hidden_activation
from backproplab.i18n import gettext as _
from backproplab.losses import get_loss
from backproplab.mlp import bias_gradient, init_params, loss_and_gradients, weight_gradient
from backproplab.validation import Params, check_rng, float_array, positive

# ---------------------------------------------------------------------------------------
# Measuring: the gradient norm of every layer
# ---------------------------------------------------------------------------------------

def gradient_norms(params, X, y, hidden="sigmoid", output="softmax", loss="cross_entropy",
                   of="W"):
    """The size of each layer's weight gradient, ‖dL/dW^l‖ (Frobenius norm), l = 1 … L.

    ``of="b"`` measures the bias gradients instead; for a single example that is the norm
    of the layer's delta itself.
    One forward and one backward pass of ``backproplab.mlp`` (``loss_and_gradients``);
    returns an array of L floats, the first for the layer next to the input. Their ratios
    show the product of ``eq-delta-product`` at work: small numbers at the start mean the
    gradient vanished on its way back, large ones that it exploded.
    """
    if of not in ("W", "b"):
        raise ValueError(_("of must be 'W' (weight gradients) or 'b' (bias gradients); got "
                           "{of!r}.").format(of=of))
    _loss, grads = loss_and_gradients(params, X, y, hidden, output, loss)
    return np.array([np.linalg.norm(g[of]) for g in grads])


def sigmoid_band_width(w) -> np.ndarray:
    """How wide the band of inputs ``a`` is on which one sigmoid neuron's factor
    ``|w σ′(w a + b)|`` is at least 1 (equation ``eq-sigmoid-band``; Nielsen, *Neural
    Networks and Deep Learning*, ch. 5, problem): ``(2/|w|) ln(|w| (1 + sqrt(1 − 4/|w|))/2
    − 1)`` for ``|w| >= 4``, and 0 below, where the factor stays under 1 everywhere (at
    ``|w| = 4`` the band is the single point ``w a + b = 0``). The bias ``b`` only moves the
    band. ``w`` is a number or an array of weights; returns an array of its shape."""
    w = np.abs(np.asarray(w, dtype=float))
    if not np.all(np.isfinite(w)):
        raise ValueError(_("w must be finite numbers (weights), such as 6.9 or np.linspace(1, "
                           "100, 50); got NaN or infinity."))
    width = np.zeros_like(w)
    big = w >= 4
    root = np.sqrt(1 - 4 / w[big])
    width[big] = 2 / w[big] * np.log(w[big] * (1 + root) / 2 - 1)
    return width


# ---------------------------------------------------------------------------------------
# Batch normalisation
# ---------------------------------------------------------------------------------------

class RunningStats(NamedTuple):
    """Running averages of a batch-norm layer's mean and variance, used at inference."""

    mean: np.ndarray
    var: np.ndarray


class BatchNormCache(NamedTuple):
    """What the batch-norm forward pass keeps: x̂, 1/sqrt(σ² + ε), γ and the mode."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    training: bool


def _check_features(x, gamma, beta) -> np.ndarray:
    x = float_array(x)
    if x.ndim != 2:
        raise ValueError(_("batch norm expects x of shape (batch, features); got {shape}.")
                         .format(shape=x.shape))
    for name, v in (("gamma", gamma), ("beta", beta)):
        if np.shape(v) != (x.shape[1],):
            raise ValueError(_("{name} must have shape ({n},), one entry per feature "
                               "of x {shape}; got {got}.").format(
                name=name, n=x.shape[1], shape=x.shape, got=np.shape(v)))
    return x


def batchnorm_forward(x, gamma, beta, *, training=True, running=None, momentum=0.1, eps=1e-5):
    """Batch normalisation of ``x`` (batch, n), equation ``eq-bn-forward``.

    In training (``training=True``) each feature is normalised with the mean and variance
    of this batch, and the running averages are updated:
    ``new = (1 − momentum) · old + momentum · batch`` (the variance with the unbiased
    m/(m − 1) factor, as in PyTorch); ``running=None`` starts them at 0 and 1. At
    inference (``training=False``) the running averages are used instead and left as they
    are. Returns ``(y, cache, running)``: the output (batch, n), a :class:`BatchNormCache`
    for :func:`batchnorm_backward`, and new :class:`RunningStats`.
    """
    x = _check_features(x, gamma, beta)
    m, n = x.shape
    if running is None:
        running = RunningStats(np.zeros(n, dtype=x.dtype), np.ones(n, dtype=x.dtype))
    if training:
        if m < 2:
            raise ValueError(_("batch norm in training needs a batch of at least 2 rows to "
                               "estimate a variance; got {m}. Use training=False for one row.")
                             .format(m=m))
        mean, var = x.mean(axis=0), x.var(axis=0)
        running = RunningStats((1 - momentum) * running.mean + momentum * mean,
                               (1 - momentum) * running.var + momentum * var * m / (m - 1))
    else:
        mean, var = running.mean, running.var
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, BatchNormCache(x_hat, inv_std, np.asarray(gamma), training), running


def batchnorm_backward(dy, cache: BatchNormCache):
    """dL/dx, dL/dγ, dL/dβ of batch normalisation from dL/dy (batch, n).

    In training mode the compact formula ``eq-bn-backward``:
    ``dx = γ · inv_std / m · (m dy − Σ dy − x̂ Σ (dy x̂))`` (sums over the batch), which
    accounts for every row's influence on the batch mean and variance. At inference the
    statistics are constants and ``dx = γ · inv_std · dy``. ``dγ = Σ dy x̂``, ``dβ = Σ dy``.
    """
    dy = np.asarray(dy)
    if dy.shape != cache.x_hat.shape:
        raise ValueError(_("dy must have the shape of the batch-norm output "
                           "{shape}; got {got}.").format(shape=cache.x_hat.shape, got=dy.shape))
    dgamma = (dy * cache.x_hat).sum(axis=0)
    dbeta = dy.sum(axis=0)
    if not cache.training:
        return cache.gamma * cache.inv_std * dy, dgamma, dbeta
    m = dy.shape[0]
    dx = cache.gamma * cache.inv_std / m * (m * dy - dbeta - cache.x_hat * dgamma)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------------------------------
# Residual blocks, gradient clipping, dropout
# ---------------------------------------------------------------------------------------

def hidden_forward(a, W, b, activation, batchnorm=None):
    """A hidden layer: ``z = a @ W + b``, batch-normalised by ``batchnorm`` (a function of
    z, see :class:`BatchNormStep`) when given, then ``f(z)``. Returns ``(f(z), z)``."""
    z = a @ W + b
    if batchnorm is not None:
        z = batchnorm(z)
    return get_hidden_activation(activation).f(z), z


def hidden_backward(d_out, a, W, z, activation, bn=None):
    """Backward pass of :func:`hidden_forward`: ``(da, grads)`` from dL/d(output).

    The layer's delta is ``d_out ⊙ f′(z)``, sent back through batch norm when the layer has
    one (``bn`` is its :class:`BatchNormCache`); then ``grads`` holds dW and db (and dγ,
    dβ) and ``da = delta @ W.T`` (``eq-delta-hidden`` of chapter 3 without batch norm).
    """
    delta = d_out * get_hidden_activation(activation).df(z)
    norm_grads = {}
    if bn is not None:
        delta, norm_grads["gamma"], norm_grads["beta"] = batchnorm_backward(delta, bn)
    grads = {"W": weight_gradient(a, delta), "b": bias_gradient(delta), **norm_grads}
    return delta @ W.T, grads


def residual_forward(a, W, b, activation, batchnorm=None):
    """A residual block (equation ``eq-residual``): ``a_out = a + f(a @ W + b)``.

    ``W`` must be square (n, n) so that the skip connection can add ``a``. Returns
    ``(a_out, z)`` with ``z = a @ W + b`` (batch-normalised first by ``batchnorm``, if
    given, as in :func:`hidden_forward`).
    """
    if W.shape[0] != W.shape[1] or np.shape(a)[1] != W.shape[0]:
        raise ValueError(_("a residual block adds its input to its output, so W must be "
                           "square and match a's {n} features; got W {shape}.").format(
            n=np.shape(a)[1], shape=W.shape))
    h, z = hidden_forward(a, W, b, activation, batchnorm)
    return a + h, z


def residual_backward(d_out, a, W, z, activation, bn=None):
    """Backward pass of :func:`residual_forward`: ``(da, grads)`` from dL/da_out.

    The layer's part is that of :func:`hidden_backward` (delta ``d_out ⊙ f′(z)``, its
    ``delta @ W.T``, dW and db); the skip connection passes ``d_out`` back unchanged, so
    ``da = d_out + delta @ W.T`` (equation ``eq-residual``) — the ``+ d_out`` is why
    gradients do not vanish through many blocks.
    """
    da_layer, grads = hidden_backward(d_out, a, W, z, activation, bn)
    return d_out + da_layer, grads


def global_norm(grads) -> float:
    """sqrt of the sum of squares of every entry of every array in ``grads``."""
    return math.sqrt(sum(float(np.sum(np.square(g))) for layer in grads for g in layer.values()))


def clip_by_global_norm(grads, max_norm):
    """Gradient clipping (equation ``eq-clip``): ``(clipped grads, norm before clipping)``.

    When the global norm ‖g‖ of all gradients exceeds ``max_norm`` every array is scaled by
    ``max_norm / ‖g‖`` (the direction is kept, the step shortened); otherwise the arrays are
    returned as copies, unchanged. ``grads`` is a list of dicts of arrays.
    """
    max_norm = positive(max_norm, "max_norm", "1.0")
    norm = global_norm(grads)
    if not math.isfinite(norm):
        raise ValueError(_("the gradients contain NaN or infinity, which clipping cannot "
                           "repair: the forward pass already overflowed. Lower the learning "
                           "rate or the initial weight scale."))
    factor = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [{k: g * factor for k, g in layer.items()} for layer in grads], norm


def dropout_forward(a, p, rng, training=True):
    """Inverted dropout (equation ``eq-dropout``): ``(a * mask, mask)``.

    In training each entry is kept with probability 1 − p and then divided by 1 − p, so the
    expected activation is unchanged: ``mask`` holds 0 or 1/(1 − p). At inference
    (``training=False``) or for ``p = 0`` the mask is all ones. The mask comes from ``rng``.
    """
    if not 0 <= p < 1:
        raise ValueError(_("the dropout probability p must be in [0, 1), such as 0.5; got "
                           "{p!r}.").format(p=p))
    a = np.asarray(a)
    if not training or p == 0:
        return a.copy(), np.ones_like(a)
    check_rng(rng)
    mask = (rng.random(a.shape) >= p).astype(a.dtype) / (1 - p)
    return a * mask, mask


def dropout_backward(d_out, mask):
    """Backward pass of dropout: the gradient flows only through the kept entries, scaled
    like them: ``d_out * mask``."""
    return d_out * mask


# ---------------------------------------------------------------------------------------
# A deep network of small steps: Linear → (BatchNorm) → f → (+ skip) → (Dropout)
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeepNet:
    """The architecture of a deep network: layer sizes and which remedies it uses.

    Hidden layer l computes ``z = a @ W + b``, optionally batch-normalises it, applies
    ``hidden``, adds its input when ``residual`` (only where input and output widths
    agree) and applies dropout with probability ``dropout``. The output layer is linear
    followed by ``output`` and the ``loss``.
    """

    sizes: tuple
    hidden: str = "relu"
    output: str = "softmax"
    loss: str = "cross_entropy"
    batchnorm: bool = False
    residual: bool = False
    dropout: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        get_hidden_activation(self.hidden)
        get_loss(self.loss).check_output(self.output)
        if not 0 <= self.dropout < 1:
            raise ValueError(_("dropout must be in [0, 1); got {dropout!r}.").format(
                dropout=self.dropout))

    def init(self, rng, scale="he") -> Params:
        """Parameters: ``mlp.init_params`` weights and biases, plus γ = 1, β = 0 for every
        hidden layer when ``batchnorm``."""
        params = init_params(list(self.sizes), rng, scale=scale)
        if self.batchnorm:
            for layer in params[:-1]:
                n = layer["b"].shape[0]
                layer["gamma"], layer["beta"] = np.ones(n), np.zeros(n)
        return params

    def is_residual(self, l: int) -> bool:
        """Whether hidden layer l (1-based) has a skip connection."""
        return self.residual and self.sizes[l - 1] == self.sizes[l]


class LayerCache(NamedTuple):
    """One hidden layer's forward values, for the backward pass."""

    a_prev: np.ndarray
    z_act: np.ndarray        # what the activation was applied to (after batch norm)
    bn: BatchNormCache | None
    mask: np.ndarray | None


class BatchNormStep:
    """Batch norm of one layer as a function of z, for :func:`hidden_forward`: calling it
    normalises z and keeps the cache and the new running statistics as attributes."""

    def __init__(self, gamma, beta, *, training, running):
        self.gamma, self.beta, self.training, self.running = gamma, beta, training, running
        self.cache = None

    def __call__(self, z):
        y, self.cache, self.running = batchnorm_forward(
            z, self.gamma, self.beta, training=self.training, running=self.running)
        return y


def deep_forward(net: DeepNet, params, X, *, training=True, rng=None, running=None):
    """Forward pass: ``(z_out, caches, running)``: the output layer's z, one
    :class:`LayerCache` per hidden layer, and the batch-norm running statistics.

    Each hidden layer is :func:`hidden_forward`, or :func:`residual_forward` where the net
    has a skip connection, followed by dropout.
    """
    a = np.asarray(X, dtype=np.float64)
    running = list(running) if running is not None else [None] * (len(params) - 1)
    caches = []
    for l, layer in enumerate(params[:-1], start=1):
        norm = None
        if net.batchnorm:
            norm = BatchNormStep(layer["gamma"], layer["beta"], training=training,
                                 running=running[l - 1])
        block = residual_forward if net.is_residual(l) else hidden_forward
        h, z = block(a, layer["W"], layer["b"], net.hidden, norm)
        bn = None
        if norm is not None:
            running[l - 1], bn = norm.running, norm.cache
        mask = None
        if net.dropout:
            h, mask = dropout_forward(h, net.dropout, rng, training)
        caches.append(LayerCache(a, z, bn, mask))
        a = h
    caches.append(LayerCache(a, None, None, None))
    return a @ params[-1]["W"] + params[-1]["b"], caches, running


def deep_backward(net: DeepNet, params, z_out, caches, y) -> Params:
    """Backward pass: a loop over small named steps, from the output back.

    Output delta, then for each hidden layer: undo dropout, then the layer's backward pass,
    :func:`residual_backward` where it has a skip connection and :func:`hidden_backward`
    elsewhere (f′, batch norm, dW and db, the delta through Wᵀ). Without batch norm, skips
    and dropout each step is ``eq-delta-hidden`` of chapter 3.
    """
    L = len(params)
    grads = [None] * L
    delta = get_loss(net.loss).output_delta(z_out, y, net.output)
    grads[-1] = {"W": weight_gradient(caches[-1].a_prev, delta), "b": bias_gradient(delta)}
    da = delta @ params[-1]["W"].T
    for l in range(L - 1, 0, -1):
        cache = caches[l - 1]
        if cache.mask is not None:
            da = dropout_backward(da, cache.mask)
        block = residual_backward if net.is_residual(l) else hidden_backward
        da, grads[l - 1] = block(da, cache.a_prev, params[l - 1]["W"], cache.z_act,
                                 net.hidden, cache.bn)
    return grads


def deep_loss_and_gradients(net: DeepNet, params, X, y, *, rng=None, training=True,
                            running=None):
    """``(loss, grads, running)`` for one batch: forward, loss, backward."""
    z_out, caches, running = deep_forward(net, params, X, training=training, rng=rng,
                                          running=running)
    value = float(get_loss(net.loss).value(z_out, y, net.output))
    return value, deep_backward(net, params, z_out, caches, y), running


def deep_loss(net: DeepNet, params, X, y, *, rng=None, training=True, running=None) -> float:
    """The loss of one forward pass (for gradient checks and evaluation)."""
    z_out, _, _ = deep_forward(net, params, X, training=training, rng=rng, running=running)
    return float(get_loss(net.loss).value(z_out, y, net.output))


def deep_gradient_norms(net: DeepNet, params, X, y, *, rng=None) -> np.ndarray:
    """‖dL/dW^l‖ for l = 1 … L of a :class:`DeepNet` (with its batch norm, skips, dropout);
    for a plain network the same numbers as :func:`gradient_norms`."""
    _, grads, _ = deep_loss_and_gradients(net, params, X, y, rng=rng)
    return np.array([np.linalg.norm(g["W"]) for g in grads])


class FlowVerdict(NamedTuple):
    """What a short training run says about the gradient flow (chapter 5's widget):
    ``reaches`` is False when no gradient reaches layer 1 (a norm is 0 or not finite);
    ``ratio`` = ‖∂L/∂W¹‖ / ‖∂L/∂W^L‖; the loss at the start and (averaged over the last 10
    steps) at the end; ``learns``; and why it does not (``cause``: "" when it learns,
    "none" when no layer gets a usable gradient, "early" when the early layers get (almost)
    none, "other" otherwise)."""

    reaches: bool
    ratio: float
    first_loss: float
    last_loss: float
    learns: bool
    cause: str


def gradient_flow_verdict(norms, losses) -> FlowVerdict:
    """Judge a run from its per-layer gradient norms at initialisation (``norms``, layer 1
    first) and its per-step losses: it learns when the mean of the last 10 losses is below
    0.8 of the first; otherwise the norms say why (all below 1e-6: no usable gradient;
    layer 1 below 1e-3 of the last layer: the early layers starve)."""
    n = np.asarray(norms, dtype=float)
    reaches = bool(np.all(np.isfinite(n)) and n[0] != 0 and n[-1] != 0)
    ratio = float(n[0] / n[-1]) if reaches else math.nan
    first, last = float(losses[0]), float(np.mean(losses[-10:]))
    learns = last < 0.8 * first
    cause = ("" if learns else "none" if n.max() < 1e-6 else
             "early" if n[0] < 1e-3 * n[-1] else "other")
    return FlowVerdict(reaches, ratio, first, last, learns, cause)


def deep_accuracy(net: DeepNet, params, X, labels, running=None) -> float:
    """Fraction of rows whose largest output is the class in ``labels`` (inference mode)."""
    z_out, _, _ = deep_forward(net, params, X, training=False, running=running)
    return float(np.mean(z_out.argmax(axis=1) == np.asarray(labels)))


__all__ = [
    "BatchNormCache", "BatchNormStep", "DeepNet", "FlowVerdict", "LayerCache", "RunningStats",
    "batchnorm_backward", "batchnorm_forward", "clip_by_global_norm", "deep_accuracy",
    "deep_backward", "deep_forward", "deep_gradient_norms", "deep_loss", "deep_loss_and_gradients",
    "dropout_backward", "dropout_forward", "global_norm", "gradient_flow_verdict",
    "gradient_norms", "hidden_backward", "sigmoid_band_width",
    "hidden_forward", "residual_backward", "residual_forward",
]
