"""Homework 6 (BPTT, LSTMs, PyTorch): the variants and the notebook's tests.

Unit tests of ``backproplab.homework.hw06`` (variants per id, well-posed for many ids, the
reference backward pass of question 1 and the derivatives of question 2 agree with central
differences of the given forward code, the book's NumPy LSTM reads PyTorch's weights in the
book's layout), and runs of the instructor notebook with nbclient: the reference passes,
typical wrong answers fail the expected test cells with the expected messages, and the
visible messages never state the expected expression. Question 3's training is run by the
notebook runs (and, for 50 ids, by ``test_homework_shortcuts.py``).
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction

import nbformat
import numpy as np
import pytest
import sympy as sp
from homework_tools import cells_by_id, notebook_path, reference_source, run_with_answers
from shortcuts_hw06 import (
    LAYOUT_Q3,  # PyTorch's weights reshaped, not transposed
    TORCH_AUTOGRAD_Q1,  # the forward pass in torch, loss.backward()
)
from shortcuts_hw06 import TYPED_CHAPTER_Q1 as CHAPTER_Q1  # tanh BPTT, loss on the last step

from backproplab.homework import hw06
from backproplab.variants import StudentIdError

IDS = [f"s{10**6 + 7919 * k}" for k in range(500)]
SYMBOLS = dict(zip(["dL_dc", "c_prev", "i_t", "f_t", "g_t", "p"],
                   sp.symbols("dL_dc c_prev i_t f_t g_t p", real=True)))


@functools.cache
def _reference(grade_id: str) -> str:
    """The source of the instructor notebook's answer cell ``grade_id``, markers removed."""
    nb = nbformat.read(notebook_path("hw06"), as_version=4)
    return reference_source(cells_by_id(nb)[grade_id])


def _answer_namespace(v, grade_id: str, **extra) -> dict:
    """The reference answer cell ``grade_id`` run for variant ``v``."""
    namespace = {"np": np, "sp": sp, "variant": v, **SYMBOLS, **extra}
    exec(_reference(grade_id), namespace)
    return namespace


def test_variant_is_deterministic_per_id():
    assert hw06.variant("a1234567") == hw06.variant("a1234567")
    assert hw06.variant(" A1234567 ") == hw06.variant("a1234567")  # normalised like the grader


def test_different_ids_give_different_tasks():
    variants = list(map(hw06.variant, IDS))
    tasks = {(v.activation, v.act_param, v.reduction, v.gamma, v.cell, v.task, v.lag, v.a)
             for v in variants}
    assert len(tasks) >= 0.95 * len(IDS)
    for field, choices in [("activation", hw06.ACTIVATIONS), ("reduction", hw06.REDUCTIONS),
                           ("cell", hw06.CELLS), ("task", hw06.TASKS)]:
        seen = {getattr(v, field) for v in variants}
        assert seen == set(choices), f"{field} takes only {seen}"


@pytest.mark.parametrize("bad", ["", "your id", "two words", None, 1234567])
def test_placeholder_ids_are_refused(bad):
    with pytest.raises(StudentIdError):
        hw06.variant(bad)


def test_every_variant_is_well_posed():
    for v in map(hw06.variant, IDS[:200]):
        n_in, n_h, n_out = v.sizes
        assert n_in >= 2 and n_h >= 3 and n_out >= 1 and v.steps >= 4 and v.batch >= 3
        assert 2 <= v.lag <= 5 and 2 <= v.n_in <= 3 and 12 <= v.n_h <= 20
        assert all(0.5 <= abs(float(a)) <= 1.5 for a in v.a)
        assert 20 <= v.k <= 60 and Fraction(1, 2) <= v.rho <= Fraction(9, 10)
        assert Fraction(9, 10) <= v.f_bar <= Fraction(99, 100)
        # Question 1's test problem: every gradient is measurable by the visible check.
        params, X, Y = hw06.random_problem(v, np.random.default_rng(v.seed_q1))
        grads = _answer_namespace(v, "q1_answer",
                                  act=lambda z, v=v: hw06.activation(v, z))["rnn_gradients"](
            params, X, Y)
        for key in hw06.PARAM_KEYS:
            assert 1e-4 < np.linalg.norm(grads[key]) < 1e3, (v.student_id, key)


def test_describe_states_the_task():
    v = hw06.variant("s1234567")
    text = v._repr_markdown_()
    assert "s1234567" in text and f"k = {v.k}" in text and f"{float(v.f_bar):g}" in text
    assert f"{v.n_h} hidden units" in text and f"T = {v.steps}" in text


@pytest.mark.parametrize("student", IDS[:60:6])
def test_reference_backward_agrees_with_central_differences(student):
    v = hw06.variant(student)
    params, X, Y = hw06.random_problem(v, np.random.default_rng(v.seed_q1), steps=6)
    grads = _answer_namespace(v, "q1_answer", act=lambda z: hw06.activation(v, z))[
        "rnn_gradients"](params, X, Y)
    for key in hw06.PARAM_KEYS:
        numeric = hw06.central_difference(
            lambda value, key=key: hw06.sequence_loss(v, {**params, key: value}, X, Y),
            params[key])
        np.testing.assert_allclose(grads[key], numeric, rtol=1e-6, atol=1e-9, err_msg=key)


def test_step_weights_follow_the_reduction():
    by_kind = {v.reduction: v for v in map(hw06.variant, IDS[:50])}
    np.testing.assert_allclose(hw06.step_weights(by_kind["sum"], 3), [1, 1, 1], rtol=0)
    np.testing.assert_allclose(hw06.step_weights(by_kind["mean"], 4), [0.25] * 4, rtol=1e-15)
    gamma = float(by_kind["discounted"].gamma)
    np.testing.assert_allclose(hw06.step_weights(by_kind["discounted"], 3),
                               [gamma ** 2, gamma, 1], rtol=1e-15)


@pytest.mark.parametrize("cell", hw06.CELLS)
def test_reference_cell_gradient_agrees_with_central_differences(cell):
    v = next(v for v in map(hw06.variant, IDS) if v.cell == cell)
    expr = _answer_namespace(v, "q2_answer")["cell_gradient"]
    s = SYMBOLS
    rng = np.random.default_rng(6)
    for _ in range(5):
        z_f, z_i, g, c, p, dc = rng.normal(size=6)
        peep_f = p * c if cell in ("peephole_f", "coupled_peephole") else 0.0
        f = 1 / (1 + np.exp(-(z_f + peep_f)))
        i = 1 - f if cell.startswith("coupled") else 1 / (1 + np.exp(-(z_i + (
            p * c if cell == "peephole_i" else 0.0))))
        if cell == "coupled":
            numeric = dc * hw06.central_difference(
                lambda z: hw06.cell_quantity(v, z, z_i, g, c, p), np.array(z_f))
        else:
            numeric = dc * hw06.central_difference(
                lambda c_: hw06.cell_quantity(v, z_f, z_i, g, c_, p), np.array(c))
        value = float(expr.subs({s["dL_dc"]: dc, s["c_prev"]: c, s["f_t"]: f, s["i_t"]: i,
                                 s["g_t"]: g, s["p"]: p}))
        assert abs(value - float(numeric)) < 1e-7 * (1 + abs(float(numeric))), (cell, value)


def test_lstm_predictions_read_pytorch_weights_in_the_books_layout():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm, head = torch.nn.LSTM(3, 5, batch_first=True).double(), torch.nn.Linear(5, 2).double()
    X = np.random.default_rng(1).normal(size=(4, 7, 3))
    with torch.no_grad():
        want = head(lstm(torch.from_numpy(X))[0]).numpy()
        params = {"W_x": lstm.weight_ih_l0.numpy().T, "W_h": lstm.weight_hh_l0.numpy().T,
                  "b": (lstm.bias_ih_l0 + lstm.bias_hh_l0).numpy(),
                  "W_y": head.weight.numpy().T, "b_y": head.bias.numpy()}
    np.testing.assert_allclose(hw06.lstm_predictions(params, X), want, rtol=1e-12, atol=1e-12)


def test_task_targets_follow_the_task():
    for v in map(hw06.variant, IDS[:20]):
        X, Y = hw06.task_data(v, np.random.default_rng(0), 3, steps=12)
        s = X @ np.array([float(a) for a in v.a])
        t = 9
        want = s[:, t - v.lag] if v.task == "delay" else s[:, t - v.lag + 1:t + 1].sum(axis=1)
        np.testing.assert_allclose(Y[:, t, 0], want, rtol=1e-12)
        if v.task == "delay":
            assert np.all(Y[:, :v.lag] == 0)


def test_prose_has_no_raw_equation_labels():
    nb = nbformat.read(notebook_path("hw06"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\beq-[a-z]", cell.source), cell.source[:80]


# ---- the notebook, run with nbclient --------------------------------------------------

@pytest.mark.slow
def test_reference_passes():
    assert run_with_answers("hw06", {}, "budi77.santoso") == {
        "q1_test": None, "q2_test": None, "q3_test": None}


def _variant_with(predicate) -> str:
    return next(s for s in IDS if predicate(hw06.variant(s)))


PEEPHOLE_F = _variant_with(lambda v: v.cell == "peephole_f" and v.reduction == "mean")
COUPLED = _variant_with(lambda v: v.cell == "coupled" and v.activation == "leaky_relu")
Q3_STUB = "def train_lstm(X, Y, seed):\n    raise NotImplementedError()\n"



def _h0_forgotten(v) -> str:
    """The reference answer with h0's gradient taken from the first sequence only."""
    source = _reference("q1_answer")
    assert 'grads["h0"] = dh.sum(axis=0)' in source
    return source.replace('grads["h0"] = dh.sum(axis=0)', 'grads["h0"] = dh[0]')




@pytest.mark.slow
def test_chapter_answers_fail_with_a_message():
    """The chapter's BPTT (tanh, last step), its cell path dL/dc ⊙ f and no training."""
    results = run_with_answers("hw06", {"q1_answer": CHAPTER_Q1,
                                        "q2_answer": "cell_gradient = dL_dc * f_t\n",
                                        "q3_answer": Q3_STUB}, PEEPHOLE_F)
    assert "output weights are wrong too" in results["q1_test"], results
    assert "does not match a numerical derivative" in results["q2_test"], results
    assert results["q3_test"].startswith("NotImplementedError"), results
    v = hw06.variant(PEEPHOLE_F)
    s = SYMBOLS
    expected = s["dL_dc"] * (s["f_t"] + s["p"] * s["c_prev"] * s["f_t"] * (1 - s["f_t"]))
    for shown in (str(expected), str(sp.expand(expected)), "p*c_prev", "c_prev*p"):
        assert shown not in results["q2_test"], results["q2_test"]
    assert v.cell == "peephole_f"


@pytest.mark.slow
def test_slips_fail_with_a_message():
    """h0's gradient of one sequence, one sp.diff with the pre-activation left in, and a
    trained model handed back in PyTorch's layout."""
    v = hw06.variant(COUPLED)
    results = run_with_answers("hw06", {
        "q1_answer": _h0_forgotten(v),
        "q2_answer": "z = sp.Symbol('z')\ncell_gradient = dL_dc * sp.diff("
                     "c_prev / (1 + sp.exp(-z)) + g_t * (1 - 1 / (1 + sp.exp(-z))), z)\n",
        "q3_answer": LAYOUT_Q3}, COUPLED)
    assert "every other gradient is right: h0 is one vector shared" in results["q1_test"], results
    assert "cell_gradient uses z" in results["q2_test"], results
    assert "conversion to the book's layout is wrong" in results["q3_test"], results


# ---- PyTorch's autograd: hidden in question 1, allowed in question 3 -------------------

AUTOGRAD_MESSAGE = ("rnn_gradients calls torch.autograd.backward (what loss.backward() runs): "
                    "PyTorch's automatic differentiation computes the gradients for you")


@pytest.mark.parametrize("student", [_variant_with(lambda v, a=a: v.activation == a)
                                     for a in ("leaky_relu", "softsign")])
def test_torch_autograd_answer_computes_the_gradients(student):
    """The shortcut is a real one: unhindered, loss.backward() gives question 1's gradients."""
    import torch

    v = hw06.variant(student)
    params, X, Y = hw06.random_problem(v, np.random.default_rng(v.seed_q1))
    namespace = {"np": np, "torch": torch, "hw06": hw06, "variant": v}
    exec(TORCH_AUTOGRAD_Q1, namespace)
    want = _answer_namespace(v, "q1_answer", act=lambda z: hw06.activation(v, z))[
        "rnn_gradients"](params, X, Y)
    got = namespace["rnn_gradients"](params, X, Y)
    for key in hw06.PARAM_KEYS:
        np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.slow
def test_torch_autograd_fails_question_1_only():
    """Question 1's test hides torch's autograd and says so; question 3 still trains with
    loss.backward() in the same notebook."""
    results = run_with_answers("hw06", {"q1_answer": TORCH_AUTOGRAD_Q1}, "budi77.santoso")
    assert results["q1_test"].startswith(f"AssertionError: {AUTOGRAD_MESSAGE}"), results
    assert "write the backward pass yourself" in results["q1_test"], results
    assert results["q2_test"] is None and results["q3_test"] is None, results
