"""Figures of the book, drawn onto matplotlib axes that the caller owns.

Shared by all chapters; the functions for chapter 1 (``book/01-derivatives.md``) draw the
nudge picture and the error-versus-eps curve, ``draw_graph`` draws the computation graphs of
chapter 2 (``book/02-chain-rule.md``), ``draw_network`` and ``draw_digit_mistakes`` belong to
chapter 3 (``book/03-delta-formulas.md``); the contour plots with trajectories belong to chapter 4
(``book/04-gradient-descent.md``). Each ``draw_*`` function takes axes and
data and draws, so a chapter can place it in any layout and a widget can redraw it.
Nothing here touches pyplot's global state.
"""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from .autograd import Value, topological_order
from .derivatives import Scalar, nudge

COLORS = {"curve": "#1f4e79", "secant": "#d9480f", "tangent": "#2b8a3e", "gap": "#862e9c"}


def draw_nudge_curve(ax, J: Scalar, dJ: Scalar, w: float, eps: float, name: str = "J") -> None:
    """Draw J near ``w`` with the secant through ``w, w + eps`` and the tangent at ``w``."""
    n = nudge(J, w, eps)
    k = float(dJ(w))
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


def draw_nudge_change(ax, J: Scalar, dJ: Scalar, w: float, eps: float, name: str = "J") -> None:
    """Draw ``J(w + ε) - J(w)`` against ``k·ε`` (k = dJ/dw at w) for ε up to beyond ``eps``."""
    k = float(dJ(w))
    eps_grid = np.linspace(0.0, max(1.0, 1.5 * eps), 200)
    J_w = float(J(w))
    change = np.array([J(w + e) - J_w for e in eps_grid], dtype=float)
    ax.plot(eps_grid, change, color=COLORS["curve"], lw=2, label=f"{name}(w+ε) − {name}(w)")
    ax.plot(eps_grid, k * eps_grid, color=COLORS["tangent"], lw=1.5, label=f"k·ε, k = {k:.4g}")
    n = nudge(J, w, eps)
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


def nudge_figure(J: Scalar, dJ: Scalar, w: float, eps: float, name: str = "J") -> Figure:
    """The two-panel nudge picture (curve with secant and tangent, change against k·ε)."""
    # A fixed layout: constrained layout would double the time of every widget redraw.
    fig = Figure(figsize=(9, 3.6))
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.91, wspace=0.22)
    ax_curve, ax_change = fig.subplots(1, 2)
    draw_nudge_curve(ax_curve, J, dJ, w, eps, name)
    draw_nudge_change(ax_change, J, dJ, w, eps, name)
    return fig


def figure_png(fig: Figure, dpi: int = 90) -> bytes:
    """Render a figure to PNG bytes (for image widgets and static fallbacks)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


# ---- computation graphs (chapter 2) ----------------------------------------------------

GRAPH_COLORS = {"input": "#e7f0fa", "constant": "#f1f3f5", "op": "#ffffff",
                "border": "#495057", "edge": "#adb5bd", "current": "#d9480f",
                "child": "#d3f9d8", "muted": "#868e96"}
BOX_WIDTH, BOX_HEIGHT, COLUMN_GAP, ROW_GAP = 1.8, 1.0, 2.95, 1.35
OP_TEXT = {"*": "×", "-": "−", "neg": "−x"}


def graph_layout(root: Value) -> dict[Value, tuple[float, float]]:
    """Where ``draw_graph`` puts each node of ``root``'s graph: ``{node: (x, y)}``.

    One column per depth (the longest path from the node to ``root``): ``root`` rightmost,
    each node left of every node that uses it. In a column, nodes are sorted by the mean
    height of the nodes they feed, so that few edges cross.
    """
    order = topological_order(root)
    depth = {node: 0 for node in order}
    parents: dict[Value, list[Value]] = {node: [] for node in order}
    for node in reversed(order):  # each node before its children: its depth is final
        for child in node.children:
            depth[child] = max(depth[child], depth[node] + 1)
            parents[child].append(node)
    last = max(depth.values())
    index = {node: i for i, node in enumerate(order)}
    position: dict[Value, tuple[float, float]] = {}
    for d in range(last + 1):
        column = [node for node in order if depth[node] == d]
        column.sort(key=lambda n: (-np.mean([position[p][1] for p in parents[n]] or [0.0]),
                                   index[n]))
        for k, node in enumerate(column):
            position[node] = ((last - d) * COLUMN_GAP, ((len(column) - 1) / 2 - k) * ROW_GAP)
    return position


def _edge_route(start, end, k: int, count: int):
    """Ends and ``arc3`` bend of the k-th of ``count`` edges between the same two nodes.

    Repeated edges (``x * x``) run side by side; an edge that skips a column bends around
    the boxes in between, above the middle of the picture or below it.
    """
    shift = 0.3 * (k - (count - 1) / 2)
    start, end = (start[0], start[1] + shift), (end[0], end[1] + shift)
    rad = 0.0
    if end[0] - start[0] > COLUMN_GAP:
        rad = -0.3 if start[1] + end[1] >= 0 else 0.3  # negative bends up (left to right)
    return start, end, rad


def draw_graph(ax, root: Value, highlight: Value | None = None, grads=None, *,
               show_grads: bool = True, fontsize: float = 10.0) -> None:
    """Draw ``root``'s computation graph: a box per node, an arrow per edge (child → node).

    Each box shows the node's label, the operation that made it ("input" or "constant"
    for a leaf), its ``data`` and its ``grad``; inputs left, ``root`` right
    (``graph_layout``). ``highlight`` marks one backward step (eq-chain-local): that node
    in orange, its edges labelled with their local derivatives, the children it passes
    its grad to in green. ``grads`` (``{node: number}``, e.g. a snapshot of
    ``backward_steps``) replaces the grads shown; ``show_grads=False`` shows forward
    values only. Pure matplotlib: no graphviz needed.
    """
    position = graph_layout(root)
    half_w, half_h = BOX_WIDTH / 2, BOX_HEIGHT / 2
    current_children = set(highlight.children) if highlight is not None else set()
    for node, (x, y) in position.items():
        counts = Counter(node.children)
        seen: Counter = Counter()
        for child, local in zip(node.children, node.local_grads):
            cx, cy = position[child]
            start, end, rad = _edge_route((cx + half_w, cy), (x - half_w, y), seen[child],
                                          counts[child])
            seen[child] += 1
            active = node is highlight
            ax.add_patch(FancyArrowPatch(
                start, end, arrowstyle="-|>", mutation_scale=11, shrinkA=0, shrinkB=0,
                connectionstyle=f"arc3,rad={rad}", lw=2.4 if active else 1.2, zorder=1,
                color=GRAPH_COLORS["current"] if active else GRAPH_COLORS["edge"]))
            if active:  # the curve's midpoint lies half-way to arc3's control point
                dx, dy = end[0] - start[0], end[1] - start[1]
                mx = (start[0] + end[0]) / 2 + rad * dy / 2
                my = (start[1] + end[1]) / 2 - rad * dx / 2
                ax.text(mx, my, f"×{local:.4g}", ha="center", va="center", zorder=4,
                        fontsize=fontsize, color=GRAPH_COLORS["current"], fontweight="bold",
                        bbox=dict(boxstyle="round,pad=0.2", fc="white",
                                  ec=GRAPH_COLORS["current"], lw=1))
    for node, (x, y) in position.items():
        if node.children:
            kind, op = "op", OP_TEXT.get(node.op, node.op)
        else:
            kind, op = ("input", "input") if node.label else ("constant", "constant")
        face = GRAPH_COLORS["child"] if node in current_children else GRAPH_COLORS[kind]
        is_current = node is highlight
        ax.add_patch(FancyBboxPatch(
            (x - half_w, y - half_h), BOX_WIDTH, BOX_HEIGHT, zorder=2,
            boxstyle="round,pad=0,rounding_size=0.1", fc=face, lw=2.6 if is_current else 1.0,
            ec=GRAPH_COLORS["current"] if is_current else GRAPH_COLORS["border"]))
        top = y + half_h - 0.22
        ax.text(x - half_w + 0.1, top, node.label, ha="left", va="center",
                fontsize=fontsize + 1, fontweight="bold", zorder=3)
        ax.text(x + half_w - 0.1, top, op, ha="right", va="center", fontsize=fontsize - 1,
                color=GRAPH_COLORS["muted"], style="italic", zorder=3)
        lines = [f"data {node.data:.4g}"]
        if show_grads:
            grad = node.grad if grads is None else grads.get(node, node.grad)
            lines.append(f"grad {grad:.4g}")
        ax.text(x, y - 0.12, "\n".join(lines), ha="center", va="center", fontsize=fontsize,
                zorder=3, linespacing=1.3,
                fontweight="bold" if node in current_children else "normal")
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    ax.set_xlim(min(xs) - half_w - 0.15, max(xs) + half_w + 0.15)
    ax.set_ylim(min(ys) - half_h - 0.45, max(ys) + half_h + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")


def graph_figure(root: Value, highlight: Value | None = None, grads=None, *,
                 title: str = "", show_grads: bool = True, scale: float = 0.6) -> Figure:
    """A figure holding ``draw_graph(...)``, sized to the graph (``scale`` inches per unit)."""
    position = graph_layout(root)
    xs = [p[0] for p in position.values()]
    ys = [p[1] for p in position.values()]
    width = max(xs) - min(xs) + BOX_WIDTH + 0.3
    height = max(ys) - min(ys) + BOX_HEIGHT + 0.9
    top = 0.4 if title else 0.0  # inches for the title
    # A fixed layout: constrained layout would slow down every widget redraw.
    fig = Figure(figsize=(scale * width, scale * height + top))
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1 - top / (scale * height + top))
    ax = fig.add_subplot()
    draw_graph(ax, root, highlight, grads, show_grads=show_grads)
    if title:
        fig.suptitle(title, y=1 - 0.12 / (scale * height + top), va="top")
    return fig


# ---------------------------------------------------------------------------------------
# Chapter 3: the network drawing of the δ-explorer, and a look at a classifier's mistakes
# ---------------------------------------------------------------------------------------

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
        raise ValueError("draw_network draws networks with exactly one hidden layer.")
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


# ---------------------------------------------------------------------------------------
# Chapter 4 (book/04-gradient-descent.md): optimizers on 2-D loss surfaces
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# Chapter 5 (book/05-vanishing-exploding.md): gradient norms per layer, training curves
# ---------------------------------------------------------------------------------------

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
