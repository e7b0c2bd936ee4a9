"""The grader's agent in a student's kernel: hands out answers as data, runs remote calls.

The autograder's tests run in a separate, clean kernel (``backproplab.grading.remote``).
That kernel asks this one, through ``serve``, for the value of a name the student's answer
cell defined, or to call one of the student's functions with given arguments; the reply is
published as one display message of type ``MIME``, encoded by ``backproplab.grading.wire``.
``install`` runs before any student code and keeps its own references to what it needs.
Nothing here decides whether an answer is right: a student who tampers with this module
can only change what their answers are, not how they are judged.
"""

from __future__ import annotations

import base64
import json

from backproplab.grading import wire

MIME = "application/x-backproplab-reply"
CALLBACK_PREFIX = "backproplab-callback:"
_state: dict = {}


def install() -> None:
    """Set the agent up in the current kernel (before any student code runs)."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    from backproplab.checks import call_without_reference

    shell = get_ipython()
    _state.update(namespace=shell.user_ns, raw_input=shell.kernel.raw_input,
                  publish=publish_display_data, without_reference=call_without_reference,
                  handles={}, dumps=json.dumps, loads=json.loads)


def serve(request_b64: str) -> None:
    """Answer one request of the grader's kernel (see the module docstring)."""
    state = _state
    request = state["loads"](base64.b64decode(request_b64))
    try:
        reply = {"ok": _answer(request)}
    except BaseException as error:  # noqa: BLE001 - whatever the student's code raised
        reply = {"error": {"type": type(error).__name__, "message": _text(error)}}
    state["publish"]({MIME: state["dumps"](reply)})


def _text(error) -> str:
    try:
        return str(error)[:2000]
    except BaseException:  # noqa: BLE001
        return "(the error's message could not be shown)"


def _handle(obj) -> dict:
    handles = _state["handles"]
    key = len(handles)
    handles[key] = obj
    name = getattr(obj, "__name__", "")
    return {"$handle": {"id": key, "callable": callable(obj), "type": type(obj).__name__[:100],
                        "name": name[:100] if isinstance(name, str) else ""}}


def _answer(request: dict):
    op = request["op"]
    if op == "get":
        namespace = _state["namespace"]
        if request["name"] not in namespace:
            return {"missing": True}
        return {"value": wire.encode(namespace[request["name"]], on_other=_handle)}
    if op == "call":
        function = _state["handles"][request["id"]]
        bound: dict = {}
        args = wire.decode(request["args"], on_handle=_callback, bound=bound)
        kwargs = wire.decode(request["kwargs"], on_handle=_callback, bound=bound)
        reference = request.get("reference")
        if reference is None:
            result = function(*args, **kwargs)
        else:
            spec = {module: tuple(names) for module, names in reference.items()}
            result = _state["without_reference"](function, *args, reference=spec, **kwargs)
        return {"value": wire.encode(result, on_other=_handle, known=bound)}
    raise ValueError(f"unknown request {op!r}")


def _callback(payload: dict):
    """A stand-in for a function the grader passed as an argument: calling it asks the
    grader's kernel (over the stdin channel) to run the real one."""
    if payload["tag"] != "$callback":
        raise wire.WireError("the grader sent a handle it does not own")
    key, name = payload["id"], str(payload.get("name", "function"))

    def callback(*args, **kwargs):
        state = _state
        request = {"callback": key, "args": wire.encode(list(args), on_other=_handle),
                   "kwargs": wire.encode(kwargs, on_other=_handle)}
        reply = state["loads"](state["raw_input"](CALLBACK_PREFIX + state["dumps"](request)))
        if "error" in reply:
            raise RuntimeError(f"the function {name} passed to your code raised "
                               f"{reply['error']}")
        return wire.decode(reply["ok"], on_handle=_callback)

    callback.__name__ = callback.__qualname__ = name
    return callback
