"""Scalar reverse-mode automatic differentiation: the chain rule on a computation graph.

Chapter 2 of the book, ``book/02-chain-rule.md``. Equation labels in the docstrings
(``eq-chain-rule`` and so on) are the labels of that chapter.

A ``Value`` is one node of a computation graph: a number (``data``), the derivative of the
final result with respect to it (``grad``, filled in by ``backward``), the nodes it was
computed from (its ``children``) and, for each child, the *local derivative* of this node
with respect to that child (``local_grads``). Every operation computes its local
derivatives right next to its forward value, so both halves of the chain rule are read in
one place; ``backward`` then multiplies them together from the result back to the inputs
(reverse mode). Scalars only, in the spirit of micrograd: later chapters do the same with
arrays.

Nothing here is global: a graph is the set of Values reachable from its result.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.validation import input_array, rows_array


def _number(x, what: str) -> float:
    """``x`` as a finite float, or an error that says what ``what`` needed instead."""
    if isinstance(x, Value):
        raise TypeError(_("{what} needs a plain number here, but got the node {x!r}; "
                          "use its number x.data, or combine Values with + - * / instead.")
                        .format(what=_(what), x=x))
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(_("{what} needs a number such as 3.0, not the truth value {x!r}.")
                        .format(what=_(what), x=x))
    if isinstance(x, (str, bytes)):
        raise TypeError(_("{what} needs a number such as 3.0, not the string {x!r}; "
                          "convert it first, e.g. float({x!r}).").format(what=_(what), x=x))
    if isinstance(x, np.ndarray):
        if x.ndim != 0:
            raise TypeError(_("{what} holds one number, but got an array of shape {shape}; "
                              "make one Value per entry, e.g. [Value(v) for v in "
                              "array.ravel()].").format(what=_(what), shape=x.shape))
        x = x.item()
    if isinstance(x, (list, tuple, set, dict)):
        raise TypeError(_("{what} holds one number, but got a {type} of {n} items; make one "
                          "Value per number.").format(what=_(what), type=type(x).__name__,
                                                      n=len(x)))
    if isinstance(x, numbers.Complex) and not isinstance(x, numbers.Real):
        raise TypeError(_("{what} needs a real number, but got the complex number {x!r}.")
                        .format(what=_(what), x=x))
    try:
        value = float(x)
    except (TypeError, ValueError):
        raise TypeError(_("{what} needs a real number such as 3.0, but got a {type}: {x!r}.")
                        .format(what=_(what), type=type(x).__name__, x=x)) from None
    if not math.isfinite(value):
        raise ValueError(_("{what} needs a finite number, but got {value}.").format(
            what=_(what), value=value))
    return value


def _as_value(x) -> Value:
    """``x`` itself if it is a Value, else a constant leaf holding the number ``x``."""
    return x if isinstance(x, Value) else Value(_number(x, N_("a constant in an expression")))


class Value:
    """One node of a computation graph: a number, its gradient and its local derivatives.

    ``Value(3.0, label="w")`` is an input (a leaf of the graph). Arithmetic on Values
    (``+ - * /``, ``** number``, unary ``-``) and the methods ``exp``, ``log``, ``tanh``,
    ``sigmoid`` and ``relu`` make new nodes; a plain number mixed in becomes a constant leaf
    (no label). After ``J.backward()``, ``node.grad`` is dJ/d(node) for every node of J's
    graph.

    Attributes: ``data`` (the forward value), ``grad`` (dJ/d(this node), 0 until
    ``backward``), ``label`` (a name for tables and drawings, may be ""), ``op`` (the
    operation that made the node, "" for a leaf), ``children`` (the nodes it was made
    from) and ``local_grads`` (d(this node)/d(child), one per child, eq-local-derivative).
    """

    def __init__(self, data, label: str = ""):
        self.data = _number(data, "Value")
        self.grad = 0.0
        self.label = str(label)
        self.op = ""
        self.children: tuple[Value, ...] = ()
        self.local_grads: tuple[float, ...] = ()

    @classmethod
    def _result(cls, data: float, op: str, children: tuple, local_grads: tuple) -> Value:
        """A new node ``op(*children)`` with forward value ``data`` and its local derivatives."""
        if not all(map(math.isfinite, (data, *local_grads))):
            inputs = ", ".join(f"{c.data:.6g}" for c in children)
            raise ValueError(_("{op} of ({inputs}) is too large for a float (its value or "
                               "its derivative is not a finite number): use smaller inputs.")
                             .format(op=op, inputs=inputs))
        out = cls(data)
        out.op = op
        out.children = children
        out.local_grads = tuple(float(g) for g in local_grads)
        return out

    # ---- operations: forward value and local derivatives side by side (eq-local-derivative)

    def __add__(self, other) -> Value:
        other = _as_value(other)
        # d(x + y)/dx = 1, d(x + y)/dy = 1
        return Value._result(self.data + other.data, "+", (self, other), (1.0, 1.0))

    def __sub__(self, other) -> Value:
        other = _as_value(other)
        # d(x - y)/dx = 1, d(x - y)/dy = -1
        return Value._result(self.data - other.data, "-", (self, other), (1.0, -1.0))

    def __mul__(self, other) -> Value:
        other = _as_value(other)
        # d(x * y)/dx = y, d(x * y)/dy = x
        return Value._result(self.data * other.data, "*", (self, other),
                             (other.data, self.data))

    def __truediv__(self, other) -> Value:
        other = _as_value(other)
        if other.data == 0:
            raise ZeroDivisionError(_("division by zero in {x} / {y}: the divisor is 0.")
                                    .format(x=_described(self), y=_described(other)))
        # d(x / y)/dx = 1/y, d(x / y)/dy = -x/y²
        return Value._result(self.data / other.data, "/", (self, other),
                             (1 / other.data, -self.data / other.data ** 2))

    def __pow__(self, n) -> Value:
        if isinstance(n, Value):
            raise TypeError(_("the exponent of ** must be a plain number such as 2; for a "
                              "Value v as exponent write (v * x.log()).exp()."))
        n = _number(n, N_("the exponent of **"))
        x = self.data
        if x == 0 and n < 1 and n != 0:
            raise ValueError(_("{x} ** {n:g} has no finite derivative at a base of 0: keep "
                               "the base away from 0.").format(x=_described(self), n=n))
        if x < 0 and not n.is_integer():
            raise ValueError(_("{x} ** {n:g} is not a real number for a negative base: use a "
                               "whole exponent or a positive base.").format(
                x=_described(self), n=n))
        exponent = str(int(n)) if n.is_integer() else repr(n)
        try:
            # d(x**n)/dx = n x**(n-1)
            return Value._result(x ** n, f"**{exponent}", (self,),
                                 (n * x ** (n - 1) if n != 0 else 0.0,))
        except OverflowError:
            raise ValueError(_("{x} ** {n:g} is too large for a float: use a smaller base or "
                               "exponent.").format(x=_described(self), n=n)) from None

    def __neg__(self) -> Value:
        # d(-x)/dx = -1
        return Value._result(-self.data, "neg", (self,), (-1.0,))

    def exp(self) -> Value:
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise ValueError(_("exp({x:g}) is too large for a float (the limit is about "
                               "exp(709)): use a smaller input.").format(x=self.data)) from None
        # d(e**x)/dx = e**x
        return Value._result(e, "exp", (self,), (e,))

    def log(self) -> Value:
        x = self.data
        if x <= 0:
            raise ValueError(_("log needs a positive input, but got {x}.").format(
                x=_described(self)))
        # d(log x)/dx = 1/x
        return Value._result(math.log(x), "log", (self,), (1 / x,))

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        # d(tanh x)/dx = 1 - tanh(x)²
        return Value._result(t, "tanh", (self,), (1 - t * t,))

    def sigmoid(self) -> Value:
        x = self.data
        if x >= 0:  # two forms of 1/(1 + e**-x): exp never overflows
            s = 1 / (1 + math.exp(-x))
        else:
            s = math.exp(x) / (1 + math.exp(x))
        # dσ/dx = σ(x)(1 - σ(x))
        return Value._result(s, "sigmoid", (self,), (s * (1 - s),))

    def relu(self) -> Value:
        x = self.data
        # d relu(x)/dx = 1 for x > 0, else 0 (the convention at 0)
        return Value._result(max(x, 0.0), "relu", (self,), (1.0 if x > 0 else 0.0,))

    # ---- a plain number on the left: 2 + w, 2 - w, 3 * w, 1 / w

    def __radd__(self, other) -> Value:
        return _as_value(other) + self

    def __rsub__(self, other) -> Value:
        return _as_value(other) - self

    def __rmul__(self, other) -> Value:
        return _as_value(other) * self

    def __rtruediv__(self, other) -> Value:
        return _as_value(other) / self

    def __rpow__(self, other):
        raise TypeError(_("a Value as an exponent (number ** Value) is not supported; "
                          "write it with exp and log: (v * math.log(number)).exp()."))

    # ---- the backward pass

    def _backward(self) -> None:
        """This node's step of the backward pass: the chain rule, per child.

        When it runs, ``self.grad`` = dJ/d(self) is complete. Each child gets
        local derivative × ``self.grad`` *added* to its grad
        (eq-chain-local): a child that feeds several nodes collects one term
        from each (eq-multivariate-chain).
        """
        for child, local in zip(self.children, self.local_grads):
            child.grad += local * self.grad

    def backward(self, on_step: Callable[[Value], None] | None = None):
        """Set ``grad`` of every node of this graph to dJ/d(node), J = self.

        Reverse-mode accumulation (eq-reverse-mode): reset every grad to 0,
        seed dJ/dJ = 1, then visit the nodes from J back to the inputs, each
        only after all the nodes that use it, and let each pass its grad on
        to its children. Calling ``backward`` again gives the same grads
        (they are reset, not added to). ``on_step(node)``, if given, is
        called after each node's step (``backward_steps`` records with it).
        """
        if on_step is not None and not callable(on_step):
            raise TypeError(_("on_step must be a function of one node, or None; "
                              "got {on_step!r}.").format(on_step=on_step))
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()
            if on_step is not None:
                on_step(node)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{label}{op})"


def _check_root(root, what: str) -> Value:
    if isinstance(root, Value):
        return root
    if isinstance(root, (list, tuple, np.ndarray)):
        raise TypeError(_("{what} needs one scalar Value (the loss J), but got a {type} of "
                          "{n} items; combine them into one number first, e.g. sum(values), "
                          "and start from that.").format(what=what, type=type(root).__name__,
                                                         n=len(root)))
    raise TypeError(_("{what} needs a Value (the loss J), but got a {type}: {root!r}.").format(
        what=what, type=type(root).__name__, root=root))


def topological_order(root: Value) -> list[Value]:
    """Every node of ``root``'s graph once, each after all of its children.

    Inputs come first, ``root`` last; reversed, it is the order of the backward
    pass. Depth-first, without recursion: a deep graph cannot hit Python's
    recursion limit.
    """
    root = _check_root(root, "topological_order")
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children))
    return order


def name_of(node: Value) -> str:
    """How tables and drawings name a node: its label, its number (a constant) or its op."""
    if node.label:
        return node.label
    return f"{node.data:g}" if not node.children else f"({node.op})"


def _described(node: Value) -> str:
    """A node for error messages: ``z (= -1)``, or just ``-1`` without a label."""
    return f"{node.label} (= {node.data:g})" if node.label else f"{node.data:g}"


def nodes_by_label(root: Value) -> dict[str, Value]:
    """The labelled nodes of ``root``'s graph by label (``nodes["w"].grad``)."""
    nodes: dict[str, Value] = {}
    for node in topological_order(root):
        if node.label in nodes:
            raise ValueError(_("two nodes of the graph are labelled {label!r}; "
                               "give each node its own label.").format(label=node.label))
        if node.label:
            nodes[node.label] = node
    return nodes


@dataclass(frozen=True, eq=False)
class BackwardStep:
    """One node's step of the backward pass (eq-chain-local), as ``backward_steps`` saw it.

    ``upstream`` is dJ/d(node), complete when the step ran; for each child, the step added
    ``added[i] = local_grads[i] * upstream`` to ``children[i].grad``. ``grads`` holds every
    node's grad just after the step.
    """

    node: Value
    upstream: float
    children: tuple[Value, ...]
    local_grads: tuple[float, ...]
    added: tuple[float, ...]
    grads: dict[Value, float]


def backward_steps(root: Value) -> list[BackwardStep]:
    """Run ``root.backward()`` and record its steps, one per node that has children.

    For the tables and the widget of chapter 2. It *is* ``root.backward()``, watched, so it
    leaves the same grads. Before the first step, every grad is 0 except dJ/dJ = 1.
    """
    root = _check_root(root, "backward_steps")
    order = topological_order(root)
    steps: list[BackwardStep] = []

    def record(node: Value) -> None:
        if node.children:
            steps.append(BackwardStep(
                node, node.grad, node.children, node.local_grads,
                tuple(local * node.grad for local in node.local_grads),
                {n: n.grad for n in order}))

    root.backward(on_step=record)
    return steps


def steps_table(steps: list[BackwardStep]) -> str:
    """``backward_steps`` as a text table: one row per edge, what a node passes on.

    Columns: the step, its node and upstream gradient dJ/d(node), the child, the
    local derivative d(node)/d(child), the product added to the child's grad, and
    the child's grad after the step.
    """
    rows = [f"{'step':>4}  {'node':5} {'dJ/dnode':>9}  {'child':6} {'local':>8} "
            f"{'added':>9}  {'child grad now':>14}"]
    for k, step in enumerate(steps, start=1):
        for child, local, added in zip(step.children, step.local_grads, step.added):
            rows.append(f"{k:>4}  {name_of(step.node):5} {step.upstream:9.4g}  "
                        f"{name_of(child):6} {local:8.4g} {added:9.4g}  "
                        f"{step.grads[child]:14.4g}")
    return "\n".join(rows)


# ---- the chapter's example graphs, every node labelled --------------------------------

def square_loss(w: float = 1.0) -> Value:
    """(2 + 3w)² as the graph u = 3w, s = 2 + u, J = s² (eq-square-chain)."""
    w = Value(w, label="w")
    u = 3 * w
    u.label = "u"
    s = 2 + u
    s.label = "s"
    J = s ** 2
    J.label = "J"
    return J


def neuron_loss(x: float = 1.5, w: float = 0.8, b: float = -0.5,
                y: float = 1.0) -> Value:
    """One sigmoid neuron and its squared error as a graph (eq-neuron-chain).

    p = w·x, z = p + b, a = σ(z), e = a − y, J = e², with input x, weight w,
    bias b and target y.
    """
    x, w, b, y = Value(x, "x"), Value(w, "w"), Value(b, "b"), Value(y, "y")
    p = w * x
    p.label = "p"
    z = p + b
    z.label = "z"
    a = z.sigmoid()
    a.label = "a"
    e = a - y
    e.label = "e"
    J = e ** 2
    J.label = "J"
    return J


def two_paths(w: float = 2.0) -> Value:
    """J = w·(w + 1) as a graph: w feeds two nodes, v = w + 1 and J = w·v.

    Its dJ/dw is a sum of two terms, one per node that uses w
    (eq-multivariate-chain).
    """
    w = Value(w, label="w")
    v = w + 1
    v.label = "v"
    J = w * v
    J.label = "J"
    return J


def gate_patterns(x: float = 3.0, y: float = -4.0, z: float = 2.0,
                  w: float = -1.0) -> Value:
    """J = 2·(x·y + max(z, w)) as a graph: the three patterns of the backward flow.

    The add node s = p + m passes its gradient unchanged to both inputs, the multiply node
    p = x·y passes each input the other one times its gradient, and the max m = max(z, w)
    passes all of it to the larger input (CS231n's example). ``Value`` has no max of two
    nodes: m is built as relu(z − w) + w, which is z where z > w and w elsewhere. Nodes:
    p = x·y, d = z − w, r = relu(d), m = r + w, s = p + m, J = 2·s.
    """
    x, y, z, w = Value(x, "x"), Value(y, "y"), Value(z, "z"), Value(w, "w")
    p = x * y
    p.label = "p"
    d = z - w
    d.label = "d"
    r = d.relu()
    r.label = "r"
    m = r + w
    m.label = "m"
    s = p + m
    s.label = "s"
    J = 2 * s
    J.label = "J"
    return J


# ---- a multilayer perceptron as a graph of scalars (bridge to chapter 3) -----------------

HIDDEN_OPS = ("tanh", "sigmoid", "relu", "identity")


class MLPGraph(NamedTuple):
    """A network built from Values by ``mlp_graph``: its loss node and its parameter leaves.

    ``W[l - 1][i][j]`` is the leaf of weight W^l_ij (labelled ``"W1[0,2]"`` and so on) and
    ``b[l - 1][j]`` that of bias b^l_j, the layout of ``backproplab.mlp``'s params.
    """

    J: Value
    W: list[list[list[Value]]]
    b: list[list[Value]]

    def inputs(self) -> list[Value]:
        """Every weight and bias leaf, layer by layer (W row by row, then b)."""
        return [leaf for W_l, b_l in zip(self.W, self.b)
                for leaf in [v for row in W_l for v in row] + list(b_l)]

    def grads(self) -> list[dict[str, np.ndarray]]:
        """The leaves' ``grad`` as arrays: ``grads[l - 1] = {"W": (n_(l−1), n_l), "b": (n_l,)}``,
        the layout of ``backproplab.mlp.backward``. Call ``J.backward()`` first."""
        return [{"W": np.array([[v.grad for v in row] for row in W_l]),
                 "b": np.array([v.grad for v in b_l])} for W_l, b_l in zip(self.W, self.b)]


def mlp_graph(params, X, y, hidden: str = "tanh") -> MLPGraph:
    """The network of ``backproplab.mlp`` and its loss, built from scalar Values.

    ``params`` are mlp's layers ``{"W": (n_(l−1), n_l), "b": (n_l,)}`` (copied into leaves:
    the arrays are not changed), ``X`` is (batch m, n_0) and ``y`` (m, n_L). Every neuron of
    every sample is its own chain of nodes, z_j = b_j + Σ_i a_i·W_ij and a_j = f(z_j), with
    the activation ``hidden`` (one of ``HIDDEN_OPS``) in the hidden layers, an identity
    output, and mlp's "mse" loss J = 1/(2m) Σ (ŷ − y)². So ``J.backward()`` gives the
    gradients that ``backproplab.mlp.loss_and_gradients(params, X, y, hidden, "identity",
    "mse")`` computes with matrices.
    """
    if hidden not in HIDDEN_OPS:
        raise ValueError(_("hidden must be one of {ops} (the activations Value has), "
                           "got {hidden!r}.").format(ops=HIDDEN_OPS, hidden=hidden))
    X = input_array(X, params)
    y = rows_array(y, "y", "(batch, n_outputs)")
    n_out = params[-1]["W"].shape[1]
    if y.shape != (X.shape[0], n_out):
        raise ValueError(_("y must have shape {shape}, one row of {n_out} "
                           "targets per row of X; got {got}.").format(
            shape=(X.shape[0], n_out), n_out=n_out, got=y.shape))
    W = [[[Value(W_l[i, j], f"W{l}[{i},{j}]") for j in range(W_l.shape[1])]
          for i in range(W_l.shape[0])] for l, W_l in enumerate((p["W"] for p in params), 1)]
    b = [[Value(b_l[j], f"b{l}[{j}]") for j in range(len(b_l))]
         for l, b_l in enumerate((p["b"] for p in params), 1)]
    squares = []
    for x_row, y_row in zip(X, y):
        a = [Value(x_i) for x_i in x_row]
        for l in range(len(params)):
            z = [_weighted_sum(a, [row[j] for row in W[l]], b[l][j]) for j in range(len(b[l]))]
            last = l == len(params) - 1
            a = z if last or hidden == "identity" else [getattr(z_j, hidden)() for z_j in z]
        squares += [(a_j - y_j) ** 2 for a_j, y_j in zip(a, y_row)]
    J = _sum(squares) * (1 / (2 * X.shape[0]))
    J.label = "J"
    return MLPGraph(J, W, b)


def _weighted_sum(a: list[Value], w: list[Value], b: Value) -> Value:
    """z = b + a_1·w_1 + a_2·w_2 + …, one node per product and per sum."""
    z = b
    for a_i, w_i in zip(a, w):
        z = z + a_i * w_i
    return z


def _sum(terms: list[Value]) -> Value:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


# ---- the graph as a formula, to check grads against SymPy ------------------------------

def to_sympy(root: Value, inputs: Iterable[Value]):
    """The formula of ``root``'s graph as a SymPy expression.

    Each Value of ``inputs`` becomes the SymPy symbol named by its label; every other leaf
    becomes its number (as an exact rational). ``sp.diff`` of the result is the exact
    derivative that ``backward`` must match.
    """
    import sympy as sp

    root = _check_root(root, "to_sympy")
    symbols = {}
    for node in inputs:
        if not isinstance(node, Value) or node.children or not node.label:
            raise ValueError(_("inputs must be labelled leaves of the graph (such as "
                               "Value(3.0, label='w')); got {node!r}.").format(node=node))
        symbols[node] = sp.Symbol(node.label)
    functions = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: a / b, "neg": lambda a: -a, "exp": sp.exp, "log": sp.log,
        "tanh": sp.tanh, "sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
        "relu": lambda a: sp.Max(a, 0),
    }
    exprs = {}
    for node in topological_order(root):
        if node in symbols:
            exprs[node] = symbols[node]
        elif not node.children:
            exprs[node] = sp.nsimplify(node.data, rational=True)
        elif node.op.startswith("**"):
            exprs[node] = exprs[node.children[0]] ** sp.Rational(node.op[2:])
        else:
            exprs[node] = functions[node.op](*(exprs[child] for child in node.children))
    return exprs[root]


class ValueGraphCodec:
    """A graph of Values as plain data and back: the codec an autograder uses to carry a
    student's graph between two processes (``wire_codec``; Backprop Lab's grader loads it by
    name, ``c.SandboxedExecute.codecs = ["backproplab.autograd:wire_codec"]``).

    ``fields`` gives a node's own numbers and strings (``data``, ``grad``, ``label``, ``op``,
    ``local_grads``); ``build`` makes a node from such fields and its already built
    children, and accepts only finite floats (a gradient may be infinite), so that what it
    returns is an ordinary Value whatever the data came from. ``grad`` is the one field that
    changes on a node the other side already has (``state_fields``, ``update``).
    """

    tag = "graph"
    type = Value
    state_fields = ("grad",)

    @staticmethod
    def nodes(root: Value) -> list[Value]:
        return topological_order(root)

    @staticmethod
    def children(node: Value) -> tuple[Value, ...]:
        return node.children

    @staticmethod
    def fields(node: Value) -> dict:
        return {"data": node.data, "grad": node.grad, "label": node.label, "op": node.op,
                "local_grads": list(node.local_grads)}

    @staticmethod
    def build(fields: dict, children: tuple[Value, ...]) -> Value:
        grads = fields.get("local_grads", [])
        if type(grads) is not list or len(grads) != len(children):
            raise ValueError("a node needs one local gradient per child")
        node = Value(_plain_float(fields["data"]), label=str(fields.get("label", "")))
        node.op = str(fields.get("op", ""))
        node.children = tuple(children)
        node.local_grads = tuple(_plain_float(g) for g in grads)
        ValueGraphCodec.update(node, fields)
        return node

    @staticmethod
    def update(node: Value, fields: dict) -> None:
        node.grad = _plain_float(fields.get("grad", 0.0), allow_inf=True)


def _plain_float(x, allow_inf: bool = False) -> float:
    """``x`` (an int or a float, nothing else) as a float; finite unless ``allow_inf``."""
    if type(x) not in (int, float):
        raise ValueError("a graph number that is not a number")
    x = float(x)
    if not allow_inf and not math.isfinite(x):
        raise ValueError("a graph number that is not finite")
    return x


wire_codec = ValueGraphCodec()
