"""Generators and coroutines for the differential tests.

``GENERATOR_CASES`` maps a name to (generator or coroutine function,
argument tuple, script): ``drive`` makes one with the arguments and runs
the script's steps on it, recording what each step gives (the value, or
the exception's type and message) and what the body logged, in order, so
a comparison sees the same values, the same exceptions and the same event
order.  Steps: "next", ("send", v), ("throw", exc), "close", "list" (the
rest), "state" (gi_running / gi_frame is None), "await" (run a coroutine
to completion, answering each value it yields with None), and for async
generators "anext", ("asend", v), ("athrow", exc), "aclose" (each
awaitable run the same way).
"""

from __future__ import annotations

import copy
import types

LOG: list = []
STATE: dict = {}


def counter(n):
    for i in range(n):
        yield i
    return "done"


def echo(first):
    received = []
    value = first
    while value is not None:
        value = yield value
        received.append(value)
    return received


def catches_thrown():
    n = 0
    while True:
        try:
            yield n
        except KeyError as exc:
            LOG.append(("caught", str(exc)))
            n += 10
        except ValueError:
            LOG.append("value error: leaving")
            return n
        n += 1


def cleans_up(items):
    try:
        for item in items:
            LOG.append(("yield", item))
            yield item
    finally:
        LOG.append("finally")


def ignores_exit():
    try:
        yield 1
    except GeneratorExit:
        LOG.append("exit")
        yield 2


def inner(log_name):
    try:
        got = yield f"{log_name}-1"
        LOG.append(("inner got", got))
        got = yield f"{log_name}-2"
    except IndexError as exc:
        LOG.append(("inner caught", repr(exc)))
        got = yield "after-index"
    finally:
        LOG.append("inner finally")
    return ("inner result", got)


def delegates(name):
    before = "b"
    result = yield from inner(name)
    LOG.append(("delegated result", result, before))
    rest = yield from [7, 8]
    LOG.append(("list result", rest))
    return result


def raises_stop_iteration():
    yield 1
    raise StopIteration("inside")


def reraises_after_yield():
    try:
        raise KeyError("handled")
    except KeyError:
        yield "in handler"
        raise


def maybe_unbound(flag):
    if flag:
        bound = "set"
    yield 1
    yield bound


def yield_in_call(x):
    return_value = max(x, (yield "arg"), 3)
    yield return_value


def reads_gi_running():
    yield STATE["gen"].gi_running


def genexpr_user(items):
    gen = (x * 2 for x in items if x % 2)
    return gen


class Awaitable:
    def __init__(self, value):
        self.value = value

    def __await__(self):
        got = yield ("awaiting", self.value)
        return (self.value, got)


async def leaf(x):
    got = await Awaitable(x)
    return got


async def awaits(x):
    first = await leaf(x)
    try:
        second = await Awaitable(x + 1)
    except KeyError as exc:
        LOG.append(("coroutine caught", str(exc)))
        second = "recovered"
    return first, second


async def awaits_bad():
    return await 3


async def ticks(n):
    try:
        for i in range(n):
            await Awaitable(i)
            try:
                got = yield i
            except KeyError as exc:
                LOG.append(("agen caught", str(exc)))
                got = "k"
            LOG.append(("agen got", got))
    finally:
        LOG.append("agen finally")
        await Awaitable("in finally")


async def stops_async_iteration():
    yield 1
    raise StopAsyncIteration


class AsyncResource:
    async def __aenter__(self):
        LOG.append("aenter")
        await Awaitable("enter")
        return self

    async def __aexit__(self, typ, exc, tb):
        LOG.append(("aexit", typ.__name__ if typ else None))
        return typ is KeyError


async def async_for_and_with(n):
    out = []
    async with AsyncResource():
        async for value in ticks(n):
            out.append(value)
    async with AsyncResource():
        raise KeyError("swallowed")
    try:
        async for value in 5:
            pass
    except TypeError as exc:
        out.append(str(exc))
    return out


class StopsOnClose:
    """A delegate whose close() raises StopIteration: closing a generator
    suspended in `yield from` it goes on after the loop with its value on
    3.12 (CLEANUP_THROW), and raises where the generator is on 3.11."""

    def __init__(self):
        self.n = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.n += 1
        return self.n

    def close(self):
        LOG.append("delegate closing")
        raise StopIteration("closed value")


def delegates_to_stopping_close():
    got = yield from StopsOnClose()
    LOG.append(("after the delegate", got))
    yield "after"


class ReturnsOnThrow:
    """A delegate whose throw() returns (StopIteration): the `yield from`
    goes on with the value."""

    def __iter__(self):
        return self

    def __next__(self):
        return "delegate value"

    def throw(self, *args):
        LOG.append(("delegate thrown", type(args[-2] if len(args) > 1 else args[0]).__name__))
        raise StopIteration("from throw")


def delegates_to_returning_throw():
    got = yield from ReturnsOnThrow()
    yield ("went on with", got)


class SlowExit:
    async def __aenter__(self):
        return self

    async def __aexit__(self, typ, exc, tb):
        LOG.append(("slow aexit", typ.__name__ if typ else None))
        got = await Awaitable("exiting")
        LOG.append(("aexit resumed", got))
        return typ is KeyError


async def exits_slowly(raised):
    try:
        async with SlowExit():
            await Awaitable("body")
            raise raised
    except ValueError as exc:
        LOG.append(("caught", str(exc)))
    return "done"


class Listed:
    def items(self):
        return [1, 2]


class WalksItems(Listed):
    def items(self):
        for item in super().items():      # super() in a generator: its own cell and self
            yield item * 10
        yield len(super().items())


def delegates_in_a_handler():
    """A throw the delegate does not catch leaves it chained to the
    generator's own handled exception (gen_send_ex's chaining)."""
    try:
        raise KeyError("handled")
    except KeyError:
        yield from counter(3)


class NotAnInstance(Exception):
    """Instantiating it gives the class: gen.throw(NotAnInstance) throws
    the TypeError of the failed normalization in."""

    def __new__(cls, *args, **kwargs):
        return cls


def catches_type_errors():
    try:
        yield 1
    except TypeError as exc:
        LOG.append(("caught", str(exc)))
    yield 2


def _genexpr():
    items = [1, 2, 3, 4, 5]
    return genexpr_user(items).gi_code


def _genexpr_function():
    code = _genexpr()
    return types.FunctionType(code, globals(), "<genexpr>")


GENEXPR = _genexpr_function()

GENERATOR_CASES: dict[str, tuple] = {
    "counter": (counter, (3,), ["list", "state"]),
    "counter_return": (counter, (2,), ["next", "next", "next", "next"]),
    "echo": (echo, (1,), ["next", ("send", 2), ("send", "x"), ("send", None)]),
    "just_started_send": (echo, (1,), [("send", 5), "next"]),
    "catches_thrown": (catches_thrown, (), ["next", ("throw", KeyError("k")), "next",
                                            ("throw", ValueError("v")), "next"]),
    "uncaught_throw": (counter, (5,), ["next", ("throw", IndexError("x")), "next", "state"]),
    "throw_before_start": (counter, (5,), [("throw", IndexError("early")), "next"]),
    "close_runs_finally": (cleans_up, ([1, 2, 3],), ["next", "next", "close", "state", "next"]),
    "list_runs_finally": (cleans_up, ([1, 2],), ["list"]),
    "ignores_exit": (ignores_exit, (), ["next", "close"]),
    "delegates": (delegates, ("d",), ["next", ("send", "s1"), ("send", "s2"), "next", "next",
                                      "next"]),
    "delegated_throw": (delegates, ("t",), ["next", ("throw", IndexError("i")), "list"]),
    "delegated_close": (delegates, ("c",), ["next", "close", "state"]),
    "throw_into_list_delegate": (delegates, ("l",), ["next", "next", "next",
                                                      ("throw", KeyError("l"))]),
    "stop_iteration": (raises_stop_iteration, (), ["next", "next"]),
    "reraise_after_yield": (reraises_after_yield, (), ["next", "next"]),
    "maybe_unbound_set": (maybe_unbound, (True,), ["list"]),
    "maybe_unbound_unset": (maybe_unbound, (False,), ["list"]),
    "yield_in_call": (yield_in_call, (10,), ["next", ("send", 42), "next"]),
    "genexpr": (GENEXPR, (iter([1, 2, 3, 4, 5]),), ["list"]),
    "coroutine": (awaits, (1,), ["await"]),
    "coroutine_throw": (awaits, (1,), ["next", ("send", "a"), ("throw", KeyError("ck")),
                                        "next"]),
    "coroutine_bad_await": (awaits_bad, (), ["await"]),
    "async_generator": (ticks, (3,), ["anext", ("asend", "s"), ("athrow", KeyError("a")),
                                      "anext", "anext", "state"]),
    "async_generator_aclose": (ticks, (5,), ["anext", "aclose", "anext"]),
    "async_generator_stop": (stops_async_iteration, (), ["anext", "anext"]),
    "async_for_and_with": (async_for_and_with, (3,), ["await"]),
    "super_in_generator": (WalksItems.items, (WalksItems(),), ["list"]),
    "delegate_close_stops": (delegates_to_stopping_close, (), ["next", "close"]),
    "delegated_throw_in_handler": (delegates_in_a_handler, (),
                                   ["next", ("throw", ValueError("v")), "next"]),
    "throw_failed_instantiation": (catches_type_errors, (),
                                   ["next", ("throw", NotAnInstance), "next"]),
    "delegate_throw_returns": (delegates_to_returning_throw, (),
                               ["next", ("throw", KeyError("r")), "next"]),
    "aexit_awaits": (exits_slowly, (KeyError("swallowed"),), ["await"]),
    "throw_into_aexit": (exits_slowly, (KeyError("k"),),
                         [("send", None), ("send", 1), ("throw", ValueError("v")),
                          ("send", 2)]),
    "throw_into_aexit_swallowed": (exits_slowly, (IndexError("i"),),
                                   [("send", None), ("send", 1), ("throw", KeyError("k")),
                                    ("send", 2)]),
}


def _run_awaitable(awaitable):
    """(what it yielded to the event loop, its result), each yield
    answered with None."""
    it = awaitable.__await__() if hasattr(awaitable, "__await__") else awaitable
    yielded = []
    try:
        while True:
            yielded.append(it.send(None))
    except StopIteration as stop:
        return yielded, stop.value


def _describe(exc: BaseException):
    return ("raise", type(exc).__name__, str(exc),
            type(exc.__cause__).__name__ if exc.__cause__ is not None else None,
            type(exc.__context__).__name__ if exc.__context__ is not None else None)


def drive(fn, args, script) -> list:
    """What the script's steps give, with the body's log (module
    docstring)."""
    LOG.clear()
    events: list = []
    gen = fn(*copy.deepcopy(args))
    STATE["gen"] = gen
    for step in script:
        kind, arg = (step, None) if isinstance(step, str) else step
        if isinstance(arg, BaseException):
            # A fresh exception each run: one the script holds would keep the
            # traceback (and the frames, and the generators) of every run.
            arg = copy.copy(arg)
        try:
            if kind == "next":
                result = next(gen)
            elif kind == "send":
                result = gen.send(arg)
            elif kind == "throw":
                result = gen.throw(arg)
            elif kind == "close":
                result = gen.close()
            elif kind == "list":
                result = list(gen)
            elif kind == "state":
                prefix = next(p for p in ("gi", "cr", "ag") if hasattr(gen, p + "_frame"))
                result = (getattr(gen, prefix + "_running"),
                          getattr(gen, prefix + "_frame") is None)
            elif kind in ("anext", "asend", "athrow", "aclose"):
                awaitable = {"anext": lambda: gen.__anext__(), "asend": lambda: gen.asend(arg),
                             "athrow": lambda: gen.athrow(arg),
                             "aclose": lambda: gen.aclose()}[kind]()
                result = _run_awaitable(awaitable)
            else:   # await: run the coroutine, answering each yield with None
                result = _run_awaitable(gen)
            events.append(("value", repr(result)))
        except StopIteration as stop:
            events.append(("stop", repr(stop.value)))
        except Exception as exc:  # noqa: BLE001 - comparing outcomes
            events.append(_describe(exc))
        events.append(("log", list(LOG)))
        LOG.clear()
    if hasattr(gen, "close"):
        gen.close()
    elif hasattr(gen, "aclose"):
        try:
            _run_awaitable(gen.aclose())
        except Exception:  # noqa: BLE001 - what the script left is not compared
            pass
    STATE.clear()
    return events
