"""Chapter 5's package code: batch norm, residual blocks, dropout, clipping, deep networks,
and gradient norms, checked against central differences (float64),
the theory's bounds, and (optionally) PyTorch."""

import numpy as np
import pytest

from backproplab.deepnets import (
    DeepNet,
    batchnorm_backward,
    batchnorm_forward,
    clip_by_global_norm,
    deep_backward,
    deep_forward,
    deep_loss,
    dropout_backward,
    dropout_forward,
    global_norm,
    gradient_flow_verdict,
    gradient_norms,
    residual_backward,
    residual_forward,
    sigmoid_band_width,
)
from backproplab.gradcheck import numerical_gradients, relative_error
from backproplab.losses import one_hot
from backproplab.mlp import backward, forward, init_params

RTOL = 1e-7


def numeric(f, arrays):
    """Central differences of the scalar f(**arrays) with respect to every array."""
    names = list(arrays)
    grads = numerical_gradients(lambda p: f(**p[0]), [dict(arrays)])[0]
    return [grads[n] for n in names]


@pytest.fixture
def rng():
    return np.random.default_rng(42)


# --- batch normalisation -------------------------------------------------------------

def test_batchnorm_gradients_match_central_differences(rng):
    x, gamma, beta = rng.normal(size=(6, 4)) * 3 + 1, rng.normal(size=4), rng.normal(size=4)
    weights = rng.normal(size=(6, 4))  # L = Σ weights ⊙ y: every dy entry different

    def loss(x, gamma, beta):
        return float((weights * batchnorm_forward(x, gamma, beta)[0]).sum())

    _, cache, _ = batchnorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = batchnorm_backward(weights, cache)
    for got, expected in zip((dx, dgamma, dbeta), numeric(loss, dict(x=x, gamma=gamma, beta=beta))):
        assert relative_error(got, expected) <= RTOL


def test_batchnorm_inference_uses_running_statistics_and_its_gradient(rng):
    x = rng.normal(size=(8, 3)) * 2 + 5
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.zeros(3)
    _, _, running = batchnorm_forward(x, gamma, beta, momentum=1.0)
    np.testing.assert_allclose(running.mean, x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(running.var, x.var(axis=0, ddof=1), rtol=1e-12)
    y, cache, same = batchnorm_forward(x[:1], gamma, beta, training=False, running=running)
    assert same is running
    np.testing.assert_allclose(y, gamma * (x[:1] - running.mean) / np.sqrt(running.var + 1e-5)
                               + beta, rtol=1e-12)
    weights = rng.normal(size=(1, 3))
    dx, _, _ = batchnorm_backward(weights, cache)
    (expected,) = numeric(lambda x: float((weights * batchnorm_forward(
        x, gamma, beta, training=False, running=running)[0]).sum()), dict(x=x[:1]))
    assert relative_error(dx, expected) <= RTOL


def test_batchnorm_output_is_normalised_and_inputs_untouched(rng):
    x = rng.normal(size=(50, 3)) * 10 - 4
    x_before = x.copy()
    y, _, _ = batchnorm_forward(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, atol=1e-6)
    np.testing.assert_array_equal(x, x_before)


def test_batchnorm_errors_say_what_to_change():
    with pytest.raises(ValueError, match="at least 2 rows"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,\)"):
        batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3))
    _, cache, _ = batchnorm_forward(np.arange(12.0).reshape(4, 3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="dy must have the shape"):
        batchnorm_backward(np.ones((3, 3)), cache)


def test_batchnorm_matches_pytorch_float64(rng):
    torch = pytest.importorskip("torch")
    x, gamma, beta = rng.normal(size=(7, 5)) * 2 + 1, rng.normal(size=5), rng.normal(size=5)
    dy = rng.normal(size=(7, 5))
    y, cache, running = batchnorm_forward(x, gamma, beta, momentum=0.1)
    dx, dgamma, dbeta = batchnorm_backward(dy, cache)
    bn = torch.nn.BatchNorm1d(5, eps=1e-5, momentum=0.1, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor(gamma))
        bn.bias.copy_(torch.tensor(beta))
    xt = torch.tensor(x, requires_grad=True)
    yt = bn(xt)
    yt.backward(torch.tensor(dy))
    for ours, theirs in [(y, yt), (dx, xt.grad), (dgamma, bn.weight.grad), (dbeta, bn.bias.grad),
                         (running.mean, bn.running_mean), (running.var, bn.running_var)]:
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# --- residual blocks, dropout, clipping --------------------------------------------------

@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_residual_block_gradients_match_central_differences(rng, activation):
    a, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    weights = rng.normal(size=(5, 4))

    def loss(a, W, b):
        return float((weights * residual_forward(a, W, b, activation)[0]).sum())

    _, z = residual_forward(a, W, b, activation)
    da, grads = residual_backward(weights, a, W, z, activation)
    for g, expected in zip((da, grads["W"], grads["b"]), numeric(loss, dict(a=a, W=W, b=b))):
        assert relative_error(g, expected) <= RTOL


def test_residual_block_passes_the_gradient_through_unchanged_when_the_layer_is_dead(rng):
    a, W, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), np.full(4, -100.0)
    d_out = rng.normal(size=(3, 4))
    _, z = residual_forward(a, W, b, "relu")
    da, grads = residual_backward(d_out, a, W, z, "relu")
    np.testing.assert_array_equal(da, d_out)
    assert not grads["W"].any()
    with pytest.raises(ValueError, match="W must be square"):
        residual_forward(a, np.ones((4, 3)), np.zeros(3), "relu")


def test_dropout_mask_expectation_gradient_and_rng(rng):
    a = rng.normal(size=(400, 50))
    out, mask = dropout_forward(a, 0.3, np.random.default_rng(1))
    out2, mask2 = dropout_forward(a, 0.3, np.random.default_rng(1))
    np.testing.assert_array_equal(mask, mask2)
    assert set(np.unique(mask)) == {0.0, 1 / 0.7}
    assert abs((mask == 0).mean() - 0.3) < 0.01
    assert abs(mask.mean() - 1) < 0.02  # inverted dropout keeps the expectation
    weights = rng.normal(size=a.shape)
    small, w_small = a[:3, :4], weights[:3, :4]
    _, m_small = dropout_forward(small, 0.5, np.random.default_rng(2))
    (expected,) = numeric(lambda a: float((w_small * dropout_forward(
        a, 0.5, np.random.default_rng(2))[0]).sum()), dict(a=small))
    assert relative_error(dropout_backward(w_small, m_small), expected) <= RTOL
    same, ones = dropout_forward(a, 0.3, None, training=False)
    np.testing.assert_array_equal(same, a)
    assert ones.all()
    with pytest.raises(ValueError, match=r"in \[0, 1\)"):
        dropout_forward(a, 1.0, rng)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        dropout_forward(a, 0.5, 123)


def test_clipping_scales_to_the_global_norm_and_keeps_the_direction():
    grads = [{"W": np.array([[3.0]]), "b": np.array([4.0])}]
    before = [{k: v.copy() for k, v in g.items()} for g in grads]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(5.0, rel=1e-15)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-15)
    np.testing.assert_allclose(clipped[0]["W"], [[0.6]], rtol=1e-15)
    np.testing.assert_array_equal(grads[0]["W"], before[0]["W"])  # not mutated
    small, norm = clip_by_global_norm(grads, 10.0)
    np.testing.assert_array_equal(small[0]["b"], grads[0]["b"])
    assert small[0]["b"] is not grads[0]["b"]
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        clip_by_global_norm(grads, 0)
    with pytest.raises(ValueError, match="NaN or infinity"):
        clip_by_global_norm([{"W": np.array([np.nan])}], 1.0)


# --- the deep network --------------------------------------------------------------------

def _problem(rng, m=6, n_in=3, classes=3):
    return rng.normal(size=(m, n_in)), one_hot(rng.integers(0, classes, size=m), classes)


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu"])
def test_plain_deep_net_gives_the_gradients_of_mlp_backward(rng, hidden):
    X, Y = _problem(rng)
    net = DeepNet([3, 4, 4, 3], hidden=hidden)
    params = net.init(rng, "xavier")
    z_out, caches, _ = deep_forward(net, params, X)
    ours = deep_backward(net, params, z_out, caches, Y)
    theirs = backward(params, forward(params, X, hidden, "softmax"), Y, "cross_entropy", hidden,
                      "softmax")
    for a, b in zip(ours, theirs):
        assert relative_error(a["W"], b["W"]) <= 1e-12 and relative_error(a["b"], b["b"]) <= 1e-12


@pytest.mark.parametrize("batchnorm, residual, dropout", [
    (True, False, 0.0), (False, True, 0.0), (True, True, 0.0), (False, False, 0.4),
    (True, True, 0.3)])
def test_deep_net_gradients_match_central_differences(rng, batchnorm, residual, dropout):
    X, Y = _problem(rng)
    net = DeepNet([3, 4, 4, 4, 3], hidden="tanh", batchnorm=batchnorm, residual=residual,
                  dropout=dropout)
    params = net.init(rng, 0.7)
    if batchnorm:  # not the trivial γ = 1, β = 0
        params = [{k: v + (rng.normal(size=v.shape) * 0.3 if k in ("gamma", "beta") else 0)
                   for k, v in layer.items()} for layer in params]
    seed = 5  # the same dropout masks in every forward pass
    z_out, caches, _ = deep_forward(net, params, X, rng=np.random.default_rng(seed))
    grads = deep_backward(net, params, z_out, caches, Y)
    expected = numerical_gradients(
        lambda p: deep_loss(net, p, X, Y, rng=np.random.default_rng(seed)), params)
    for l, (g, e) in enumerate(zip(grads, expected), start=1):
        assert set(g) == set(e)
        for name in g:
            if batchnorm and name == "b" and l < len(grads):  # batch norm subtracts b again
                assert np.abs(g[name]).max() < 1e-12 and np.abs(e[name]).max() < 1e-8
                continue
            assert relative_error(g[name], e[name]) <= RTOL, (l, name)


def test_deep_net_explains_errors(rng):
    X, _ = _problem(rng)
    net = DeepNet([3, 4, 4, 3], batchnorm=True, dropout=0.2)
    params = net.init(rng)
    with pytest.raises(ValueError, match="dropout must be in"):
        DeepNet([3, 3], dropout=1.5)
    with pytest.raises(ValueError, match="unknown activation"):
        DeepNet([3, 3], hidden="swish")
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        deep_forward(net, params, X)  # dropout needs an rng in training




# --- gradient norms as the theory says ----------------------------------------------------

def test_sigmoid_deltas_shrink_by_at_least_the_predicted_factor(rng):
    """‖δ^(l−1)‖ ≤ ‖W^l‖₂ · max σ′ · ‖δ^l‖ = ‖W^l‖₂ / 4 · ‖δ^l‖ (eq-delta-product). With one
    example the bias gradient is the delta itself."""
    depth = 30
    params = init_params([10] + [16] * depth + [3], rng)
    X, Y = rng.normal(size=(1, 10)), one_hot([1], 3)
    deltas = gradient_norms(params, X, Y, hidden="sigmoid", of="b")
    for l in range(2, depth + 2):
        bound = np.linalg.norm(params[l - 1]["W"], 2) / 4
        assert deltas[l - 2] <= bound * deltas[l - 1] * (1 + 1e-12)
    predicted = np.prod([np.linalg.norm(p["W"], 2) / 4 for p in params[1:]])
    assert deltas[0] <= predicted * deltas[-1] * (1 + 1e-9)
    assert deltas[0] / deltas[-1] < 1e-10  # and it really vanishes


def test_gradient_norms_vanish_for_sigmoid_but_not_for_relu_with_he(rng):
    X = rng.normal(size=(64, 20))
    Y = one_hot(rng.integers(0, 5, size=64), 5)
    sizes = [20] + [32] * 30 + [5]
    sig = gradient_norms(init_params(sizes, np.random.default_rng(1)), X, Y, "sigmoid")
    relu = gradient_norms(init_params(sizes, np.random.default_rng(1), "he"), X, Y, "relu")
    assert sig[0] / sig[-1] < 1e-12
    assert 1e-2 < relu[0] / relu[-1] < 1e2
    with pytest.raises(ValueError, match="of must be 'W'"):
        gradient_norms(init_params(sizes, rng), X, Y, of="z")


def test_weight_scale_moves_tanh_from_vanishing_to_exploding(rng):
    X = rng.normal(size=(32, 16))
    Y = one_hot(rng.integers(0, 4, size=32), 4)
    sizes = [16] + [32] * 20 + [4]
    ratio = {}
    for scale in (0.05, 1.0):  # std 0.05 is far below xavier's 0.18; 1.0 is far above
        n = gradient_norms(init_params(sizes, np.random.default_rng(3), scale), X, Y, "tanh",
                           of="b")  # the deltas, summed over the batch
        ratio[scale] = n[0] / n[-1]
    assert ratio[0.05] < 1e-6 < 10 < ratio[1.0]


def test_gradient_flow_verdict_says_why_a_run_does_not_learn():
    learning = gradient_flow_verdict([0.5, 1.0], [2.0] + [1.0] * 10)
    assert learning.learns and learning.cause == "" and learning.ratio == 0.5
    assert learning.first_loss == 2.0 and learning.last_loss == 1.0
    flat = [2.0] * 11
    assert gradient_flow_verdict([1e-9, 1e-8], flat).cause == "none"
    assert gradient_flow_verdict([1e-6, 1.0], flat).cause == "early"
    assert gradient_flow_verdict([0.5, 1.0], flat).cause == "other"
    assert not gradient_flow_verdict([0.0, 1.0], flat).reaches
    assert not gradient_flow_verdict([np.nan, 1.0], flat).reaches


# --- why large weights cannot rescue the sigmoid (eq-sigmoid-band) ------------------------

def _band_width_on_a_grid(w, b, half_width=3.0, n=600_001):
    a = np.linspace(-half_width, half_width, n)
    z = w * a + b
    sigma = 1 / (1 + np.exp(-z))
    inside = np.abs(w * sigma * (1 - sigma)) >= 1
    return inside.sum() * (a[1] - a[0])


@pytest.mark.parametrize("w", [4.5, 6.9, -10.0, 30.0, 200.0])
def test_sigmoid_band_width_matches_a_grid_of_inputs(w):
    for b in (0.0, 1.7):   # the bias only moves the band
        assert abs(sigmoid_band_width(w) - _band_width_on_a_grid(w, b)) <= 2e-5


def test_sigmoid_band_is_empty_below_four_and_narrow_for_large_weights():
    assert np.array_equal(sigmoid_band_width([0.5, 2.0, 3.99, 4.0]), np.zeros(4))
    w = np.linspace(4, 100, 96_001)
    width = sigmoid_band_width(w)
    k = np.argmax(width)
    assert abs(w[k] - 6.9) < 0.1 and abs(width[k] - 0.45) < 0.01   # Nielsen: at most ≈ 0.45
    assert sigmoid_band_width(1e4) < 2e-3                           # ~ (2/|w|) ln|w|
    with pytest.raises(ValueError, match="finite"):
        sigmoid_band_width(np.nan)
