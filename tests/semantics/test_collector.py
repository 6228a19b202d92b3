"""The cyclic garbage collector running while compiled code runs.

Any allocation may start a collection: in a helper's C code, and under
Unicorn in the engine's own Python code on the way to a helper.  An object
compiled code frees must never be seen at count zero there (the collector
would take it for garbage and free it before the helper frees it again),
and everything compiled code holds must look reachable.  With a block hook
(dynamic counting, an instruction budget) Python code runs between any two
blocks of a routine, in the middle of freeing or making an object: the
collector must not run there.  Each case runs in
a fresh interpreter with PYTHONMALLOC=debug (freed memory is overwritten,
so a double free crashes at once or when the interpreter exits) and a
collection at every allocation (gc.set_threshold(1)), and must run to the
end and exit cleanly.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import is_unicorn

ROOT = Path(__file__).parents[2]

PROGRAM = """
import gc, sys
from pyjit import jit

class Box:
    pass

def make_list():
    return [1]

def make_box():
    return Box()

def gen():
    yield 1

def dropping(f):                  # the result freed right after the call
    f()
    f()
    return "dropped"

def keeping(f):
    x = f()
    return type(x).__name__

for fn in (dropping, keeping):
    assert jit.force_compile(fn), jit.refusal_reason(fn)
gc.set_threshold(1, 0, 0)
out = []
for maker in (make_list, make_box, gen, lambda: (i for i in "ab")):
    for _ in range(5):
        out.append(dropping(maker))
        out.append(keeping(maker))
gc.set_threshold(700, 10, 10)
gc.collect()
print(len(out), sorted(set(out)))
"""


def run_debug(program: str) -> subprocess.CompletedProcess:
    """program in a fresh interpreter with PYTHONMALLOC=debug; it must exit
    cleanly."""
    env = dict(os.environ, PYTHONMALLOC="debug", PYTHONHASHSEED="0", PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    proc = subprocess.run([sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(program)],
                          capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_objects_compiled_code_frees_are_freed_once_under_a_collecting_allocator():
    proc = run_debug(PROGRAM)
    assert proc.stdout == "40 ['Box', 'dropped', 'generator', 'list']\n"
    assert proc.stderr == ""


COUNTED = """
import gc, sys
from pyjit import jit
from pyjit.runtime.own_code import own_code

class Point:
    def __init__(self, x):
        self.x = x

def walk(rows):                   # instances and list iterators freed by compiled code
    total = 0.0
    for row in rows:
        for x in row:
            p = Point(x * 0.5)
            total = total + p.x
        names = [str(x) for x in row]     # allocations in helpers
    return total, len(names)

inside = []                       # collections started by the engine's own code
def watch(phase, info):
    if phase == "start" and own_code.depth:
        inside.append(info["generation"])

for fn in (walk, Point.__init__):
    assert jit.force_compile(fn), jit.refusal_reason(fn)
rows = [[float(i + j) for j in range(4)] for i in range(6)]
gc.callbacks.append(watch)
gc.set_threshold(1, 1, 1)
jit.set_counting(True)
results = {walk(rows) for _ in range(20)}
jit.set_counting(False)
gc.set_threshold(700, 10, 10)
gc.callbacks.remove(watch)
gc.collect()
print(sorted(results), len(inside))
"""


def test_the_collector_does_not_run_inside_a_block_hook(engine):
    # A collection started there finds an object compiled code is freeing
    # at count zero, frees it, and the routine frees it again (raytrace
    # with dynamic counting crashed that way).
    if not is_unicorn(engine):
        pytest.skip("dynamic counting (the block hook) is the Unicorn engine's")
    proc = run_debug(COUNTED)
    assert proc.stdout == "[(48.0, 4)] 0\n"
    assert proc.stderr == ""
