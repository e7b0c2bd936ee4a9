"""Homework 2, *The chain rule and computation graphs*: each student's variant.

Goes with chapter 2 (``book/02-chain-rule.md``) and ``solutions/hw02/hw02-chain-rule.ipynb``.
A variant draws, from the student's id, the task of each question:

1. an activation ``a = f(z)`` and a two-input node ``q = g(u, v)`` whose local derivatives
   the student writes in terms of the node's *output* (and given symbols only);
2. a computation graph with an operation ``Value`` lacks (sin, cos or arctan), where one
   node feeds two others and a product, max or min combines them, for a backward pass by
   hand;
3. a new one-to-one operation (ELU, softplus, ISRU, softsign, ...) to add as one ``Value``
   node, with its local derivative also written as a function of the node's output;
4. a neuron ``z = w·x + b``, ``a = f(z)`` with a loss ``J(a, y)``, whose gradients the
   student derives in terms of ``a``, ``y`` and ``x`` (or ``w``).

The methods of ``Variant`` give the *forward* formulas of these tasks (which the visible
tests nudge for gradient checks); no derivative, no answer is computed here.
``check_matches`` is the hidden tests' comparison that never prints the expected value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from backproplab.i18n import gettext as _
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw02"

#: q1 and q4: activations a = f(z) with a steepness k, as (SymPy builder, LaTeX).
ACTIVATIONS = {
    "tanh": (lambda z, k: sp.tanh(k * z), r"a = \tanh({k}\,z)"),
    "sigmoid": (lambda z, k: 1 / (1 + sp.exp(-k * z)), r"a = \sigma({k}\,z) = \dfrac{{1}}{{1 + e^{{-{k}z}}}}"),
    "softplus": (lambda z, k: sp.log(1 + sp.exp(k * z)) / k,
                 r"a = \dfrac{{\log\left(1 + e^{{{k}z}}\right)}}{{{k}}}"),
    "exp": (lambda z, k: sp.exp(k * z), r"a = e^{{{k}z}}"),
    "asinh": (lambda z, k: sp.asinh(k * z), r"a = \operatorname{{arsinh}}({k}\,z)"),
    "atan": (lambda z, k: sp.atan(k * z), r"a = \arctan({k}\,z)"),
}
#: q1 and q4: the steepness k of an activation (and q1: the constant k of a node) is
#: drawn from these 25 values, so two students rarely share one (k = 1 would hide it).
ACTIVATION_KS = tuple(tenths / 10 for tenths in range(5, 31) if tenths != 10)

#: q1: two-input nodes q = g(u, v): (builder, LaTeX, the input to differentiate by,
#: the symbols the answer may use). Every local derivative depends on the drawn constant k,
#: so a student with another node or another k has another answer.
NODES = {
    "div": (lambda u, v, k: u / v ** k, r"q = \dfrac{{u}}{{v^{{{k}}}}}", "v", ("q", "v")),
    "exp_scale": (lambda u, v, k: u * sp.exp(k * v), r"q = u\,e^{{{k}v}}", "v", ("q",)),
    "power": (lambda u, v, k: u ** k * v, r"q = u^{{{k}}}\,v", "u", ("q", "u")),
    "norm": (lambda u, v, k: sp.sqrt(u ** 2 + k * v ** 2), r"q = \sqrt{{u^2 + {k}\,v^2}}",
             "v", ("q", "v")),
    "exp_product": (lambda u, v, k: sp.exp(k * u * v), r"q = e^{{{k}uv}}", "u", ("q", "v")),
    "logsumexp": (lambda u, v, k: sp.log(sp.exp(k * u) + sp.exp(k * v)) / k,
                  r"q = \dfrac{{\log\left(e^{{{k}u}} + e^{{{k}v}}\right)}}{{{k}}}", "u",
                  ("q", "u")),
}
NODE_KS = ACTIVATION_KS

#: q2: the operation of node e = g(d), one that Value lacks and cannot build from its own.
Q2_OPS = {"sin": math.sin, "cos": math.cos, "atan": math.atan}
#: q2: how node m combines e and c: a product, or a max (min) that e wins.
Q2_COMBINE = {"mul": lambda e, c: e * c, "max": max, "min": min}

#: q3: new operations as (forward of a float z and the parameter p, LaTeX, parameters).
#: Each is one-to-one, so its local derivative can be written with its output s alone
#: (as Value.tanh and Value.sigmoid do), which q3 asks for.
OPS = {
    "scaled_sinh": (lambda z, p: p * math.sinh(z / p),
                    r"\operatorname{{ssinh}}(z) = {p}\,\sinh\!\left(\dfrac{{z}}{{{p}}}\right)",
                    (1.0, 2.0, 3.0)),
    "elu": (lambda z, p: z if z > 0 else p * (math.exp(z) - 1),
            r"\operatorname{{elu}}(z) = \begin{{cases}} z & z > 0\\ {p}\,(e^z - 1) & z \le 0\end{{cases}}",
            (0.5, 1.0, 1.5, 2.0)),
    "softplus": (lambda z, p: math.log1p(math.exp(p * z)) / p,
                 r"\operatorname{{softplus}}(z) = \dfrac{{\log\left(1 + e^{{{p}z}}\right)}}{{{p}}}",
                 (0.5, 2.0, 3.0)),
    "isru": (lambda z, p: z / math.sqrt(1 + p * z * z),
             r"\operatorname{{isru}}(z) = \dfrac{{z}}{{\sqrt{{1 + {p}\,z^2}}}}", (0.5, 1.0, 2.0)),
    "softsign": (lambda z, p: z / (p + abs(z)),
                 r"\operatorname{{softsign}}(z) = \dfrac{{z}}{{{p} + |z|}}", (0.5, 1.0, 2.0)),
    "scaled_tanh": (lambda z, p: p * math.tanh(z / p),
                    r"\operatorname{{stanh}}(z) = {p}\,\tanh\!\left(\dfrac{{z}}{{{p}}}\right)",
                    (0.5, 2.0, 3.0)),
    "scaled_asinh": (lambda z, p: p * math.asinh(z / p),
                     r"\operatorname{{sasinh}}(z) = {p}\,\operatorname{{arsinh}}\!\left(\dfrac{{z}}{{{p}}}\right)",
                     (0.5, 2.0, 3.0)),
}

#: q4: losses J(a, y) as (builder, LaTeX). No two are multiples of each other (a squared
#: loss and half of it would make the tasks of steepness k and 2k the same).
LOSSES = {
    "squared": (lambda a, y: (a - y) ** 2, r"J = (a - y)^2"),
    "cauchy": (lambda a, y: sp.log(1 + (a - y) ** 2) / 2,
               r"J = \tfrac12 \log\left(1 + (a - y)^2\right)"),
    "quartic": (lambda a, y: (a - y) ** 4 / 4, r"J = \tfrac14 (a - y)^4"),
    "logcosh": (lambda a, y: sp.log(sp.cosh(a - y)), r"J = \log\cosh(a - y)"),
    "pseudo_huber": (lambda a, y: sp.sqrt(1 + (a - y) ** 2) - 1,
                     r"J = \sqrt{1 + (a - y)^2} - 1"),
    "bce": (lambda a, y: -y * sp.log(a) - (1 - y) * sp.log(1 - a),
            r"J = -y\log a - (1 - y)\log(1 - a)"),
}


def _num(x: float) -> str:
    """A drawn number as the notebook shows it: ``2``, ``0.5``, ``-1.3``."""
    return f"{x:g}"


def _exact(x: float):
    """A drawn number as an exact SymPy number (the drawn numbers are short decimals)."""
    return sp.Rational(str(x))


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's hw02: the activation, node, graph, operation and neuron of q1–q4.

    q1: ``activation`` with steepness ``act_k``; ``node`` with constant ``node_k``.
    q2: c = w·x, d = c + sign·y, e = g(d) (``q2_op``), m = e·c, max(e, c) or min(e, c)
    (``q2_combine``), J = (m − t)², at the inputs ``q2_x``, ``q2_w``, ``q2_y`` and the
    constant ``q2_t``.
    q3: ``op`` with parameter ``op_p``. q4: ``neuron_act`` with ``neuron_k``, ``loss``.
    """

    activation: str = "tanh"
    act_k: float = 2.0
    node: str = "div"
    node_k: float = 2.0
    q2_op: str = "sin"
    q2_combine: str = "mul"
    q2_sign: int = 1
    q2_x: float = 1.0
    q2_w: float = 1.0
    q2_y: float = 1.0
    q2_t: float = 0.0
    op: str = "elu"
    op_p: float = 1.0
    neuron_act: str = "sigmoid"
    neuron_k: float = 1.0
    loss: str = "squared"

    # ---- the forward formulas of the tasks (no derivatives) ---------------------------

    def act(self, z):
        """q1: the activation a = f(z) as a SymPy expression (z a symbol or a number)."""
        return ACTIVATIONS[self.activation][0](sp.sympify(z), _exact(self.act_k))

    def node_output(self, u, v):
        """q1: the node q = g(u, v) as a SymPy expression."""
        return NODES[self.node][0](sp.sympify(u), sp.sympify(v), _exact(self.node_k))

    @property
    def node_input(self) -> str:
        """q1: the input of the node (``"u"`` or ``"v"``) to differentiate by."""
        return NODES[self.node][2]

    @property
    def node_symbols(self) -> tuple[str, ...]:
        """q1: the names of the symbols the node's local derivative may use."""
        return NODES[self.node][3]

    def q2_nodes(self, x: float, w: float, y: float) -> dict[str, float]:
        """q2: the forward values of the graph's nodes for inputs x, w, y."""
        c = w * x
        d = c + self.q2_sign * y
        e = Q2_OPS[self.q2_op](d)
        m = Q2_COMBINE[self.q2_combine](e, c)
        return {"x": x, "w": w, "y": y, "c": c, "d": d, "e": e, "m": m,
                "J": (m - self.q2_t) ** 2}

    def q2_loss(self, x: float, w: float, y: float) -> float:
        """q2: the loss J of the graph as a function of its three inputs."""
        return self.q2_nodes(x, w, y)["J"]

    def op_forward(self, z: float) -> float:
        """q3: the new operation's value at a number z."""
        return float(OPS[self.op][0](float(z), self.op_p))

    def neuron(self, z):
        """q4: the neuron's activation a = f(z) as a SymPy expression."""
        return ACTIVATIONS[self.neuron_act][0](sp.sympify(z), _exact(self.neuron_k))

    def loss_of(self, a, y):
        """q4: the loss J(a, y) as a SymPy expression."""
        return LOSSES[self.loss][0](sp.sympify(a), sp.sympify(y))

    def neuron_loss(self, x: float, w: float, b: float, y: float) -> float:
        """q4: the loss of the neuron as a number, for a gradient check."""
        return float(self.loss_of(self.neuron(sp.Float(w * x + b, 30)), sp.Float(y, 30)))

    # ---- what the student sees ---------------------------------------------------------

    def describe(self) -> str:
        k = _num(self.act_k)
        sign = "+" if self.q2_sign > 0 else "-"
        g = {"sin": r"\sin d", "cos": r"\cos d", "atan": r"\arctan d"}[self.q2_op]
        m = {"mul": r"m = e \cdot c", "max": r"m = \max(e, c)",
             "min": r"m = \min(e, c)"}[self.q2_combine]
        node_latex = NODES[self.node][1].format(k=_num(self.node_k))
        wrt = self.node_input
        allowed = ", ".join(f"`{s}`" for s in self.node_symbols)
        op_latex = OPS[self.op][1].format(p=_num(self.op_p))
        neuron_latex = ACTIVATIONS[self.neuron_act][1].format(k=_num(self.neuron_k))
        return "\n".join([
            super().describe(),
            "",
            _("- **Question 1.** Your activation: ${activation}$. Your node: ${node}$; its "
              "local derivative $\\partial q / \\partial {wrt}$ may use only {allowed}.").format(
                activation=ACTIVATIONS[self.activation][1].format(k=k), node=node_latex,
                wrt=wrt, allowed=allowed),
            _("- **Question 2.** Your graph: $c = w \\cdot x$, $d = c {sign} y$, $e = {g}$, "
              "${m}$, $J = (m - t)^2$, at $x = {x}$, $w = {w}$, $y = {y}$ and the constant "
              "$t = {t}$.").format(sign=sign, g=g, m=m, x=_num(self.q2_x), w=_num(self.q2_w),
                                   y=_num(self.q2_y), t=_num(self.q2_t)),
            _("- **Question 3.** Your new operation (`op = \"{op}\"`): ${latex}$.").format(
                op=self.op, latex=op_latex),
            _("- **Question 4.** Your neuron: $z = w x + b$, ${neuron}$, ${loss}$.").format(
                neuron=neuron_latex, loss=LOSSES[self.loss][1]),
        ])


def _draw_q2(rng: np.random.Generator) -> dict:
    """Inputs of the q2 graph: a max (min) that e wins clearly, slopes of g and a loss away
    from 0, and no factor near 0, so that every edge of the graph matters."""
    op = str(rng.choice(sorted(Q2_OPS)))
    combine = str(rng.choice(sorted(Q2_COMBINE)))
    sign = int(rng.choice([-1, 1]))

    def tenth(lo, hi, away=0.0):
        while True:
            value = int(rng.integers(round(10 * lo), round(10 * hi) + 1)) / 10
            if abs(value) >= away:
                return value

    while True:
        x, w, y, t = tenth(-2, 2, 0.3), tenth(-2, 2, 0.3), tenth(-2, 2, 0.2), tenth(-2, 2)
        c = w * x
        d = c + sign * y
        slope = {"sin": math.cos, "cos": math.sin, "atan": lambda s: 1 / (1 + s * s)}[op](d)
        if abs(slope) < 0.15:
            continue
        e = Q2_OPS[op](d)
        if combine == "max" and e < c + 0.3 or combine == "min" and e > c - 0.3:
            continue
        if combine == "mul" and (abs(e) < 0.2 or abs(c) < 0.2):
            continue
        if abs(Q2_COMBINE[combine](e, c) - t) < 0.3:
            continue
        return {"q2_op": op, "q2_combine": combine, "q2_sign": sign, "q2_x": x, "q2_w": w,
                "q2_y": y, "q2_t": t}


def variant(student_id) -> Variant:
    """The student's variant of hw02, drawn from ``student_rng(student_id, "hw02")``."""
    rng = student_rng(student_id, HOMEWORK)
    activation = str(rng.choice(sorted(ACTIVATIONS)))
    act_k = float(rng.choice(ACTIVATION_KS))
    node = str(rng.choice(sorted(NODES)))
    node_k = float(rng.choice(NODE_KS))
    q2 = _draw_q2(rng)
    op = str(rng.choice(sorted(OPS)))
    op_p = float(rng.choice(OPS[op][2]))
    neuron_act = str(rng.choice(sorted(set(ACTIVATIONS) - {activation})))
    neuron_k = float(rng.choice(ACTIVATION_KS))
    others = sorted(set(LOSSES) - {"bce"})
    if neuron_act == "sigmoid" and rng.random() < 0.5:
        loss = "bce"  # binary cross-entropy needs an output in (0, 1)
    else:
        loss = str(rng.choice(others))
    return Variant(homework=HOMEWORK, student_id=normalise_student_id(student_id),
                   activation=activation, act_k=act_k, node=node, node_k=node_k, **q2,
                   op=op, op_p=op_p, neuron_act=neuron_act, neuron_k=neuron_k, loss=loss)


def check_matches(actual, expected, what: str, *, rtol: float = 1e-6, atol: float = 1e-9,
                  hint: str = "") -> None:
    """Check that the number ``actual`` is ``expected`` within tolerances; the message says
    what is wrong and gives ``hint``, never the expected value (for hidden tests)."""
    try:
        got = float(actual)
    except (TypeError, ValueError):
        raise AssertionError(_("{what} should be a number, but it is {value!r}.").format(
            what=what, value=actual)) from None
    if not math.isfinite(got) or abs(got - expected) > atol + rtol * abs(expected):
        raise AssertionError(_("{what} is wrong. {hint}").format(what=what, hint=hint).strip())
