"""Figures of chapter 2 (``book/02-chain-rule.md``): computation graphs, a box per node and
an arrow per edge, with one backward step highlighted."""

from __future__ import annotations

from collections import Counter

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..autograd import Value, topological_order

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
