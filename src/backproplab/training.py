"""The training loop: mini-batch gradient descent with any optimizer, for every chapter.

Chapter 3 (``book/03-delta-formulas.md``) trains its MLP with it and plain SGD, chapter 4
(``book/04-gradient-descent.md``) with the optimizers of ``backproplab.optimizers`` and
early stopping, chapter 5 (``book/05-vanishing-exploding.md``) the deep networks of
``backproplab.deepnets`` with gradient clipping. One loop, so one set of rules:

- every step takes a batch of rows, computes the loss and the gradients, records the loss
  and the gradients' global norm, optionally clips them, and lets the optimizer step;
- ``epochs=`` goes through shuffled epochs (``optimizers.minibatches``) and records the loss
  and accuracy after each epoch; ``steps=`` draws an independent random batch every step;
- **divergence**: at the first step whose loss or gradient is NaN or infinite, training
  stops; ``history.diverged_at`` is the number of that step (steps before it completed),
  the parameters are those before it, and a :class:`DivergenceWarning` says to lower lr;
- **progress**: no bar unless ``progress=True`` (then a tqdm bar, if tqdm is installed).

Nothing given is changed: the loop works on a copy of the parameters.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from backproplab.deepnets import (
    DeepNet,
    clip_by_global_norm,
    deep_accuracy,
    deep_loss,
    deep_loss_and_gradients,
    global_norm,
)
from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.losses import get_loss
from backproplab.mlp import (
    accuracy,
    class_labels,
    compute_loss,
    copy_params,
    loss_and_gradients,
)
from backproplab.optimizers import OPTIMIZERS, SGD, Optimizer, minibatches
from backproplab.validation import Params, check_rng, check_whole, input_array

# ---------------------------------------------------------------------------------------
# What training returns
# ---------------------------------------------------------------------------------------

@dataclass
class History:
    """What happened during training. Per step: the batch loss and the gradient norm
    (before clipping). Per epoch (with ``epochs=``): loss and accuracy on the training data
    and (when given) on the validation data; accuracies are NaN when y is not made of
    classes."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    iteration_loss: list[float] = field(default_factory=list)  # every mini-batch's loss
    grad_norm: list[float] = field(default_factory=list)       # every step's ‖gradient‖
    best_epoch: int = 0          # the epoch with the lowest validation loss (if any)
    stopped_early: bool = False  # whether early stopping ended training
    diverged_at: int | None = None  # the step whose loss or gradient was not finite

    @property
    def epochs(self) -> int:
        """How many epochs were recorded."""
        return len(self.train_loss)


class TrainResult(NamedTuple):
    """What :func:`train` returns: the trained ``params`` (new arrays), the ``history``, and
    a deep network's batch-norm ``running`` statistics (None for an MLP)."""

    params: Params
    history: History
    running: list | None = None


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss or the gradient became NaN or infinite."""


def divergence_message(lr: float, value: float, where: str, what: str = N_("loss")) -> str:
    """The sentence a diverged run reports: what happened, where, and what to change (in
    the reader's language; ``what`` is translated here, ``where`` by the caller)."""
    return _("training diverged: the {what} became {value} {where} with lr={lr:g}. Each "
             "step overshot the minimum; lower lr (try lr={smaller:g}) and train again.").format(
        what=_(what), value=value, where=where, lr=lr, smaller=lr / 10)


# ---------------------------------------------------------------------------------------
# The models the loop can train: chapter 3's MLP and chapter 5's deep networks
# ---------------------------------------------------------------------------------------

class _MLP:
    """Chapter 3's network: ``mlp.loss_and_gradients`` with ``hidden``, ``output``, ``loss``."""

    def __init__(self, hidden, output, loss):
        get_loss(loss).check_output(output)
        self.settings = dict(hidden=hidden, output=output)
        self.loss_name = loss

    def inputs(self, X, params):
        return input_array(X, params)

    def loss_and_gradients(self, params, X, y, rng, running):
        value, grads = loss_and_gradients(params, X, y, loss=self.loss_name, **self.settings)
        return value, grads, running

    def evaluate(self, params, X, y, running, classes):
        value = compute_loss(params, X, y, loss=self.loss_name, **self.settings)
        return value, accuracy(params, X, y, **self.settings) if classes else math.nan


class _Deep:
    """Chapter 5's ``DeepNet``: batch-norm running statistics are its state (``running``)."""

    def __init__(self, net: DeepNet):
        self.net = net

    def inputs(self, X, params):
        return np.asarray(X)

    def loss_and_gradients(self, params, X, y, rng, running):
        return deep_loss_and_gradients(self.net, params, X, y, rng=rng, running=running)

    def evaluate(self, params, X, y, running, classes):
        value = deep_loss(self.net, params, X, y, training=False, running=running)
        acc = deep_accuracy(self.net, params, X, class_labels(y), running) if classes else math.nan
        return value, acc


def _is_classification(y: np.ndarray) -> bool:
    """True when y holds class labels, one-hot rows or one 0/1 column (accuracy makes sense)."""
    if y.ndim == 1:
        return bool(np.issubdtype(y.dtype, np.integer) or np.all(y == np.round(y)))
    binary = np.all((y == 0) | (y == 1))
    return bool(binary and (y.shape[1] == 1 or np.all(y.sum(axis=1) == 1)))


# ---------------------------------------------------------------------------------------
# The progress bar
# ---------------------------------------------------------------------------------------

def progress_bar(total: int, enabled: bool, unit: str = "epoch"):
    """A tqdm progress bar over ``total`` epochs or steps (advance it with ``update(1)``),
    or None when not asked for or tqdm is not installed.

    In a notebook the bar is a widget, displayed with a display id so that
    :func:`finish_progress_bar` can replace the output with the bar's final state: a
    notebook saved or rendered without a kernel (the website) then shows the finished bar,
    not the empty one it started as.
    """
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: no bar then
        return None
    from tqdm.notebook import tqdm as notebook_tqdm

    if issubclass(tqdm, notebook_tqdm):  # tqdm.auto chose the notebook widget
        bar = tqdm(total=total, desc=_("training"), unit=_(unit), display=False)
        from IPython.display import display

        bar.display_handle = display(bar.container, display_id=True)
        return bar
    return tqdm(total=total, desc=_("training"), unit=_(unit))


def finish_progress_bar(bar) -> None:
    """Close a bar from :func:`progress_bar` and show its final state (see there)."""
    if bar is None:
        return
    bar.close()
    handle = getattr(bar, "display_handle", None)
    if handle is not None:
        handle.update(bar.container)


def _last(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.train_loss[-1]:.4g}"}
    if not math.isnan(history.train_accuracy[-1]):
        shown["acc"] = f"{history.train_accuracy[-1]:.3f}"
    if history.val_accuracy and not math.isnan(history.val_accuracy[-1]):
        shown["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return shown


# ---------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------

def _optimizer(optimizer, lr) -> Optimizer:
    if (optimizer is None) == (lr is None):
        raise ValueError(_("give either lr (plain gradient descent with that learning rate) "
                           "or optimizer (such as Adam(0.01)), not both or neither."))
    if optimizer is None:
        return SGD(lr)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(_("optimizer must be one of {choices} such as SGD(lr=0.1); "
                          "got {optimizer!r}.").format(choices=list(OPTIMIZERS),
                                                       optimizer=optimizer))
    return optimizer


def _model(net, hidden, output, loss):
    if net is None:
        return _MLP(hidden or "sigmoid", output or "identity", loss or "mse")
    if not (hidden is None and output is None and loss is None):
        raise ValueError(_("a DeepNet brings its own hidden, output and loss: leave them out "
                           "when you pass net."))
    return _Deep(net)


def _check_schedule(epochs, steps, batch_size, rng, X, y, X_val, y_val, patience):
    check_rng(rng)
    if (epochs is None) == (steps is None):
        raise ValueError(_("give either epochs (passes over the data) or steps (random "
                           "batches), not both or neither."))
    if epochs is not None:
        check_whole(epochs, "epochs")
    if steps is not None:
        check_whole(steps, "steps")
    check_whole(batch_size, "batch_size")
    if y.shape[0] != X.shape[0]:
        raise ValueError(_("X has {rows} rows but y has {targets} targets: give one "
                           "target per sample.").format(rows=X.shape[0], targets=y.shape[0]))
    if (X_val is None) != (y_val is None):
        raise ValueError(_("give both X_val and y_val, or neither."))
    if X_val is not None and epochs is None:
        raise ValueError(_("the validation set is measured after each epoch: train with "
                           "epochs=, not steps=."))
    if patience is not None and X_val is None:
        raise ValueError(_("early stopping (patience) needs a validation set: pass X_val and "
                           "y_val."))


def _batches(n, batch_size, rng, epochs, steps):
    """``(where, rows)`` for every step and ``(epoch, None)`` at the end of each epoch.

    ``where`` says where a step is ("at batch 2 of epoch 3", "at step 7"). With ``steps``
    (no epochs) every step draws its own batch."""
    batch_size = min(batch_size, n)
    if epochs is None:
        for step in range(steps):
            yield (_("at step {step}").format(step=step),
                   rng.choice(n, size=batch_size, replace=False))
        return
    for epoch in range(1, epochs + 1):
        for number, rows in enumerate(minibatches(n, batch_size, rng), start=1):
            yield _("at batch {number} of epoch {epoch}").format(number=number, epoch=epoch), rows
        yield epoch, None


def _diverged(history, lr, where, loss, norm=0.0) -> bool:
    """Record and report a loss or gradient norm that is not finite (the one rule)."""
    if math.isfinite(loss) and math.isfinite(norm):
        return False
    history.diverged_at = len(history.iteration_loss)
    message = (divergence_message(lr, loss, where) if not math.isfinite(loss)
               else divergence_message(lr, norm, where, N_("gradient norm")))
    warnings.warn(message, DivergenceWarning, stacklevel=3)
    return True


def _measure(model, params, data, running, classes, history, split) -> float:
    """Record the loss and accuracy on ``data`` = (X, y) after an epoch; return the loss."""
    value, acc = model.evaluate(params, *data, running, classes)
    getattr(history, f"{split}_loss").append(value)
    getattr(history, f"{split}_accuracy").append(acc)
    return value


def train(params, X, y, *, batch_size, rng, epochs=None, steps=None, lr=None, optimizer=None,
          hidden=None, output=None, loss=None, net=None, clip=None, X_val=None, y_val=None,
          patience=None, progress=False) -> TrainResult:
    """Train a network on mini-batches of (X, y): ``epochs`` passes, or ``steps`` steps.

    Every step computes the loss and gradients of a batch of ``batch_size`` rows, clips
    them to global norm ``clip`` when given (chapter 5's ``eq-clip``) and takes a step of
    ``optimizer`` (reset first), or of plain gradient descent ``SGD(lr)`` when ``lr`` is
    given instead (chapter 4's ``eq-sgd``). With ``epochs`` the rows are shuffled
    into batches once per epoch (``minibatches``), and after each epoch the loss and
    accuracy on (X, y) and on (X_val, y_val) are recorded; with ``patience`` training
    stops when the validation loss has not improved for that many epochs and returns the
    parameters of the best epoch (early stopping). With ``steps`` each step draws its own
    random batch.

    The network is an MLP (``backproplab.mlp``) with activations ``hidden`` (default
    sigmoid) and ``output`` (default identity) and the loss ``loss`` (default mse), or a
    ``DeepNet`` ``net`` (``backproplab.deepnets``), which brings its own. A loss or
    gradient that becomes NaN or infinite stops training: ``history.diverged_at`` says at
    which step, and a warning says to lower lr. ``progress=True`` shows a progress bar.
    ``params`` is not changed. Returns a :class:`TrainResult` ``(params, history,
    running)``.
    """
    optimizer, model = _optimizer(optimizer, lr), _model(net, hidden, output, loss)
    params = copy_params(params)
    X, y = model.inputs(X, params), np.asarray(y)
    _check_schedule(epochs, steps, batch_size, rng, X, y, X_val, y_val, patience)
    history, running, classes = History(), None, _is_classification(y)
    best_loss, best_params = math.inf, params
    optimizer.reset()
    bar = progress_bar(epochs or steps, progress, N_("epoch") if epochs else N_("step"))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for where, rows in _batches(len(X), batch_size, rng, epochs, steps):
            if rows is None:  # the end of epoch ``where``: measure, and stop early?
                epoch = where
                value = _measure(model, params, (X, y), running, classes, history, "train")
                if _diverged(history, optimizer.lr,
                             _("at the end of epoch {epoch}").format(epoch=epoch), value):
                    break
                if bar is not None:
                    bar.set_postfix(_last(history), refresh=False)
                    bar.update(1)
                if X_val is None:
                    continue
                value = _measure(model, params, (X_val, y_val), running, classes, history,
                                 "val")
                if value < best_loss:
                    best_loss, best_params, history.best_epoch = value, params, epoch
                elif patience is not None and epoch - history.best_epoch >= patience:
                    history.stopped_early = True
                    break
                continue
            value, grads, new_running = model.loss_and_gradients(params, X[rows], y[rows],
                                                                 rng, running)
            norm = global_norm(grads)
            if _diverged(history, optimizer.lr, where, value, norm):
                break
            running = new_running
            history.iteration_loss.append(value)
            history.grad_norm.append(norm)
            if clip is not None:
                grads, _norm = clip_by_global_norm(grads, clip)
            params = optimizer.step(params, grads)
            if bar is not None and epochs is None:
                bar.update(1)
    finish_progress_bar(bar)
    return TrainResult(best_params if patience is not None else params, history, running)


__all__ = ["DivergenceWarning", "History", "TrainResult", "divergence_message",
           "finish_progress_bar", "progress_bar", "train"]
