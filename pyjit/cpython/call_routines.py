"""The call routines' source, part of the shared routines (routines.py
assembles and formats it with the rest; its `{NAME}` fields are filled
there).

`pyjit_call_cached` calls the cached target (cells.py, CallCell);
`pyjit_call_target` calls a target an inline call cell chose.
`pyjit_call_method` is a method call site's `pyjit_call_cached`: given the
two words a method load left (method or NULL, then self) and the
arguments after them, it calls method(self, args...), or self(args...)
with PY_VECTORCALL_ARGUMENTS_OFFSET (the word before args is the site's
free slot), then releases the method and self, which the call takes from
its site (the HIR's CallMethod steals them), whether the call failed or
not; so the site has no branch, no second call set-up and no release of
its own.  `pyjit_vectorcall_method` does the same for a method call site
without a call cell (a callee known not to be a Python function, direct
calls off) with PyObject_Vectorcall.  Their `0` entries set kwnames to
NULL themselves: a site without keywords does not.  `pyjit_call_method_cached0` is a site's method load
and call in one (lower_calls.py says when), given the array [self, args...]
and the MethodCell, whose site's CallCell follows it in memory
(cells.method_call_cells): it finds the method as the load routine does
and calls it through the CallCell, holding the method (not self, which
outlives the call: lower_calls._SELF_OUTLIVES_CALL) for the call; a site
whose self may not outlive it sets METHOD_HOLD_SELF in the count, and a
miss or such a site loads the method (pyjit_cache_load_method, the word
before self its output, self counted) and, unless that failed (NULL),
goes on as pyjit_call_method0 with the site's CallCell;
`pyjit_call_method_cached_bool0` answers the truth of its result instead,
which it releases (pyjit_is_true_release).  Both count a
call of a compiled function against the interpreter's recursion limit as an
interpreted call does: the running thread state's recursion_remaining
(objects.enter_recursive_call / leave_recursive_call) goes down for the
call and up after it.  When only the engine's RECURSION_KEEP is left
(HELPER_FRAMES for an engine that does not say), the call is not made:
the recursion_error helper raises the interpreter's RecursionError
("maximum recursion depth exceeded", what 3.11 raises entering a frame
past the limit) as the call's result.  A call is direct only on the
engine's primary stack (above `lit_stack_limit`), which one thread holds
at a time: the running thread state is that thread's, the word after the
chain's head at `lit_activations` (set when the thread takes the stack,
pyjit/runtime/stacks.py).  A call to PyObject_Vectorcall is a tail
branch: the interpreter counts the frames it makes.  A compiled target is
called only while the callee's func_version carries pyjit's stamp
(func_versions.py); otherwise the `call_entry_stale` helper says what to
call.  While a compiled callee runs,
a record on the routine's frame (its return address, the callee, the
thread state, the previous record) is the head of a chain at
`activations`, so that what reads the stack finds the activations that
have no interpreter frame (pyjit/runtime/activations.py).
"""

SOURCE = """
// -- calls: x0..x3 = the vectorcall, x4 = CallCell ------------------------------------
pyjit_vectorcall_method0:                 // no keywords
    mov x3, #0
pyjit_vectorcall_method:                  // x0 = method or NULL, x1 = [self, args...],
    ldr x16, lit_vectorcall               // x2 = their count, x3 = kwnames
    b call_method
pyjit_call_method_cached_bool0:           // the truth of the result, released
    ldr x0, [x30], #8
    adr x16, call_method_cached0
    b truth_of_call
pyjit_call_method0:                       // no keywords: the CallCell after the call
    ldr x4, [x30], #8
    mov x3, #0
    b call_method_cell
pyjit_call_method:                        // x3 = kwnames, the CallCell after the call
    ldr x4, [x30], #8
    b call_method_cell
pyjit_call_method_cached0:                // the MethodCell after the call (its CallCell
    ldr x0, [x30], #8                     // after it), x1 = [self, args...], x2 = their count
call_method_cached0:
    tbnz x2, #{HOLD_SELF_BIT}, cmc_held              // the site asks: hold self for the call
    mov x5, x1                            // the arguments
    ldr x1, [x1]                          // self
    @method_entry cmc, cmc_miss
cmc_found:                                // method(self, args...): self outlives the call
    ldr x15, [x17, #{MT_METHOD}]          // (the site's own); the method held for it
    @incref x15, x9
    str x30, [sp, #-32]!
    str x15, [sp, #16]
    add x4, x0, #{MC_CALL}
    mov x0, x15
    mov x1, x5
    mov x3, #0
    bl call_cached
    ldr x1, [sp, #16]
    @decref x1, x9, cmc_release
    ldr x30, [sp], #32
    ret
cmc_release:                              // the method's last reference
    str x0, [sp, #24]
    mov x0, x1
    bl pyjit_dealloc
    ldr x0, [sp, #24]
    ldr x30, [sp], #32
    ret
cmc_miss:                                 // anything else: the load, then the call
    mov x1, x5
cmc_held:
    and x2, x2, #{COUNT_MASK}
    str x30, [sp, #-48]!
    stp x1, x2, [sp, #16]
    add x3, x0, #{MC_CALL}
    str x3, [sp, #32]
    sub x2, x1, #8                        // (method, self) into the word before self
    ldr x1, [x1]
    bl cache_load_method
    ldp x1, x2, [sp, #16]
    ldr x3, [sp, #32]
    ldr x30, [sp], #48
    tbnz w0, #31, call_method_failed
    ldr x0, [x1, #-8]                     // the method or NULL
    mov x4, x3                            // the CallCell
    mov x3, #0
call_method_cell:                         // x4 = the CallCell
    adr x16, call_cached
call_method:
    str x30, [sp, #-48]!
    stp x0, x1, [sp, #16]                 // the method or NULL, where self is
    cbnz x0, call_method_go               // method(self, args...)
    ldr x0, [x1], #8                      // else self(args...), the word before args free
    sub x2, x2, #1
    orr x2, x2, #0x8000000000000000       // PY_VECTORCALL_ARGUMENTS_OFFSET
call_method_go:
    blr x16
    str x0, [sp, #32]                     // the result, NULL when the call failed
    ldr x0, [sp, #16]
    cbz x0, call_method_self
    @decref_call x0, x9, pyjit_dealloc
call_method_self:
    ldr x0, [sp, #24]
    ldr x0, [x0]
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #32]
    ldr x30, [sp], #48
    ret
call_method_failed:
    mov x0, #0
    ret
pyjit_call_cached:                        // the CallCell after the call
    ldr x4, [x30], #8
call_cached:                              // x4 = the CallCell
    mov x10, x4
    add x11, x4, #{C_END}
call_next:
    ldp x9, x16, [x10]                    // callee, target
    cmp x0, x9
    b.eq call_go
    add x10, x10, #{C_ENTRY}
    cmp x10, x11
    b.ne call_next
    b call_miss
pyjit_call_target:                        // x0..x3 = the vectorcall, x4 = the target
    mov x16, x4
call_go:                                  // x16 = the target
    tbnz x16, #0, call_intrinsic
    ldr x9, lit_stack_limit
    mov x10, sp
    cmp x10, x9
    b.lo call_generic
    ldr x9, lit_vectorcall
    cmp x16, x9
    b.eq call_tail                        // the interpreter counts the frames it makes
    ldr w9, [x0, #{FUNC_VERSION}]          // a compiled entry: still the callee's code?
    tbz w9, #31, call_stale
    ldr x10, lit_activations              // [the chain's head, the primary stack's
    ldr x9, [x10, #8]                     // holder's thread state]
    @enter_recursive_call x9, x11, call_too_deep, {HELPER_FRAMES}
    ldr x11, [x10]                        // a record in the chain of calls without
    stp x30, x0, [sp, #-32]!              // a frame while the callee runs: [return
    stp x9, x11, [sp, #16]                // address, callee, thread state, previous]
    mov x11, sp
    str x11, [x10]
    blr x16                               // the compiled callee
    ldp x9, x11, [sp, #16]
    ldr x10, lit_activations
    str x11, [x10]
    @leave_recursive_call x9, x10
    ldr x30, [sp], #32
    ret
call_tail:
    br x16                                // PyObject_Vectorcall returns to our caller
call_intrinsic:                           // a routine doing a builtin's common case
    tbnz x16, #1, call_instance           // (tagged TAIL_CALL): as PyObject_Vectorcall
    sub x16, x16, #1
    br x16
call_instance:                            // INSTANCE: object.__new__(cls), then its compiled
    ldr x9, [x0, #{OB_TYPE}]               // __init__ through the cell's init cell (x4 = the
    ldr x10, lit_type_type                // CallCell; cells.py)
    cmp x9, x10
    b.ne call_generic                     // no longer a class of metaclass type
    ldr w9, [x0, #{TP_VERSION}]
    ldr x10, [x4, #{C_INSTANCE_VERSION}]
    cmp x9, x10
    b.ne call_fill                        // the class changed since: ask again
    tbz x2, #63, call_generic             // no free word before the arguments for self
    str x30, [sp, #-80]!
    stp x0, x1, [sp, #16]                 // the class, the arguments
    stp x2, x3, [sp, #32]
    str x4, [sp, #48]
    str x0, [sp, #64]                     // [cls]
    ldr x0, lit_object_new
    add x1, sp, #64
    mov x2, #1
    mov x3, #0
    ldr x16, lit_vectorcall
    blr x16                               // self = object.__new__(cls)
    cbz x0, call_instance_out
    ldr x1, [sp, #24]
    ldr x10, [x1, #-8]!                   // the word before the arguments, put back after
    stp x0, x10, [sp, #56]                // self, that word
    str x0, [x1]                          // [self, args...]
    ldp x2, x3, [sp, #32]
    and x2, x2, #0x7fffffffffffffff
    add x2, x2, #1
    ldr x4, [sp, #48]
    ldr x0, [x4, #{C_INSTANCE_INIT}]
    ldr x4, [x4, #{C_INSTANCE_CELL}]
    bl call_cached                        // __init__(self, *args, **kwargs)
    ldr x1, [sp, #24]
    ldr x10, [sp, #64]
    str x10, [x1, #-8]
    cbz x0, call_instance_failed
    ldr x9, lit_none
    cmp x0, x9
    b.ne call_instance_not_none
    @decref_call x0, x9, pyjit_dealloc
    ldr x0, [sp, #56]                     // self
call_instance_out:
    ldr x30, [sp], #80
    ret
call_instance_not_none:                   // TypeError, the result released
    ldr x16, lit_init_returned
    blr x16
call_instance_failed:
    ldr x0, [sp, #56]
    @decref_call x0, x9, pyjit_dealloc
    mov x0, #0
    ldr x30, [sp], #80
    ret
call_too_deep:
    ldr x16, lit_recursion_error
    br x16
call_miss:
    ldr x16, [x4, #{C_MEGAMORPHIC}]
    cbnz x16, call_go
call_fill:
    str x30, [sp, #-64]!
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    str x4, [sp, #48]                     // the cell: an INSTANCE target reads it
    mov x1, x0
    mov x0, x4
    ldr x2, lit_vectorcall
    ldr x16, lit_call_cell_fill
    blr x16
    mov x16, x0
    ldp x0, x1, [sp, #16]
    ldp x2, x3, [sp, #32]
    ldr x4, [sp, #48]
    ldr x30, [sp], #64
    b call_go
call_stale:                               // the callee's code, defaults or the like were
    str x30, [sp, #-48]!                  // assigned since its entry was found: ask
                                          // again (func_versions.py)
    stp x0, x1, [sp, #16]
    stp x2, x3, [sp, #32]
    mov x1, x16
    ldr x2, lit_vectorcall
    ldr x16, lit_call_entry_stale
    blr x16
    mov x16, x0
    ldp x0, x1, [sp, #16]
    ldp x2, x3, [sp, #32]
    ldr x30, [sp], #48
    b call_go
call_generic:
    ldr x16, lit_vectorcall
    br x16
"""
