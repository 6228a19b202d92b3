"""Python helpers of generator and coroutine bodies (hir/ops_gen.py), over
generators.py's semantics; conventions are helper_decl.py's, `out`
arguments as in helper_ops.py."""

from __future__ import annotations

from . import errstate, generators
from .helper_decl import python_helper
from .helper_impls import addresses, put


@python_helper("gen_throw", ("obj",), "int", "minus_one")
def gen_throw(exc):
    """GenThrow: exc, thrown in at the suspension point, is pending with
    its own traceback, chained to the generator's own handled exception
    only (the top exception-stack item: the generator's, pushed by its
    driver)."""
    errstate.set_pending(generators.chain_thrown(exc, generators.own_handled()))
    return -1


@python_helper("iter_throw", ("obj", "obj", "ptr"), "int", "minus_one")
def iter_throw(inner, exc, out):
    """IterThrow: as PyIter_Send, 0 (returned) or 1 (yielded) with the
    value in out[0]; what it raises is chained to the generator's own
    handled exception (the top exception-stack item)."""
    done, value = generators.delegate_throw(inner, exc, generators.own_handled)
    put(addresses(out, 1), 0, value)
    return 0 if done else 1


python_helper("get_awaitable", ("obj", "int64"), "obj", "null")(generators.get_awaitable)
python_helper("get_yield_from_iter", ("obj", "int64"), "obj", "null")(
    generators.get_yield_from_iter)
python_helper("get_aiter", ("obj",), "obj", "null")(generators.get_aiter)
python_helper("get_anext", ("obj",), "obj", "null")(generators.get_anext)
python_helper("async_gen_wrap", ("obj",), "obj", "null")(generators.async_gen_wrap)
