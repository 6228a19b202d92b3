"""HIR passes: small named objects run from lists of names.

A pass is a class with a kebab-case ``name``, a one-line ``summary`` (the
commands' help prints it) and ``run(func)`` that edits the function in
place; ``@register_pass`` adds it to ``PASSES`` (a name registered twice is
an error).  ``run_pipeline(func, names, options=...)`` runs passes by name,
skipping those that do not apply to the options (``Pass.applies``),
optionally verifying after each one; ``DEFAULT_PIPELINE`` is what the JIT
runs, less what ``CompileOptions`` switches off (``--disable-pass``,
``PYJIT_PASSES``).

    simplify            constant folding (certain semantics only), branch
                        folding, trivial phis, block merging
    guard-elimination   checks whose outcome the types decide
    dce                 unreachable blocks, unused effect-free instructions
    truth-tests         a comparison or call only tested: CompareBool,
                        VectorCallBool (caches on)
    refcount-frame-values, refcount-held-operands, refcount-immortal,
    refcount-consume
                        reference-count elision: proofs that let
                        refcount-insertion leave references borrowed, and
                        operands handed to the operator that uses them last
                        (refcount_elision.py)
    refcount-insertion  Incref/Decref/XDecref and the exc_release lists; last
    specialize-float    guarded unboxed-double paths for float + - *; not in
                        the default pipeline (it grows code; CinderX's sizes
                        are measured without it)

Every pass refuses a function that has already been through refcount
insertion: rewriting values would invalidate its reference counting.
"""

from __future__ import annotations

from . import (dce, guard_elimination, refcount, refcount_elision, simplify,  # noqa: F401
               specialize_float, truth_tests)                             # (registration)
from .pipeline import (DEFAULT_PIPELINE, PASSES, Pass, applicable, check_pass_names, register_pass,
                       run_pipeline)

__all__ = ["DEFAULT_PIPELINE", "PASSES", "Pass", "applicable", "check_pass_names",
           "register_pass", "run_pipeline"]
