"""Method loads from a class (a MethodCell's class entry): classmethods,
staticmethods and plain functions called through the class give the
interpreter's results without a trap and without a bound method; a
change of the class or a base, another class, a metaclass, descriptors
and the class's own attributes are seen; errors and reference counts are
the interpreter's."""

from __future__ import annotations

import sys

from conftest import interpreted, outcome


class Strength:
    WEAK = 1

    @classmethod
    def weaker(cls, a, b):
        return (cls.__name__, a < b)

    @staticmethod
    def twice(x):
        return 2 * x

    def plain(x):
        return ("plain", x)

    @classmethod
    def chain(cls, a, b):
        return cls.weaker(a, b)


class Sub(Strength):
    pass


def use(cls, a, b):
    return cls.weaker(a, b), cls.twice(a), cls.plain(b), cls.chain(b, a)


def use_global(a):
    return Strength.weaker(a, 2), Strength.twice(a)


def test_class_method_loads_make_no_trap(compiled, traps):
    compiled(use, use_global)
    for cls in (Strength, Sub):
        use(cls, 1, 2)
    use_global(1)
    want = [use(cls, 1, 2) for cls in (Strength, Strength)] + [use_global(1)]
    result, counts = traps(lambda: [use(Strength, 1, 2), use(Strength, 1, 2), use_global(1)])
    assert result == want
    # (the calls of the interpreted methods go through PyObject_Vectorcall)
    assert "load_method_fill" not in counts, counts


class Meta(type):
    def weaker(cls, a, b):
        return "meta"


class WithMeta(metaclass=Meta):
    @classmethod
    def weaker(cls, a, b):
        return "class"


class Prop:
    @property
    def weaker(self):
        return "property"


def call_weaker(cls):
    return cls.weaker(1, 2)


def test_changes_are_seen(mode, compiled):
    compiled(call_weaker)
    reference = interpreted(call_weaker)

    class Local(Strength):
        pass
    for cls in (Strength, Sub, Local, WithMeta, Prop, Strength(), int, type):
        assert outcome(lambda: call_weaker(cls)) == outcome(lambda: reference(cls)), cls
    call_weaker(Local)
    Local.weaker = staticmethod(lambda a, b: ("static", a, b))          # the class changes
    assert call_weaker(Local) == reference(Local) == ("static", 1, 2)
    saved = Strength.__dict__["weaker"]
    Strength.weaker = classmethod(lambda cls, a, b: ("base", cls.__name__))
    try:                                                                # a base changes
        assert call_weaker(Sub) == reference(Sub) == ("base", "Sub")
        del Local.weaker
        assert call_weaker(Local) == reference(Local) == ("base", "Local")
    finally:
        Strength.weaker = saved
    assert call_weaker(Local) == reference(Local) == ("Local", True)
    Local.weaker = 5                                                    # not callable
    assert outcome(lambda: call_weaker(Local)) == outcome(lambda: reference(Local))


def test_reference_counts(compiled):
    compiled(use)
    func = Strength.__dict__["weaker"].__func__
    before = sys.getrefcount(Strength), sys.getrefcount(func)
    for _ in range(20):
        use(Strength, 3, 4)
    assert (sys.getrefcount(Strength), sys.getrefcount(func)) == before
