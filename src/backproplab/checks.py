"""Checks used by the homework tests: each failure says, in a sentence, what is wrong.

Shared by all homework notebooks (``solutions/`` and the released ``exercises/``). A check
raises ``AssertionError`` with a message meant for the student, in the student's language
(``backproplab.i18n``); it never only prints.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from backproplab.i18n import N_
from backproplab.i18n import gettext as _


def _fail(message: str) -> None:
    raise AssertionError(message)


def check_number(value, what: str) -> float:
    """Check that ``value`` is one finite real number and return it as a float."""
    if isinstance(value, (bool, np.bool_)) or value is None:
        _fail(_("{what} should be a number, but it is {value!r}.").format(what=what, value=value))
    if isinstance(value, sp.Basic):
        if value.free_symbols:
            _fail(_("{what} should be a number, but it still contains the symbol(s) "
                    "{symbols}: substitute a value with .subs().").format(
                what=what, symbols=sorted(map(str, value.free_symbols))))
        value = complex(value)
        if value.imag != 0:
            _fail(_("{what} should be a real number, but it is {value}.").format(
                what=what, value=value))
        value = value.real
    try:
        number = float(value)
    except (TypeError, ValueError):
        _fail(_("{what} should be a number, but it is a {type}: {value!r}.").format(
            what=what, type=type(value).__name__, value=value))
    if not np.isfinite(number):
        _fail(_("{what} should be a finite number, but it is {number}.").format(
            what=what, number=number))
    return number


def check_close(actual, expected, what: str, *, rtol: float = 1e-6, atol: float = 1e-9,
                hint: str = "") -> None:
    """Check that ``actual`` equals ``expected`` (numbers or arrays) within tolerances.

    The message names ``what`` was compared, the expected and the actual value, and adds
    ``hint`` (a sentence on the likely mistake) when one is given.
    """
    expected = np.asarray(expected, dtype=float)
    try:
        got = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        _fail(_("{what} should be numeric, but it is a {type}: {actual!r}.").format(
            what=what, type=type(actual).__name__, actual=actual))
    if got.shape != expected.shape:
        _fail(_("{what} should have shape {expected}, but it has shape {got}. {hint}").format(
            what=what, expected=expected.shape, got=got.shape, hint=hint))
    if not np.all(np.isfinite(got)):
        _fail(_("{what} contains NaN or infinity: {got}. {hint}").format(
            what=what, got=got, hint=hint))
    close = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    if not bool(np.all(close)):
        if expected.ndim == 0:
            detail = _("expected {expected:.10g}, got {got:.10g}").format(
                expected=float(expected), got=float(got))
        else:
            bad = np.argwhere(~close)[0]
            index = tuple(int(i) for i in bad)
            detail = _("at index {index} expected {expected:.10g}, got {got:.10g}").format(
                index=index, expected=expected[index], got=got[index])
        _fail(_("{what} is wrong: {detail}. {hint}").format(
            what=what, detail=detail, hint=hint).strip())


def check_expression(expr, allowed: set[sp.Symbol], what: str) -> sp.Expr:
    """Check that ``expr`` is a SymPy expression using only the ``allowed`` symbols."""
    if isinstance(expr, str):
        _fail(_("{what} should be a SymPy expression built from symbols (like 2*w), "
                "not the string {expr!r}.").format(what=what, expr=expr))
    if isinstance(expr, (int, float)) and not isinstance(expr, bool):
        expr = sp.Float(expr) if isinstance(expr, float) else sp.Integer(expr)
    if not isinstance(expr, sp.Expr):
        _fail(_("{what} should be a SymPy expression, but it is a {type}.").format(
            what=what, type=type(expr).__name__))
    extra = expr.free_symbols - set(allowed)
    if extra:
        names = ", ".join(sorted(map(str, extra)))
        allowed_names = ", ".join(sorted(map(str, allowed))) or _("no symbols")
        _fail(_("{what} uses {names}, but it should depend only on {allowed}. "
                "Use the symbols defined at the top of the notebook.").format(
            what=what, names=names, allowed=allowed_names))
    return expr


def check_equivalent(expr, expected, allowed: set[sp.Symbol], what: str, *, hint: str = "",
                     n_points: int = 8) -> None:
    """Check that SymPy ``expr`` equals ``expected`` as a function, not as a string.

    Two expressions are equivalent when SymPy simplifies their difference to zero; when
    simplification is not conclusive they must agree at ``n_points`` random points.
    """
    expr = check_expression(expr, allowed, what)
    difference = sp.simplify(sp.expand(expr - expected))
    if difference == 0:
        return
    symbols = sorted(allowed, key=str)
    rng = np.random.default_rng(20261123)
    f = sp.lambdify(symbols, expr - expected, "numpy")
    scale = sp.lambdify(symbols, expected, "numpy")
    for _point in range(n_points):
        point = rng.uniform(0.3, 2.0, size=len(symbols))
        gap, ref = complex(f(*point)), complex(scale(*point))
        if not abs(gap) <= 1e-9 * max(1.0, abs(ref)):
            _fail(_("{what} is not equivalent to the correct expression (they differ, e.g. at "
                    "{point}). {hint}").format(
                what=what, point=", ".join(f"{s} = {v:.3g}" for s, v in zip(symbols, point)),
                hint=hint).rstrip())


#: The package's reference implementations that a homework answer must not call, by module.
REFERENCE_IMPLEMENTATIONS = {
    "backproplab.mlp": ("backward", "hidden_delta", "weight_gradient", "bias_gradient",
                        "output_delta", "loss_and_gradients"),
    "backproplab.training": ("train",),
    "backproplab.gradcheck": ("numerical_gradients",),
    "backproplab.losses": ("mse_delta", "cross_entropy_delta", "binary_cross_entropy_delta"),
}

#: PyTorch's automatic differentiation, by module: what an answer that must compute its
#: gradients by hand may not call (``{**REFERENCE_IMPLEMENTATIONS, **AUTOGRAD_ENTRY_POINTS}``).
#: ``loss.backward()`` runs ``torch.autograd.backward``; ``torch.func``'s and
#: ``torch.autograd.functional``'s transforms end in ``torch.autograd.grad`` (reverse mode) or
#: in ``forward_ad``'s dual numbers (forward mode); both reverse-mode entry points run the
#: engine through ``_engine_run_backward`` (the name ``torch.compiler`` patches too), so a
#: route that none of the public names catches still stops there.
AUTOGRAD_ENTRY_POINTS = {
    "torch.autograd": ("backward", "grad", "_engine_run_backward"),
    "torch.autograd.graph": ("_engine_run_backward",),
    "torch.autograd.functional": ("vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"),
    "torch.autograd.forward_ad": ("dual_level", "enter_dual_level", "make_dual", "unpack_dual"),
    "torch.func": ("grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian",
                   "linearize"),
}

_CALLED_AS = {  # how a student wrote the call that reached these names
    "torch.autograd.backward": N_("torch.autograd.backward (what loss.backward() runs)"),
    "torch.autograd._engine_run_backward": N_("PyTorch's backward engine"),
    "torch.autograd.graph._engine_run_backward": N_("PyTorch's backward engine"),
}


def refusal(what: str, qualified: str) -> str:
    """The message of a stand-in: ``what`` (the answer's name) called ``qualified``
    (``"module.name"``), which the exercise does not allow; it says why and what to do."""
    if qualified.startswith("backproplab."):
        return _("{what} calls the book's reference implementation {qualified}; the exercise "
                 "is to write that formula yourself (NumPy operations only).").format(
            what=what, qualified=qualified)
    if qualified.startswith("torch."):
        return _("{what} calls {called}: PyTorch's automatic differentiation computes the "
                 "gradients for you; the exercise is to write the backward pass yourself "
                 "(NumPy operations only).").format(
            what=what, called=_(_CALLED_AS.get(qualified, qualified)))
    return _("{what} calls {qualified}, which this exercise does not allow; write that step "
             "yourself (NumPy operations only).").format(what=what, qualified=qualified)


def _import_or_none(module_name: str):
    """The module ``module_name``, or None when it is not installed (a student's machine
    without PyTorch: nothing of it to hide). A module that is there but fails to import
    raises as usual."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = error.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            return None
        raise


def call_without_reference(function, *args, reference=REFERENCE_IMPLEMENTATIONS, **kwargs):
    """Call ``function(*args, **kwargs)`` with the package's reference implementations
    replaced by stand-ins that fail with a message: an answer that only calls them earns no
    points.

    ``reference`` maps a module's name to the names replaced in it (default
    :data:`REFERENCE_IMPLEMENTATIONS`; add :data:`AUTOGRAD_ENTRY_POINTS` where gradients are
    to be written by hand). They are replaced in their modules, wherever the answer's
    notebook bound them to a name (``from backproplab.mlp import hidden_delta``) and in the
    answer's closure, and put back afterwards, also when the call fails. A module that is
    not installed (``torch`` on a machine without PyTorch) has nothing to replace.

    A ``function`` whose type has ``__guarded_call__`` (an autograder's stand-in for a
    student's function in another process) is handed the call instead, with this
    function's name, ``"backproplab.checks:call_without_reference"``: the grader runs this
    function there (its ``c.SandboxedExecute.call_guards``).
    """
    if hasattr(type(function), "__guarded_call__"):
        # The guarded-call protocol: ``function`` stands for a function in another process
        # (an autograder's remote function); the replacing happens there, where it runs.
        spec = {module: list(names) for module, names in reference.items()}
        return function.__guarded_call__(f"{__name__}:call_without_reference", args, kwargs,
                                         {"reference": spec})
    what = getattr(function, "__name__", None)
    if what is None:
        what = _("your function")
    replaced = []  # (namespace, name, original)

    def stand_in(qualified: str):
        def refuse(*_args, **_kwargs):
            raise AssertionError(refusal(what, qualified))
        return refuse

    try:
        originals = {}
        for module_name, names in reference.items():
            module = _import_or_none(module_name)
            if module is None:
                continue
            for name in names:
                if name not in module.__dict__:  # a reference the package no longer has (a
                    continue                     # released notebook may still name it)
                original = module.__dict__[name]
                originals[id(original)] = f"{module_name}.{name}"
                replaced.append((module.__dict__, name, original))
                module.__dict__[name] = stand_in(f"{module_name}.{name}")
        namespace = getattr(function, "__globals__", {})
        for name, value in list(namespace.items()):
            if id(value) in originals and callable(value):
                replaced.append((namespace, name, value))
                namespace[name] = stand_in(originals[id(value)])
        for cell in getattr(function, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            if id(value) in originals and callable(value):
                replaced.append((cell, None, value))
                cell.cell_contents = stand_in(originals[id(value)])
        return function(*args, **kwargs)
    finally:
        for namespace, name, original in reversed(replaced):
            if name is None:
                namespace.cell_contents = original
            else:
                namespace[name] = original
