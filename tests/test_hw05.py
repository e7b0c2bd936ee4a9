"""Homework 5 (vanishing and exploding gradients): the variants and the notebook's tests.

Unit tests of ``backproplab.homework.hw05`` (variants per id, well-posed for many ids, the
given forward passes agree with the hidden tests' backward passes through a gradient check),
and runs of the instructor notebook with nbclient: the reference passes for several ids,
typical wrong answers fail the expected test cells with the expected messages, and the
visible messages never state the expected value.
"""

from __future__ import annotations

import re
from fractions import Fraction

import nbformat
import numpy as np
import pytest
import sympy as sp
from homework_tools import cells_by_id, notebook_path, reference_source, run_with_answers
from shortcuts_hw05 import TORCH_AUTOGRAD_Q1, TORCH_AUTOGRAD_Q3

from backproplab.homework import hw05
from backproplab.variants import StudentIdError

IDS = [f"s{10**6 + 7919 * k}" for k in range(500)]


def test_variant_is_deterministic_per_id():
    assert hw05.variant("a1234567") == hw05.variant("a1234567")
    assert hw05.variant(" A1234567 ") == hw05.variant("a1234567")  # normalised like the grader


def test_different_ids_give_different_tasks():
    tasks = {(v.activation, v.act_param, v.loss, v.measure, v.condition, v.norm, v.eps)
             for v in map(hw05.variant, IDS)}
    assert len(tasks) >= 0.95 * len(IDS)
    variants = list(map(hw05.variant, IDS))
    for field, choices in [("activation", hw05.ACTIVATIONS), ("loss", hw05.LOSSES),
                           ("measure", hw05.MEASURES), ("condition", hw05.CONDITIONS),
                           ("norm", hw05.NORMS)]:
        seen = {getattr(v, field) for v in variants}
        assert seen == set(choices), f"{field} takes only {seen}"


@pytest.mark.parametrize("bad", ["", "   ", "your id", "TODO", "two words", None, 1234567])
def test_placeholder_ids_are_refused(bad):
    with pytest.raises(StudentIdError):
        hw05.variant(bad)


def test_every_variant_is_well_posed():
    for v in map(hw05.variant, IDS):
        assert v.sizes[0] >= 3 and all(n >= 2 for n in v.sizes) and len(v.sizes) >= 5
        assert v.batch >= 4 and v.norm_shape[0] >= 4 and v.norm_shape[1] >= 3
        low, high = ((Fraction(5, 100), Fraction(30, 100)) if v.activation == "leaky_relu"
                     else (Fraction(15, 10), Fraction(3)))
        assert low <= v.act_param <= high
        assert Fraction(5, 100) <= v.eps <= Fraction(1, 2)
        assert 20 <= v.depth <= 60
        # The test network's gradients are neither vanished nor exploded: the visible
        # gradient check (relative tolerance 1e-5) measures every layer reliably.
        params, X, Y = hw05.random_network(v, np.random.default_rng(v.seed_q1))
        norms = _norms(v, params, X, Y)
        assert np.all(norms > 1e-4) and np.all(norms < 1e3), (v.student_id, norms)


def test_describe_states_the_task():
    v = hw05.variant("s1234567")
    text = v._repr_markdown_()
    assert "s1234567" in text and f"{float(v.eps):g}" in text and str(v.depth) in text
    assert f"{float(v.act_param):g}" in text and ", ".join(map(str, v.sizes)) in text


def _norms(v, params, X, Y):
    """The hidden tests' computation (a backward pass), for checking it here."""
    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    answer = reference_source(cells_by_id(nb)["q1_answer"])
    namespace = {"np": np, "variant": v, "f": lambda z: hw05.hidden_activation(v, z)}
    exec(answer, namespace)
    return namespace["layer_gradient_norms"](params, X, Y)


@pytest.mark.parametrize("student", IDS[:40:4])
def test_reference_backward_passes_agree_with_central_differences(student):
    v = hw05.variant(student)
    params, X, Y = hw05.random_network(v, np.random.default_rng(v.seed_q1))
    numeric = []
    for l, layer in enumerate(params):
        def loss_of(value, l=l):
            changed = [dict(p) for p in params]
            changed[l][v.measure] = value
            return hw05.forward_loss(v, changed, X, Y)
        numeric.append(np.linalg.norm(hw05.central_difference(loss_of, layer[v.measure])))
    np.testing.assert_allclose(_norms(v, params, X, Y), numeric, rtol=1e-6, atol=1e-10)

    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    namespace = {"np": np, "variant": v}
    exec(reference_source(cells_by_id(nb)["q3_answer"]), namespace)
    x, gamma, beta, dy = hw05.norm_batch(v, np.random.default_rng(v.seed_q3))
    numeric_dx = hw05.central_difference(
        lambda x_: float(np.sum(dy * hw05.norm_forward(v, x_, gamma, beta))), x)
    np.testing.assert_allclose(namespace["norm_backward"](dy, x, gamma), numeric_dx,
                               rtol=1e-6, atol=1e-8)


def test_weight_variance_keeps_the_variance_level():
    """The reference variance of question 2 keeps E[z²] level in a wide leaky/tanh net."""
    v = hw05.variant("a00000042")
    n_in, n_out = sp.symbols("n_in n_out", positive=True)
    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    namespace = {"sp": sp, "variant": v, "n_in": n_in, "n_out": n_out}
    exec(reference_source(cells_by_id(nb)["q2_answer"]), namespace)
    width = 400
    s2 = float(namespace["weight_var"].subs({n_in: width, n_out: width}))
    rng = np.random.default_rng(3)
    a = rng.normal(size=(500, width)) * 0.1     # small inputs: tanh's linear regime too
    first = None
    for _ in range(10):
        z = a @ (rng.normal(size=(width, width)) * np.sqrt(s2))
        first = first if first is not None else np.mean(z ** 2)
        a = hw05.hidden_activation(v, z)
    assert 0.5 < np.mean(z ** 2) / first < 2.0


def test_prose_has_no_raw_equation_labels():
    """A MyST label such as eq-delta-product means nothing in a notebook: words and a link."""
    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\beq-[a-z]", cell.source), cell.source[:80]


# ---- question 4's model answer against a measurement ----------------------------------

def _bias_gradient_ratio(v, multiple, seed, width=256, batch=64, n_out=10):
    """||dL/db|| of hidden layer 1 over that of hidden layer D (D = v.depth) in a network of
    D hidden layers of ``width``, zero biases, weights of ``multiple`` times the variance of
    question 2's reference answer; and the mean z² of the last hidden layer."""
    n_in, n_out_ = sp.symbols("n_in n_out", positive=True)
    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    namespace = {"sp": sp, "variant": v, "n_in": n_in, "n_out": n_out_}
    exec(reference_source(cells_by_id(nb)["q2_answer"]), namespace)
    s2 = multiple * float(namespace["weight_var"].subs({n_in: width, n_out_: width}))
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(0.0, np.sqrt(s2), (width, width)) for _ in range(v.depth)]
    W_out = rng.normal(0.0, np.sqrt(s2), (width, n_out))
    a, zs = rng.normal(size=(batch, width)), []
    for W in Ws:
        zs.append(a @ W)
        a = hw05.hidden_activation(v, zs[-1])
    z_out = a @ W_out
    if v.loss == "mse":
        delta = (z_out - rng.normal(size=z_out.shape)) / batch
    else:
        e = np.exp(z_out - z_out.max(axis=1, keepdims=True))
        delta = (e / e.sum(axis=1, keepdims=True) - np.eye(n_out)[rng.integers(0, n_out, batch)]) / batch
    p = float(v.act_param)

    def f_prime(z):
        return np.where(z > 0, 1.0, p) if v.activation == "leaky_relu" else p / np.cosh(z) ** 2

    delta = (delta @ W_out.T) * f_prime(zs[-1])
    last = np.linalg.norm(delta.sum(axis=0))
    for l in range(v.depth - 1, 0, -1):
        delta = (delta @ Ws[l].T) * f_prime(zs[l - 1])
    return np.linalg.norm(delta.sum(axis=0)) / last, float(np.mean(zs[-1] ** 2))


def test_q4_model_answer_matches_a_measurement():
    """The model answer's claims, measured in width-256 networks of the variant's depth:
    (a) the right variance keeps the bias-gradient ratio first/last of order 1; (b), (c)
    doubled, it grows by about 2^((D-1)/2) for the leaky ReLU (within a factor 4) and by
    about 1.05^(D-1) for the scaled tanh (within a factor 3: finite width scatters it),
    whose z settles at E[z²] ≈ 0.62."""
    answer = cells_by_id(nbformat.read(notebook_path("hw05"), as_version=4))["q4_written"].source
    for claim in ("2^{(D-1)/2}", "\\approx 1.05", "q \\approx 0.62", "1.05^{D-1}", "within a factor of 3"):
        assert claim in answer, claim
    # the tanh numbers: mean-field fixed point of q = 2 E[tanh²(z)], z ~ N(0, q), any gain
    x, w = np.polynomial.hermite_e.hermegauss(101)
    w = w / w.sum()
    q = 1.0
    for _ in range(300):
        q = 2 * np.sum(w * np.tanh(np.sqrt(q) * x) ** 2)
    factor = np.sqrt(2 * np.sum(w / np.cosh(np.sqrt(q) * x) ** 4))
    assert abs(q - 0.62) < 0.005 and abs(factor - 1.05) < 0.005, (q, factor)

    leaky = [sid for sid in IDS if hw05.variant(sid).activation == "leaky_relu"][:5]
    tanh = [sid for sid in IDS if hw05.variant(sid).activation == "scaled_tanh"][:5]
    for sid in leaky + tanh:
        v = hw05.variant(sid)
        linear = 2 ** ((v.depth - 1) / 2)
        for seed in (0, 1):
            level, _ = _bias_gradient_ratio(v, 1, seed)
            doubled, z2 = _bias_gradient_ratio(v, 2, seed)
            assert 0.05 < level < 3, (sid, level)                        # (a) of order 1
            if v.activation == "leaky_relu":                             # (c) holds: explodes
                assert linear / 4 < doubled / level < 4 * linear, (sid, doubled / level, linear)
            else:                                                        # (c) saturates
                assert 1.05 ** (v.depth - 1) / 3 < doubled < 3 * 1.05 ** (v.depth - 1), (sid, doubled)
                assert doubled < linear / 100 and doubled > 1.5, (sid, doubled)
                assert abs(z2 - q) < 0.15 * q, (sid, z2)


# ---- the notebook, run with nbclient --------------------------------------------------

SLIP_IDS = ["s1234567", "a00000042", "budi77.santoso"]


@pytest.mark.slow
@pytest.mark.parametrize("student", SLIP_IDS)
def test_reference_passes(student):
    results = run_with_answers("hw05", {}, student)
    assert results == {"q1_test": None, "q2_test": None, "q3_test": None}


def _variant_with(predicate) -> str:
    return next(s for s in IDS if predicate(hw05.variant(s)))


LEAKY_CE_W = _variant_with(lambda v: v.activation == "leaky_relu" and v.loss == "cross_entropy"
                           and v.measure == "W")
TANH_B = _variant_with(lambda v: v.activation == "scaled_tanh" and v.measure == "b")
BATCH_UNBIASED = _variant_with(lambda v: v.norm == "batch_unbiased")
LAYER = _variant_with(lambda v: v.norm == "layer")
LEAKY_FORWARD = _variant_with(lambda v: v.activation == "leaky_relu" and v.condition == "forward")

SLIPS = [
    # (student, answers, failing test cell, message fragment)
    (LEAKY_CE_W, {"q1_answer": '''
def layer_gradient_norms(params, X, Y):   # plain ReLU's derivative: the slope alpha forgotten
    acts, zs = [X], []
    for layer in params[:-1]:
        zs.append(acts[-1] @ layer["W"] + layer["b"]); acts.append(f(zs[-1]))
    z_out = acts[-1] @ params[-1]["W"] + params[-1]["b"]
    e = np.exp(z_out - z_out.max(axis=1, keepdims=True))
    delta = (e / e.sum(axis=1, keepdims=True) - Y) / len(X)
    norms = []
    for l in reversed(range(len(params))):
        norms.append(np.linalg.norm(acts[l].T @ delta))
        if l:
            delta = (delta @ params[l]["W"].T) * (zs[l - 1] > 0)
    return np.array(norms[::-1])
'''}, "q1_test", "the output layer is right: check how the delta goes back"),
    (LEAKY_CE_W, {"q1_answer": '''
def layer_gradient_norms(params, X, Y):   # the bias gradients instead of the weights'
    acts, zs = [X], []
    for layer in params[:-1]:
        zs.append(acts[-1] @ layer["W"] + layer["b"]); acts.append(f(zs[-1]))
    z_out = acts[-1] @ params[-1]["W"] + params[-1]["b"]
    e = np.exp(z_out - z_out.max(axis=1, keepdims=True))
    delta = (e / e.sum(axis=1, keepdims=True) - Y) / len(X)
    norms = []
    for l in reversed(range(len(params))):
        norms.append(np.linalg.norm(delta.sum(axis=0)))
        if l:
            delta = (delta @ params[l]["W"].T) * np.where(zs[l - 1] > 0, 1.0, variant.alpha)
    return np.array(norms[::-1])
'''}, "q1_test", "the other kind of gradient"),
    (TANH_B, {"q1_answer": '''
def layer_gradient_norms(params, X, Y):   # the output layer first
    acts, zs = [X], []
    for layer in params[:-1]:
        zs.append(acts[-1] @ layer["W"] + layer["b"]); acts.append(f(zs[-1]))
    z_out = acts[-1] @ params[-1]["W"] + params[-1]["b"]
    if variant.loss == "cross_entropy":
        e = np.exp(z_out - z_out.max(axis=1, keepdims=True))
        delta = (e / e.sum(axis=1, keepdims=True) - Y) / len(X)
    else:
        delta = (z_out - Y) / len(X)
    norms = []
    for l in reversed(range(len(params))):
        norms.append(np.linalg.norm(delta.sum(axis=0)))
        if l:
            delta = (delta @ params[l]["W"].T) * variant.gain * (1 - np.tanh(zs[l - 1]) ** 2)
    return np.array(norms)
'''}, "q1_test", "wrong order"),
    (LEAKY_FORWARD, {"q2_answer": "weight_var = 2 / n_in\n"}, "q2_test", "He's formula"),
    (LEAKY_FORWARD, {"q2_answer": "weight_var = 2 / (n_in + n_out) / (1 + variant.alpha ** 2)\n"},
     "q2_test", "not equivalent"),
    (LEAKY_FORWARD, {"q2_answer": "weight_var = 1 / n_in ** 2\n"}, "q2_test", "should halve"),
    (BATCH_UNBIASED, {"q3_answer": '''
def norm_backward(dy, x, gamma):   # the chapter's formula: the biased variance
    m = dy.shape[0]
    inv = 1 / np.sqrt(x.var(axis=0) + float(variant.eps))
    x_hat = (x - x.mean(axis=0)) * inv
    return gamma * inv / m * (m * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0))
'''}, "q3_test", "does not match a gradient check"),
    (LAYER, {"q3_answer": '''
def norm_backward(dy, x, gamma):   # the statistics held fixed
    inv = 1 / np.sqrt(x.var(axis=1, keepdims=True) + float(variant.eps))
    return gamma * inv * dy
'''}, "q3_test", "should sum to zero along each row"),
]


@pytest.mark.slow
@pytest.mark.parametrize("student, answers, cell, fragment", SLIPS,
                         ids=[f"{cell}-{k}" for k, (_, _, cell, _) in enumerate(SLIPS)])
def test_slips_fail_with_a_message(student, answers, cell, fragment):
    results = run_with_answers("hw05", answers, student)
    assert results[cell] is not None and fragment in results[cell], results[cell]
    others = {c: r for c, r in results.items() if c != cell}
    assert all(r is None for r in others.values()), others


def _numbers(text: str) -> set[float]:
    return {float(t) for t in re.findall(r"-?\d+\.\d{3,}(?:e-?\d+)?", text)}


@pytest.mark.slow
def test_visible_messages_do_not_state_the_expected_value():
    student = LEAKY_FORWARD
    v = hw05.variant(student)
    results = run_with_answers("hw05", {
        "q2_answer": "weight_var = 3 / (n_in + 2 * n_out)\n",
        "q3_answer": "def norm_backward(dy, x, gamma):\n    return 0.5 * dy - 0.5 * dy.mean("
                     f"axis={0 if v.norm.startswith('batch') else 1}, keepdims=True)\n",
    }, student)
    n_in, n_out = sp.symbols("n_in n_out", positive=True)
    kappa = (1 + sp.Rational(v.act_param.numerator, v.act_param.denominator) ** 2) / 2
    expected = {float((1 / (kappa * n_in)).subs({n_in: a, n_out: b}))
                for a, b in [(16, 16), (64, 10), (7, 300), (0.375, 1)]}
    message = results["q2_test"] + results["q3_test"]
    for number in _numbers(message):
        assert all(abs(number - e) > 1e-3 * abs(e) for e in expected), message
    assert "kappa" not in message and "1 +" not in message


# ---- PyTorch's autograd is hidden in questions 1 and 3 ---------------------------------

@pytest.mark.parametrize("student", [LEAKY_CE_W, TANH_B, BATCH_UNBIASED, LAYER])
def test_torch_autograd_answers_compute_the_gradients(student):
    """The shortcuts are real ones: unhindered, loss.backward() gives the right answers."""
    v = hw05.variant(student)
    params, X, Y = hw05.random_network(v, np.random.default_rng(v.seed_q1))
    answers = {"np": np, "variant": v}
    exec(TORCH_AUTOGRAD_Q1 + TORCH_AUTOGRAD_Q3, answers)
    np.testing.assert_allclose(answers["layer_gradient_norms"](params, X, Y),
                               _norms(v, params, X, Y), rtol=1e-10, atol=1e-14)
    nb = nbformat.read(notebook_path("hw05"), as_version=4)
    reference = {"np": np, "variant": v}
    exec(reference_source(cells_by_id(nb)["q3_answer"]), reference)
    x, gamma, _, dy = hw05.norm_batch(v, np.random.default_rng(v.seed_q3))
    np.testing.assert_allclose(answers["norm_backward"](dy, x, gamma),
                               reference["norm_backward"](dy, x, gamma), rtol=1e-9, atol=1e-12)


@pytest.mark.slow
def test_torch_autograd_answers_fail_with_a_message():
    results = run_with_answers("hw05", {"q1_answer": TORCH_AUTOGRAD_Q1,
                                        "q3_answer": TORCH_AUTOGRAD_Q3}, LEAKY_CE_W)
    for cell, name in (("q1_test", "layer_gradient_norms"), ("q3_test", "norm_backward")):
        assert results[cell].startswith(
            f"AssertionError: {name} calls torch.autograd.backward (what loss.backward() runs): "
            "PyTorch's automatic differentiation computes the gradients for you"), results
    assert results["q2_test"] is None, results
