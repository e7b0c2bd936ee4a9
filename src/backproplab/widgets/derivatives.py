"""The demo of chapter 1 (``book/01-derivatives.md``): ``DerivativeExplorer``, sliders for
w and ε drawing J, the secant, the tangent and the change against k·ε."""

from __future__ import annotations

import ipywidgets as ipw
import sympy as sp

from ..derivatives import nudge, numeric_functions
from ..i18n import gettext as _
from ..plotting.derivatives import nudge_figure
from .common import Demo

w_symbol = sp.Symbol("w")

#: The functions the derivative explorer offers, by the name shown in its menu.
EXAMPLE_FUNCTIONS: dict[str, sp.Expr] = {
    "w²": w_symbol**2,
    "w³ − 2w": w_symbol**3 - 2 * w_symbol,
    "sin(w)": sp.sin(w_symbol),
    "exp(w/2)": sp.exp(w_symbol / 2),
    "σ(w) = 1/(1 + exp(−w))": 1 / (1 + sp.exp(-w_symbol)),
}


class DerivativeExplorer(Demo):
    """Sliders for w and ε drawing J, the secant, the tangent and the change against k·ε."""

    def __init__(self, function: str = "w²", w: float = 3.0, eps: float = 0.5):
        if function not in EXAMPLE_FUNCTIONS:
            raise ValueError(_("unknown function {function!r}; choose one of {choices}.").format(
                function=function, choices=list(EXAMPLE_FUNCTIONS)))
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
        self.show(nudge_figure(J, self.result, self.k))
        r = self.result
        self.readout.value = _(
            "<p>J(w) = {J_w:.6g}, J(w + ε) = {J_nudged:.6g}: the change is "
            "<b>{change:.6g}</b>, while k·ε = {k:.6g} × {eps:.3g} = {k_eps:.6g}. "
            "The slope of the secant is {slope:.6g}; the tangent's is k = {k:.6g}. "
            "Make ε smaller: the gap {gap:.3g} shrinks faster than ε does.</p>"
        ).format(J_w=r.J_w, J_nudged=r.J_nudged, change=r.change, k=self.k, eps=eps,
                 k_eps=self.k * eps, slope=r.slope, gap=r.change - self.k * eps)

    def __repr__(self) -> str:
        return (f"DerivativeExplorer(function={self.function.value!r}, w={self.w.value}, "
                f"eps={self.eps.value})")
