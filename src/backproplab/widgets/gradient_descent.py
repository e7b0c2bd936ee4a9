"""The demo of chapter 4 (``book/04-gradient-descent.md``): ``OptimizerLab``, several
optimizers from the same start on a 2-D loss surface."""

from __future__ import annotations

import html

import ipywidgets as ipw
import numpy as np

from ..i18n import N_
from ..i18n import gettext as _
from ..optimizers import OPTIMIZERS, make_optimizer
from ..plotting.gradient_descent import trajectories_figure
from ..surfaces import least_squares, quadratic, rosenbrock, run_optimizer
from .common import Demo


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

    SURFACES = (N_("quadratic"), "Rosenbrock", N_("least squares"))
    BATCH_SIZES = ((N_("all (batch)"), None), ("64", 64), ("16", 16), ("4", 4),
                   (N_("1 (stochastic)"), 1))

    def __init__(self, variants=("SGD", "Momentum", "Adam"), surface="quadratic", lr=0.05,
                 beta=0.9, batch_size=None, n_steps=100, seed=0):
        unknown = [v for v in variants if v not in OPTIMIZERS]
        if unknown:
            raise ValueError(_("unknown optimizer(s) {unknown}; choose from {choices}.").format(
                unknown=unknown, choices=list(OPTIMIZERS)))
        if surface not in self.SURFACES:
            raise ValueError(_("unknown surface {surface!r}; choose one of {choices}.").format(
                surface=surface, choices=list(self.SURFACES)))
        self._surfaces = {"quadratic": quadratic(), "Rosenbrock": rosenbrock(),
                          "least squares": least_squares(np.random.default_rng(seed))}
        self.seed = seed
        self.variants = ipw.SelectMultiple(options=list(OPTIMIZERS), value=tuple(variants),
                                           description=_("optimizers"), rows=4)
        self.surface = ipw.Dropdown(options=[(_(name), name) for name in self.SURFACES],
                                    value=surface, description=_("surface"))
        self.lr = ipw.FloatLogSlider(value=lr, base=10, min=-4, max=0.5, step=0.05,
                                     description="lr", readout_format=".2g",
                                     continuous_update=False)
        self.beta = ipw.FloatSlider(value=beta, min=0.0, max=0.99, step=0.01,
                                    description=_("momentum β"), continuous_update=False)
        self.batch_size = ipw.Dropdown(options=[(_(label), size)
                                                for label, size in self.BATCH_SIZES],
                                       value=batch_size, description=_("batch size"))
        self.n_steps = ipw.IntSlider(value=n_steps, min=5, max=1000, step=5,
                                     description=_("steps"), continuous_update=False)
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
        surface = self._surfaces[self.surface.value]
        batch = self._batch(surface)
        lr, beta = float(self.lr.value), float(self.beta.value)
        self.runs, self.messages = {}, {}
        for name in self.variants.value:
            optimizer = make_optimizer(name, lr, beta=beta if name == "Momentum" else None)
            run = run_optimizer(optimizer, surface, n_steps=int(self.n_steps.value),
                                batch_size=batch, rng=np.random.default_rng(self.seed + 1))
            self.runs[name] = run
            self.messages[name] = self._message(name, run, surface)

    def _batch(self, surface) -> int | None:
        """The mini-batch size for ``surface``: None (full batch) for a formula."""
        return self.batch_size.value if surface.n_samples else None

    def _message(self, name, run, surface) -> str:
        if run.diverged:
            return _("{name} diverged at step {step}: the loss grew from {first:.3g} to "
                     "{last:.3g}. Lower the learning rate.").format(
                name=name, step=run.diverged_at, first=run.losses[0], last=run.losses[-1])
        distance = run.distance_to(surface.minimum)
        text = _("{name}: loss {first:.3g} → {last:.3g} after {steps} steps, {distance:.3g} "
                 "from the minimum.").format(name=name, first=run.losses[0],
                                             last=run.final_loss, steps=len(run.losses) - 1,
                                             distance=distance)
        if run.final_loss > 0.9 * run.losses[0]:
            text += " " + _("It barely moved: raise the learning rate (or take more steps).")
        return text

    def update(self, change=None) -> None:
        """Recompute the runs and redraw the contour plot and the loss curves."""
        self.compute()
        surface = self._surfaces[self.surface.value]
        title = f"{surface.name}, lr = {self.lr.value:.2g}"
        if surface.n_samples:
            title += f", batch {self._batch(surface) or surface.n_samples} of {surface.n_samples}"
        self.show(trajectories_figure(surface, self.runs, title=title))
        if not self.runs:
            self.readout.value = _("<p>Choose at least one optimizer.</p>")
            return
        items = "".join(f"<li><b>{html.escape(m)}</b></li>" if self.runs[n].diverged
                        else f"<li>{html.escape(m)}</li>" for n, m in self.messages.items())
        self.readout.value = f"<ul>{items}</ul>"

    def __repr__(self) -> str:
        return (f"OptimizerLab(variants={list(self.variants.value)!r}, "
                f"surface={self.surface.value!r}, lr={self.lr.value:.3g})")
