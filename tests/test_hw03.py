"""Homework 3: the variants (``backproplab.homework.hw03``) and the notebook's tests.

- variants are deterministic per id, differ between ids (structural choices too), refuse
  placeholder ids, and every variant is well posed (checked over 500 ids: two different
  hidden activations, an ELU kink that is a real kink, targets inside the output's range,
  hidden pre-activations away from the kinks, and gradients of the given data that central
  differences can check);
- the module gives the forward pass only, never a derivative, and its message helper never
  states the expected value;
- the instructor notebook, run with nbclient, passes with the reference answers for a few
  ids; typical wrong answers fail the expected test cells with the expected messages, which
  never state an expected value; another student's typed-in answers fail every test cell.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
from homework_tools import cells_by_id, notebook_path, run_with_answers
from shortcuts_hw03 import F_PRIME_OF_A, SHORTCUTS, concrete_answers

from backproplab.gradcheck import numerical_gradients, relative_error
from backproplab.homework import hw03
from backproplab.variants import StudentIdError

IDS = [f"s{n}" for n in range(500)]
TEST_CELLS = ["q1_test", "q2_test", "q3_test", "q4_test"]
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)
LONG_NUMBER = re.compile(r"\d\.\d{4,}")  # an expected value would print like this


@pytest.fixture(scope="module")
def variants():
    return [hw03.variant(sid) for sid in IDS]


def reference_gradients(v, params, X, Y):
    """The test's own backward pass of ``v.loss`` (independent of the notebook's)."""
    def f_prime(z, name):
        return {"leaky_relu": lambda: np.where(z > 0, 1.0, v.leak),
                "elu": lambda: np.where(z > 0, 1.0, v.alpha * np.exp(np.minimum(z, 0))),
                "softplus": lambda: 1 / (1 + np.exp(-v.beta * z)),
                "sigmoid": lambda: np.exp(-z) / (1 + np.exp(-z)) ** 2,
                "tanh": lambda: 1 / np.cosh(z) ** 2}[name]()

    z, a = v.forward(params, X)
    r = a[3] - Y
    dl = {"squared": lambda: r,
          "pseudo_huber": lambda: r / np.sqrt(1 + (r / (v.loss_constant or 1)) ** 2),
          "log_cosh": lambda: (v.loss_constant or 1) * np.tanh(r / (v.loss_constant or 1)),
          }[v.loss_name]()
    delta = dl * f_prime(z[3], v.output) / len(X)
    grads = [None] * 3
    for l in (3, 2, 1):
        grads[l - 1] = {"W": a[l - 1].T @ delta + v.lam * params[l - 1]["W"],
                        "b": delta.sum(axis=0)}
        if l > 1:
            delta = (delta @ params[l - 1]["W"].T) * f_prime(z[l - 1], v.hidden[l - 2])
    return grads


# ---- the variants ----------------------------------------------------------------------

def test_variant_is_deterministic_and_normalised():
    assert hw03.variant("S1234567") == hw03.variant(" s1234567 ")
    assert hw03.variant("s1234567").student_id == "s1234567"
    p1, X1, Y1 = hw03.variant("s1").data()
    p2, X2, Y2 = hw03.variant("s1").data()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(p1[0]["W"], p2[0]["W"])


def test_ids_give_different_variants(variants):
    tasks = {tuple(v.__dict__[f] for f in v.__dataclass_fields__
                   if f not in ("student_id", "data_seed")) for v in variants}
    assert len(tasks) >= 0.99 * len(variants)
    # Structural choices vary too, not only the numbers.
    assert {v.hidden for v in variants} == {(a, b) for a in hw03.HIDDEN_ACTIVATIONS
                                            for b in hw03.HIDDEN_ACTIVATIONS if a != b}
    assert {v.output for v in variants} == set(hw03.OUTPUT_ACTIVATIONS)
    assert {v.loss_name for v in variants} == set(hw03.LOSSES)
    structures = {(v.hidden, v.output, v.loss_name) for v in variants}
    assert len(structures) == 54


@pytest.mark.parametrize("placeholder", ["", "your id", "  TODO ", "...", None, 1234567])
def test_placeholder_ids_are_refused(placeholder):
    with pytest.raises(StudentIdError):
        hw03.variant(placeholder)


def test_describe_states_the_numbers(variants):
    for v in variants[:50]:
        text = v.describe()
        assert v._repr_markdown_() == text
        for value in v.constants().values():
            assert f"= {value:g}$" in text, (v, value)
        assert " → ".join([f"{v.sizes[0]} inputs"]) in text
        assert hw03._NAMES[v.hidden[0]] in text and hw03._NAMES[v.output] in text


def test_describe_uses_no_delta_for_a_constant_and_counts_units(variants):
    # δ is the homework's delta; the pseudo-Huber constant is κ. "1 unit", "2 units".
    for v in variants[:80]:
        text = v.describe()
        assert "\\delta" not in text and "δ" not in text, v
        n_out = v.sizes[3]
        assert f"({n_out} unit{'s' if n_out != 1 else ''})" in text, v
        if v.loss_name == "pseudo_huber":
            assert f"$\\kappa = {v.loss_constant:g}$" in text, v
    assert {v.sizes[3] for v in variants[:80]} >= {1, 2}
    assert any(v.loss_name == "pseudo_huber" for v in variants[:80])


def test_every_variant_is_well_posed(variants):
    for v in variants:
        assert v.hidden[0] != v.hidden[1]
        assert "softplus" != v.hidden[0] or v.hidden[1] != "softplus"
        assert abs(v.alpha - 1) >= 0.2 - 1e-12 and 0.3 <= v.alpha <= 2.0
        assert 0.05 <= v.leak <= 0.3 and 0.5 <= v.beta <= 3.0 and 0.01 <= v.lam <= 0.2
        assert (v.loss_constant is None) == (v.loss_name == "squared")
        params, X, Y = v.data()
        z, a = v.forward(params, X)
        for l in (1, 2):
            assert np.min(np.abs(z[l])) > hw03.KINK_DISTANCE
        low, high = v.target_range()
        assert np.all((Y >= low) & (Y <= high))
        # The output does not saturate, so the output delta is not ~0.
        assert np.max(np.abs(z[3])) < hw03.OUTPUT_RANGE, v
        loss = v.loss(params, X, Y)
        assert np.isfinite(loss) and loss > 0


def test_given_data_have_gradients_central_differences_can_check(variants):
    for v in variants:
        params, X, Y = v.data()
        exact = reference_gradients(v, params, X, Y)
        numeric = numerical_gradients(lambda p: v.loss(p, X, Y), params)
        for g, n in zip(exact, numeric):
            for key in ("W", "b"):
                # the visible test allows 1e-6: a margin for rounding in other answers
                assert relative_error(g[key], n[key]) < 5e-7, (v, key)
                assert np.max(np.abs(g[key])) > 1e-4, (v, key)


def test_activate_and_loss_terms_match_their_formulas():
    v = hw03.Variant(homework="hw03", student_id="t", hidden=("elu", "softplus"), alpha=1.5,
                     beta=2.0, leak=0.1, output="softplus", loss_name="log_cosh",
                     loss_constant=0.7)
    z = np.array([-30.0, -1.0, 0.5, 30.0])
    np.testing.assert_allclose(v.activate(z, 1), np.where(z > 0, z, 1.5 * np.expm1(z)),
                               rtol=1e-14, atol=0)
    np.testing.assert_allclose(v.activate(z, 2), np.log1p(np.exp(2 * z)) / 2, rtol=1e-14)
    r = np.array([-2.0, 0.1, 3.0])
    np.testing.assert_allclose(v.loss_terms(r, 0), 0.49 * np.log(np.cosh(r / 0.7)),
                               rtol=1e-12)
    huber = hw03.Variant(homework="hw03", student_id="t", loss_name="pseudo_huber",
                         loss_constant=2.0)
    np.testing.assert_allclose(huber.loss_terms(r, 0), 4 * (np.sqrt(1 + r ** 2 / 4) - 1),
                               rtol=1e-14)


def test_module_gives_no_derivative():
    public = {name for name in dir(hw03) if not name.startswith("_")}
    public |= {name for name in dir(hw03.Variant) if not name.startswith("_")}
    for word in ("prime", "delta", "grad", "backward", "backprop", "deriv"):
        assert not [name for name in public if word in name.lower()], word


def test_compare_never_states_the_expected_value():
    expected = np.array([[0.123456789, -2.718281828]])
    for got in ([[0.123456789, 3.0]], [[1.0, 2.0, 3.0]], [[np.nan, 1.0]], "text"):
        with pytest.raises(AssertionError) as info:
            hw03.compare(got, expected, "x", regions={"z < 0": expected < 0,
                                                      "z > 0": expected > 0})
        assert "0.1234" not in str(info.value) and "2.718" not in str(info.value)
    with pytest.raises(AssertionError, match=r"where z < 0 \(those where z > 0 are right\)"):
        hw03.compare([[0.123456789, 3.0]], expected, "x",
                     regions={"z < 0": expected < 0, "z > 0": expected > 0})
    hw03.compare(expected + 1e-14, expected, "x")


def test_visible_tests_carry_no_reference_implementation():
    nb = nbformat.read(notebook_path("hw03"), as_version=4)
    for grade_id in TEST_CELLS:
        visible = HIDDEN.sub("", cells_by_id(nb)[grade_id].source)
        for giveaway in ("check_close", "W.T", ".T @", "expm1", "tanh(", "np.exp(",
                         "sqrt", "variant.lam *", "sum(axis=0)"):
            assert giveaway not in visible, (grade_id, giveaway)


# ---- the notebook, run with nbclient ----------------------------------------------------

def _ids_with(predicate, n=1):
    return [sid for sid in IDS if predicate(hw03.variant(sid))][:n]


@pytest.mark.slow
@pytest.mark.parametrize("student_id", ["s1234567", "alice0001", "budi42.santoso"])
def test_reference_passes(student_id):
    assert run_with_answers("hw03", {}, student_id) == dict.fromkeys(TEST_CELLS)


NO_F_PRIME = ("def hidden_delta(delta, W, a_hidden, layer):\n"
              "    return delta @ W.T\n")
TRANSPOSED = ("def hidden_delta(delta, W, a_hidden, layer):\n"
              "    return (W @ delta.T)\n")
NO_PENALTY = ("def weight_and_bias_gradients(a_prev, delta, W):\n"
              "    return a_prev.T @ delta, delta.sum(axis=0)\n")
NO_F_PRIME_OUT = ("delta_out = sp.diff({'squared': (y_hat - y)**2 / 2, 'pseudo_huber': "
                  "(variant.loss_constant or 1)**2 * (sp.sqrt(1 + ((y_hat - y) / "
                  "(variant.loss_constant or 1))**2) - 1), 'log_cosh': "
                  "(variant.loss_constant or 1)**2 * sp.log(sp.cosh((y_hat - y) / "
                  "(variant.loss_constant or 1)))}[variant.loss_name], y_hat)\n")
IN_Z = "z = sp.Symbol('z')\ndelta_out = (sp.tanh(z) - y) * (1 - sp.tanh(z)**2)\n"
NO_MEAN = ("def backprop(params, X, Y):\n"
           "    z, a = variant.forward(params, X)\n"
           "    delta = sp.lambdify((y_hat, y), delta_out)(a[3], Y)\n"
           "    grads = [None] * 3\n"
           "    for l in (3, 2, 1):\n"
           "        W = np.asarray(params[l - 1]['W'], dtype=float)\n"
           "        dW, db = weight_and_bias_gradients(a[l - 1], delta, W)\n"
           "        grads[l - 1] = {'W': dW, 'b': db}\n"
           "        if l > 1:\n"
           "            delta = hidden_delta(delta, W, a[l - 1], l - 1)\n"
           "    return grads\n")

WRONG = {
    # name: (answers, {test cell: message fragment}); the other test cells pass.
    "no_f_prime": ({"q1_answer": NO_F_PRIME},
                   {"q1_test": "has the right shape but wrong values",
                    "q4_test": "dW of layer 1"}),
    "transposed": ({"q1_answer": TRANSPOSED},
                   {"q1_test": "hidden_delta(delta, W, a_hidden, layer=1)", "q4_test": ""}),
    "no_penalty": ({"q2_answer": NO_PENALTY},
                   {"q2_test": "dW has the right shape but wrong values",
                    "q4_test": "(the others agree)"}),
    "f_prime_at_a": ({"q1_answer": F_PRIME_OF_A["q1_answer"]},
                     {"q1_test": "has the right shape but wrong values",
                      "q4_test": "layer 1"}),
    "bias_penalised": ({"q2_answer": F_PRIME_OF_A["q2_answer"]},
                       {"q2_test": "db has the right shape but wrong values",
                        "q4_test": "db of layer"}),
    "no_f_prime_out": ({"q3_answer": NO_F_PRIME_OUT},
                       {"q3_test": "disagrees with central differences",
                        "q4_test": "start with the output delta"}),
    "in_z": ({"q3_answer": IN_Z}, {"q3_test": "uses z", "q4_test": ""}),
    "no_mean": ({"q4_answer": NO_MEAN}, {"q4_test": "Your gradients disagree"}),
    # the package's penalty gradient is refused in q2 (q4 uses the student's own q2 freely)
    "calls_l2_gradient": (SHORTCUTS["calls_l2_gradient"][1],
                          {"q2_test": "backproplab.optimizers.l2_gradient"}),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_answers_fail_with_a_message(name):
    answers, failing = WRONG[name]
    # an ELU or softplus hidden layer 1, so that f' at a differs from f' at z there
    student = _ids_with(lambda v: v.hidden[0] != "leaky_relu")[0]
    results = run_with_answers("hw03", answers, student)
    for cell in TEST_CELLS:
        if cell in failing:
            assert results[cell] is not None, (name, cell)
            assert failing[cell] in results[cell], (name, cell, results[cell])
            if results[cell].startswith("AssertionError"):  # the tests' own messages
                assert not LONG_NUMBER.search(results[cell]), (name, results[cell])
        else:
            assert results[cell] is None, (name, cell, results[cell])


@pytest.mark.slow
def test_concrete_answers_pass_for_their_student_only():
    own = run_with_answers("hw03", concrete_answers(hw03.variant("carol77")), "carol77")
    assert own == dict.fromkeys(TEST_CELLS)
    other = run_with_answers("hw03", concrete_answers(hw03.variant("carol77")), "dave88")
    assert all(other[cell] is not None for cell in TEST_CELLS), other


# ---- PyTorch's autograd is hidden in questions 1, 2 and 4 ------------------------------

TORCH_AUTOGRAD = SHORTCUTS["torch_autograd"][1]


def _covering(variants, n_max=12):
    """A few variants that together show every hidden activation, output and loss."""
    chosen, seen = [], set()
    for v in variants:
        values = {("h", v.hidden[0]), ("h", v.hidden[1]), ("o", v.output), ("l", v.loss_name)}
        if not values <= seen:
            seen |= values
            chosen.append(v)
    return chosen[:n_max]


def test_torch_autograd_answers_compute_the_gradients(variants):
    """The shortcuts are real ones: unhindered, .backward() gives the right answers."""
    for v in _covering(variants):
        namespace = {"np": np, "variant": v}
        for grade_id in ("q1_answer", "q2_answer", "q4_answer"):
            exec(TORCH_AUTOGRAD[grade_id], namespace)
        params, X, Y = v.data()
        got = namespace["backprop"](params, X, Y)
        want = reference_gradients(v, params, X, Y)
        for layer in range(3):
            for key in ("W", "b"):
                np.testing.assert_allclose(got[layer][key], want[layer][key], rtol=1e-9,
                                           atol=1e-12, err_msg=f"{v} d{key} of layer {layer + 1}")
        rng = np.random.default_rng(5)
        a, delta, W = rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), rng.normal(size=(3, 2))
        dW, db = namespace["weight_and_bias_gradients"](a, delta, W)
        np.testing.assert_allclose(dW, a.T @ delta + v.lam * W, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(db, delta.sum(axis=0), rtol=1e-12, atol=1e-12)
        for layer in (1, 2):
            z = rng.choice([-1.0, 1.0], size=(4, 3)) * rng.uniform(0.1, 2.0, size=(4, 3))
            h = 1e-6
            slope = (v.activate(z + h, layer) - v.activate(z - h, layer)) / (2 * h)
            np.testing.assert_allclose(
                namespace["hidden_delta"](delta, W, v.activate(z, layer), layer),
                (delta @ W.T) * slope, rtol=1e-6, atol=1e-9)


@pytest.mark.slow
def test_torch_autograd_answers_fail_with_a_message():
    results = run_with_answers("hw03", TORCH_AUTOGRAD, "s1234567")
    for cell, name in (("q1_test", "hidden_delta"), ("q2_test", "weight_and_bias_gradients"),
                       ("q4_test", "backprop")):
        assert results[cell].startswith(
            f"AssertionError: {name} calls torch.autograd.backward (what loss.backward() runs): "
            "PyTorch's automatic differentiation computes the gradients for you"), results
    assert results["q3_test"] is None, results
