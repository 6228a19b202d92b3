"""What real programs rely on, tried as a user would: threads, a signal in
a compiled loop, the exception state, frames, locals' lifetimes, recursion,
rebound builtins, uncompiling from inside, many functions compiled and
dropped.  One line each, ok or FAIL; exit status 1 on any FAIL.
tests/semantics/ checks each more thoroughly.

    python3 scripts/semantics_tour.py
    PYJIT_ENGINE=native bash scripts/aarch64-python.sh scripts/semantics_tour.py
"""
import builtins, inspect, os, signal, sys, tempfile, threading, time, traceback
import pyjit.jit as jit

FAILED = []


def out(name, ok, detail=""):
    if not ok:
        FAILED.append(name)
    print(f"{'ok  ' if ok else 'FAIL'} {name} {detail}")

# threads: two threads, 20,000 calls each, switch interval 1e-6
def add(a, b): return a + b
jit.force_compile(add)
sys.setswitchinterval(1e-6)
res = []
def work():
    s = 0
    for i in range(20000): s = add(s, 1)
    res.append(s)
t0 = time.monotonic()
ts = [threading.Thread(target=work) for _ in range(2)]
[t.start() for t in ts]; [t.join() for t in ts]
out("threads 2x20000", res == [20000, 20000], f"{time.monotonic()-t0:.2f}s {res}")
sys.setswitchinterval(0.005)

# signals: SIGALRM handler raising in a compiled while True loop
def spin(x):
    while True:
        x += 1
jit.force_compile(spin)
class Alarm(Exception): pass
def h(*a): raise Alarm
signal.signal(signal.SIGALRM, h)
t0 = time.monotonic()
signal.setitimer(signal.ITIMER_REAL, 0.2)
try:
    spin(0)
except Alarm:
    out("SIGALRM in compiled loop", time.monotonic() - t0 < 2, f"{time.monotonic()-t0:.2f}s")
finally:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)

# exception state
def chain():
    try:
        raise KeyError(1)
    except KeyError:
        info = sys.exc_info()[0]
        fmt = traceback.format_exc()
        try:
            raise ValueError(2)
        except ValueError as e:
            return info, fmt, e.__context__
jit.force_compile(chain)
info, fmt, ctx = chain()
out("exc_info/format_exc/__context__", info is KeyError and "KeyError" in fmt and isinstance(ctx, KeyError))
def reraiser(): raise
def handles():
    try:
        raise OSError("x")
    except OSError:
        try:
            reraiser()
        except OSError as e:
            return e
jit.force_compile(handles)
out("callee bare raise", isinstance(handles(), OSError))

# frames
K = 5
def frames(a):
    g = globals().get('__name__'); l = sorted(locals()); e = eval('a + K')
    return g, l, e, sys._getframe().f_code.co_name
jit.force_compile(frames)
out("globals/locals/eval/_getframe", frames(1) == (__name__, ['a', 'g'], 6, 'frames'), str(frames(1)))
out("inspect.signature", str(inspect.signature(frames)) == "(a)")

# lifetimes
def tmpdir():
    tmp = tempfile.TemporaryDirectory()
    with open(tmp.name + '/x', 'w') as f:
        f.write('x')
    return os.path.exists(tmp.name + '/x')
jit.force_compile(tmpdir)
out("TemporaryDirectory lives to the end", tmpdir())

# recursion through interpreted frames, setrecursionlimit
def rec(n): return 0 if n == 0 else 1 + interp(n - 1)
def interp(n): return rec(n)
jit.force_compile(rec)
out("recursion 400 deep through interpreted frames", rec(400) == 400)
old = sys.getrecursionlimit(); sys.setrecursionlimit(200)
try:
    rec(1000); out("setrecursionlimit(200)", False)
except RecursionError:
    out("setrecursionlimit(200)", True)
finally:
    sys.setrecursionlimit(old)

# builtins rebound
real_len = builtins.len
builtins.len = lambda x: real_len(x)
def uses_len(x): return len(x) + add(1, 2)
jit.force_compile(uses_len)
try:
    out("builtins.len replaced", uses_len([1, 2]) == 5)
finally:
    builtins.len = real_len

# self-modification
def selfmod(n):
    jit.force_uncompile(selfmod)
    return n + 1
jit.force_compile(selfmod)
out("force_uncompile from inside", selfmod(1) == 2)

# many compiled functions dropped
t0 = time.monotonic()
for i in range(5000):
    ns = {}
    exec("def f(): return 1", ns)
    jit.force_compile(ns['f']); ns['f']()
out("5,000 functions compiled and dropped", True, f"{time.monotonic()-t0:.1f}s")
sys.exit(1 if FAILED else 0)
