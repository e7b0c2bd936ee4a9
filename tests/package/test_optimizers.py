"""Chapter 4: the optimizers against hand-computed steps and PyTorch, mini-batches,
and the 2-D surfaces."""

import math

import numpy as np
import pytest

from backproplab.mlp import init_params, loss_and_gradients
from backproplab.optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    Momentum,
    RMSProp,
    flatten,
    gradient_noise,
    iterations_per_epoch,
    make_optimizer,
    minibatches,
    soft_threshold,
    tree_map,
)
from backproplab.surfaces import least_squares, quadratic, rosenbrock, run_optimizer

W0 = np.array([1.0, -2.0])
G = np.array([0.5, 4.0])


# --- one step by hand -------------------------------------------------------------------

def test_sgd_step_by_hand():
    assert np.allclose(SGD(0.1).step(W0, G), [0.95, -2.4], rtol=0, atol=1e-15)


def test_momentum_steps_by_hand():
    opt = Momentum(0.1, beta=0.5)
    w1 = opt.step(W0, G)                   # v = g = (0.5, 4)
    assert np.allclose(w1, [0.95, -2.4], rtol=0, atol=1e-15)
    w2 = opt.step(w1, G)                   # v = 0.5 v + g = (0.75, 6)
    assert np.allclose(w2, [0.875, -3.0], rtol=0, atol=1e-15)


def test_rmsprop_step_by_hand():
    opt = RMSProp(0.01, beta=0.9, eps=0.0 + 1e-12)
    w1 = opt.step(W0, G)                   # s = 0.1 g², step = lr g / (√0.1 |g|)
    step = 0.01 / math.sqrt(0.1)
    assert np.allclose(w1, [1 - step, -2 - step], rtol=0, atol=1e-10)


def test_adam_first_step_is_lr_times_sign():
    """After bias correction, Adam's first step is lr · g/|g| (up to eps)."""
    w1 = Adam(0.1, eps=1e-12).step(W0, G)
    assert np.allclose(w1, W0 - 0.1 * np.sign(G), rtol=0, atol=1e-10)


def test_adam_second_step_by_hand():
    opt = Adam(0.1, beta1=0.5, beta2=0.75, eps=1e-12)
    w1 = opt.step(W0, G)
    g2 = np.array([-0.5, 2.0])
    w2 = opt.step(w1, g2)
    m = 0.5 * (0.5 * G) + 0.5 * g2
    v = 0.75 * (0.25 * G**2) + 0.25 * g2**2
    expected = w1 - 0.1 * (m / (1 - 0.25)) / np.sqrt(v / (1 - 0.75**2))
    assert np.allclose(w2, expected, rtol=0, atol=1e-12)
    assert opt.t == 2


def test_weight_decay_and_l1_add_their_gradients():
    assert np.allclose(SGD(0.1, weight_decay=0.5).step(W0, G), W0 - 0.1 * (G + 0.5 * W0))
    assert np.allclose(SGD(0.1, l1=0.5).step(W0, G), W0 - 0.1 * (G + 0.5 * np.sign(W0)))


def test_soft_threshold_moves_towards_zero_and_stops_at_exactly_zero():
    w = np.array([-2.0, -0.3, 0.0, 0.05, 0.3, 1.0])
    shrunk = soft_threshold(w, 0.3)
    assert np.allclose(shrunk, [-1.7, 0.0, 0.0, 0.0, 0.0, 0.7], rtol=0, atol=1e-15)
    assert np.count_nonzero(shrunk == 0.0) == 4            # exact zeros, not small numbers
    assert np.array_equal(soft_threshold(w, 0.0), w)
    assert np.array_equal(w, [-2.0, -0.3, 0.0, 0.05, 0.3, 1.0])  # its argument unchanged
    with pytest.raises(ValueError, match="threshold"):
        soft_threshold(w, -0.1)


def test_soft_threshold_is_the_proximal_step_of_l1():
    """It minimises ‖x − w‖²/2 + t Σ|x|: no point of a fine grid around it does better."""
    t = 0.25
    for w in (-1.3, -0.2, 0.1, 0.24, 0.26, 2.0):
        x_star = float(soft_threshold(np.array([w]), t)[0])
        grid = np.linspace(-3, 3, 60001)
        objective = 0.5 * (grid - w) ** 2 + t * np.abs(grid)
        assert abs(x_star - grid[np.argmin(objective)]) <= 1e-4
        assert 0.5 * (x_star - w) ** 2 + t * abs(x_star) <= objective.min() + 1e-12


def test_subgradient_l1_oscillates_where_the_proximal_step_reaches_zero():
    """L(w) = (w − 0.3)²/2 + 0.5 |w| has its minimum at exactly 0 (0.3 < 0.5)."""
    lr, l1, c = 0.1, 0.5, 0.3
    opt, w_sub, w_prox = SGD(lr, l1=l1), np.array([1.0]), np.array([1.0])
    subgradient_path = []
    for _ in range(200):
        w_sub = opt.step(w_sub, w_sub - c)
        w_prox = soft_threshold(w_prox - lr * (w_prox - c), lr * l1)
        subgradient_path.append(float(w_sub[0]))
    tail = np.array(subgradient_path[-50:])
    assert np.all(tail != 0.0) and tail.min() < 0 < tail.max()  # around 0, never at it
    assert np.abs(tail).max() <= lr * (l1 + c) + 1e-12
    assert w_prox[0] == 0.0


def test_reset_forgets_the_state():
    opt = Momentum(0.1, beta=0.9)
    first = opt.step(W0, G)
    opt.step(first, G)
    opt.reset()
    assert opt.t == 0 and np.array_equal(opt.step(W0, G), first)


# --- the interface --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_step_works_on_mlp_params_and_changes_nothing(name):
    rng = np.random.default_rng(0)
    params = init_params([3, 4, 2], rng)
    X, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    _, grads = loss_and_gradients(params, X, y)
    before = [{k: v.copy() for k, v in layer.items()} for layer in params]
    grads_before = [{k: v.copy() for k, v in layer.items()} for layer in grads]
    opt = make_optimizer(name, 0.1)
    new = opt.step(params, grads)
    new = opt.step(new, grads)
    assert isinstance(new, list) and set(new[0]) == {"W", "b"}
    assert new[0]["W"].shape == (3, 4) and new[1]["b"].shape == (2,)
    for layer, old in zip(params, before):
        assert all(np.array_equal(layer[k], old[k]) for k in old)
    for layer, old in zip(grads, grads_before):
        assert all(np.array_equal(layer[k], old[k]) for k in old)
    assert not np.array_equal(new[0]["W"], params[0]["W"])


def test_flatten_and_tree_map_keep_the_structure():
    tree = [{"W": np.ones((2, 2)), "b": np.zeros(2)}, (np.arange(3.0),)]
    leaves, rebuild = flatten(tree)
    assert len(leaves) == 3
    doubled = tree_map(lambda a, b: a + b, tree, tree)
    assert isinstance(doubled[1], tuple) and np.array_equal(doubled[0]["W"], 2 * np.ones((2, 2)))
    assert rebuild(leaves)[0]["b"] is leaves[1]


def test_bad_arguments_get_sentences():
    with pytest.raises(ValueError, match="lr .* positive number"):
        SGD(-0.1)
    with pytest.raises(ValueError, match="below 1"):
        Momentum(0.1, beta=1.0)
    with pytest.raises(ValueError, match="structure and shapes"):
        SGD(0.1).step(W0, np.zeros(3))
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer("Adagrad", 0.1)
    opt = Adam(0.1)
    opt.step(W0, G)
    with pytest.raises(ValueError, match="call reset"):
        opt.step([W0, W0], [G, G])


# --- PyTorch's optimizers (optional) ------------------------------------------------------

PYTORCH_CASES = [
    ("SGD", dict(lr=1e-3), {}, "SGD", dict(lr=1e-3)),
    ("Momentum", dict(lr=1e-3, beta=0.8), {}, "SGD", dict(lr=1e-3, momentum=0.8)),
    ("RMSProp", dict(lr=0.01, beta=0.9, eps=1e-8), {}, "RMSprop",
     dict(lr=0.01, alpha=0.9, eps=1e-8)),
    ("Adam", dict(lr=0.02, beta1=0.8, beta2=0.95, eps=1e-8), {}, "Adam",
     dict(lr=0.02, betas=(0.8, 0.95), eps=1e-8)),
]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
@pytest.mark.parametrize("ours, our_args, _, theirs, their_args", PYTORCH_CASES,
                         ids=[c[0] for c in PYTORCH_CASES])
def test_matches_pytorch_for_several_steps(ours, our_args, _, theirs, their_args,
                                           weight_decay):
    """Ten steps on Rosenbrock in float64: the same points as torch.optim, whose
    weight_decay is the coupled L2 of eq-l2 (added to the gradient)."""
    torch = pytest.importorskip("torch")
    surface = rosenbrock()
    w_torch = torch.tensor([-1.0, 1.5], dtype=torch.float64, requires_grad=True)
    opt_torch = getattr(torch.optim, theirs)([w_torch], weight_decay=weight_decay,
                                             **their_args)
    opt = OPTIMIZERS[ours](weight_decay=weight_decay, **our_args)
    w = np.array([-1.0, 1.5])
    for _ in range(10):
        opt_torch.zero_grad()
        x, y = w_torch[0], w_torch[1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).backward()
        opt_torch.step()
        w = opt.step(w, surface.grad(w))
        assert np.allclose(w, w_torch.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_matches_pytorch_on_an_mlp():
    """Adam with weight decay on the MLP's params: the same as torch.optim.Adam."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    params = init_params([4, 5, 3], rng)
    X, y = rng.normal(size=(8, 4)), rng.normal(size=(8, 3))
    tensors = [torch.tensor(layer[k], requires_grad=True) for layer in params for k in "Wb"]
    opt_torch = torch.optim.Adam(tensors, lr=0.01, weight_decay=0.01)
    opt = Adam(0.01, weight_decay=0.01)
    for _ in range(5):
        _, grads = loss_and_gradients(params, X, y)
        for t, g in zip(tensors, [layer[k] for layer in grads for k in "Wb"]):
            t.grad = torch.tensor(g)
        opt_torch.step()
        params = opt.step(params, grads)
        for t, p in zip(tensors, [layer[k] for layer in params for k in "Wb"]):
            assert np.allclose(p, t.detach().numpy(), rtol=1e-10, atol=1e-12)


# --- mini-batches -------------------------------------------------------------------------

@pytest.mark.parametrize("n, batch_size", [(10, 3), (10, 10), (10, 1), (7, 7), (64, 32)])
def test_minibatches_cover_every_row_once(n, batch_size):
    batches = list(minibatches(n, batch_size, np.random.default_rng(0)))
    assert len(batches) == iterations_per_epoch(n, batch_size) == math.ceil(n / batch_size)
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))
    assert all(len(b) == batch_size for b in batches[:-1])
    assert 1 <= len(batches[-1]) <= batch_size


def test_minibatches_shuffle_with_the_rng_only():
    a = np.concatenate(list(minibatches(50, 8, np.random.default_rng(5))))
    b = np.concatenate(list(minibatches(50, 8, np.random.default_rng(5))))
    c = np.concatenate(list(minibatches(50, 8, np.random.default_rng(6))))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(np.concatenate(list(minibatches(5, 2, None, shuffle=False))),
                          np.arange(5))


def test_minibatches_reject_bad_sizes():
    with pytest.raises(ValueError, match="larger than the 5 samples"):
        list(minibatches(5, 6, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="whole number"):
        list(minibatches(5, 0, np.random.default_rng(0)))
    with pytest.raises(TypeError, match="Generator"):
        list(minibatches(5, 2, 0))


def test_gradient_noise_falls_with_the_batch_size():
    rng = np.random.default_rng(0)
    params = init_params([3, 4, 1], rng)
    X, y = rng.normal(size=(100, 3)), rng.normal(size=(100, 1))
    noise = [gradient_noise(params, X, y, b, np.random.default_rng(1), n_draws=100)
             for b in (1, 10, 100)]
    assert noise[0] > 3 * noise[1] > 0 and noise[2] < 1e-20


# --- surfaces -----------------------------------------------------------------------------

@pytest.mark.parametrize("surface", [quadratic(), rosenbrock(),
                                     least_squares(np.random.default_rng(0))],
                         ids=["quadratic", "rosenbrock", "least_squares"])
def test_surface_gradients_match_central_differences(surface):
    for w in ([0.3, -0.7], [-1.2, 1.0], [2.0, 0.5]):
        w = np.array(w)
        eps = 1e-6
        numeric = [(surface.value(w + eps * e) - surface.value(w - eps * e)) / (2 * eps)
                   for e in np.eye(2)]
        assert np.allclose(surface.grad(w), numeric, rtol=1e-6, atol=1e-6)
    assert np.allclose(surface.grad(np.array(surface.minimum)), 0, atol=1e-8)


def test_sgd_on_the_quadratic_converges_below_two_over_the_curvature_only():
    surface = quadratic(1.0, 20.0)
    assert not run_optimizer(SGD(0.099), surface, n_steps=300).diverged
    run = run_optimizer(SGD(0.101), surface, n_steps=3000)
    assert run.diverged and run.diverged_at > 100
    fast = run_optimizer(SGD(0.5), surface, n_steps=100)
    assert fast.diverged and fast.diverged_at < 10
    assert len(fast.points) == fast.diverged_at + 1 == len(fast.losses)


def test_run_optimizer_with_minibatches_is_noisy_but_converges():
    surface = least_squares(np.random.default_rng(0))
    full = run_optimizer(SGD(0.1), surface, n_steps=3000)
    noisy = run_optimizer(SGD(0.1), surface, n_steps=300, batch_size=4,
                          rng=np.random.default_rng(1))
    best = surface.value(np.array(surface.minimum))
    assert full.final_loss == pytest.approx(best, rel=1e-3)
    assert best < noisy.final_loss < 1.5 * best
    with pytest.raises(ValueError, match="has no mini-batches"):
        run_optimizer(SGD(0.1), quadratic(), batch_size=4, rng=np.random.default_rng(0))


def test_trajectory_distance_to_the_minimum():
    surface = quadratic()
    run = run_optimizer(SGD(0.04), surface, n_steps=200)
    expected = np.hypot(*(run.points[-1] - np.array(surface.minimum)))
    assert run.distance_to(surface.minimum) == pytest.approx(expected, rel=1e-12)
    assert run_optimizer(SGD(0.04), surface, n_steps=0).distance_to(surface.start) == 0
