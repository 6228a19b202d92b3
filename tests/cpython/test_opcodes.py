"""The version description's bytecode tables against the running
interpreter's own (`opcode`, `dis`), and the one-sentence refusal of a
version pyjit does not describe."""

from __future__ import annotations

import dis
import importlib
import opcode
import subprocess
import sys
from pathlib import Path

import pytest

from pyjit.cpython.version import RUNNING, SUPPORTED, UnsupportedPython, check_build

ROOT = Path(__file__).parents[2]

# The running version's description, also while that version is refused
# (its description is checked before pyjit runs on it).
_DESCRIPTION = SUPPORTED.get(RUNNING, "pyjit.cpython.v%d_%d" % RUNNING)
VERSION = importlib.import_module(_DESCRIPTION).VERSION
opcodes = importlib.import_module(_DESCRIPTION + ".opcodes")


def test_the_description_is_the_running_version():
    assert VERSION == sys.version_info[:2]
    if RUNNING in SUPPORTED:
        assert check_build() == SUPPORTED[VERSION]
    else:
        with pytest.raises(UnsupportedPython, match="%d[.]%d" % RUNNING):
            check_build()


def test_binary_ops_in_oparg_order():
    assert list(opcodes.BINARY_OPS) == [name.removeprefix("NB_") for name, _ in opcode._nb_ops]


def test_compare_ops_in_oparg_order():
    assert opcodes.COMPARE_OPS == tuple(dis.cmp_op[:len(opcodes.COMPARE_OPS)])


def test_compare_op_keeps_the_operator_above_the_shift():
    def f(a, b):
        return a < b, a >= b, a != b
    args = [i.arg >> opcodes.COMPARE_OP_SHIFT for i in dis.get_instructions(f)
            if i.opname == "COMPARE_OP"]
    assert [opcodes.COMPARE_OPS[a] for a in args] == ["<", ">=", "!="]


def test_intrinsics_by_oparg():
    if "CALL_INTRINSIC_1" not in dis.opmap:         # 3.11 has no intrinsics
        assert not hasattr(opcodes, "INTRINSICS_1")
        return
    for ours, theirs in ((opcodes.INTRINSICS_1, dis._intrinsic_1_descs),
                         (opcodes.INTRINSICS_2, dis._intrinsic_2_descs)):
        assert len(ours) == len(theirs) and ours[0] == "INVALID"
        assert ["INTRINSIC_" + name for name in ours[1:]] == list(theirs[1:])


def test_format_conversions_by_oparg():
    """FORMAT_VALUE's oparg & 3 (3.11, 3.12); 3.13's CONVERT_VALUE's oparg
    (a field without a conversion has none: 0)."""
    def f(x):
        return f"{x}{x!s}{x!r}{x!a}"
    instrs = list(dis.get_instructions(f))
    if "FORMAT_VALUE" in dis.opmap:
        args = [i.arg & 3 for i in instrs if i.opname == "FORMAT_VALUE"]
    else:
        args = [prev.arg if prev.opname == "CONVERT_VALUE" else 0
                for prev, i in zip(instrs, instrs[1:]) if i.opname == "FORMAT_SIMPLE"]
    assert [opcodes.FORMAT_CONVERSIONS[a] for a in args] == ["", "str", "repr", "ascii"]


@pytest.mark.parametrize("version", [(3, 10), (3, 99)])
def test_an_undescribed_version_is_refused_in_one_sentence(version):
    with pytest.raises(UnsupportedPython) as info:
        check_build(version)
    message = str(info.value)
    assert f"{version[0]}.{version[1]}" in message and "\n" not in message
    assert message.count(". ") == 0 and not message.endswith(".")


def test_a_free_threaded_build_is_refused_in_one_sentence(monkeypatch):
    import sysconfig
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var",
                        lambda name: 1 if name == "Py_GIL_DISABLED" else real(name))
    with pytest.raises(UnsupportedPython, match="free-threaded") as info:
        check_build((3, 11))
    assert "\n" not in str(info.value) and not str(info.value).endswith(".")
    monkeypatch.undo()
    assert check_build((3, 11)) == SUPPORTED[(3, 11)]


def _other_python() -> str | None:
    """An interpreter of a version pyjit does not describe, if one is here
    (the running one first)."""
    if RUNNING not in SUPPORTED:
        return sys.executable
    for minor in range(20, 9, -1):
        if (3, minor) in SUPPORTED:
            continue
        candidates = [Path(f"/usr/bin/python3.{minor}")]
        candidates += sorted(Path.home().glob(f".pyenv/versions/3.{minor}.*/bin/python"))
        for candidate in candidates:
            if candidate.exists():
                return str(candidate)
    return None


@pytest.mark.skipif(_other_python() is None, reason="no undescribed CPython on this machine")
def test_the_command_says_so_with_status_2_on_an_undescribed_version():
    proc = subprocess.run([_other_python(), "-c",
                           "import sys; sys.path.insert(0, sys.argv[1]); "
                           "from pyjit.cli import main; sys.exit(main(['size', 'sqrt:1']))",
                           str(ROOT)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("pyjit size: error: pyjit does not support CPython 3.")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
