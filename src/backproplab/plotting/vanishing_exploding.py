"""Figures of chapter 5 (``book/05-vanishing-exploding.md``): gradient norms per layer and
training curves."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def draw_gradient_norms(ax, norms: dict, title: str = "") -> None:
    """Draw ‖dL/dW^l‖ against the layer l (1 = next to the input) on a log scale, one line
    per entry of ``norms`` (label → array of L norms). Zeros and NaNs are left out."""
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        layers = np.arange(1, len(values) + 1)
        shown = np.isfinite(values) & (values > 0)
        ax.semilogy(layers[shown], values[shown], marker="o", ms=3, lw=1.5, label=label)
    ax.set_xlabel("layer l (1 = next to the input)")
    ax.set_ylabel("‖∂L/∂W‖ (log scale)")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    if len(norms) > 1:
        ax.legend(fontsize="small")


def draw_training_curves(ax, curves: dict, diverged=(), title: str = "") -> None:
    """Draw the loss against the training step, one line per entry of ``curves``
    (label → losses). Labels in ``diverged`` (training stopped because the loss became NaN
    or infinite) end with an ✕ and get "(diverged)" in the legend."""
    for label, losses in curves.items():
        losses = np.asarray(losses, dtype=float)
        name = f"{label} (diverged)" if label in diverged else label
        line, = ax.plot(np.arange(len(losses)), losses, lw=1.5, label=name)
        if label in diverged and len(losses):
            ax.plot([len(losses) - 1], [losses[-1]], "x", ms=10, mew=2, color=line.get_color())
    ax.set_xlabel("training step")
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    if len(curves) > 1 or diverged:
        ax.legend(fontsize="small")


def gradient_flow_figure(label: str, norms, losses, diverged: bool, *, norms_title: str = "",
                         losses_title: str = "") -> Figure:
    """The gradient-flow demo's picture of one network (named ``label``): its gradient norms
    per layer (``draw_gradient_norms``, left) and its training losses
    (``draw_training_curves``, right; ``diverged`` if training stopped at a NaN)."""
    # A fixed layout: constrained layout would slow down every widget redraw.
    fig = Figure(figsize=(9.0, 3.4))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.88, wspace=0.3)
    ax_norms, ax_loss = fig.subplots(1, 2)
    draw_gradient_norms(ax_norms, {label: norms}, title=norms_title)
    draw_training_curves(ax_loss, {label: losses}, {label} if diverged else set(),
                         title=losses_title)
    return fig
