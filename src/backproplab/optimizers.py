"""Gradient descent and its variants behind one interface: ``step(params, grads)``.

Chapter 4 of the book, ``book/04-gradient-descent.md``. Equation labels in the docstrings
are the labels of that chapter:

- ``eq-sgd``: w ← w − lr g (plain gradient descent, on a batch, a mini-batch or one example);
- ``eq-momentum``: v ← beta v + g, w ← w − lr v;
- ``eq-rmsprop``: s ← beta s + (1 − beta) g², w ← w − lr g / (√s + eps);
- ``eq-adam``: m and v as running means of g and g², corrected for their start at 0;
- ``eq-l2`` and ``eq-l1``: weight decay (L2) and the L1 penalty, added to the gradient;
- ``eq-soft-threshold``: the proximal step of the L1 penalty, which sets weights exactly to 0.

Every optimizer is an object with ``step(params, grads) -> new params`` and ``reset()``.
``params`` may be one NumPy array (a point on a 2-D loss surface) or the MLP's list of
``{"W", "b"}`` dicts, or any nesting of lists, tuples and dicts of arrays; ``grads`` has the
same structure. ``step`` never changes its arguments: it returns new arrays and keeps its
running state (velocity, running means, step count) inside the optimizer. The conventions
are PyTorch's (``torch.optim.SGD``, ``RMSprop``, ``Adam``) with default dampening,
``centered=False``, ``amsgrad=False``; ``weight_decay`` is PyTorch's coupled L2 (added to
the gradient, not AdamW's decoupled decay) and applies to every array, biases included.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from backproplab.i18n import N_
from backproplab.i18n import gettext as _
from backproplab.mlp import loss_and_gradients
from backproplab.validation import (
    Params,
    check_lr,
    check_rng,
    check_whole,
    fraction,
    not_negative,
    positive,
)

# ---------------------------------------------------------------------------------------
# Params as trees of arrays
# ---------------------------------------------------------------------------------------

def flatten(tree) -> tuple[list[np.ndarray], Callable]:
    """The arrays of ``tree`` (an array, or lists/tuples/dicts of them) and a function that
    builds a tree of the same structure from a list of new arrays."""
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [flatten(tree[k]) for k in keys]
        return _join(parts, lambda values: dict(zip(keys, values)))
    if isinstance(tree, (list, tuple)):
        parts = [flatten(item) for item in tree]
        kind = type(tree)
        return _join(parts, lambda values: kind(values))
    if isinstance(tree, (np.ndarray, float, int, np.floating)) and not isinstance(tree, bool):
        return [np.asarray(tree, dtype=float) if not isinstance(tree, np.ndarray) else tree], \
            lambda values: values[0]
    raise TypeError(_("params and grads must be arrays, or lists and dicts of arrays; found a "
                      "{type}.").format(type=type(tree).__name__))


def _join(parts, combine):
    leaves = [leaf for part_leaves, _ in parts for leaf in part_leaves]
    sizes = [len(part_leaves) for part_leaves, _ in parts]

    def rebuild(values):
        out, start = [], 0
        for (_leaves, build), size in zip(parts, sizes):
            out.append(build(values[start:start + size]))
            start += size
        return combine(out)
    return leaves, rebuild


def tree_map(f, tree, *others):
    """Apply ``f`` to the arrays of ``tree`` (and the matching arrays of ``others``)."""
    leaves, rebuild = flatten(tree)
    other_leaves = [flatten(other)[0] for other in others]
    return rebuild([f(*arrays) for arrays in zip(leaves, *other_leaves)])


# ---------------------------------------------------------------------------------------
# Regularisation: penalties added to the gradient
# ---------------------------------------------------------------------------------------

def l2_gradient(w, g, weight_decay):
    """The gradient of ``loss + weight_decay/2 · Σ w²`` (equation ``eq-l2``): g + λ w."""
    return g + weight_decay * w


def l1_gradient(w, g, l1):
    """The (sub)gradient of ``loss + l1 · Σ |w|`` (equation ``eq-l1``): g + λ sign(w)."""
    return g + l1 * np.sign(w)


def soft_threshold(w, threshold) -> np.ndarray:
    """The proximal step of the L1 penalty (equation ``eq-soft-threshold``): every entry of
    ``w`` moved ``threshold`` towards 0, and set to exactly 0 where it would cross it,
    ``sign(w) · max(|w| − threshold, 0)``. After a gradient step of the loss alone with
    learning rate lr, ``soft_threshold(w, lr * l1)`` takes the penalty ``l1 · Σ |w|`` into
    account; it is the point that minimises ``‖x − w‖² / 2 + threshold · Σ |x|``. Returns a
    new array of the shape of ``w``."""
    threshold = not_negative(threshold, N_("threshold (lr times the L1 weight)"))
    w = np.asarray(w, dtype=float)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


# ---------------------------------------------------------------------------------------
# The optimizers
# ---------------------------------------------------------------------------------------

class Optimizer:
    """Base of the optimizers: ``step(params, grads)`` applies ``update`` to every array.

    A subclass writes its rule for one array in ``update(w, g, state)``, returning the new
    array and its new state (a tuple of arrays, empty for plain gradient descent);
    ``self.t`` is the number of the current step, 1 on the first. ``weight_decay`` (L2,
    ``eq-l2``) and ``l1`` (``eq-l1``) add their penalty's gradient first.
    """

    def __init__(self, lr, *, weight_decay=0.0, l1=0.0):
        self.lr = check_lr(lr)
        self.weight_decay = not_negative(weight_decay, "weight_decay")
        self.l1 = not_negative(l1, "l1")
        self.reset()

    def reset(self) -> None:
        """Forget the running state, so the next step is a first step again."""
        self.t = 0
        self.state = None

    def initial_state(self, w) -> tuple:
        """The state of one array before the first step (zeros of its shape)."""
        return ()

    def update(self, w, g, state):
        raise NotImplementedError

    def step(self, params, grads):
        """New parameters after one step; ``params`` and ``grads`` are not changed."""
        leaves, rebuild = flatten(params)
        try:
            grad_leaves, _rebuild = flatten(grads)
        except TypeError:
            grad_leaves = None
        if grad_leaves is None or len(grad_leaves) != len(leaves) or any(
                np.shape(g) != np.shape(w) for w, g in zip(leaves, grad_leaves)):
            raise ValueError(_("grads must have the structure and shapes of params (one "
                               "gradient array per parameter array, of the same shape)."))
        if self.state is None:
            self.state = [self.initial_state(w) for w in leaves]
        elif len(self.state) != len(leaves):
            raise ValueError(_("this {name} was used on parameters with {before} arrays and "
                               "now gets {now}: call reset() before using it on other "
                               "parameters.").format(name=type(self).__name__,
                                                     before=len(self.state), now=len(leaves)))
        self.t += 1
        new_leaves = []
        for k, (w, g) in enumerate(zip(leaves, grad_leaves)):
            if self.weight_decay:
                g = l2_gradient(w, g, self.weight_decay)
            if self.l1:
                g = l1_gradient(w, g, self.l1)
            w_new, self.state[k] = self.update(w, g, self.state[k])
            new_leaves.append(w_new)
        return rebuild(new_leaves)

    def _options(self) -> str:
        extra = "".join(f", {name}={getattr(self, name):g}"
                        for name in ("weight_decay", "l1") if getattr(self, name))
        return extra

    @property
    def name(self) -> str:
        return type(self).__name__


class SGD(Optimizer):
    """Plain gradient descent (equation ``eq-sgd``): w ← w − lr g."""

    def update(self, w, g, state):
        return w - self.lr * g, state

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr:g}{self._options()})"


class Momentum(Optimizer):
    """Gradient descent with momentum (equation ``eq-momentum``), PyTorch's convention:
    the velocity v ← beta v + g collects past gradients, and w ← w − lr v."""

    def __init__(self, lr, beta=0.9, **options):
        self.beta = fraction(beta, N_("beta (the momentum)"), "0.9")
        super().__init__(lr, **options)

    def initial_state(self, w):
        return (np.zeros_like(w),)

    def update(self, w, g, state):
        (v,) = state
        v = self.beta * v + g
        return w - self.lr * v, (v,)

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr:g}, beta={self.beta:g}{self._options()})"


class RMSProp(Optimizer):
    """RMSProp (equation ``eq-rmsprop``): divide each step by a running root mean square
    of the gradient, s ← beta s + (1 − beta) g², w ← w − lr g / (√s + eps)."""

    def __init__(self, lr, beta=0.99, eps=1e-8, **options):
        self.beta = fraction(beta, N_("beta (the decay of the running mean)"), "0.99")
        self.eps = positive(eps, "eps", "1e-8")
        super().__init__(lr, **options)

    def initial_state(self, w):
        return (np.zeros_like(w),)

    def update(self, w, g, state):
        (s,) = state
        s = self.beta * s + (1 - self.beta) * g**2
        return w - self.lr * g / (np.sqrt(s) + self.eps), (s,)

    def __repr__(self) -> str:
        return f"RMSProp(lr={self.lr:g}, beta={self.beta:g}{self._options()})"


class Adam(Optimizer):
    """Adam (equation ``eq-adam``): momentum's running mean m of g, RMSProp's running mean
    v of g², both divided by 1 − beta^t to undo their start at zero."""

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, **options):
        self.beta1 = fraction(beta1, "beta1", "0.9")
        self.beta2 = fraction(beta2, "beta2", "0.999")
        self.eps = positive(eps, "eps", "1e-8")
        super().__init__(lr, **options)

    def initial_state(self, w):
        return (np.zeros_like(w), np.zeros_like(w))

    def update(self, w, g, state):
        m, v = state
        m = self.beta1 * m + (1 - self.beta1) * g
        v = self.beta2 * v + (1 - self.beta2) * g**2
        m_hat = m / (1 - self.beta1**self.t)
        v_hat = v / (1 - self.beta2**self.t)
        return w - self.lr * m_hat / (np.sqrt(v_hat) + self.eps), (m, v)

    def __repr__(self) -> str:
        return (f"Adam(lr={self.lr:g}, beta1={self.beta1:g}, beta2={self.beta2:g}"
                f"{self._options()})")


def sgd_step(params, grads, lr) -> Params:
    """One step of gradient descent (equation ``eq-sgd``), as chapter 3 takes it: new
    parameters ``W − lr * dW`` and ``b − lr * db`` for every layer, by :meth:`SGD.update`.
    ``params`` is not changed."""
    return SGD(lr).step(params, grads)


#: The optimizers by name, for menus and loops.
OPTIMIZERS = {"SGD": SGD, "Momentum": Momentum, "RMSProp": RMSProp, "Adam": Adam}


def make_optimizer(name: str, lr, beta=None, **options) -> Optimizer:
    """An optimizer by name with learning rate ``lr``; ``beta`` sets Momentum's beta,
    RMSProp's beta or Adam's beta1 (ignored by SGD; None keeps the default)."""
    if name not in OPTIMIZERS:
        raise ValueError(_("unknown optimizer {name!r}; choose one of {choices}.").format(
            name=name, choices=list(OPTIMIZERS)))
    if beta is not None and name == "Adam":
        options["beta1"] = beta
    elif beta is not None and name != "SGD":
        options["beta"] = beta
    return OPTIMIZERS[name](lr, **options)


# ---------------------------------------------------------------------------------------
# Mini-batches
# ---------------------------------------------------------------------------------------

def minibatches(n, batch_size, rng, shuffle=True):
    """The row indices of one epoch over ``n`` samples, ``batch_size`` at a time.

    Shuffles the order with ``rng`` (unless ``shuffle=False``) and yields index arrays of
    ``batch_size`` rows, the last one smaller when ``batch_size`` does not divide ``n``.
    Every row appears exactly once. ``batch_size=n`` is batch gradient descent (one step
    per epoch), ``batch_size=1`` stochastic gradient descent (n steps per epoch).
    """
    n = check_whole(n, N_("n (the number of samples)"))
    batch_size = check_whole(batch_size, "batch_size")
    if batch_size > n:
        raise ValueError(_("batch_size {batch_size} is larger than the {n} samples; use at "
                           "most batch_size={n} (that is batch gradient descent).").format(
            batch_size=batch_size, n=n))
    if shuffle:
        check_rng(rng)
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def iterations_per_epoch(n, batch_size) -> int:
    """How many steps (iterations) one epoch over ``n`` samples takes: ⌈n / batch_size⌉."""
    return -(-check_whole(n, "n") // check_whole(batch_size, "batch_size"))


def gradient_noise(params, X, y, batch_size, rng, n_draws=200, **settings) -> float:
    """How far a mini-batch gradient lands from the full-batch gradient, measured.

    Draws ``n_draws`` random batches of ``batch_size`` rows (without replacement) and
    returns the mean of ‖g_batch − g‖² / ‖g‖² over the draws, with all arrays of the
    gradient taken together: a *squared* ratio, the variance of the estimate in units of
    ‖g‖², which falls like 1/batch_size. Its square root is the root-mean-square ratio of
    the norms, ‖g_batch − g‖ / ‖g‖. ``settings`` are ``hidden``, ``output`` and ``loss``.
    """
    check_rng(rng)
    _, full = loss_and_gradients(params, X, y, **settings)
    full = np.concatenate([a.ravel() for a in flatten(full)[0]])
    errors = []
    for _ in range(check_whole(n_draws, "n_draws")):
        rows = rng.choice(len(X), size=batch_size, replace=False)
        _, batch = loss_and_gradients(params, X[rows], y[rows], **settings)
        batch = np.concatenate([a.ravel() for a in flatten(batch)[0]])
        errors.append(np.sum((batch - full) ** 2) / np.sum(full**2))
    return float(np.mean(errors))


__all__ = [
    "Adam", "Momentum", "OPTIMIZERS", "Optimizer", "RMSProp", "SGD", "flatten",
    "gradient_noise", "iterations_per_epoch", "l1_gradient", "l2_gradient", "make_optimizer",
    "minibatches", "sgd_step", "soft_threshold", "tree_map",
]
