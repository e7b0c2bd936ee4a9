"""Tests of the homework checks and the chapter 1 widget, driven without a browser."""

import base64

import numpy as np
import pytest
import sympy as sp

from backproplab.checks import check_close, check_equivalent, check_expression, check_number
from backproplab.widgets.derivatives import EXAMPLE_FUNCTIONS, DerivativeExplorer

w = sp.Symbol("w")
alpha, c = sp.symbols("alpha c")


def test_check_close_passes_and_explains_failures():
    check_close([1.0, 2.0], [1.0, 2.0 + 1e-9], "grad")
    with pytest.raises(AssertionError, match=r"grad is wrong: at index \(1,\) expected 2, got 3\. Nudge"):
        check_close([1.0, 3.0], [1.0, 2.0], "grad", hint="Nudge both ways.")
    with pytest.raises(AssertionError, match="should have shape"):
        check_close([1.0], [1.0, 2.0], "grad")
    with pytest.raises(AssertionError, match="NaN or infinity"):
        check_close([np.nan], [1.0], "grad")
    with pytest.raises(AssertionError, match="should be numeric"):
        check_close("abc", 1.0, "x")


def test_check_number():
    assert check_number(sp.Integer(6), "s") == 6.0
    with pytest.raises(AssertionError, match="still contains the symbol"):
        check_number(2 * w, "s")
    with pytest.raises(AssertionError, match="should be a number"):
        check_number(None, "s")
    with pytest.raises(AssertionError, match="should be a number"):
        check_number(True, "s")


def test_equivalence_is_symbolic_not_textual():
    expected = sp.diff((3 * w - 2) ** 2, w)
    for answer in [6 * (3 * w - 2), 18 * w - 12, 2 * (3 * w - 2) * 3, sp.expand(6 * (3 * w - 2))]:
        check_equivalent(answer, expected, {w}, "dJ_dw")
    check_equivalent(sp.sin(w) ** 2 + sp.cos(w) ** 2 - 2 * alpha * c, 1 - 2 * alpha * c,
                     {alpha, c, w}, "f")
    with pytest.raises(AssertionError, match="not equivalent.*chain rule"):
        check_equivalent(2 * (3 * w - 2), expected, {w}, "dJ_dw", hint="Use the chain rule.")


def test_expression_checks_reject_strings_and_foreign_symbols():
    with pytest.raises(AssertionError, match="not the string"):
        check_expression("6*(3*w-2)", {w}, "dJ_dw")
    with pytest.raises(AssertionError, match="uses x, but it should depend only on w"):
        check_expression(sp.Symbol("x") * 2, {w}, "dJ_dw")
    with pytest.raises(AssertionError, match="should be a SymPy expression"):
        check_expression([w], {w}, "dJ_dw")
    assert check_expression(3, {w}, "k") == 3


def test_explorer_computes_what_it_shows():
    explorer = DerivativeExplorer(function="w²", w=3.0, eps=0.5)
    assert explorer.result.change == pytest.approx(3.25)
    assert explorer.k == pytest.approx(6.0)
    assert explorer.png.startswith(b"\x89PNG")
    assert explorer.image.value == explorer.png
    assert "3.25" in explorer.readout.value

    explorer.w.value = 2.0
    explorer.eps.value = 0.001
    assert explorer.result.J_nudged == pytest.approx(4.004001, abs=1e-9)
    assert explorer.k == pytest.approx(4.0)


@pytest.mark.parametrize("name", list(EXAMPLE_FUNCTIONS))
def test_explorer_survives_extreme_settings(name):
    explorer = DerivativeExplorer(function=name)
    for w_value in (explorer.w.min, explorer.w.max):
        for eps_value in (10 ** explorer.eps.min, 10 ** explorer.eps.max):
            explorer.w.value = w_value
            explorer.eps.value = eps_value
            assert np.isfinite(explorer.result.change)
            assert explorer.png.startswith(b"\x89PNG")


def test_explorer_offers_a_static_picture():
    explorer = DerivativeExplorer()
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == explorer.png


def test_explorer_rejects_unknown_function():
    with pytest.raises(ValueError, match="choose one of"):
        DerivativeExplorer(function="w^2")


def test_call_without_reference_refuses_answers_that_call_the_package():
    import backproplab.mlp as mlp
    from backproplab.checks import call_without_reference
    from backproplab.mlp import hidden_delta

    def lazy(delta, W, z_prev):
        return hidden_delta(delta, W, z_prev, "identity")

    def via_module(delta, W, z_prev):
        return mlp.hidden_delta(delta, W, z_prev, "identity")

    def honest(delta, W, z_prev):
        return delta @ W.T

    args = (np.ones((2, 3)), np.ones((4, 3)), np.zeros((2, 4)))
    for answer in (lazy, via_module):
        with pytest.raises(AssertionError, match="reference implementation backproplab.mlp.hidden_delta"):
            call_without_reference(answer, *args)
    np.testing.assert_allclose(call_without_reference(honest, *args), np.full((2, 4), 3.0))
    # Everything is put back afterwards.
    assert mlp.hidden_delta is hidden_delta
    assert lazy(*args).shape == (2, 4)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "identity"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_delta_explorer_computes_checked_gradients(activation, loss):
    from backproplab.gradcheck import check_gradients
    from backproplab.widgets.delta_formulas import DeltaExplorer

    explorer = DeltaExplorer(activation="sigmoid", loss="cross_entropy", stage=0)
    explorer.activation.value = activation
    explorer.loss.value = loss
    output = DeltaExplorer.LOSSES[loss]
    report = check_gradients(explorer.params, explorer.x, explorer.y, explorer.grads,
                             hidden=activation, output=output, loss=loss)
    assert report.ok, str(report)
    # The hidden deltas it shows are the ones the weight gradients of layer 1 come from.
    np.testing.assert_allclose(explorer.grads[0]["W"], explorer.x.T @ explorer.deltas[1])
    for stage in range(explorer.stage.max + 1):
        explorer.stage.value = stage
        assert explorer.png.startswith(b"\x89PNG")
        assert f"{explorer.deltas[1][0, 0]:+.4f}" in explorer.readout.value or stage not in (5, 6)


def test_delta_explorer_buttons_stop_at_the_ends():
    from backproplab.widgets.delta_formulas import DeltaExplorer

    explorer = DeltaExplorer(stage=0)
    explorer.previous.click()
    assert explorer.stage.value == 0
    for _ in range(20):
        explorer.next.click()
    assert explorer.stage.value == explorer.stage.max
    with pytest.raises(ValueError, match="choose one of"):
        DeltaExplorer(activation="softplus")
