"""How long the derivative explorer of chapter 1 takes to answer a slider move.

``backproplab.widgets.derivatives.DerivativeExplorer`` redraws synchronously in the observer of its
controls, so the time of ``explorer.w.value = ...`` is the time a student waits (in the
kernel; the browser then receives and shows a PNG). The benchmark sets the controls through
every function of the menu and the extremes of both sliders, times each update, and times
in the same run what an update is made of, as a baseline:

- ``nudge(J, w, eps)``: the computation the widget shows, no drawing;
- ``numeric_functions(expr, w)``: SymPy's derivative and ``lambdify``, done on every update;
- ``nudge_figure(...)``: building the figure and its artists, not rendering;
- ``figure_png`` of an empty figure of the same size, and of the full nudge figure.

Run outside a kernel, widget messages go nowhere: the figures are the kernel's share of the
latency. It prints figures only and asserts nothing.

Run: .venv/bin/python benchmarks/widget_latency.py
"""

from __future__ import annotations

import time

import numpy as np
from matplotlib.figure import Figure

from backproplab.derivatives import nudge, numeric_functions
from backproplab.plotting.common import figure_png
from backproplab.plotting.derivatives import nudge_figure
from backproplab.widgets.derivatives import EXAMPLE_FUNCTIONS, DerivativeExplorer, w_symbol

W_VALUES = [-3.0, -1.5, 0.0, 1.5, 3.0]  # the w slider's min, middle values and max
EPS_EXPONENTS = [-3.0, -2.0, -1.0, 0.0, 0.2]  # log10 of eps: the ε slider's min to max


def schedule(explorer: DerivativeExplorer) -> list[tuple[str, object]]:
    """The control changes to time: for each function, select it, then move w and ε in
    turn through their extremes. Every step changes a value, so every step redraws."""
    steps = []
    for name in EXAMPLE_FUNCTIONS:
        steps.append(("function", name))
        for w, exponent in zip(W_VALUES, EPS_EXPONENTS):
            steps += [("w", w), ("eps", float(10 ** exponent))]
    # The explorer starts at function "w²", w = 3, eps = 0.5: the first step must differ.
    if steps[0] == ("function", explorer.function.value):
        steps.append(steps.pop(0))
    return steps


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1e3


def summary(label: str, ms: list[float]) -> str:
    ms_array = np.asarray(ms)
    return (f"{label:44} {len(ms):4d} {np.median(ms_array):9.2f} "
            f"{np.percentile(ms_array, 90):9.2f} {ms_array.max():9.2f}")


def main() -> None:
    start = time.perf_counter()
    explorer = DerivativeExplorer(function="w²", w=3.0, eps=0.5)
    construct_ms = (time.perf_counter() - start) * 1e3

    redraws = []  # one entry per redraw, from an observer added after the explorer's own
    for control in (explorer.function, explorer.w, explorer.eps):
        control.observe(lambda change: redraws.append(change["name"]), names="value")

    update_ms, states, png_bytes = [], [], []
    for control, value in schedule(explorer):
        widget = getattr(explorer, control)
        previous = len(redraws)
        update_ms.append(timed(lambda: setattr(widget, "value", value)))
        if len(redraws) != previous + 1:
            print(f"note: setting {control} = {value!r} caused {len(redraws) - previous} redraws")
        states.append((explorer.function.value, float(explorer.w.value),
                       float(explorer.eps.value)))
        png_bytes.append(len(explorer.png))

    # Baselines, for the same states as the updates, in the same process.
    functions = {name: numeric_functions(expr, w_symbol) for name, expr in
                 EXAMPLE_FUNCTIONS.items()}
    nudge_ms, lambdify_ms, draw_ms, render_ms = [], [], [], []
    for name, w, eps in states:
        J, dJ = functions[name]
        nudge_ms.append(timed(lambda: nudge(J, w, eps)))
        lambdify_ms.append(timed(lambda: numeric_functions(EXAMPLE_FUNCTIONS[name], w_symbol)))
        result, k = nudge(J, w, eps), float(dJ(w))
        figures = []
        draw_ms.append(timed(lambda: figures.append(nudge_figure(J, result, k))))
        render_ms.append(timed(lambda: figure_png(figures[0])))
    J, dJ = functions["w²"]
    size = nudge_figure(J, nudge(J, 3.0, 0.5), float(dJ(3.0))).get_size_inches()
    empty_ms = []
    for _ in states:
        empty = Figure(figsize=tuple(size))  # the same fixed layout as nudge_figure
        empty.subplots(1, 2)
        empty_ms.append(timed(lambda: figure_png(empty)))

    print(f"DerivativeExplorer: {len(update_ms)} control changes over {len(EXAMPLE_FUNCTIONS)} "
          f"functions, w in [{W_VALUES[0]}, {W_VALUES[-1]}], "
          f"eps in [1e{EPS_EXPONENTS[0]:.0f}, 10^{EPS_EXPONENTS[-1]}]; "
          f"{len(redraws)} redraws")
    print(f"construction (includes the first draw): {construct_ms:.1f} ms; "
          f"PNG per update: median {np.median(png_bytes) / 1024:.1f} kB "
          f"(sent to the browser in a live kernel)\n")
    print(f"{'ms per call':44} {'n':>4} {'median':>9} {'p90':>9} {'max':>9}")
    print(summary("update (set a control -> new PNG and readout)", update_ms))
    print("baselines, same states:")
    print(summary("  nudge(J, w, eps) only", nudge_ms))
    print(summary("  numeric_functions(expr, w) (SymPy)", lambdify_ms))
    print(summary("  nudge_figure(...) (artists, no render)", draw_ms))
    print(summary("  figure_png(nudge figure)", render_ms))
    print(summary(f"  figure_png(empty {size[0]:g}x{size[1]:g} in, 2 axes)", empty_ms))
    median = float(np.median(update_ms))
    print()
    print(f"update / empty-figure render     = {median / np.median(empty_ms):.1f}x")
    print(f"update / nudge() alone           = {median / np.median(nudge_ms):.0f}x")
    parts = np.median(lambdify_ms) + np.median(draw_ms) + np.median(render_ms)
    print(f"share of the update median: SymPy {np.median(lambdify_ms) / median:.0%}, "
          f"building the figure {np.median(draw_ms) / median:.0%}, "
          f"rendering the PNG {np.median(render_ms) / median:.0%} "
          f"(sum of the parts' medians {parts:.1f} ms vs update median {median:.1f} ms)")


if __name__ == "__main__":
    main()
