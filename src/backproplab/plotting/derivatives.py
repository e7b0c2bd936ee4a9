"""Figures of chapter 1 (``book/01-derivatives.md``): the nudge picture (a curve with its
secant and tangent, the change against k·ε) and the error of difference quotients against ε."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..derivatives import Nudge, Scalar

COLORS = {"curve": "#1f4e79", "secant": "#d9480f", "tangent": "#2b8a3e", "gap": "#862e9c"}


def draw_nudge_curve(ax, J: Scalar, n: Nudge, k: float, name: str = "J") -> None:
    """Draw J near ``n.w`` with the secant through ``n.w, n.w + n.eps`` and the tangent at
    ``n.w``: ``n`` is what ``nudge(J, w, eps)`` returned, ``k`` the derivative dJ/dw at w."""
    w, eps = n.w, n.eps
    half = max(2.0, 1.5 * eps)
    grid = np.linspace(w - half, w + half, 300)
    values = np.array([J(x) for x in grid], dtype=float)
    ax.plot(grid, values, color=COLORS["curve"], lw=2, label=f"{name}(w)")
    ax.plot(grid, n.J_w + n.slope * (grid - w), color=COLORS["secant"], lw=1.5, ls="--",
            label=f"secant, slope {n.slope:.4g}")
    ax.plot(grid, n.J_w + k * (grid - w), color=COLORS["tangent"], lw=1.5,
            label=f"tangent, slope {k:.4g}")
    ax.plot([w, w + eps], [n.J_w, n.J_nudged], "o", color=COLORS["secant"], ms=6)
    low, high = values.min(), values.max()
    pad = 0.15 * (high - low + 1e-12)
    ax.set_ylim(low - pad, high + pad)
    ax.set_xlabel("w")
    ax.set_ylabel(f"{name}(w)")
    ax.set_title(f"nudge w = {w:.3g} by ε = {eps:.3g}")
    ax.legend(loc="upper left", fontsize="small")


def draw_nudge_change(ax, J: Scalar, n: Nudge, k: float, name: str = "J") -> None:
    """Draw ``J(w + ε) - J(w)`` against ``k·ε`` for ε up to beyond ``n.eps``: ``n`` is what
    ``nudge(J, w, eps)`` returned, ``k`` the derivative dJ/dw at w."""
    w, eps = n.w, n.eps
    eps_grid = np.linspace(0.0, max(1.0, 1.5 * eps), 200)
    change = np.array([J(w + e) - n.J_w for e in eps_grid], dtype=float)
    ax.plot(eps_grid, change, color=COLORS["curve"], lw=2, label=f"{name}(w+ε) − {name}(w)")
    ax.plot(eps_grid, k * eps_grid, color=COLORS["tangent"], lw=1.5, label=f"k·ε, k = {k:.4g}")
    ax.plot([eps, eps], [k * eps, n.change], color=COLORS["gap"], lw=3,
            label=f"gap {n.change - k * eps:.3g}")
    ax.plot([eps], [n.change], "o", color=COLORS["secant"], ms=6)
    ax.set_xlabel("ε")
    ax.set_ylabel("change in " + name)
    ax.set_title("the change is ≈ k·ε for small ε")
    ax.legend(loc="upper left", fontsize="small")


def draw_difference_errors(ax, eps_values, forward_error, central_error) -> None:
    """Draw the forward and central difference errors against ε on log-log axes."""
    tiny = np.finfo(float).tiny  # an exact zero error cannot be drawn on a log axis
    ax.loglog(eps_values, np.maximum(forward_error, tiny), "o-", ms=3, label="forward difference")
    ax.loglog(eps_values, np.maximum(central_error, tiny), "s-", ms=3, label="central difference")
    ax.set_xlabel("ε")
    ax.set_ylabel("|estimate − exact derivative|")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize="small")


def nudge_figure(J: Scalar, n: Nudge, k: float, name: str = "J") -> Figure:
    """The two-panel nudge picture (curve with secant and tangent, change against k·ε) of
    ``n = nudge(J, w, eps)``, with ``k`` the derivative dJ/dw at w."""
    # A fixed layout: constrained layout would double the time of every widget redraw.
    fig = Figure(figsize=(9, 3.6))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.91, wspace=0.22)
    ax_curve, ax_change = fig.subplots(1, 2)
    draw_nudge_curve(ax_curve, J, n, k, name)
    draw_nudge_change(ax_change, J, n, k, name)
    return fig
