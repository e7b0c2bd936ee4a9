"""Figures of chapter 4 (``book/04-gradient-descent.md``): optimizers on 2-D loss surfaces,
their paths on a contour plot and their loss per step."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

#: One colour per optimizer, the same in every figure of chapter 4.
OPTIMIZER_COLORS = {"SGD": "#1f77b4", "Momentum": "#d62728", "RMSProp": "#2ca02c",
                    "Adam": "#9467bd"}


def draw_contours(ax, surface, n_levels: int = 25, resolution: int = 160) -> None:
    """Contour lines of ``surface`` (a ``backproplab.surfaces.Surface``) over its view,
    spaced logarithmically, with its minimum marked by a star."""
    xs = np.linspace(*surface.xlim, resolution)
    ys = np.linspace(*surface.ylim, resolution)
    values = np.array([[surface.value(np.array([x, y])) for x in xs] for y in ys])
    low = max(values.min(), 1e-3 * (values.max() - values.min()) / 1e4, 1e-12)
    levels = np.geomspace(low + 1e-3 * (values.mean() - low), values.max(), n_levels)
    ax.contour(xs, ys, values, levels=levels, colors="#adb5bd", linewidths=0.7)
    ax.plot(*surface.minimum, marker="*", color="black", ms=11, ls="none", zorder=5)
    ax.set_xlim(*surface.xlim)
    ax.set_ylim(*surface.ylim)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")


def draw_trajectories(ax, runs: dict, colors=None) -> None:
    """Each run's path (a ``Trajectory`` by label) as a line with dots; a diverged run
    ends with a cross where it was last inside the view."""
    colors = colors or {}
    for k, (label, run) in enumerate(runs.items()):
        color = colors.get(label, OPTIMIZER_COLORS.get(label.split()[0], f"C{k}"))
        points = run.points[np.all(np.isfinite(run.points), axis=1)]
        ax.plot(points[:, 0], points[:, 1], "-o", color=color, ms=2.5, lw=1.2,
                label=label + (" (diverged)" if run.diverged else ""), zorder=3)
        if run.diverged:
            x0, x1 = ax.get_xlim()
            y0, y1 = ax.get_ylim()
            inside = points[(points[:, 0] >= x0) & (points[:, 0] <= x1)
                            & (points[:, 1] >= y0) & (points[:, 1] <= y1)]
            if len(inside):
                ax.plot(*inside[-1], marker="x", color=color, ms=10, mew=2.5, zorder=4)


def draw_loss_per_step(ax, runs: dict, colors=None) -> None:
    """Each run's loss against the step number, on a log scale."""
    colors = colors or {}
    for k, (label, run) in enumerate(runs.items()):
        color = colors.get(label, OPTIMIZER_COLORS.get(label.split()[0], f"C{k}"))
        losses = np.where(np.isfinite(run.losses), run.losses, np.nan)
        ax.semilogy(np.arange(len(losses)), np.maximum(losses, 1e-300), color=color,
                    lw=1.5, label=label)
        if run.diverged:
            ax.axvline(run.diverged_at, color=color, ls=":", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")


def trajectories_figure(surface, runs: dict, title: str = "", figsize=(10, 4.0)) -> Figure:
    """A contour plot with the trajectories (left) and the loss per step (right)."""
    fig = Figure(figsize=figsize)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.25)
    ax_path, ax_loss = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    draw_contours(ax_path, surface)
    draw_trajectories(ax_path, runs)
    draw_loss_per_step(ax_loss, runs)
    if runs:
        ax_path.legend(fontsize=8, loc="upper right")
    ax_path.set_title(title or surface.name, fontsize=10)
    ax_loss.set_title("loss per step", fontsize=10)
    return fig
