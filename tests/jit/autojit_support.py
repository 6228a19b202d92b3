"""What the tests of process-wide modes share: a fixture that leaves no
mode on, `stop()` (the mode off and what it compiled uncompiled) and
`make()` (a function from source, in a module of the test's naming)."""

from __future__ import annotations

import textwrap

import pytest

from pyjit import autojit, jit


@pytest.fixture
def mode_off():
    """Whatever a test starts is stopped, and what it compiled uncompiled,
    also when it fails.  (Tests stop their mode themselves as well: pytest
    runs its own code before a fixture's teardown, which a mode selecting
    everything would compile.)"""
    assert autojit.current() is None, "an earlier test left a process-wide mode on"
    yield
    stop()


def stop():
    mode = autojit.stop()
    if mode is not None:
        for func in mode.compiled_functions():
            jit.force_uncompile(func)


def make(source: str, name: str, namespace: dict | None = None, *,
         module: str = "autojit_case"):
    """The function `name` defined by source, in a module named `module`
    (its file "<module with spaces>")."""
    namespace = {} if namespace is None else namespace
    namespace.setdefault("__name__", module)
    filename = "<" + module.replace("_", " ") + ">"
    exec(compile(textwrap.dedent(source), filename, "exec"), namespace)
    return namespace[name]
