"""Threads running compiled code on one list: how often an update is lost.

    python benchmarks/threads_shared_list.py [--threads 4] [--items 20000]
        [--rounds 20] [--switch-interval 0.005] [--interpreted 0]
        [--first-touch native|python]

Each round, --threads threads run a compiled loop appending --items ints
to one shared list (the list starts empty, so some appends grow it through
the C function, the others take `pyjit_list_append`), then as many threads
pop them all again from the shared list.  The interpreter loses nothing;
a round is "bad" when the list does not end with every item appended
exactly once, or an item is popped twice.  Printed: the bad rounds and the
items lost or duplicated, for the Unicorn engine (the default), under the
given switch interval (`sys.setswitchinterval`: smaller hands the GIL
over more often, at more of the memory hook's check points).
docs/architecture.md, "Threads, the GIL and emulation contexts", says
what can still interleave.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pyjit.jit as jit  # noqa: E402


def append_items(lst, n):
    for i in range(n):
        lst.append(i)


def pop_items(lst, n, out):
    for _ in range(n):
        try:
            out.append(lst.pop())
        except IndexError:
            return


# The same loops left to the interpreter (--interpreted).
append_items_interpreted = type(append_items)(append_items.__code__, globals())
pop_items_interpreted = type(pop_items)(pop_items.__code__, globals())


def run(fns) -> None:
    threads = [threading.Thread(target=fn) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def one_round(threads: int, interpreted: int, items: int) -> tuple[int, int]:
    """(appends lost, pops that lost or repeated an item)."""
    lst: list = []
    appenders = [append_items] * threads + [append_items_interpreted] * interpreted
    run([lambda fn=fn: fn(lst, items) for fn in appenders])
    lost = len(appenders) * items - len(lst)
    expected = sorted(lst)
    poppers = [pop_items] * threads + [pop_items_interpreted] * interpreted
    outs: list[list] = [[] for _ in poppers]
    run([lambda fn=fn, out=out: fn(lst, items, out) for fn, out in zip(poppers, outs)])
    popped = sorted(x for out in outs for x in out) + sorted(lst)
    wrong = sum(1 for a, b in zip(popped, expected) if a != b) + abs(len(popped) - len(expected))
    return lost, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--switch-interval", type=float, default=0.005)
    parser.add_argument("--interpreted", type=int, default=0, metavar="N",
                        help="N more threads run the same loops in the interpreter")
    parser.add_argument("--first-touch", choices=("native", "python"), default=None,
                        help="how the Unicorn engine maps host memory on first touch "
                             "(default: natively where the host allows)")
    args = parser.parse_args()
    if args.threads < 1 or args.items < 1 or args.rounds < 1 or args.switch_interval <= 0:
        parser.error("--threads, --items, --rounds and --switch-interval must be positive")
    if args.interpreted < 0:
        parser.error("--interpreted must not be negative")
    if args.first_touch is not None:
        from pyjit.runtime import UnicornEngine
        try:
            jit.set_engine(UnicornEngine(native_first_touch=args.first_touch == "native"))
        except ValueError as exc:
            parser.error(str(exc))
    for fn in (append_items, pop_items):
        if not jit.force_compile(fn):
            sys.exit(f"{fn.__name__} was not compiled: {jit.refusal_reason(fn)}")
    sys.setswitchinterval(args.switch_interval)
    bad = lost_total = wrong_total = 0
    for r in range(args.rounds):
        lost, wrong = one_round(args.threads, args.interpreted, args.items)
        if lost or wrong:
            bad += 1
            lost_total += lost
            wrong_total += wrong
            print(f"round {r}: {lost} appends lost, {wrong} items popped wrong", file=sys.stderr)
    engine = jit.get_engine()
    touch = "" if not hasattr(engine, "native_first_touch") else \
        f" ({'native' if engine.native_first_touch else 'Python'} first touch)"
    print(f"CPython {sys.version.split()[0]}, engine {type(engine).__name__}{touch}, "
          f"{args.threads} compiled + {args.interpreted} interpreted threads x {args.items} items, "
          f"switch interval {args.switch_interval} s: "
          f"{bad} bad rounds of {args.rounds} ({lost_total} appends lost, "
          f"{wrong_total} items popped wrong)")


if __name__ == "__main__":
    main()
