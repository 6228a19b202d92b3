"""The per-resume cost of a compiled generator, against the interpreter,
a call of a trivial compiled function and the driver alone
(docs/architecture.md, "Generators and coroutines").

    python scripts/generator_resume_cost.py        # from the repository root
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import statistics
import time
import pyjit
from pyjit import jit

def gen(n):
    for i in range(n):
        yield i

def plain(x):
    return x

def consume(g):
    for _ in g:
        pass

def timeit(fn, reps=7):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts)

N = 20000
interp = timeit(lambda: consume(gen(N))) / N
assert pyjit.force_compile(gen), jit.refusal_reason(gen)
compiled = timeit(lambda: consume(gen(N))) / N
assert pyjit.force_compile(plain)
calls = timeit(lambda: [plain(i) for i in range(N)]) / N
print(f"interpreted generator: {interp*1e6:.2f} us a resume")
print(f"compiled generator   : {compiled*1e6:.2f} us a resume ({jit.get_engine().__class__.__name__})")
print(f"compiled plain call  : {calls*1e6:.2f} us a call (same engine, for comparison)")

# The driver alone: the trampoline's SEND, GeneratorBody.__next__ and a step
# that returns a ready state tuple (no engine): what a resume costs on top
# of running the body.
from pyjit import install
from pyjit.cpython.genbody import GeneratorBody

def endless():
    yield 0
state = (1, 0, None)
def step(saved, sent, thrown, frame):
    return state
def entry():
    return GeneratorBody(step, (0, None), "generator")
endless.__code__ = install.trampoline_code(endless.__code__, entry, "generator")
def drive_n(g, n):
    for _ in range(n):
        next(g)
g = endless(); next(g)
driver = timeit(lambda: drive_n(g, N)) / N
print(f"driver alone         : {driver*1e6:.2f} us a resume (trampoline SEND + GeneratorBody + step)")
