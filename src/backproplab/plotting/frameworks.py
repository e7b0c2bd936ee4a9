"""Figures of chapter 6 (``book/06-frameworks.md``): gradient norms per time step (plain
RNN against LSTM) and learning curves of models trained with a framework."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter, LogLocator

from ..i18n import gettext as _

CURVES = ("loss", "accuracy", "val_loss", "val_accuracy")
"""The keys of a history (Keras' ``History.history``; the PyTorch loop returns the same)."""


def draw_time_gradients(ax, norms: dict, dashed=(), title: str = "") -> None:
    """Draw per-step gradient norms against the time step t = 1 … T on a log scale, one
    line per entry of ``norms`` (label → array (T,), step 1 first), dashed for the labels in
    ``dashed``. Zeros, infinities and NaNs are left out (a log scale cannot show them); a
    curve with infinities or NaNs (the backward pass overflowed) ends with an ✕ at its
    earliest finite step and gets "(overflowed)" in the legend."""
    T = 1
    for label, values in norms.items():
        values = np.asarray(values, dtype=float)
        steps = np.arange(1, len(values) + 1)
        shown = np.isfinite(values) & (values > 0)
        overflowed = not np.all(np.isfinite(values))
        line, = ax.semilogy(steps[shown], values[shown], lw=1.5,
                            ls="--" if label in dashed else "-",
                            label=f"{label} (overflowed)" if overflowed else label)
        if overflowed and shown.any():
            ax.plot(steps[shown][:1], values[shown][:1], "x", ms=9, mew=2,
                    color=line.get_color())
        T = max(T, len(values))
    ax.set_xlim(0.5, T + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("time step t (T = the last, next to the output)")
    ax.set_ylabel("gradient norm (log scale)")
    # At most 8 labelled decades, as plain text such as 1e-40: matplotlib's default
    # (mathtext, 10^-40) doubles the time a widget needs to redraw.
    ax.yaxis.set_major_locator(LogLocator(numticks=8))
    ax.yaxis.set_major_formatter(LogFormatter())
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False,
                                              minor_thresholds=(1, 0.4)))
    if title:
        ax.set_title(title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")


def plot_time_gradients(rnn_dh, lstm_dh, lstm_dc=None, *, title: str = "") -> Figure:
    """The time-gradients demo's picture: ‖∂L/∂h_t‖ of the plain RNN and of the LSTM
    (solid) and, if given, the LSTM's ‖∂L/∂c_t‖ (dashed), against t (each array (T,),
    step 1 first), log scale (:func:`draw_time_gradients`)."""
    norms = {"plain RNN ‖∂L/∂h_t‖": rnn_dh, "LSTM ‖∂L/∂h_t‖": lstm_dh}
    cell = "LSTM ‖∂L/∂c_t‖"
    if lstm_dc is not None:
        norms[cell] = lstm_dc
    # A fixed layout: constrained layout would slow down every widget redraw.
    fig = Figure(figsize=(7.0, 3.6))
    fig.subplots_adjust(left=0.11, right=0.98, bottom=0.14, top=0.9)
    draw_time_gradients(fig.subplots(), norms, dashed={cell}, title=title)
    return fig


def _check_history(name, history) -> dict:
    """The history's curves as float arrays; an error names what a history must hold."""
    if not hasattr(history, "keys"):
        raise TypeError(_("histories[{name!r}] must be a dict of per-epoch lists such as "
                          "Keras' History.history; got {type}.").format(
            name=name, type=type(history).__name__))
    missing = [key for key in ("loss", "accuracy") if key not in history]
    if missing:
        raise ValueError(_("histories[{name!r}] lacks {missing}: it needs the keys "
                           "{keys} (validation ones optional), lists per epoch as "
                           "Keras' History.history (compile with metrics=['accuracy']); got "
                           "{got}.").format(name=name, missing=missing, keys=list(CURVES),
                                            got=sorted(history)))
    curves = {key: np.asarray(history[key], dtype=float) for key in CURVES if key in history}
    lengths = {key: values.shape for key, values in curves.items()}
    if len(set(lengths.values())) != 1 or curves["loss"].ndim != 1:
        raise ValueError(_("histories[{name!r}] must hold one number per epoch for every key, "
                           "all of the same length; got shapes {lengths}.").format(
            name=name, lengths=lengths))
    return curves


def draw_learning_curves(ax_loss, ax_accuracy, histories: dict) -> None:
    """Draw each model's loss (on ``ax_loss``) and accuracy (on ``ax_accuracy``) against the
    epoch 1 … n: training solid, validation (``val_*`` keys, if present) dashed, one colour
    per model. ``histories`` maps a model's name to a dict with the keys :data:`CURVES`."""
    for index, (name, history) in enumerate(histories.items()):
        curves = _check_history(name, history)
        colour = f"C{index % 10}"
        for ax, key in ((ax_loss, "loss"), (ax_accuracy, "accuracy")):
            epochs = np.arange(1, len(curves[key]) + 1)
            ax.plot(epochs, curves[key], color=colour, lw=1.5, marker="o", ms=3,
                    label=f"{name}, training")
            if f"val_{key}" in curves:
                ax.plot(epochs, curves[f"val_{key}"], color=colour, lw=1.5, ls="--",
                        marker="o", ms=3, label=f"{name}, validation")
    for ax, key in ((ax_loss, "loss"), (ax_accuracy, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_title(key, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    ax_accuracy.legend(fontsize="small")


def plot_learning_curves(histories: dict, title: str = "") -> Figure:
    """Two panels, loss (left) and accuracy (right), against the epoch (from 1), for every
    model of ``histories`` (name → dict with the keys :data:`CURVES`, lists per epoch as
    Keras' ``History.history``): training solid, validation dashed
    (:func:`draw_learning_curves`)."""
    if not histories:
        raise ValueError(_("histories is empty: pass {{model name: history}}, e.g. "
                           "{{'LSTM (Keras)': model.fit(...).history}}.").format())
    fig = Figure(figsize=(9.0, 3.4))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.82 if title else 0.9,
                        wspace=0.25)
    ax_loss, ax_accuracy = fig.subplots(1, 2)
    draw_learning_curves(ax_loss, ax_accuracy, histories)
    if title:
        fig.suptitle(title)
    return fig


__all__ = ["CURVES", "draw_learning_curves", "draw_time_gradients", "plot_learning_curves",
           "plot_time_gradients"]
