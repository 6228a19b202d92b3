"""Hypothesis-generated programs: arithmetic on ints and floats, branches,
loops with break/continue, lists, tuples, f-strings, calls, ``del``,
comprehensions (inlined by 3.12, over names of the function) and
try/except/finally, compiled from source text with
``compile``/``exec`` and run by CPython and by the HIR interpreter after the
default pipeline (and after the float specialization pipeline), with a
clean ownership ledger.

Assignments reduce their value ``% 9973`` so loops cannot grow numbers
without bound; division by zero, type errors and unbound locals can still
happen and are compared by exception type.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hir_support import (
    compile_fn, function_from_source, interpreted_generator_function,
    requires_builder, run_both, same_value,
)

pytestmark = requires_builder

LOCALS = ("x0", "x1", "x2")
PRELUDE = '''
def helper(v, w=1):
    return v - w

def pick(seq, i):
    return seq[i % len(seq)] if seq else 0
'''


def expressions(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    atoms = st.one_of(
        st.sampled_from(names),
        st.integers(-5, 20).map(str),
        st.floats(-4, 4, allow_nan=False).map(lambda f: repr(round(f, 2))),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        arith = st.tuples(inner, st.sampled_from(["+", "-", "*", "//", "%", "/"]), inner)
        bitwise = st.tuples(inner, st.sampled_from(["&", "|", "^"]), inner)
        return st.one_of(
            arith.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            bitwise.map(lambda t: f"(int({t[0]}) {t[1]} {t[2]})"),  # a float right operand: TypeError
            inner.map(lambda e: f"(-{e})"),
            inner.map(lambda e: f"(int({e}) << 2)"),
            inner.map(lambda e: f"(int({e}) >> 1)"),
            st.tuples(inner, inner).map(lambda t: f"abs({t[0]} - {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"helper({t[0]}, w={t[1]})"),
            st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} > {t[2]} else {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})[1]"),
            inner.map(lambda e: f"pick(lst, {e})"),
        )

    return st.recursive(atoms, extend, max_leaves=6)


EXPR = expressions(("a", "b") + LOCALS)
COMPARISON = st.tuples(EXPR, st.sampled_from(["<", "<=", "==", "!=", ">"]), EXPR).map(
    lambda t: f"{t[0]} {t[1]} {t[2]}")
CONDITION = st.one_of(
    COMPARISON,
    st.tuples(COMPARISON, st.sampled_from(["and", "or"]), COMPARISON).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    COMPARISON.map(lambda c: f"not ({c})"),
    EXPR.map(lambda e: f"{e} in lst"),
)
TARGET = st.sampled_from(LOCALS + ("y",))


def indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


@st.composite
def statements(draw, depth: int = 0, in_loop: bool = False, gen: bool = False) -> list[str]:
    kinds = ["assign", "augment", "append", "unpack", "subscript", "text", "delete",
             "comprehension"]
    if gen:
        kinds += ["yield", "yield", "yield_in_call"]
    if depth < 2:
        kinds += ["if", "for", "while", "try", "finally"]
    if in_loop:
        kinds += ["break", "continue"]
    kind = draw(st.sampled_from(kinds))
    if kind == "assign":
        return [f"{draw(TARGET)} = ({draw(EXPR)}) % 9973"]
    if kind == "yield":
        return [f"{draw(TARGET)} = ((yield {draw(EXPR)}) or 0) % 9973"]
    if kind == "yield_in_call":
        return [f"{draw(TARGET)} = helper({draw(EXPR)}, w=(yield {draw(EXPR)}) or 1) % 9973"]
    if kind == "augment":
        target = draw(st.sampled_from(LOCALS))
        return [f"{target} += {draw(EXPR)}", f"{target} %= 9973"]
    if kind == "append":
        return [f"lst.append({draw(EXPR)} % 97)"]
    if kind == "unpack":
        a, b = draw(st.permutations(LOCALS))[:2]
        return [f"{a}, {b} = ({draw(EXPR)}) % 97, {a}"]
    if kind == "subscript":
        return [f"{draw(TARGET)} = [{draw(EXPR)}, {draw(EXPR)}, 7][{draw(st.integers(-3, 2))}]"]
    if kind == "text":
        return [f"txt = f'{{txt}}{{{draw(EXPR)}!r}}'[-12:]"]
    if kind == "delete":
        return ["y = 0", "del y"] if draw(st.booleans()) else ["del y"]
    if kind == "comprehension":
        # Its variable may be a local of f, bound or not (3.12 inlines the
        # comprehension and saves and restores that local around it; up to
        # 3.11 it is the nested function's own), and its element may raise.
        var = draw(st.sampled_from(LOCALS + ("y", "c")))
        iterable = draw(st.sampled_from(["lst", "range(3)", "(a, b)", "lst[1:]"]))
        element = draw(EXPR)
        form = draw(st.sampled_from(["[{e} for {v} in {s}{c}]", "{{{e} for {v} in {s}{c}}}",
                                     "{{{v}: {e} for {v} in {s}{c}}}"]))
        condition = f" if {draw(CONDITION)}" if draw(st.booleans()) else ""
        comprehension = form.format(e=element, v=var, s=iterable, c=condition)
        return [f"{draw(TARGET)} = len({comprehension}) % 9973"]
    if kind in ("break", "continue"):
        return [f"if {draw(CONDITION)}:", f"    {kind}"]
    loop = kind in ("for", "while")
    body = draw(blocks(depth + 1, in_loop or loop, gen))
    if kind == "if":
        other = draw(blocks(depth + 1, in_loop, gen))
        return [f"if {draw(CONDITION)}:", *indent(body), f"elif {draw(CONDITION)}:", "    x2 += 1",
                "else:", *indent(other)]
    if kind == "for":
        iterable = draw(st.sampled_from(["range(3)", "range(a % 4)", "lst[:3]", "(1, 2.5)"]))
        return [f"for i{depth} in {iterable}:", *indent(body)]
    if kind == "while":
        counter = f"n{depth}_{draw(st.integers(0, 99))}"
        return [f"{counter} = 0", f"while {counter} < 3:", f"    {counter} += 1", *indent(body)]
    if kind == "finally":
        return ["try:", *indent(body), "finally:", "    x2 += 1"]
    return ["try:", *indent(body), "except ZeroDivisionError:", "    x0 = -1",
            "except (TypeError, UnboundLocalError):", "    x1 = -2"]


@st.composite
def blocks(draw, depth: int = 0, in_loop: bool = False, gen: bool = False) -> list[str]:
    count = draw(st.integers(1, 3 if depth else 5))
    lines: list[str] = []
    for _ in range(count):
        lines += draw(statements(depth, in_loop, gen))
    return lines


@st.composite
def programs(draw, gen: bool = False) -> str:
    body = ["lst = []", "txt = ''", "x0, x1, x2 = a, b, 1", *draw(blocks(gen=gen))]
    if gen:     # a generator even when the blocks drew no yield
        body.append("x1 = ((yield x0) or 0) % 9973")
    returned = draw(st.sampled_from(["(x0, x1, x2, lst, txt)", "(x0, y)", "x2 + len(lst)"]))
    return PRELUDE + "\ndef f(a, b):\n" + "\n".join(indent(body + [f"return {returned}"])) + "\n"


NUMBERS = st.one_of(st.integers(-20, 50), st.floats(-8, 8, allow_nan=False, allow_infinity=False))
PIPELINES = [None, ("specialize-float", "guard-elimination", "simplify", "dce", "refcount-insertion")]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs(), args=st.lists(st.tuples(NUMBERS, NUMBERS), min_size=1, max_size=3),
       pipeline=st.sampled_from(PIPELINES))
def test_generated_program(source, args, pipeline):
    fn = function_from_source(source, "f")
    func = compile_fn(fn) if pipeline is None else compile_fn(fn, pipeline)
    for a, b in args:
        run_both(fn, a, b, func=func)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=programs(gen=True), a=NUMBERS, b=NUMBERS,
       sends=st.lists(st.one_of(NUMBERS, st.just("throw")), max_size=6))
def test_generated_generator(source, a, b, sends):
    """The same programs with yields (some inside a call's arguments), as
    generators driven with values sent and ZeroDivisionErrors thrown in
    (which their handlers may catch): the HIR interpreter's run gives
    CPython's values and exception types, step by step."""
    fn = function_from_source(source, "f")
    body = interpreted_generator_function(fn, compile_fn(fn))

    def drive(make):
        gen, out = make(a, b), []
        for step in [None, *sends]:
            try:
                if step == "throw":
                    out.append(("value", gen.throw(ZeroDivisionError("thrown"))))
                else:
                    out.append(("value", next(gen) if step is None else gen.send(step)))
            except StopIteration as stop:
                out.append(("stop", stop.value))
                break
            except Exception as exc:  # noqa: BLE001 - compared by type
                out.append(("raise", type(exc)))
                break
        gen.close()
        return out
    got, expected = drive(body), drive(fn)
    assert same_value(got, expected), f"HIR: {got!r}, CPython: {expected!r}"
