"""The demo of chapter 6 (``book/06-frameworks.md``): ``TimeGradients``, how much gradient
reaches each time step of a plain RNN and of an LSTM, for a sequence length, a recurrent
weight scale, a forget-gate bias, a hidden size and a float type."""

from __future__ import annotations

from numbers import Real

import ipywidgets as ipw
import numpy as np

from ..i18n import N_
from ..i18n import gettext as _
from ..plotting.frameworks import plot_time_gradients
from ..time_gradients import TimeVerdict, time_gradient_norms
from .common import Demo


def _ratio(v: TimeVerdict, dtype: str) -> str:
    """One curve's verdict as a phrase: its ratio first/last step and what that means."""
    if v.status == "overflow":
        return _("the gradient exploded: going back in time it overflowed {dtype}'s range "
                 "(inf or NaN), and the plot stops there").format(dtype=dtype)
    if not v.reaches:
        return _("no gradient at all reaches step 1 (it shrank to exactly 0): it vanishes")
    if v.status == "explodes":
        return _("the gradient at step 1 is {ratio:.2g} times that at step T: it "
                 "explodes").format(ratio=v.ratio)
    meaning = {"vanishes": N_("it vanishes"), "kept": N_("it is kept")}[v.status]
    return _("the gradient at step 1 is {ratio:.2g} of that at step T: {meaning}").format(
        ratio=v.ratio, meaning=_(meaning))


class TimeGradients(Demo):
    """Chapter 6's demo (``book/06-frameworks.md``): ‖∂L/∂h_t‖ of a plain tanh RNN and of
    an LSTM (and the LSTM's ‖∂L/∂c_t‖) for every time step t = 1 … T, from one backward
    pass each (``time_gradients.time_gradient_norms``), on a log scale.

    Controls: the sequence length ``T``, the recurrent weights' ``scale`` (a multiple of
    the initial standard deviation 1/sqrt(n_h)), the LSTM's ``forget_bias``, the hidden size
    ``n_h`` and the float type (``dtype``; frameworks default to float32, whose range ends
    near 3e38). After each ``update()`` the attributes ``result`` (a ``TimeGradientNorms``)
    and ``message`` hold what was computed and said.
    """

    T_RANGE, N_H_RANGE = (2, 200), (2, 64)
    SCALE_RANGE, FORGET_BIAS_RANGE = (0.1, 100.0), (-3.0, 6.0)
    DTYPES = ("float64", "float32")

    def __init__(self, T: int = 50, scale: float = 1.0, forget_bias: float = 1.0,
                 n_h: int = 16, dtype: str = "float64", seed: int = 0):
        self._check(T, scale, forget_bias, n_h, dtype)
        self.seed = seed
        self.T = ipw.IntSlider(value=T, min=self.T_RANGE[0], max=self.T_RANGE[1],
                               description=_("T (steps)"), continuous_update=False)
        self.scale = ipw.FloatLogSlider(
            value=scale, base=10, min=np.log10(self.SCALE_RANGE[0]),
            max=np.log10(self.SCALE_RANGE[1]), step=0.05, description=_("W_h scale"),
            readout_format=".3g", continuous_update=False)
        self.forget_bias = ipw.FloatSlider(
            value=forget_bias, min=self.FORGET_BIAS_RANGE[0], max=self.FORGET_BIAS_RANGE[1],
            step=0.25, description=_("forget bias"), continuous_update=False)
        self.n_h = ipw.IntSlider(value=n_h, min=self.N_H_RANGE[0], max=self.N_H_RANGE[1],
                                 description=_("n_h (hidden)"), continuous_update=False)
        self.dtype = ipw.Dropdown(options=self.DTYPES, value=dtype, description=_("floats"))
        self.image = ipw.Image(format="png", layout=ipw.Layout(width="100%", max_width="760px"))
        self.readout = ipw.HTML()
        for control in (self.T, self.scale, self.forget_bias, self.n_h, self.dtype):
            control.observe(self.update, names="value")
        self.widget = ipw.VBox([
            ipw.HBox([self.T, self.scale, self.forget_bias]),
            ipw.HBox([self.n_h, self.dtype]),
            self.image, self.readout])
        self.update()

    @classmethod
    def _check(cls, T, scale, forget_bias, n_h, dtype) -> None:
        """Refuse settings the sliders cannot show (a slider would silently clip them)."""
        (t_lo, t_hi), (n_lo, n_hi) = cls.T_RANGE, cls.N_H_RANGE
        (s_lo, s_hi), (f_lo, f_hi) = cls.SCALE_RANGE, cls.FORGET_BIAS_RANGE
        if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or not t_lo <= T <= t_hi:
            raise ValueError(_("T (the sequence length) must be a whole number from {low} to "
                               "{high}; got {T!r}.").format(low=t_lo, high=t_hi, T=T))
        if (isinstance(n_h, bool) or not isinstance(n_h, (int, np.integer))
                or not n_lo <= n_h <= n_hi):
            raise ValueError(_("n_h (the hidden size) must be a whole number from {low} to "
                               "{high}; got {n_h!r}.").format(low=n_lo, high=n_hi, n_h=n_h))
        if isinstance(scale, bool) or not isinstance(scale, Real) or not s_lo <= scale <= s_hi:
            raise ValueError(_("scale (the recurrent weights' multiple of 1/sqrt(n_h)) must be "
                               "a number from {low:g} to {high:g}, such as 1.0; got {scale!r}.")
                             .format(low=s_lo, high=s_hi, scale=scale))
        if (isinstance(forget_bias, bool) or not isinstance(forget_bias, Real)
                or not f_lo <= forget_bias <= f_hi):
            raise ValueError(_("forget_bias must be a number from {low:g} to {high:g}, such as "
                               "1.0 (larger keeps the forget gate nearer 1); got "
                               "{forget_bias!r}.").format(low=f_lo, high=f_hi,
                                                          forget_bias=forget_bias))
        if dtype not in cls.DTYPES:
            raise ValueError(_("unknown dtype {dtype!r}; choose one of {choices}.").format(
                dtype=dtype, choices=list(cls.DTYPES)))

    def compute(self) -> None:
        """The per-step norms and their verdicts for the controls, and the message."""
        self.result = time_gradient_norms(
            int(self.T.value), np.random.default_rng(self.seed), scale=float(self.scale.value),
            forget_bias=float(self.forget_bias.value), n_h=int(self.n_h.value),
            dtype=np.dtype(self.dtype.value))
        self.message = self._message()

    def _message(self) -> str:
        r, dtype = self.result, self.dtype.value
        text = _("<b>Plain RNN</b>: {rnn}. <b>LSTM</b>: {lstm}").format(
            rnn=_ratio(r.rnn, dtype), lstm=_ratio(r.lstm, dtype))
        if r.lstm_cell.status != "overflow" and r.lstm_cell.reaches:
            text += _(" (along the cell state ‖∂L/∂c_t‖: {ratio:.2g})").format(
                ratio=r.lstm_cell.ratio)
        text += "."
        statuses = {r.rnn.status, r.lstm.status}
        advice = ""
        if "overflow" in statuses:
            advice = _("Choose a smaller W_h scale, or float64 (range up to about 1.8e308).")
        elif "explodes" in statuses:
            advice = _("Large recurrent weights multiply the gradient at every step back: "
                       "choose a smaller W_h scale, or clip the gradient's norm.")
        elif r.lstm.status == "vanishes":
            advice = _("Raise the forget bias: a forget gate f = σ(b_f + …) nearer 1 lets the "
                       "cell state carry the gradient back.")
        elif r.rnn.status == "vanishes":
            advice = _("The LSTM's cell path multiplies by the forget gate only, where the "
                       "plain RNN multiplies by tanh′ and W_h at every step.")
        return text + (" " + advice if advice else "")

    def update(self, change=None) -> None:
        """Recompute for the current controls and redraw."""
        self.compute()
        self.show(plot_time_gradients(
            self.result.rnn_dh, self.result.lstm_dh, self.result.lstm_dc,
            title=(f"T = {self.T.value}, W_h scale {self.scale.value:.3g}, forget bias "
                   f"{self.forget_bias.value:g}, n_h = {self.n_h.value}, {self.dtype.value}")))
        self.readout.value = f"<p>{self.message}</p>"

    def __repr__(self) -> str:
        return (f"TimeGradients(T={self.T.value}, scale={self.scale.value:.3g}, "
                f"forget_bias={self.forget_bias.value:g}, n_h={self.n_h.value}, "
                f"dtype={self.dtype.value!r})")
