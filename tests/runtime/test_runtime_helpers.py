"""Helper declarations and their raw bindings (no emulator involved).

Reference counts are checked for every kind of helper: the raw callable
must behave exactly as the C function would for C code (new reference
results, borrowed arguments, stolen arguments, failure with the exception
pending and no reference left behind)."""

from __future__ import annotations

import ctypes
import opcode
import sys

import pytest

from pyjit.cpython import errstate
from pyjit.runtime.faults import EmulationFault
from pyjit.runtime.helper_binding import bind
from pyjit.cpython.helpers import (BINARY_OP_HELPERS, HELPERS, NULL, Helper, declare,
                                   python_helper, register)

from runtime_support import RC_EXTRA, py_decref, refcount_at

rc = sys.getrefcount


def take(address: int):
    """The object at address, taking over the reference the caller owns."""
    obj = __import__("_ctypes").PyObj_FromPtr(address)
    py_decref(address)
    return obj


# Test helpers, declared once for the whole run (the registry is global).
@python_helper("test_py_pair", ("obj", "obj"), "obj", "null")
def _py_pair(a, b):
    return (a, b)


@python_helper("test_py_steal", ("obj", "obj_or_null"), "int", "minus_one", steals=(0,))
def _py_steal(a, b):
    if b is NULL:
        raise ValueError("b is NULL")
    return 7


@python_helper("test_py_never_fails", ("obj",), "void", "none")
def _py_never_fails(a):
    raise RuntimeError("broken helper")


@python_helper("test_py_double", ("double", "int64", "double"), "double", "minus_one")
def _py_double(x, n, y):
    return x * n + y


@python_helper("test_py_bad_result", (), "int", "minus_one")
def _py_bad_result():
    return "not an int"


def test_registry_rejects_duplicates():
    with pytest.raises(ValueError, match="declared twice"):
        declare("PyNumber_Add", ("obj", "obj"), "obj", "null")
    with pytest.raises(ValueError, match="declared twice"):
        register(HELPERS["PyObject_GetAttr"])


@pytest.mark.parametrize("kwargs, message", [
    (dict(args=("object",), result="obj", failure="null"), "argument kind"),
    (dict(args=("obj",), result="thing", failure="null"), "result kind"),
    (dict(args=("obj",), result="obj", failure="minus_one"), "does not go with"),
    (dict(args=("obj",), result="void", failure="null"), "does not go with"),
    (dict(args=("int64",), result="obj", failure="null", steals=(0,)), "not an object"),
    (dict(args=("obj",), result="obj", failure="null", steals=(1,)), "not an object"),
    (dict(args=("obj",) * 9, result="obj", failure="null"), "more than 8"),
    (dict(args=("obj",), result="obj", failure="null", impl="PyNoSuchFunction"), "no function"),
])
def test_declarations_are_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Helper("test_invalid", **kwargs)
    assert "test_invalid" not in HELPERS


def test_every_c_helper_exists_and_names_are_symbols():
    for name, helper in HELPERS.items():
        assert helper.name == name and name.isidentifier()
        if helper.is_c:
            assert hasattr(ctypes.pythonapi, helper.impl), name


def _interpreter_result(symbol: str, a, b):
    env = {"a": a, "b": b}
    try:
        exec(f"a {symbol} b" if symbol.endswith("=") else f"a = a {symbol} b", env)
    except Exception as exc:
        return type(exc)
    return env["a"]


@pytest.mark.parametrize("a, b", [(7, 3), (2.5, 0.5), ([1], [2]), ({1}, {2}), (1, 0)])
def test_binary_op_table_matches_the_interpreter(a, b):
    # (3.14's NB_SUBSCR is a subscript, built as BinarySubscr: no operator)
    operators = [(nb, symbol) for nb, symbol in opcode._nb_ops if nb != "NB_SUBSCR"]
    assert len(BINARY_OP_HELPERS) == len(operators)
    for nb, symbol in operators:
        helper = BINARY_OP_HELPERS[nb.removeprefix("NB_")]
        x = list(a) if isinstance(a, list) else set(a) if isinstance(a, set) else a
        expected = _interpreter_result(symbol, x, b)
        x = list(a) if isinstance(a, list) else set(a) if isinstance(a, set) else a
        address = bind(HELPERS[helper])(id(x), id(b))
        got = take(address) if address else type(errstate.take_pending())
        assert got == expected, (nb, symbol, a, b)
    assert HELPERS[BINARY_OP_HELPERS["ADD"]].impl == "PyNumber_Add"


def test_registers_follow_aapcs64():
    h = HELPERS["test_py_double"]
    assert h.registers() == ("d0", "x0", "d1")
    assert HELPERS["PyObject_Vectorcall"].registers() == ("x0", "x1", "x2", "x3")


# -- reference counts, kind by kind --------------------------------------------

def test_c_new_reference_result_borrowed_args():
    a, b = 10**40, 10**41
    ra, rb = rc(a), rc(b)
    address = bind(HELPERS["PyNumber_Add"])(id(a), id(b))
    assert refcount_at(address) == 1                   # the caller's reference only
    result = take(address)
    assert result == a + b and rc(result) == 1 + RC_EXTRA
    assert (rc(a), rc(b)) == (ra, rb)


def test_c_failure_sets_pending_and_returns_null():
    a, b = 10**40, "text"
    ra, rb = rc(a), rc(b)
    assert bind(HELPERS["PyNumber_Add"])(id(a), id(b)) == 0
    exc = errstate.take_pending()
    assert isinstance(exc, TypeError) and exc.__traceback__ is None
    del exc
    assert (rc(a), rc(b)) == (ra, rb)


def test_c_int_result_and_minus_one():
    d = {}
    key, value = "k" + str(id(d)), 10**30
    rk, rv = rc(key), rc(value)
    set_item = bind(HELPERS["PyObject_SetItem"])
    assert set_item(id(d), id(key), id(value)) == 0
    # (refcounts are read outside assert expressions: pytest's assertion
    # rewriting keeps sub-expression values alive)
    n = rc(value)
    assert d[key] is value and n == rv + 1
    assert set_item(id(d), id([]), id(value)) == -1  # unhashable key
    assert isinstance(errstate.take_pending(), TypeError)
    del d
    assert (rc(key), rc(value)) == (rk, rv)
    assert bind(HELPERS["PyObject_IsTrue"])(id([])) == 0
    assert bind(HELPERS["PyObject_IsTrue"])(id([0])) == 1


def test_c_steals_argument():
    item = 10**50
    r = rc(item)
    tup = take(bind(HELPERS["PyTuple_New"])(1))
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(item))  # the reference to give away
    assert rc(item) == r + 1
    assert bind(HELPERS["PyTuple_SetItem"])(id(tup), 0, id(item)) == 0
    n = rc(item)
    assert n == r + 1 and tup[0] is item      # now owned by the tuple
    del tup
    assert rc(item) == r


def test_c_double_and_void():
    x = 2.75
    assert bind(HELPERS["PyFloat_AsDouble"])(id(x)) == 2.75
    assert bind(HELPERS["PyFloat_AsDouble"])(id("s")) == -1.0
    assert isinstance(errstate.take_pending(), TypeError)
    f = take(bind(HELPERS["PyFloat_FromDouble"])(1.25))
    assert f == 1.25 and rc(f) == 1 + RC_EXTRA
    obj = object()
    r = rc(obj)
    assert bind(HELPERS["Py_IncRef"])(id(obj)) == 0
    assert rc(obj) == r + 1
    bind(HELPERS["Py_DecRef"])(id(obj))
    assert rc(obj) == r


def test_python_new_reference_result():
    a, b = object(), object()
    ra, rb = rc(a), rc(b)
    address = bind(HELPERS["test_py_pair"])(id(a), id(b))
    assert refcount_at(address) == 1
    pair = take(address)
    assert pair == (a, b) and rc(pair) == 1 + RC_EXTRA
    del pair
    assert (rc(a), rc(b)) == (ra, rb)


def test_python_steals_on_success_and_on_failure():
    a = object()
    r = rc(a)
    raw = bind(HELPERS["test_py_steal"])
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(a))   # the reference it steals
    assert raw(id(a), id(a)) == 7
    assert rc(a) == r
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(a))
    assert raw(id(a), 0) == -1
    exc = errstate.take_pending()
    assert isinstance(exc, ValueError) and str(exc) == "b is NULL"
    # The traceback starts in the implementation, not in the binding.
    assert exc.__traceback__.tb_frame.f_code.co_name == "_py_steal"
    del exc                   # its traceback's frame refers to a
    assert rc(a) == r


def test_python_failure_drops_temporary_references():
    a = object()
    r = rc(a)
    assert bind(HELPERS["number_power"])(id(a), id(a)) == 0
    # The helper's finished frames are cleared: the pending exception's
    # traceback does not keep the arguments alive.
    assert rc(a) == r
    exc = errstate.take_pending()
    assert isinstance(exc, TypeError)
    # pyjit's own frames (the binding, the implementation) are not in it.
    assert exc.__traceback__ is None
    del exc
    assert rc(a) == r


def test_python_numbers():
    assert bind(HELPERS["test_py_double"])(1.5, -2, 0.25) == -2.75


def test_contract_violations_abort():
    with pytest.raises(EmulationFault, match="cannot fail but raised"):
        bind(HELPERS["test_py_never_fails"])(id(1))
    with pytest.raises(EmulationFault, match="bad result"):
        bind(HELPERS["test_py_bad_result"])()
    assert errstate.pending() is None


def test_python_helpers_semantics():
    g = {"present": 1.5}
    builtins_ = {"len": len}
    load = bind(HELPERS["load_global"])
    name = "present"
    assert take(load(id(g), id(builtins_), id(name))) == 1.5
    assert take(load(id(g), id(builtins_), id("len"))) is len
    assert load(id(g), id(builtins_), id("missing")) == 0
    exc = errstate.take_pending()
    assert isinstance(exc, NameError) and str(exc) == "name 'missing' is not defined"

    raise_ = bind(HELPERS["raise_exception"])
    assert raise_(id(KeyError), id(None)) == -1
    exc = errstate.take_pending()
    assert type(exc) is KeyError and exc.__cause__ is None and exc.__suppress_context__
    assert raise_(id(42), 0) == -1
    assert "must derive from BaseException" in str(errstate.take_pending())

    values = (1, "a", 2.5)
    array = (ctypes.c_uint64 * 3)(*map(id, values))
    assert take(bind(HELPERS["build_tuple"])(ctypes.addressof(array), 3)) == values
    assert take(bind(HELPERS["build_list"])(ctypes.addressof(array), 3)) == list(values)
    assert take(bind(HELPERS["build_map"])(ctypes.addressof(array), 1)) == {1: "a"}
    spec = ">6"
    assert take(bind(HELPERS["format_value"])(id(2.5), id(spec), 2)) == "   2.5"

    out = (ctypes.c_uint64 * 2)()
    seq = [10**20, 10**21]
    before = [rc(x) for x in seq]
    assert bind(HELPERS["unpack_sequence"])(id(seq), 2, ctypes.addressof(out)) == 0
    assert [rc(x) for x in seq] == [n + 1 for n in before]
    items = [take(a) for a in out]
    assert items == seq
    del items
    assert [rc(x) for x in seq] == before
    assert bind(HELPERS["unpack_sequence"])(id(seq), 3, ctypes.addressof(out)) == -1
    assert "expected 3, got 2" in str(errstate.take_pending())


def test_err_helpers_read_the_pending_exception():
    occurred = bind(HELPERS["err_occurred"])
    assert occurred() == 0
    errstate.set_pending(KeyError("k"))
    assert occurred() == id(KeyError)
    assert bind(HELPERS["err_matches"])(id(LookupError)) == 1
    assert bind(HELPERS["err_matches"])(id(ValueError)) == 0
    bind(HELPERS["err_clear"])()
    assert errstate.pending() is None
    errstate.set_pending(StopIteration())
    assert bind(HELPERS["err_stop_iteration_clear"])() == 0 and errstate.pending() is None


def test_raise_pending_without_exception_is_system_error():
    with pytest.raises(SystemError, match="without setting an exception"):
        errstate.raise_pending()
