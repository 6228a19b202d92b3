"""Threads running compiled code on one list: how often an update is lost.

    python benchmarks/threads_shared_list.py [--threads 4] [--items 20000]
        [--rounds 20] [--switch-interval 0.005]

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


def run(fns) -> None:
    threads = [threading.Thread(target=fn) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def one_round(threads: int, items: int) -> tuple[int, int]:
    """(appends lost, pops that lost or repeated an item)."""
    lst: list = []
    run([lambda: append_items(lst, items) for _ in range(threads)])
    lost = threads * items - len(lst)
    expected = sorted(lst)
    outs: list[list] = [[] for _ in range(threads)]
    run([lambda out=out: pop_items(lst, items, out) for out in outs])
    popped = sorted(x for out in outs for x in out) + sorted(lst)
    wrong = sum(1 for a, b in zip(popped, expected) if a != b) + abs(len(popped) - len(expected))
    return lost, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--switch-interval", type=float, default=0.005)
    args = parser.parse_args()
    if args.threads < 1 or args.items < 1 or args.rounds < 1 or args.switch_interval <= 0:
        parser.error("--threads, --items, --rounds and --switch-interval must be positive")
    for fn in (append_items, pop_items):
        if not jit.force_compile(fn):
            sys.exit(f"{fn.__name__} was not compiled: {jit.refusal_reason(fn)}")
    sys.setswitchinterval(args.switch_interval)
    bad = lost_total = wrong_total = 0
    for r in range(args.rounds):
        lost, wrong = one_round(args.threads, args.items)
        if lost or wrong:
            bad += 1
            lost_total += lost
            wrong_total += wrong
            print(f"round {r}: {lost} appends lost, {wrong} items popped wrong", file=sys.stderr)
    print(f"CPython {sys.version.split()[0]}, engine {type(jit.get_engine()).__name__}, "
          f"{args.threads} threads x {args.items} items, switch interval {args.switch_interval} s: "
          f"{bad} bad rounds of {args.rounds} ({lost_total} appends lost, "
          f"{wrong_total} items popped wrong)")


if __name__ == "__main__":
    main()
