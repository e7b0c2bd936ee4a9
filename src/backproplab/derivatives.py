"""Derivatives by nudging, by finite differences and by SymPy.

Chapter 1 of the book, ``book/01-derivatives.md``. Equation labels in the docstrings
(``eq-nudge`` and so on) are the labels of that chapter.

All numeric functions here take a Python callable ``J`` of one float and return floats;
the symbolic ones take a SymPy expression and the symbol it depends on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import sympy as sp

from backproplab.i18n import gettext as _
from backproplab.validation import check_eps

Scalar = Callable[[float], float]


class Nudge(NamedTuple):
    """The result of nudging ``w`` by ``eps``: the numbers of equation ``eq-nudge``."""

    w: float
    eps: float
    J_w: float
    J_nudged: float
    change: float
    slope: float


def _evaluate(J: Scalar, w: float) -> float:
    if not callable(J):
        raise TypeError(_(
            "J must be a function of one number, such as `lambda w: w**2`; got {J!r}."
        ).format(J=J))
    value = float(J(w))
    if not math.isfinite(value):
        raise ValueError(_(
            "J({w!r}) is {value}, not a finite number: choose a w where J is defined."
        ).format(w=w, value=value))
    return value


def nudge(J: Scalar, w: float, eps: float) -> Nudge:
    """Nudge ``w`` by ``eps`` and report how much ``J`` changes (equation ``eq-nudge``).

    ``slope`` is ``change / eps``: the ``k`` in ``J(w + eps) - J(w) ≈ k * eps``.
    """
    eps = check_eps(eps)
    J_w = _evaluate(J, w)
    J_nudged = _evaluate(J, w + eps)
    change = J_nudged - J_w
    return Nudge(float(w), eps, J_w, J_nudged, change, change / eps)


def forward_difference(J: Scalar, w: float, eps: float = 1e-6) -> float:
    """Estimate dJ/dw at ``w`` from one nudge forward (equation ``eq-forward-difference``)."""
    eps = check_eps(eps)
    return (_evaluate(J, w + eps) - _evaluate(J, w)) / eps


def central_difference(J: Scalar, w: float, eps: float = 1e-5) -> float:
    """Estimate dJ/dw at ``w`` from a nudge each way (equation ``eq-central-difference``)."""
    eps = check_eps(eps)
    return (_evaluate(J, w + eps) - _evaluate(J, w - eps)) / (2 * eps)


def difference_errors(
    J: Scalar, dJ: Scalar, w: float, eps_values
) -> tuple[np.ndarray, np.ndarray]:
    """Absolute errors of the forward and central differences at ``w`` for each ``eps``.

    ``dJ`` is the exact derivative. Returns ``(forward_error, central_error)``, two arrays
    of the shape of ``eps_values``.
    """
    eps_values = np.asarray(eps_values, dtype=float)
    exact = _evaluate(dJ, w)
    forward = np.array([forward_difference(J, w, e) for e in eps_values.ravel()])
    central = np.array([central_difference(J, w, e) for e in eps_values.ravel()])
    shape = eps_values.shape
    return np.abs(forward - exact).reshape(shape), np.abs(central - exact).reshape(shape)


def loglog_slope(eps_values, errors, low: float, high: float) -> float:
    """Slope of log(errors) against log(eps) (least squares) for ``low <= eps <= high``.

    On log-log axes an error ``C * eps**p`` is a straight line of slope ``p``: the order of
    a finite difference, measured.
    """
    eps_values, errors = np.asarray(eps_values, float), np.asarray(errors, float)
    keep = (eps_values >= low) & (eps_values <= high) & (errors > 0)
    if keep.sum() < 2:
        raise ValueError(_("need at least two eps values with non-zero error in [{low}, "
                           "{high}].").format(low=low, high=high))
    return float(np.polyfit(np.log10(eps_values[keep]), np.log10(errors[keep]), 1)[0])


def symbolic_derivative(J_expr, w: sp.Symbol) -> sp.Expr:
    """dJ/dw as a SymPy expression: SymPy's ``diff``, in the form it returns."""
    if not isinstance(w, sp.Symbol):
        raise TypeError(_("w must be a SymPy symbol such as sp.Symbol('w'); got {w!r}.").format(
            w=w))
    if not isinstance(J_expr, sp.Basic):
        raise TypeError(_("J_expr must be a SymPy expression such as w**2; got {J!r}.").format(
            J=J_expr))
    return sp.diff(J_expr, w)


def derivative_at(J_expr, w: sp.Symbol, at) -> sp.Expr:
    """The exact value of dJ/dw at ``w = at`` (``diff`` then ``subs``)."""
    return sp.nsimplify(symbolic_derivative(J_expr, w).subs(w, at))


def numeric_functions(J_expr, w: sp.Symbol) -> tuple[Scalar, Scalar]:
    """Turn a SymPy expression into NumPy functions ``(J, dJ)`` of ``w``."""
    dJ_expr = symbolic_derivative(J_expr, w)
    return sp.lambdify(w, J_expr, "numpy"), sp.lambdify(w, dJ_expr, "numpy")


def gradient_descent_1d(dJ: Scalar, w0: float, lr: float, n_steps: int) -> np.ndarray:
    """Run ``n_steps`` of ``w <- w - lr * dJ(w)`` (equation ``eq-gd-update``) from ``w0``.

    Returns the ``n_steps + 1`` iterates ``w_0, ..., w_n``. If the iterates blow up (``|w|``
    grows past a million times ``max(1, |w0|)``: the learning rate is too large) the run
    stops and a ``ValueError`` says so.
    """
    lr = float(lr)
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(_("lr (the learning rate) must be a positive number; got {lr!r}.")
                         .format(lr=lr))
    if int(n_steps) != n_steps or n_steps < 0:
        raise ValueError(_("n_steps must be a whole number >= 0; got {n_steps!r}.").format(
            n_steps=n_steps))
    path = [float(w0)]
    limit = 1e6 * max(1.0, abs(path[0]))
    for step in range(int(n_steps)):
        w = path[-1] - lr * float(dJ(path[-1]))
        if not math.isfinite(w) or abs(w) > limit:
            raise ValueError(_(
                "gradient descent diverged with lr={lr}: w went from {w0:g} to {w:.3g} "
                "in {steps} steps. Each step overshot the minimum by more than the last; "
                "choose a smaller lr."
            ).format(lr=lr, w0=path[0], w=w, steps=step + 1))
        path.append(w)
    return np.array(path)
