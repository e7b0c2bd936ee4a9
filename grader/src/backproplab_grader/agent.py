"""The grader's agent in a student's kernel: hands out answers as data, runs remote calls.

The autograder's tests run in a separate, clean kernel (``backproplab_grader.remote``).
That kernel asks this one, through ``serve``, for the value of a name the student's answer
cell defined, or to call one of the student's functions with given arguments; the reply is
published as one display message of type ``MIME``, encoded by ``backproplab_grader.wire``.
``install`` runs before any student code and keeps its own references to what it needs.
Nothing here decides whether an answer is right: a student who tampers with this module
can only change what their answers are, not how they are judged.

What the course adds is named in ``nbgrader_config.py`` and loaded by ``install``, before
any student code runs: the codecs of its answer types (``c.SandboxedExecute.codecs``, see
``wire``) and its *call guards* (``c.SandboxedExecute.call_guards``). A call guard is a
function ``guard(function, *args, **options_and_kwargs)`` that calls a student's function
under conditions of its own (Backprop Lab's ``backproplab.checks.call_without_reference``
hides the book's reference implementations during the call). A test in the grader's kernel
runs one through the *guarded-call protocol*: an object that stands for a function in
another process has a method ``__guarded_call__(guard, args, kwargs, options)``
(``remote.RemoteFunction``); the guard sees it and calls that method instead of the object,
naming itself (``"module:function"``, as in the configuration), and this agent runs the
guard it loaded at start-up on the student's function, where it runs. The guard is kept
from before any student code, so a notebook that replaces it afterwards changes nothing.
"""

from __future__ import annotations

import base64
import json

from backproplab_grader import wire

MIME = "application/x-backproplab-reply"
CALLBACK_PREFIX = "backproplab-callback:"
_state: dict = {}


def install(codecs: list[str] = (), guards: list[str] = ()) -> None:
    """Set the agent up in the current kernel (before any student code runs), with the
    codecs (``wire.load_codecs``) and the call guards (``"module:function"``) named."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    wire.load_codecs(codecs)
    shell = get_ipython()
    _state.update(namespace=shell.user_ns, raw_input=shell.kernel.raw_input,
                  publish=publish_display_data, guards={name: _load(name) for name in guards},
                  handles={}, dumps=json.dumps, loads=json.loads)


def _load(name: str):
    """The object ``"module:attribute"`` names."""
    import importlib

    module_name, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


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
        guard = request.get("guard")
        if guard is None:
            result = function(*args, **kwargs)
        elif guard not in _state["guards"]:
            raise ValueError(f"the grader asked for the call guard {guard!r}, which is not "
                             "in c.SandboxedExecute.call_guards")
        else:
            result = _state["guards"][guard](function, *args, **request["options"], **kwargs)
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
