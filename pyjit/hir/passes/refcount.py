"""``refcount-insertion``: make reference counting explicit.

After this pass the code generator emits exactly the Incref/Decref/XDecref
instructions in the IR, plus, when a may-raise instruction fails, the
releases listed in its ``exc_release``; the net effect matches CPython's:

1. Every object value is *owned* (holds one reference) or *borrowed*.  NEW
   results and phis are owned.  Borrowed values (``Ownership``) stay
   borrowed unless they must be owned, in which case an Incref right after
   the definition promotes them:
   - a value borrowed from an operand (a tuple item) that is used outside
     its straight line of code or by a phi, or that a named local holds
     (used by a KeepAlive): the frame then owns it apart from the tuple,
     as CPython's does after UNPACK_SEQUENCE, so `del a` of `a, b = t`
     lets go of the item while `b` lives on;
   - a volatile borrowed value (a global) that is used outside its
     straight line, by a phi, by a stealing operand, by an instruction that
     may call, or that stays in use across an instruction that may call or
     may release a reference (a Decref can run a finalizer).
   A straight line is a block and the blocks that merely continue it after
   an exception edge split it (inside ``try``).
   Arguments and constants are never promoted when refcount-frame-values
   ran (they live for the call), else promoted as volatile values are;
   a use by an instruction that holds the operand itself is no reason to
   promote when refcount-held-operands ran; values refcount-immortal found
   immortal are not counted at all (refcount_elision.py).
2. Liveness of owned values ("roots") is computed backwards over the CFG; a
   use of a value borrowed from a root is a use of that root, so the tuple
   outlives its items.  An exception edge leaves from its raising
   instruction: the values its handler needs are live before it.
3. An owned value is released after its last use on every path: after the
   instruction (at the start of the normal successor when that instruction
   ends its block with an exception edge; before the terminator for a
   Return), or on the edge where it stops being live.  Named locals are
   used by the builder's KeepAlive where the frame lets go of them
   (rebinding, del, the function's end, a loop's back edge), so they live
   until then, as in CPython; a KeepAlive releases in its operands' order.
4. An operand in a ``consumable`` slot is handed over when it is a root
   that nothing needs afterwards (hints.consume_last_uses): the slot goes
   into the instruction's ``consumed``, a steal from then on.
   A stolen operand must be owned at the steal: a borrowed one is Incref'd
   just before; so is an owned one still live afterwards, needed by the
   instruction's handler (the steal happens on failure too) or stolen
   twice; otherwise its reference is handed over.  Returned values and phi inputs
   are stolen (a phi input on its edge; if the same owned value feeds two
   phis, or is also live into the block, the edge increfs it).
5. ``exc_release`` of a may-raise instruction: the owned values held just
   before it, minus its handed-over steals and minus what its handler takes
   (live into the handler, or phi inputs along the exception edge).  When
   the handler needs more references than are held (a borrowed phi input, a
   value needed twice), the exception edge is split and the new landing
   block Incref's them (after the releases, which never touch them).

Edge code goes at the start of the successor when it has one predecessor,
else before the predecessor's terminator when it has one successor, else in
a new block splitting the edge.
"""

from __future__ import annotations

import enum
from operator import attrgetter

from ..cfg import EdgeSplits, predecessors, remove_unreachable, reverse_postorder
from ..errors import HIRError
from ..fixpoint import sweep_to_fixpoint
from ..ir import Block, Function, Instr, Ownership, Value
from ..ops_core import Branch, Decref, Incref, KeepAlive, Phi, Return, XDecref, XIncref
from ..ops_objects import GetSecondOutput
from ..types import Nullptr
from .pipeline import Pass, register_pass


class Kind(enum.Enum):
    OWNED = "owned"
    FRAME = "frame"
    DERIVED = "derived"
    VOLATILE = "volatile"


_KINDS = {Ownership.NEW: Kind.OWNED, Ownership.BORROWED: Kind.FRAME,
          Ownership.BORROWED_FROM: Kind.DERIVED, Ownership.BORROWED_VOLATILE: Kind.VOLATILE}


def incref(value: Value) -> Instr:
    return (XIncref if value.type.could_be(Nullptr) else Incref)([value])


def decref(value: Value) -> Instr:
    return (XDecref if value.type.could_be(Nullptr) else Decref)([value])


class OwnershipFacts:
    """Kinds, promotions, roots and liveness of one function's values."""

    def __init__(self, func: Function) -> None:
        self.func = func
        self.hints = func.refcount_hints
        self.block_of: dict[Instr, Block] = {}
        self.kind: dict[Value, Kind] = {}
        immortal = self.hints.immortal
        for block in func.blocks:
            for instr in block.instrs:
                self.block_of[instr] = block
                if instr.result is None:          # (its ownership is NONE)
                    continue
                kind = _KINDS.get(instr.ownership)
                if kind is not None and instr.result not in immortal:
                    self.kind[instr.result] = kind
        self.preds = predecessors(func)
        self._straight_lines()
        self.uses = func.uses()
        self.promoted: set[Value] = set()
        self._promote()
        self.roots = {v for v, k in self.kind.items() if k is Kind.OWNED} | self.promoted
        self._root_uses: dict[Instr, set[Value]] = {}
        self._find_root_uses()
        self._liveness()

    # -- straight-line regions ---------------------------------------------------
    def _straight_lines(self) -> None:
        """Group each block with the blocks that only continue its normal
        path after an exception edge split it (a raising instruction, then
        ``Branch`` to a block with no other predecessor): the code between
        them runs straight through, so a borrowed value may stay borrowed
        across the split.  ``line_of`` maps a block to its line's first
        block, ``line_pos``/``line_instrs`` number the instructions along it."""
        preds = self.preds
        follows: dict[Block, Block] = {}
        for block in self.func.blocks:
            term = block.terminator
            if (block.raising_instr is not None and isinstance(term, Branch)
                    and preds.get(term.target) == [block] and term.target is not block):
                follows[block] = term.target
        continued = set(follows.values())
        self.line_of: dict[Block, Block] = {}
        self.line_instrs: dict[Block, list[Instr]] = {}
        self.line_pos: dict[Instr, int] = {}
        heads = [b for b in self.func.blocks if b not in continued]
        for head in heads + [b for b in self.func.blocks if b in continued]:
            if head in self.line_of:
                continue  # already on the line of the block it continues
            line: list[Instr] = []
            block: Block | None = head
            while block is not None and block not in self.line_of:
                self.line_of[block] = head
                line += block.instrs
                block = follows.get(block)
            self.line_instrs[head] = line
            for pos, instr in enumerate(line):
                self.line_pos[instr] = pos

    # -- promotion -------------------------------------------------------------
    def _promote(self) -> None:
        for value, kind in self.kind.items():
            if kind is Kind.DERIVED and (self._escapes_block(value) or self._held_by_local(value)):
                self.promoted.add(value)
        # Without refcount-frame-values, arguments and constants are treated
        # as globals are: owned around whatever may run code of the program.
        # (A tuple: its test compares by identity, where a set hashes the enum.)
        volatile = (Kind.VOLATILE,) if self.hints.frame_values_outlive else (Kind.VOLATILE, Kind.FRAME)
        changed = True
        while changed:
            changed = False
            for value, kind in self.kind.items():
                if kind in volatile and value not in self.promoted and self._volatile_needs_ref(value):
                    self.promoted.add(value)
                    changed = True

    def _line(self, instr: Instr) -> Block:
        return self.line_of[self.block_of[instr]]

    def _escapes_block(self, value: Value) -> bool:
        home = self._line(value.defn)  # type: ignore[arg-type]
        return any(isinstance(u, Phi) or self._line(u) is not home for u in self.uses.get(value, []))

    def _held_by_local(self, value: Value) -> bool:
        return any(isinstance(u, KeepAlive) for u in self.uses.get(value, []))

    def _family(self, value: Value) -> list[Value]:
        """value and the unpromoted values borrowed from it, transitively."""
        members = [value]
        for member in members:
            for user in self.uses.get(member, []):
                res = user.result
                if (res is not None and self.kind.get(res) is Kind.DERIVED and res not in self.promoted
                        and user.operands[user.borrow_source] is member and res not in members):
                    members.append(res)
        return members

    def _volatile_needs_ref(self, value: Value) -> bool:
        defn = value.defn
        home, start = self._line(defn), self.line_pos[defn]  # type: ignore[arg-type,index]
        last = start
        for member in self._family(value):
            for user in self.uses.get(member, []):
                if isinstance(user, Phi) or self._line(user) is not home:
                    return True
                if user.may_call and not self.hints.held(user, member):
                    return True
                if member is value and any(user.operands[i] is value for i in user.stolen_indices()):
                    return True
                last = max(last, self.line_pos[user])
        return any(self._may_release(i) for i in self.line_instrs[home][start + 1:last])

    def _may_release(self, instr: Instr) -> bool:
        """Could a reference be released (a finalizer run) at this instruction?"""
        if instr.may_call or instr.ownership is Ownership.NEW:
            return True
        return any(self.kind.get(v) is Kind.OWNED or v in self.promoted for v in instr.operands)

    # -- roots and liveness ------------------------------------------------------
    def root_of(self, value: Value) -> Value | None:
        """The owned value that keeps ``value`` alive (None: nothing to track)."""
        if value in self.roots:
            return value
        if self.kind.get(value) is Kind.DERIVED:
            defn = value.defn
            return self.root_of(defn.operands[defn.borrow_source])  # type: ignore[union-attr]
        return None

    def root_uses(self, instr: Instr) -> set[Value]:
        """The roots instr's operands use (the set is shared: not to be
        changed).  Liveness and the rewriter ask for each instruction
        several times; the roots are fixed by then."""
        roots = self._root_uses.get(instr)
        if roots is None:
            roots = {self.root_of(v) for v in instr.operands}
            roots.discard(None)
            self._root_uses[instr] = roots  # type: ignore[assignment]
        return roots  # type: ignore[return-value]

    def _find_root_uses(self) -> None:
        """root_uses of every instruction but the phis (liveness and the
        rewriter skip them), found at once: they then read the table."""
        roots, kind, root_uses = self.roots, self.kind, self._root_uses
        for instr in self.func.instructions():
            if instr.is_phi:
                continue
            used = set()
            for v in instr.operands:          # root_of(v), its first tests inline
                if v in roots:
                    used.add(v)
                elif kind.get(v) is Kind.DERIVED:
                    root = self.root_of(v)
                    if root is not None:
                        used.add(root)
            root_uses[instr] = used

    def edge_needs(self, pred: Block, succ: Block) -> tuple[dict[Value, int], list[Value]]:
        """References the edge must deliver: a count per root (live into succ,
        plus one per phi input; a root not in the dict needs none) and the
        borrowed phi inputs to Incref."""
        need = dict.fromkeys(self.live_in[succ], 1)
        borrowed: list[Value] = []
        for phi in succ.phis:
            value = phi.input_for(pred)  # type: ignore[attr-defined]
            if not value.type.is_refcounted or value in self.hints.immortal:
                continue
            if value in self.roots:
                need[value] = need.get(value, 0) + 1
            else:
                borrowed.append(value)
        return need, borrowed

    def edge_roots(self, pred: Block, succ: Block) -> set[Value]:
        """The roots edge_needs counts (the edge needs a reference to each):
        what liveness propagates, without the counts."""
        roots = self.live_in[succ]
        inputs = [v for v in (phi.input_for(pred) for phi in succ.phis)  # type: ignore[attr-defined]
                  if v in self.roots and v.type.is_refcounted and v not in self.hints.immortal]
        return roots | set(inputs) if inputs else set(roots)

    def _liveness(self) -> None:
        """Backward dataflow over the blocks in postorder, to a fixpoint.
        A block's sets only depend on its successors' live_in, so each
        sweep only revisits the blocks whose successor's live_in changed
        (fixpoint.py)."""
        order = reverse_postorder(self.func)
        order.reverse()
        position = {b: i for i, b in enumerate(order)}
        self.live_in: dict[Block, set[Value]] = {b: set() for b in self.func.blocks}
        self.live_top: dict[Block, set[Value]] = {}
        self.live_after: dict[Instr, set[Value]] = {}
        self.exc_need: dict[Block, set[Value]] = {}
        sweep_to_fixpoint(
            len(order), lambda pos: self._block_liveness(order[pos]),
            lambda pos: [position[p] for p in self.preds[order[pos]] if p in position])

    def _block_liveness(self, block: Block) -> bool:
        """Recompute the sets of block from its successors' live_in; True if
        its live_in changed."""
        live: set[Value] = set()
        for succ in block.normal_successors():
            live |= self.edge_roots(block, succ)
        raising = block.raising_instr
        if raising is not None:
            self.exc_need[block] = self.edge_roots(block, raising.exc_target)  # type: ignore[arg-type]
        live_after, root_uses = self.live_after, self._root_uses   # (read for every instruction)
        for instr in reversed(block.instrs):
            if instr.is_phi:
                break
            live_after[instr] = live.copy()
            live.discard(instr.result)  # type: ignore[arg-type]
            live |= root_uses[instr]
            if instr is raising:
                live |= self.exc_need[block]
        self.live_top[block] = set(live)
        live -= {p.result for p in block.phis}
        if live != self.live_in[block]:
            self.live_in[block] = live
            return True
        return False


@register_pass
class RefcountInsertion(Pass):
    """Insert Incref/Decref/XDecref and fill ``exc_release``."""

    name = "refcount-insertion"
    summary = "Incref/Decref/XDecref and release lists (required by code generation)"

    def run(self, func: Function) -> None:
        remove_unreachable(func)
        RefcountRewriter(func).rewrite()
        func.refcounted = True


class RefcountRewriter:
    """Applies the rules of the module docstring to one function."""

    def __init__(self, func: Function) -> None:
        self.func = func
        self.facts = OwnershipFacts(func)
        self.preds = self.facts.preds   # the facts are of the unchanged function
        self.edge_code: list[tuple[Block, Block, list[Instr]]] = []
        self.landing_code: list[tuple[Block, Block, list[Instr]]] = []

    def rewrite(self) -> None:
        for block in list(self.func.blocks):
            self.rewrite_block(block)
        self.splits = EdgeSplits(self.func)
        for pred, succ, code in self.edge_code:
            self.place(pred, succ, code)
        for pred, succ, code in self.landing_code:
            self.splits.split(pred, succ).instrs[0:0] = code
        self.splits.place()

    # -- within a block ------------------------------------------------------------
    def steal_code(self, instr: Instr) -> tuple[list[Instr], set[Value]]:
        """Increfs needed before instr for its stolen operands, and the roots
        whose reference it takes over."""
        facts, before, handed = self.facts, [], set()
        still_needed = facts.live_after[instr]
        if instr.exc_target is not None:  # a steal happens on failure too
            still_needed = still_needed | facts.exc_need[self.facts.block_of[instr]]
        if instr.consumable and facts.hints.consume_last_uses:
            instr.consumed = tuple(self.consumed(instr, still_needed))
        for i in instr.stolen_indices():
            value = instr.operands[i]
            if not value.type.is_refcounted or value in facts.hints.immortal:
                continue
            if value in facts.roots and value not in still_needed and value not in handed:
                handed.add(value)
            else:
                before.append(incref(value))
        return before, handed

    def consumed(self, instr: Instr, still_needed: set[Value]) -> list[int]:
        """The consumable operand slots of instr that hand it an owned
        reference no one needs after it (one slot per value)."""
        facts, taken, slots = self.facts, set(), []
        for i in instr.consumable:
            value = instr.operands[i]
            if (value in facts.roots and value not in still_needed and value not in taken
                    and value.type.is_refcounted and value not in facts.hints.immortal):
                taken.add(value)
                slots.append(i)
        return slots

    def rewrite_block(self, block: Block) -> None:
        facts = self.facts
        phis = block.phis
        out: list[Instr] = list(phis)
        out += [decref(p.result) for p in phis  # type: ignore[arg-type]
                if p.result in facts.roots and p.result not in facts.live_top[block]]
        raising = block.raising_instr
        normal_code: list[Instr] = []
        deferred: list[Instr] = []
        # (facts' tables read once: the loop runs for every instruction)
        live_after_of, root_uses, promoted, roots = (
            facts.live_after, facts._root_uses, facts.promoted, facts.roots)
        for instr in block.instrs[len(phis):]:
            if instr.steals or instr.consumable or instr.consumed:
                before, handed = self.steal_code(instr)
                out += before
            else:                           # most instructions: nothing to hand over
                handed = _NOTHING
            live_after = live_after_of[instr]
            if instr.may_raise:
                self.release_on_failure(block, instr, handed)
            if instr.is_terminator:
                if isinstance(instr, Return):
                    out += [decref(r) for r in sorted(root_uses[instr] - handed, key=_vid)]
                out.append(instr)
                break
            out.append(instr)
            after: list[Instr] = []
            result = instr.result
            if result in promoted:
                after.append(incref(result))  # type: ignore[arg-type]
            used = root_uses[instr]
            if result in roots:
                used = used | {result}
            if instr is raising:  # kept for the handler only: dies here on the normal path
                used = used | facts.exc_need[block]
            dying = used - live_after
            if dying and handed:
                dying -= handed
            if dying:
                after += [decref(r) for r in sorted(dying, key=self.release_order(instr))]
            if instr is raising:
                normal_code, deferred = deferred + after, []
            elif instr.has_second_output:
                deferred = after  # its GetSecondOutput must come right after it
            else:                   # (most instructions: both empty)
                if after:
                    out += after
                if deferred:
                    out += deferred
                    deferred = []
        block.instrs = out
        for succ in block.normal_successors():
            self.edge_code.append((block, succ, normal_code + self.normal_edge_code(block, succ)))

    def release_order(self, instr: Instr):
        """The sort key of the values released after instr: a KeepAlive
        releases its operands in their order (the frame's slot order, as
        CPython clears a frame); anything else by value number."""
        if not isinstance(instr, KeepAlive):
            return _vid
        position: dict[Value, int] = {}
        for v in instr.operands:
            root = self.facts.root_of(v)
            if root is not None:
                position.setdefault(root, len(position))
        return lambda root: (position.get(root, len(position)), root.id)

    def normal_edge_code(self, block: Block, succ: Block) -> list[Instr]:
        """Increfs (first) and decrefs (then) so the edge delivers what succ
        needs out of what the end of block holds."""
        need, borrowed = self.facts.edge_needs(block, succ)
        held = self.facts.live_after[block.terminator]  # type: ignore[index]
        code = [incref(v) for v in borrowed]
        held_in_order = sorted(held, key=_vid)
        for root in held_in_order:
            extra = need.get(root, 0) - 1
            if extra > 0:                 # (most roots: no Incref to build)
                code += [incref(root)] * extra
        return code + [decref(r) for r in held_in_order if r not in need]

    def release_on_failure(self, block: Block, instr: Instr, handed: set[Value]) -> None:
        facts = self.facts
        held = (facts.live_after[instr] - {instr.result}) | facts.root_uses(instr)
        if instr.exc_target is not None:
            held |= facts.exc_need[block]
        held -= handed
        if instr.exc_target is None:
            instr.exc_release = sorted(held, key=_vid)
            return
        need, borrowed = facts.edge_needs(block, instr.exc_target)
        missing = set(need) - held
        if missing:  # liveness guarantees it; a failure here is a bug in this pass
            raise HIRError(f"handler needs values not held at {instr.opname}: {missing}")
        instr.exc_release = sorted((r for r in held if r not in need), key=_vid)
        code = [incref(v) for v in borrowed]
        for root in sorted(need, key=_vid):
            if need[root] > 1:            # (most roots: no Incref to build)
                code += [incref(root)] * (need[root] - 1)
        if code:
            self.landing_code.append((block, instr.exc_target, code))

    # -- edges ---------------------------------------------------------------------
    def place(self, pred: Block, succ: Block, code: list[Instr]) -> None:
        if not code:
            return
        if self.preds[succ] == [pred]:
            index = len(succ.phis)
            if index < len(succ.instrs) and isinstance(succ.instrs[index], GetSecondOutput):
                index += 1
            succ.instrs[index:index] = code
        elif pred.successors() == [succ]:
            pred.instrs[-1:-1] = code
        else:
            self.splits.split(pred, succ).instrs[0:0] = code


_NOTHING: frozenset[Value] = frozenset()

# The sort key of values by number (attrgetter: no Python call per value).
_vid = attrgetter("id")
