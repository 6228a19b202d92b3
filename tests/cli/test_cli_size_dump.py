"""`pyjit size`, `pyjit dump`, `pyjit shapes` and `pyjit run-shape`, run
through `pyjit.cli.main` with their output captured.

Sizes are never written down here: other parts of the JIT change them.  They
are compared with what `pyjit.jit` reports for the same function compiled
directly, and with each other (sections add up to the total).
"""

from __future__ import annotations

import json
import textwrap

import pytest

import pyjit.jit as jit
from pyjit.aarch64.calls import strategy_names
from pyjit.cli import main
from pyjit.shapes import SHAPES, make_shape

SECTIONS = ("code", "literals", "stubs", "veneers", "padding")

MODULE_SOURCE = textwrap.dedent("""\
    from os.path import join            # imported: not part of module:*
    from json import JSONDecoder        # an imported class: its methods neither

    def add(a, b):
        return a + b

    def scale(x):
        return x * 3

    class Counter:
        def bump(self, n):
            return n + 1

        @staticmethod
        def twice(n):
            return n * 2

    def numbers():
        yield locals()
    """)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def size_json(capsys, *argv: str) -> dict:
    status, out, _ = run_cli(capsys, "size", *argv, "--json")
    assert status == 0
    return json.loads(out)


def compiled_size(func, strategy: str | None = None) -> int:
    """The size pyjit.jit reports for func compiled directly."""
    assert jit.force_compile(func, strategy), jit.refusal_reason(func)
    try:
        return jit.get_compiled_size(func)
    finally:
        jit.force_uncompile(func)


@pytest.fixture
def module_file(tmp_path):
    path = tmp_path / "sized_module.py"
    path.write_text(MODULE_SOURCE)
    return path


# -- size ----------------------------------------------------------------------------

def test_size_of_a_shape_is_the_compiled_size(capsys):
    report = size_json(capsys, "sqrt:4")
    (row,) = report["functions"]
    assert row["name"] == "pyjit_shapes:sqrt_4"
    assert row["total"] == compiled_size(make_shape("sqrt:4")) > 0
    assert report["refused"] == []

    status, out, _ = run_cli(capsys, "size", "sqrt:4")
    assert status == 0
    line = next(x for x in out.splitlines() if x.startswith("pyjit_shapes:sqrt_4"))
    assert line.split()[2] == str(row["total"])      # name, strategy, total, sections
    assert [int(v) for v in line.split()[3:]] == [row[s] for s in SECTIONS]


def test_size_json_sections_add_up_to_the_total(capsys):
    for spec in ("sqrt:3", "loop"):
        (row,) = size_json(capsys, spec)["functions"]
        assert set(row) == {"name", "total", "strategy", *SECTIONS}
        assert sum(row[s] for s in SECTIONS) == row["total"]
        assert row["code"] > 0


def test_size_strategy_all_gives_one_row_per_strategy(capsys):
    rows = size_json(capsys, "sqrt:2", "--strategy", "all")["functions"]
    assert [r["strategy"] for r in rows] == strategy_names()
    for r in rows:
        assert r["total"] == compiled_size(make_shape("sqrt:2"), r["strategy"])
    assert len({r["total"] for r in rows}) > 1      # the strategies do differ

    status, out, _ = run_cli(capsys, "size", "sqrt:2", "--strategy", "all")
    assert status == 0
    listed = [x.split()[1] for x in out.splitlines() if x.startswith("pyjit_shapes:sqrt_2")]
    assert listed == strategy_names()


def test_size_with_one_strategy(capsys):
    (row,) = size_json(capsys, "sqrt:2", "--strategy", "literal")["functions"]
    assert row["strategy"] == "literal"
    assert row["total"] == compiled_size(make_shape("sqrt:2"), "literal")


def test_size_of_a_file_target(capsys, module_file):
    report = size_json(capsys, f"{module_file}:*")
    names = [r["name"] for r in report["functions"]]
    assert names == ["sized_module:add", "sized_module:scale", "sized_module:Counter.bump",
                     "sized_module:Counter.twice"]
    (refused,) = report["refused"]
    assert refused["name"] == "sized_module:numbers"
    assert "generator" in refused["reason"]

    (method,) = size_json(capsys, f"{module_file}:Counter.bump")["functions"]
    assert method["name"] == "sized_module:Counter.bump"
    assert method["total"] == next(r["total"] for r in report["functions"]
                                   if r["name"] == method["name"])


def test_size_of_an_importable_module_star(capsys, tmp_path, monkeypatch):
    (tmp_path / "cli_importable_mod.py").write_text(MODULE_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    report = size_json(capsys, "cli_importable_mod:*")
    names = {r["name"] for r in report["functions"]} | {r["name"] for r in report["refused"]}
    assert names == {f"cli_importable_mod:{q}" for q in
                     ("add", "scale", "Counter.bump", "Counter.twice", "numbers")}
    (row,) = size_json(capsys, "cli_importable_mod:Counter.twice")["functions"]
    assert row["name"] == "cli_importable_mod:Counter.twice"


def test_refused_function_is_listed_with_its_reason(capsys, module_file):
    status, out, _ = run_cli(capsys, "size", f"{module_file}:numbers")
    assert status == 1                                  # nothing compiled
    from pyjit.target import load_file
    generator = load_file(str(module_file)).numbers
    assert not jit.force_compile(generator)
    assert f"refused sized_module:numbers: {jit.refusal_reason(generator)}" in out

    status, out, _ = run_cli(capsys, "size", f"{module_file}:numbers", "--json")
    assert status == 1
    assert json.loads(out) == {"functions": [], "refused": [
        {"name": "sized_module:numbers", "reason": jit.refusal_reason(generator)}]}


@pytest.mark.parametrize("target, message", [
    ("nosuchshape", "neither a shape"),
    ("sqrt", "needs a count"),
    ("sqrt:many", "needs a count"),
    ("loop:3", "takes no count"),
    ("missing_dir/missing.py:f", "no such file"),
    ("no_such_module_xyz:f", "no module named 'no_such_module_xyz'"),
    ("json:no_such_function", "has no attribute 'no_such_function'"),
    ("json.decoder:JSONDecoder.nope", "has no attribute 'nope'"),
    ("json:JSONDecoder", "not a Python function (a class"),
    ("math:sqrt", "not a Python function (a builtin_function_or_method)"),
])
def test_bad_targets_exit_2_with_a_message(capsys, target, message):
    for sub in ("size", "dump"):
        status, out, err = run_cli(capsys, sub, target)
        assert status == 2
        assert out == ""
        assert err.startswith(f"pyjit {sub}: error: ") and message in err


def test_file_target_errors(capsys, tmp_path, module_file):
    status, _, err = run_cli(capsys, "size", f"{module_file}:Counter.missing")
    assert status == 2 and f"{module_file}:Counter has no attribute 'missing'" in err
    broken = tmp_path / "broken_module.py"
    broken.write_text("def f(:\n")
    status, _, err = run_cli(capsys, "size", f"{broken}:f")
    assert status == 2 and "syntax error" in err
    status, _, err = run_cli(capsys, "size", f"{tmp_path}:f")
    assert status == 2 and "a directory, not a file" in err


def test_bad_strategy_exits_2(capsys):
    status, _, err = run_cli(capsys, "size", "sqrt:1", "--strategy", "bogus")
    assert status == 2 and "unknown strategy 'bogus'" in err and "lazy-stub" in err


# -- dump -----------------------------------------------------------------------------

def test_dump_shows_hir_lir_and_asm(capsys):
    from pyjit.aarch64.listing import listing

    status, out, _ = run_cli(capsys, "dump", "sqrt:1")
    assert status == 0
    headers = [x for x in out.splitlines() if x.startswith(("===", "---"))]
    assert headers[0].startswith("=== pyjit_shapes:sqrt_1: ")
    assert [h.split()[1] for h in headers[1:]] == ["HIR", "LIR", "asm"]
    func = make_shape("sqrt:1")
    assert jit.force_compile(func)
    try:
        assert jit.dump_hir(func) in out
        assert jit.dump_lir(func) in out
        compiled = jit.compiled_function(func)
        # The same listing but for the addresses of objects (the dumped
        # function is another instance of the shape: other globals).
        expected_asm = listing(compiled.code, name=compiled.name).splitlines()
        assert f"{jit.get_compiled_size(func)} bytes" in headers[0]
    finally:
        jit.force_uncompile(func)
    hir, lir, asm = out.split("\n--- ")[1:]
    assert hir.startswith("HIR") and "function sqrt_1(x)" in hir
    assert lir.startswith("LIR") and "sqrt_1(" in lir
    assert asm.startswith("asm") and "ret" in asm
    asm_lines = asm.splitlines()[1:]
    assert asm_lines[0] == expected_asm[0]          # // name: N bytes (code ..., ...)
    offsets = [[x.split()[0] for x in lines if x.startswith("0x")]
               for lines in (asm_lines, expected_asm)]
    assert offsets[0] == offsets[1] and len(offsets[0]) > 10


def test_dump_sections_on_request(capsys, module_file):
    status, out, _ = run_cli(capsys, "dump", "loop", "--asm", "--strategy", "stub")
    assert status == 0
    assert "--- asm" in out and "--- HIR" not in out and "--- LIR" not in out
    assert "strategy stub" in out
    status, out, _ = run_cli(capsys, "dump", f"{module_file}:*", "--hir", "--lir")
    assert status == 0
    assert out.count("--- HIR") == out.count("--- LIR") == 4 and "--- asm" not in out
    assert "=== sized_module:numbers: refused: generator" in out


# -- shapes and run-shape -----------------------------------------------------------------

def test_shapes_lists_every_shape(capsys):
    status, out, _ = run_cli(capsys, "shapes")
    assert status == 0
    lines = out.splitlines()
    for shape in SHAPES.values():
        row = next(x for x in lines if x.startswith(shape.name))
        assert shape.summary in row
    assert "sqrt:200" in out and "600.0" in out and "f(9.0)" in out
    assert "f(1000)" in out and str(make_shape("loop")(1000)) in out

    rows = json.loads(run_cli(capsys, "shapes", "--count", "7", "--json")[1])["shapes"]
    assert [r["shape"] for r in rows] == ["sqrt:N", "sqrtpow:N", "loop"]
    by_name = {r["shape"]: r for r in rows}
    assert by_name["sqrt:N"]["expected"] == make_shape("sqrt:7")(9.0) == 21.0
    assert by_name["sqrtpow:N"]["expected"] == make_shape("sqrtpow:7")(9.0)


def test_run_shape_checks_the_value_and_prints_counts(capsys):
    status, out, _ = run_cli(capsys, "run-shape", "loop", "--counts", "--strategy", "literal")
    assert status == 0
    assert "f(1000) = 1502868, expected 1502868: ok" in out
    instructions = int(next(x for x in out.splitlines() if "instructions" in x).split()[-1])
    assert instructions > 1000
    for label in ("loads", "stores", "taken branches", "indirect branches", "helper calls"):
        assert f"  {label} " in out
    assert not jit.get_engine().counting         # switched back off

    status, out, err = run_cli(capsys, "run-shape", "sqrtpow:2")
    assert status == 0 and "= 54.0, expected 54.0: ok" in out
    assert "dynamic counts" not in out
    assert run_cli(capsys, "run-shape", "json:loads")[0] == 2
