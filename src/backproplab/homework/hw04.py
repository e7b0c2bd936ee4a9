"""Homework 4, *gradient descent and its variants*: each student's numbers and choices.

Goes with chapter 4, ``book/04-gradient-descent.md``, and ``solutions/hw04``. A variant
holds the task, never its answers (the hidden tests compute those):

- question 1: ``n`` samples and a ``batch_size`` that does not divide it (mini-batches that
  keep the last short batch, or drop it on request);
- question 2: an optimizer the package does not have (Nesterov momentum, AdamW, AdaGrad,
  AdaMax, AMSGrad or RMSProp with momentum) with its hyperparameters ``hyper``, and its
  state's names (``STATE_NAMES``);
- question 3: a rotated quadratic bowl ``L(w) = ½ wᵀ A w`` and a momentum ``beta``, whose
  largest stable learning rates are to be derived;
- question 4: an optimizer of the package, a Rosenbrock valley, a start and a grid of
  learning rates: the experiment to run. The grid is well posed by construction (its
  smallest rate converges, its largest diverges); the package never runs the experiment.

``same(actual, expected)`` is the tests' comparison that never prints the expected value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.surfaces import Surface, rosenbrock
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw04"

#: The names of each question-2 optimizer's state arrays (each of the shape of w).
STATE_NAMES = {
    "nesterov": ("v",),
    "adamw": ("m", "v"),
    "adagrad": ("s",),
    "adamax": ("m", "u"),
    "amsgrad": ("m", "v", "v_max"),
    "rmsprop_momentum": ("s", "b"),
}

#: Markdown: each question-2 optimizer's update rule, as the student's variant states it.
RULES = {
    "nesterov": N_(
        "**Nesterov momentum** (PyTorch's `SGD(..., nesterov=True)`): "
        r"$v_t = \beta v_{t-1} + g_t$, then the step looks ahead along the new velocity, "
        r"$w_t = w_{t-1} - \alpha\,(g_t + \beta v_t)$."),
    "adamw": N_(
        "**AdamW** (Adam with *decoupled* weight decay, PyTorch's `AdamW`): first shrink the "
        r"weights, $w' = w_{t-1} - \alpha\lambda\, w_{t-1}$; then take the chapter's Adam step "
        r"(equation eq-adam, with the bias corrections) from $w'$ with the gradient $g_t$ "
        r"as it is ($\lambda$ is *not* added to the gradient)."),
    "adagrad": N_(
        "**AdaGrad**: every parameter keeps the *sum* (not a running mean) of its squared "
        r"gradients, $s_t = s_{t-1} + g_t^2$, and $w_t = w_{t-1} - \alpha\, g_t / "
        r"(\sqrt{s_t} + \epsilon)$."),
    "adamax": N_(
        "**AdaMax** (PyTorch's `Adamax`): $m_t$ as in Adam; instead of a running mean of "
        r"$g^2$, a decaying maximum $u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon)$ (entry "
        r"by entry); $w_t = w_{t-1} - \frac{\alpha}{1 - \beta_1^t}\, \frac{m_t}{u_t}$."),
    "amsgrad": N_(
        "**AMSGrad** (PyTorch's `Adam(..., amsgrad=True)`): $m_t$ and $v_t$ as in Adam, and "
        r"the largest $v$ so far, $\hat v_t = \max(\hat v_{t-1}, v_t)$ (entry by entry, "
        r"state `v_max`); $w_t = w_{t-1} - \alpha\, \frac{m_t / (1 - \beta_1^t)}"
        r"{\sqrt{\hat v_t / (1 - \beta_2^t)} + \epsilon}$."),
    "rmsprop_momentum": N_(
        "**RMSProp with momentum** (PyTorch's `RMSprop(..., momentum=μ)`): "
        r"$s_t = \rho\, s_{t-1} + (1 - \rho)\, g_t^2$, a velocity of the scaled gradients "
        r"$b_t = \mu\, b_{t-1} + g_t / (\sqrt{s_t} + \epsilon)$, and "
        r"$w_t = w_{t-1} - \alpha\, b_t$."),
}

#: The optimizers of the package question 4 may draw (those whose runs can diverge), each
#: with the least largest learning rate of its grid, times the valley's ``b``.
Q4_OPTIMIZERS = {"SGD": 1.2, "Momentum": 0.9}
#: The numbers of steps question 4's runs may take, for each optimizer (plain gradient
#: descent crawls along the valley floor: it gets more steps).
Q4_STEPS = {"SGD": (1000, 1500, 2000), "Momentum": (150, 200, 300)}
#: How many learning rates question 4's grid has.
Q4_GRID_SIZE = 10
#: Question 4 accepts a learning rate whose run ends at most this factor above the lowest.
Q4_TOLERANCE = 1.25


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's homework 4: the numbers and choices of its four questions."""

    n: int = 0                       # q1: samples
    batch_size: int = 0              # q1: does not divide n
    optimizer: str = ""              # q2: a key of STATE_NAMES
    hyper: dict = field(default_factory=dict)   # q2: lr, beta, eps, ...
    A: tuple = ()                    # q3: the bowl's symmetric 2x2 matrix, rows
    beta: float = 0.0                # q3: the momentum
    bowl_start: tuple = ()           # q3: where the bowl's runs start
    valley: tuple = ()               # q4: Rosenbrock's (a, b)
    start: tuple = ()                # q4: the start point
    q4_optimizer: str = ""           # q4: a key of Q4_OPTIMIZERS
    q4_beta: float | None = None     # q4: Momentum's / RMSProp's beta, Adam's beta1
    grid: tuple = ()                 # q4: the learning rates to try
    n_steps: int = 0                 # q4: steps per run

    def state_names(self) -> tuple:
        """The names of the question-2 optimizer's state arrays."""
        return STATE_NAMES[self.optimizer]

    def bowl(self) -> Surface:
        """Question 3's bowl ``½ wᵀ A w`` as a surface for ``run_optimizer``."""
        A = np.array(self.A, dtype=float)
        return Surface(
            name="your rotated bowl",
            value=lambda w, rows=None: float(0.5 * np.asarray(w) @ A @ np.asarray(w)),
            grad=lambda w, rows=None: A @ np.asarray(w, dtype=float),
            minimum=(0.0, 0.0), xlim=(-5.0, 5.0), ylim=(-5.0, 5.0), start=self.bowl_start)

    def valley_surface(self) -> Surface:
        """Question 4's Rosenbrock valley, started at ``start``."""
        a, b = self.valley
        surface = rosenbrock(a, b)
        return Surface(**{**surface.__dict__, "start": self.start})

    def q4_make(self, lr):
        """Question 4's optimizer with learning rate ``lr`` (a package optimizer)."""
        from backproplab.optimizers import make_optimizer

        return make_optimizer(self.q4_optimizer, lr, beta=self.q4_beta)

    def describe(self) -> str:
        hyper = ", ".join(f"`{k}` = {v:g}" for k, v in self.hyper.items())
        names = ", ".join(f"`{name}`" for name in self.state_names())
        (p, q), (_q, r) = self.A
        beta_text = ("" if self.q4_beta is None
                     else _(" with beta = {beta:g}").format(beta=self.q4_beta))
        grid = ", ".join(f"{lr:g}" for lr in self.grid)
        A = f"\\begin{{pmatrix}} {p:g} & {q:g} \\\\ {q:g} & {r:g} \\end{{pmatrix}}"
        return "\n".join([
            super().describe(), "",
            _("- **Question 1:** `n` = {n} samples, `batch_size` = {batch_size}.").format(
                n=self.n, batch_size=self.batch_size),
            _("- **Question 2:** your optimizer is `{optimizer}`. {rule}").format(
                optimizer=self.optimizer, rule=_(RULES[self.optimizer])),
            _("  Its state is a dict with the arrays {names} (zeros before the first step); "
              "your hyperparameters `variant.hyper`: {hyper}.").format(names=names,
                                                                        hyper=hyper),
            _("- **Question 3:** the bowl $L(w) = \\tfrac12 w^\\top A w$ with $A = {A}$ "
              "(`variant.A`), momentum $\\beta$ = {beta:g} (`variant.beta`).").format(
                A=A, beta=self.beta),
            _("- **Question 4:** `{optimizer}`{beta_text} on Rosenbrock's valley "
              "$(a - w_1)^2 + b\\,(w_2 - w_1^2)^2$ with a = {a:g}, b = {b:g}, from the start "
              "{start}, {n_steps} steps, learning rates `variant.grid` = [{grid}].").format(
                optimizer=self.q4_optimizer, beta_text=beta_text, a=self.valley[0],
                b=self.valley[1], start=self.start, n_steps=self.n_steps, grid=grid),
        ])


def zero_state(variant: Variant, w) -> dict:
    """The question-2 optimizer's state before the first step: zeros like ``w``."""
    return {name: np.zeros_like(np.asarray(w, dtype=float)) for name in variant.state_names()}


def same(actual, expected, *, rtol=1e-9, atol=1e-12) -> bool:
    """Whether ``actual`` is numeric, of ``expected``'s shape, finite and close to it.

    The homework's tests use it instead of ``check_close`` so that their messages never
    print the expected value."""
    expected = np.asarray(expected, dtype=float)
    try:
        got = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        return False
    return (got.shape == expected.shape and bool(np.all(np.isfinite(got)))
            and bool(np.allclose(got, expected, rtol=rtol, atol=atol)))


def _round(x, digits=2) -> float:
    return float(np.round(x, digits))


def draw_hyper(optimizer: str, rng) -> dict:
    """Hyperparameters for question 2's ``optimizer``, drawn with ``rng``."""
    lr = lambda lo, hi: float(f"{rng.uniform(lo, hi):.2g}")  # noqa: E731
    if optimizer == "nesterov":
        return {"lr": lr(0.01, 0.05), "beta": _round(rng.uniform(0.5, 0.95))}
    if optimizer == "adagrad":
        return {"lr": lr(0.05, 0.5), "eps": 1e-8}
    if optimizer == "rmsprop_momentum":
        return {"lr": lr(0.001, 0.01), "rho": _round(rng.uniform(0.8, 0.99)),
                "momentum": _round(rng.uniform(0.5, 0.9)), "eps": 1e-8}
    hyper = {"lr": lr(0.005, 0.05), "beta1": _round(rng.uniform(0.7, 0.95)),
             "beta2": float(rng.choice([0.9, 0.95, 0.99, 0.995, 0.999])), "eps": 1e-8}
    if optimizer == "adamw":
        hyper["weight_decay"] = _round(rng.uniform(0.05, 0.5))
    return hyper


def _bowl(rng) -> tuple:
    """A symmetric positive definite A whose largest curvature is well off its diagonal."""
    while True:
        small, large = rng.uniform(0.5, 4.0), rng.uniform(15.0, 60.0)
        angle = rng.uniform(np.radians(25), np.radians(65)) * rng.choice([-1, 1])
        c, s = np.cos(angle), np.sin(angle)
        R = np.array([[c, -s], [s, c]])
        A = np.round(R @ np.diag([large, small]) @ R.T, 1)
        A = (A + A.T) / 2
        eig = np.linalg.eigvalsh(A)
        if eig[0] >= 0.4 and eig[1] >= 1.15 * np.max(np.diag(A)) and abs(A[0, 1]) >= 1:
            return tuple(tuple(float(x) for x in row) for row in A)


def _q4_grid(optimizer: str, b: float, rng) -> tuple:
    """Question 4's learning rates: ``Q4_GRID_SIZE`` rates, each twice the one before, the
    largest ``Q4_OPTIMIZERS[optimizer] / b`` times a random factor in [1, 8).

    Well posed by construction, without running the experiment: on every valley of the
    draw the smallest rate is far too small but its run converges, and the largest rate's
    run diverges (the valley floor's steepness grows with ``b``, so the rates scale with
    ``1 / b``; ``tests/test_hw04.py`` checks both for 500 students)."""
    top = Q4_OPTIMIZERS[optimizer] / b * 2 ** rng.uniform(0.0, 3.0)
    return tuple(float(f"{top / 2 ** k:.2g}") for k in reversed(range(Q4_GRID_SIZE)))


def variant(student_id) -> Variant:
    """Homework 4's variant for ``student_id``, drawn from ``student_rng(student_id, "hw04")``."""
    sid = normalise_student_id(student_id)
    rng = student_rng(sid, HOMEWORK)
    n = int(rng.integers(50, 201))
    while True:
        batch_size = int(rng.integers(5, 41))
        if n % batch_size:
            break
    optimizer = str(rng.choice(sorted(STATE_NAMES)))
    hyper = draw_hyper(optimizer, rng)
    A = _bowl(rng)
    beta = _round(rng.uniform(0.5, 0.9))
    bowl_start = (_round(rng.uniform(-4, -2), 1), _round(rng.uniform(1.5, 3.5), 1))
    valley = (_round(rng.uniform(0.5, 1.5), 1), float(rng.integers(20, 151)))
    start = (_round(rng.uniform(-1.8, -0.8), 1), _round(rng.uniform(0.5, 2.5), 1))
    q4_optimizer = str(rng.choice(sorted(Q4_OPTIMIZERS)))
    q4_beta = None if q4_optimizer == "SGD" else _round(rng.uniform(0.8, 0.95))
    grid = _q4_grid(q4_optimizer, valley[1], rng)
    n_steps = int(rng.choice(Q4_STEPS[q4_optimizer]))
    return Variant(HOMEWORK, sid, n, batch_size, optimizer, hyper, A, beta, bowl_start,
                   valley, start, q4_optimizer, q4_beta, grid, n_steps)


__all__ = ["HOMEWORK", "Q4_GRID_SIZE", "Q4_OPTIMIZERS", "Q4_STEPS", "Q4_TOLERANCE", "RULES",
           "STATE_NAMES", "Variant", "draw_hyper", "same", "variant", "zero_state"]
