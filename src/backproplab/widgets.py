"""Interactive demos of the book (ipywidgets), thin layers over pure functions.

Shared by all chapters. ``DerivativeExplorer`` belongs to chapter 1
(``book/01-derivatives.md``), ``BackwardStepper`` to chapter 2 (``book/02-chain-rule.md``), ``DeltaExplorer`` to chapter 3
(``book/03-delta-formulas.md``), ``OptimizerLab`` to chapter 4 (``book/04-gradient-descent.md``).

Each demo is an object with its controls as attributes and an ``update()`` method, so tests
and benchmarks can set the controls and check what was computed without a browser. Shown in
a notebook, a demo offers two representations: the live widget (used when a kernel is
running) and a PNG of its current figure (used on the static website, where no kernel
can redraw it).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable

import ipywidgets as ipw
import numpy as np
import sympy as sp
from matplotlib.figure import Figure

from .activations import get_activation
from .autograd import (
    Value,
    backward_steps,
    name_of,
    neuron_loss,
    nodes_by_label,
    square_loss,
    topological_order,
    two_paths,
)
from .deepnets import DeepNet, deep_gradient_norms, train_deep
from .derivatives import nudge, numeric_functions
from .losses import one_hot
from .mlp import (
    backward,
    compute_loss,
    forward,
    hidden_delta,
    init_params,
    load_digits_dataset,
    output_delta,
)
from .plotting import (
    NETWORK_STAGES,
    draw_gradient_norms,
    draw_network,
    draw_training_curves,
    figure_png,
    graph_figure,
    nudge_figure,
    trajectories_figure,
)

w_symbol = sp.Symbol("w")

#: The functions the derivative explorer offers, by the name shown in its menu.
EXAMPLE_FUNCTIONS: dict[str, sp.Expr] = {
    "w²": w_symbol**2,
    "w³ − 2w": w_symbol**3 - 2 * w_symbol,
    "sin(w)": sp.sin(w_symbol),
    "exp(w/2)": sp.exp(w_symbol / 2),
    "σ(w) = 1/(1 + exp(−w))": 1 / (1 + sp.exp(-w_symbol)),
}


class Demo:
    """Base of the book's demos: a widget tree ``self.widget`` and a current PNG."""

    widget: ipw.Widget
    png: bytes = b""

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude))
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle


class DerivativeExplorer(Demo):
    """Sliders for w and ε drawing J, the secant, the tangent and the change against k·ε."""

    def __init__(self, function: str = "w²", w: float = 3.0, eps: float = 0.5):
        if function not in EXAMPLE_FUNCTIONS:
            raise ValueError(
                f"unknown function {function!r}; choose one of {list(EXAMPLE_FUNCTIONS)}."
            )
        self.function = ipw.Dropdown(options=list(EXAMPLE_FUNCTIONS), value=function,
                                     description="J(w) =")
        self.w = ipw.FloatSlider(value=w, min=-3.0, max=3.0, step=0.1, description="w",
                                 continuous_update=False)
        self.eps = ipw.FloatLogSlider(value=eps, base=10, min=-3, max=0.2, step=0.05,
                                      description="ε", readout_format=".3g",
                                      continuous_update=False)
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="800px"))
        self.readout = ipw.HTML()
        for control in (self.function, self.w, self.eps):
            control.observe(self.update, names="value")
        self.widget = ipw.VBox([ipw.HBox([self.function, self.w, self.eps]),
                                self.image, self.readout])
        self.update()

    def update(self, change=None) -> None:
        """Recompute the nudge for the current controls and redraw."""
        J, dJ = numeric_functions(EXAMPLE_FUNCTIONS[self.function.value], w_symbol)
        w, eps = float(self.w.value), float(self.eps.value)
        self.result = nudge(J, w, eps)
        self.k = float(dJ(w))
        self.png = figure_png(nudge_figure(J, dJ, w, eps))
        self.image.value = self.png
        r = self.result
        self.readout.value = (
            f"<p>J(w) = {r.J_w:.6g}, J(w + ε) = {r.J_nudged:.6g}: the change is "
            f"<b>{r.change:.6g}</b>, while k·ε = {self.k:.6g} × {eps:.3g} = {self.k * eps:.6g}. "
            f"The slope of the secant is {r.slope:.6g}; the tangent's is k = {self.k:.6g}. "
            f"Make ε smaller: the gap {r.change - self.k * eps:.3g} shrinks faster than ε does.</p>"
        )

    def __repr__(self) -> str:
        return (f"DerivativeExplorer(function={self.function.value!r}, w={self.w.value}, "
                f"eps={self.eps.value})")


#: The graphs the backward stepper offers, by the name shown in its menu (chapter 2).
EXAMPLE_GRAPHS: dict[str, Callable[[], Value]] = {
    "J = (2 + 3w)²": square_loss,
    "neuron: J = (σ(w·x + b) − y)²": neuron_loss,
    "two paths: J = w·(w + 1)": two_paths,
}


def _partial(of: str, node: Value) -> str:
    """``∂J/∂w`` for a labelled node ``w``, ``∂J/∂(constant 3)`` for a constant."""
    return f"∂{of}/∂{node.label}" if node.label else f"∂{of}/∂({_what(node)})"


def _what(node: Value) -> str:
    if node.label:
        return node.label
    return f"constant {node.data:g}" if not node.children else f"node {name_of(node)}"


class BackwardStepper(Demo):
    """Step through the backward pass of a small graph, one node at a time (chapter 2).

    Step 0 is the seed, dJ/dJ = 1. Step k shows the graph just after the k-th node of the
    backward pass has passed its grad on (eq-chain-local): that node in orange, each edge
    to a child labelled with its local derivative, and a readout of
    ``∂J/∂child += local derivative × upstream gradient`` in numbers. Drive it with the
    ``step`` slider or the ``prev``, ``next`` and ``reset`` buttons (``.click()`` in code);
    ``grads`` is every node's grad at the current step.
    """

    def __init__(self, graph: str = "J = (2 + 3w)²", step: int = 0):
        if graph not in EXAMPLE_GRAPHS:
            raise ValueError(f"unknown graph {graph!r}; choose one of {list(EXAMPLE_GRAPHS)}.")
        self.graph = ipw.Dropdown(options=list(EXAMPLE_GRAPHS), value=graph,
                                  description="graph", layout=ipw.Layout(width="330px"))
        self.step = ipw.IntSlider(value=0, min=0, max=1, description="step",
                                  continuous_update=False)
        self.prev = ipw.Button(description="◀ Prev", layout=ipw.Layout(width="80px"))
        self.next = ipw.Button(description="Next ▶", layout=ipw.Layout(width="80px"))
        self.reset = ipw.Button(description="Reset", layout=ipw.Layout(width="80px"))
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="900px"))
        self.readout = ipw.HTML()
        self._quiet = False
        self._build()
        if not (isinstance(step, int) and 0 <= step <= self.step.max):
            raise ValueError(f"step must be a whole number from 0 to {self.step.max} for "
                             f"the graph {graph!r}; got {step!r}.")
        self.step.value = step
        self.graph.observe(self._select_graph, names="value")
        self.step.observe(self.update, names="value")
        self.prev.on_click(lambda _: self._go(self.step.value - 1))
        self.next.on_click(lambda _: self._go(self.step.value + 1))
        self.reset.on_click(lambda _: self._go(0))
        self.widget = ipw.VBox([ipw.HBox([self.graph, self.step]),
                                ipw.HBox([self.prev, self.next, self.reset]),
                                self.image, self.readout])
        self.update()

    def _build(self) -> None:
        """Build the chosen graph and record its backward pass."""
        self.root = EXAMPLE_GRAPHS[self.graph.value]()
        self.steps = backward_steps(self.root)
        self.step.max = len(self.steps)

    def _select_graph(self, change=None) -> None:
        self._quiet = True  # one redraw for the new graph, not one per control it resets
        try:
            self.step.value = 0
            self._build()
        finally:
            self._quiet = False
        self.update()

    def _go(self, step: int) -> None:
        self.step.value = min(max(step, 0), self.step.max)

    def update(self, change=None) -> None:
        """Show the current step: the graph with its grads so far, and the readout."""
        if self._quiet:
            return
        k, n = self.step.value, len(self.steps)
        if k == 0:
            self.current = None
            self.grads = {node: float(node is self.root) for node in topological_order(self.root)}
        else:
            self.current = self.steps[k - 1]
            self.grads = dict(self.current.grads)
        self.prev.disabled, self.next.disabled = k == 0, k == n
        fig = graph_figure(self.root, self.current.node if self.current else None, self.grads,
                           title=f"{self.graph.value}   —   step {k} of {n}")
        self.png = figure_png(fig)
        self.image.value = self.png
        self.readout.value = self._readout()

    def grads_by_label(self) -> dict[str, float]:
        """The grads at the current step of the labelled nodes, by label."""
        return {label: self.grads[node] for label, node in nodes_by_label(self.root).items()}

    def _readout(self) -> str:
        k, n = self.step.value, len(self.steps)
        if self.current is None:
            return (f"<p><b>Step 0 of {n}: the seed.</b> Every grad starts at 0, except "
                    "∂J/∂J = 1 (J changes one for one with itself). Press <i>Next</i>: "
                    "J passes its grad on to its children.</p>")
        step = self.current
        before = self.steps[k - 2].grads if k > 1 else {self.root: 1.0}
        node = html.escape(_what(step.node))
        lines = []
        for child, local, added in zip(step.children, step.local_grads, step.added):
            lines.append(
                f"<li>{_partial('J', child)} += {_partial(node, child)} × "
                f"{_partial('J', step.node)} = {local:.4g} × {step.upstream:.4g} = "
                f"<b>{added:.4g}</b> &nbsp;→ {before.get(child, 0.0):.4g} + {added:.4g} = "
                f"{self.grads[child]:.4g}</li>")
        text = (f"<p><b>Step {k} of {n}: node {node} ({html.escape(step.node.op)})</b> "
                f"passes on its upstream gradient {_partial('J', step.node)} = "
                f"{step.upstream:.4g}, complete because every node that uses {node} has "
                "already passed its grad to it. Each child gets local derivative × upstream "
                f"gradient <i>added</i> to its grad:</p><ul>{''.join(lines)}</ul>")
        if k == n:
            inputs = [f"{_partial('J', v)} = {self.grads[v]:.4g}"
                      for v in topological_order(self.root) if v.label and not v.children]
            text += f"<p><b>Done:</b> {', '.join(inputs)}.</p>"
        return text

    def __repr__(self) -> str:
        return f"BackwardStepper(graph={self.graph.value!r}, step={self.step.value})"


class DeltaExplorer(Demo):
    """The δ-explorer of chapter 3: step through the forward and backward pass of a 2-3-2
    network on one example and see z, a and δ on every neuron and ∂L/∂W on every edge."""

    ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
    LOSSES = {"cross_entropy": "softmax", "mse": "sigmoid"}  # loss: its output activation

    def __init__(self, activation: str = "sigmoid", loss: str = "cross_entropy",
                 stage: int | None = None, seed: int = 7):
        if activation not in self.ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of "
                             f"{list(self.ACTIVATIONS)}.")
        if loss not in self.LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {list(self.LOSSES)}.")
        last = len(NETWORK_STAGES) - 1
        self.params = init_params([2, 3, 2], np.random.default_rng(seed), scale=1.0)
        self.x = np.array([[0.8, -0.4]])
        self.y = np.array([[1.0, 0.0]])
        self.activation = ipw.Dropdown(options=self.ACTIVATIONS, value=activation,
                                       description="hidden f")
        self.loss = ipw.Dropdown(options=list(self.LOSSES), value=loss, description="loss")
        self.stage = ipw.IntSlider(value=last if stage is None else stage, min=0, max=last,
                                   description="step")
        self.previous = ipw.Button(description="◀ back", layout=ipw.Layout(width="80px"))
        self.next = ipw.Button(description="next ▶", layout=ipw.Layout(width="80px"))
        self.previous.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="760px"))
        self.readout = ipw.HTML()
        for control in (self.activation, self.loss, self.stage):
            control.observe(self.update, names="value")
        self.widget = ipw.VBox([
            ipw.HBox([self.activation, self.loss]),
            ipw.HBox([self.previous, self.stage, self.next]),
            self.image, self.readout])
        self.update()

    def _move(self, step: int) -> None:
        self.stage.value = min(max(self.stage.value + step, self.stage.min), self.stage.max)

    def compute(self) -> None:
        """The forward pass, every layer's delta and the gradients for the current choice."""
        hidden, loss = self.activation.value, self.loss.value
        output = self.LOSSES[loss]
        self.cache = forward(self.params, self.x, hidden, output)
        self.loss_value = compute_loss(self.params, self.x, self.y, hidden, output, loss)
        delta2 = output_delta(self.cache.z[2], self.y, loss, output)
        delta1 = hidden_delta(delta2, self.params[1]["W"], self.cache.z[1], hidden)
        self.deltas = [None, delta1, delta2]
        self.grads = backward(self.params, self.cache, self.y, loss, hidden, output)

    def update(self, change=None) -> None:
        """Recompute (when the activation or loss changed) and redraw the current step."""
        self.compute()
        stage = int(self.stage.value)
        fig = Figure(figsize=(7.6, 4.0))
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93)
        ax = fig.add_subplot()
        draw_network(ax, self.params, self.cache, self.deltas, self.grads, stage)
        ax.set_title(f"step {stage}: {NETWORK_STAGES[stage]}", fontsize=10)
        self.png = figure_png(fig)
        self.image.value = self.png
        self.readout.value = f"<p>{self.explain(stage)}</p>"

    def explain(self, stage: int) -> str:
        """A sentence with the numbers of the current step."""
        f = self.activation.value
        c, d, g = self.cache, self.deltas, self.grads
        W2 = self.params[1]["W"]
        if stage == 0:
            return (f"The example x = {c.a[0][0].round(3).tolist()} enters; its target is "
                    f"y = {self.y[0].tolist()}.")
        if stage == 1:
            return (f"Hidden neuron 1: z = Σ x_i W_i1 + b_1 = {c.z[1][0, 0]:.3f}, "
                    f"a = {f}(z) = {c.a[1][0, 0]:.3f}.")
        if stage == 2:
            return (f"Output: ŷ = {c.a[2][0].round(4).tolist()}, loss L = "
                    f"{self.loss_value:.4f} ({self.loss.value}).")
        if stage == 3:
            return (f"Output deltas δ = ∂L/∂z = {d[2][0].round(4).tolist()}"
                    + (" = ŷ − y (softmax with cross-entropy)."
                       if self.loss.value == "cross_entropy" else " = (ŷ − y) · f′(z)."))
        if stage == 4:
            return (f"∂L/∂W_11 (hidden 1 → output 1) = a_1 · δ_1 = {c.a[1][0, 0]:.3f} × "
                    f"{d[2][0, 0]:+.4f} = {g[1]['W'][0, 0]:+.4f}; ∂L/∂b = δ.")
        if stage == 5:
            total = float(W2[0] @ d[2][0])
            f_prime = float(get_activation(f).df(c.z[1])[0, 0])
            return (f"Hidden neuron 1: δ = f′(z) · Σ_k W_1k δ_k = {f_prime:.4f} × "
                    f"{total:+.4f} = {d[1][0, 0]:+.4f}.")
        return (f"∂L/∂W_11 (input 1 → hidden 1) = x_1 · δ_1 = {c.a[0][0, 0]:.2f} × "
                f"{d[1][0, 0]:+.4f} = {g[0]['W'][0, 0]:+.4f}. Every gradient is known.")


class OptimizerLab(Demo):
    """The optimizer lab of chapter 4 (``book/04-gradient-descent.md``): run several
    optimizers from the same start on a 2-D loss surface and compare their paths on a
    contour plot and their loss per step.

    Controls: ``variants`` (several at once), ``surface``, ``lr`` (log slider), ``beta``
    (Momentum's momentum), ``batch_size`` (mini-batches on the least-squares surface; None
    is the full batch) and ``n_steps``. ``runs`` holds each variant's ``Trajectory`` and
    ``messages`` the readout's sentence for each, e.g. "Adam diverged at step 12: lower
    the learning rate."
    """

    SURFACES = ("quadratic", "Rosenbrock", "least squares")
    BATCH_SIZES = (("all (batch)", None), ("64", 64), ("16", 16), ("4", 4),
                   ("1 (stochastic)", 1))

    def __init__(self, variants=("SGD", "Momentum", "Adam"), surface="quadratic", lr=0.05,
                 beta=0.9, batch_size=None, n_steps=100, seed=0):
        from .optimizers import OPTIMIZERS
        from .surfaces import least_squares, quadratic, rosenbrock

        unknown = [v for v in variants if v not in OPTIMIZERS]
        if unknown:
            raise ValueError(f"unknown optimizer(s) {unknown}; choose from {list(OPTIMIZERS)}.")
        if surface not in self.SURFACES:
            raise ValueError(f"unknown surface {surface!r}; choose one of {list(self.SURFACES)}.")
        self._surfaces = {"quadratic": quadratic(), "Rosenbrock": rosenbrock(),
                          "least squares": least_squares(np.random.default_rng(seed))}
        self.seed = seed
        self.variants = ipw.SelectMultiple(options=list(OPTIMIZERS), value=tuple(variants),
                                           description="optimizers", rows=4)
        self.surface = ipw.Dropdown(options=self.SURFACES, value=surface, description="surface")
        self.lr = ipw.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05,
                                     description="lr", readout_format=".2g",
                                     continuous_update=False)
        self.beta = ipw.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                    description="momentum β", continuous_update=False)
        self.batch_size = ipw.Dropdown(options=self.BATCH_SIZES, value=batch_size,
                                       description="batch size")
        self.n_steps = ipw.IntSlider(value=n_steps, min=5, max=1000, step=5,
                                     description="steps", continuous_update=False)
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="900px"))
        self.readout = ipw.HTML()
        controls = (self.variants, self.surface, self.lr, self.beta, self.batch_size,
                    self.n_steps)
        for control in controls:
            control.observe(self.update, names="value")
        self.widget = ipw.VBox([
            ipw.HBox([self.variants, ipw.VBox([self.surface, self.batch_size, self.n_steps]),
                      ipw.VBox([self.lr, self.beta])]),
            self.image, self.readout])
        self.update()

    def compute(self) -> None:
        """Run every chosen optimizer for the current controls: ``runs`` and ``messages``."""
        from .optimizers import make_optimizer
        from .surfaces import run_optimizer

        surface = self._surfaces[self.surface.value]
        batch = self.batch_size.value if surface.n_samples else None
        lr, beta = float(self.lr.value), float(self.beta.value)
        self.runs, self.messages = {}, {}
        for name in self.variants.value:
            optimizer = make_optimizer(name, lr, beta=beta if name == "Momentum" else None)
            run = run_optimizer(optimizer, surface, n_steps=int(self.n_steps.value),
                                batch_size=batch, rng=np.random.default_rng(self.seed + 1))
            self.runs[name] = run
            self.messages[name] = self._message(name, run, surface)

    def _message(self, name, run, surface) -> str:
        if run.diverged:
            return (f"{name} diverged at step {run.diverged_at}: the loss grew from "
                    f"{run.losses[0]:.3g} to {run.losses[-1]:.3g}. Lower the learning rate.")
        distance = float(np.linalg.norm(run.points[-1] - np.array(surface.minimum)))
        text = (f"{name}: loss {run.losses[0]:.3g} → {run.final_loss:.3g} after "
                f"{len(run.losses) - 1} steps, {distance:.3g} from the minimum.")
        if run.final_loss > 0.9 * run.losses[0]:
            text += " It barely moved: raise the learning rate (or take more steps)."
        return text

    def update(self, change=None) -> None:
        """Recompute the runs and redraw the contour plot and the loss curves."""
        self.compute()
        surface = self._surfaces[self.surface.value]
        batch = self.batch_size.value if surface.n_samples else None
        title = f"{surface.name}, lr = {self.lr.value:.2g}"
        if surface.n_samples:
            title += f", batch {batch or surface.n_samples} of {surface.n_samples}"
        self.png = figure_png(trajectories_figure(surface, self.runs, title=title))
        self.image.value = self.png
        if not self.runs:
            self.readout.value = "<p>Choose at least one optimizer.</p>"
            return
        items = "".join(f"<li>{'<b>' + html.escape(m) + '</b>' if self.runs[n].diverged else html.escape(m)}</li>"
                        for n, m in self.messages.items())
        self.readout.value = f"<ul>{items}</ul>"

    def __repr__(self) -> str:
        return (f"OptimizerLab(variants={list(self.variants.value)!r}, "
                f"surface={self.surface.value!r}, lr={self.lr.value:.3g})")


class GradientFlow(Demo):
    """Chapter 5's gradient-flow demo (``book/05-vanishing-exploding.md``): choose the depth,
    the activation, the initial weight scale and the remedies; see ‖∂L/∂W‖ of every layer
    at initialisation (log scale) and a short training run on the digits.

    ``init`` is "xavier", "he" or "custom"; "custom" draws weights with standard deviation
    ``gain / sqrt(n_in)``. After each ``update()`` the attributes ``norms`` (per layer),
    ``result`` (a ``DeepTrainResult``) and ``message`` hold what was computed.
    """

    ACTIVATIONS = ("sigmoid", "tanh", "relu")
    INITS = ("xavier", "he", "custom")
    WIDTH, STEPS, LR, BATCH = 16, 200, 0.1, 64

    def __init__(self, depth: int = 20, activation: str = "sigmoid", init: str = "xavier",
                 gain: float = 1.0, batchnorm: bool = False, residual: bool = False,
                 seed: int = 0):
        if activation not in self.ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of "
                             f"{list(self.ACTIVATIONS)}.")
        if init not in self.INITS:
            raise ValueError(f"unknown init {init!r}; choose one of {list(self.INITS)}.")
        if not (isinstance(depth, int) and 2 <= depth <= 50):
            raise ValueError(f"depth must be a whole number from 2 to 50; got {depth!r}.")
        self.seed = seed
        data = load_digits_dataset(np.random.default_rng(seed))
        X = data.X_train[:512]
        self.X = (X - X.mean(axis=0)) / (X.std(axis=0) + 0.1)  # centred pixels train better
        self.labels = data.y_train[:512]
        self.Y = one_hot(self.labels, 10)
        self.depth = ipw.IntSlider(value=depth, min=2, max=50, description="depth",
                                   continuous_update=False)
        self.activation = ipw.Dropdown(options=self.ACTIVATIONS, value=activation,
                                       description="activation")
        self.init = ipw.Dropdown(options=self.INITS, value=init, description="init")
        self.gain = ipw.FloatLogSlider(value=gain, base=10, min=-2, max=1.5, step=0.05,
                                       description="custom gain", readout_format=".3g",
                                       continuous_update=False)
        self.batchnorm = ipw.Checkbox(value=batchnorm, description="batch norm")
        self.residual = ipw.Checkbox(value=residual, description="residual")
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="900px"))
        self.readout = ipw.HTML()
        for control in (self.depth, self.activation, self.init, self.gain, self.batchnorm,
                        self.residual):
            control.observe(self.update, names="value")
        self.widget = ipw.VBox([
            ipw.HBox([self.depth, self.activation, self.init]),
            ipw.HBox([self.gain, self.batchnorm, self.residual]),
            self.image, self.readout])
        self.update()

    @property
    def scale(self):
        """The ``scale`` passed to ``init_params``: a name, or the custom standard deviation."""
        if self.init.value == "custom":
            return float(self.gain.value) / np.sqrt(self.WIDTH)
        return self.init.value

    def compute(self) -> None:
        """Gradient norms at initialisation and a short training run for the controls."""
        self.net = DeepNet([64] + [self.WIDTH] * int(self.depth.value) + [10],
                           hidden=self.activation.value, batchnorm=self.batchnorm.value,
                           residual=self.residual.value)
        params = self.net.init(np.random.default_rng(self.seed + 1), self.scale)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.norms = deep_gradient_norms(self.net, params, self.X[:self.BATCH],
                                             self.Y[:self.BATCH])
        self.result = train_deep(self.net, params, self.X, self.Y, steps=self.STEPS,
                                 lr=self.LR, rng=np.random.default_rng(self.seed + 2),
                                 batch_size=self.BATCH)
        self.message = self._message()

    def _message(self) -> str:
        r, n = self.result, self.norms
        if r.diverged_at is not None:
            return (f"<b>Training diverged</b>: the loss became NaN or infinite at step "
                    f"{r.diverged_at}, so it stopped there. The gradients exploded: choose a "
                    "smaller init scale, or switch on batch norm.")
        if not np.all(np.isfinite(n)) or n[0] == 0 or n[-1] == 0:
            ratio = "no gradient at all reaches layer 1"
        else:
            ratio = (f"‖∂L/∂W¹‖ = {n[0]:.3g}, ‖∂L/∂W^L‖ = {n[-1]:.3g} (ratio "
                     f"{n[0] / n[-1]:.3g})")
        first, last = r.losses[0], float(np.mean(r.losses[-10:]))
        verdict = ("it learns" if last < 0.8 * first else
                   "it barely learns: no layer gets a usable gradient" if n.max() < 1e-6 else
                   "it barely learns: the early layers get (almost) no gradient"
                   if n[0] < 1e-3 * n[-1] else "it barely learns")
        return (f"At initialisation {ratio}. Loss {first:.3f} → {last:.3f} after "
                f"{self.STEPS} steps: {verdict}.")

    def update(self, change=None) -> None:
        """Recompute for the current controls and redraw both panels."""
        self.gain.disabled = self.init.value != "custom"
        self.compute()
        fig = Figure(figsize=(9.0, 3.4))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.88, wspace=0.3)
        ax_norms, ax_loss = fig.subplots(1, 2)
        label = (f"{self.activation.value}, {self.init.value}"
                 + (f" ×{self.gain.value:.3g}" if self.init.value == "custom" else ""))
        draw_gradient_norms(ax_norms, {label: self.norms},
                            title=f"gradient norms at initialisation, depth {self.depth.value}")
        diverged = {label} if self.result.diverged_at is not None else set()
        draw_training_curves(ax_loss, {label: self.result.losses}, diverged,
                             title=f"training: {self.STEPS} steps, lr {self.LR}")
        self.png = figure_png(fig)
        self.image.value = self.png
        self.readout.value = f"<p>{self.message}</p>"

    def __repr__(self) -> str:
        return (f"GradientFlow(depth={self.depth.value}, activation={self.activation.value!r}, "
                f"init={self.init.value!r}, gain={self.gain.value:.3g}, "
                f"batchnorm={self.batchnorm.value}, residual={self.residual.value})")
