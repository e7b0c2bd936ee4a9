"""Answers as plain data: what may cross from a student's kernel to the grader's.

The grader's tests never run in the student's process. They fetch the student's answers as
*data* — numbers, strings, arrays, lists, tuples, dicts, SymPy expressions, and graphs of
objects that a course's *codec* describes — encoded as JSON here and rebuilt on the other
side by a strict decoder that only ever constructs those types. An object that is not such
data (a function, an instance of the student's own class) crosses as a *handle*: the grader
can call it remotely, but cannot compare it, convert it to a number or look into it, so an
object whose ``__eq__`` always says True is worth nothing.

The encoder runs in the student's kernel and may be tampered with; that is harmless, since
whatever it sends is then simply the student's answer, and the decoder (which runs in the
grader's process) accepts nothing but plain data. In the other direction the grader sends
the arguments of remote calls; a function argument (``lambda v: ...``) crosses as a
*callback* the student's code calls back through the kernel's stdin channel.

**Codecs.** A course whose answers are graphs of its own node class (Backprop Lab's
``backproplab.autograd.Value``) names a codec in ``nbgrader_config.py``::

    c.SandboxedExecute.codecs = ["backproplab.autograd:wire_codec"]

``load_codecs`` imports each ``module:attribute`` and registers it in both kernels (the
student's and the tests'). The grader imports nothing of the course itself. A codec is any
object with

- ``tag`` (str): the message tag, sent as ``"$" + tag``; ``type``: the node class (exact
  type, not subclasses);
- ``nodes(root)``: the graph's nodes, children before parents, ``root`` last;
- ``children(node)``: the nodes ``node`` was computed from;
- ``fields(node)``: a node's own data as a dict of plain data (numbers, strings, lists);
- ``state_fields``: the names of the fields that may change on a node the other side sent
  (e.g. its gradient): for such a node only those cross, as an update;
- ``build(fields, children)``: a new node from decoded ``fields`` and its built
  ``children``; it must check what it gets and raise ``ValueError`` with a sentence when
  the data is not a node;
- ``update(node, fields)``: apply the ``state_fields`` received for a known node.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_NODES = 200_000          # containers, array and expression nodes in one message
MAX_DEPTH = 200
MAX_INT_DIGITS = 4000
ARRAY_DTYPES = {"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64", "complex64", "complex128"}


class WireError(ValueError):
    """A message that is not plain data the grader accepts."""


# ---- codecs: a course's own graph types, registered by configuration ------------------

BUILT_IN_TAGS = {"int", "float", "complex", "tuple", "set", "frozenset", "dict", "array",
                 "scalar", "generator", "sympy", "known", "handle", "callback"}
_codecs_by_tag: dict[str, Any] = {}
_codecs_by_type: dict[type, Any] = {}


def load_codecs(names) -> None:
    """Import and register each codec named ``"module:attribute"`` (see the module
    docstring); a name registered before is registered again (the same object)."""
    import importlib

    for name in names:
        module_name, _, attribute = name.partition(":")
        try:
            codec = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"the codec {name!r} (c.SandboxedExecute.codecs) cannot be "
                             f"loaded: {error}. Name it as 'module:attribute'.") from None
        register(codec)


def register(codec) -> None:
    """Use ``codec`` for its node type (see the module docstring)."""
    if codec.tag in BUILT_IN_TAGS:
        raise ValueError(f"the codec tag {codec.tag!r} is one of the wire's own tags")
    _codecs_by_tag[codec.tag] = codec
    _codecs_by_type[codec.type] = codec


# ---- SymPy: an expression is its tree of whitelisted classes --------------------------

# Classes rebuilt by calling them with their decoded args (in SymPy's namespace).
SYMPY_FUNCTIONS = {
    "Add", "Mul", "Pow", "exp", "log", "sin", "cos", "tan", "cot", "sec", "csc", "asin",
    "acos", "atan", "atan2", "sinh", "cosh", "tanh", "coth", "asinh", "acosh", "atanh", "Abs",
    "sign", "Max", "Min", "Heaviside", "DiracDelta", "erf", "floor", "ceiling", "re", "im",
    "conjugate", "Piecewise", "ExprCondPair", "Eq", "Ne", "Lt", "Le", "Gt", "Ge",
    "StrictLessThan", "StrictGreaterThan", "LessThan", "GreaterThan", "Equality",
    "Unequality", "And", "Or", "Not", "Tuple", "factorial", "binomial", "LambertW",
}
SYMPY_SINGLETONS = {"Pi", "Exp1", "ImaginaryUnit", "Infinity", "NegativeInfinity",
                    "ComplexInfinity", "NaN", "EulerGamma", "GoldenRatio", "BooleanTrue",
                    "BooleanFalse"}


def _sympy():
    import sympy

    return sympy


def _encode_sympy(expr, budget) -> list:
    sp = _sympy()
    budget.spend()
    name = type(expr).__name__
    if isinstance(expr, sp.Symbol) and not isinstance(expr, sp.Dummy):
        return ["Symbol", expr.name, {k: v for k, v in expr.assumptions0.items()
                                      if v is not None}]
    if isinstance(expr, sp.Integer):
        return ["Integer", str(int(expr))]
    if isinstance(expr, sp.Rational):
        return ["Rational", str(expr.p), str(expr.q)]
    if isinstance(expr, sp.Float):
        return ["Float", sp.srepr(expr)]  # exact mpmath value, as SymPy prints it
    if name in SYMPY_SINGLETONS:
        return ["S", name]
    if isinstance(expr, sp.MatrixBase):
        return ["Matrix", expr.rows, expr.cols,
                [_encode_sympy(e, budget) for e in expr]]
    if isinstance(expr, sp.core.function.AppliedUndef):
        return ["Undef", type(expr).__name__, [_encode_sympy(a, budget) for a in expr.args]]
    return [name, [_encode_sympy(a, budget) for a in expr.args]]


def _float_literal(text: str):
    """A SymPy Float from its srepr ``Float('0.5', precision=53)``, parsed without eval."""
    sp = _sympy()
    import re

    match = re.fullmatch(r"Float\('([-+0-9.eE]+|[-+]?inf|nan)', precision=(\d+)\)", text)
    if not match or int(match.group(2)) > 4000:
        raise WireError(f"not a SymPy Float: {text[:80]!r}")
    return sp.Float(match.group(1), precision=int(match.group(2)))


def _decode_sympy(tree, budget, depth=0):
    sp = _sympy()
    budget.spend()
    if depth > MAX_DEPTH:
        raise WireError("the expression is nested too deeply")
    if not isinstance(tree, list) or not tree or not isinstance(tree[0], str):
        raise WireError("malformed SymPy expression")
    kind, rest = tree[0], tree[1:]
    if kind == "Symbol":
        name, assumptions = rest
        if not isinstance(name, str) or len(name) > 200 or not isinstance(assumptions, dict):
            raise WireError("malformed symbol")
        ok = {k: bool(v) for k, v in assumptions.items()
              if isinstance(k, str) and k.isidentifier() and isinstance(v, bool)}
        try:
            return sp.Symbol(name, **ok)
        except Exception:
            return sp.Symbol(name)
    if kind == "Integer":
        return sp.Integer(_int_text(rest[0]))
    if kind == "Rational":
        return sp.Rational(_int_text(rest[0]), _int_text(rest[1]))
    if kind == "Float":
        return _float_literal(rest[0])
    if kind == "S":
        if rest[0] not in SYMPY_SINGLETONS:
            raise WireError(f"unknown SymPy constant {rest[0]!r}")
        return getattr(sp.S, rest[0])
    if kind == "Matrix":
        rows, cols, items = rest
        if not (isinstance(rows, int) and isinstance(cols, int) and rows * cols == len(items)):
            raise WireError("malformed matrix")
        return sp.ImmutableMatrix(rows, cols, [_decode_sympy(e, budget, depth + 1) for e in items])
    if kind == "Undef":
        name, args = rest
        if not isinstance(name, str) or not name.isidentifier():
            raise WireError("malformed function name")
        return sp.Function(name)(*[_decode_sympy(a, budget, depth + 1) for a in args])
    if kind not in SYMPY_FUNCTIONS:
        raise WireError(f"the SymPy class {kind} is not accepted by the grader; write the "
                        "answer with +, -, *, /, ** and functions such as exp, log, tanh")
    (args,) = rest
    built = [_decode_sympy(a, budget, depth + 1) for a in args]
    _refuse_huge(kind, built)
    if kind == "ExprCondPair":
        from sympy.functions.elementary.piecewise import ExprCondPair

        return ExprCondPair(*built)
    return getattr(sp, kind)(*built)


MAX_EXACT_BITS = 20_000  # an exact number larger than this is not an answer


def _bits(number) -> int:
    """Bits of an exact rational number (0 for anything else)."""
    sp = _sympy()
    if isinstance(number, sp.Rational):
        return max(int(number.p).bit_length(), int(number.q).bit_length())
    return 0


def _refuse_huge(kind: str, args: list) -> None:
    """Refuse what would take SymPy ages to evaluate: huge exact powers and factorials."""
    sp = _sympy()
    if kind == "Pow" and len(args) == 2 and isinstance(args[1], sp.Integer):
        if _bits(args[0]) * abs(int(args[1])) > MAX_EXACT_BITS or abs(int(args[1])) > 10_000:
            raise WireError("an exact power that large is not accepted")
    if kind in ("factorial", "binomial") and any(
            isinstance(a, sp.Integer) and abs(int(a)) > 1000 for a in args):
        raise WireError(f"{kind} of a number above 1000 is not accepted")
    if any(_bits(a) > MAX_EXACT_BITS for a in args):
        raise WireError("an exact number that large is not accepted")


def _int_text(text) -> int:
    if not isinstance(text, str) or len(text) > MAX_INT_DIGITS or not text.lstrip("-").isdigit():
        raise WireError("malformed integer")
    return int(text)


# ---- the encoder (student side for answers, grader side for arguments) ----------------

class _Budget:
    def __init__(self, limit=MAX_NODES):
        self.left = limit

    def spend(self, n=1):
        self.left -= n
        if self.left < 0:
            raise WireError(f"the answer is too large to grade (over {MAX_NODES} parts)")


def _array_payload(a: np.ndarray) -> dict:
    dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
    if dtype.name not in ARRAY_DTYPES:
        raise TypeError(f"arrays of dtype {a.dtype} cannot be sent")
    data = np.ascontiguousarray(a, dtype=dtype.newbyteorder("<"))
    return {"dtype": dtype.name, "shape": list(a.shape),
            "data": base64.b64encode(data.tobytes()).decode("ascii")}


def encode(value, *, on_other: Callable[[Any], dict], known: dict | None = None,
           refs: dict | None = None, depth: int = 0, budget=None) -> Any:
    """``value`` as JSON-able data. Objects that are not plain data go to ``on_other``
    (a handle or a callback). ``known`` maps id(node) -> reference for ``Value`` nodes the
    other side sent, so that they go back as references to its own nodes; ``refs``, when
    given, collects reference -> node for every ``Value`` node sent."""
    budget = budget or _Budget()
    budget.spend()
    if depth > MAX_DEPTH:
        raise WireError("the answer is nested too deeply")
    known = {} if known is None else known
    t = type(value)

    def again(v):
        return encode(v, on_other=on_other, known=known, refs=refs, depth=depth + 1,
                      budget=budget)

    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if t is float:
        return value if math.isfinite(value) else {"$float": repr(value)}
    if t is complex:
        return {"$complex": [again(value.real), again(value.imag)]}
    if t is list:
        return [again(v) for v in value]
    if t is tuple:
        return {"$tuple": [again(v) for v in value]}
    if t is set:
        return {"$set": [again(v) for v in value]}
    if t is frozenset:
        return {"$frozenset": [again(v) for v in value]}
    if t is dict:
        return {"$dict": [[again(k), again(v)] for k, v in value.items()]}
    if t is np.ndarray and value.dtype.name in ARRAY_DTYPES:
        budget.spend(value.size // 8)
        return {"$array": _array_payload(value)}
    if isinstance(value, np.generic) and t.__module__ == "numpy" and \
            np.dtype(t).name in ARRAY_DTYPES:
        return {"$scalar": _array_payload(np.asarray(value))}
    if t is np.random.Generator:
        return {"$generator": {"bit_generator": type(value.bit_generator).__name__,
                               "state": again(value.bit_generator.state)}}
    if id(value) in known:
        return {"$known": known[id(value)]}
    codec = _codecs_by_type.get(t)
    if codec is not None:
        return {"$" + codec.tag: _encode_graph(codec, value, again, known, refs, budget)}
    sp = _sympy_if_loaded()
    if sp is not None and isinstance(value, (sp.Basic, sp.MatrixBase)):
        try:
            return {"$sympy": _encode_sympy(value, budget)}
        except WireError:
            raise
        except Exception:
            pass
    return on_other(value)


def _sympy_if_loaded():
    import sys

    return sys.modules.get("sympy")


def _encode_graph(codec, root, again, known, refs, budget) -> dict:
    """A node and everything it was computed from, as a list of nodes (children first);
    nodes the other side sent are referred to, not copied."""
    order = codec.nodes(root)
    budget.spend(len(order))
    index = {id(node): i for i, node in enumerate(order)}
    nodes = []
    for node in order:
        fields = codec.fields(node)
        if id(node) in known:
            nodes.append({"known": known[id(node)],
                          **{name: again(fields[name]) for name in codec.state_fields}})
            continue
        item = {name: again(value) for name, value in fields.items()}
        item["children"] = [index[id(c)] for c in codec.children(node)]
        if refs is not None:
            item["ref"] = str(len(refs))
            refs[item["ref"]] = node
        nodes.append(item)
    return {"nodes": nodes, "root": len(order) - 1}


# ---- the decoder: strict, constructs plain data only -----------------------------------

def decode(data, *, on_handle: Callable[[dict], Any], known: dict | None = None,
           bound: dict | None = None) -> Any:
    """Rebuild what ``encode`` produced. Tagged objects other than data become
    ``on_handle(payload)``. ``known`` maps references back to this side's own objects;
    ``bound``, when given, collects id(node) -> reference for referenced nodes received.
    Anything malformed raises ``WireError``."""
    try:
        return _decode(data, on_handle=on_handle, known=known, bound=bound)
    except WireError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError, ZeroDivisionError, binascii.Error) as error:
        raise WireError(f"malformed answer ({type(error).__name__})") from None


def _decode(data, *, on_handle: Callable[[dict], Any], known: dict | None = None,
            bound: dict | None = None, depth: int = 0, budget=None) -> Any:
    """``decode`` without the catch-all (the recursion)."""
    budget = budget or _Budget()
    budget.spend()
    if depth > MAX_DEPTH:
        raise WireError("the answer is nested too deeply")
    known = {} if known is None else known

    def again(v):
        return _decode(v, on_handle=on_handle, known=known, bound=bound, depth=depth + 1,
                       budget=budget)

    if data is None or type(data) in (bool, str, float):
        return data
    if type(data) is int:
        return data
    if type(data) is list:
        return [again(v) for v in data]
    if type(data) is not dict or len(data) != 1:
        raise WireError("malformed message")
    (tag, payload), = data.items()
    if tag == "$int":
        return _int_text(payload)
    if tag == "$float":
        if payload not in ("nan", "inf", "-inf"):
            raise WireError("malformed float")
        return float(payload)
    if tag == "$complex":
        re_, im_ = (float(again(p)) for p in payload)
        return complex(re_, im_)
    if tag == "$tuple":
        return tuple(again(v) for v in _list(payload))
    if tag == "$set":
        return {_hashable(again(v)) for v in _list(payload)}
    if tag == "$frozenset":
        return frozenset(_hashable(again(v)) for v in _list(payload))
    if tag == "$dict":
        return {_hashable(again(k)): again(v) for k, v in (_pair(p) for p in _list(payload))}
    if tag == "$array":
        return _decode_array(payload, budget)
    if tag == "$scalar":
        return _decode_array(payload, budget)[()]
    if tag == "$generator":
        return _decode_generator(payload, again)
    if tag == "$sympy":
        return _decode_sympy(payload, budget)
    if tag[1:] in _codecs_by_tag:
        return _decode_graph(_codecs_by_tag[tag[1:]], payload, again, known, bound, budget)
    if tag == "$known":
        if payload not in known:
            raise WireError("reference to an unknown object")
        return known[payload]
    if tag in ("$handle", "$callback"):
        if not isinstance(payload, dict):
            raise WireError("malformed handle")
        return on_handle({"tag": tag, **payload})
    raise WireError(f"unknown tag {tag!r}")


def _list(payload) -> list:
    if type(payload) is not list:
        raise WireError("malformed message")
    return payload


def _pair(p):
    if type(p) is not list or len(p) != 2:
        raise WireError("malformed dict item")
    return p


def _hashable(key):
    try:
        hash(key)
    except TypeError:
        raise WireError("a dict key or set item that cannot be hashed") from None
    return key


def _decode_array(payload, budget) -> np.ndarray:
    if type(payload) is not dict or payload.get("dtype") not in ARRAY_DTYPES:
        raise WireError("malformed array")
    shape = payload.get("shape")
    if type(shape) is not list or not all(type(n) is int and 0 <= n for n in shape) \
            or len(shape) > 32:
        raise WireError("malformed array shape")
    raw = base64.b64decode(payload.get("data", ""), validate=True)
    dtype = np.dtype(payload["dtype"]).newbyteorder("<")
    if len(raw) != dtype.itemsize * math.prod(shape):
        raise WireError("array data does not match its shape")
    budget.spend(len(raw) // 64)
    return np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _decode_generator(payload, again) -> np.random.Generator:
    name = payload.get("bit_generator") if type(payload) is dict else None
    if name not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        raise WireError("malformed random generator")
    bit_generator = getattr(np.random, name)()
    bit_generator.state = again(payload["state"])
    return np.random.Generator(bit_generator)


def _decode_graph(codec, payload, again, known, bound, budget):
    nodes = _list(payload.get("nodes") if type(payload) is dict else None)
    budget.spend(len(nodes))
    built = []
    for item in nodes:
        if type(item) is not dict:
            raise WireError("malformed graph node")
        fields = {name: again(value) for name, value in item.items()
                  if name not in ("known", "ref", "children")}
        try:
            if "known" in item:
                node = known.get(item["known"]) if type(item["known"]) is str else None
                if type(node) is not codec.type:
                    raise WireError("reference to an unknown node")
                codec.update(node, {name: fields[name] for name in codec.state_fields
                                    if name in fields})
            else:
                children = item.get("children", [])
                if type(children) is not list or not all(
                        type(c) is int and 0 <= c < len(built) for c in children):
                    raise WireError("malformed graph edges")
                node = codec.build(fields, tuple(built[c] for c in children))
                if type(node) is not codec.type:
                    raise WireError("the codec built something that is not a node")
                if bound is not None and type(item.get("ref")) is str:
                    bound[id(node)] = item["ref"]
        except (ValueError, TypeError) as error:
            if isinstance(error, WireError):
                raise
            raise WireError(f"malformed graph node: {error}") from None
        built.append(node)
    root = payload.get("root")
    if type(root) is not int or not 0 <= root < len(built):
        raise WireError("malformed graph root")
    return built[root]
