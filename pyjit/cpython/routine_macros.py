"""The macros of the shared routines' source: a line `    @name a, b, ...`
of a routine's text is replaced by the fragment `MACROS[name](a, b, ...)`
returns (`expand`).  Each fragment says which registers it uses; the
version-specific ones come from the version's `objects` and from
`dict_fragments`.
"""

from __future__ import annotations

from . import dict_fragments, dict_versions, layout, objects
from .cells import MethodCell, ModuleAttrCell

def _small_ints(a: str, b: str, value_a: str, value_b: str, fail: str, int_type: str,
                tmp: str, not_ints: str | None = None) -> str:
    """The values of a and b into value_a and value_b when both are exact
    ints of at most one digit, else go to fail (to not_ints, when given,
    if either is not an exact int); uses int_type and tmp, and x12, x13 for
    the sizes."""
    checks = "".join(f"    ldr {tmp}, [{obj}, #{layout.OB_TYPE}]\n"
                     f"    cmp {tmp}, {int_type}\n"
                     f"    b.ne {not_ints or fail}\n" for obj in (a, b))
    return (f"    ldr {int_type}, lit_long_type\n" + checks
            + objects.one_digit_checks([(a, "x12"), (b, "x13")], tmp, fail)
            + objects.one_digit_values([(a, "x12", value_a), (b, "x13", value_b)]))


def _type_entry(name: str, end: str, entry: str) -> str:
    """The entry of a polymorphic cell (x0) whose type is obj's (x1), its
    address in x17, with the type in x9, the entry's version checked against
    the type's tp_version_tag; `{name}_miss` when there is none.  Uses
    x10-x12 and x16."""
    return f"""\
    ldr x9, [x1, #{layout.OB_TYPE}]
    mov x17, x0
    add x16, x0, #{end}
{name}_next:
    ldp x10, x11, [x17]                   // type, version
    cmp x9, x10
    b.eq {name}_type
    add x17, x17, #{entry}
    cmp x17, x16
    b.ne {name}_next
    b {name}_miss
{name}_type:                              // the type is in no other entry
    ldr w12, [x9, #{layout.TYPE_TP_VERSION_TAG}]
    cmp x12, x11
    b.ne {name}_miss
"""


def _method_entry(name: str, with_dict: str) -> str:
    """The entry of the MethodCell in x0 for obj (x1): its address in x17,
    the type in x9 (_type_entry), when the method it names is obj's: the
    type has no shared keys to check (the entry's keys check 0), or obj has
    no dict of its own and the type's shared keys are as they were
    (dk_nentries + 1 equal to the check); `with_dict` when obj has a dict
    of its own, `{name}_miss` when there is no entry or the keys changed.
    Falls through to the method found.  Uses x10-x14 and x16."""
    C = MethodCell
    return (_type_entry(name, str(C.ENTRY * C.ENTRIES), str(C.ENTRY))
            + f"    ldr x13, [x17, #{C.KEYS}]            // 0: no instance dict to look at\n"
            + f"    cbz x13, {name}_found\n"
            + objects.no_instance_dict("x1", "x14", with_dict)
            + f"    ldr x14, [x9, #{layout.HEAPTYPE_HT_CACHED_KEYS}]\n"
            + f"    ldr x14, [x14, #{layout.KEYS_DK_NENTRIES}]\n"
            + "    add x14, x14, #1\n"
            + "    cmp x14, x13\n"
            + f"    b.ne {name}_miss\n")


def _module_value(name: str, dst: str) -> str:
    """The value a ModuleAttrCell (x0) caches for module x1 into dst (not
    increfed), when x1 is an exact module whose dict has the cell's version;
    else `{name}_miss`.  Uses x9-x12."""
    return f"""\
    ldr x9, [x1, #{layout.OB_TYPE}]
    ldr x10, lit_module_type
    cmp x9, x10
    b.ne {name}_miss
    ldr x11, [x1, #{layout.MODULE_MD_DICT}]
    cbz x11, {name}_miss
    ldr x11, [x11, #{dict_versions.VERSION}]
    ldr x12, [x0, #{ModuleAttrCell.VERSION}]
    cmp x11, x12
    b.ne {name}_miss
    ldr {dst}, [x0, #{ModuleAttrCell.VALUE}]
"""


def _int_value(obj: str, size: str, tmp: str, value: str, fail: str) -> str:
    """value = the exact int obj when it has at most one digit, else go
    to fail; uses size and tmp."""
    return (objects.one_digit_checks([(obj, size)], tmp, fail)
            + objects.one_digit_values([(obj, size, value)]))


def _one_digit_int(obj: str, size: str, tmp: str, fail: str) -> str:
    """Go to fail unless the int obj has at most one digit."""
    return objects.one_digit_checks([(obj, size)], tmp, fail)


MACROS = {
    "incref": objects.incref,
    "decref": objects.decref,
    "decref_call": lambda obj, tmp, fn: objects.decref(obj, tmp, fn, call=True),
    "small_ints": _small_ints,
    "type_entry": _type_entry,
    "method_entry": _method_entry,
    "module_value": _module_value,
    "one_digit_int": _one_digit_int,
    "refcount_is_one": objects.refcount_is_one,
    "int_value": _int_value,
    "instance_values": objects.instance_values,
    "add_to_insertion_order": objects.add_to_insertion_order,
    "no_dict_sharing_values": objects.no_dict_sharing_values,
    "range_iter_next": objects.range_iter_next,
    "range_iter_advance": objects.range_iter_advance,
    "no_instance_dict": objects.no_instance_dict,
    "instance_dict": objects.instance_dict,
    "dict_hint_value": lambda d, hint, dst, miss: dict_fragments.dict_hint_value(
        d, int(hint), dst, miss),
    "dict_hint_entry": lambda d, hint, dst, miss: dict_fragments.dict_hint_entry(
        d, int(hint), dst, miss),
    "dict_store_version": dict_fragments.dict_store_version,
    "dict_lacks": lambda d, name, fail, absent: dict_fragments.dict_lacks(
        d, int(name), fail, absent),
    "init_one_digit": objects.init_one_digit,
    "set_one_digit": lambda obj, value, magnitude, tmp: objects.init_one_digit(
        obj, value, magnitude, tmp, count=False),
    "enter_recursive_call": objects.enter_recursive_call,
    "leave_recursive_call": objects.leave_recursive_call,
    "take_eval_breaker": objects.take_eval_breaker,
}


def expand(text: str) -> str:
    """text with every macro line replaced by its fragment."""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("@"):
            name, _, args = stripped[1:].partition(" ")
            try:
                macro = MACROS[name]
            except KeyError:
                raise ValueError(f"unknown routine macro @{name}") from None
            out.append(macro(*(a.strip() for a in args.split(",") if args.strip())))
        else:
            out.append(line)
    return "".join(out)
