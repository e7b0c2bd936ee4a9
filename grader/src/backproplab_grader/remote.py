"""The student's answers, seen from the grader's kernel: data, or functions called remotely.

The autograder runs a homework's tests in a clean kernel of their own; no student code ever
runs there. After each answer cell, ``bind`` fetches the names that the answer cell of the
instructor's solution defines from the student's kernel (``backproplab_grader.agent``) and
puts them in the test kernel's namespace: data as data (``backproplab_grader.wire``), a
function as a ``RemoteFunction`` that runs the student's function in the student's kernel
and returns its result as data. Whatever the student's code does to NumPy, to the package's
check functions or to IPython happens in the other process; the tests here judge the data.
"""

from __future__ import annotations

import base64
import json
import time

import zmq
from jupyter_client import BlockingKernelClient

from backproplab_grader import wire
from backproplab_grader.agent import CALLBACK_PREFIX, MIME

MAX_REPLY_BYTES = 64 * 2**20


class StudentCodeError(Exception):
    """The student's function raised, or their kernel could not answer."""


class _Unavailable(Exception):
    pass


class Connection:
    """A client of the student's kernel, sending the agent one request at a time."""

    def __init__(self, connection_file: str, call_timeout: float):
        self.client = BlockingKernelClient()
        self.client.load_connection_file(connection_file)
        self.client.start_channels()
        self.call_timeout = call_timeout
        self.broken: str | None = None
        self.callbacks: dict[int, object] = {}

    def request(self, request: dict, *, refs: dict | None = None) -> dict:
        if self.broken:
            raise _Unavailable(self.broken)
        payload = base64.b64encode(json.dumps(request).encode()).decode("ascii")
        code = f"__import__('backproplab_grader.agent', fromlist=['serve']).serve('{payload}')"
        msg_id = self.client.execute(code, silent=False, store_history=False, allow_stdin=True)
        deadline = time.monotonic() + self.call_timeout
        poller = zmq.Poller()
        poller.register(self.client.iopub_channel.socket, zmq.POLLIN)
        poller.register(self.client.stdin_channel.socket, zmq.POLLIN)
        reply_text, received = None, 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._give_up(f"your code did not finish within {self.call_timeout:g} s "
                              "(an endless loop, or far too much work)")
            events = dict(poller.poll(timeout=min(left, 1.0) * 1000))
            if self.client.stdin_channel.socket in events:
                self._answer_callback(self.client.get_stdin_msg(timeout=0))
            if self.client.iopub_channel.socket not in events:
                if not self._alive():
                    self._give_up("your notebook's kernel stopped (it exited or crashed)")
                continue
            while self.client.iopub_channel.msg_ready():
                msg = self.client.get_iopub_msg(timeout=0)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                kind, content = msg["msg_type"], msg["content"]
                if kind == "display_data" and MIME in content.get("data", {}):
                    reply_text = content["data"][MIME]
                    received += len(reply_text)
                    if received > MAX_REPLY_BYTES:
                        self._give_up("the answer is too large to grade (over 64 MB)")
                elif kind == "status" and content["execution_state"] == "idle":
                    if reply_text is None:
                        raise StudentCodeError("your kernel gave no answer (the grader's "
                                               "agent in it was changed or removed)")
                    try:
                        return json.loads(reply_text)
                    except ValueError:
                        raise StudentCodeError("your kernel's answer was not readable") from None

    def _alive(self) -> bool:
        return self.client.is_alive()  # the heartbeat: a kernel that exited stops beating

    def _give_up(self, why: str):
        self.broken = why
        try:  # ask the kernel to stop what it is doing; it may not listen
            self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))
        except Exception:  # noqa: BLE001
            pass
        raise StudentCodeError(why)

    def _answer_callback(self, msg) -> None:
        prompt = msg["content"].get("prompt", "")
        if not prompt.startswith(CALLBACK_PREFIX):
            self.client.input("")  # the student's code asked for input(): there is none
            return
        try:
            request = json.loads(prompt[len(CALLBACK_PREFIX):])
            function = self.callbacks[request["callback"]]
            args = wire.decode(request["args"], on_handle=self._handle)
            kwargs = wire.decode(request["kwargs"], on_handle=self._handle)
            reply = {"ok": wire.encode(function(*args, **kwargs), on_other=self._refuse)}
        except Exception as error:  # noqa: BLE001
            reply = {"error": f"{type(error).__name__}: {error}"}
        self.client.input(json.dumps(reply))

    def _callback(self, function) -> dict:
        if not callable(function):
            raise TypeError(f"cannot send a {type(function).__name__} to the student's code")
        key = len(self.callbacks)
        self.callbacks[key] = function
        return {"$callback": {"id": key, "name": getattr(function, "__name__", "function")}}

    @staticmethod
    def _refuse(value) -> dict:
        raise wire.WireError(f"cannot send a {type(value).__name__} to the student's code")

    def _handle(self, payload: dict):
        if payload["tag"] != "$handle":
            raise wire.WireError("a callback reference from the student's side")
        if payload.get("callable"):
            return RemoteFunction(self, payload["id"], str(payload.get("name") or "function"))
        return RemoteObject(str(payload.get("type", "object")))

    def value(self, reply: dict, refs: dict | None = None):
        if "error" in reply:
            error = reply["error"]
            raise StudentCodeError(f"{error.get('type', 'Error')}: {error.get('message', '')}")
        return wire.decode(reply["ok"]["value"], on_handle=self._handle, known=refs or {})


class RemoteFunction:
    """A student's function, called in the student's kernel with arguments sent as data.

    ``__guarded_call__`` is the guarded-call protocol (see ``agent``): a call guard such as
    ``backproplab.checks.call_without_reference`` hands the call over to it, and it runs in
    the student's kernel, inside the guard the agent loaded there."""

    def __init__(self, connection: Connection, key: int, name: str):
        self._connection, self._key, self.__name__ = connection, key, name

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"

    def __call__(self, *args, **kwargs):
        return self.call(args, kwargs)

    def __guarded_call__(self, guard: str, args, kwargs, options: dict):
        """Call the function in the student's kernel as ``guard(function, *args, **options,
        **kwargs)``; ``options`` must be JSON data."""
        return self.call(args, kwargs, guard=guard, options=options)

    def call(self, args, kwargs, *, guard: str | None = None, options: dict | None = None):
        connection, refs = self._connection, {}
        request = {"op": "call", "id": self._key,
                   "args": wire.encode(list(args), on_other=connection._callback, refs=refs),
                   "kwargs": wire.encode(dict(kwargs), on_other=connection._callback, refs=refs)}
        if guard is not None:
            request.update(guard=guard, options=json.loads(json.dumps(options or {})))
        try:
            reply = connection.request(request)
            return connection.value(reply, refs)
        except StudentCodeError as error:
            raise StudentCodeError(f"{self.__name__} raised {error}") from None
        except _Unavailable as why:
            raise StudentCodeError(f"{self.__name__} could not be called: {why}") from None


class RemoteObject:
    """An answer that is not plain data: it cannot be compared, converted or looked into."""

    def __init__(self, type_name: str):
        self._type_name = type_name

    def _refuse(self, *_args, **_kwargs):
        raise TypeError(f"this answer is an object of type {self._type_name}; the grader "
                        "needs a number, an array, a list, a dict or a SymPy expression")

    __float__ = __int__ = __index__ = __complex__ = __bool__ = __len__ = __iter__ = _refuse
    __array__ = __getitem__ = __call__ = __add__ = __sub__ = __mul__ = __truediv__ = _refuse
    __radd__ = __rsub__ = __rmul__ = __rtruediv__ = __pow__ = __neg__ = __abs__ = _refuse
    __lt__ = __le__ = __gt__ = __ge__ = __hash__ = _refuse

    def __eq__(self, other):
        return False

    def __ne__(self, other):
        return True

    def __repr__(self) -> str:
        return f"<an object of type {self._type_name}>"


_connection: Connection | None = None


def connect(connection_file: str, call_timeout: float = 60.0, codecs: list[str] = ()) -> None:
    """Connect this (test) kernel to the student's kernel; decode the course's answer types
    with ``codecs`` (``wire.load_codecs``)."""
    global _connection
    wire.load_codecs(codecs)
    if _connection is not None:  # the previous submission's student kernel
        _connection.client.stop_channels()
    _connection = Connection(connection_file, call_timeout)


def bind(names: list[str], namespace: dict) -> dict:
    """Put the student's ``names`` into ``namespace``; returns {name: problem} for names
    that could not be fetched (not defined, not plain data, kernel gone)."""
    problems = {}
    for name in names:
        namespace.pop(name, None)
        try:
            reply = _connection.request({"op": "get", "name": name})
            if reply.get("ok", {}).get("missing"):
                problems[name] = "not defined in your notebook"
                continue
            namespace[name] = _connection.value(reply)
        except (StudentCodeError, _Unavailable, wire.WireError) as error:
            problems[name] = str(error)
    return problems
