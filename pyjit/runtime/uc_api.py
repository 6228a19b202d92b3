"""Unicorn's C API, called with the GIL held: `Emulator`, one Unicorn instance.

The unicorn package's Python binding calls libunicorn through a ctypes CDLL,
which *releases* the GIL around every call.  Emulated code changes the
reference counts of objects other threads share, and the engine's contexts
are touched from more than one thread (a load drops stale translations in
every context), so pyjit never lets that happen: every call into libunicorn
goes through a PYFUNCTYPE prototype on the binding's library handle, which
keeps the GIL, exactly as the native engine enters compiled code.

Invariant: all calls into one Unicorn instance, from whichever thread,
are serialized by the GIL; the GIL is released only where the interpreter
releases it, inside helpers (Python code, C-API functions), never while
Unicorn's own code runs.  The one exception is Unicorn's timeout thread
(`emu_start(timeout_us=...)`), which Unicorn designed to call uc_emu_stop
concurrently.

Only the library handle, the constants and the callback types come from
the binding; its `Uc` class is not used.

Unicorn's timer and new instances
---------------------------------
The timeout thread polls `get_clock()`, which reads a process-wide flag
(qemu's `use_rt_clock`) that initializing *any* instance (`uc_init` ->
`machine_initialize` -> `init_get_clock`) sets to 0 and back to 1.  A timer
reading the clock in between takes the realtime clock for the monotonic one,
finds its limit long past, and stops its instance with `timed_out` set
(measured: about one deep nested call in 400 that made contexts under a 20 s
limit stopped so, with 19.98 s left; a loaded machine, which can preempt
the initializing thread inside that window, makes it likelier).  So no
instance is initialized while a timer of this process runs, when it can be
helped: `TIMERS` counts the emulations running with a timer (the engine
keeps it), `make_emulator` hands out a *spare* instance, initialized
earlier while none ran, when one does, and `keep_spares` makes spares while
none runs.  An instance made while a timer runs without a spare left is
counted in `INITS_UNDER_TIMER`; a stop it causes is named as such in the
fault (`Emulator.timed_out`, engine_faults.py).
"""

from __future__ import annotations

# Bound at import, not looked up at each call: compiled code runs this module
# and a program may rebind builtins.len and the like.
from builtins import BaseException, bool, len, range, sorted

import ctypes
from typing import Callable

from unicorn import UC_ARCH_ARM64, UC_MODE_ARM, UcError
from unicorn.arm64_const import (UC_ARM64_REG_CPACR_EL1, UC_ARM64_REG_LR, UC_ARM64_REG_PC,
                                 UC_ARM64_REG_SP, UC_ARM64_REG_X29)
from unicorn.unicorn_const import (UC_CTL_IO_WRITE, UC_CTL_TB_FLUSH,
                                   UC_CTL_TB_REMOVE_CACHE, UC_CTL_TCG_BUFFER_SIZE,
                                   UC_CTL_TLB_FLUSH, UC_CTL_TLB_TYPE, UC_CTL_UC_PAGE_SIZE,
                                   UC_QUERY_TIMEOUT, UC_TLB_VIRTUAL)
from unicorn.unicorn_py3.unicorn import HOOK_CODE_CFUNC, uclib

from ..cpython.tstate import quiet_entry
from .tlb_fill import FILL_CFUNC, TLB_PAGE

_P = ctypes.PYFUNCTYPE
_VP, _U64, _U32, _INT, _SIZE = (ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_int,
                                ctypes.c_size_t)


def _fn(name: str, restype, *argtypes):
    return _P(restype, *argtypes)((name, uclib))


_open = _fn("uc_open", _INT, _U32, _U32, ctypes.POINTER(_VP))
_close = _fn("uc_close", _INT, _VP)
_emu_start = _fn("uc_emu_start", _INT, _VP, _U64, _U64, _U64, _SIZE)
_emu_stop = _fn("uc_emu_stop", _INT, _VP)
_mem_map_ptr = _fn("uc_mem_map_ptr", _INT, _VP, _U64, _SIZE, _U32, _VP)
_mem_unmap = _fn("uc_mem_unmap", _INT, _VP, _U64, _SIZE)
_mem_protect = _fn("uc_mem_protect", _INT, _VP, _U64, _SIZE, _U32)
_mem_read = _fn("uc_mem_read", _INT, _VP, _U64, _VP, _SIZE)
_mem_regions = _fn("uc_mem_regions", _INT, _VP, ctypes.POINTER(_VP), ctypes.POINTER(_U32))
_query = _fn("uc_query", _INT, _VP, _INT, ctypes.POINTER(_SIZE))
_free = _fn("uc_free", _INT, _VP)
_reg_read = _fn("uc_reg_read", _INT, _VP, _INT, _VP)
_reg_write = _fn("uc_reg_write", _INT, _VP, _INT, _VP)
_hook_add = _fn("uc_hook_add", _INT, _VP, ctypes.POINTER(_SIZE), _INT, _VP, _VP, _U64, _U64)
_hook_del = _fn("uc_hook_del", _INT, _VP, _SIZE)
# uc_ctl is variadic; its arguments are passed as declared here (integer
# registers on the hosts Unicorn supports with this binding).
_ctl0 = _fn("uc_ctl", _INT, _VP, _INT)
_ctl_u32 = _fn("uc_ctl", _INT, _VP, _INT, _U32)
_ctl_u64x2 = _fn("uc_ctl", _INT, _VP, _INT, _U64, _U64)


def _ctl_code(ctl: int, op: int, nargs: int) -> int:
    """uc_ctl's control word (unicorn.h: UC_CTL macro)."""
    return (op << 30) | (nargs << 26) | ctl


_REMOVE_CACHE = _ctl_code(UC_CTL_TB_REMOVE_CACHE, UC_CTL_IO_WRITE, 2)
_FLUSH_TB = _ctl_code(UC_CTL_TB_FLUSH, UC_CTL_IO_WRITE, 0)
_TCG_BUFFER_SIZE = _ctl_code(UC_CTL_TCG_BUFFER_SIZE, UC_CTL_IO_WRITE, 1)
_PAGE_SIZE = _ctl_code(UC_CTL_UC_PAGE_SIZE, UC_CTL_IO_WRITE, 1)
_TLB_TYPE = _ctl_code(UC_CTL_TLB_TYPE, UC_CTL_IO_WRITE, 1)
_FLUSH_TLB = _ctl_code(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE, 0)

SP, PC, LR, FP = UC_ARM64_REG_SP, UC_ARM64_REG_PC, UC_ARM64_REG_LR, UC_ARM64_REG_X29
_QUERY_TIMEOUT = UC_QUERY_TIMEOUT

TIMERS = [0]               # emulations running with Unicorn's timer (module docstring)
INITS_UNDER_TIMER = [0]    # instances initialized while one ran, without a spare
_spares: dict[tuple[int, int], list[Emulator]] = {}    # (tcg_buffer_size, fpen) -> instances


# uc_emu_start(handle, begin, until, timeout_us, count) -> status, keeping the
# GIL: the engine's call path calls the prototype itself, so that no Python
# frame lies between the engine and its hooks.
emu_start = _emu_start


def _check(status: int) -> None:
    if status:
        raise UcError(status)


class Emulator:
    """An AArch64 Unicorn instance (`handle`), with the calls the engine
    makes, each keeping the GIL.  Hooks take ctypes callbacks the caller
    built (HOOK_CODE_CFUNC, tlb_fill.FILL_CFUNC); the emulator keeps them
    alive until the hook is deleted or the emulator closed.  `close()` is
    idempotent; nothing may be called after it."""

    def __init__(self, tcg_buffer_size: int, fpen: int, *, unless_timers: bool = False):
        """unless_timers: leave `handle` 0 (closed) rather than initialize
        the instance while a timer runs (module docstring)."""
        handle = _VP()
        self._callbacks: dict[int, object] = {}
        self.hook_kinds: dict[int, int] = {}      # hook handle -> UC_HOOK_* kind
        self._word = _U64()
        self._word_address = ctypes.addressof(self._word)
        self.handle = 0
        _check(_open(UC_ARCH_ARM64, UC_MODE_ARM, ctypes.byref(handle)))
        self.handle = handle.value
        try:
            # Unicorn reserves 1 GiB of host address space per instance for
            # translated code unless told otherwise (must come first).
            _check(_ctl_u32(self.handle, _TCG_BUFFER_SIZE, tcg_buffer_size))
            # 4 KiB pages and a TLB the engine's fill hooks fill (tlb_fill.py:
            # stores take Unicorn's fast path); before the instance initializes.
            _check(_ctl_u32(self.handle, _PAGE_SIZE, TLB_PAGE))
            _check(_ctl_u32(self.handle, _TLB_TYPE, UC_TLB_VIRTUAL))
            self._word.value = fpen
            if unless_timers and TIMERS[0]:
                self.close()
                return
            # The first register write initializes the instance; no check
            # point lies between the test above and this call.
            _check(_reg_write(self.handle, UC_ARM64_REG_CPACR_EL1, self._word_address))
        except BaseException:           # an error, or a signal handler: no instance leaks
            self.close()
            raise

    # -- running ---------------------------------------------------------------------
    def emu_start(self, begin: int, until: int, timeout_us: int = 0) -> int:
        """Run from begin until pc == until; returns Unicorn's status (0 when
        the run ended at until or was stopped)."""
        return _emu_start(self.handle, begin, until, timeout_us, 0)

    def emu_stop(self) -> None:
        _emu_stop(self.handle)

    def timed_out(self) -> bool:
        """Whether Unicorn's timer stopped the last emulation."""
        result = _SIZE()
        _check(_query(self.handle, _QUERY_TIMEOUT, ctypes.byref(result)))
        return bool(result.value)

    # -- memory ------------------------------------------------------------------------
    def mem_map_ptr(self, address: int, size: int, perms: int, host: int) -> None:
        _check(_mem_map_ptr(self.handle, address, size, perms, host))

    def mem_unmap(self, address: int, size: int) -> None:
        _check(_mem_unmap(self.handle, address, size))

    def mem_protect(self, address: int, size: int, perms: int) -> None:
        _check(_mem_protect(self.handle, address, size, perms))

    def mem_read(self, address: int, size: int) -> bytes:
        buf = ctypes.create_string_buffer(size)
        _check(_mem_read(self.handle, address, ctypes.addressof(buf), size))
        return buf.raw

    def mem_regions(self) -> list[tuple[int, int, int]]:
        """Every mapped region as (start, end exclusive, perms), by address."""
        array, count = _VP(), _U32()
        _check(_mem_regions(self.handle, ctypes.byref(array), ctypes.byref(count)))
        try:
            # struct uc_mem_region { uint64_t begin, end (inclusive); uint32_t perms; }
            regions = []
            for i in range(count.value):
                at = array.value + 24 * i
                regions.append((_U64.from_address(at).value, _U64.from_address(at + 8).value + 1,
                                _U32.from_address(at + 16).value))
            return sorted(regions)
        finally:
            if array.value:
                _free(array.value)

    # -- registers -----------------------------------------------------------------------
    def reg_read(self, reg: int) -> int:
        _check(_reg_read(self.handle, reg, self._word_address))
        return self._word.value

    def reg_write(self, reg: int, value: int) -> None:
        self._word.value = value
        _check(_reg_write(self.handle, reg, self._word_address))

    # -- hooks and translations ------------------------------------------------------------
    def hook_add(self, htype: int, callback, begin: int = 1, end: int = 0,
                 user_data: int | None = None) -> int:
        """Add a hook calling the ctypes callback (or the machine code at
        an address, given user_data) for [begin, end] (begin > end:
        everywhere); returns its handle."""
        h = _SIZE()
        _check(_hook_add(self.handle, ctypes.byref(h), htype,
                         ctypes.cast(callback, _VP), user_data, begin, end))
        self._callbacks[h.value] = callback
        self.hook_kinds[h.value] = htype
        return h.value

    def hook_del(self, hook: int) -> None:
        _check(_hook_del(self.handle, hook))
        del self._callbacks[hook], self.hook_kinds[hook]

    def remove_cache(self, begin: int, end: int) -> None:
        """Drop the translations of code in [begin, end)."""
        _check(_ctl_u64x2(self.handle, _REMOVE_CACHE, begin, end))

    def flush_tlb(self) -> None:
        """Drop every TLB entry (after a change of a page's permissions:
        tlb_fill.py)."""
        _check(_ctl0(self.handle, _FLUSH_TLB))

    def flush_tb(self) -> None:
        """Drop every translation (never while this instance emulates)."""
        _check(_ctl0(self.handle, _FLUSH_TB))

    def close(self) -> None:
        if self.handle:
            handle, self.handle = self.handle, 0
            _close(handle)
            self._callbacks.clear()
            self.hook_kinds.clear()


# Hooks call emu_stop outside any try: no signal handler may run on entering it.
quiet_entry(Emulator.emu_stop)


def make_emulator(tcg_buffer_size: int, fpen: int) -> Emulator:
    """A new instance: while a timer of this process runs, a spare if there
    is one (module docstring)."""
    if TIMERS[0]:
        spares = _spares.get((tcg_buffer_size, fpen))
        if spares:
            return spares.pop()
        INITS_UNDER_TIMER[0] += 1
    return Emulator(tcg_buffer_size, fpen)


def keep_spares(tcg_buffer_size: int, fpen: int, n: int) -> None:
    """Make spare instances until there are n, while no timer runs."""
    spares = _spares.setdefault((tcg_buffer_size, fpen), [])
    while len(spares) < n and not TIMERS[0]:
        emu = Emulator(tcg_buffer_size, fpen, unless_timers=True)
        if not emu.handle:
            return
        spares.append(emu)


def spare_count(tcg_buffer_size: int, fpen: int) -> int:
    return len(_spares.get((tcg_buffer_size, fpen), ()))


def code_hook(callback: Callable[[int, int, int, int], None]):
    """A ctypes callback for UC_HOOK_CODE / UC_HOOK_BLOCK calling
    callback(handle, address, size, user_data) (keep it alive)."""
    return HOOK_CODE_CFUNC(callback)


def fill_hook(callback: Callable[[int, int, int, object, int], bool]):
    """A ctypes callback for UC_HOOK_TLB_FILL calling callback(handle,
    address, access, entry, user_data) -> filled (keep it alive)."""
    return FILL_CFUNC(callback)
