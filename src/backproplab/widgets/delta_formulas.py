"""The demo of chapter 3 (``book/03-delta-formulas.md``): ``DeltaExplorer``, the forward
and backward pass of a 2-3-2 network step by step."""

from __future__ import annotations

import ipywidgets as ipw
import numpy as np

from ..activations import get_activation
from ..i18n import gettext as _
from ..losses import get_loss
from ..mlp import (
    bias_gradient,
    forward,
    hidden_delta,
    init_params,
    output_delta,
    weight_gradient,
)
from ..plotting.delta_formulas import NETWORK_STAGES, network_figure
from .common import Demo


class DeltaExplorer(Demo):
    """The δ-explorer of chapter 3: step through the forward and backward pass of a 2-3-2
    network on one example and see z, a and δ on every neuron and ∂L/∂W on every edge."""

    ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
    LOSSES = {"cross_entropy": "softmax", "mse": "sigmoid"}  # loss: its output activation

    def __init__(self, activation: str = "sigmoid", loss: str = "cross_entropy",
                 stage: int | None = None, seed: int = 7):
        if activation not in self.ACTIVATIONS:
            raise ValueError(_("unknown activation {activation!r}; choose one of {choices}.")
                             .format(activation=activation, choices=list(self.ACTIVATIONS)))
        if loss not in self.LOSSES:
            raise ValueError(_("unknown loss {loss!r}; choose one of {choices}.").format(
                loss=loss, choices=list(self.LOSSES)))
        last = len(NETWORK_STAGES) - 1
        self.params = init_params([2, 3, 2], np.random.default_rng(seed), scale=1.0)
        self.x = np.array([[0.8, -0.4]])
        self.y = np.array([[1.0, 0.0]])
        self.activation = ipw.Dropdown(options=self.ACTIVATIONS, value=activation,
                                       description=_("hidden f"))
        self.loss = ipw.Dropdown(options=list(self.LOSSES), value=loss, description=_("loss"))
        self.stage = ipw.IntSlider(value=last if stage is None else stage, min=0, max=last,
                                   description=_("step"))
        self.previous = ipw.Button(description=_("◀ back"), layout=ipw.Layout(width="80px"))
        self.next = ipw.Button(description=_("next ▶"), layout=ipw.Layout(width="80px"))
        self.previous.on_click(lambda _: self._move(-1))
        self.next.on_click(lambda _: self._move(+1))
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="760px"))
        self.readout = ipw.HTML()
        for control in (self.activation, self.loss):
            control.observe(self.update, names="value")
        self.stage.observe(self.redraw, names="value")
        self.widget = ipw.VBox([
            ipw.HBox([self.activation, self.loss]),
            ipw.HBox([self.previous, self.stage, self.next]),
            self.image, self.readout])
        self.update()

    def _move(self, step: int) -> None:
        self.stage.value = min(max(self.stage.value + step, self.stage.min), self.stage.max)

    def compute(self) -> None:
        """The forward pass, the loss, and the backward pass in the order of the stages
        (``backward``'s four steps, each computed once): the output delta, the output
        layer's gradients, the hidden delta, the hidden layer's gradients."""
        hidden, loss = self.activation.value, self.loss.value
        output = self.LOSSES[loss]
        c = self.cache = forward(self.params, self.x, hidden, output)
        self.loss_value = float(get_loss(loss).value(c.z[2], self.y, output))
        delta2 = output_delta(c.z[2], self.y, loss, output)
        grads2 = {"W": weight_gradient(c.a[1], delta2), "b": bias_gradient(delta2)}
        delta1 = hidden_delta(delta2, self.params[1]["W"], c.z[1], hidden)
        grads1 = {"W": weight_gradient(c.a[0], delta1), "b": bias_gradient(delta1)}
        self.deltas = [None, delta1, delta2]
        self.grads = [grads1, grads2]

    def update(self, change=None) -> None:
        """Recompute for the current activation and loss, and redraw the current step."""
        self.compute()
        self.redraw()

    def redraw(self, change=None) -> None:
        """Draw the current step (moving through the steps recomputes nothing)."""
        stage = int(self.stage.value)
        self.show(network_figure(self.params, self.cache, self.deltas, self.grads, stage))
        self.readout.value = f"<p>{self.explain(stage)}</p>"

    def explain(self, stage: int) -> str:
        """A sentence with the numbers of the current step."""
        f = self.activation.value
        c, d, g = self.cache, self.deltas, self.grads
        W2 = self.params[1]["W"]
        if stage == 0:
            return _("The example x = {x} enters; its target is y = {y}.").format(
                x=c.a[0][0].round(3).tolist(), y=self.y[0].tolist())
        if stage == 1:
            return _("Hidden neuron 1: z = Σ x_i W_i1 + b_1 = {z:.3f}, a = {f}(z) = "
                     "{a:.3f}.").format(z=c.z[1][0, 0], f=f, a=c.a[1][0, 0])
        if stage == 2:
            return _("Output: ŷ = {y_hat}, loss L = {loss:.4f} ({name}).").format(
                y_hat=c.a[2][0].round(4).tolist(), loss=self.loss_value, name=self.loss.value)
        if stage == 3:
            deltas = d[2][0].round(4).tolist()
            if self.loss.value == "cross_entropy":
                return _("Output deltas δ = ∂L/∂z = {deltas} = ŷ − y (softmax with "
                         "cross-entropy).").format(deltas=deltas)
            return _("Output deltas δ = ∂L/∂z = {deltas} = (ŷ − y) · f′(z).").format(
                deltas=deltas)
        if stage == 4:
            return _("∂L/∂W_11 (hidden 1 → output 1) = a_1 · δ_1 = {a:.3f} × {delta:+.4f} = "
                     "{dW:+.4f}; ∂L/∂b = δ.").format(a=c.a[1][0, 0], delta=d[2][0, 0],
                                                     dW=g[1]["W"][0, 0])
        if stage == 5:
            total = float(W2[0] @ d[2][0])
            f_prime = float(get_activation(f).df(c.z[1])[0, 0])
            return _("Hidden neuron 1: δ = f′(z) · Σ_k W_1k δ_k = {f_prime:.4f} × {total:+.4f} "
                     "= {delta:+.4f}.").format(f_prime=f_prime, total=total, delta=d[1][0, 0])
        return _("∂L/∂W_11 (input 1 → hidden 1) = x_1 · δ_1 = {x:.2f} × {delta:+.4f} = "
                 "{dW:+.4f}. Every gradient is known.").format(x=c.a[0][0, 0], delta=d[1][0, 0],
                                                              dW=g[0]["W"][0, 0])
