"""The pieces under the caches, against live objects: the offsets the hot
paths read, the shared-keys index a fill computes, cells' memory and
lifetime, and the shared routines as loaded in the engine."""

from __future__ import annotations

import ctypes
import gc
import math
import types

import pytest

import pyjit.jit as jit
from conftest import cells
from pyjit.cpython import cells as caches, layout
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
    keys = caches._shared_keys(Three)
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
        index = caches._key_index(keys, name)
        assert u64(values + 8 * index) == id(getattr(o, name))
    assert caches._key_index(keys, "missing") is None
    assert caches._shared_keys(int) == 0 and caches._shared_keys(types.SimpleNamespace) == 0


@pytest.mark.skipif(not layout.INLINE_VALUES, reason="3.13's inline values")
def test_a_managed_dict_without_inline_values_has_no_attribute_cache():
    """3.13 gives an int subclass's instances a managed dict but no inline
    values (nothing after the object to read): its attribute cells are not
    filled, and a load goes on missing."""
    class Sub(int):
        pass
    assert Sub.__flags__ & layout.TPFLAGS_MANAGED_DICT
    assert not Sub.__flags__ & layout.TPFLAGS_INLINE_VALUES
    assert caches._shared_keys(Sub) == 0
    o = Sub(5)
    o.x = 1
    cell = caches.AttrCell("x")
    assert caches.load_attr_fill(cell.address, o) == 1
    assert cell.keys() == [0] * cell.ENTRIES and cell.fills == 0


def test_version_tag_is_read_and_changes_with_the_type():
    class T:
        pass
    caches._lookup(T, "anything")           # assigns a version tag
    first = caches._version(T)
    assert first != 0 and first == ctypes.c_uint32.from_address(
        id(T) + layout.TYPE_TP_VERSION_TAG).value
    T.attr = 1
    assert caches._version(T) == 0
    caches._lookup(T, "anything")
    assert caches._version(T) not in (0, first)


def test_cells_are_zeroed_words_found_by_address():
    cell = caches.AttrCell("x")
    assert list(cell) == [0] * caches.AttrCell.WORDS and cell.address == cell.buffer_info()[0]
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
