"""Two-dimensional loss surfaces to watch optimizers on, and a loop that runs them.

Chapter 4 of the book, ``book/04-gradient-descent.md``. A point is a NumPy vector
``w = (w1, w2)``. Each :class:`Surface` gives the loss ``value(w)`` and its gradient
``grad(w, rows=None)``; for the least-squares surface, which comes from data, ``rows``
selects a mini-batch, so its gradient can be as noisy as a real network's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from backproplab.i18n import gettext as _
from backproplab.optimizers import Optimizer, minibatches


@dataclass(frozen=True)
class Surface:
    """A loss over the plane: ``value(w)``, ``grad(w, rows=None)``, its minimum, a view
    (``xlim``, ``ylim``) and a starting point. ``n_samples`` is the number of data rows
    behind it (None for a formula); then ``rows`` picks a mini-batch of them."""

    name: str
    value: Callable
    grad: Callable
    minimum: tuple
    xlim: tuple
    ylim: tuple
    start: tuple
    n_samples: int | None = None


def quadratic(a=1.0, b=20.0) -> Surface:
    """The ill-conditioned bowl ``(a w1² + b w2²) / 2``: curvature a along w1, b along w2.

    Gradient descent converges for lr < 2 / max(a, b) and its speed is set by
    the condition number max(a, b) / min(a, b).
    """
    curvature = np.array([a, b], dtype=float)
    return Surface(
        name=f"quadratic (condition number {max(a, b) / min(a, b):g})",
        value=lambda w, rows=None: float(0.5 * np.sum(curvature * np.asarray(w) ** 2)),
        grad=lambda w, rows=None: curvature * np.asarray(w, dtype=float),
        minimum=(0.0, 0.0), xlim=(-5.5, 5.5), ylim=(-2.2, 2.2), start=(-5.0, 1.5))


def rosenbrock(a=1.0, b=100.0) -> Surface:
    """Rosenbrock's banana valley ``(a − w1)² + b (w2 − w1²)²``, minimum at (a, a²)."""

    def value(w, rows=None):
        x, y = w
        return float((a - x) ** 2 + b * (y - x**2) ** 2)

    def grad(w, rows=None):
        x, y = w
        return np.array([-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2)])

    return Surface(name="Rosenbrock", value=value, grad=grad, minimum=(a, a**2),
                   xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), start=(-1.5, 2.0))


def least_squares(rng, n=200, correlation=0.9, noise=0.5) -> Surface:
    """The mean squared error ``Σ (x·w − y)² / (2n)`` of a linear model with two weights
    on ``n`` random samples whose two features are correlated (an elongated bowl).

    ``grad(w, rows)`` is the gradient on the rows ``rows`` only: a mini-batch estimate.
    """
    cov = np.array([[1.0, correlation], [correlation, 1.0]])
    X = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    w_true = np.array([2.0, -1.0])
    y = X @ w_true + noise * rng.normal(size=n)
    w_best = np.linalg.lstsq(X, y, rcond=None)[0]

    def value(w, rows=None):
        rows = slice(None) if rows is None else rows
        r = X[rows] @ np.asarray(w) - y[rows]
        return float(0.5 * np.mean(r**2))

    def grad(w, rows=None):
        rows = slice(None) if rows is None else rows
        return X[rows].T @ (X[rows] @ np.asarray(w) - y[rows]) / len(X[rows])

    return Surface(name="least squares (mini-batches)", value=value, grad=grad,
                   minimum=tuple(w_best), xlim=(-2.5, 4.5), ylim=(-3.5, 3.5),
                   start=(-2.0, 3.0), n_samples=n)


class Trajectory(NamedTuple):
    """The points an optimizer visited (k + 1, 2), the loss at each (k + 1,), and whether
    it diverged, with the step at which it did (None if it did not)."""

    points: np.ndarray
    losses: np.ndarray
    diverged: bool
    diverged_at: int | None

    @property
    def final_loss(self) -> float:
        return float(self.losses[-1])

    def distance_to(self, point) -> float:
        """The distance from the last point visited to ``point`` (e.g. the minimum)."""
        return float(np.linalg.norm(self.points[-1] - np.asarray(point, dtype=float)))


#: A run counts as diverged when the loss grows beyond this factor of the starting loss.
BLOWUP = 1e6


def run_optimizer(optimizer: Optimizer, surface: Surface, start=None, n_steps=100,
                  batch_size=None, rng=None) -> Trajectory:
    """Run ``optimizer`` (reset first) for ``n_steps`` steps on ``surface`` from ``start``.

    With ``batch_size`` (only for a surface with data) each step uses the gradient of one
    mini-batch, epoch after epoch, shuffled with ``rng``. Stops early, without raising,
    when the point or the loss stops being finite or the loss exceeds ``BLOWUP`` times
    the starting loss (plus 1): the trajectory then says ``diverged`` and at which step.
    """
    w = np.array(surface.start if start is None else start, dtype=float)
    if w.shape != (2,):
        raise ValueError(_("start must be a point (w1, w2); got {start!r}.").format(start=start))
    if batch_size is not None and surface.n_samples is None:
        raise ValueError(_("the {name} surface is a formula, not data: it has no "
                           "mini-batches. Leave batch_size=None, or use least_squares().")
                         .format(name=surface.name))
    optimizer.reset()
    batches = _endless_batches(surface.n_samples, batch_size, rng) if batch_size else None
    points, losses = [w], [surface.value(w)]
    limit = BLOWUP * (1 + abs(losses[0]))
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(1, n_steps + 1):
            rows = next(batches) if batches else None
            w = optimizer.step(w, surface.grad(w, rows))
            loss = surface.value(w) if np.all(np.isfinite(w)) else math.inf
            points.append(w)
            losses.append(loss)
            if not math.isfinite(loss) or loss > limit:
                return Trajectory(np.array(points), np.array(losses), True, step)
    return Trajectory(np.array(points), np.array(losses), False, None)


def _endless_batches(n, batch_size, rng):
    while True:
        yield from minibatches(n, min(batch_size, n), rng)


__all__ = ["BLOWUP", "Surface", "Trajectory", "least_squares", "quadratic",
           "rosenbrock", "run_optimizer"]
