"""A module of its own, for tests/semantics/test_frames.py: a function that
reads its globals, called from a compiled function of another module."""


def module_name():
    return globals()["__name__"]


def relay(fn, n):
    return fn(n)
