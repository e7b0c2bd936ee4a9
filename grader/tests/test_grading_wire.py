"""Tests of the grader's wire format (``backproplab_grader.wire``) and of ``RemoteObject``.

An answer crosses from the student's kernel to the grader's as JSON: ``encode`` on one side
(objects that are not plain data go to ``on_other`` and become handles), the JSON text
(``over_json``), ``decode`` on the other side. Round trips must be exact: the same types,
the same numbers bit for bit, the same graphs. The decoder runs in the grader and must
refuse, with ``WireError``, anything but plain data; an object that is not plain data
reaches the grader only as a ``RemoteObject``, which compares unequal to everything and
cannot be converted. No kernels here: ``remote.Connection`` is used without a client.
"""

from __future__ import annotations

import builtins
import json
import math
import warnings

import numpy as np
import pytest
import sympy as sp

from backproplab.autograd import Value, neuron_loss, topological_order, two_paths
from backproplab_grader import agent, wire
from backproplab_grader.remote import Connection, RemoteFunction, RemoteObject

# As the course's configuration names it (c.SandboxedExecute.codecs), for both sides here.
wire.load_codecs(["backproplab.autograd:wire_codec"])


class Handles:
    """``on_other`` of the student's side: records each object and gives it a handle."""

    def __init__(self):
        self.objects: list = []

    def __call__(self, obj) -> dict:
        self.objects.append(obj)
        return {"$handle": {"id": len(self.objects) - 1, "type": type(obj).__name__,
                            "callable": callable(obj), "name": ""}}


def refuse(obj):
    raise AssertionError(f"{obj!r} should have been sent as plain data")


def over_json(message):
    """The message as the kernels' channel carries it: JSON text (NaN is not JSON)."""
    return json.loads(json.dumps(message, allow_nan=False))


def round_trip(value):
    """``value`` encoded (nothing may become a handle), sent as JSON and decoded."""
    return wire.decode(over_json(wire.encode(value, on_other=refuse)), on_handle=refuse)


def grader():
    """A ``remote.Connection`` without a kernel: its ``value`` and ``_handle`` are the
    grader's side of an answer."""
    return Connection.__new__(Connection)


# ---- plain Python data ----------------------------------------------------------------

PYTHON_VALUES = {
    "None": None, "True": True, "False": False, "zero": 0, "negative int": -17,
    "2**53 - 1": 2**53 - 1, "2**53": 2**53, "-(2**53)": -(2**53), "10**100": 10**100,
    "-(3**200)": -(3**200), "0.1": 0.1, "-0.0": -0.0, "1e308": 1e308, "5e-324": 5e-324,
    "inf": math.inf, "-inf": -math.inf, "complex": 1.5 - 2.25j, "empty str": "",
    "unicode str": "∂J/∂w = 2·(3w − 2)\n", "str like a tag": "$int",
}


@pytest.mark.parametrize("name", PYTHON_VALUES)
def test_python_scalars_round_trip_with_their_type(name):
    value = PYTHON_VALUES[name]
    decoded = round_trip(value)
    assert type(decoded) is type(value)
    assert decoded == value
    if type(value) is float:
        assert math.copysign(1, decoded) == math.copysign(1, value)


def test_ints_beyond_2_to_the_53_travel_as_text():
    """JSON readers elsewhere lose digits above 2**53; the exact digits are sent instead."""
    assert wire.encode(2**53 - 1, on_other=refuse) == 2**53 - 1
    assert wire.encode(2**53, on_other=refuse) == {"$int": "9007199254740992"}
    assert wire.encode(-(2**60), on_other=refuse) == {"$int": str(-(2**60))}
    assert round_trip(2**200 + 1) - 2**200 == 1


def test_nan_round_trips_as_nan():
    assert wire.encode(math.nan, on_other=refuse) == {"$float": "nan"}
    decoded = round_trip(math.nan)
    assert type(decoded) is float and math.isnan(decoded)
    z = round_trip(complex(math.nan, -math.inf))
    assert type(z) is complex and math.isnan(z.real) and z.imag == -math.inf


def test_containers_round_trip_with_their_types():
    value = [1, (2.5, "x"), {3, 4}, [], (), {"a": [None, True]}]
    decoded = round_trip(value)
    assert decoded == value
    assert [type(v) for v in decoded] == [int, tuple, set, list, tuple, dict]


def test_dict_keys_keep_their_types_and_order():
    value = {2: "two", 1: "one", (1, (2, 3)): [4], "k": 0.5, 2**60: None, False: "f"}
    decoded = round_trip(value)
    assert decoded == value
    assert list(decoded) == list(value)
    assert [type(k) for k in decoded] == [int, int, tuple, str, int, bool]


def test_a_dict_that_looks_like_a_tag_stays_a_dict():
    assert round_trip({"$int": "5"}) == {"$int": "5"}
    assert round_trip([{"$float": "nan"}]) == [{"$float": "nan"}]


def test_frozenset_round_trips_as_a_set():
    decoded = round_trip(frozenset({1, 2}))
    assert decoded == {1, 2}


def test_frozenset_as_a_dict_key_round_trips():
    value = {frozenset({1, 2}): "pair", 3: {frozenset()}}
    assert round_trip(value) == value


# ---- NumPy ------------------------------------------------------------------------------

ARRAYS = {
    "float64 2x3": np.arange(6.0).reshape(2, 3) / 7,
    "float32 with nan and inf": np.array([0.1, np.nan, np.inf, -np.inf], dtype=np.float32),
    "float16": np.array([0.5, -2.0, 65504.0], dtype=np.float16),
    "int8": np.array([-128, 0, 127], dtype=np.int8),
    "int32 3d": np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 12,
    "int64 large": np.array([2**62, -(2**63)], dtype=np.int64),
    "uint16": np.array([0, 65535], dtype=np.uint16),
    "uint64 above 2**63": np.array([2**64 - 1, 2**63], dtype=np.uint64),
    "bool": np.array([[True, False], [False, True]]),
    "complex64": np.array([1 + 2j, -0.5j], dtype=np.complex64),
    "complex128": np.array([[1e300 + 1e-300j]]),
    "0-d": np.array(3.25),
    "empty 1d": np.zeros(0),
    "empty 0x3": np.zeros((0, 3), dtype=np.int16),
    "Fortran order": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    "big-endian float64": np.arange(6, dtype=">f8").reshape(3, 2) + 0.25,
    "big-endian int32": np.array([1, -2, 2**30], dtype=">i4"),
    "big-endian complex128": np.array([1 - 1j], dtype=">c16"),
    "strided view": np.arange(20.0)[::-3],
}


@pytest.mark.parametrize("name", ARRAYS)
def test_arrays_round_trip_exactly(name):
    a = ARRAYS[name]
    decoded = round_trip(a)
    assert type(decoded) is np.ndarray
    assert decoded.dtype == a.dtype.newbyteorder("=") and decoded.dtype.isnative
    assert decoded.shape == a.shape
    assert np.array_equal(decoded, a, equal_nan=a.dtype.kind in "fc")
    assert decoded.flags.writeable  # a copy, not a view of the message's bytes


SCALARS = [np.float64(1.5), np.float64(-0.1), np.float32(0.1), np.float16(0.5),
           np.int8(-3), np.int64(-(2**62)), np.uint64(2**64 - 1), np.bool_(True),
           np.complex64(1 - 2j), np.complex128(3j)]


@pytest.mark.parametrize("value", SCALARS, ids=lambda v: f"{type(v).__name__}({v})")
def test_numpy_scalars_keep_their_type_and_value(value):
    decoded = round_trip(value)
    assert type(decoded) is type(value)
    assert decoded == value
    assert decoded.tobytes() == value.tobytes()


def test_numpy_float64_nan_stays_a_numpy_nan():
    decoded = round_trip(np.float64("nan"))
    assert type(decoded) is np.float64 and math.isnan(decoded)


@pytest.mark.parametrize("bit_generator", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_random_generators_round_trip_their_state(bit_generator):
    rng = np.random.Generator(getattr(np.random, bit_generator)(2024))
    rng.random(3)  # not at its start
    decoded = round_trip(rng)
    assert type(decoded) is np.random.Generator and decoded is not rng
    assert type(decoded.bit_generator).__name__ == bit_generator
    expected = rng.random(5)
    assert np.array_equal(decoded.random(5), expected)
    assert np.array_equal(decoded.integers(0, 10**9, size=4), rng.integers(0, 10**9, size=4))


# ---- SymPy ------------------------------------------------------------------------------

x, y, w, b = sp.symbols("x y w b")
EXPRESSIONS = {
    "polynomial": 3 * x**2 - 2 * x * y + sp.Rational(1, 3),
    "chain rule answer": sp.diff((3 * w - 2) ** 2, w),
    "tanh derivative": sp.diff(sp.tanh(w * x + b), w),
    "sigmoid": 1 / (1 + sp.exp(-x)),
    "log, sqrt": sp.log(1 + sp.exp(x)) + sp.sqrt(x**2 + 1),
    "negative power": (x - y) ** -3,
    "Rational": sp.Rational(-22, 7),
    "big Integer": sp.Integer(10**40 + 1),
    "Float times x": sp.Float("0.1") * x,
    "pi, E, I": sp.pi * x + sp.E**y + sp.I,
    "oo": sp.oo, "-oo": -sp.oo, "zoo": sp.zoo, "nan": sp.nan,
    "Max": sp.Max(x, 0), "Min, Abs": sp.Min(sp.Abs(x), y),
    "Heaviside": sp.Heaviside(x) * x,
    "atan2, sign": sp.atan2(y, x) + sp.sign(x),
    "relation": sp.Eq(x, 1),
    "undefined function": sp.Function("f")(x) + 1,
    "ImmutableMatrix": sp.ImmutableMatrix([[x, 1], [sp.tanh(y), sp.Rational(1, 2)]]),
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_sympy_expressions_round_trip(name):
    expr = EXPRESSIONS[name]
    decoded = round_trip(expr)
    assert decoded == expr  # structural equality: the same tree
    assert type(decoded) is type(expr)
    if isinstance(expr, sp.MatrixBase):
        assert sp.simplify(decoded - expr) == sp.zeros(*expr.shape)
    elif isinstance(expr, sp.Expr) and expr.free_symbols:
        assert sp.simplify(decoded - expr) == 0


def test_piecewise_round_trips():
    expr = sp.Piecewise((0, x < 0), (x, True))
    assert round_trip(expr) == expr


def test_mutable_matrix_round_trips_as_data():
    expr = sp.Matrix([[x, 1], [2, y]])
    handles = Handles()
    message = over_json(wire.encode(expr, on_other=handles))
    assert handles.objects == []
    assert wire.decode(message, on_handle=refuse) == expr


@pytest.mark.parametrize("text, precision", [("0.1", 53), ("1e-30", 53), ("-2.5e300", 53),
                                             ("3.14159265358979323846264338327950288", 120),
                                             ("1.1", 336)])
def test_float_keeps_its_exact_value_and_precision(text, precision):
    value = sp.Float(text, precision=precision)
    decoded = round_trip(value)
    assert type(decoded) is sp.Float
    assert decoded._mpf_ == value._mpf_
    assert decoded._prec == value._prec == precision


@pytest.mark.parametrize("assumptions", [{"positive": True}, {"real": True},
                                         {"integer": True, "nonnegative": True},
                                         {"commutative": False}])
def test_symbols_keep_their_assumptions(assumptions):
    s = sp.Symbol("s", **assumptions)
    decoded = round_trip(s)
    assert decoded == s and decoded != sp.Symbol("s")
    assert decoded.assumptions0 == s.assumptions0
    for key, value in assumptions.items():
        assert getattr(decoded, f"is_{key}") is value


def test_a_symbol_subclass_crosses_as_a_plain_symbol():
    """A Symbol whose __eq__ always says True arrives as a plain Symbol: the trick is lost."""
    class Cheat(sp.Symbol):
        def __eq__(self, other):
            return True

        __hash__ = sp.Symbol.__hash__

    decoded = round_trip(Cheat("q"))
    assert type(decoded) is sp.Symbol
    assert decoded == sp.Symbol("q")
    assert decoded != sp.Symbol("r") and decoded != 1


# ---- computation graphs of backproplab.autograd.Value ----------------------------------

def node_table(root: Value) -> list[tuple]:
    """Every node of ``root``'s graph (in topological order) with its children as indices."""
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    return [(n.data, n.grad, n.op, n.label, [index[id(c)] for c in n.children], n.local_grads)
            for n in order]


def test_value_graph_round_trip_keeps_every_node_bit_for_bit():
    J = neuron_loss()
    J.backward()
    decoded = round_trip(J)
    assert type(decoded) is Value and decoded is not J
    assert node_table(decoded) == node_table(J)  # data, grad, op, label, edges, local grads
    assert {n.label for n in topological_order(decoded)} >= {"x", "w", "b", "y", "p", "z",
                                                              "a", "e", "J"}
    assert not any(a is b for a in topological_order(decoded) for b in topological_order(J))


def test_backward_on_a_decoded_graph_gives_the_original_grads():
    J = neuron_loss(x=0.7, w=-1.2, b=0.3, y=0.0)
    decoded = round_trip(J)
    assert all(n.grad == 0.0 for n in topological_order(decoded))
    decoded.backward()
    J.backward()
    for original, copy in zip(topological_order(J), topological_order(decoded), strict=True):
        assert copy.grad == pytest.approx(original.grad, rel=1e-15, abs=0)
    w = next(n for n in topological_order(decoded) if n.label == "w")
    assert w.grad != 0.0


def test_a_node_used_twice_stays_one_node():
    decoded = round_trip(two_paths(2.0))  # J = w * (w + 1)
    w, v = decoded.children
    assert v.children[0] is w
    decoded.backward()
    assert w.grad == pytest.approx(2 * 2.0 + 1, rel=1e-15)


def test_a_value_sent_as_an_argument_comes_back_as_the_original_node():
    """The grader calls a student's function with a Value ``w``; the result's graph comes
    back with the grader's own ``w`` in it, so the grader's backward() reaches it."""
    w = Value(0.5, label="w")
    refs: dict = {}
    args = over_json(wire.encode([w], on_other=refuse, refs=refs))
    assert refs == {"0": w}

    bound: dict = {}  # the student's side
    (w_there,) = wire.decode(args, on_handle=refuse, bound=bound)
    assert type(w_there) is Value and w_there is not w
    assert (w_there.data, w_there.label) == (0.5, "w")
    assert bound == {id(w_there): "0"}
    result = (w_there * 3 + 1).tanh()
    reply = over_json(wire.encode(result, on_other=refuse, known=bound))

    J = wire.decode(reply, on_handle=refuse, known=refs)  # the grader's side
    assert J.data == pytest.approx(math.tanh(2.5), rel=1e-15)
    leaves = [n for n in topological_order(J) if not n.children]
    assert any(n is w for n in leaves)
    J.backward()
    assert w.grad == pytest.approx(3 * (1 - math.tanh(2.5) ** 2), rel=1e-12)


def test_an_argument_returned_as_is_is_the_original_object():
    w = Value(-1.5, label="w")
    refs: dict = {}
    bound: dict = {}
    (w_there,) = wire.decode(over_json(wire.encode([w], on_other=refuse, refs=refs)),
                             on_handle=refuse, bound=bound)
    reply = over_json(wire.encode(w_there, on_other=refuse, known=bound))
    assert reply == {"$known": "0"}
    assert wire.decode(reply, on_handle=refuse, known=refs) is w


# ---- what the decoder refuses -------------------------------------------------------------

def x_tree():
    return ["Symbol", "x", {}]


MALFORMED = {
    "unknown tag": {"$eval": "__import__('os').system('true')"},
    "unknown tag $pickle": {"$pickle": "gASVAAAAAAAAAAA="},
    "dict with two keys": {"$int": "1", "$float": "nan"},
    "plain JSON object": {"a": 1},
    "float that is not nan or inf": {"$float": "1e999"},
    "sympy eval": {"$sympy": ["eval", [["Symbol", "__import__('os')", {}]]]},
    "sympy Lambda": {"$sympy": ["Lambda", [x_tree(), x_tree()]]},
    "sympy Function": {"$sympy": ["Function", [x_tree()]]},
    "sympy sympify": {"$sympy": ["sympify", [["Symbol", "1+1", {}]]]},
    "sympy Symbol class via S": {"$sympy": ["S", "__class__"]},
    "sympy unknown constant": {"$sympy": ["S", "Catalan"]},
    "undefined function with a dotted name": {"$sympy": ["Undef", "os.system", [x_tree()]]},
    "Float with code after it": {"$sympy": ["Float", "Float('1'); import os"]},
    "Float without precision": {"$sympy": ["Float", "Float('1')"]},
    "Float with a call in it": {"$sympy": ["Float", "Float(eval('1'), precision=53)"]},
    "Float with a huge precision": {"$sympy": ["Float", "Float('1', precision=99999)"]},
    "int of 4001 digits": {"$int": "1" * 4001},
    "sympy Integer of 4001 digits": {"$sympy": ["Integer", "9" * 4001]},
    "int with a sign in the middle": {"$int": "12-3"},
    "Pow with exponent 10001": {"$sympy": ["Pow", [["Integer", "2"], ["Integer", "10001"]]]},
    "Pow with exponent -10001": {"$sympy": ["Pow", [["Integer", "3"], ["Integer", "-10001"]]]},
    "array data shorter than its shape": {"$array": {"dtype": "float64", "shape": [2],
                                                     "data": "AAAAAAAAAAA="}},
    "array data longer than its shape": {"$array": {"dtype": "int8", "shape": [1],
                                                    "data": "AAA="}},
    "array of dtype object": {"$array": {"dtype": "object", "shape": [0], "data": ""}},
    "array of dtype <U1": {"$array": {"dtype": "<U1", "shape": [1], "data": "YQAAAA=="}},
    "array with a negative shape": {"$array": {"dtype": "float64", "shape": [-1],
                                               "data": ""}},
    "array with a float shape": {"$array": {"dtype": "float64", "shape": [1.0],
                                            "data": "AAAAAAAAAAA="}},
    "array with 33 dimensions": {"$array": {"dtype": "int8", "shape": [1] * 33,
                                            "data": "AA=="}},
    "scalar of dtype object": {"$scalar": {"dtype": "object", "shape": [], "data": ""}},
    "generator of an unknown bit generator": {"$generator": {"bit_generator": "os.system",
                                                             "state": {}}},
    "graph child pointing forward": {"$graph": {"nodes": [
        {"data": 1.0, "children": [1], "local_grads": [1.0]}, {"data": 2.0}], "root": 1}},
    "graph node its own child": {"$graph": {"nodes": [
        {"data": 1.0, "children": [0], "local_grads": [1.0]}], "root": 0}},
    "graph edges without local grads": {"$graph": {"nodes": [
        {"data": 1.0}, {"data": 2.0, "children": [0], "local_grads": []}], "root": 1}},
    "graph number that is nan": {"$graph": {"nodes": [{"data": {"$float": "nan"}}],
                                            "root": 0}},
    "graph number that is a string": {"$graph": {"nodes": [{"data": "1.0"}], "root": 0}},
    "graph root out of range": {"$graph": {"nodes": [{"data": 1.0}], "root": 1}},
    "$known that was never sent": {"$known": "0"},
    "graph node known that was never sent": {"$graph": {"nodes": [{"known": "0"}], "root": 0}},
    "set of unhashable items": {"$set": [[1, 2]]},
    "dict with a list key": {"$dict": [[[1], 2]]},
    "dict item of three parts": {"$dict": [[1, 2, 3]]},
    "tuple payload not a list": {"$tuple": "abc"},
    "sympy tree that is not a list": {"$sympy": "x + 1"},
    "matrix with the wrong item count": {"$sympy": ["Matrix", 2, 2, [["Integer", "1"]]]},
}


@pytest.mark.parametrize("name", MALFORMED)
def test_decode_refuses_what_is_not_plain_data(name):
    handles = []
    with pytest.raises(wire.WireError):
        wire.decode(MALFORMED[name], on_handle=handles.append)
    assert handles == []


def test_decode_executes_no_code_in_a_float_literal():
    marker = "_backproplab_wire_test_ran"
    message = {"$sympy": ["Float", f"Float('1', precision=53); setattr(__builtins__, "
                                   f"'{marker}', 1)"]}
    with pytest.raises(wire.WireError, match="not a SymPy Float"):
        wire.decode(message, on_handle=refuse)
    assert not hasattr(builtins, marker)


def test_decode_refuses_a_sympy_class_with_a_message_for_the_student():
    with pytest.raises(wire.WireError, match="the SymPy class Lambda is not accepted"):
        wire.decode({"$sympy": ["Lambda", [x_tree(), x_tree()]]}, on_handle=refuse)


def test_a_graph_reference_must_name_a_node():
    message = {"$graph": {"nodes": [{"known": "0"}], "root": 0}}
    with pytest.raises(wire.WireError, match="unknown node"):
        wire.decode(message, on_handle=refuse, known={"0": "not a Value"})
    node = Value(2.0)
    assert wire.decode(message, on_handle=refuse, known={"0": node}) is node


def nested(levels: int):
    message = 0
    for _ in range(levels):
        message = [message]
    return message


def test_depth_limit_of_a_message():
    wire.decode(nested(wire.MAX_DEPTH), on_handle=refuse)  # the deepest accepted
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.decode(nested(wire.MAX_DEPTH + 1), on_handle=refuse)
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.encode(nested(wire.MAX_DEPTH + 1), on_other=refuse)


def test_depth_limit_of_a_sympy_tree():
    tree = x_tree()
    for _ in range(wire.MAX_DEPTH + 1):
        tree = ["exp", [tree]]
    with pytest.raises(wire.WireError, match="nested too deeply"):
        wire.decode({"$sympy": tree}, on_handle=refuse)


def test_size_limit_of_a_message():
    assert len(wire.decode([0] * (wire.MAX_NODES - 1), on_handle=refuse)) == wire.MAX_NODES - 1
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode([0] * wire.MAX_NODES, on_handle=refuse)
    with pytest.raises(wire.WireError, match="too large"):
        # 3 parts per pair: the pair's list and its two numbers
        wire.decode({"$tuple": [[1, 2]] * (wire.MAX_NODES // 3 + 1)}, on_handle=refuse)


HUGE_NUMBERS = {
    # 2**100 is allowed, then (2**100)**10000 has 1,000,001 bits (301,030 digits)
    "Pow of a Pow": ["Pow", [["Pow", [["Integer", "2"], ["Integer", "100"]]],
                             ["Integer", "10000"]]],
    # the exponent check only applies to an Integer base: (3/2)**1000000
    "Pow of a Rational": ["Pow", [["Rational", "3", "2"], ["Integer", "1000000"]]],
    # factorial evaluates: 20000! has 77,338 digits
    "factorial": ["factorial", [["Integer", "20000"]]],
}


@pytest.mark.parametrize("name", HUGE_NUMBERS)
def test_decode_refuses_to_compute_huge_numbers(name):
    with pytest.raises(wire.WireError):
        wire.decode({"$sympy": HUGE_NUMBERS[name]}, on_handle=refuse)


MALFORMED_OTHER_ERRORS = {
    "array data not base64": {"$array": {"dtype": "float64", "shape": [1], "data": "!!!!"}},
    "complex of three parts": {"$complex": [1.0, 2.0, 3.0]},
    "$known naming a list": {"$known": [1]},
    "graph node without data": {"$graph": {"nodes": [{}], "root": 0}},
    "generator state not a dict": {"$generator": {"bit_generator": "PCG64", "state": 3}},
    "matrix of -1 x -1": {"$sympy": ["Matrix", -1, -1, [["Integer", "1"]]]},
    "Symbol without assumptions": {"$sympy": ["Symbol", "x"]},
    "exp of two arguments": {"$sympy": ["exp", [x_tree(), x_tree()]]},
}


@pytest.mark.parametrize("name", MALFORMED_OTHER_ERRORS)
def test_malformed_messages_raise_wire_error(name):
    with pytest.raises(wire.WireError):
        wire.decode(MALFORMED_OTHER_ERRORS[name], on_handle=refuse)


# ---- objects that are not plain data: handles, and RemoteObject ---------------------------

class AlwaysEqualFloat(float):
    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class AlwaysEqualList(list):
    def __eq__(self, other):
        return True


class AlwaysEqualDict(dict):
    def __eq__(self, other):
        return True


class AlwaysEqualArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


class MyInt(int):
    pass


class MyValue(Value):
    pass


def np_matrix():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix([[1.0, 2.0]])


NOT_PLAIN_DATA = {
    "float subclass": AlwaysEqualFloat(1.0),
    "list subclass": AlwaysEqualList([1, 2]),
    "dict subclass": AlwaysEqualDict(a=1),
    "ndarray subclass": np.arange(3.0).view(AlwaysEqualArray),
    "np.matrix": np_matrix(),
    "int subclass": MyInt(3),
    "Value subclass": MyValue(1.0),
    "array of objects": np.array([1, "a"], dtype=object),
    "function": lambda v: v,
    "module": math,
}


@pytest.mark.parametrize("name", NOT_PLAIN_DATA)
def test_what_is_not_plain_data_becomes_a_handle(name):
    value = NOT_PLAIN_DATA[name]
    handles = Handles()
    message = over_json(wire.encode([value, 2.0], on_other=handles))
    assert len(handles.objects) == 1 and handles.objects[0] is value
    assert message == [{"$handle": {"id": 0, "type": type(value).__name__,
                                    "callable": callable(value), "name": ""}}, 2.0]


@pytest.mark.parametrize("name", ["float subclass", "list subclass", "dict subclass",
                                  "ndarray subclass", "int subclass"])
def test_an_always_equal_answer_is_worth_nothing_to_the_grader(name, monkeypatch):
    """The student's agent hands the object out as a handle; the grader gets a
    RemoteObject that equals nothing and cannot become a number."""
    monkeypatch.setitem(agent._state, "handles", {})
    value = NOT_PLAIN_DATA[name]
    message = over_json(wire.encode(value, on_other=agent._handle))
    answer = grader().value({"ok": {"value": message}})
    assert type(answer) is RemoteObject
    assert (answer == 1.0) is False and (answer == value) is False and (answer != 1.0) is True
    with pytest.raises(TypeError, match=f"object of type {type(value).__name__}"):
        float(answer)
    assert agent._state["handles"] == {0: value}


def test_a_callable_handle_becomes_a_remote_function():
    answer = grader()._handle({"tag": "$handle", "id": 4, "callable": True, "name": "f"})
    assert type(answer) is RemoteFunction and answer.__name__ == "f"
    assert repr(answer) == "<your function f>"


def test_the_grader_refuses_a_callback_from_the_student_side():
    message = {"$callback": {"id": 0, "name": "f"}}
    with pytest.raises(wire.WireError, match="callback"):
        grader().value({"ok": {"value": message}})


REFUSED_USES = {
    "float": float, "int": int, "complex": complex, "bool": bool, "len": len,
    "iter": iter, "hash": hash, "index": lambda o: [1, 2][o], "not": lambda o: not o,
    "np.asarray float": lambda o: np.asarray(o, dtype=float), "np.array": np.array,
    "np.isclose": lambda o: np.isclose(o, 1.0), "math.isclose": lambda o: math.isclose(o, 1),
    "pytest.approx": lambda o: pytest.approx(1.0) == o,
    "o + 1": lambda o: o + 1, "1 + o": lambda o: 1 + o, "o - 1": lambda o: o - 1,
    "1 - o": lambda o: 1 - o, "o * 2": lambda o: o * 2, "2 * o": lambda o: 2 * o,
    "o / 2": lambda o: o / 2, "2 / o": lambda o: 2 / o, "o ** 2": lambda o: o**2,
    "-o": lambda o: -o, "abs": abs, "o < 1": lambda o: o < 1, "1 >= o": lambda o: 1 >= o,
    "o[0]": lambda o: o[0], "o()": lambda o: o(), "np.float64(1) + o": lambda o: np.float64(1) + o,
    "sympy x - o": lambda o: x - o, "sp.Integer(1) == o": lambda o: sp.Integer(1) == o,
}


@pytest.mark.parametrize("use", REFUSED_USES)
def test_remote_object_cannot_be_converted_or_computed_with(use):
    answer = RemoteObject("Cheater")
    with pytest.raises(TypeError, match="this answer is an object of type Cheater"):
        REFUSED_USES[use](answer)


@pytest.mark.parametrize("other", [1, 1.0, None, "x", [1], x, RemoteObject("Cheater")],
                         ids=repr)
def test_remote_object_equals_nothing(other):
    answer = RemoteObject("Cheater")
    assert (answer == other) is False and (other == answer) is False
    assert (answer != other) is True
    assert (answer == answer) is False


def test_remote_object_says_what_it_is():
    assert repr(RemoteObject("Cheater")) == "<an object of type Cheater>"
