"""The driver of a compiled generator or coroutine body.

A compiled generator function keeps a real generator (or coroutine)
function as its trampoline (pyjit/install.py), whose body is

    return (yield from <entry>(<parameters>))        # `await` for a coroutine

The entry returns a `GeneratorBody`: the iterator that `yield from`
delegates to.  Each `send`/`__next__` resumes the compiled body, a function
of (saved, sent, thrown) (pyjit/hir/ops_gen.py), at the resume point the
state tuple `saved` names, with the values the previous suspension saved
there; the body returns the next state tuple (item 1: the value to yield)
or, when it returns, a 1-tuple of its return value, which becomes
StopIteration(value) and so the value of the trampoline's `yield from`.
So everything the program sees of the generator object is CPython's own
(`types.GeneratorType`, `gi_running`, `gi_frame` None once finished,
`inspect.isgenerator`, the "just-started generator" and "already executing"
errors, asyncio driving a coroutine); `gen.throw` and `gen.close` reach
`throw` and `close` here, as for any delegate.

Exceptions: the body's exception, its traceback built by compiled code
(the function at its real line), is re-raised with RERAISE (no entry for
these methods, no implicit chaining); the trampoline's handler drops its
own entry and re-raises.  A StopIteration leaving the body becomes
"RuntimeError: generator raised StopIteration" here (and a
StopAsyncIteration leaving an async generator's "async generator raised
StopAsyncIteration"), as 3.11's gen_send_ex does and 3.12's handler
around a generator's whole body (CALL_INTRINSIC_1 STOPITERATION_ERROR,
which the 3.12 builder leaves to this driver); the trampoline would take a
StopIteration for the end of its `yield from`.

`throw` and `close` are called by `_gen_throw`/`gen_close` without the
generator's exception-stack item pushed or its frame linked (CPython does
not run a delegate inside its generator); the body runs as if inside it, so
these push the item and make the trampoline's frame the innermost compiled
activation's, linked to the caller's frame, around the call.

`step(saved, sent, thrown, frame)` runs the body once and returns the
state tuple or an `errstate.Failure`; the JIT's (jit.py) calls the engine,
the HIR interpreter's runs the HIR.
"""

from __future__ import annotations

# Bound at import: a program may rebind builtins.
from builtins import (
    BaseException, GeneratorExit, RuntimeError, StopAsyncIteration, StopIteration, bytearray,
    bytes, isinstance, len,
)
import ctypes
import dis

from . import frames, layout
from .errstate import Failure
from .helper_decl import ROOM
from .tstate import per_thread, quiet_entry, recursion_counter
from .generators import (AsyncGenValue, clear_item, enter_item, leave_item, normalize_throw,
                         top_item)

_U64 = ctypes.c_uint64
_id = id
_object_at = __import__("_ctypes").PyObj_FromPtr
_RERAISE = dis.opmap["RERAISE"]
_RAISE_VARARGS = dis.opmap["RAISE_VARARGS"]


_CO_GENERATOR, _CO_COROUTINE, _CO_ASYNC_GENERATOR = 0x20, 0x80, 0x200


def generator_kind(code) -> str | None:
    """"coroutine", "generator" (types.coroutine's iterable coroutines
    included), "async generator", or None for a code object of a plain
    function."""
    if code.co_flags & _CO_COROUTINE:
        return "coroutine"
    if code.co_flags & _CO_GENERATOR:
        return "generator"
    if code.co_flags & _CO_ASYNC_GENERATOR:
        return "async generator"
    return None


class GeneratorBody:
    """The delegate of a compiled generator's trampoline (module docstring)."""

    __slots__ = ("_step", "_saved", "_kind", "_item", "_frame", "_delegates")

    def __init__(self, step, saved: tuple, kind: str, delegates: dict[int, int]) -> None:
        self._step = step            # step(saved, sent, thrown, frame) -> state or Failure
        self._saved = saved          # (point, yielded, values...); None once finished
        self._kind = kind            # "generator", "coroutine", "async generator" (messages)
        self._item = 0               # the generator's exception-stack item
        self._frame = 0              # the trampoline's interpreter frame
        self._delegates = delegates  # `yield from` point -> the delegate's index in saved

    def delegate(self):
        """What the body's `yield from`/`await` it is suspended in delegates
        to, else None (gi_yieldfrom, cr_await, ag_await: generator_view.py).
        Read from the saved state without Python's indexing: while the body
        runs, the items it took are NULL."""
        saved = self._saved
        if saved is None:
            return None
        index = self._delegates.get(saved[0])
        if index is None:
            return None
        item = _U64.from_address(_id(saved) + layout.TUPLE_OB_ITEM + 8 * index).value
        return _object_at(item) if item else None

    def __iter__(self):
        return self

    def __await__(self):
        return self

    def __next__(self):
        signalled = signal_raised()         # (an entry without a check point: below)
        if not self._frame:                  # the first resumption: with room
            counter = per_thread.counter
            if counter is None:
                counter = recursion_counter()
            counter.value += ROOM
            try:
                self._frame, self._item = frames.caller_frame(), top_item()
            finally:
                counter.value -= ROOM
        result = self._step(self._saved, None, signalled, self._frame)
        if result.__class__ is not Failure and len(result) > 1:
            self._saved = result
            return result[1]
        raise self._ending(result)

    def send(self, value):
        signalled = signal_raised()
        if not self._frame:                  # the first resumption: with room
            counter = per_thread.counter
            if counter is None:
                counter = recursion_counter()
            counter.value += ROOM
            try:
                self._frame, self._item = frames.caller_frame(), top_item()
            finally:
                counter.value -= ROOM
        result = self._step(self._saved, value, signalled, self._frame)
        if result.__class__ is not Failure and len(result) > 1:
            self._saved = result
            return result[1]
        raise self._ending(result)

    def throw(self, typ, val=None, tb=None):
        exc = normalize_throw(typ, val, tb)
        result = self._thrown(exc, frames.caller_frame())
        if result.__class__ is not Failure and len(result) > 1:
            self._saved = result
            return result[1]
        raise self._ending(result)

    def close(self):
        result = self._thrown(GeneratorExit(), frames.caller_frame())
        if result.__class__ is not Failure and len(result) > 1:
            # gen_close raises the RuntimeError with the generator's item
            # popped: no context.  CPython throws it into the trampoline,
            # which finishes (chaining it to the item, which the body left
            # holding the GeneratorExit it handles): the item goes first.
            self._saved = result
            clear_item(self._item)
            raise RuntimeError(f"{self._kind} ignored GeneratorExit")
        self._saved = None
        if result.__class__ is Failure and not isinstance(result.exc, GeneratorExit):
            raise self._ending(result)
        clear_item(self._item)
        return None

    def _thrown(self, exc, caller: int):
        """Run the body with exc thrown in, inside the generator (module
        docstring); caller: the frame of gen.throw's or gen.close's caller."""
        item, frame = self._item, self._frame
        previous_item = enter_item(item)
        previous_frame = _U64.from_address(frame + layout.IFRAME_PREVIOUS)
        previous_frame.value = caller
        try:
            return self._step(self._saved, None, exc, frame)
        finally:
            previous_frame.value = 0
            leave_item(item, previous_item)

    def _ending(self, result):
        """The exception that ends the body: StopIteration(value) for a
        return, else the body's (a StopIteration made a RuntimeError)."""
        self._saved = None
        clear_item(self._item)
        if result.__class__ is not Failure:
            return StopIteration(result[0])
        exc = result.exc
        if isinstance(exc, StopIteration):
            error = RuntimeError(f"{self._kind} raised StopIteration")
            error.__cause__ = exc
            error.__context__ = exc
            return error
        return exc


END = AsyncGenValue(None)     # what `await` of an async generator's body gives at its end
_NOTHING = AsyncGenValue(None)


class AsyncGeneratorBody(GeneratorBody):
    """The delegate of a compiled async generator's trampoline, which is

        body = <entry>(<parameters>)
        while True:
            value = await body            # the body's exception leaves here
            if value is END: return
            try:
                value = yield value       # the async generator's own yield
            except BaseException as exc:  # athrow()/aclose() at that yield
                body.throw_next(exc)
            else:
                body.send_next(value)

    The async generator object only yields what reaches it wrapped in its
    own (internal) type, which Python code cannot make, so the body's own
    yields (AsyncGenValue, from ASYNC_GEN_WRAP) end the `await` (StopIteration
    of the value) and the trampoline yields them; everything else the body
    yields is an await's, passed through to the event loop.  The value sent
    to (or the exception thrown in at) the trampoline's yield is handed to
    the body at the next `await`'s first step."""

    __slots__ = ("_next_sent", "_next_thrown")

    def __init__(self, step, saved: tuple, kind: str, delegates: dict[int, int]) -> None:
        GeneratorBody.__init__(self, step, saved, kind, delegates)
        self._next_sent = None
        self._next_thrown = None

    def send_next(self, value) -> None:
        self._next_sent = value

    def throw_next(self, exc) -> None:
        self._next_thrown = strip_trampoline_entry(exc)

    def __next__(self):
        # The trampoline's frame is this method's caller's: send, called
        # from here, would take this method's frame for it (a frame of the
        # thread's stack, reused once this returns).
        signalled = signal_raised()
        if signalled is not None and self._next_thrown is None:
            self._next_thrown = signalled
        if not self._frame:
            self._frame, self._item = frames.caller_frame(), top_item()
        return self.send(None)

    def send(self, value):
        signalled = signal_raised()
        if signalled is not None and self._next_thrown is None:
            self._next_thrown = signalled
        if not self._frame:
            self._frame, self._item = frames.caller_frame(), top_item()
        thrown = self._next_thrown
        if thrown is not None or self._next_sent is not None:
            value, self._next_sent, self._next_thrown = self._next_sent, None, None
        result = self._step(self._saved, value, thrown, self._frame)
        if result.__class__ is not Failure and len(result) > 1:
            self._saved = result
            yielded = result[1]
            if yielded.__class__ is AsyncGenValue:
                raise StopIteration(yielded.value)
            return yielded
        raise self._ending(result)

    def throw(self, typ, val=None, tb=None):
        exc = normalize_throw(typ, val, tb)
        result = self._thrown(exc, frames.caller_frame())
        if result.__class__ is not Failure and len(result) > 1:
            self._saved = result
            yielded = result[1]
            if yielded.__class__ is AsyncGenValue:
                raise StopIteration(yielded.value)
            return yielded
        raise self._ending(result)

    def _ending(self, result):
        if result.__class__ is not Failure:
            self._saved = None
            return StopIteration(END)
        exc = result.exc
        if isinstance(exc, StopAsyncIteration):
            self._saved = None
            error = RuntimeError("async generator raised StopAsyncIteration")
            error.__cause__ = exc
            error.__context__ = exc
            return error
        return GeneratorBody._ending(self, result)


def _reraising(code):
    """code with every `raise X` (RAISE_VARARGS 1) made RERAISE 0: the same
    stack effect, no traceback entry for the frame, no implicit chaining."""
    raw = bytearray(code.co_code)
    for ins in dis.get_instructions(code):
        if ins.opcode == _RAISE_VARARGS and ins.arg == 1:
            raw[ins.offset], raw[ins.offset + 1] = _RERAISE, 0
    return code.replace(co_code=bytes(raw))


for _method in (GeneratorBody.__next__, GeneratorBody.send, GeneratorBody.throw,
                GeneratorBody.close, AsyncGeneratorBody.send, AsyncGeneratorBody.throw):
    _method.__code__ = _reraising(_method.__code__)


# Signals at a resumption.  The interpreter runs the handlers of pending
# signals where a generator resumes after a plain yield (RESUME 1), inside
# the generator and its `try` there; after a `yield from` or an `await`
# (RESUME 2, 3) it does not, and the delegate it resumes does.  The Python
# code between the trampoline's SEND and the compiled body (these methods,
# the step, the engine's entry) has check points of its own, where a
# handler's exception would come out of neither body: the methods that
# resume the body enter without a check, run the pending handlers first
# and throw what one raises in at the suspension point, which is the
# interpreter's place for it (at a `yield from`, the body throws it into
# the delegate, which raises it at its own yield).  A signal arriving later
# on the way is raised where it arrives, as before.

_check_signals = ctypes.PYFUNCTYPE(ctypes.c_int)(("PyErr_CheckSignals", ctypes.pythonapi))


def signal_raised():
    """What a handler of a pending signal raises when run now (with
    no traceback entry of this frame), or None."""
    try:
        _check_signals()
    except BaseException as exc:
        return exc.with_traceback(exc.__traceback__.tb_next)
    return None


for _method in (signal_raised, GeneratorBody.__next__, GeneratorBody.send,
                AsyncGeneratorBody.__next__, AsyncGeneratorBody.send):
    quiet_entry(_method)


_OWN_FILES = frozenset((__file__, normalize_throw.__code__.co_filename))


def strip_trampoline_entry(exc):
    """exc leaving a generator trampoline through its handler: without the
    trampoline's own traceback entry (the first) and those of this driver,
    which stand for nothing the program wrote."""
    tb = exc.__traceback__
    if tb is not None:
        tb = tb.tb_next
        while tb is not None and tb.tb_frame.f_code.co_filename in _OWN_FILES:
            tb = tb.tb_next
        exc.__traceback__ = tb
    return exc
