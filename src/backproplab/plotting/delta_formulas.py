"""Figures of chapter 3 (``book/03-delta-formulas.md``): the network drawing of the
δ-explorer, and a look at a classifier's mistakes."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from ..i18n import gettext as _

#: The stages of the δ-explorer, in order: what has been computed so far.
NETWORK_STAGES = ("input", "hidden layer: z and a", "output layer: z, a and the loss",
                  "output δ", "output layer's ∂L/∂W and ∂L/∂b", "hidden δ",
                  "hidden layer's ∂L/∂W and ∂L/∂b")


def draw_network(ax, params, cache, deltas, grads, stage: int) -> None:
    """Draw a network with one hidden layer as far as ``stage`` (an index of NETWORK_STAGES).

    A neuron shows z and a once the forward pass has reached it and δ once the backward
    pass has; an edge shows its weight W, or its gradient ∂L/∂W (line width ∝ |∂L/∂W|, red
    positive, blue negative) once computed. ``cache`` is ``forward``'s result for one
    example, ``deltas[l]`` layer l's delta, ``grads`` ``backward``'s result.
    """
    if len(params) != 2:
        raise ValueError(_("draw_network draws networks with exactly one hidden layer."))
    sizes = [cache.a[0].shape[1]] + [layer["W"].shape[1] for layer in params]
    dx, dy = 2.6, 1.15  # distance between layers and between neurons
    pos = [np.column_stack([np.full(n, dx * l), dy * ((n - 1) / 2 - np.arange(n))])
           for l, n in enumerate(sizes)]
    reached = [True, stage >= 1, stage >= 2]
    has_delta = [False, stage >= 5, stage >= 3]
    has_grad = [False, stage >= 6, stage >= 4]
    current = {1: 1, 2: 2, 3: 2, 5: 1}.get(stage)
    largest = max(float(np.abs(g["W"]).max()) for g in grads) or 1.0
    for l in (1, 2):
        W, dW = params[l - 1]["W"], grads[l - 1]["W"]
        for i, (x0, y0) in enumerate(pos[l - 1]):
            for j, (x1, y1) in enumerate(pos[l]):
                if has_grad[l]:
                    width = 0.6 + 5 * abs(dW[i, j]) / largest
                    color = "#e03131" if dW[i, j] > 0 else "#1971c2"
                    text = f"{dW[i, j]:+.3f}"
                else:
                    width, color, text = 0.8, "#adb5bd", f"W={W[i, j]:.2f}"
                ax.plot([x0, x1], [y0, y1], color=color, lw=width, zorder=1)
                t = 0.3 if (i + j) % 2 == 0 else 0.62
                ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0), text, fontsize=7,
                        ha="center", va="center", zorder=3,
                        bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.85))
    for l, centres in enumerate(pos):
        for j, (x, y) in enumerate(centres):
            if l == 0:
                lines = [f"x={cache.a[0][0, j]:.2f}"]
            else:
                lines = [f"z={cache.z[l][0, j]:.3f}", f"a={cache.a[l][0, j]:.3f}"] \
                    if reached[l] else []
                if has_delta[l]:
                    lines.append(f"δ={deltas[l][0, j]:+.4f}")
            active = current == l
            ax.add_patch(Circle((x, y), 0.42, fc="#fff3bf" if active else "#f1f3f5",
                                ec="#e67700" if active else "#495057", lw=2 if active else 1,
                                zorder=4))
            ax.text(x, y, "\n".join(lines), ha="center", va="center", fontsize=7.5, zorder=5)
    top = dy * (max(sizes) - 1) / 2 + 0.6
    for l, name in enumerate(("input", "hidden", "output")):
        ax.text(dx * l, top, name, ha="center", fontsize=9)
    ax.set_xlim(-0.6, 2 * dx + 0.6)
    ax.set_ylim(-top + 0.1, top + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")


def network_figure(params, cache, deltas, grads, stage: int) -> Figure:
    """The δ-explorer's picture: ``draw_network(...)`` titled with the stage's name."""
    # A fixed layout: constrained layout would slow down every widget redraw.
    fig = Figure(figsize=(7.6, 4.0))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
    ax = fig.add_subplot()
    draw_network(ax, params, cache, deltas, grads, stage)
    ax.set_title(f"step {stage}: {NETWORK_STAGES[stage]}", fontsize=10)
    return fig


def draw_digit_mistakes(axes, images, true_labels, predicted_labels, probabilities=None) -> None:
    """Show misclassified 8×8 digit images, one per axes, titled "true → predicted"."""
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k >= len(images):
            continue
        ax.imshow(np.asarray(images[k]).reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        title = f"{true_labels[k]} → {predicted_labels[k]}"
        if probabilities is not None:
            title += f"\n({probabilities[k][predicted_labels[k]]:.0%})"
        ax.set_title(title, fontsize=9)
