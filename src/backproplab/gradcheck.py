"""Gradient checking: central differences, and a diagnosis of what a wrong gradient got wrong.

Shared by chapter 3 (``book/03-delta-formulas.md``) and the homework from then on.

- :func:`numerical_gradients` estimates dL/dθ for every entry θ of every parameter array
  with central differences (chapter 1's ``eq-central-difference``), in float64;
- :func:`relative_error` compares two gradient arrays with one number;
- :func:`check_gradients` compares a network's gradients (a student's, say) with central
  differences and returns a :class:`GradCheckReport`: whether they pass, which layer's W or
  b is wrong and where, and, for the common mistakes of ``MISTAKES``, which one explains
  the numbers. It recognises a mistake by recomputing the gradients *with* that mistake
  and finding that they match the given ones. ``str(report)`` is a paragraph for students,
  in their language (``backproplab.i18n``; ``MISTAKES`` holds the English sentences).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backproplab.activations import get_activation, get_hidden_activation
from backproplab.i18n import N_, ngettext
from backproplab.i18n import gettext as _
from backproplab.losses import get_loss
from backproplab.mlp import (
    BackwardSteps,
    backward,
    bias_gradient,
    compute_loss,
    forward,
    hidden_delta,
    output_delta,
    weight_gradient,
)
from backproplab.validation import Params, check_eps

# ---------------------------------------------------------------------------------------
# Central differences and the relative error
# ---------------------------------------------------------------------------------------

def numerical_gradients(loss_fn: Callable[[Params], float], params, eps: float = 1e-6) -> Params:
    """dL/dθ for every entry θ of every array in ``params``, by central differences.

    ``(L(θ + eps) − L(θ − eps)) / (2 eps)`` (``eq-central-difference`` of chapter 1), one
    entry at a time, in float64. ``loss_fn(params)`` returns the loss as a number.
    ``params`` is a list of dicts of arrays (such as ``{"W", "b"}`` per layer), or one dict
    of arrays (such as a recurrent network's, ``backproplab.rnn``); the result has the same
    structure. The caller's arrays are not changed: the nudges are made on a float64 copy.
    """
    if isinstance(params, dict):
        return numerical_gradients(lambda layers: loss_fn(layers[0]), [params], eps)[0]
    eps = check_eps(eps, "1e-6")
    work = [{name: np.array(array, dtype=np.float64) for name, array in layer.items()}
            for layer in params]
    grads = []
    for layer in work:
        layer_grads = {}
        for name, theta in layer.items():
            grad = np.empty_like(theta)
            for index in np.ndindex(theta.shape):
                original = theta[index]
                theta[index] = original + eps
                plus = float(loss_fn(work))
                theta[index] = original - eps
                minus = float(loss_fn(work))
                theta[index] = original
                grad[index] = (plus - minus) / (2 * eps)
            layer_grads[name] = grad
        grads.append(layer_grads)
    return grads


def relative_error(a, b) -> float:
    """``max |a − b| / max(max |a|, max |b|)``: the largest difference, relative to the
    largest entry of either array (0 when both are zero; 2 when b = −a).

    Relative to the array's scale rather than entry by entry, because central differences
    have an absolute error (about 1e-10 in float64) that would make tiny entries look wrong.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(_("cannot compare arrays of shapes {a} and {b}.").format(
            a=a.shape, b=b.shape))
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    return 0.0 if scale == 0 else float(np.max(np.abs(a - b)) / scale)


# ---------------------------------------------------------------------------------------
# The catalogue of mistakes
# ---------------------------------------------------------------------------------------

MISTAKES: dict[str, tuple[str, str]] = {
    "missing_fprime": (
        N_("the hidden delta is missing the factor f′(z_prev)"),
        N_("Multiply by the derivative of the earlier layer's activation: "
           "delta_prev = (delta @ W.T) * f'(z_prev) (eq-delta-hidden).")),
    "W_not_transposed": (
        N_("the hidden delta uses W where it needs W transposed"),
        N_("The delta of layer l has one column per neuron of layer l and W one row per neuron "
           "of layer l − 1, so delta_prev = (delta @ W.T) * f'(z_prev) (eq-delta-hidden). The shapes fit "
           "either way only because this W is square, which is why nothing crashed.")),
    "fprime_of_wrong_layer": (
        N_("the hidden delta multiplies by f′ of the wrong layer: f′(z) of the layer the delta "
           "comes from instead of the earlier layer's f′(z_prev)"),
        N_("The delta of layer l − 1 takes layer l − 1's derivative: "
           "delta_prev = (delta @ W.T) * f'(z_prev) (eq-delta-hidden).")),
    "fprime_of_a": (
        N_("f′ is applied to the activation a instead of the pre-activation z"),
        N_("Use f'(z_prev), not f'(a_prev) (eq-delta-hidden). For the sigmoid, "
           "a_prev * (1 - a_prev) is right (it is σ′(z_prev) written with a), but "
           "sigmoid_prime(a_prev) is not.")),
    "a_instead_of_a_prev": (
        N_("dW uses the layer's own output a instead of its input a_prev"),
        N_("A weight's gradient is the activation at its input end times the delta at its "
           "output end: dW = a_prev.T @ delta with a_prev = a[l − 1] (eq-dW).")),
    "z_instead_of_a_prev": (
        N_("dW uses z_prev (before the activation) instead of a_prev = f(z_prev)"),
        N_("The weight multiplies a_prev in z = a_prev @ W + b, so dW = a_prev.T @ delta (eq-dW).")),
    "missing_1_over_m": (
        N_("the gradients are m times too large: the 1/m of the mean loss is missing"),
        N_("The loss is a mean over the m samples of the batch, so the output delta carries a "
           "factor 1/m (eq-delta-output-mse, eq-delta-output-ce); divide by m = X.shape[0] once.")),
    "divided_by_m_twice": (
        N_("the gradients are m times too small: the 1/m is applied twice"),
        N_("Divide by m once, in the output delta; dW = a_prev.T @ delta and "
           "db = delta.sum(axis=0) then need no further 1/m (eq-dW, eq-db).")),
    "sign_flipped": (
        N_("the gradients have the wrong sign"),
        N_("The output delta is built from y_hat − y, not y − y_hat (eq-delta-output-mse, "
           "eq-delta-output-ce); gradient descent then subtracts lr * dW.")),
    "missing_output_fprime": (
        N_("the output delta is missing the factor f′(z_out)"),
        N_("With the MSE loss, delta = (y_hat − y) / m * f'(z_out) (eq-delta-output-mse); "
           "the f′ cancels only for sigmoid + binary cross-entropy and softmax + cross-entropy.")),
    "extra_output_fprime": (
        N_("the output delta has an extra factor f′(z_out)"),
        N_("For sigmoid + binary cross-entropy, σ′(z_out) cancels the denominator of dL/dy_hat, "
           "so delta = (y_hat − y) / m with no f′ (eq-delta-output-ce).")),
    "dW_transposed": (
        N_("dW has the shape of W transposed"),
        N_("The gradient dW = a_prev.T @ delta has W's shape (n_in, n_out) (eq-dW); "
           "delta.T @ a_prev gives its transpose.")),
    "db_not_summed": (
        N_("db still has one row per sample"),
        N_("Sum delta over the batch: db = delta.sum(axis=0), shape (n_out,) (eq-db).")),
    "wrong_shape": (
        N_("a gradient does not have the shape of its parameter"),
        N_("Each gradient has its parameter's shape: dW that of W, db that of b (eq-dW, eq-db).")),
    "not_finite": (
        N_("the gradients contain NaN or infinity"),
        N_("Look for a division by zero or a log of 0; compute the output delta from z_out as "
           "in eq-delta-output-ce instead of dividing by y_hat.")),
    "float32": (
        N_("the gradients are float32"),
        N_("Float32 rounds at about 1e-7, as coarse as the tolerance of a gradient check: "
           "compute in float64 (init_params(..., dtype=np.float64) and float64 X).")),
}
"""Common mistakes ``check_gradients`` recognises: id → (what is wrong, what to change)."""


# ---------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------

def layer_label(l: int, L: int) -> str:
    """How a report names layer ``l`` of ``L``: ``"layer 2 (hidden → output)"``."""
    def name(k: int) -> str:
        if k == 0:
            return _("input")
        if k == L:
            return _("output")
        return _("hidden") if L == 2 else _("hidden {k}").format(k=k)
    return _("layer {l} ({source} → {target})").format(l=l, source=name(l - 1), target=name(l))


@dataclass(frozen=True)
class GradProblem:
    """One gradient array (layer ``layer``'s ``"W"`` or ``"b"``, 1-based) that is wrong."""

    layer: int
    name: str
    label: str
    error: float                 # relative_error to the reference (inf for a wrong shape)
    index: tuple | None = None   # where the difference is largest
    expected: float | None = None
    got: float | None = None
    note: str = ""               # for wrong shapes or non-finite entries

    @property
    def where(self) -> tuple[int, str]:
        """``(layer, name)``, such as ``(1, "W")``."""
        return (self.layer, self.name)

    def __str__(self) -> str:
        head = f"{self.label}, d{self.name}"
        if self.note:
            return f"{head}: {self.note}"
        at = ", ".join(str(i) for i in self.index)
        return _("{head}: relative error {error:.2g}, largest at d{name}[{at}] "
                 "(expected {expected:.6g}, got {got:.6g})").format(
            head=head, error=self.error, name=self.name, at=at, expected=self.expected,
            got=self.got)


def _places(where) -> str:
    """``[(1, "W"), (1, "b"), (2, "W"), (2, "b")]`` → ``"layers 1 and 2, dW and db"``."""
    layers = sorted({l for l, _ in where})
    names = {l: {n for k, n in where if k == l} for l in layers}
    if len({frozenset(n) for n in names.values()}) != 1:
        return ", ".join(_("layer {l} d{name}").format(l=l, name=n) for l, n in where)
    numbers = (str(layers[0]) if len(layers) == 1
               else _("{first} and {last}").format(first=", ".join(map(str, layers[:-1])),
                                                   last=layers[-1]))
    arrays = _(" and ").join(f"d{n}" for n in sorted(names[layers[0]], key="Wb".index))
    return ngettext("layer {numbers}, {arrays}", "layers {numbers}, {arrays}",
                    len(layers)).format(numbers=numbers, arrays=arrays)


@dataclass(frozen=True)
class Diagnosis:
    """A recognised mistake (an id of ``MISTAKES``) and the arrays it explains, as
    ``(layer, name)`` pairs such as ``(1, "W")``."""

    mistake: str
    where: tuple[tuple[int, str], ...]

    @property
    def message(self) -> str:
        """What is wrong, where, and what to change, as a sentence."""
        what, fix = (_(text) for text in MISTAKES[self.mistake])
        places = _(" (in {places})").format(places=_places(self.where)) if self.where else ""
        return f"{what}{places}. {fix}"

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class GradCheckReport:
    """The result of :func:`check_gradients`.

    ``ok`` is True when every gradient array is within ``rtol`` of the reference;
    ``problems`` lists the arrays that are not; ``diagnosis`` the recognised mistakes;
    ``hint`` a sentence on where to look when no catalogued mistake explains a problem;
    ``errors`` maps ``(layer, name)`` to its relative error.
    """

    ok: bool
    problems: tuple[GradProblem, ...]
    diagnosis: tuple[Diagnosis, ...]
    errors: dict
    rtol: float
    hint: str = ""
    reference: str = N_("central differences")

    @property
    def mistakes(self) -> tuple[str, ...]:
        """The ids of the recognised mistakes, such as ``("missing_fprime",)``."""
        return tuple(d.mistake for d in self.diagnosis)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        finite = {key: e for key, e in self.errors.items() if np.isfinite(e)}
        reference = _(self.reference)
        if self.ok:
            (layer, name), worst = max(finite.items(), key=lambda item: item[1])
            return _("Gradient check passed: all {n} gradient arrays agree with {reference}. "
                     "The largest relative error is {worst:.2g} (layer {layer}, d{name}), "
                     "within the tolerance {rtol:g}.").format(
                n=len(self.errors), reference=reference, worst=worst, layer=layer, name=name,
                rtol=self.rtol)
        lines = [_("Gradient check failed: {wrong} of {n} gradient arrays disagree with "
                   "{reference} (tolerance {rtol:g}).").format(
            wrong=len(self.problems), n=len(self.errors), reference=reference, rtol=self.rtol)]
        lines += [f"- {problem}." for problem in self.problems]
        if len(self.diagnosis) == 1:
            lines.append(_("Likely cause: {message}").format(message=self.diagnosis[0].message))
        elif self.diagnosis:
            lines.append(_("Likely causes:"))
            lines += [f"- {d.message}" for d in self.diagnosis]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Gradients with a known mistake
# ---------------------------------------------------------------------------------------

class _NotApplicable(Exception):
    """The mistake cannot happen for these shapes (the student's code would have crashed)."""


def _with_mistake(mistake, params, cache, y, loss, hidden, output) -> Params:
    """backward() with one catalogued mistake built into one of its steps."""
    m = cache.a[0].shape[0]
    scale = {"missing_1_over_m": m, "divided_by_m_twice": 1 / m, "sign_flipped": -1}
    if mistake in scale:
        correct = backward(params, cache, y, loss, hidden, output)
        return [{k: g * scale[mistake] for k, g in layer.items()} for layer in correct]
    steps = _mistaken_steps(mistake, cache, loss, output)
    if steps is None:
        raise _NotApplicable
    try:
        return backward(params, cache, y, loss, hidden, output, steps=steps)
    except ValueError as error:  # shapes that do not fit, or softmax's f′
        raise _NotApplicable from error


def _mistaken_steps(mistake, cache, loss, output):
    """The book's backward steps with ``mistake`` in one of them (None: not a step's).

    A mistaken step finds its layer l from the cache's arrays it is given (``z_prev`` is
    ``cache.z[l - 1]``, ``a_prev`` is ``cache.a[l - 1]``), since some mistakes use the
    neighbouring layer's values.
    """
    steps = BackwardSteps(output_delta, hidden_delta, weight_gradient, bias_gradient)
    L = len(cache.z) - 1
    layer_of_z = {id(z): l for l, z in enumerate(cache.z) if z is not None}
    layer_of_a = {id(a): l for l, a in enumerate(cache.a)}
    out_f = get_activation(output)

    def wrong_output_delta(z_out, y, loss_name, output_name):
        if mistake == "missing_output_fprime":
            y_hat = out_f.f(z_out)
            return (y_hat - _targets_like(y_hat, y)) / z_out.shape[0]
        return output_delta(z_out, y, loss_name, output_name) * out_f.df(z_out)

    def wrong_hidden_delta(delta, W, z_prev, activation):
        f_prev, k = get_activation(activation), layer_of_z[id(z_prev)]
        if mistake == "missing_fprime":
            return delta @ W.T
        if mistake == "W_not_transposed":
            return (delta @ W) * f_prev.df(z_prev)
        if mistake == "fprime_of_wrong_layer":
            f_l = out_f if k + 1 == L else get_hidden_activation(activation)
            return (delta @ W.T) * f_l.df(cache.z[k + 1])
        return (delta @ W.T) * f_prev.df(cache.a[k])  # fprime_of_a

    def wrong_weight_gradient(a_prev, delta):
        k = layer_of_a[id(a_prev)]
        if mistake == "a_instead_of_a_prev":
            return weight_gradient(cache.a[k + 1], delta)
        return weight_gradient(cache.z[k] if k > 0 else a_prev, delta)  # z_instead_of_a_prev

    if mistake == "missing_output_fprime":
        if get_loss(loss).name != "mse" or out_f.name == "identity":
            return None
        return steps._replace(output_delta=wrong_output_delta)
    if mistake == "extra_output_fprime":
        if get_loss(loss).name != "binary_cross_entropy":
            return None
        return steps._replace(output_delta=wrong_output_delta)
    if mistake in ("missing_fprime", "W_not_transposed", "fprime_of_wrong_layer",
                   "fprime_of_a"):
        return steps._replace(hidden_delta=wrong_hidden_delta)
    if mistake in ("a_instead_of_a_prev", "z_instead_of_a_prev"):
        return steps._replace(weight_gradient=wrong_weight_gradient)
    return None


def _targets_like(y_hat: np.ndarray, y) -> np.ndarray:
    y = np.asarray(y, dtype=y_hat.dtype)
    return y.reshape(y_hat.shape)


_VALUE_MISTAKES = ("missing_fprime", "W_not_transposed", "fprime_of_wrong_layer", "fprime_of_a",
                   "a_instead_of_a_prev", "z_instead_of_a_prev", "missing_1_over_m",
                   "divided_by_m_twice", "sign_flipped", "missing_output_fprime",
                   "extra_output_fprime")


# ---------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------

def _float64_params(params) -> Params:
    return [{"W": np.array(layer["W"], dtype=np.float64),
             "b": np.array(layer["b"], dtype=np.float64)} for layer in params]


def _shape_mistake(name: str, got: tuple, expected: tuple, n_out: int, m: int) -> str:
    if name == "W" and got == expected[::-1]:
        return "dW_transposed"
    if name == "W" and got == (n_out, n_out):
        return "a_instead_of_a_prev"
    if name == "b" and got == (m, n_out):
        return "db_not_summed"
    return "wrong_shape"


def check_gradients(params, X, y, grads, *, hidden, output, loss, rtol=1e-7, eps=1e-6,
                    reference="numerical") -> GradCheckReport:
    """Check ``grads`` (same structure as ``params``) for the network ``params`` on (X, y).

    The reference gradients are central differences of the loss (``reference="numerical"``,
    every entry, float64, step ``eps``), or, for networks too large for that,
    ``backproplab.mlp.backward`` in float64 (``reference="analytic"``). A gradient array is
    right when its :func:`relative_error` to the reference is at most ``rtol``. For wrong
    arrays the check recomputes the gradients with each mistake of ``MISTAKES`` and names
    those that reproduce the given numbers. ``hidden``, ``output`` and ``loss`` must be
    those the gradients were computed for. Nothing given is changed.

    Wrong shapes and NaNs are reported as problems; only ``grads`` that are not a list of
    one ``{"W", "b"}`` dict per layer raise a ``TypeError`` (saying what was passed).
    """
    if reference not in ("numerical", "analytic"):
        raise ValueError(_("reference must be 'numerical' or 'analytic'; got {reference!r}.")
                         .format(reference=reference))
    params64 = _float64_params(params)
    X64 = np.asarray(X, dtype=np.float64)
    L, m = len(params64), X64.shape[0]
    get_loss(loss).check_output(output)
    cache = forward(params64, X64, hidden, output)
    if reference == "numerical":
        ref = numerical_gradients(
            lambda p: compute_loss(p, X64, y, hidden, output, loss), params64, eps)
        reference_name = N_("central differences")
    else:
        ref = backward(params64, cache, y, loss, hidden, output)
        reference_name = N_("backproplab's backward pass")

    problems, errors, mistakes_where, comparable, float32 = _compare(
        _as_layers(grads, L), ref, rtol, m)
    found = _recognise(comparable, ref, rtol, params64, cache, y, loss, hidden, output)
    for mistake, where in found.items():  # one diagnosis per mistake, shapes and values
        mistakes_where.setdefault(mistake, []).extend(where)
    diagnosis = [Diagnosis(mistake, tuple(sorted(where)))
                 for mistake, where in mistakes_where.items()]
    explained = {w for d in diagnosis for w in d.where}
    if float32 and problems:
        diagnosis.append(Diagnosis("float32", ()))
    unexplained = [p for p in problems if p.where not in explained]
    return GradCheckReport(
        ok=not problems, problems=tuple(problems), diagnosis=tuple(diagnosis),
        errors=errors, rtol=rtol, hint=_hint(unexplained, L, bool(diagnosis)),
        reference=reference_name)


def _compare(grads, ref, rtol, m):
    """Compare every given array with the reference: the problems, the relative errors,
    the shape mistakes, the wrong arrays of the right shape, and whether any was float32."""
    L = len(ref)
    problems, errors, mistakes_where, comparable = [], {}, {}, {}
    float32 = False
    for l in range(1, L + 1):
        for name in ("W", "b"):
            label = layer_label(l, L)
            expected = ref[l - 1][name]
            got = np.asarray(grads[l - 1][name])
            float32 |= got.dtype == np.float32
            if got.shape != expected.shape:
                errors[(l, name)] = np.inf
                mistake = _shape_mistake(name, got.shape, expected.shape,
                                         expected.shape[-1], m)
                mistakes_where.setdefault(mistake, []).append((l, name))
                problems.append(GradProblem(
                    l, name, label, np.inf,
                    note=_("shape {got}, but it must be {expected} like {name}").format(
                        got=got.shape, expected=expected.shape, name=name)))
                continue
            got = got.astype(np.float64)
            if not np.all(np.isfinite(got)):
                errors[(l, name)] = np.inf
                mistakes_where.setdefault("not_finite", []).append((l, name))
                problems.append(GradProblem(l, name, label, np.inf,
                                            note=_("contains NaN or infinity")))
                continue
            error = relative_error(got, expected)
            errors[(l, name)] = error
            if error > rtol:
                index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
                index = tuple(int(i) for i in index)
                problems.append(GradProblem(l, name, label, error, index,
                                            float(expected[index]), float(got[index])))
                comparable[(l, name)] = got
    return problems, errors, mistakes_where, comparable, float32


def _as_layers(grads, L: int) -> list:
    """``grads`` as a list of L dicts with "W" and "b", or a TypeError saying what it is."""
    if (isinstance(grads, tuple) and len(grads) == 2 and np.ndim(grads[0]) == 0
            and isinstance(grads[1], (list, tuple))):
        raise TypeError(_("grads looks like (loss, grads), what loss_and_gradients returns: "
                          "pass only the second item, the list of gradients."))
    if (not isinstance(grads, (list, tuple)) or len(grads) != L
            or not all(isinstance(g, dict) and "W" in g and "b" in g for g in grads)):
        raise TypeError(
            _("grads must be a list of {L} dicts {{'W': dW, 'b': db}}, one per layer like "
              "params; got {type}").format(L=L, type=type(grads).__name__)
            + (_(" of length {n}.").format(n=len(grads)) if hasattr(grads, "__len__") else ".")
        )
    return list(grads)


def _recognise(comparable, ref, rtol, params, cache, y, loss, hidden, output):
    """The mistakes whose gradients match the given ones where those are wrong."""
    found = {}
    if not comparable:
        return found
    match_tol = max(1e-4, rtol)
    for mistake in _VALUE_MISTAKES:
        try:
            buggy = _with_mistake(mistake, params, cache, y, loss, hidden, output)
        except _NotApplicable:
            continue
        where = []
        for (l, name), got in comparable.items():
            candidate = buggy[l - 1][name]
            if (candidate.shape == got.shape
                    and relative_error(candidate, ref[l - 1][name]) > rtol
                    and relative_error(got, candidate) <= match_tol):
                where.append((l, name))
        if where:
            found[mistake] = where
    return found


def _hint(unexplained, L: int, diagnosed: bool) -> str:
    """Where to look when no catalogued mistake explains the wrong arrays."""
    if not unexplained:
        return ""
    start = (_("Not every error is explained by that; fix it first and check again.")
             if diagnosed else _("No common mistake explains the numbers."))
    layers = {p.layer for p in unexplained}
    names = {p.name for p in unexplained}
    if names == {"b"}:
        where = _("Only db is wrong: db is delta summed over the batch, delta.sum(axis=0) "
                  "(eq-db).")
    elif names == {"W"}:
        where = _("Only dW is wrong, so the deltas are right: dW = a_prev.T @ delta with the "
                  "activations a_prev that feed the layer (eq-dW).")
    elif L in layers:
        where = _("The output layer is wrong too, so start with the output delta "
                  "(eq-delta-output-mse, eq-delta-output-ce).")
    else:
        where = _("The output layer's gradients are right, so the output delta is fine: look "
                  "at the hidden delta (eq-delta-hidden).")
    return start + " " + where
