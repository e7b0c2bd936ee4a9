"""Tests of chapter 2's graph drawing and backward-pass widget, driven without a browser."""

import base64

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from backproplab.autograd import Value, backward_steps, nodes_by_label, topological_order
from backproplab.plotting.chain_rule import draw_graph, graph_figure, graph_layout
from backproplab.widgets.chain_rule import EXAMPLE_GRAPHS, BackwardStepper

SQUARE, NEURON, TWO_PATHS = list(EXAMPLE_GRAPHS)


def texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def edge_labels(ax) -> list[str]:
    """The local derivatives written on edges: "×3" (a lone "×" is the op of a product)."""
    return [t for t in texts(ax) if t.startswith("×") and t != "×"]


def test_layout_puts_every_node_right_of_its_children():
    for build in EXAMPLE_GRAPHS.values():
        root = build()
        position = graph_layout(root)
        assert set(position) == set(topological_order(root))
        assert len(set(position.values())) == len(position), "two boxes in one place"
        for node in position:
            for child in node.children:
                assert position[child][0] < position[node][0]
        assert max(position.values())[0] == position[root][0]


def test_draw_graph_draws_boxes_edges_and_numbers():
    root = EXAMPLE_GRAPHS[SQUARE]()
    root.backward()
    ax = Figure().add_subplot()
    draw_graph(ax, root)
    n_nodes = len(topological_order(root))
    n_edges = sum(len(node.children) for node in topological_order(root))
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == n_nodes
    assert sum(isinstance(p, FancyArrowPatch) for p in ax.patches) == n_edges
    shown = "\n".join(texts(ax))
    assert "data 25\ngrad 1" in shown and "data 1\ngrad 30" in shown
    assert not edge_labels(ax), "no step is highlighted"

    ax = Figure().add_subplot()
    draw_graph(ax, root, show_grads=False)
    assert "grad" not in "\n".join(texts(ax))


def test_highlight_labels_each_edge_with_its_local_derivative():
    root = EXAMPLE_GRAPHS[SQUARE]()
    step = backward_steps(root)[2]  # node u = 3·w passes dJ/du = 10 on
    ax = Figure().add_subplot()
    draw_graph(ax, root, highlight=step.node, grads=step.grads)
    assert sorted(edge_labels(ax)) == ["×1", "×3"]


def test_a_node_used_twice_gets_two_arrows():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    ax = Figure().add_subplot()
    draw_graph(ax, y, highlight=y)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 2
    assert edge_labels(ax) == ["×3", "×3"]


def test_graph_figure_is_a_plain_figure_with_a_fixed_layout():
    fig = graph_figure(EXAMPLE_GRAPHS[NEURON](), title="neuron")
    assert isinstance(fig, Figure)
    assert not fig.get_constrained_layout() and not fig.get_tight_layout()
    assert fig._suptitle.get_text() == "neuron"


def test_stepper_starts_at_the_seed():
    stepper = BackwardStepper()
    assert stepper.step.value == 0 and stepper.step.max == 3 and stepper.current is None
    assert stepper.grads_by_label() == {"w": 0.0, "u": 0.0, "s": 0.0, "J": 1.0}
    assert stepper.prev.disabled and not stepper.next.disabled
    assert stepper.png.startswith(b"\x89PNG") and stepper.image.value == stepper.png
    assert "Step 0 of 3: the seed" in stepper.readout.value


def test_stepper_steps_with_buttons_and_slider():
    stepper = BackwardStepper(graph=SQUARE)
    seen = []
    for _ in range(stepper.step.max):
        stepper.next.click()
        seen.append(stepper.grads_by_label())
    assert [g["s"] for g in seen] == [10.0, 10.0, 10.0]
    assert [g["u"] for g in seen] == [0.0, 10.0, 10.0]
    assert [g["w"] for g in seen] == [0.0, 0.0, 30.0]
    readout = stepper.readout.value
    assert "Step 3 of 3: node u" in readout
    assert "∂J/∂w += ∂u/∂w × ∂J/∂u = 3 × 10 = <b>30</b>" in readout
    assert "Done:</b> ∂J/∂w = 30" in readout
    assert stepper.next.disabled and not stepper.prev.disabled

    stepper.next.click()  # past the last step: stays there
    assert stepper.step.value == 3
    stepper.prev.click()
    assert stepper.step.value == 2 and stepper.current.node.label == "s"
    stepper.reset.click()
    assert stepper.step.value == 0 and stepper.grads_by_label()["J"] == 1.0
    stepper.prev.click()  # before the first step: stays there
    assert stepper.step.value == 0
    stepper.step.value = stepper.step.max
    assert stepper.grads_by_label()["w"] == 30.0


@pytest.mark.parametrize("graph", list(EXAMPLE_GRAPHS))
def test_stepper_ends_at_the_grads_of_backward(graph):
    stepper = BackwardStepper(graph=graph)
    stepper.step.value = stepper.step.max
    fresh = EXAMPLE_GRAPHS[graph]()
    fresh.backward()
    expected = {label: node.grad for label, node in nodes_by_label(fresh).items()}
    assert stepper.grads_by_label() == expected
    assert stepper.png.startswith(b"\x89PNG")
    stepper.step.value = 0
    assert stepper.current is None and "the seed" in stepper.readout.value


def test_stepper_shows_a_shared_node_adding_up():
    stepper = BackwardStepper(graph=TWO_PATHS, step=1)  # J = w·v passes on: w gets v = 3
    assert stepper.grads_by_label()["w"] == 3.0
    stepper.next.click()  # v = w + 1 passes on: w gets 1 × 2 more
    assert stepper.grads_by_label()["w"] == 5.0
    assert "→ 3 + 2 = 5" in stepper.readout.value
    assert "∂J/∂(constant 1)" in stepper.readout.value


def test_choosing_another_graph_starts_it_at_the_seed():
    stepper = BackwardStepper(graph=SQUARE, step=3)
    stepper.graph.value = NEURON
    assert stepper.step.value == 0 and stepper.step.max == 5
    assert set(stepper.grads_by_label()) == {"x", "w", "b", "y", "p", "z", "a", "e", "J"}
    stepper.step.value = 5
    assert stepper.grads_by_label()["w"] == pytest.approx(-0.2207011272791508, rel=1e-12)
    stepper.graph.value = TWO_PATHS  # a shorter pass: the slider's range shrinks
    assert stepper.step.max == 2 and stepper.step.value == 0


def test_stepper_offers_a_static_picture():
    stepper = BackwardStepper(graph=NEURON, step=3)
    bundle = stepper._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == stepper.png


def test_stepper_rejects_bad_settings():
    with pytest.raises(ValueError, match="choose one of"):
        BackwardStepper(graph="J = w²")
    with pytest.raises(ValueError, match="from 0 to 3"):
        BackwardStepper(graph=SQUARE, step=4)
    with pytest.raises(ValueError, match="from 0 to 3"):
        BackwardStepper(graph=SQUARE, step=-1)
