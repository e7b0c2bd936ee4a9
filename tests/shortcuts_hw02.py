"""Shortcut submissions for homework 2 (the chain rule), graded by ``test_homework_shortcuts``.

``SHORTCUTS`` maps a name to (what the submission models, {answer grade_id: whole cell
source}); answer cells it does not name keep the released stub. Each must earn at most 2 of
the 10 autograded points. ``concrete_answers(variant)`` is a correct notebook's answers for
that variant with the numbers typed in, as a student writes them: the shortcut test submits
them under another student's id.
"""

from __future__ import annotations

import math
import re

import sympy as sp

# ---- the chapter pasted: its table of local derivatives, Value.sigmoid, eq-neuron-chain --
PASTED_CHAPTER = {
    "q1_answer": ("d_act = 1 - sp.tanh(z) ** 2\n"
                  "d_node = -u / v ** 2\n"),
    "q2_answer": ("# the chapter's graphs, with the nearest Value operations\n"
                  "_x = Value(variant.q2_x, 'x'); _w = Value(variant.q2_w, 'w')\n"
                  "_y = Value(variant.q2_y, 'y')\n"
                  "_c = _w * _x\n"
                  "_d = _c + variant.q2_sign * _y\n"
                  "_e = _d.tanh()\n"
                  "_m = _e * _c\n"
                  "_J = (_m - variant.q2_t) ** 2\n"
                  "_J.backward()\n"
                  "grads = {'J': _J.grad, 'm': _m.grad, 'e': _e.grad, 'd': _d.grad,\n"
                  "         'c': _c.grad, 'x': _x.grad, 'w': _w.grad, 'y': _y.grad}\n"),
    "q3_answer": ("def op_local(s):\n"
                  "    return s * (1 - s)\n"
                  "\n"
                  "def op_node(z):\n"
                  "    x = z.data\n"
                  "    if x >= 0:\n"
                  "        s = 1 / (1 + math.exp(-x))\n"
                  "    else:\n"
                  "        s = math.exp(x) / (1 + math.exp(x))\n"
                  "    return Value._result(s, 'sigmoid', (z,), (s * (1 - s),))\n"),
    "q4_answer": ("delta = 2 * (a - y) * a * (1 - a)\n"
                  "dJ_dw = 2 * (a - y) * a * (1 - a) * x\n"
                  "dJ_dx = 2 * (a - y) * a * (1 - a) * w\n"),
}

# ---- one sp.diff per derivation ----------------------------------------------------------
ONE_SP_DIFF = {
    "q1_answer": ("d_act = sp.diff(variant.act(z), z)\n"
                  "d_node = sp.diff(variant.node_output(u, v), sp.Symbol(variant.node_input))\n"),
    "q2_answer": ("X, W, Y = sp.symbols('X W Y')\n"
                  "g = {'sin': sp.sin, 'cos': sp.cos, 'atan': sp.atan}[variant.q2_op]\n"
                  "h = {'mul': sp.Mul, 'max': sp.Max, 'min': sp.Min}[variant.q2_combine]\n"
                  "C = W * X\n"
                  "J_formula = (h(g(C + variant.q2_sign * Y), C) - variant.q2_t) ** 2\n"
                  "at = {X: variant.q2_x, W: variant.q2_w, Y: variant.q2_y}\n"
                  "grads = {'J': 1.0}\n"
                  "for name, s in (('x', X), ('w', W), ('y', Y)):\n"
                  "    grads[name] = float(sp.diff(J_formula, s).subs(at))\n"
                  "for name in ('m', 'e', 'd', 'c'):\n"
                  "    grads[name] = float(sp.diff(J_formula, W).subs(at))\n"),
    "q3_answer": ("_s, _p = sp.Symbol('s'), variant.op_p\n"
                  "_f = {'scaled_sinh': _p * sp.sinh(_s / _p),\n"
                  "      'elu': sp.Piecewise((_s, _s > 0), (_p * (sp.exp(_s) - 1), True)),\n"
                  "      'softplus': sp.log(1 + sp.exp(_p * _s)) / _p,\n"
                  "      'isru': _s / sp.sqrt(1 + _p * _s ** 2),\n"
                  "      'softsign': _s / (_p + sp.Abs(_s)),\n"
                  "      'scaled_tanh': _p * sp.tanh(_s / _p),\n"
                  "      'scaled_asinh': _p * sp.asinh(_s / _p)}[variant.op]\n"
                  "_df = sp.diff(_f, _s)\n"
                  "\n"
                  "def op_local(s):\n"
                  "    return float(_df.subs(_s, s))\n"
                  "\n"
                  "def op_node(z):\n"
                  "    local = float(_df.subs(_s, z.data))\n"
                  "    return Value._result(float(_f.subs(_s, z.data)), variant.op, (z,), (local,))\n"),
    "q4_answer": ("_J = variant.loss_of(variant.neuron(w * x + b), y)\n"
                  "delta = sp.diff(variant.loss_of(variant.neuron(z), y), z)\n"
                  "dJ_dw = sp.diff(_J, w)\n"
                  "dJ_dx = sp.diff(_J, x)\n"),
}

# ---- what the visible tests' messages suggest, followed literally: nudges ----------------
VISIBLE_MESSAGES = {
    "q1_answer": ("# 'a nudge of z moves a at another rate': the rate, nudged\n"
                  "d_act = sp.Float(central_difference(lambda t: float(variant.act(t)), 0.45))\n"
                  "d_node = sp.Float(central_difference(\n"
                  "    lambda t: float(variant.node_output(t, 0.8)), 1.3))\n"),
    "q2_answer": ("inputs = {'x': variant.q2_x, 'w': variant.q2_w, 'y': variant.q2_y}\n"
                  "grads = {'J': 1.0, 'm': 1.0, 'e': 1.0, 'd': 1.0, 'c': 1.0}\n"
                  "for name in inputs:\n"
                  "    grads[name] = central_difference(\n"
                  "        lambda t, name=name: variant.q2_loss(**{**inputs, name: t}), inputs[name])\n"),
    "q3_answer": ("def op_local(s):\n"
                  "    return central_difference(variant.op_forward, s)\n"
                  "\n"
                  "def op_node(z):\n"
                  "    local = central_difference(variant.op_forward, z.data)\n"
                  "    return Value._result(variant.op_forward(z.data), variant.op, (z,), (local,))\n"),
    "q4_answer": ("delta = sp.Float(central_difference(\n"
                  "    lambda t: variant.neuron_loss(1.0, t, 0.0, 0.3), 0.43))\n"
                  "dJ_dw = x * delta\n"
                  "dJ_dx = w * delta\n"),
}

# ---- the package's Value does the work ----------------------------------------------------
CALLS_PACKAGE = {
    "q2_answer": ("# Value's backward: max and min written with relu, g replaced by tanh\n"
                  "_x = Value(variant.q2_x, 'x'); _w = Value(variant.q2_w, 'w')\n"
                  "_y = Value(variant.q2_y, 'y')\n"
                  "_c = _w * _x\n"
                  "_d = _c + variant.q2_sign * _y\n"
                  "_e = _d.tanh()\n"
                  "_m = {'mul': lambda: _e * _c, 'max': lambda: (_e - _c).relu() + _c,\n"
                  "      'min': lambda: _c - (_c - _e).relu()}[variant.q2_combine]()\n"
                  "_J = (_m - variant.q2_t) ** 2\n"
                  "_J.backward()\n"
                  "grads = {'J': _J.grad, 'm': _m.grad, 'e': _e.grad, 'd': _d.grad,\n"
                  "         'c': _c.grad, 'x': _x.grad, 'w': _w.grad, 'y': _y.grad}\n"),
    "q3_answer": ("def op_node(z):\n"
                  "    p = variant.op_p\n"
                  "    if variant.op == 'scaled_sinh':\n"
                  "        return p * ((z / p).exp() - (-z / p).exp()) / 2\n"
                  "    if variant.op == 'elu':\n"
                  "        return z.relu() + p * ((-(-z).relu()).exp() - 1)\n"
                  "    if variant.op == 'softplus':\n"
                  "        return ((p * z).exp() + 1).log() / p\n"
                  "    if variant.op == 'isru':\n"
                  "        return z / (1 + p * z * z) ** 0.5\n"
                  "    if variant.op == 'softsign':\n"
                  "        return z / (p + (z * z) ** 0.5)\n"
                  "    if variant.op == 'scaled_tanh':\n"
                  "        return p * (z / p).tanh()\n"
                  "    return p * ((z / p) + ((z / p) ** 2 + 1) ** 0.5).log()\n"
                  "\n"
                  "def op_local(s):\n"
                  "    # backward through the node built at s\n"
                  "    _z = Value(s)\n"
                  "    op_node(_z).backward()\n"
                  "    return _z.grad\n"),
}

# ---- SymPy inverts the activation: d/dz, then z written with a ---------------------------
SYMPY_INVERSE = {
    "q1_answer": ("_f = variant.act(z)\n"
                  "_z_of_a = sp.solve(sp.Eq(a, _f), z)[0]\n"
                  "d_act = sp.simplify(sp.diff(_f, z).subs(z, _z_of_a))\n"
                  "_by = sp.Symbol(variant.node_input)\n"
                  "_other = ({u, v} - {_by}).pop()\n"
                  "_g = variant.node_output(u, v)\n"
                  "_d = sp.diff(_g, _by)\n"
                  "if _other not in {sp.Symbol(s) for s in variant.node_symbols}:\n"
                  "    _d = _d.subs(_other, sp.solve(sp.Eq(q, _g), _other)[0])\n"
                  "else:\n"
                  "    _d = _d.subs(_by, sp.solve(sp.Eq(q, _g), _by)[0])\n"
                  "d_node = sp.simplify(_d)\n"),
}

# ---- everything zero or one: answers of the right type, no work ---------------------------
CONSTANTS = {
    "q1_answer": "d_act = a\nd_node = q\n",
    "q2_answer": "grads = {name: 1.0 for name in ['J', 'm', 'e', 'd', 'c', 'x', 'w', 'y']}\n",
    "q3_answer": ("def op_local(s):\n"
                  "    return 1.0\n"
                  "\n"
                  "def op_node(z):\n"
                  "    return Value._result(z.data, 'id', (z,), (1.0,))\n"),
    "q4_answer": "delta = a - y\ndJ_dw = (a - y) * x\ndJ_dx = (a - y) * w\n",
}

SHORTCUTS = {
    "pasted_chapter": ("the chapter's table of local derivatives, Value.sigmoid and "
                       "eq-neuron-chain pasted into the answers", PASTED_CHAPTER),
    "one_sp_diff": ("one sp.diff per derivation (of the variant's own formulas)", ONE_SP_DIFF),
    "visible_messages": ("answers that follow the visible tests' messages literally "
                         "(central differences where they speak of nudges)", VISIBLE_MESSAGES),
    "calls_package": ("Value and its backward do the work (q2 with tanh and relu for the "
                      "missing ops, q3 built from Value operations)", CALLS_PACKAGE),
    "sympy_inverse": ("q1 by sp.diff and sp.solve: the derivative, then z (or an input) "
                      "written with the output", SYMPY_INVERSE),
    "constants": ("answers of the right type with no work in them (identities, ones, "
                  "the δ of a linear output)", CONSTANTS),
}


# ---- another student's correct answers, numbers typed in ----------------------------------

def _typed(expr) -> str:
    """A SymPy expression as a student types it, with ``sp.`` before each function."""
    return re.sub(r"\b(exp|cosh|cos|tanh|sqrt|log)\(", r"sp.\1(", sp.sstr(expr))


def _expected_q1(variant):
    a, q, u, v = sp.symbols("a q u v")
    k1, k2 = sp.Rational(str(variant.act_k)), sp.Rational(str(variant.node_k))
    d_act = {"tanh": k1 * (1 - a ** 2), "sigmoid": k1 * a * (1 - a),
             "softplus": 1 - sp.exp(-k1 * a), "exp": k1 * a, "asinh": k1 / sp.cosh(a),
             "atan": k1 * sp.cos(a) ** 2}[variant.activation]
    d_node = {"div": -k2 * q / v, "exp_scale": k2 * q, "power": k2 * q / u, "norm": k2 * v / q,
              "exp_product": k2 * v * q, "logsumexp": sp.exp(k2 * (u - q))}[variant.node]
    return d_act, d_node


def _expected_q4(variant):
    a, y, x, w = sp.symbols("a y x w")
    k = sp.Rational(str(variant.neuron_k))
    da_dz = {"tanh": k * (1 - a ** 2), "sigmoid": k * a * (1 - a),
             "softplus": 1 - sp.exp(-k * a), "exp": k * a, "asinh": k / sp.cosh(a),
             "atan": k * sp.cos(a) ** 2}[variant.neuron_act]
    dJ_da = {"squared": 2 * (a - y), "cauchy": (a - y) / (1 + (a - y) ** 2), "quartic": (a - y) ** 3,
             "logcosh": sp.tanh(a - y), "pseudo_huber": (a - y) / sp.sqrt(1 + (a - y) ** 2),
             "bce": (a - y) / (a * (1 - a))}[variant.loss]
    return dJ_da * da_dz


def _q2_lines(variant) -> str:
    x, w, y, t = variant.q2_x, variant.q2_w, variant.q2_y, variant.q2_t
    c = w * x
    d = c + variant.q2_sign * y
    g = {"sin": "math.sin", "cos": "math.cos", "atan": "math.atan"}[variant.q2_op]
    local = {"sin": "math.cos(d)", "cos": "-math.sin(d)", "atan": "1 / (1 + d ** 2)"}[variant.q2_op]
    e = {"sin": math.sin, "cos": math.cos, "atan": math.atan}[variant.q2_op](d)
    sign = "+" if variant.q2_sign > 0 else "-"
    lines = [f"c = {w} * {x}",
             f"d = c {sign} {y}" if y > 0 else f"d = c {sign} ({y})",
             f"e = {g}(d)"]
    if variant.q2_combine == "mul":
        lines += ["m = e * c", "grads = {'J': 1.0}", f"grads['m'] = 2 * (m - ({t}))",
                  "grads['e'] = c * grads['m']", f"grads['d'] = {local} * grads['e']",
                  "grads['c'] = grads['d'] + e * grads['m']"]
    else:
        lines += [f"m = {variant.q2_combine}(e, c)", "grads = {'J': 1.0}",
                  f"grads['m'] = 2 * (m - ({t}))", "grads['e'] = grads['m']",
                  f"grads['d'] = {local} * grads['e']", "grads['c'] = grads['d']"]
        assert _e_wins(variant, e, c)
    lines += [f"grads['y'] = {'' if variant.q2_sign > 0 else '-'}grads['d']",
              f"grads['w'] = {x} * grads['c']",
              f"grads['x'] = {w} * grads['c']"]
    return "\n".join(lines) + "\n"


def _e_wins(variant, e, c) -> bool:
    return e > c if variant.q2_combine == "max" else e < c


def _q3_source(variant) -> str:
    p = variant.op_p
    local, data = {
        "scaled_sinh": (f"math.sqrt(1 + (s / {p}) ** 2)", f"{p} * math.sinh(t / {p})"),
        "elu": (f"1.0 if s > 0 else s + {p}", f"t if t > 0 else {p} * (math.exp(t) - 1)"),
        "softplus": (f"1 - math.exp(-{p} * s)", f"math.log(1 + math.exp({p} * t)) / {p}"),
        "isru": (f"(1 - {p} * s ** 2) ** 1.5", f"t / math.sqrt(1 + {p} * t ** 2)"),
        "softsign": (f"(1 - abs(s)) ** 2 / {p}", f"t / ({p} + abs(t))"),
        "scaled_tanh": (f"1 - (s / {p}) ** 2", f"{p} * math.tanh(t / {p})"),
        "scaled_asinh": (f"1 / math.cosh(s / {p})", f"{p} * math.asinh(t / {p})"),
    }[variant.op]
    return ("def op_local(s):\n"
            f"    return {local}\n"
            "\n"
            "def op_node(z):\n"
            "    t = z.data\n"
            f"    data = {data}\n"
            f"    return Value._result(data, {variant.op!r}, (z,), (op_local(data),))\n")


def concrete_answers(variant) -> dict[str, str]:
    """The correct answers for ``variant`` with its numbers typed in (no ``variant.``)."""
    d_act, d_node = _expected_q1(variant)
    delta = _expected_q4(variant)
    x, w = sp.symbols("x w")
    return {
        "q1_answer": f"d_act = {_typed(d_act)}\nd_node = {_typed(d_node)}\n",
        "q2_answer": _q2_lines(variant),
        "q3_answer": _q3_source(variant),
        "q4_answer": (f"delta = {_typed(delta)}\n"
                      f"dJ_dw = ({_typed(delta)}) * x\n"
                      f"dJ_dx = ({_typed(delta)}) * w\n"),
    }
