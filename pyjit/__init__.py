"""pyjit: a CinderX-style AArch64 JIT backend for CPython, in pure Python.

The API of `pyjit.jit` is re-exported here (modelled on `cinderx.jit`):

    import pyjit
    pyjit.force_compile(f)
    pyjit.get_compiled_size(f)
"""

__version__ = "0.1.0"

_API = (
    "force_compile", "force_uncompile", "is_jit_compiled", "get_compiled_size",
    "get_size_breakdown", "count_interpreted_calls", "compile_after_n_calls",
    "get_compiled_functions", "get_function_hir_opcode_counts", "disassemble",
    "dump_hir", "dump_lir", "dynamic_counts", "refusal_reason", "set_log", "watch",
    "unwatch", "compiled_function", "get_engine", "set_engine", "dump_elf",
)


def __getattr__(name):
    # Imported on first use, so `import pyjit` stays light for the CLI.
    if name in _API:
        from . import jit
        return getattr(jit, name)
    raise AttributeError(f"module 'pyjit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
