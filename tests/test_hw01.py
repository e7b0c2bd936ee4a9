"""Homework 1: the variants (``backproplab.homework.hw01``) and the notebook's tests.

- variants are deterministic per id, differ between ids, refuse placeholder ids, and every
  variant is well posed (checked over 500 ids: the target and u0 are values u takes, the
  step factor is 1 at alpha = 0, the best nudge of question 4 lies inside the grid with a
  clear truncation region);
- the instructor notebook, run with nbclient for a few ids, passes with the reference
  answers; typical wrong answers fail the expected test cells with the expected messages;
  the plausible mistakes of ``shortcuts_hw01.WRONG_ANSWERS`` pass every visible test and
  fail every hidden one; the visible messages never state the expected value.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
import sympy as sp
from homework_tools import cells_by_id, notebook_path, run_with_answers
from shortcuts_hw01 import SHORTCUTS, WRONG_ANSWERS, concrete_answers

from backproplab.homework import hw01
from backproplab.variants import StudentIdError

IDS = [f"s{n}" for n in range(500)]
w, u, alpha, c = hw01.w, hw01.u, hw01.alpha, hw01.c
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
TEST_CELLS = ["q1_test_derivative", "q1_test_value", "q2_test", "q3_test", "q4_test"]


@pytest.fixture(scope="module")
def variants():
    return [hw01.variant(sid) for sid in IDS]


# ---- the variants ----------------------------------------------------------------------

def test_variant_is_deterministic_and_normalised():
    assert hw01.variant("S1234567") == hw01.variant(" s1234567 ")
    assert hw01.variant("s1234567").student_id == "s1234567"


def test_ids_give_different_variants(variants):
    tasks = {tuple(v.__dict__[f] for f in v.__dataclass_fields__ if f != "student_id")
             for v in variants}
    assert len(tasks) >= 0.99 * len(variants)
    # Structural choices vary too, not only the numbers.
    assert {v.inner for v in variants} == set(hw01.INNER)
    assert {v.outer for v in variants} == set(hw01.OUTER)
    assert {v.stencil for v in variants} == set(hw01.STENCILS)
    assert {v.q3_kind for v in variants} == {"scaled", "two_wells"}
    assert {v.q4_f for v in variants} == set(hw01.Q4_FUNCTIONS)


@pytest.mark.parametrize("placeholder", ["", "your id", "  TODO ", "...", None, 1234567])
def test_placeholder_ids_are_refused(placeholder):
    with pytest.raises(StudentIdError):
        hw01.variant(placeholder)


def test_describe_states_the_numbers():
    v = hw01.variant("s1234567")
    text = v.describe()
    assert v._repr_markdown_() == text
    for value in (v.k, v.u0, v.q4_w0):
        assert sp.latex(value) in text
    assert v.stencil in text and f"\\bmod {v.frozen_every} = {v.frozen_offset}" in text


def test_question1_is_well_posed(variants):
    for v in variants:
        low, high = hw01.INNER_RANGE[v.inner]
        for value in (v.target, v.u0):
            assert value > low and (high is None or value < high), v
        assert abs(v.u0 - v.target) >= sp.Rational(1, 4), v
        assert v.k != 0 and v.scale > 0
        # The derivative in u is not 0 at u0, so the slope has a sign to check.
        du_dw = sp.diff(v.u_of_w, w)
        w0 = float(sp.nsolve(v.u_of_w - v.u0, w, (-20, 20), solver="bisect"))
        slope = float(sp.diff(v.J_of_w, w).subs(w, w0))
        assert abs(slope) > 1e-3 and abs(float(du_dw.subs(w, w0))) > 1e-3, v


def test_question3_is_well_posed(variants):
    for v in variants:
        (w_star,) = sp.solve(sp.diff(v.q3_J, w), w)
        assert sp.diff(v.q3_J, w, 2).subs(c, sp.Rational(1, 10)) > 0, v
        # The minimum is not at 0 (as a function of c), so w_new / w is not the answer.
        assert sp.simplify(w_star) != 0, v


def _stencil_errors(v, eps_grid):
    f = sp.lambdify(w, v.q4_expr, "math")
    exact = float(sp.diff(v.q4_expr, w).subs(w, v.q4_w0))
    nodes, weights, divisor = hw01.STENCILS[v.stencil]
    w0 = float(v.q4_w0)
    return np.array([abs(np.dot(weights, [f(w0 + n * e) for n in nodes]) / (divisor * e) - exact)
                     for e in eps_grid])


def test_question4_is_well_posed(variants):
    eps_grid = np.logspace(*hw01.EPS_GRID)
    for v in variants:
        errors = _stencil_errors(v, eps_grid)
        best = int(np.argmin(errors))
        assert 2 <= best <= len(eps_grid) - 3, (v, best)
        # Truncation error is clearly visible at the large nudges.
        assert errors[-1] > 1e3 * errors[best], v


def test_stencils_have_their_order():
    """Each stencil estimates a derivative (its first moment is its divisor) with the
    truncation order the written answer of question 4 expects; no variant field gives p."""
    expected = {"central4": 4, "forward2": 2, "backward2": 2, "forward3": 3, "backward3": 3}
    assert set(expected) == set(hw01.STENCILS)
    f, exact = np.exp, 1.0
    for name, (nodes, weights, divisor) in hw01.STENCILS.items():
        assert sum(weights) == 0 and np.dot(weights, nodes) == divisor, name
        assert hw01._truncation_order(name) == expected[name]
        err = [abs(np.dot(weights, [f(n * e) for n in nodes]) / (divisor * e) - exact)
               for e in (1e-1, 1e-2)]
        order = expected[name]
        assert order - 0.3 <= np.log10(err[0] / err[1]) <= order + 0.3, name
    v = hw01.variant("s1234567")
    assert not any("order" in name for name in dir(v) if not name.startswith("_"))


def test_concrete_answers_use_no_variant():
    for sid in IDS[:50]:
        for source in concrete_answers(hw01.variant(sid)).values():
            assert "variant" not in source


def test_wrong_answers_share_no_line_with_the_solution():
    solution = cells_by_id(nbformat.read(notebook_path("hw01"), as_version=4))
    for grade_id, source in WRONG_ANSWERS.items():
        block = solution[grade_id].source.split("### BEGIN SOLUTION")[1].split("### END SOLUTION")[0]
        reference = {line.strip() for line in block.splitlines()}
        shared = {line.strip() for line in source.splitlines()} & reference - {""}
        assert not shared, (grade_id, shared)


# ---- the notebook, run with nbclient -----------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("student_id", ["s1234567", "a00042", "budi7.santoso"])
def test_reference_passes(student_id):
    results = run_with_answers("hw01", {}, student_id)
    assert results == {gid: None for gid in TEST_CELLS}


@pytest.mark.slow
@pytest.mark.parametrize("student_id", ["s1234567", "a00042"])
def test_concrete_answers_pass_for_their_student(student_id):
    results = run_with_answers("hw01", concrete_answers(hw01.variant(student_id)), student_id)
    assert results == {gid: None for gid in TEST_CELLS}


TYPICAL_MISTAKES = {
    "dJ/dw left in w": ({"q1_answer": "dJ_dw = sp.diff(variant.J_of_w, w)\nslope_at_u0 = 1.0\n"},
                        {"q1_test_derivative": "it should depend only on u"}),
    "the chapter's 1 − 2α and its limit 1": (
        {"q3_answer": "step_factor = 1 - 2 * alpha\nalpha_max = sp.Integer(1)\n"},
        {"q3_test": "should get smaller as c grows"}),
    "w_new / w, with w left in": (
        {"q3_answer": "step_factor = (w - alpha * sp.diff(variant.q3_J, w)) / w\nalpha_max = 1 / c\n"},
        {"q3_test": "step_factor uses w"}),
    "alpha_max not where the factor is −1": (
        {"q3_answer": "step_factor = 1 - 2 * alpha * c\nalpha_max = 2 / c\n"},
        {"q3_test": "step_factor and alpha_max do not agree"}),
    "gradient that nudges w in place": (
        {"q2_answer": ("def numerical_gradient(J, w, eps=1e-4):\n"
                       "    w = np.asarray(w, dtype=float)\n"
                       "    g = np.zeros(w.shape)\n"
                       "    for i in np.ndindex(w.shape):\n"
                       "        w[i] += eps\n"
                       "        up = J(w)\n"
                       "        w[i] -= 2 * eps\n"
                       "        g[i] = (up - J(w)) / (2 * eps)\n"
                       "    return g\n")},
        {"q2_test": "changed the array w it was given"}),
    "gradient that ignores frozen entries": (
        {"q2_answer": ("def numerical_gradient(J, w, eps=1e-4):\n"
                       "    w = np.array(w, dtype=float)\n"
                       "    g = np.zeros(w.shape)\n"
                       "    for i in np.ndindex(w.shape):\n"
                       "        e = np.zeros(w.shape)\n"
                       "        e[i] = eps\n"
                       "        g[i] = (J(w + e) - J(w - e)) / (2 * eps)\n"
                       "    return g\n")},
        {"q2_test": "is frozen in your variant"}),
    "signed errors": ({"q4_answer": "errors = np.log10(eps_grid)\nbest_eps = eps_grid[0]\n"},
                      {"q4_test": "not negative"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(TYPICAL_MISTAKES))
def test_typical_mistakes_fail_with_their_message(case):
    answers, expected = TYPICAL_MISTAKES[case]
    results = run_with_answers("hw01", answers, "s1234567")
    for grade_id in TEST_CELLS:
        if grade_id in expected:
            assert results[grade_id] and expected[grade_id] in results[grade_id], results
        elif not any(grade_id.startswith(q.split("_")[0]) for q in answers):
            assert results[grade_id] is None, (grade_id, results[grade_id])


def _visible_only(nb):
    for cell in nb.cells:
        cell.source = HIDDEN.sub("", cell.source)
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("student_id", ["s1234567", "alice0001", "s77"])
def test_wrong_answers_pass_visible_and_fail_hidden(student_id, monkeypatch):
    import homework_tools

    hidden = run_with_answers("hw01", WRONG_ANSWERS, student_id)
    assert all(hidden[gid] and "AssertionError" in hidden[gid] for gid in TEST_CELLS), hidden

    read = nbformat.read
    monkeypatch.setattr(homework_tools.nbformat, "read",
                        lambda *a, **k: _visible_only(read(*a, **k)))
    visible = run_with_answers("hw01", WRONG_ANSWERS, student_id)
    assert visible == {gid: None for gid in TEST_CELLS}, visible


@pytest.mark.slow
def test_visible_messages_never_state_the_expected_value(monkeypatch):
    """Answers that are wrong on purpose: every visible failure message is free of the
    expected numbers (the slope, the step factor's constants, the best eps)."""
    import homework_tools

    student_id = "s1234567"
    v = hw01.variant(student_id)
    read = nbformat.read
    monkeypatch.setattr(homework_tools.nbformat, "read",
                        lambda *a, **k: _visible_only(read(*a, **k)))
    answers = {"q1_answer": "dJ_dw = -1 + 0 * u\nslope_at_u0 = 0.0\n",
               "q2_answer": "def numerical_gradient(J, w, eps=1e-4):\n    return np.ones(np.shape(w))\n",
               "q3_answer": "step_factor = 1 + alpha * c\nalpha_max = c\n",
               "q4_answer": "errors = np.ones(3)\nbest_eps = 0.5\n"}
    results = run_with_answers("hw01", answers, student_id)
    messages = " ".join(m for m in results.values() if m)
    assert all(results[gid] for gid in TEST_CELLS), results
    du_dw = sp.diff(v.u_of_w, w)
    w0 = float(sp.nsolve(v.u_of_w - v.u0, w, (-20, 20), solver="bisect"))
    slope = float(sp.diff(v.J_of_w, w).subs(w, w0))
    secrets = [f"{slope:.3g}", f"{slope:.6g}", str(sp.solve(sp.diff(v.q3_J, w), w)[0])]
    secrets += [f"{float(du_dw.subs(w, w0)):.4g}"]
    for secret in secrets:
        assert secret not in messages, (secret, messages)


@pytest.mark.slow
def test_shortcuts_fail_their_questions():
    """A quick, in-kernel look at the shortcuts (the real grader counts points in
    test_homework_shortcuts.py): each fails the test cells of the questions it answers,
    except the one slope that one sp.diff and a root-finder can give."""
    allowed_to_pass = {("one_sp_diff", "q1_test_value")}
    for name, (_, answers) in SHORTCUTS.items():
        results = run_with_answers("hw01", answers, "s1234567")
        for grade_id in TEST_CELLS:
            question = grade_id.split("_")[0]
            if f"{question}_answer" in answers and (name, grade_id) not in allowed_to_pass:
                assert results[grade_id], (name, grade_id)
