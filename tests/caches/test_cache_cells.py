"""The pieces under the caches, against live objects: the offsets the hot
paths read, the shared-keys index a fill computes, cells' memory and
lifetime, and the shared routines as loaded in the engine."""

from __future__ import annotations

import builtins
import ctypes
import gc
import math
import sys
import types

import pytest

import pyjit.jit as jit
from conftest import cells
from pyjit.cpython import cache_fills as fills, cells as caches, layout
from pyjit.cpython import routines as cache_routines
from pyjit.runtime import entries, routines


def u64(address):
    return ctypes.c_uint64.from_address(address).value


class Three:
    def __init__(self):
        self.a, self.b, self.c = "A", "B", "C"


def get_b(o):
    return o.b


def test_module_dict_offset():
    assert u64(id(math) + layout.MODULE_MD_DICT) == id(vars(math))
    m = types.ModuleType("fresh")
    assert u64(id(m) + layout.MODULE_MD_DICT) == id(vars(m))


def test_shared_key_index_finds_the_values_slot():
    o = Three()
    keys = fills._shared_keys(Three)
    assert keys == u64(id(Three) + layout.HEAPTYPE_HT_CACHED_KEYS) != 0
    if layout.INLINE_VALUES:
        # 3.13: after the object, at its type's tp_basicsize
        values = id(o) + Three.__basicsize__ + layout.VALUES_ITEMS
    else:
        word = u64(id(o) + layout.OBJECT_VALUES)
        # 3.11: the values pointer; 3.12: values - VALUES_TAG, tagged
        values = word if layout.VALUES_TAG is None else word + layout.VALUES_TAG
        assert layout.VALUES_TAG is None or word & layout.VALUES_TAG
    for name in ("a", "b", "c"):
        index = fills._key_index(keys, name)
        assert u64(values + 8 * index) == id(getattr(o, name))
    assert fills._key_index(keys, "missing") is None
    assert fills._shared_keys(int) == 0 and fills._shared_keys(types.SimpleNamespace) == 0


@pytest.mark.skipif(not layout.INLINE_VALUES, reason="3.13's inline values")
def test_a_managed_dict_without_inline_values_has_no_attribute_cache():
    """3.13 gives an int subclass's instances a managed dict but no inline
    values (nothing after the object to read): its attribute cells are not
    filled, and a load goes on missing."""
    class Sub(int):
        pass
    assert Sub.__flags__ & layout.TPFLAGS_MANAGED_DICT
    assert not Sub.__flags__ & layout.TPFLAGS_INLINE_VALUES
    assert fills._shared_keys(Sub) == 0
    o = Sub(5)
    o.x = 1
    cell = caches.AttrCell("x")
    assert fills.load_attr_fill(cell.address, o) == 1
    assert cell.keys() == [0] * cell.ENTRIES and cell.fills == 0


def test_version_tag_is_read_and_changes_with_the_type():
    class T:
        pass
    fills._lookup(T, "anything")           # assigns a version tag
    first = fills._version(T)
    assert first != 0 and first == ctypes.c_uint32.from_address(
        id(T) + layout.TYPE_TP_VERSION_TAG).value
    T.attr = 1
    assert fills._version(T) == 0
    fills._lookup(T, "anything")
    assert fills._version(T) not in (0, first)


def test_cells_are_zeroed_words_found_by_address():
    name = "x"
    cell = caches.AttrCell(name)
    entries = caches.AttrCell.HINT // 8
    assert cell.words()[:entries] == [0] * entries
    assert cell.words()[entries:] == [caches.NO_HINT, id(name)]       # no hint yet, the name
    assert caches.cell_at(cell.address) is cell
    cell.put(caches.AttrCell.SLOT, 24)
    assert u64(cell.address + caches.AttrCell.SLOT) == 24 == cell.get(caches.AttrCell.SLOT)
    address = cell.address
    del cell
    gc.collect()
    with pytest.raises(LookupError):
        caches.cell_at(address)


def test_a_global_cell_names_its_dicts():
    import builtins
    cell = caches.GlobalCell("x", globals(), vars(builtins))
    assert cell.get(caches.GlobalCell.GLOBALS) == id(globals())
    assert cell.get(caches.GlobalCell.BUILTINS) == id(vars(builtins))
    assert cell.get(caches.GlobalCell.VALUE) == 0


def test_cells_live_as_long_as_the_compiled_code(compiled):
    compiled(get_b)
    assert get_b(Three()) == "B"
    cell, = cells(get_b, caches.AttrCell)
    assert cell.get(caches.AttrCell.SLOT) == 8
    address = cell.address
    del cell
    jit.force_uncompile(get_b)
    gc.collect()
    with pytest.raises(LookupError):
        caches.cell_at(address)


def test_routines_are_loaded_once_with_a_symbol_each(compiled):
    compiled(get_b)
    engine = jit.get_engine()
    loaded = routines._loaded[engine]
    routines.prepare_engine(engine)
    assert routines._loaded[engine] is loaded
    for name in cache_routines.ROUTINES:
        address = engine.symbol_address(name)
        assert loaded.address <= address < loaded.end
    assert engine.symbol_address(cache_routines.STACK_LIMIT_SYMBOL) == entries.stack_limit(engine)
    low = engine._stack_reservation.start
    assert low < entries.stack_limit(engine) < engine.stack_top


# -- fills are seen whole by other threads ---------------------------------------------
# Compiled code on another thread may run at any check point of a miss
# helper (where the interpreter switches threads), so no check point may lie
# between a fill's first store and its last: otherwise a reader takes a
# GlobalCell whose versions match with no value (a NULL result without an
# exception) or a key with another fill's words.  Traced here at every
# bytecode instruction of the fill, in every frame it runs.

def words_during(fill, cell) -> list[tuple]:
    """cell's words before every instruction fill runs, and after it."""
    seen = [tuple(cell.words())]

    def tracer(frame, event, arg):
        frame.f_trace_opcodes = True
        if event == "opcode":
            seen.append(tuple(cell.words()))
        return tracer

    sys.settrace(tracer)
    try:
        fill()
    finally:
        sys.settrace(None)
    seen.append(tuple(cell.words()))
    return seen


def split_entries(words: tuple, size: int) -> list[tuple]:
    return [words[i:i + size] for i in range(0, len(words) - len(words) % size, size)]


class Box:
    pass


def test_a_global_fill_is_one_store():
    namespace = {"x": Box()}
    cell = caches.GlobalCell("x", namespace, vars(builtins))
    for _ in range(2):
        seen = words_during(lambda: fills.load_global_fill(cell.address), cell)
        # The hint is a store of its own: every read of it checks it.
        seen = [words[:caches.GlobalCell.HINT // 8] for words in seen]
        assert set(seen) == {seen[0], seen[-1]} and seen[0] != seen[-1]
        assert cell.get(caches.GlobalCell.VALUE) == id(namespace["x"])
        namespace["x"] = Box()      # a new version: the next fill replaces all three words


def test_a_module_attribute_fill_is_one_store():
    module = types.ModuleType("m")
    module.x = Box()
    cell = caches.ModuleAttrCell("x")
    seen = words_during(lambda: fills._fill_module_attr(cell, module), cell)
    assert set(seen) == {seen[0], seen[-1]} and cell.get(caches.ModuleAttrCell.VALUE) == id(module.x)


def test_a_call_cell_entry_is_written_in_one_store():
    def f():
        pass

    def g():
        pass

    cell = caches.CallCell("site")
    size = caches.CallCell.ENTRY // 8
    for callee in (f, g, f):
        seen = words_during(lambda: caches.call_cell_fill(cell.address, callee, 0x1234), cell)
        first, last = split_entries(seen[0], size), split_entries(seen[-1], size)
        for words in seen:
            for i, entry in enumerate(split_entries(words, size)):
                assert entry in (first[i], last[i], (0,) * size), (i, entry)
    assert cell.get(cell.entry_of(id(f)) + caches.CallCell.TARGET) == 0x1234


def test_a_method_cell_and_its_call_cell_share_one_array():
    method, call = caches.method_call_cells("meth", "site:1")
    assert call.address == method.address + caches.METHOD_CALL_CELL
    assert caches.cell_at(method.address) is method and caches.cell_at(call.address) is call
    name_at = caches.MethodCell.NAME // 8
    assert method.words()[name_at] == id(method.name)
    assert method.words()[:name_at] + method.words()[name_at + 1:] == [0] * (caches.MethodCell.WORDS - 1)
    assert call.words() == [0] * caches.CallCell.WORDS
    call.put(caches.CallCell.MEGAMORPHIC, 7)
    method.put(caches.MethodCell.KEYS, 9)
    assert u64(call.address + caches.CallCell.MEGAMORPHIC) == 7
    assert u64(method.address + caches.MethodCell.KEYS) == 9
    assert method.words()[-1] == 0 and call.words()[0] == 0      # neither writes the other
    address = call.address
    del method
    gc.collect()
    assert caches.cell_at(address) is call and u64(address + caches.CallCell.MEGAMORPHIC) == 7
