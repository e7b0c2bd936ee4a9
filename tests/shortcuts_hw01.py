"""Shortcut submissions of homework 1 (``solutions/hw01``): ways to pass without understanding.

Used by ``test_homework_shortcuts.py`` (graded by the real grader; each shortcut must earn
at most 2 of the 10 autograded points) and by ``test_hw01.py``.

- ``SHORTCUTS``: ``{name: (what it models, {answer grade_id: whole cell source})}``;
- ``concrete_answers(variant)``: the correct answers a student writes for *that* variant,
  numbers typed in (never ``variant.``), used as another student's answers;
- ``WRONG_ANSWERS``: ``{answer grade_id: source}``, plausible mistakes written for any
  variant, each passing the visible test of its question and failing its hidden test (the
  grader's hostile-submission suite uses them).
"""

from __future__ import annotations

import re

import sympy as sp

from backproplab.homework import hw01

# The chapter's displayed functions (symbolic_derivative, derivative_at, central_difference,
# gradient_descent_1d) and its statement "each step multiplies w by 1 − 2α", pasted or
# adapted as little as possible.
PASTED_CHAPTER = {
    "q1_answer": (
        "def symbolic_derivative(J_expr, w):\n"
        "    return sp.diff(J_expr, w)\n"
        "def derivative_at(J_expr, w, at):\n"
        "    return sp.nsimplify(symbolic_derivative(J_expr, w).subs(w, at))\n"
        "dJ_dw = symbolic_derivative(variant.J_of_w, w)\n"
        "slope_at_u0 = derivative_at(variant.J_of_w, w, variant.u0)\n"),
    "q2_answer": (
        "def central_difference(J, w, eps=1e-5):\n"
        "    return (J(w + eps) - J(w - eps)) / (2 * eps)\n"
        "def numerical_gradient(J, w, eps=1e-4):\n"
        "    w = np.array(w, dtype=float)\n"
        "    grad = np.zeros_like(w)\n"
        "    for flat, index in enumerate(np.ndindex(w.shape)):\n"
        "        if variant.is_frozen(flat):\n"
        "            continue\n"
        "        def J_i(x):\n"
        "            v = w.copy()\n"
        "            v[index] = x\n"
        "            return J(v)\n"
        "        grad[index] = central_difference(J_i, w[index], eps)\n"
        "    return grad\n"),
    "q3_answer": "step_factor = 1 - 2 * alpha * c\nalpha_max = 1 / c\n",
    "q4_answer": (
        "f = sp.lambdify(w, variant.q4_expr)\n"
        "exact = float(sp.diff(variant.q4_expr, w).subs(w, variant.q4_w0))\n"
        "errors = np.array([abs(central_difference(f, float(variant.q4_w0), eps) - exact)\n"
        "                   for eps in eps_grid])\n"
        "best_eps = eps_grid[np.argmin(errors)]\n"),
}

# One sp.diff per derivation (and whatever SymPy call finishes the job from there).
ONE_SP_DIFF = {
    "q1_answer": (
        "dJ_dw = sp.diff(variant.J_of_w, w)\n"
        "w_at_u0 = sp.nsolve(variant.u_of_w - variant.u0, w, (-20, 20), solver='bisect')\n"
        "slope_at_u0 = float(dJ_dw.subs(w, w_at_u0))\n"),
    "q3_answer": (
        "w_next = w - alpha * sp.diff(variant.q3_J, w)\n"
        "step_factor = sp.simplify(w_next / w)\n"
        "alpha_max = sp.solve(sp.Eq(step_factor, -1), alpha)[0]\n"),
}

# Answers built to satisfy the visible tests' messages, literally.
VISIBLE_MESSAGES = {
    "q1_answer": (
        "# 'dJ_dw should be 0 where u equals your target'; 'check the sign of each factor'\n"
        "dJ_dw = sp.diff(variant.J_of_u, u) * sp.sign(variant.k)\n"
        "slope_at_u0 = dJ_dw.subs(u, variant.u0)\n"),
    "q2_answer": (
        "# 'your formula is exact for quadratics': any central difference is\n"
        "def numerical_gradient(J, w, eps=1e-4):\n"
        "    w = np.array(w, dtype=float)\n"
        "    grad = np.zeros_like(w)\n"
        "    for flat, index in enumerate(np.ndindex(w.shape)):\n"
        "        if not variant.is_frozen(flat):\n"
        "            step = np.zeros_like(w)\n"
        "            step[index] = 2 * eps\n"
        "            grad[index] = (J(w + step) - J(w - step)) / (4 * eps)\n"
        "    return grad\n"),
    "q3_answer": (
        "# 1 at alpha = 0, positive and decreasing alpha_max, -1 at alpha_max\n"
        "step_factor = 1 - alpha * c\n"
        "alpha_max = 2 / c\n"),
    "q4_answer": (
        "# right shape, not negative, best_eps is the argmin of errors\n"
        "errors = np.abs(np.log10(eps_grid) + 5)\n"
        "best_eps = eps_grid[np.argmin(errors)]\n"),
}

# The package's reference implementations called instead of written.
CALLS_PACKAGE = {
    "q1_answer": (
        "from backproplab.derivatives import derivative_at, symbolic_derivative\n"
        "dJ_dw = symbolic_derivative(variant.J_of_w, w)\n"
        "slope_at_u0 = float(derivative_at(variant.J_of_w, w, variant.u0))\n"),
    "q2_answer": (
        "from backproplab.gradcheck import numerical_gradients\n"
        "def numerical_gradient(J, w, eps=1e-4):\n"
        "    w = np.array(w, dtype=float)\n"
        "    (layer,) = numerical_gradients(lambda params: J(params[0]['W']), [{'W': w}], eps)\n"
        "    grad = np.array(layer['W'], dtype=float)\n"
        "    for flat, index in enumerate(np.ndindex(w.shape)):\n"
        "        if variant.is_frozen(flat):\n"
        "            grad[index] = 0.0\n"
        "    return grad\n"),
    "q3_answer": (
        "from backproplab.derivatives import gradient_descent_1d\n"
        "path = gradient_descent_1d(sp.lambdify(w, sp.diff(variant.q3_J.subs(c, 1), w)),\n"
        "                           w0=10.0, lr=0.01, n_steps=1)\n"
        "step_factor = 1 - 100 * (1 - path[1] / path[0]) * alpha * c\n"
        "alpha_max = 2 / (100 * (1 - path[1] / path[0]) * c)\n"),
    "q4_answer": (
        "from backproplab.derivatives import difference_errors\n"
        "f, df = (sp.lambdify(w, e) for e in (variant.q4_expr, sp.diff(variant.q4_expr, w)))\n"
        "errors = difference_errors(f, df, float(variant.q4_w0), eps_grid)[1]\n"
        "best_eps = eps_grid[np.argmin(errors)]\n"),
}

# The chapter's rules of thumb instead of the measurement, and the id left as released.
RULES_OF_THUMB = {
    "q4_answer": (
        "best_eps = eps_grid[np.argmin(np.abs(eps_grid - 1e-5))]\n"
        "errors = np.abs(eps_grid - best_eps)\n"),
    "q3_answer": "step_factor = 1 - 2 * alpha\nalpha_max = 1 / c\n",
}

SHORTCUTS = {
    "pasted_chapter": ("the chapter's displayed functions pasted (and its 1 − 2α)", PASTED_CHAPTER),
    "one_sp_diff": ("one sp.diff per derivation", ONE_SP_DIFF),
    "visible_messages": ("answers that follow the visible tests' messages literally",
                         VISIBLE_MESSAGES),
    "calls_package": ("the package's reference implementations called", CALLS_PACKAGE),
    "rules_of_thumb": ("the chapter's rules of thumb instead of the derivation and the "
                       "measurement", RULES_OF_THUMB),
    "wrong_answers": ("plausible mistakes that pass every visible test", None),  # filled below
}


# ---- another student's answers, as they would type them --------------------------------

def _number(value) -> str:
    """A rational as a student types it: 3, (-1.5), 0.125."""
    value = sp.Rational(value)
    text = str(value.p) if value.q == 1 else repr(float(value))
    return f"({text})" if value < 0 else text


def _typed(expr: sp.Expr) -> str:
    """A SymPy expression as Python source, numbers as decimals, functions as ``sp.``."""
    floats = expr.xreplace({r: sp.Float(float(r), 17) for r in expr.atoms(sp.Rational)
                            if r.q != 1})
    return re.sub(r"\b(log|exp|sin|cos|cosh|sinh|tanh|atan)\(", r"sp.\1(", str(floats))


def concrete_answers(variant) -> dict[str, str]:
    """The correct answers of ``variant``'s student, with the numbers typed in."""
    k, t, s = _number(variant.k), _number(variant.target), _number(variant.scale)
    inner = {"sigmoid": f"{k} * u * (1 - u)", "tanh": f"{k} * (1 - u**2)",
             "exp": f"{k} * u"}[variant.inner]
    outer = {"square": f"2 * {s} * (u - {t})",
             "log_square": f"2 * {s} * (u - {t}) / (1 + (u - {t})**2)"}[variant.outer]
    q1 = (f"dJ_dw = ({outer}) * ({inner})\n"
          f"slope_at_u0 = float(dJ_dw.subs(u, {_number(variant.u0)}))\n")

    nodes, weights, divisor = hw01.STENCILS[variant.stencil]
    q2 = ("def numerical_gradient(J, w, eps=1e-4):\n"
          "    w = np.array(w, dtype=float)\n"
          "    g = np.zeros(w.shape)\n"
          "    for i, idx in enumerate(np.ndindex(w.shape)):\n"
          f"        if i % {variant.frozen_every} == {variant.frozen_offset}:\n"
          "            continue\n"
          "        total = 0.0\n"
          f"        for n, a in zip({list(nodes)}, {list(weights)}):\n"
          "            v = w.copy()\n"
          "            v[idx] = v[idx] + n * eps\n"
          "            total = total + a * J(v)\n"
          f"        g[idx] = total / ({divisor} * eps)\n"
          "    return g\n")

    a, d = _number(variant.q3_a), _number(variant.q3_d)
    if variant.q3_kind == "scaled":
        q3 = (f"step_factor = 1 - 2 * alpha * c * {a}**2\n"
              f"alpha_max = 1 / (c * {a}**2)\n")
    else:
        q3 = (f"step_factor = 1 - 2 * alpha * (c + {d})\n"
              f"alpha_max = 1 / (c + {d})\n")

    w0 = _number(variant.q4_w0)
    q4 = (f"f = {_typed(variant.q4_expr)}\n"
          f"exact = float(sp.diff(f, w).subs(w, {w0}))\n"
          "F = sp.lambdify(w, f)\n"
          "errors = []\n"
          "for eps in eps_grid:\n"
          f"    estimate = sum(a * F({w0} + n * eps) for n, a in zip({list(nodes)}, {list(weights)}))\n"
          f"    errors.append(abs(estimate / ({divisor} * eps) - exact))\n"
          "errors = np.array(errors)\n"
          "best_eps = eps_grid[np.argmin(errors)]\n")
    return {"q1_answer": q1, "q2_answer": q2, "q3_answer": q3, "q4_answer": q4}


# ---- plausible mistakes: pass the visible test, fail the hidden one ----------------------

WRONG_ANSWERS = {
    # The outer derivative without its factor 2 (the inner one right, written in u).
    "q1_answer": (
        "outer_slope = variant.scale * (u - variant.target)\n"
        "if variant.outer == 'log_square':\n"
        "    outer_slope = outer_slope / (1 + (u - variant.target) ** 2)\n"
        "if variant.inner == 'sigmoid':\n"
        "    inner_slope = variant.k * (u - u ** 2)\n"
        "elif variant.inner == 'tanh':\n"
        "    inner_slope = variant.k - variant.k * u ** 2\n"
        "else:\n"
        "    inner_slope = u * variant.k\n"
        "dJ_dw = outer_slope * inner_slope\n"
        "slope_at_u0 = float(dJ_dw.subs(u, variant.u0))\n"),
    # The chapter's central difference instead of the variant's formula (frozen entries right).
    "q2_answer": (
        "def numerical_gradient(J, w, eps=1e-4):\n"
        "    base = np.asarray(w).astype(float)\n"
        "    out = np.zeros(base.shape)\n"
        "    for i, idx in enumerate(np.ndindex(*base.shape)):\n"
        "        if i % variant.frozen_every != variant.frozen_offset:\n"
        "            up, down = base.copy(), base.copy()\n"
        "            up[idx] = up[idx] + eps\n"
        "            down[idx] = down[idx] - eps\n"
        "            out[idx] = (J(up) - J(down)) / (2 * eps)\n"
        "    return out\n"),
    # The chapter's 1 − 2α generalised to c, forgetting the variant's other constants.
    "q3_answer": "step_factor = 1 - alpha * 2 * c\nalpha_max = c ** -1\n",
    # The experiment run with the chapter's central difference, not the variant's formula.
    "q4_answer": (
        "exact_value = float(sp.diff(variant.q4_expr, w).subs(w, variant.q4_w0))\n"
        "func = sp.lambdify(w, variant.q4_expr)\n"
        "estimates = [central_difference(func, float(variant.q4_w0), e) for e in eps_grid]\n"
        "errors = np.abs(np.array(estimates) - exact_value)\n"
        "best_eps = eps_grid[errors.argmin()]\n"),
}

SHORTCUTS["wrong_answers"] = (SHORTCUTS["wrong_answers"][0], WRONG_ANSWERS)
