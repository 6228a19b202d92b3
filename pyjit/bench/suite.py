"""`pyjit suite`: many pyperformance benchmarks, each in a process of its own.

    plan = plan_suite(["richards", "go"], small=True)       # or all_benchmarks()
    report = run_suite(plan, "autojit:1", jobs=2, timeout=300, progress=say)
    print(format_table(report)); write_json(report, "suite.json")

Every benchmark of the installed pyperformance (manifest.py) is a row.  One
that cannot run here is skipped with the reason, before any process starts:
a package its requirements.txt names is not installed (the row names it),
its `requires-python` excludes this interpreter, or it times a command line
(`Runner.bench_command`: python_startup, 2to3), not code of this process.
The others run as `python -m pyjit.bench.child` (`pyjit run`'s runner:
check against two interpreter runs, leak check, optionally dynamic counts
and the share of calls reaching compiled code), at most `jobs` at a time,
each killed after `timeout` seconds (the row says "timeout").

Small sizes: `SMALL_ARGS` gives the options of a benchmark's own parser
that make it small (nbody's `--iterations`); benchmarks without such
options run at their own size, one call, as `pyjit run` does.

The ratio column is the JIT copy's first call over the interpreter's
reference call (seconds; autojit's compile time included, so at small sizes
it says what one cold call costs, not the steady state).
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from . import manifest
from .children import Done, Task, child_env, progress_line, python_command, run_parallel

# Options of a benchmark's own parser that make it small, by directory
# (bm_NAME): every manifest entry of that directory gets them.
SMALL_ARGS: dict[str, tuple[str, ...]] = {
    "nbody": ("--iterations", "100"),
    "chaos": ("--iterations", "200", "--width", "32", "--height", "32"),
    "raytrace": ("--width", "8", "--height", "8"),
    "barnes_hut": ("--iterations", "2", "--particles", "20"),
    "hexiom": ("--level", "2"),
    "pidigits": ("--digits", "100"),
    "regex_dna": ("--fasta-length", "5000"),
    "sqlalchemy_declarative": ("--rows", "10"),
    "sqlalchemy_imperative": ("--rows", "10"),
    "django_template": ("--table-size", "10"),
}

DEFAULT_TIMEOUT = 180.0         # seconds per benchmark
DEFAULT_LEAK_BUDGET = 60.0      # seconds of each benchmark's leak check


@dataclass
class Row:
    """One benchmark of the suite: what ran and what came out."""

    name: str
    status: str                 # ok, MISMATCH, LEAK, error, timeout, crashed, skipped
    reason: str = ""            # why skipped, or what went wrong
    seconds: float = 0.0        # the child's wall time
    bench_args: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None     # BenchResult.to_dict() of the child

    @property
    def failed(self) -> bool:
        return self.status in ("MISMATCH", "LEAK", "error", "crashed")


@dataclass
class SuiteReport:
    mode: str
    jobs: int
    timeout: float | None
    small: bool
    counts: bool
    share: bool
    python: str = sys.version.split()[0]
    wall_time: float = 0.0
    rows: list[Row] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def skip_reason(spec: manifest.BenchmarkSpec) -> str | None:
    """Why spec cannot run here (None: it can)."""
    missing = manifest.missing_requirements(spec)
    if missing:
        return f"needs {', '.join(missing)} (not installed)"
    if not manifest.python_supported(spec):
        return (f"needs Python {spec.requires_python} (this is "
                f"{'.'.join(map(str, sys.version_info[:3]))})")
    try:
        with open(spec.runscript, encoding="utf-8") as f:
            source = f.read()
    except OSError as exc:
        return f"cannot read {spec.runscript}: {exc.strerror}"
    if ".bench_command(" in source:
        return "times a command line (Runner.bench_command), not code of this process"
    return None


def select_benchmarks(names: list[str]) -> list[manifest.BenchmarkSpec]:
    """The specs named (ValueError naming an unknown one); all without names."""
    if not names:
        return list(manifest.all_benchmarks())
    specs = []
    for name in names:
        if name.endswith(".py") or os.sep in name:
            # A run_benchmark.py of one's own: its path names the row.
            if not os.path.isfile(name):
                raise ValueError(f"{name!r}: no such file")
            specs.append(manifest.BenchmarkSpec(name, os.path.dirname(os.path.abspath(name)),
                                                in_manifest=False, script=name))
            continue
        spec = manifest.find(name)
        if spec is None:
            raise ValueError(f"no pyperformance benchmark named {name!r} (known: "
                             f"{', '.join(manifest.names())})")
        if spec not in specs:
            specs.append(spec)
    return specs


def bench_args_for(spec: manifest.BenchmarkSpec, small: bool) -> list[str]:
    directory = spec.module_name[3:] if spec.module_name.startswith("bm_") else spec.module_name
    return list(SMALL_ARGS.get(spec.name, SMALL_ARGS.get(directory, ()))) if small else []


def _verdict(result: dict[str, Any]) -> tuple[str, str]:
    if "cannot_run" in result:
        return "error", result["cannot_run"]
    error = result.get("error")
    if error:
        if error.startswith("BenchmarkError:") and not result.get("matches"):
            return "MISMATCH", error
        return "error", error
    if not result.get("matches"):
        return "MISMATCH", "does not match the interpreter"
    leak = result.get("leak")
    if leak is not None and leak.get("ok") is False:
        return "LEAK", "memory grows across calls"
    return "ok", ""


def _row(done: Done, args: list[str]) -> Row:
    if done.status == "timeout":
        return Row(done.key, "timeout", f"killed after {done.seconds:.0f} s", done.seconds, args)
    if done.status == "crashed":
        return Row(done.key, "crashed", done.crash_reason(), done.seconds, args)
    status, reason = _verdict(done.data)
    result = None if "cannot_run" in done.data else done.data
    return Row(done.key, status, reason, done.seconds, args, result)


def run_suite(specs: list[manifest.BenchmarkSpec], mode: str, *, jobs: int = 2,
              timeout: float | None = DEFAULT_TIMEOUT, small: bool = True,
              counts: bool = False, share: bool = False, leak_iterations: int = 2,
              leak_budget: float | None = DEFAULT_LEAK_BUDGET, leak_memory: str = "blocks",
              progress: Callable[[str], None] = lambda message: None,
              checkpoint: Callable[[SuiteReport], None] = lambda report: None,
              python: str | None = None) -> SuiteReport:
    """Run specs (see the module docstring); rows in the order of specs.
    After each benchmark, `checkpoint` gets the report of the rows finished
    so far (a long run stopped early keeps what it measured)."""
    report = SuiteReport(mode, jobs, timeout, small, counts, share)
    start = time.perf_counter()
    rows: dict[str, Row] = {}
    tasks, args_of = [], {}
    for spec in specs:
        reason = skip_reason(spec)
        if reason is not None:
            rows[spec.name] = Row(spec.name, "skipped", reason)
            continue
        args = bench_args_for(spec, small)
        args_of[spec.name] = args
        argv = python_command("pyjit.bench.child", spec.name, "--mode", mode,
                              "--bench-args", shlex.join(args),
                              "--leak-iterations", str(leak_iterations),
                              "--leak-memory", leak_memory, python=python)
        if leak_budget is not None:
            argv += ["--leak-budget", str(leak_budget)]
        argv += ["--counts"] if counts else []
        argv += ["--share"] if share else []
        # One file's benchmarks share what the file fixes (asyncio_tcp's
        # port): they never run at the same time.
        tasks.append(Task(spec.name, argv, child_env(), group=spec.runscript))
    skipped = len(rows)
    progress(f"{len(tasks)} benchmarks to run, {jobs} at a time, mode {mode}"
             + (f", at most {timeout:g} s each" if timeout else "")
             + (f"; {skipped} skipped" if skipped else ""))
    for done in run_parallel(tasks, jobs, timeout):
        row = rows[done.key] = _row(done, args_of[done.key])
        progress(progress_line(done, row.status + _share_note(row)))
        report.rows = [rows[spec.name] for spec in specs if spec.name in rows]
        report.wall_time = time.perf_counter() - start
        checkpoint(report)
    report.rows = [rows[spec.name] for spec in specs]
    report.wall_time = time.perf_counter() - start
    return report


def _share_note(row: Row) -> str:
    share = ((row.result or {}).get("share") or {}).get("share")
    return "" if share is None else f" (share {100 * share:.1f}%)"


# -- the table ------------------------------------------------------------------------

def _ratio(result: dict[str, Any]) -> str:
    loops = max(len(result.get("values") or ()), 1)
    reference = result.get("reference_time") or 0.0
    if not result.get("values") or reference <= 0:
        return "-"
    return f"{result['wall_time'] / loops / reference:.1f}x"


def _excused(result: dict[str, Any]) -> str:
    excused = result.get("excused") or {}
    n = excused.get("excused_places", 0)
    flags = [w for w, key in (("output", "output_excused"), ("result", "value_excused"))
             if excused.get(key)]
    return "+".join([str(n)] + flags) if flags else str(n)


def _leak(result: dict[str, Any]) -> str:
    leak = result.get("leak")
    if leak is None:
        return "-"
    if leak.get("ok") is None:
        return "skipped"
    text = "ok" if leak["ok"] else "GROWS"
    return text + ("*" if leak.get("note") else "")


def table_rows(report: SuiteReport) -> tuple[list[str], list[list[str]]]:
    header = ["benchmark", "status", "compiled", "refused", "check", "excused", "leak",
              "jit/interp"]
    if report.counts:
        header += ["instructions", "helper calls"]
    if report.share:
        header += ["share"]
    header += ["seconds"]
    lines = []
    for row in report.rows:
        if row.status == "skipped":
            continue
        r = row.result or {}
        check = "-" if not r else ("match" if r.get("matches") else "MISMATCH")
        cells = [row.name, row.status,
                 f"{len(r['compiled'])}/{r['candidates']}" if r else "-",
                 str(len(r["refusals"])) if r else "-", check,
                 _excused(r) if r else "-", _leak(r) if r else "-",
                 _ratio(r) if r else "-"]
        if report.counts:
            counts = r.get("counts") or {}
            cells += [str(sum(c["instructions"] for c in counts.values())) if counts else "-",
                      str(sum(c["helper_calls"] for c in counts.values())) if counts else "-"]
        if report.share:
            share = (r.get("share") or {}).get("share")
            cells += ["-" if share is None else f"{100 * share:.1f}%"]
        cells += [f"{row.seconds:.1f}"]
        lines.append(cells)
    return header, lines


def format_table(report: SuiteReport) -> str:
    header, lines = table_rows(report)
    widths = [max(len(h), *(len(c[i]) for c in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(cells, widths)) for cells in lines]
    problems = [row for row in report.rows if row.status not in ("ok", "skipped")]
    if problems:
        out.append("")
        out += [f"{row.name}: {row.status}: {row.reason}" for row in problems]
    skipped = [row for row in report.rows if row.status == "skipped"]
    if skipped:
        out.append("")
        out.append(f"skipped {len(skipped)}:")
        out += [f"  {row.name}: {row.reason}" for row in skipped]
    run = [row for row in report.rows if row.status != "skipped"]
    tally: dict[str, int] = {}
    for row in run:
        tally[row.status] = tally.get(row.status, 0) + 1
    out.append("")
    out.append(f"{len(run)} run ({', '.join(f'{n} {s}' for s, n in tally.items()) or 'none'}), "
               f"{len(skipped)} skipped; mode {report.mode}, {report.jobs} jobs, "
               f"wall time {report.wall_time:.0f} s"
               + ("; leak '*': checked within its time budget (see the JSON)"
                  if any(_leak(r.result or {}).endswith("*") for r in run) else ""))
    return "\n".join(out)


def write_json(report: SuiteReport, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report.to_dict(), f, indent=1, default=repr)
        f.write("\n")


def exit_status(report: SuiteReport) -> int:
    """1 when a benchmark that ran failed (mismatch, leak, error, crash);
    timeouts and skips do not fail the suite."""
    return 1 if any(row.failed for row in report.rows) else 0


def default_jobs() -> int:
    return max(1, min(2, os.cpu_count() or 1))
