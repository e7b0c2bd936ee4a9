"""The demo of chapter 5 (``book/05-vanishing-exploding.md``): ``GradientFlow``, gradient
norms per layer at initialisation and a short training run, for a depth, an activation, an
initial scale and the remedies."""

from __future__ import annotations

import warnings

import ipywidgets as ipw
import numpy as np

from ..deepnets import DeepNet, deep_gradient_norms, gradient_flow_verdict
from ..i18n import N_
from ..i18n import gettext as _
from ..losses import one_hot
from ..mlp import centre_pixels, load_digits_dataset
from ..plotting.vanishing_exploding import gradient_flow_figure
from ..training import DivergenceWarning, train
from .common import Demo


class GradientFlow(Demo):
    """Chapter 5's gradient-flow demo (``book/05-vanishing-exploding.md``): choose the depth,
    the activation, the initial weight scale and the remedies; see ‖∂L/∂W‖ of every layer
    at initialisation (log scale) and a short training run on the digits.

    ``init`` is "xavier", "he" or "custom"; "custom" draws weights with standard deviation
    ``gain / sqrt(n_in)``. After each ``update()`` the attributes ``norms`` (per layer),
    ``result`` (a ``training.TrainResult``) and ``message`` hold what was computed.
    """

    ACTIVATIONS = ("sigmoid", "tanh", "relu")
    INITS = ("xavier", "he", N_("custom"))
    WIDTH, STEPS, LR, BATCH = 16, 200, 0.1, 64

    def __init__(self, depth: int = 20, activation: str = "sigmoid", init: str = "xavier",
                 gain: float = 1.0, batchnorm: bool = False, residual: bool = False,
                 seed: int = 0):
        if activation not in self.ACTIVATIONS:
            raise ValueError(_("unknown activation {activation!r}; choose one of {choices}.")
                             .format(activation=activation, choices=list(self.ACTIVATIONS)))
        if init not in self.INITS:
            raise ValueError(_("unknown init {init!r}; choose one of {choices}.").format(
                init=init, choices=list(self.INITS)))
        if not (isinstance(depth, int) and 2 <= depth <= 50):
            raise ValueError(_("depth must be a whole number from 2 to 50; got {depth!r}.")
                             .format(depth=depth))
        self.seed = seed
        data = load_digits_dataset(np.random.default_rng(seed))
        self.X = centre_pixels(data.X_train[:512])
        self.labels = data.y_train[:512]
        self.Y = one_hot(self.labels, 10)
        self.depth = ipw.IntSlider(value=depth, min=2, max=50, description=_("depth"),
                                   continuous_update=False)
        self.activation = ipw.Dropdown(options=self.ACTIVATIONS, value=activation,
                                       description=_("activation"))
        self.init = ipw.Dropdown(options=[(_(name), name) for name in self.INITS], value=init,
                                 description=_("init"))
        self.gain = ipw.FloatLogSlider(value=gain, base=10, min=-2, max=1.5, step=0.05,
                                       description=_("custom gain"), readout_format=".3g",
                                       continuous_update=False)
        self.batchnorm = ipw.Checkbox(value=batchnorm, description=_("batch norm"))
        self.residual = ipw.Checkbox(value=residual, description=_("residual"))
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
        with warnings.catch_warnings():  # the message below says it in the widget
            warnings.simplefilter("ignore", DivergenceWarning)
            self.result = train(params, self.X, self.Y, net=self.net, steps=self.STEPS,
                                lr=self.LR, rng=np.random.default_rng(self.seed + 2),
                                batch_size=self.BATCH)
        self.message = self._message()

    def _message(self) -> str:
        r, n = self.result.history, self.norms
        if r.diverged_at is not None:
            return _("<b>Training diverged</b>: the loss became NaN or infinite at step "
                     "{step}, so it stopped there. The gradients exploded: choose a "
                     "smaller init scale, or switch on batch norm.").format(step=r.diverged_at)
        v = gradient_flow_verdict(n, r.iteration_loss)
        if not v.reaches:
            ratio = _("no gradient at all reaches layer 1")
        else:
            ratio = _("‖∂L/∂W¹‖ = {first:.3g}, ‖∂L/∂W^L‖ = {last:.3g} (ratio "
                      "{ratio:.3g})").format(first=n[0], last=n[-1], ratio=v.ratio)
        first, last = v.first_loss, v.last_loss
        verdict = {"": N_("it learns"),
                   "none": N_("it barely learns: no layer gets a usable gradient"),
                   "early": N_("it barely learns: the early layers get (almost) no gradient"),
                   "other": N_("it barely learns")}[v.cause]
        return _("At initialisation {ratio}. Loss {first:.3f} → {last:.3f} after "
                 "{steps} steps: {verdict}.").format(ratio=ratio, first=first, last=last,
                                                     steps=self.STEPS, verdict=_(verdict))

    def update(self, change=None) -> None:
        """Recompute for the current controls and redraw both panels."""
        self.gain.disabled = self.init.value != "custom"
        self.compute()
        label = (f"{self.activation.value}, {self.init.value}"
                 + (f" ×{self.gain.value:.3g}" if self.init.value == "custom" else ""))
        self.show(gradient_flow_figure(
            label, self.norms, self.result.history.iteration_loss,
            self.result.history.diverged_at is not None,
            norms_title=f"gradient norms at initialisation, depth {self.depth.value}",
            losses_title=f"training: {self.STEPS} steps, lr {self.LR}"))
        self.readout.value = f"<p>{self.message}</p>"

    def __repr__(self) -> str:
        return (f"GradientFlow(depth={self.depth.value}, activation={self.activation.value!r}, "
                f"init={self.init.value!r}, gain={self.gain.value:.3g}, "
                f"batchnorm={self.batchnorm.value}, residual={self.residual.value})")
