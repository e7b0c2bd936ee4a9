"""Homework 6, *Backpropagation through time, LSTMs and frameworks*: each student's variant.

Goes with chapter 6 of the book and the notebook ``solutions/hw06/hw06-frameworks.ipynb``.
A variant draws, from the student's id:

- question 1 (BPTT by hand for a many-to-many RNN): the hidden activation (leaky ReLU with
  slope ``alpha``, or softsign), how the per-step losses are combined (summed, averaged, or
  discounted by ``gamma`` per step back from the last), and the shapes of the test problem;
  the initial state ``h0`` is a parameter, so its gradient is asked for too;
- question 2 (a derivation in given terms): an LSTM cell the chapter did not show (coupled
  input and forget gates, or a peephole from c_(t−1) into the forget or the input gate) and
  the derivative it asks for;
- question 3 (PyTorch, graded on its outcome): a sequence task (the target is a weighted sum
  of the inputs, delayed by ``lag`` steps or summed over the last ``lag`` steps), its
  weights ``a``, the hidden width and the data's seed;
- question 4 (written): a number of steps back ``k``, a plain RNN's per-step factor ``rho``
  and an average forget gate ``f_bar``.

A variant holds the task, never its answer: the expected results are computed in the
notebook's hidden tests. The module also gives the notebook its given code (forward passes
only), so each task is stated once: :func:`activation`, :func:`sequence_loss`,
:func:`random_problem`, :func:`cell_quantity`, :func:`task_data` and
:func:`lstm_predictions`; :func:`central_difference` and :func:`relative_gap` are homework
5's.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from backproplab.homework.hw05 import central_difference, relative_gap
from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.rnn import KEYS, lstm_forward
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw06"
ACTIVATIONS = ("leaky_relu", "softsign")
REDUCTIONS = ("sum", "mean", "discounted")
CELLS = ("coupled", "peephole_f", "peephole_i", "coupled_peephole")
TASKS = ("delay", "window")
PARAM_KEYS = KEYS + ("h0",)
"""The keys of question 1's parameters (and of its gradients): the RNN's and h0."""

__all__ = ["ACTIVATIONS", "CELLS", "HOMEWORK", "PARAM_KEYS", "REDUCTIONS", "TASKS", "Variant",
           "activation", "cell_quantity", "central_difference", "lstm_predictions",
           "random_problem", "relative_gap", "sequence_loss", "step_weights", "task_data",
           "variant"]

_ACTIVATION_TEXT = {
    "leaky_relu": N_("leaky ReLU, $f(z) = z$ for $z > 0$ and $f(z) = \\alpha z$ otherwise, "
                     "with slope $\\alpha = {p}$"),
    "softsign": N_("softsign, $f(z) = z / (1 + |z|)$"),
}
_REDUCTION_TEXT = {
    "sum": N_("the **sum** of the per-step losses, $L = \\sum_{{t=1}}^T L_t$"),
    "mean": N_("the **mean** of the per-step losses, $L = \\frac1T \\sum_{{t=1}}^T L_t$"),
    "discounted": N_("a **discounted** sum, $L = \\sum_{{t=1}}^T \\gamma^{{T-t}} L_t$ (the last "
                     "step counts fully, each step before it $\\gamma$ times less), "
                     "$\\gamma = {gamma}$"),
}
_CELL_TEXT = {
    "coupled": N_("**coupled input and forget gates**: $f = \\sigma(z_f)$, the input gate is "
                  "$i = 1 - f$, and $c_t = f \\odot c_{t-1} + (1 - f) \\odot g$. Derive "
                  "$\\partial L/\\partial z_f$, the gradient of the forget gate's "
                  "**pre-activation**"),
    "peephole_f": N_("a **peephole into the forget gate**: $f = \\sigma(z_f + p \\odot c_{t-1})$ "
                     "(a weight $p$ per unit), $i$, $g$ as usual, and "
                     "$c_t = f \\odot c_{t-1} + i \\odot g$. Derive "
                     "$\\partial L/\\partial c_{t-1}$ along the cell state, **all paths through "
                     "$c_t$**"),
    "peephole_i": N_("a **peephole into the input gate**: $i = \\sigma(z_i + p \\odot c_{t-1})$ "
                     "(a weight $p$ per unit), $f$, $g$ as usual, and "
                     "$c_t = f \\odot c_{t-1} + i \\odot g$. Derive "
                     "$\\partial L/\\partial c_{t-1}$ along the cell state, **all paths through "
                     "$c_t$**"),
    "coupled_peephole": N_("**coupled gates with a peephole**: $f = \\sigma(z_f + p \\odot "
                           "c_{t-1})$ (a weight $p$ per unit), $i = 1 - f$, and "
                           "$c_t = f \\odot c_{t-1} + (1 - f) \\odot g$. Derive "
                           "$\\partial L/\\partial c_{t-1}$ along the cell state, **all paths "
                           "through $c_t$**"),
}
_TASK_TEXT = {
    "delay": N_("the weighted input **{lag} steps earlier**: $y_t = a \\cdot x_{{t-{lag}}}$ "
                "(and $y_t = 0$ for $t \\le {lag}$)"),
    "window": N_("the weighted inputs **summed over the last {lag} steps**: "
                 "$y_t = \\sum_{{s = t-{lag_1}}}^{{t}} a \\cdot x_s$ (over the steps that exist)"),
}


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's homework 6: question 1's activation (``act_param`` is the leaky slope
    α, 0 for softsign), loss reduction (``gamma`` for the discounted one) and shapes;
    question 2's ``cell``; question 3's task, its ``lag``, weights ``a`` and hidden width
    ``n_h``; question 4's ``k``, ``rho`` and ``f_bar``."""

    activation: str
    act_param: Fraction
    reduction: str
    gamma: Fraction
    sizes: tuple
    steps: int
    batch: int
    cell: str
    task: str
    lag: int
    a: tuple
    n_h: int
    k: int
    rho: Fraction
    f_bar: Fraction
    seed_q1: int
    seed_q3: int

    @property
    def alpha(self) -> float:
        """The leaky ReLU slope of question 1; only for ``activation == 'leaky_relu'``."""
        if self.activation != "leaky_relu":
            raise AttributeError(_("this variant's activation is softsign: it has no slope "
                                   "alpha."))
        return float(self.act_param)

    @property
    def n_in(self) -> int:
        """Question 3's number of input features per time step (the length of ``a``)."""
        return len(self.a)

    def describe(self) -> str:
        n_in, n_h, n_out = self.sizes
        a = ", ".join(_decimal(x) for x in self.a)
        return "\n".join([
            super().describe(),
            "",
            _("- **Hidden activation** (question 1): {activation}.").format(
                activation=_(_ACTIVATION_TEXT[self.activation]).format(
                    p=_decimal(self.act_param))),
            _("- **The loss** (question 1): {loss}.").format(
                loss=_(_REDUCTION_TEXT[self.reduction]).format(gamma=_decimal(self.gamma))),
            _("- **The test problem** (question 1): n_in = {n_in}, n_h = {n_h}, "
              "n_out = {n_out}, T = {steps} steps, a batch of {batch} sequences.").format(
                n_in=n_in, n_h=n_h, n_out=n_out, steps=self.steps, batch=self.batch),
            _("- **Your LSTM cell** (question 2): {cell}.").format(
                cell=_(_CELL_TEXT[self.cell])),
            _("- **Your sequence task** (question 3): predict, at every step, {task}, with "
              "$a = ({a})$ ({n_in} input features); an LSTM of {n_h} hidden units.").format(
                task=_(_TASK_TEXT[self.task]).format(lag=self.lag, lag_1=self.lag - 1),
                a=a, n_in=self.n_in, n_h=self.n_h),
            _("- **Question 4**: k = {k} steps back, a plain RNN's factor ρ = {rho} per step, "
              "an average forget gate f̄ = {f_bar}.").format(
                k=self.k, rho=_decimal(self.rho), f_bar=_decimal(self.f_bar)),
        ])


def _decimal(value) -> str:
    return f"{float(value):g}"


def variant(student_id) -> Variant:
    """The variant of homework 6 for ``student_id`` (the same id always gives the same)."""
    normal = normalise_student_id(student_id)
    rng = student_rng(normal, HOMEWORK)
    activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    act_param = (Fraction(int(rng.integers(5, 31)), 100) if activation == "leaky_relu"
                 else Fraction(0))                                  # slope 0.05 … 0.30
    reduction = REDUCTIONS[int(rng.integers(len(REDUCTIONS)))]
    gamma = (Fraction(int(rng.integers(5, 10)), 10) if reduction == "discounted"
             else Fraction(1))                                      # 0.5 … 0.9
    sizes = (int(rng.integers(2, 5)), int(rng.integers(3, 7)), int(rng.integers(1, 4)))
    steps = int(rng.integers(4, 8))
    batch = int(rng.integers(3, 7))
    cell = CELLS[int(rng.integers(len(CELLS)))]
    task = TASKS[int(rng.integers(len(TASKS)))]
    lag = int(rng.integers(2, 6))
    n_features = int(rng.integers(2, 4))
    a = tuple(Fraction(int(s) * int(m), 10) for s, m in
              zip(rng.choice([-1, 1], n_features), rng.integers(5, 16, n_features)))
    n_h = int(rng.integers(12, 21))
    k = int(rng.integers(20, 61))
    rho = Fraction(int(rng.integers(50, 91)), 100)
    f_bar = Fraction(int(rng.integers(90, 100)), 100)
    seed_q1, seed_q3 = (int(s) for s in rng.integers(0, 2**31, 2))
    return Variant(HOMEWORK, normal, activation, act_param, reduction, gamma, sizes, steps,
                   batch, cell, task, lag, a, n_h, k, rho, f_bar, seed_q1, seed_q3)


# ---- question 1: the given forward pass (the question asks for the backward) -----------

def activation(v: Variant, z):
    """The variant's hidden activation f(z), element by element."""
    z = np.asarray(z, dtype=float)
    if v.activation == "leaky_relu":
        return np.where(z > 0, z, float(v.act_param) * z)
    return z / (1 + np.abs(z))


def step_weights(v: Variant, T: int) -> np.ndarray:
    """The weight w_t of each step's loss in L = Σ_t w_t L_t, t = 1 … T, shape (T,)."""
    if v.reduction == "sum":
        return np.ones(T)
    if v.reduction == "mean":
        return np.full(T, 1.0 / T)
    return float(v.gamma) ** np.arange(T - 1, -1, -1)


def sequence_loss(v: Variant, params, X, Y) -> float:
    """Question 1's loss: the RNN ``h_t = f(x_t W_x + h_(t−1) W_h + b)`` from h_0 =
    ``params["h0"]`` (n_h,), an output ``y_hat_t = h_t W_y + b_y`` at every step, and
    L = Σ_t w_t L_t with L_t = 1/(2m) Σ_r ‖y_hat_(r,t) − Y_(r,t)‖²; ``X`` (m, T, n_in),
    ``Y`` (m, T, n_out)."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    m, T = X.shape[:2]
    h = np.broadcast_to(np.asarray(params["h0"], dtype=float), (m, len(params["h0"])))
    total = 0.0
    for t, w_t in enumerate(step_weights(v, T)):
        h = activation(v, X[:, t] @ params["W_x"] + h @ params["W_h"] + params["b"])
        y_hat = h @ params["W_y"] + params["b_y"]
        total += w_t * float(np.sum((y_hat - Y[:, t]) ** 2)) / (2 * m)
    return total


def random_problem(v: Variant, rng: np.random.Generator, sizes=None, steps=None, batch=None,
                   w_scale: float = 0.9):
    """``(params, X, Y)`` for question 1: random parameters (the keys of ``PARAM_KEYS``) of
    ``sizes`` = (n_in, n_h, n_out) (the variant's by default), ``X`` (batch, steps, n_in)
    and targets ``Y`` (batch, steps, n_out). ``W_h`` is drawn with standard deviation
    ``w_scale / sqrt(n_h)``."""
    n_in, n_h, n_out = sizes or v.sizes
    steps, batch = steps or v.steps, batch or v.batch
    params = {"W_x": rng.normal(0, 1 / np.sqrt(n_in), (n_in, n_h)),
              "W_h": rng.normal(0, w_scale / np.sqrt(n_h), (n_h, n_h)),
              "b": rng.normal(0, 0.1, n_h),
              "W_y": rng.normal(0, 1 / np.sqrt(n_h), (n_h, n_out)),
              "b_y": rng.normal(0, 0.1, n_out),
              "h0": rng.normal(0, 0.5, n_h)}
    X = rng.normal(size=(batch, steps, n_in))
    return params, X, rng.normal(size=(batch, steps, n_out))


# ---- question 2: the given forward step of the variant's cell ---------------------------

def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cell_quantity(v: Variant, z_f, z_i, g, c_prev, p):
    """The variant's cell state c_t (numbers or arrays) from the forget and input gates'
    pre-activations ``z_f``, ``z_i`` (without the peephole term), the candidate ``g``, the
    previous cell state ``c_prev`` and the peephole weight ``p`` (ignored by a cell
    without a peephole; the coupled cells ignore ``z_i``)."""
    peep_f = p * c_prev if v.cell in ("peephole_f", "coupled_peephole") else 0.0
    f = _sigmoid(z_f + peep_f)
    if v.cell in ("coupled", "coupled_peephole"):
        i = 1 - f
    else:
        i = _sigmoid(z_i + (p * c_prev if v.cell == "peephole_i" else 0.0))
    return f * c_prev + i * g


# ---- question 3: the task's data and the predictions of an LSTM in our layout -----------

def task_data(v: Variant, rng: np.random.Generator, n: int, steps: int = 20):
    """``(X, Y)``: ``n`` sequences of the variant's task: inputs ``X`` (n, steps, n_in)
    drawn from N(0, 1) and targets ``Y`` (n, steps, 1)."""
    X = rng.normal(size=(n, steps, v.n_in))
    s = X @ np.array([float(x) for x in v.a])
    Y = np.zeros((n, steps))
    for t in range(steps):
        if v.task == "delay":
            if t >= v.lag:
                Y[:, t] = s[:, t - v.lag]
        else:
            Y[:, t] = s[:, max(0, t - v.lag + 1):t + 1].sum(axis=1)
    return X, Y[..., None]


def lstm_predictions(params, X) -> np.ndarray:
    """An LSTM's output at every step, ``h_t @ W_y + b_y``, shape (batch, T, n_out), for
    parameters in the book's layout (``backproplab.rnn``: keys ``KEYS``, W of shape
    (n_in, n_out), gates [i, f, g, o]), computed with ``backproplab.rnn.lstm_forward``."""
    params = {key: np.asarray(params[key], dtype=float) for key in KEYS}
    cache = lstm_forward(params, np.asarray(X, dtype=float))
    h = np.stack([step.h for step in cache.steps], axis=1)
    return h @ params["W_y"] + params["b_y"]
