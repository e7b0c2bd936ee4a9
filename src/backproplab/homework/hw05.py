"""Homework 5, *Vanishing and exploding gradients*: each student's variant.

Goes with chapter 5 of the book (``book/05-vanishing-exploding.md``) and the notebook
``solutions/hw05/hw05-vanishing-exploding.ipynb``. A variant draws, from the student's id:

- question 1 (measuring gradient norms): a hidden activation the package does not have
  (leaky ReLU with slope ``alpha``, or ``gain · tanh``), the output and loss (softmax with
  cross-entropy, or identity with mean squared error), whether the norms of the weight or
  of the bias gradients are measured, and the shapes of the network the visible test uses;
- question 2 (an initialisation derived as a formula): which condition the variance must
  keep (forward signal, backward delta, or their compromise) for that activation;
- question 3 (a normalisation's backward pass, by hand): which normalisation (batch RMS,
  batch norm with the unbiased variance, layer norm, layer RMS) and its ``eps``;
- question 4 (written): a depth for the reasoning about doubled weight variance.

A variant holds the task, never its answer: the expected results are computed in the
notebook's hidden tests. The module also gives the notebook its given (forward) code, so
the task is stated once: :func:`hidden_activation`, :func:`loss_value`, :func:`forward_loss`
and :func:`norm_forward` (forward passes only; the questions ask for the backward ones).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw05"
ACTIVATIONS = ("leaky_relu", "scaled_tanh")
LOSSES = ("cross_entropy", "mse")
MEASURES = ("W", "b")
CONDITIONS = ("forward", "backward", "average")
NORMS = ("batch_rms", "batch_unbiased", "layer", "layer_rms")

_ACTIVATION_TEXT = {
    "leaky_relu": N_("leaky ReLU, $f(z) = z$ for $z > 0$ and $f(z) = \\alpha z$ otherwise, "
                     "with slope $\\alpha = {p}$"),
    "scaled_tanh": N_("scaled tanh, $f(z) = g \\tanh(z)$, with gain $g = {p}$"),
}
_LOSS_TEXT = {
    "cross_entropy": N_("a **softmax** output with the **cross-entropy** loss "
                        "$L = -\\frac1m \\sum_r \\sum_k Y_{rk} \\log \\hat y_{rk}$"),
    "mse": N_("an **identity** output ($\\hat y = z^{(L)}$) with the **mean squared error** "
              "$L = \\frac{1}{2m} \\sum_r \\lVert \\hat y_r - Y_r \\rVert^2$"),
}
_MEASURE_TEXT = {
    "W": N_("the **weight** gradients, $\\lVert \\partial L / \\partial W^{(l)} \\rVert$"),
    "b": N_("the **bias** gradients, $\\lVert \\partial L / \\partial b^{(l)} \\rVert$"),
}
_CONDITION_TEXT = {
    "forward": N_("the **forward** condition: the variance of $z$ is the same in every layer "
                  "(it sums over the layer's $n_{\\text{in}}$ inputs)"),
    "backward": N_("the **backward** condition: the variance of the delta is the same in every "
                   "layer (it sums over the layer's $n_{\\text{out}}$ outputs)"),
    "average": N_("the **compromise** of the two, as Xavier's: $1/s^2$ is the *average* of "
                  "$1/s^2$ of the forward condition and $1/s^2$ of the backward condition"),
}
_NORM_TEXT = {
    "batch_rms": N_("**batch RMS normalisation**: for each feature (column) $j$, "
                    "$\\hat x_{rj} = x_{rj} / \\sqrt{\\frac1m \\sum_s x_{sj}^2 + \\varepsilon}$ "
                    "(no mean is subtracted; sums over the batch)"),
    "batch_unbiased": N_("**batch normalisation with the unbiased variance**: for each feature "
                         "(column) $j$, $\\mu_j = \\frac1m \\sum_s x_{sj}$, "
                         "$\\sigma_j^2 = \\frac{1}{m-1} \\sum_s (x_{sj} - \\mu_j)^2$, "
                         "$\\hat x_{rj} = (x_{rj} - \\mu_j)/\\sqrt{\\sigma_j^2 + \\varepsilon}$"),
    "layer": N_("**layer normalisation**: for each example (row) $r$ over its $n$ features, "
                "$\\mu_r = \\frac1n \\sum_k x_{rk}$, "
                "$\\sigma_r^2 = \\frac1n \\sum_k (x_{rk} - \\mu_r)^2$, "
                "$\\hat x_{rj} = (x_{rj} - \\mu_r)/\\sqrt{\\sigma_r^2 + \\varepsilon}$"),
    "layer_rms": N_("**RMS layer normalisation** (RMSNorm): for each example (row) $r$ over its "
                    "$n$ features, $\\hat x_{rj} = x_{rj} / \\sqrt{\\frac1n \\sum_k x_{rk}^2 + "
                    "\\varepsilon}$ (no mean is subtracted)"),
}


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's homework 5: the activation, loss and shapes of question 1, the
    initialisation condition of question 2, the normalisation of question 3 and the depth
    of question 4. ``act_param`` is the leaky slope α or the tanh gain g, as a fraction."""

    activation: str
    act_param: Fraction
    loss: str
    measure: str
    sizes: tuple
    batch: int
    condition: str
    norm: str
    eps: Fraction
    norm_shape: tuple
    depth: int
    seed_q1: int
    seed_q3: int

    @property
    def alpha(self) -> float:
        """The leaky ReLU slope (question 1 and 2); only for ``activation == 'leaky_relu'``."""
        if self.activation != "leaky_relu":
            raise AttributeError(_("this variant's activation is scaled tanh: it has a gain, "
                                   "variant.gain, not a slope alpha."))
        return float(self.act_param)

    @property
    def gain(self) -> float:
        """The tanh gain g (question 1 and 2); only for ``activation == 'scaled_tanh'``."""
        if self.activation != "scaled_tanh":
            raise AttributeError(_("this variant's activation is leaky ReLU: it has a slope, "
                                   "variant.alpha, not a gain."))
        return float(self.act_param)

    def describe(self) -> str:
        sizes = ", ".join(map(str, self.sizes))
        m, n = self.norm_shape
        return "\n".join([
            super().describe(),
            "",
            _("- **Hidden activation** (questions 1, 2, 4): {activation}.").format(
                activation=_(_ACTIVATION_TEXT[self.activation]).format(
                    p=_decimal(self.act_param))),
            _("- **Output and loss** (question 1): {loss}.").format(
                loss=_(_LOSS_TEXT[self.loss])),
            _("- **What you measure** (question 1): {measure}.").format(
                measure=_(_MEASURE_TEXT[self.measure])),
            _("- **The test network** (question 1): sizes `[{sizes}]`, a batch of {batch} "
              "examples.").format(sizes=sizes, batch=self.batch),
            _("- **Initialisation condition** (question 2): {condition}.").format(
                condition=_(_CONDITION_TEXT[self.condition])),
            _("- **Normalisation** (question 3): {norm}, with $\\varepsilon = {eps}$; then "
              "$y = \\gamma \\odot \\hat x + \\beta$ ($\\gamma$, $\\beta$ one entry per "
              "feature). Test batch: {m} × {n}.").format(
                norm=_(_NORM_TEXT[self.norm]), eps=_decimal(self.eps), m=m, n=n),
            _("- **Depth** (question 4): {depth} hidden layers.").format(depth=self.depth),
        ])


def _decimal(value: Fraction) -> str:
    return f"{float(value):g}"


def variant(student_id) -> Variant:
    """The variant of homework 5 for ``student_id`` (the same id always gives the same)."""
    normal = normalise_student_id(student_id)
    rng = student_rng(normal, HOMEWORK)
    activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    if activation == "leaky_relu":
        act_param = Fraction(int(rng.integers(5, 31)), 100)    # slope 0.05 … 0.30
    else:
        act_param = Fraction(int(rng.integers(15, 31)), 10)    # gain 1.5 … 3.0
    loss = LOSSES[int(rng.integers(len(LOSSES)))]
    measure = MEASURES[int(rng.integers(len(MEASURES)))]
    depth_q1 = int(rng.integers(3, 6))
    sizes = (int(rng.integers(3, 7)),) + tuple(int(n) for n in rng.integers(5, 10, depth_q1)) \
        + (int(rng.integers(2, 5)),)
    batch = int(rng.integers(4, 9))
    condition = CONDITIONS[int(rng.integers(len(CONDITIONS)))]
    norm = NORMS[int(rng.integers(len(NORMS)))]
    eps = Fraction(int(rng.integers(5, 51)), 100)              # 0.05 … 0.50
    norm_shape = (int(rng.integers(4, 9)), int(rng.integers(3, 7)))
    depth = int(rng.integers(20, 61))
    seed_q1, seed_q3 = (int(s) for s in rng.integers(0, 2**31, 2))
    return Variant(HOMEWORK, normal, activation, act_param, loss, measure, sizes, batch,
                   condition, norm, eps, norm_shape, depth, seed_q1, seed_q3)


# ---- the given forward code of the notebook (the questions ask for the backward) --------

def hidden_activation(v: Variant, z):
    """The variant's hidden activation f(z), element by element (question 1)."""
    z = np.asarray(z, dtype=float)
    p = float(v.act_param)
    if v.activation == "leaky_relu":
        return np.where(z > 0, z, p * z)
    return p * np.tanh(z)


def loss_value(v: Variant, z_out, Y) -> float:
    """The variant's loss of the output layer's ``z_out`` (m, n_out) for targets ``Y``."""
    z_out, Y = np.asarray(z_out, dtype=float), np.asarray(Y, dtype=float)
    m = z_out.shape[0]
    if v.loss == "mse":
        return float(np.sum((z_out - Y) ** 2) / (2 * m))
    shifted = z_out - z_out.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return float(-np.sum(Y * log_p) / m)


def forward_loss(v: Variant, params, X, Y) -> float:
    """The loss of a network with the variant's hidden activation, output and loss."""
    a = np.asarray(X, dtype=float)
    for layer in params[:-1]:
        a = hidden_activation(v, a @ layer["W"] + layer["b"])
    return loss_value(v, a @ params[-1]["W"] + params[-1]["b"], Y)


def random_network(v: Variant, rng: np.random.Generator, sizes=None, batch=None, std=None):
    """``(params, X, Y)``: a random network of ``sizes`` (the variant's by default), a batch
    of inputs and targets (one-hot rows for cross-entropy, numbers for MSE)."""
    sizes = list(sizes or v.sizes)
    batch = batch or v.batch
    params = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        scale = std if std is not None else 1.0 / np.sqrt(n_in)
        params.append({"W": rng.normal(0.0, scale, (n_in, n_out)),
                       "b": rng.normal(0.0, 0.1, n_out)})
    X = rng.normal(size=(batch, sizes[0]))
    if v.loss == "cross_entropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    else:
        Y = rng.normal(size=(batch, sizes[-1]))
    return params, X, Y


def norm_forward(v: Variant, x, gamma, beta):
    """The variant's normalisation of ``x`` (batch, features), then ``gamma * x_hat + beta``."""
    x = np.asarray(x, dtype=float)
    eps = float(v.eps)
    axis = 0 if v.norm.startswith("batch") else 1
    if v.norm in ("batch_rms", "layer_rms"):
        centred = x
        var = np.mean(x ** 2, axis=axis, keepdims=True)
    else:
        centred = x - x.mean(axis=axis, keepdims=True)
        ddof = 1 if v.norm == "batch_unbiased" else 0
        var = np.sum(centred ** 2, axis=axis, keepdims=True) / (x.shape[axis] - ddof)
    return gamma * centred / np.sqrt(var + eps) + beta


def norm_batch(v: Variant, rng: np.random.Generator, shape=None):
    """``(x, gamma, beta, dy)``: a test batch for question 3 of ``shape`` (the variant's by
    default), its parameters and an upstream gradient dL/dy."""
    m, n = shape or v.norm_shape
    x = rng.normal(size=(m, n)) * rng.uniform(0.5, 2.0, n) + rng.normal(0.0, 1.0, n)
    gamma, beta = rng.uniform(0.5, 2.0, n) * rng.choice([-1.0, 1.0], n), rng.normal(size=n)
    return x, gamma, beta, rng.normal(size=(m, n))


def central_difference(f, x, h=1e-6):
    """dF/dx of a scalar function ``f`` of the array ``x`` by central differences (a
    gradient check: it reveals no formula). Used by the notebook's visible tests."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + h
        up = f(x)
        x[index] = old - h
        down = f(x)
        x[index] = old
        grad[index] = (up - down) / (2 * h)
    return grad


def relative_gap(actual, expected) -> float:
    """max |actual − expected| / (max |expected| + 1e-12), for the tests' messages-free checks."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(actual - expected)) / (np.max(np.abs(expected)) + 1e-12))
