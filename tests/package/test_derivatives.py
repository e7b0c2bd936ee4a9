"""Unit tests of backproplab.derivatives (chapter 1): numbers checked against SymPy."""

import math

import numpy as np
import pytest
import sympy as sp

from backproplab.derivatives import (
    central_difference,
    derivative_at,
    difference_errors,
    forward_difference,
    gradient_descent_1d,
    loglog_slope,
    nudge,
    numeric_functions,
    symbolic_derivative,
)

w = sp.Symbol("w")

# Functions with their points; each is checked numerically against SymPy's exact derivative.
FUNCTIONS = [
    (w ** 2, 3.0),
    (w ** 3 - 2 * w, -1.3),
    (sp.sin(w), 0.4),
    (sp.exp(w / 2), 1.7),
    (1 / (1 + sp.exp(-w)), -0.8),
    (sp.tanh(w), 0.3),
    (sp.log(1 + w ** 2), 2.5),
    (w * sp.exp(-w ** 2), 0.9),
]


def square(v):
    return v ** 2


def test_nudge_reproduces_the_source_example():
    n = nudge(square, 3, 0.001)
    assert n.J_w == 9
    assert math.isclose(n.J_nudged, 9.006001, rel_tol=0, abs_tol=1e-12)
    assert math.isclose(n.change, 0.006001, abs_tol=1e-12)
    assert math.isclose(n.slope, 6.001, rel_tol=1e-9)
    assert math.isclose(nudge(square, 3, 0.002).J_nudged, 9.012004, abs_tol=1e-12)
    n2 = nudge(square, 2, 0.001)
    assert math.isclose(n2.J_nudged, 4.004001, abs_tol=1e-12)
    assert math.isclose(n2.slope, 4.001, rel_tol=1e-9)


@pytest.mark.parametrize("eps", [1e-1, 1e-2, 1e-3])
def test_nudge_slope_of_square_is_2w_plus_eps(eps):
    # (w + eps)^2 - w^2 = 2 w eps + eps^2, so the slope is exactly 2w + eps.
    assert math.isclose(nudge(square, 3, eps).slope, 6 + eps, rel_tol=1e-10)


def test_symbolic_derivative_and_subs():
    assert symbolic_derivative(w ** 2, w) == 2 * w
    assert derivative_at(w ** 2, w, 2) == 4
    assert derivative_at(w ** 2, w, 3) == 6


@pytest.mark.parametrize("expr, at", FUNCTIONS)
def test_differences_agree_with_sympy(expr, at):
    J, dJ = numeric_functions(expr, w)
    exact = float(sp.diff(expr, w).subs(w, at))
    assert math.isclose(float(dJ(at)), exact, rel_tol=1e-12, abs_tol=1e-14)
    assert abs(central_difference(J, at, 1e-5) - exact) <= 1e-8 * max(1, abs(exact))
    assert abs(forward_difference(J, at, 1e-7) - exact) <= 1e-5 * max(1, abs(exact))


@pytest.mark.parametrize("expr, at", FUNCTIONS)
def test_truncation_orders(expr, at):
    """Forward error shrinks ~10x per 10x smaller eps; central error ~100x (when not tiny)."""
    J, dJ = numeric_functions(expr, w)
    d2 = float(sp.diff(expr, w, 2).subs(w, at))
    d3 = float(sp.diff(expr, w, 3).subs(w, at))
    forward, central = difference_errors(J, dJ, at, [1e-2, 1e-3])
    if abs(d2) > 1e-3:
        assert 7 < forward[0] / forward[1] < 13
        # Leading term of the forward error: J''(w) eps / 2.
        assert math.isclose(forward[1], abs(d2) * 1e-3 / 2, rel_tol=0.05)
    if abs(d3) > 1e-2:
        assert 70 < central[0] / central[1] < 130
        assert math.isclose(central[0], abs(d3) * 1e-4 / 6, rel_tol=0.05)


def test_difference_errors_keeps_shape():
    forward, central = difference_errors(np.exp, np.exp, 1.0, np.logspace(-8, -1, 6).reshape(2, 3))
    assert forward.shape == central.shape == (2, 3)


@pytest.mark.parametrize("eps", [0, -1e-3, float("nan"), float("inf")])
def test_bad_eps_is_explained(eps):
    with pytest.raises(ValueError, match="eps must be a small positive number"):
        central_difference(square, 1.0, eps)


def test_non_callable_and_non_finite_J_are_explained():
    with pytest.raises(TypeError, match="J must be a function of one number"):
        nudge(4.0, 1.0, 1e-3)
    with pytest.raises(ValueError, match="not a finite number"):
        forward_difference(lambda v: math.log(v) if v > 0 else float("nan"), 0.0, 1e-3)
    with pytest.raises(TypeError, match="SymPy symbol"):
        symbolic_derivative(w ** 2, "w")
    with pytest.raises(TypeError, match="SymPy expression"):
        symbolic_derivative("w**2", w)


def test_gradient_descent_on_square_multiplies_by_one_minus_2lr():
    path = gradient_descent_1d(lambda v: 2 * v, w0=3.0, lr=0.1, n_steps=10)
    assert path.shape == (11,)
    np.testing.assert_allclose(path, 3.0 * 0.8 ** np.arange(11), rtol=1e-12)
    assert gradient_descent_1d(lambda v: 2 * v, 3.0, 0.1, 0).tolist() == [3.0]


def test_gradient_descent_divergence_is_a_lesson_not_a_traceback():
    with pytest.raises(ValueError, match="diverged with lr=1.1.*choose a smaller lr"):
        gradient_descent_1d(lambda v: 2 * v, w0=3.0, lr=1.1, n_steps=1000)
    with pytest.raises(ValueError, match="learning rate"):
        gradient_descent_1d(lambda v: 2 * v, 3.0, -0.1, 5)
    with pytest.raises(ValueError, match="n_steps"):
        gradient_descent_1d(lambda v: 2 * v, 3.0, 0.1, 2.5)


def test_core_package_imports_without_matplotlib_or_ipywidgets():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['ipywidgets'] = None\n"
        "import backproplab, backproplab.derivatives, backproplab.checks\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_loglog_slope_measures_the_order():
    eps = np.logspace(-4, -1, 10)
    assert math.isclose(loglog_slope(eps, 3 * eps ** 2, 1e-4, 1e-1), 2.0, rel_tol=1e-9)
    with pytest.raises(ValueError, match="at least two"):
        loglog_slope(eps, np.zeros_like(eps), 1e-4, 1e-1)
