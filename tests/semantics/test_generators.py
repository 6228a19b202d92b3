"""Compiled generators and coroutines, as the program sees them: the
objects are CPython's own generators and coroutines (types, inspect,
gi_running, gi_frame), asyncio runs compiled coroutines, tracebacks and
exception contexts through a compiled generator are the interpreter's,
the exception being handled inside a generator is its own, an abandoned
generator is closed (its finally runs), and nothing leaks."""

from __future__ import annotations

import asyncio
import gc
import inspect
import signal
import sys
import types

import pytest

import pyjit.jit as jit

from exc_support import both, compiled, describe


def numbers(n):
    for i in range(n):
        yield i * i
    return "end"


def running_state(box):
    yield box["gen"].gi_running


def nested_frames(n):
    total = 0
    for value in numbers(n):
        total += value
        yield total


async def tick(x):
    await asyncio.sleep(0)
    return x * 2


async def gather_ticks(n):
    results = await asyncio.gather(*(tick(i) for i in range(n)))
    return sum(results)


@types.coroutine
def legacy_switch():
    value = yield "switch"
    return value


async def awaits_legacy():
    return await legacy_switch()


def divide_at_second(x):
    yield 1
    yield 1 // x


def wraps_in_generator(x):
    try:
        yield from divide_at_second(x)
    except ZeroDivisionError as exc:
        raise ValueError("wrapped") from exc


def handles_across_yield():
    try:
        raise KeyError("own")
    except KeyError:
        yield sys.exception()
        yield sys.exception()
    yield sys.exception()


def guarded(log):
    try:
        yield 1
        yield 2
    finally:
        log.append("finally")


def test_the_objects_are_cpythons(compiled_numbers):
    g = numbers(3)
    assert inspect.isgeneratorfunction(numbers) and inspect.isgenerator(g)
    assert type(g) is types.GeneratorType
    assert g.gi_code.co_name == "numbers" and g.__qualname__ == "numbers"
    assert list(g) == [0, 1, 4]
    assert g.gi_frame is None and not g.gi_running
    with pytest.raises(StopIteration):
        next(g)


@pytest.fixture
def compiled_numbers():
    with compiled(numbers):
        yield


def test_gi_running_inside():
    box = {}
    with compiled(running_state):
        box["gen"] = running_state(box)
        assert next(box["gen"]) is True
        assert box["gen"].gi_running is False


def test_return_value_and_stop_iteration():
    def run():
        g = numbers(1)
        next(g)
        try:
            next(g)
        except StopIteration as stop:
            return stop.value
    assert both(run, numbers) == (("ok", "end"), ("ok", "end"))


def test_coroutines_under_asyncio():
    with compiled(tick, gather_ticks, awaits_legacy, legacy_switch):
        coro = gather_ticks(5)
        assert inspect.iscoroutine(coro) and type(coro) is types.CoroutineType
        assert inspect.iscoroutinefunction(gather_ticks)
        assert asyncio.run(coro) == 20
        assert legacy_switch.__code__.co_flags & inspect.CO_ITERABLE_COROUTINE
        c = awaits_legacy()
        assert c.send(None) == "switch"
        with pytest.raises(StopIteration) as info:
            c.send(7)
        assert info.value.value == 7


def test_traceback_and_context_through_a_generator():
    def run():
        return list(wraps_in_generator(0))
    interpreted, got = both(run, wraps_in_generator, divide_at_second)
    assert got == interpreted
    assert interpreted[1][0] == "ValueError"


def test_thrown_exception_traceback():
    def run():
        g = divide_at_second(1)
        next(g)
        g.throw(KeyError("thrown"))
    assert both(run, divide_at_second)[1] == both(run, divide_at_second)[0]


def test_the_generators_own_handled_exception():
    def run():
        g = handles_across_yield()
        first = next(g)
        try:
            raise IndexError("caller's")
        except IndexError:
            second = next(g)        # the generator's own, not the caller's
            third = next(g)         # nothing of its own: the caller's shows through
        return type(first).__name__, type(second).__name__, type(third).__name__, \
            sys.exception()
    assert both(run, handles_across_yield) == (("ok", ("KeyError", "KeyError", "IndexError",
                                                        None)),) * 2


class ClearsItsContext:
    """An exit that raises an exception with no context (what ExitStack
    and contextmanager do to keep chaining as nested `with` statements)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_details):
        try:
            raise LookupError("from the exit")
        except BaseException as exc:
            exc.__context__ = None
            raise


def exits_in_a_with():
    with ClearsItsContext():
        yield 1


def test_a_throw_that_ends_the_generator_inside_a_handler_adds_no_context():
    # The body fails inside its `with` statement's handler; the exception
    # leaves gen.throw, called while the caller handles another one, with
    # the context the exit gave it (Lib/test test_contextlib's
    # test_exit_exception_explicit_none_context).
    def run():
        g = exits_in_a_with()
        next(g)
        try:
            raise IndexError("the caller's")
        except IndexError as handled:
            g.throw(handled)
    interpreted, got = both(run, exits_in_a_with)
    assert got == interpreted
    assert interpreted[0] == "raise" and interpreted[1][3] is None


def test_abandoned_generator_runs_its_finally():
    log = []
    with compiled(guarded):
        g = guarded(log)
        next(g)
        del g
        gc.collect()
        assert log == ["finally"]
        g = guarded(log)
        assert next(g) == 1
        g.close()
        assert log == ["finally", "finally"] and g.gi_frame is None


def test_nothing_leaks_over_many_generators():
    with compiled(numbers, nested_frames):
        for _ in range(50):
            assert list(nested_frames(20))[-1] == sum(i * i for i in range(20))
        gc.collect()
        before = _objects_by_type()
        arg = object()
        count = sys.getrefcount(arg)
        for _ in range(300):
            list(nested_frames(20))
            g = numbers(5)
            next(g)
            g.close()
            list(guarded([arg]))
        gc.collect()
        # A leak of one object an iteration is 300 more of its type; what
        # the rest of a long test process does meanwhile (the whole suite
        # once grew by 362 objects here) spreads over many types.
        grown = {name: n - before.get(name, 0) for name, n in _objects_by_type().items()}
        assert max(grown.values()) < 100, sorted(grown.items(), key=lambda kv: -kv[1])[:5]
        assert sys.getrefcount(arg) == count


def _objects_by_type() -> dict[str, int]:
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        name = type(obj).__qualname__
        counts[name] = counts.get(name, 0) + 1
    return counts


def test_invalid_throw_arguments_raise_type_error():
    with compiled(numbers):
        g = numbers(3)
        next(g)
        with pytest.raises(TypeError, match="exceptions must be classes or instances"):
            g.throw(3)


def test_recompiling_while_suspended_keeps_the_activation():
    with compiled(numbers):
        g = numbers(4)
        assert next(g) == 0
        jit.force_uncompile(numbers)
        assert list(g) == [1, 4, 9]
        assert describe(None) is None


async def agen_ticks(n):
    try:
        for i in range(n):
            await asyncio.sleep(0)
            yield i
    finally:
        await asyncio.sleep(0)


async def sums_ticks(n):
    total = 0
    async for value in agen_ticks(n):
        total += value
    async with asyncio.Lock():
        agen = agen_ticks(10)
        total += await agen.__anext__()
        await agen.aclose()
    return total


def test_async_generators_under_asyncio():
    with compiled(agen_ticks, sums_ticks):
        assert inspect.isasyncgenfunction(agen_ticks)
        assert type(agen_ticks(1)) is types.AsyncGeneratorType
        assert asyncio.run(sums_ticks(6)) == 15
        # an abandoned async generator is finalized through asyncio's hooks
        async def abandon():
            agen = agen_ticks(3)
            await agen.__anext__()
            del agen
            gc.collect()
            await asyncio.sleep(0)
            return "ok"
        assert asyncio.run(abandon()) == "ok"


def caller_name():
    return sys._getframe(1).f_code.co_name


async def agen_callers(n):
    for _ in range(n):
        await asyncio.sleep(0)
        yield caller_name()


def test_async_generator_bodies_run_in_the_async_generators_frame():
    """What the body calls sees the async generator's frame as its caller,
    at every step (the first one included: its driver's __next__ records
    that frame, not its own)."""
    async def collect():
        return [name async for name in agen_callers(3)]
    with compiled(agen_callers):
        assert asyncio.run(collect()) == ["agen_callers"] * 3


def test_code_is_unloaded_once_no_suspended_generator_needs_it():
    engine = jit.get_engine()

    def loaded():
        return [c for c in engine.loaded if c.name.endswith("numbers")]
    with compiled(numbers):
        finished = numbers(2)
        list(finished)
        suspended = numbers(3)
        next(suspended)
    jit.force_compile(nested_frames)       # a load drains what was retired
    jit.force_uncompile(nested_frames)
    assert len(loaded()) == 1              # the suspended one still runs it
    assert list(suspended) == [1, 4]
    del suspended
    gc.collect()
    jit.force_compile(nested_frames)
    jit.force_uncompile(nested_frames)
    assert loaded() == [] and finished.gi_frame is None


class Raised(Exception):
    pass


def raises_in_handler_after_throw():
    try:
        yield 1
    except BaseException:
        error = Raised("from the handler")
        try:
            raise error
        finally:
            error.__context__ = None


def chains_to_the_thrown():
    try:
        yield 1
    except BaseException:
        raise Raised("chained")


@pytest.mark.parametrize("body", [raises_in_handler_after_throw, chains_to_the_thrown])
def test_a_throw_while_the_caller_handles_an_exception(body):
    # The generator's own exception-stack item is empty when the throw comes
    # in; its handler's exception must not be chained to the caller's
    # (contextlib's @contextmanager, test_exit_exception_explicit_none_context).
    def run():
        g = body()
        next(g)
        try:
            try:
                raise IndexError("the caller's")
            except IndexError:
                g.throw(KeyError("thrown"))
        except Raised as exc:
            return describe(exc.__context__)
    interpreted, got = both(run, body)
    assert got == interpreted
    expected = None if body is raises_in_handler_after_throw else "KeyError"
    assert interpreted[0] == "ok" and (interpreted[1] and interpreted[1][0]) == expected


def yields_once():
    yield


def delegates_while_handling():
    try:
        raise KeyError("handled")
    except KeyError:
        yield from yields_once()


def test_a_throw_the_delegate_passes_on_chains_to_the_generators_handled_exception():
    # Lib/test test_generators GeneratorThrowTest.
    # test_exception_context_with_yield_from.  (The traceback is compared on
    # 3.12 and later: 3.11's gen_send_ex drops the entries the delegate's
    # frames added, unless the delegate caught the exception, when it chains
    # it; a compiled delegate's trampoline catches it.)
    def run():
        g = delegates_while_handling()
        next(g)
        g.throw(ValueError("thrown"))
    def without_traceback(outcome):
        kind, (name, message, _, context, *_) = outcome
        return kind, name, message, context

    interpreted, got = both(run, delegates_while_handling, yields_once)
    if sys.version_info >= (3, 12):
        assert got == interpreted
    assert without_traceback(got) == without_traceback(interpreted)
    assert without_traceback(interpreted)[3][0] == "KeyError"


class InstantiatesAsItsClass(Exception):
    def __new__(cls, *args, **kwargs):
        return cls


def catches_the_type_error(log):
    try:
        yield
    except TypeError as exc:
        log.append(str(exc))


def test_a_failed_instantiation_of_the_thrown_class_is_thrown_in():
    # Lib/test test_generators ExceptionTest.test_except_throw_bad_exception:
    # the TypeError of the failed normalization reaches the body's handler.
    def run():
        log = []
        g = catches_the_type_error(log)
        next(g)
        try:
            g.throw(InstantiatesAsItsClass)
        except StopIteration:
            return log
    interpreted, got = both(run, catches_the_type_error)
    assert got == interpreted
    assert interpreted == ("ok", ["calling <class 'test_generators.InstantiatesAsItsClass'> "
                                  "should have returned an instance of BaseException, not type"])


def inner_delegate():
    yield "inner"


def delegates_then_yields():
    yield "own"
    yield from inner_delegate()
    yield "own again"


def test_gi_yieldfrom_is_the_bodys_delegate():
    # Lib/test test_generators YieldFromTests.test_generator_gi_yieldfrom:
    # the trampoline's own delegate (the body's driver) is not shown
    def run():
        g = delegates_then_yields()
        seen = [g.gi_yieldfrom]
        for _ in range(3):
            next(g)
            delegate = g.gi_yieldfrom
            seen.append(None if delegate is None else delegate.gi_code.co_name)
        seen.append(list(g))
        seen.append(g.gi_yieldfrom)
        return seen
    interpreted, got = both(run, delegates_then_yields, inner_delegate)
    assert got == interpreted == ("ok", [None, None, "inner_delegate", None, [], None])


class Suspends:
    def __await__(self):
        yield "suspended"


async def awaits_suspends():
    await Suspends()
    return 1


async def async_gen_awaits():
    await Suspends()
    yield 1


def test_cr_await_and_ag_await_are_the_bodys_awaitables():
    def run():
        c = awaits_suspends()
        before = c.cr_await
        c.send(None)
        during = type(c.cr_await).__name__
        c.close()
        ag = async_gen_awaits()
        step = ag.asend(None)
        step.send(None)
        ag_during = type(ag.ag_await).__name__
        step.close()
        ag_after = type(ag.ag_await).__name__
        return before, during, ag_during, ag_after
    interpreted, got = both(run, awaits_suspends, async_gen_awaits)
    assert got == interpreted
    assert interpreted[1][:3] == (None, "generator", "generator")


def test_the_views_are_read_only_as_the_interpreters():
    with compiled(numbers):
        g = numbers(2)
        with pytest.raises(AttributeError, match="'gi_yieldfrom' of 'generator' objects is "
                                                 "not writable"):
            g.gi_yieldfrom = None
        list(g)


def catches_interrupt():
    try:
        yield
    except KeyboardInterrupt:
        return "caught"
    return "not caught"


def delegates_to_catcher():
    return (yield from catches_interrupt())


@pytest.mark.parametrize("outer", [catches_interrupt, delegates_to_catcher])
def test_a_signal_pending_at_a_resumption_is_raised_inside_the_body(outer):
    # Lib/test test_generators SignalAndYieldFromTest: the interpreter runs
    # the handler where the generator resumes after its yield, inside its
    # `try` (at a `yield from`: in the delegate it resumes)
    _testcapi = pytest.importorskip("_testcapi")

    def run():
        g = outer()
        g.send(None)
        try:
            _testcapi.raise_SIGINT_then_send_None(g)
        except BaseException as exc:  # noqa: BLE001 - compared with the interpreter
            return type(exc).__name__, getattr(exc, "value", None)
    # (a process started in the background by a shell ignores SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        interpreted, got = both(run, outer, catches_interrupt)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert interpreted == ("ok", ("StopIteration", "caught"))
    assert got == interpreted
