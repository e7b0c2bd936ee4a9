"""Forward-mode differentiation on a graph of Values: one sweep per input.

Chapter 2 of the book, ``book/02-chain-rule.md`` (section "Forward mode and reverse mode",
equation ``eq-forward-mode``). ``backproplab.autograd``'s ``backward`` is reverse mode: one
sweep from the loss J back to the inputs gives dJ/d(every node). Forward mode runs the
chain rule the other way: give the inputs a *tangent* (how fast each moves, ẋ), visit the
nodes from the inputs to J, and give each node the tangent ṅ = Σ_c (∂n/∂c) ċ, the local
derivatives (the same ``local_grads`` that ``backward`` uses) times the children's
tangents. One sweep gives J's rate of change in *one* direction (a Jacobian-vector
product); the gradient with respect to n inputs needs n sweeps, one per input. Dual
numbers do the same sweep alongside the forward pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backproplab.autograd import Value, topological_order
from backproplab.i18n import gettext as _


def directional_derivative(root: Value, tangents: Mapping[Value, float]) -> float:
    """J's rate of change when the inputs move at the rates ``tangents`` (eq-forward-mode).

    ``tangents`` maps leaves of ``root``'s graph to their tangents ẋ; every other leaf
    (constants, inputs not named) has tangent 0. One sweep over the nodes, from the inputs
    to ``root``, each node getting ṅ = Σ_c local derivative × ċ. Returns J's tangent,
    Σ_x (dJ/dx) ẋ. Leaves every node's ``grad`` as it was.
    """
    order = topological_order(root)
    _check_tangents(tangents, set(order))
    dot: dict[Value, float] = {}
    for node in order:
        if node.children:
            dot[node] = sum(local * dot[child]
                            for child, local in zip(node.children, node.local_grads))
        else:
            dot[node] = float(tangents.get(node, 0.0))
    return dot[root]


def forward_mode_gradient(root: Value, inputs: Iterable[Value]) -> list[float]:
    """dJ/dx for each leaf x of ``inputs``, by forward mode: one sweep per input.

    The sweep for x gives x the tangent 1 and every other leaf 0, so J's tangent is dJ/dx.
    For n inputs that is n sweeps over the graph, where ``root.backward()`` needs one.
    """
    return [directional_derivative(root, {x: 1.0}) for x in inputs]


def _check_tangents(tangents, nodes: set) -> None:
    if not isinstance(tangents, Mapping):
        raise TypeError(_("tangents must be a dict {{leaf Value: its tangent}}, such as "
                          "{{w: 1.0}}; got a {type}.").format(type=type(tangents).__name__))
    for leaf, rate in tangents.items():
        if not isinstance(leaf, Value) or leaf.children or leaf not in nodes:
            raise ValueError(_("tangents may only name leaves (inputs) of this graph, but "
                               "{leaf!r} is not one: give tangents to the Values the graph "
                               "was built from.").format(leaf=leaf))
        if isinstance(rate, (bool, Value)) or not isinstance(rate, (int, float)):
            raise TypeError(_("the tangent of {leaf!r} must be a plain number such as 1.0; "
                              "got {rate!r}.").format(leaf=leaf, rate=rate))
