"""Child processes in parallel, each with a time limit and a JSON answer.

    tasks = [Task("richards", [sys.executable, "-m", "pyjit.bench.child", ...])]
    for done in run_parallel(tasks, jobs=2, timeout=300):
        done.key, done.status, done.data      # "done", "timeout" or "crashed"
        say(progress_line(done, "ok"))

`pyjit suite` and `pyjit cpython-tests` run every benchmark or test module
in a process of its own: a crash, a hang or a module that changes the
process's state stays there.  A task's command gets `--json-file PATH` at
its end and must write its answer there; the child's stdout and stderr go
to a temporary file whose last lines explain a crash.  A child that runs
past `timeout` seconds is killed with its whole process group (it runs in
a session of its own, so a benchmark's own child processes go too).
Tasks of one group never run at the same time (the suite groups the
benchmarks of one file: asyncio_tcp and asyncio_tcp_ssl both listen on
port 8882).
`progress_line` says what finished, in how long, and what is still running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

PYJIT_ROOT = Path(__file__).resolve().parents[2]      # the directory holding pyjit/
POLL_SECONDS = 0.2
TAIL_LINES = 40


@dataclass
class Task:
    key: str
    argv: list[str]
    env: dict[str, str] | None = None
    group: str = ""             # tasks of one non-empty group never run at the same time


@dataclass
class Done:
    key: str
    status: str                 # "done", "timeout", "crashed"
    seconds: float
    returncode: int | None
    data: Any = None            # the child's JSON answer
    tail: list[str] = field(default_factory=list)   # the last lines it printed
    finished: int = 0           # tasks finished so far, this one included
    total: int = 0
    elapsed: float = 0.0        # seconds since run_parallel started
    running: list[tuple[str, float]] = field(default_factory=list)  # (key, seconds so far)

    def crash_reason(self) -> str:
        if self.returncode is not None and self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = f"signal {-self.returncode}"
            what = f"killed by {name}"
        else:
            what = f"exit status {self.returncode} without an answer"
        return what + (f": {self.last_words()}" if self.last_words() else "")

    def last_words(self) -> str:
        """What the child said before it died: faulthandler's fatal error
        and innermost frame when it printed them, else its last line."""
        lines = [ln.strip() for ln in self.tail if ln.strip()]
        fatal = next((i for i, ln in enumerate(lines) if ln.startswith("Fatal Python error")),
                     None)
        if fatal is None:
            return lines[-1][:200] if lines else ""
        current = next((i for i, ln in enumerate(lines) if ln.startswith("Current thread")),
                       fatal)
        frame = next((ln for ln in lines[current + 1:] if ln.startswith("File ")), "")
        return lines[fatal][:200] + (f" ({frame[:200]})" if frame else "")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: this one, with this pyjit first on the path."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(PYJIT_ROOT) + (os.pathsep + path if path else "")
    env.update(extra or {})
    return env


@dataclass
class _Running:
    task: Task
    process: subprocess.Popen
    started: float
    answer: str
    log: Any


def _tail(log) -> list[str]:
    log.seek(0)
    data = log.read().decode("utf-8", "replace")
    return data.splitlines()[-TAIL_LINES:]


def _finish(run: _Running, timed_out: bool) -> Done:
    seconds = time.perf_counter() - run.started
    data = None
    try:
        with open(run.answer, encoding="utf-8") as f:
            text = f.read()
        data = json.loads(text) if text.strip() else None
    except (OSError, ValueError):
        data = None
    finally:
        try:
            os.unlink(run.answer)
        except OSError:
            pass
    tail = _tail(run.log)
    run.log.close()
    if timed_out:
        status = "timeout"
    elif data is None:
        status = "crashed"
    else:
        status = "done"
    return Done(run.task.key, status, seconds, run.process.returncode, data, tail)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)    # its session: the child and its children
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_parallel(tasks: list[Task], jobs: int, timeout: float | None) -> Iterator[Done]:
    """Run tasks, at most `jobs` at a time, yielding each as it finishes
    (in finishing order)."""
    pending = list(tasks)
    running: list[_Running] = []
    total, finished = len(tasks), 0
    start = time.perf_counter()
    try:
        while pending or running:
            busy = {r.task.group for r in running if r.task.group}
            while len(running) < jobs:
                task = next((t for t in pending if not t.group or t.group not in busy), None)
                if task is None:
                    break
                pending.remove(task)
                busy.add(task.group)
                fd, answer = tempfile.mkstemp(prefix="pyjit-child-", suffix=".json")
                os.close(fd)
                log = tempfile.TemporaryFile()
                process = subprocess.Popen([*task.argv, "--json-file", answer],
                                           env=task.env, stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True)
                running.append(_Running(task, process, time.perf_counter(), answer, log))
            time.sleep(POLL_SECONDS)
            for run in list(running):
                over = timeout is not None and time.perf_counter() - run.started > timeout
                if run.process.poll() is None and not over:
                    continue
                if over and run.process.poll() is None:
                    _kill(run.process)
                else:
                    over = False
                running.remove(run)
                done = _finish(run, over)
                finished += 1
                now = time.perf_counter()
                done.finished, done.total, done.elapsed = finished, total, now - start
                done.running = [(r.task.key, now - r.started) for r in running]
                yield done
    finally:
        for run in running:          # interrupted: nothing outlives the command
            _kill(run.process)
            run.log.close()
            try:
                os.unlink(run.answer)
            except OSError:
                pass


def progress_line(done: Done, verdict: str) -> str:
    """`[3/40] richards: ok in 12.1 s (95 s so far); running: go (40 s), nbody (3 s)`."""
    still = ", ".join(f"{key} ({seconds:.0f} s)" for key, seconds in done.running) or "nothing"
    return (f"[{done.finished}/{done.total}] {done.key}: {verdict} in {done.seconds:.1f} s "
            f"({done.elapsed:.0f} s so far); running: {still}")


def python_command(module: str, *args: str, python: str | None = None) -> list[str]:
    """`python -X faulthandler -m module args`: a child that dies of a signal
    prints its Python stack (crash_reason shows the innermost frame)."""
    return [python or sys.executable, "-X", "faulthandler", "-m", module, *args]
