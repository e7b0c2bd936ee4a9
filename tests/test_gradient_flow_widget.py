"""Chapter 5's GradientFlow widget (backproplab.widgets.vanishing_exploding), driven
programmatically: gradient norms at initialisation and a short training run for its
controls. Slow (tens of seconds of training), so not in the fast tier tests/package."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def flow():
    from backproplab.widgets.vanishing_exploding import GradientFlow
    return GradientFlow(depth=10, activation="sigmoid", init="xavier")


def _png_ok(demo):
    assert demo.png.startswith(b"\x89PNG") and demo.image.value == demo.png


def test_gradient_flow_sigmoid_vanishes_and_batchnorm_helps(flow):
    flow.depth.value = 30
    assert flow.norms.shape == (31,)
    assert flow.norms[0] / flow.norms[-1] < 1e-8
    assert "early layers get (almost) no gradient" in flow.message
    flow.batchnorm.value = True
    assert flow.norms[0] / flow.norms[-1] > 1e-2
    losses = flow.result.history.iteration_loss
    assert "it learns" in flow.message and losses[-1] < losses[0]
    _png_ok(flow)
    flow.batchnorm.value = False


def test_gradient_flow_extremes_depth_50_tiny_and_huge_scales(flow):
    flow.depth.value = 50
    flow.activation.value = "relu"
    flow.init.value = "custom"
    assert not flow.gain.disabled
    flow.gain.value = 10 ** flow.gain.max  # the largest gain: explodes
    assert flow.result.history.diverged_at is not None
    assert "Training diverged" in flow.message and "smaller init scale" in flow.message
    _png_ok(flow)
    flow.activation.value = "tanh"
    flow.gain.value = 0.01  # the smallest gain: nothing flows
    assert flow.norms.max() < 1e-30 and flow.result.history.diverged_at is None
    assert "no layer gets a usable gradient" in flow.message
    _png_ok(flow)


def test_gradient_flow_residual_with_small_gain_trains_at_depth_50(flow):
    flow.depth.value = 50
    flow.activation.value = "relu"
    flow.init.value = "custom"
    flow.gain.value = 0.1
    flow.residual.value = True
    assert flow.scale == pytest.approx(0.1 / 4)
    assert 0.1 < flow.norms[0] / flow.norms[-1] < 10
    losses = flow.result.history.iteration_loss
    assert np.mean(losses[-10:]) < 0.5 * losses[0]
    flow.init.value = "he"
    assert flow.gain.disabled and flow.scale == "he"
    flow.residual.value = False
    assert "GradientFlow(depth=50" in repr(flow)


def test_gradient_flow_rejects_bad_settings():
    from backproplab.widgets.vanishing_exploding import GradientFlow
    with pytest.raises(ValueError, match="depth must be a whole number from 2 to 50"):
        GradientFlow(depth=60)
    with pytest.raises(ValueError, match="unknown activation"):
        GradientFlow(activation="swish")
    with pytest.raises(ValueError, match="unknown init"):
        GradientFlow(init="lecun")
