"""Per-engine pools of dead one-digit ints and dead exact floats, for the
int and float routines.

Compiled code's arithmetic on small exact ints (int_routines.py:
`pyjit_int_add` and friends) needs a new int object for a result outside
the small-int cache, and every such int soon dies again in compiled code.
Both would be helper calls (PyNumber_Add, _Py_Dealloc).  Instead:

- `pyjit_dealloc`, which compiled code calls where it would call
  _Py_Dealloc, keeps an exact int with at most one digit (ob_size -1..1:
  CPython allocates at least one digit, so every such object has room for
  one) in the pool while the pool has room, and leaves everything else to
  Py_DecRef (routines.py says why not _Py_Dealloc);
- an int routine whose result has at most one digit takes an object from
  the pool and writes the result into it (ob_refcnt 1, ob_size, the digit).

A pooled object is memory CPython's allocator gave out for an int and that
nothing references; reused, it is an ordinary int again, which CPython
frees as usual when its count drops to zero outside compiled code.  The
pool is a block in host memory, read and written by the routines only:

    [count, capacity, slot 0, ..., slot capacity-1]      (8 bytes each)

`drain()` gives the pooled objects back to CPython's allocator
(PyObject_Free, the int type's tp_free); engines call it when they close.

Exact floats have a pool of their own (FloatPool, the same block and
protocol): `pyjit_dealloc` keeps every dead exact float (any value: a float
object is a fixed-size ob_fval) while that pool has room, and the float
routines (int_routines.py) take their results from it, writing ob_refcnt 1
and ob_fval (ob_type is float already).  PyObject_Free is the float type's
tp_free too; a pooled float is one CPython's float free list never sees.

Results a program keeps (stored in its objects, its globals) never come
back to a pool: a routine that finds its pool empty has it refilled by the
`pool_refill` helper (half a pool of new objects made at once, `refill`)
rather than calling the C-API function for its one result.
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import Exception, MemoryError, id, iter, len, range, slice
import ctypes
import weakref

from . import layout
from .helper_decl import python_helper

CAPACITY = 64
_ONE_DIGIT = 1 << 20              # above the cached small ints, below two digits

_free = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("PyObject_Free", ctypes.pythonapi))


class IntPool:
    """The pool block and the host side of its protocol."""

    COUNT, CAPACITY, SLOTS = 0, 8, 16        # byte offsets in the block (the routines
                                             # load count and capacity as one pair)

    def __init__(self, capacity: int | None = None):
        # (the module's CAPACITY: in the class body the name is the offset)
        capacity = CAPACITY if capacity is None else capacity
        self._block = (ctypes.c_uint64 * (2 + capacity))()
        self._block[1] = capacity
        _pools[self.address] = weakref.ref(self)

    @staticmethod
    def _make(n: int) -> list:
        return [_ONE_DIGIT + k for k in range(n)]         # n distinct new one-digit ints

    def refill(self) -> int:
        """Add new objects up to half the capacity; how many.  A routine
        that finds the pool empty has it refilled so (the pool_refill
        helper) instead of calling the C-API function for its one result:
        results a program keeps (stored in its objects or globals) are made
        by the batch, one helper call for half a pool.

        The objects are made first (allocations, calls: another thread may
        run compiled code meanwhile, which takes from and gives to the
        pool; a collection may run finalizers that do); then, with no check
        point at which another thread or a finalizer could run (no call, no
        allocation but of an int), the count is read again and, if nothing
        changed it, their addresses stored and the list that made them
        emptied (its size 0: the pool holds their references; the list
        frees its array only)."""
        block = self._block
        count = block[0]
        n = block[1] // 2 - count
        if n <= 0:
            return 0
        try:
            made = self._make(n)
            addresses = [id(obj) for obj in made]
            size = ctypes.c_ssize_t.from_address(id(made) + layout.LIST_OB_SIZE)
            where = slice(2 + count, 2 + count + n)
        except MemoryError:
            return 0
        if block[0] != count:
            return 0                          # changed meanwhile: made dies
        block[where] = addresses
        size.value = 0
        block[0] = count + n
        return n

    @property
    def address(self) -> int:
        return ctypes.addressof(self._block)

    @property
    def count(self) -> int:
        return self._block[0]

    def __del__(self, _Exception=Exception):
        # (Exception a default: at interpreter exit this module's globals,
        # ctypes' and the helpers' may be None already)
        try:
            self.drain()
        except _Exception:  # noqa: BLE001
            pass

    def drain(self) -> int:
        """Free every pooled object; how many there were."""
        n = self._block[0]
        for i in range(n):
            _free(self._block[2 + i])
        self._block[0] = 0
        return n


class FloatPool(IntPool):
    """The pool of dead exact floats: IntPool's block and protocol, its
    objects float objects (freed with PyObject_Free as well)."""

    @staticmethod
    def _make(n: int) -> list:
        return [k + 0.5 for k in range(n)]               # n distinct new floats


class RangePool(IntPool):
    """The pool of dead range iterators (no GC header: nothing to link),
    which `pyjit_range_iter` makes the iterator of a range of one-digit
    ints again (as fast_range_iter makes one), refilled with iterators of
    an empty range."""

    @staticmethod
    def _make(n: int) -> list:
        return [iter(_EMPTY_RANGE) for _ in range(n)]      # n distinct new iterators


_EMPTY_RANGE = range(0)


class IterPool(IntPool):
    """The pool of dead list iterators: IntPool's block and protocol, its
    objects list iterators that compiled code released (`pyjit_dealloc`:
    their list let go, still tracked by the collector, the pool holding
    their one reference), which `pyjit_get_iter` makes the iterator of an
    exact list again (index 0, the list held), where the interpreter would
    free one and allocate the next.  Not refilled: only iterators compiled
    code lets go come back.  `drain` lets go of the pool's references."""

    def refill(self) -> int:
        return 0

    def drain(self) -> int:
        n = self._block[0]
        for i in range(n):
            _decref(self._block[2 + i])     # the list iterator type's dealloc frees it
        self._block[0] = 0
        return n


_decref = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)(("Py_DecRef", ctypes.pythonapi))


_pools: dict[int, weakref.ref] = {}      # address of a pool's block -> the pool


@python_helper("pool_refill", ("ptr",), "int64", "none", room=True)
def pool_refill(address):
    """IntPool.refill of the pool at address (the int and float routines,
    when it is empty); how many objects it added (0: none could be made)."""
    ref = _pools.get(address)
    pool = ref() if ref is not None else None
    return pool.refill() if pool is not None else 0
