"""Tests of the scalar autograd of chapter 2 (``backproplab.autograd``).

Gradients are checked three ways: central differences (float64, relative error at most
1e-7), SymPy's exact derivatives, and PyTorch's autograd in float64 (optional: skipped when
torch is not installed).
"""

import math
import sys

import pytest
import sympy as sp

from backproplab.autograd import (
    BackwardStep,
    Value,
    backward_steps,
    name_of,
    neuron_loss,
    nodes_by_label,
    square_loss,
    steps_table,
    to_sympy,
    topological_order,
    two_paths,
)
from backproplab.derivatives import central_difference

# Each case: a function of Values (a "graph builder", usable with torch tensors too, see
# TORCH_OPS), and the point to differentiate at.
CASES = {
    "(2 + 3w)²": (lambda w: (2 + 3 * w) ** 2, [1.0]),
    "neuron": (lambda x, w, b, y: ((w * x + b).sigmoid() - y) ** 2, [1.5, 0.8, -0.5, 1.0]),
    "tanh, /, exp, neg": (lambda x, y: (x * y).tanh() + x / y - (-x).exp(), [0.7, -1.3]),
    "log, sigmoid, relu": (lambda x, y: (1 + x ** 2).log() * y.sigmoid() - (x - y).relu(),
                           [1.2, 0.4]),
    "shared nodes": (lambda x, y: x * x * x + x / (x + y) - y * x, [0.9, 2.1]),
    "fractional and negative powers": (lambda x, y: (x - y) ** 3 / 2 + x ** 0.5 + y ** -2,
                                       [2.5, 0.8]),
    "relu off, exp of a sum": (lambda x, y, z: (x - 3).relu() + (x + y + z).exp() * z,
                               [1.0, -0.5, 0.3]),
    "deep chain": (lambda w: ((w * 0.9).tanh() * 1.7 + w).sigmoid() * 4 - w / 3, [0.35]),
}


def relative_error(a: float, b: float) -> float:
    """|a − b| / max(|a|, |b|), and 0 when both are 0."""
    scale = max(abs(a), abs(b))
    return 0.0 if scale == 0 else abs(a - b) / scale


def grads_of(build, point):
    """Data and grads of build(*inputs) at ``point`` with backproplab's autograd."""
    inputs = [Value(v, label=f"x{i}") for i, v in enumerate(point)]
    J = build(*inputs)
    J.backward()
    return J.data, [v.grad for v in inputs]


@pytest.mark.parametrize("name", CASES)
def test_grads_match_central_differences(name):
    build, point = CASES[name]
    _, grads = grads_of(build, point)
    for i, grad in enumerate(grads):
        def J(v, i=i):
            nudged = list(point)
            nudged[i] = v
            return build(*map(Value, nudged)).data
        estimate = central_difference(J, point[i], eps=1e-5)
        assert relative_error(grad, estimate) <= 1e-7, (
            f"{name}: dJ/dx{i} = {grad!r} by autograd, {estimate!r} by central differences")


@pytest.mark.parametrize("name", CASES)
def test_grads_match_sympy(name):
    build, point = CASES[name]
    inputs = [Value(v, label=f"x{i}") for i, v in enumerate(point)]
    J = build(*inputs)
    J.backward()
    expr = to_sympy(J, inputs)
    symbols = [sp.Symbol(v.label) for v in inputs]
    at = dict(zip(symbols, point))
    assert float(expr.subs(at)) == pytest.approx(J.data, rel=1e-12)
    for v, symbol in zip(inputs, symbols):
        exact = float(sp.diff(expr, symbol).subs(at))
        assert relative_error(v.grad, exact) <= 1e-12, f"{name}: d/d{symbol}"


def test_every_operation_has_the_local_derivative_sympy_gives():
    x = sp.Symbol("x")
    for op, at in [("exp", 0.3), ("log", 0.3), ("tanh", 0.3), ("sigmoid", -0.7),
                   ("relu", 0.4), ("relu", -0.4), ("neg", 0.3)]:
        v = Value(at, label="x")
        node = -v if op == "neg" else getattr(v, op)()
        assert node.op == op and node.children == (v,)
        exact = float(sp.diff(to_sympy(node, [v]), x).subs(x, at))
        assert node.local_grads[0] == pytest.approx(exact, rel=1e-13, abs=1e-15), op


def test_the_chapter_graphs():
    J = square_loss(1.0)
    J.backward()
    nodes = nodes_by_label(J)
    assert [nodes[k].data for k in "wusJ"] == [1.0, 3.0, 5.0, 25.0]
    assert [nodes[k].grad for k in "wusJ"] == [30.0, 10.0, 10.0, 1.0]

    J = neuron_loss(x=1.5, w=0.8, b=-0.5, y=1.0)
    J.backward()
    n = nodes_by_label(J)
    a = 1 / (1 + math.exp(-0.7))
    assert n["a"].data == pytest.approx(a, rel=1e-15)
    dJ_dz = 2 * (a - 1.0) * a * (1 - a)  # eq-neuron-chain, factor by factor
    assert n["z"].grad == pytest.approx(dJ_dz, rel=1e-14)
    assert n["w"].grad == pytest.approx(dJ_dz * 1.5, rel=1e-14)
    assert n["b"].grad == pytest.approx(dJ_dz, rel=1e-14)


def test_a_node_used_twice_adds_its_gradients():
    x = Value(3.0, label="x")
    (x * x).backward()
    assert x.grad == 6.0  # 3 + 3, one term per use
    y = x + x + x
    y.backward()
    assert x.grad == 3.0
    J = two_paths(2.0)  # J = w·(w + 1): dJ/dw = (w + 1) + w
    steps = backward_steps(J)
    w = nodes_by_label(J)["w"]
    assert w.grad == 5.0
    terms = [added for step in steps for child, added in zip(step.children, step.added)
             if child is w]
    assert sorted(terms) == [2.0, 3.0] and sum(terms) == w.grad


def test_backward_resets_instead_of_adding_up():
    J = neuron_loss()
    J.backward()
    first = {k: v.grad for k, v in nodes_by_label(J).items()}
    J.backward()
    assert {k: v.grad for k, v in nodes_by_label(J).items()} == first


def test_backward_from_an_inner_node_differentiates_that_node():
    J = square_loss(1.0)
    s = nodes_by_label(J)["s"]
    s.backward()  # ds/dw = 3
    assert nodes_by_label(J)["w"].grad == 3.0 and s.grad == 1.0


def test_backward_steps_record_the_pass():
    J = square_loss(1.0)
    steps = backward_steps(J)
    assert all(isinstance(step, BackwardStep) for step in steps)
    assert [name_of(step.node) for step in steps] == ["J", "s", "u"]  # leaves pass nothing on
    assert [step.upstream for step in steps] == [1.0, 10.0, 10.0]
    u_step = steps[2]
    assert [name_of(c) for c in u_step.children] == ["3", "w"]
    assert u_step.local_grads == (1.0, 3.0)  # d(3w)/d3 = w, d(3w)/dw = 3
    assert u_step.added == (10.0, 30.0)
    # The snapshots grow step by step and end at the grads that backward() leaves.
    w = nodes_by_label(J)["w"]
    assert [step.grads[w] for step in steps] == [0.0, 0.0, 30.0]
    assert steps[-1].grads == {node: node.grad for node in topological_order(J)}
    # Each leaf's grad is the sum of what the steps added to it.
    for leaf in (n for n in topological_order(J) if not n.children):
        added = sum(a for s in steps for c, a in zip(s.children, s.added) if c is leaf)
        assert leaf.grad == added


def test_steps_table_has_a_row_per_edge():
    table = steps_table(backward_steps(square_loss(1.0))).splitlines()
    assert table[0].split() == ["step", "node", "dJ/dnode", "child", "local", "added",
                                "child", "grad", "now"]
    assert [row.split() for row in table[1:]] == [
        ["1", "J", "1", "s", "10", "10", "10"],
        ["2", "s", "10", "2", "1", "10", "10"],
        ["2", "s", "10", "u", "1", "10", "10"],
        ["3", "u", "10", "3", "1", "10", "10"],
        ["3", "u", "10", "w", "3", "30", "30"]]


def test_backward_steps_of_a_lone_leaf():
    x = Value(2.0, label="x")
    assert backward_steps(x) == []
    assert x.grad == 1.0


def test_topological_order_puts_children_first_and_survives_deep_graphs():
    J = neuron_loss()
    order = topological_order(J)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is J and len(order) == len(set(order)) == 9
    assert all(position[child] < position[node] for node in order for child in node.children)

    w = Value(1.0, label="w")
    y = w
    for _ in range(3 * sys.getrecursionlimit()):
        y = y * 1.0001
    y.backward()
    assert w.grad == pytest.approx(1.0001 ** (3 * sys.getrecursionlimit()), rel=1e-9)


def test_to_sympy_gives_the_formula():
    J = square_loss(1.0)
    w = nodes_by_label(J)["w"]
    assert sp.expand(to_sympy(J, [w]) - (2 + 3 * sp.Symbol("w")) ** 2) == 0
    assert to_sympy(J, []) == 25  # no symbols: the number
    with pytest.raises(ValueError, match="labelled leaves"):
        to_sympy(J, [J])


def test_labels_and_names():
    J = square_loss()
    assert set(nodes_by_label(J)) == {"w", "u", "s", "J"}
    x = Value(1.0, label="x")
    assert name_of(x) == "x" and name_of(x * 2) == "(*)"
    assert name_of((x * 2).children[1]) == "2"  # an unlabelled constant is named by its value
    assert "label='x'" in repr(x)
    y = x + Value(2.0, label="x")
    with pytest.raises(ValueError, match="two nodes of the graph are labelled 'x'"):
        nodes_by_label(y)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Value("3"), TypeError, r"not the string '3'; convert it first, e\.g\. float\('3'\)"),
    (lambda: Value([1.0, 2.0]), TypeError, "holds one number, but got a list of 2 items"),
    (lambda: Value(True), TypeError, "not the truth value True"),
    (lambda: Value(None), TypeError, "needs a real number"),
    (lambda: Value(1 + 2j), TypeError, "complex"),
    (lambda: Value(float("nan")), ValueError, "needs a finite number, but got nan"),
    (lambda: Value(Value(1.0)), TypeError, "plain number"),
    (lambda: Value(1.0) * "2", TypeError, "not the string '2'"),
    (lambda: Value(1.0) ** Value(2.0), TypeError, "exponent of \\*\\* must be a plain number"),
    (lambda: 2 ** Value(1.0), TypeError, "not supported; write it with exp and log"),
    (lambda: Value(0.0, "d") ** -1, ValueError, r"d \(= 0\) \*\* -1 has no finite derivative"),
    (lambda: Value(-2.0) ** 0.5, ValueError, "not a real number for a negative base"),
    (lambda: Value(1e200) ** 2, ValueError, "too large for a float"),
    (lambda: Value(1.0) / Value(0.0, "d"), ZeroDivisionError, r"divisor is 0"),
    (lambda: Value(-1.0, "z").log(), ValueError, r"positive input, but got z \(= -1\)"),
    (lambda: Value(1000.0).exp(), ValueError, "too large for a float"),
    (lambda: Value(1e200) * 1e200, ValueError, "too large for a float"),
    (lambda: backward_steps([Value(1.0), Value(2.0)]), TypeError,
     "needs one scalar Value .* list of 2 items; combine them .* sum\\(values\\)"),
    (lambda: backward_steps(3.0), TypeError, "needs a Value"),
    (lambda: Value(1.0).backward(on_step=3), TypeError, "on_step must be a function"),
])
def test_errors_say_what_to_change(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_numpy_scalars_are_numbers():
    np = pytest.importorskip("numpy")
    assert Value(np.float32(0.5)).data == 0.5 and Value(np.array(2)).data == 2.0
    with pytest.raises(TypeError, match=r"array of shape \(2,\)"):
        Value(np.array([1.0, 2.0]))


def test_sigmoid_does_not_overflow():
    for x in (-800.0, 800.0):
        s = Value(x).sigmoid()
        assert 0.0 <= s.data <= 1.0 and s.local_grads == (0.0,)


# ---- PyTorch, float64 (optional) -------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_grads_match_torch_float64(name):
    torch = pytest.importorskip("torch")

    class TorchScalar:
        """A float64 torch scalar with the method names of Value, so a case runs on both."""

        def __init__(self, t):
            self.t = t

        def _wrap(self, other):
            return other.t if isinstance(other, TorchScalar) else other

        def __add__(self, o): return TorchScalar(self.t + self._wrap(o))
        def __radd__(self, o): return TorchScalar(self._wrap(o) + self.t)
        def __sub__(self, o): return TorchScalar(self.t - self._wrap(o))
        def __rsub__(self, o): return TorchScalar(self._wrap(o) - self.t)
        def __mul__(self, o): return TorchScalar(self.t * self._wrap(o))
        def __rmul__(self, o): return TorchScalar(self._wrap(o) * self.t)
        def __truediv__(self, o): return TorchScalar(self.t / self._wrap(o))
        def __rtruediv__(self, o): return TorchScalar(self._wrap(o) / self.t)
        def __pow__(self, n): return TorchScalar(self.t ** n)
        def __neg__(self): return TorchScalar(-self.t)
        def exp(self): return TorchScalar(torch.exp(self.t))
        def log(self): return TorchScalar(torch.log(self.t))
        def tanh(self): return TorchScalar(torch.tanh(self.t))
        def sigmoid(self): return TorchScalar(torch.sigmoid(self.t))
        def relu(self): return TorchScalar(torch.relu(self.t))

    build, point = CASES[name]
    data, grads = grads_of(build, point)
    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = build(*map(TorchScalar, leaves)).t
    out.backward()
    assert out.dtype == torch.float64
    assert out.item() == pytest.approx(data, rel=1e-12)
    for i, (ours, leaf) in enumerate(zip(grads, leaves)):
        assert relative_error(ours, leaf.grad.item()) <= 1e-12, f"{name}: dJ/dx{i}"


# ---- the gate patterns and the MLP built from Values ------------------------------------

def test_gate_patterns_add_distributes_multiply_swaps_max_routes():
    from backproplab.autograd import gate_patterns

    J = gate_patterns(x=3.0, y=-4.0, z=2.0, w=-1.0)  # J = 2·(x·y + max(z, w))
    J.backward()
    n = nodes_by_label(J)
    assert J.data == 2 * (3.0 * -4.0 + 2.0)
    upstream = n["s"].grad
    assert upstream == 2.0
    assert n["p"].grad == upstream and n["m"].grad == upstream       # add: unchanged
    assert n["x"].grad == -4.0 * n["p"].grad                         # multiply: the other
    assert n["y"].grad == 3.0 * n["p"].grad
    assert (n["z"].grad, n["w"].grad) == (n["m"].grad, 0.0)          # max: the larger
    J = gate_patterns(z=-2.0, w=-1.0)
    J.backward()
    n = nodes_by_label(J)
    assert n["m"].data == -1.0 and (n["z"].grad, n["w"].grad) == (0.0, n["m"].grad)


def _small_net(sizes, m, seed):
    import numpy as np

    from backproplab.mlp import init_params

    rng = np.random.default_rng(seed)
    params = init_params(sizes, rng)
    for layer in params:
        layer["b"] = rng.standard_normal(layer["b"].shape) * 0.3
    return params, rng.standard_normal((m, sizes[0])), rng.standard_normal((m, sizes[-1]))


@pytest.mark.parametrize("hidden", ["tanh", "sigmoid", "relu", "identity"])
def test_mlp_graph_has_the_gradients_of_the_matrix_network(hidden):
    import numpy as np

    from backproplab.autograd import mlp_graph
    from backproplab.mlp import copy_params, loss_and_gradients

    params, X, y = _small_net([3, 4, 5, 2], m=6, seed=4)
    before = copy_params(params)
    graph = mlp_graph(params, X, y, hidden=hidden)
    graph.J.backward()
    loss, grads = loss_and_gradients(params, X, y, hidden=hidden, output="identity",
                                     loss="mse")
    assert abs(graph.J.data - loss) <= 1e-12 * max(1.0, abs(loss))
    for mine, theirs in zip(graph.grads(), grads):
        for key in ("W", "b"):
            assert mine[key].shape == theirs[key].shape
            assert np.max(np.abs(mine[key] - theirs[key])) <= 1e-12, key
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(params, before) for k in "Wb")
    assert len(graph.inputs()) == sum(p["W"].size + p["b"].size for p in params)
    assert graph.W[1][2][3].label == "W2[2,3]" and graph.b[0][1].label == "b1[1]"


def test_mlp_graph_counts_nodes_as_the_formula_says():
    from backproplab.autograd import mlp_graph

    params, X, y = _small_net([3, 4, 2], m=5, seed=0)
    J = mlp_graph(params, X, y, hidden="tanh").J
    # per sample: 3 inputs, 2 nodes per multiply-add (4·3 + 2·4 of them), 4 tanh,
    # 3 per output (constant y, subtraction, square); then 10 squares summed by 9 nodes,
    # the 26 parameter leaves, and the constant 1/(2m) with its product
    per_sample = 3 + 2 * (3 * 4 + 4 * 2) + 4 + 3 * 2
    leaves = 3 * 4 + 4 + 4 * 2 + 2
    assert len(topological_order(J)) == 5 * per_sample + 9 + leaves + 2


@pytest.mark.parametrize("args, error, message", [
    (dict(hidden="softmax"), ValueError, "hidden must be one of"),
    (dict(y=[[1.0, 2.0, 3.0]]), ValueError, "y must have shape"),
    (dict(X=[[1.0, 2.0]]), ValueError, "first layer expects 3"),
])
def test_mlp_graph_errors_say_what_to_change(args, error, message):
    from backproplab.autograd import mlp_graph

    params, X, y = _small_net([3, 4, 2], m=1, seed=0)
    call = {"params": params, "X": X, "y": y, **args}
    with pytest.raises(error, match=message):
        mlp_graph(**call)
