"""Tests of forward mode on a graph of Values (``backproplab.forward_mode``, chapter 2):
it must give the gradients that reverse mode (``Value.backward``) gives, one sweep per
input, and agree with PyTorch's forward-mode JVP in float64 when torch is installed."""

import math

import numpy as np
import pytest

from backproplab.autograd import Value, mlp_graph, neuron_loss, nodes_by_label, two_paths
from backproplab.forward_mode import directional_derivative, forward_mode_gradient
from backproplab.mlp import init_params


def net(seed=1):
    rng = np.random.default_rng(seed)
    params = init_params([3, 4, 2], rng)
    return params, rng.standard_normal((4, 3)), rng.standard_normal((4, 2))


def test_forward_mode_gives_the_backward_gradients():
    for J in (neuron_loss(), two_paths(2.0), mlp_graph(*net(), hidden="sigmoid").J):
        leaves = [n for n in nodes_by_label(J).values() if not n.children]
        forward = forward_mode_gradient(J, leaves)
        J.backward()
        for leaf, g in zip(leaves, forward):
            assert abs(g - leaf.grad) <= 1e-12 * max(1.0, abs(leaf.grad)), leaf.label


def test_a_direction_gives_the_dot_product_with_the_gradient():
    graph = mlp_graph(*net(2), hidden="tanh")
    leaves = graph.inputs()
    rng = np.random.default_rng(3)
    direction = rng.standard_normal(len(leaves))
    jvp = directional_derivative(graph.J, dict(zip(leaves, direction)))
    graph.J.backward()
    expected = float(np.dot([v.grad for v in leaves], direction))
    assert abs(jvp - expected) <= 1e-12 * max(1.0, abs(expected))


def test_forward_mode_leaves_grads_alone_and_matches_a_nudge():
    J = neuron_loss()
    w = nodes_by_label(J)["w"]
    w.grad = 7.0
    slope = directional_derivative(J, {w: 1.0})
    assert w.grad == 7.0
    eps = 1e-6
    nudge = (neuron_loss(w=0.8 + eps).data - neuron_loss(w=0.8 - eps).data) / (2 * eps)
    assert abs(slope - nudge) <= 1e-8
    assert directional_derivative(J, {}) == 0.0


@pytest.mark.parametrize("tangents, error, message", [
    ([1.0], TypeError, "tangents must be a dict"),
    ({Value(1.0): 1.0}, ValueError, "only name leaves"),
    ("inner", ValueError, "only name leaves"),
    ("word", TypeError, "plain number"),
])
def test_errors_say_what_to_change(tangents, error, message):
    J = neuron_loss()
    nodes = nodes_by_label(J)
    if tangents == "inner":
        tangents = {nodes["z"]: 1.0}
    elif tangents == "word":
        tangents = {nodes["w"]: "1"}
    with pytest.raises(error, match=message):
        directional_derivative(J, tangents)


def test_matches_torch_jvp_float64():
    torch = pytest.importorskip("torch")
    x0, w0, b0, y0 = 1.5, 0.8, -0.5, 1.0

    def loss(w, b):
        return (torch.sigmoid(w * x0 + b) - y0) ** 2

    primals = (torch.tensor(w0, dtype=torch.float64), torch.tensor(b0, dtype=torch.float64))
    for tw, tb in ((1.0, 0.0), (0.0, 1.0), (0.3, -2.0)):
        tangents = (torch.tensor(tw, dtype=torch.float64), torch.tensor(tb, dtype=torch.float64))
        _, theirs = torch.func.jvp(loss, primals, tangents)
        J = neuron_loss(x=x0, w=w0, b=b0, y=y0)
        n = nodes_by_label(J)
        mine = directional_derivative(J, {n["w"]: tw, n["b"]: tb})
        assert math.isclose(mine, float(theirs), rel_tol=1e-12, abs_tol=1e-15)
