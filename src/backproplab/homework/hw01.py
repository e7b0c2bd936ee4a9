"""Homework 1 (chapter 1, ``book/01-derivatives.md``): each student's variant.

The notebook ``solutions/hw01/hw01-derivatives.ipynb`` builds ``variant(STUDENT_ID)`` once;
its four questions refer to the variant's fields:

1. ``J`` as a function of an inner quantity ``u`` (``outer`` of ``u``), where ``u`` is
   ``inner`` of ``k * w``: the derivative dJ/dw written in ``u`` alone, and its value where
   ``u = u0``;
2. a numerical gradient of an array with the finite-difference ``stencil`` of the variant,
   where some entries are frozen (``frozen_every``, ``frozen_offset``);
3. one gradient-descent step on ``J(w) = c * q3_J`` (``q3_kind``, ``q3_a``, ``q3_m``,
   ``q3_d``): the factor that shrinks the distance to the minimum and the largest stable
   learning rate;
4. the best-nudge experiment for ``q4_f`` at ``q4_w0`` with the variant's ``stencil``.

A variant holds the task (numbers, functions, which formula), never an answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from backproplab.i18n import gettext as _
from backproplab.variants import Variant as BaseVariant
from backproplab.variants import normalise_student_id, student_rng

HOMEWORK = "hw01"

w, u, alpha, c = sp.symbols("w u alpha c")

#: The inner functions u(w) of question 1 (of the argument ``k * w``).
INNER = {"sigmoid": lambda z: 1 / (1 + sp.exp(-z)), "tanh": sp.tanh, "exp": sp.exp}
#: Where each inner function takes its values (open intervals), for the targets t and u0.
INNER_RANGE = {"sigmoid": (0, 1), "tanh": (-1, 1), "exp": (0, None)}
INNER_TEXT = {"sigmoid": r"\sigma(k w) = \dfrac{1}{1 + e^{-k w}}", "tanh": r"\tanh(k w)",
              "exp": r"e^{k w}"}
#: The outer functions J(u) of question 1, of u, the target t and the scale s.
OUTER = {"square": lambda s, t: s * (u - t) ** 2, "log_square": lambda s, t: s * sp.log(1 + (u - t) ** 2)}

#: The finite-difference formulas of questions 2 and 4: (nodes as multiples of eps,
#: weights, divisor as a multiple of eps). The estimate of dJ/dw is
#: sum(weight * J(w + node * eps)) / (divisor * eps).
STENCILS = {
    "central4": ((-2, -1, 1, 2), (1, -8, 8, -1), 12),
    "forward2": ((0, 1, 2), (-3, 4, -1), 2),
    "backward2": ((0, -1, -2), (3, -4, 1), 2),
    "forward3": ((0, 1, 2, 3), (-11, 18, -9, 2), 6),
    "backward3": ((0, -1, -2, -3), (11, -18, 9, -2), 6),
}
STENCIL_TEXT = {
    "central4": r"\dfrac{-J(w_i + 2\varepsilon) + 8J(w_i + \varepsilon) - 8J(w_i - \varepsilon) "
                r"+ J(w_i - 2\varepsilon)}{12\,\varepsilon}",
    "forward2": r"\dfrac{-3J(w_i) + 4J(w_i + \varepsilon) - J(w_i + 2\varepsilon)}{2\,\varepsilon}",
    "backward2": r"\dfrac{3J(w_i) - 4J(w_i - \varepsilon) + J(w_i - 2\varepsilon)}{2\,\varepsilon}",
    "forward3": r"\dfrac{-11J(w_i) + 18J(w_i + \varepsilon) - 9J(w_i + 2\varepsilon) "
                r"+ 2J(w_i + 3\varepsilon)}{6\,\varepsilon}",
    "backward3": r"\dfrac{11J(w_i) - 18J(w_i - \varepsilon) + 9J(w_i - 2\varepsilon) "
                 r"- 2J(w_i - 3\varepsilon)}{6\,\varepsilon}",
}
#: The functions of question 4, of the argument ``a * w``.
Q4_FUNCTIONS = {"exp": sp.exp, "sin": sp.sin, "cosh": sp.cosh, "atan": sp.atan,
                "log1p_square": lambda z: sp.log(1 + z ** 2)}

#: The grid of nudges of question 4.
EPS_GRID = (-13, -1, 25)  # np.logspace(*EPS_GRID)


@dataclass(frozen=True)
class Variant(BaseVariant):
    """One student's numbers and choices for homework 1 (see the module docstring)."""

    inner: str
    k: sp.Rational
    outer: str
    scale: sp.Rational
    target: sp.Rational
    u0: sp.Rational
    stencil: str
    frozen_every: int
    frozen_offset: int
    q3_kind: str
    q3_a: sp.Rational
    q3_m: sp.Rational
    q3_d: sp.Rational
    q4_f: str
    q4_a: sp.Rational
    q4_w0: sp.Rational

    # ---- the task as SymPy expressions (the functions, never their derivatives) ----

    @property
    def u_of_w(self) -> sp.Expr:
        """Question 1's inner quantity u as an expression in w."""
        return INNER[self.inner](self.k * w)

    @property
    def J_of_u(self) -> sp.Expr:
        """Question 1's J as an expression in u."""
        return OUTER[self.outer](self.scale, self.target)

    @property
    def J_of_w(self) -> sp.Expr:
        """Question 1's J as an expression in w."""
        return self.J_of_u.subs(u, self.u_of_w)

    @property
    def q3_J(self) -> sp.Expr:
        """Question 3's J(w), in w and the symbol c (c > 0)."""
        if self.q3_kind == "scaled":
            return c * (self.q3_a * w - self.q3_m) ** 2
        return c * (w - self.q3_m) ** 2 + self.q3_d * (w - self.q3_a) ** 2

    @property
    def q4_expr(self) -> sp.Expr:
        """Question 4's function f(w)."""
        return Q4_FUNCTIONS[self.q4_f](self.q4_a * w)

    def is_frozen(self, flat_index: int) -> bool:
        """Whether entry ``flat_index`` (row-major) of question 2's array is frozen."""
        return flat_index % self.frozen_every == self.frozen_offset

    def describe(self) -> str:
        frozen = ", ".join(str(i) for i in range(12) if self.is_frozen(i))
        return "\n".join([
            super().describe(),
            "",
            _("- **Question 1.** $J = {J}$ with $u = {u}$ and $k = {k}$. The point: "
              "$u_0 = {u0}$.").format(J=sp.latex(self.J_of_u), u=INNER_TEXT[self.inner],
                                      k=sp.latex(self.k), u0=sp.latex(self.u0)),
            _("- **Questions 2 and 4.** Your difference formula (stencil `{stencil}`): "
              "${formula}$. Frozen entries in question 2: every flat index $i$ with "
              "$i \\bmod {every} = {offset}$ (that is {frozen}, …).").format(
                stencil=self.stencil,
                formula=r"\dfrac{\partial J}{\partial w_i} \approx " + STENCIL_TEXT[self.stencil],
                every=self.frozen_every, offset=self.frozen_offset, frozen=frozen),
            _("- **Question 3.** $J(w) = {J}$, with a constant $c > 0$.").format(
                J=sp.latex(self.q3_J)),
            _("- **Question 4.** $f(w) = {f}$ at $w_0 = {w0}$.").format(
                f=sp.latex(self.q4_expr), w0=sp.latex(self.q4_w0)),
        ])


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _rational(rng, numerators, denominator: int = 1) -> sp.Rational:
    return sp.Rational(int(_pick(rng, numerators)), denominator)


def _q1(rng) -> dict:
    inner = _pick(rng, sorted(INNER))
    k = _pick(rng, [sp.Rational(n, 2) for n in (-5, -4, -3, -1, 1, 3, 4, 5)])
    outer = _pick(rng, sorted(OUTER))
    scale = _rational(rng, [1, 3, 5, 7], 2)
    low, high = INNER_RANGE[inner]
    if high is None:  # e^{kw} > 0
        values = [sp.Rational(n, 4) for n in range(1, 17)]
    else:
        values = [sp.Rational(n, 8) for n in range(8 * low + 1, 8 * high)]
    target, u0 = (values[int(i)] for i in rng.choice(len(values), size=2, replace=False))
    while abs(u0 - target) < sp.Rational(1, 4) or u0 == 0:
        u0 = _pick(rng, values)
    return dict(inner=inner, k=k, outer=outer, scale=scale, target=target, u0=u0)


def _q3(rng) -> dict:
    kind = _pick(rng, ["scaled", "two_wells"])
    if kind == "scaled":
        a = _pick(rng, [sp.Rational(n, 2) for n in (1, 3, 4, 5, 6)])
        d = sp.Integer(0)
    else:
        a = _pick(rng, [sp.Integer(n) for n in (-3, -2, -1, 1, 2, 3, 4)])
        d = _rational(rng, [1, 2, 3, 5, 7], 2)
    m = _pick(rng, [sp.Integer(n) for n in (-4, -3, -2, -1, 1, 2, 3, 4, 5)])
    return dict(q3_kind=kind, q3_a=a, q3_m=m, q3_d=d)


def _truncation_order(stencil: str) -> int:
    """The order p of a stencil's truncation error (proportional to eps**p): the first power
    m >= 2 whose Taylor term the weights do not cancel, minus 1. Question 4's written answer
    asks the student to read p from their errors, so no variant field carries it."""
    nodes, weights, _ = STENCILS[stencil]
    m = 2
    while sum(weight * node ** m for node, weight in zip(nodes, weights)) == 0:
        m += 1
    return m - 1


def _q4_well_posed(f_name: str, a, w0, order: int) -> bool:
    """The best nudge is well defined: a derivative that is not small, and a truncation
    error that does not vanish (its leading derivative is not small) at w0."""
    expr = Q4_FUNCTIONS[f_name](a * w)
    slope = abs(float(sp.diff(expr, w).subs(w, w0)))
    leading = abs(float(sp.diff(expr, w, order + 1).subs(w, w0)))
    value = abs(float(expr.subs(w, w0)))
    return 0.2 <= slope <= 20 and 0.05 <= leading <= 1e3 and value <= 50


def variant(student_id) -> Variant:
    """Homework 1's variant for ``student_id`` (raises ``StudentIdError`` for a placeholder)."""
    student_id = normalise_student_id(student_id)
    rng = student_rng(student_id, HOMEWORK)
    fields = _q1(rng)
    stencil = _pick(rng, sorted(STENCILS))
    every = int(_pick(rng, [2, 3, 4, 5]))
    fields.update(stencil=stencil, frozen_every=every, frozen_offset=int(rng.integers(every)))
    fields.update(_q3(rng))
    while True:
        f_name = _pick(rng, sorted(Q4_FUNCTIONS))
        a = _pick(rng, [sp.Rational(n, 4) for n in (2, 3, 5, 6, 7, 8, 10, 12)])
        w0 = sp.Rational(int(rng.integers(3, 31)), 20)
        if _q4_well_posed(f_name, a, w0, _truncation_order(stencil)):
            break
    fields.update(q4_f=f_name, q4_a=a, q4_w0=w0)
    return Variant(homework=HOMEWORK, student_id=student_id, **fields)
