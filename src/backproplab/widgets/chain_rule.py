"""The demo of chapter 2 (``book/02-chain-rule.md``): ``BackwardStepper``, the backward
pass of a small computation graph one node at a time."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as ipw

from ..autograd import (
    Value,
    backward_steps,
    name_of,
    neuron_loss,
    nodes_by_label,
    square_loss,
    topological_order,
    two_paths,
)
from ..i18n import N_
from ..i18n import gettext as _
from ..plotting.chain_rule import graph_figure
from .common import Demo

#: The graphs the backward stepper offers, by the name shown in its menu (chapter 2; the
#: menu shows the name in the reader's language, ``backproplab.i18n``).
EXAMPLE_GRAPHS: dict[str, Callable[[], Value]] = {
    "J = (2 + 3w)²": square_loss,
    N_("neuron: J = (σ(w·x + b) − y)²"): neuron_loss,
    N_("two paths: J = w·(w + 1)"): two_paths,
}


def _partial(of: str, node: Value) -> str:
    """``∂J/∂w`` for a labelled node ``w``, ``∂J/∂(constant 3)`` for a constant."""
    return f"∂{of}/∂{node.label}" if node.label else f"∂{of}/∂({_what(node)})"


def _what(node: Value) -> str:
    if node.label:
        return node.label
    if not node.children:
        return _("constant {value:g}").format(value=node.data)
    return _("node {name}").format(name=name_of(node))


class BackwardStepper(Demo):
    """Step through the backward pass of a small graph, one node at a time (chapter 2).

    Step 0 is the seed, dJ/dJ = 1. Step k shows the graph just after the k-th node of the
    backward pass has passed its grad on (eq-chain-local): that node in orange, each edge
    to a child labelled with its local derivative, and a readout of
    ``∂J/∂child += local derivative × upstream gradient`` in numbers. Drive it with the
    ``step`` slider or the ``prev``, ``next`` and ``reset`` buttons (``.click()`` in code);
    ``grads`` is every node's grad at the current step.
    """

    def __init__(self, graph: str = "J = (2 + 3w)²", step: int = 0):
        if graph not in EXAMPLE_GRAPHS:
            raise ValueError(_("unknown graph {graph!r}; choose one of {choices}.").format(
                graph=graph, choices=list(EXAMPLE_GRAPHS)))
        self.graph = ipw.Dropdown(options=[(_(name), name) for name in EXAMPLE_GRAPHS],
                                  value=graph, description=_("graph"),
                                  layout=ipw.Layout(width="330px"))
        self.step = ipw.IntSlider(value=0, min=0, max=1, description=_("step"),
                                  continuous_update=False)
        self.prev = ipw.Button(description=_("◀ Prev"), layout=ipw.Layout(width="80px"))
        self.next = ipw.Button(description=_("Next ▶"), layout=ipw.Layout(width="80px"))
        self.reset = ipw.Button(description=_("Reset"), layout=ipw.Layout(width="80px"))
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="900px"))
        self.readout = ipw.HTML()
        self._quiet = False
        self._build()
        if not (isinstance(step, int) and 0 <= step <= self.step.max):
            raise ValueError(_("step must be a whole number from 0 to {last} for "
                               "the graph {graph!r}; got {step!r}.").format(
                last=self.step.max, graph=graph, step=step))
        self.step.value = step
        self.graph.observe(self._select_graph, names="value")
        self.step.observe(self.update, names="value")
        self.prev.on_click(lambda _: self._go(self.step.value - 1))
        self.next.on_click(lambda _: self._go(self.step.value + 1))
        self.reset.on_click(lambda _: self._go(0))
        self.widget = ipw.VBox([ipw.HBox([self.graph, self.step]),
                                ipw.HBox([self.prev, self.next, self.reset]),
                                self.image, self.readout])
        self.update()

    def _build(self) -> None:
        """Build the chosen graph and record its backward pass."""
        self.root = EXAMPLE_GRAPHS[self.graph.value]()
        self.steps = backward_steps(self.root)
        self.step.max = len(self.steps)

    def _select_graph(self, change=None) -> None:
        self._quiet = True  # one redraw for the new graph, not one per control it resets
        try:
            self.step.value = 0
            self._build()
        finally:
            self._quiet = False
        self.update()

    def _go(self, step: int) -> None:
        self.step.value = min(max(step, 0), self.step.max)

    def update(self, change=None) -> None:
        """Show the current step: the graph with its grads so far, and the readout."""
        if self._quiet:
            return
        k, n = self.step.value, len(self.steps)
        if k == 0:
            self.current = None
            self.grads = {node: float(node is self.root) for node in topological_order(self.root)}
        else:
            self.current = self.steps[k - 1]
            self.grads = dict(self.current.grads)
        self.prev.disabled, self.next.disabled = k == 0, k == n
        self.show(graph_figure(self.root, self.current.node if self.current else None,
                               self.grads, title=f"{self.graph.value}   —   step {k} of {n}"))
        self.readout.value = self._readout()

    def grads_by_label(self) -> dict[str, float]:
        """The grads at the current step of the labelled nodes, by label."""
        return {label: self.grads[node] for label, node in nodes_by_label(self.root).items()}

    def _readout(self) -> str:
        k, n = self.step.value, len(self.steps)
        if self.current is None:
            return _("<p><b>Step 0 of {n}: the seed.</b> Every grad starts at 0, except "
                     "∂J/∂J = 1 (J changes one for one with itself). Press <i>Next</i>: "
                     "J passes its grad on to its children.</p>").format(n=n)
        step = self.current
        before = self.steps[k - 2].grads if k > 1 else {self.root: 1.0}
        node = html.escape(_what(step.node))
        lines = []
        for child, local, added in zip(step.children, step.local_grads, step.added):
            lines.append(
                f"<li>{_partial('J', child)} += {_partial(node, child)} × "
                f"{_partial('J', step.node)} = {local:.4g} × {step.upstream:.4g} = "
                f"<b>{added:.4g}</b> &nbsp;→ {before.get(child, 0.0):.4g} + {added:.4g} = "
                f"{self.grads[child]:.4g}</li>")
        text = _("<p><b>Step {k} of {n}: node {node} ({op})</b> passes on its upstream "
                 "gradient {partial} = {upstream:.4g}, complete because every node that uses "
                 "{node} has already passed its grad to it. Each child gets local derivative × "
                 "upstream gradient <i>added</i> to its grad:</p><ul>{lines}</ul>").format(
            k=k, n=n, node=node, op=html.escape(step.node.op),
            partial=_partial("J", step.node), upstream=step.upstream, lines="".join(lines))
        if k == n:
            inputs = [f"{_partial('J', v)} = {self.grads[v]:.4g}"
                      for v in topological_order(self.root) if v.label and not v.children]
            text += _("<p><b>Done:</b> {grads}.</p>").format(grads=", ".join(inputs))
        return text

    def __repr__(self) -> str:
        return f"BackwardStepper(graph={self.graph.value!r}, step={self.step.value})"
