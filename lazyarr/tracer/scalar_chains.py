"""(s13 gofast) A chain of 0-d map kernels of one structure in a fused program, run as one looping kernel.

``trace += np.tanh(a[i, i])`` over 4,000 elements traces into a chain of scalar nodes that the scheduler cuts
into ~130 0-d map kernels (``schedule.MAX_KERNEL_ARGS``: ~30 elements each). Run chunk by chunk, a call paid a
dispatcher call with ~31 0-d arguments per chunk (~8 us) and bound 4,000 element views (``Program.views``),
1.3 ms where NumPy's own Python loop takes 0.9 ms. Every chunk but the first and the last has one structure
(one kernel key): it reads the previous chunk's result (the *carry*) and its own elements, which are elements
of the same arrays at other indices. Such a run of chunks becomes one op here: per call, the elements of each
source array are gathered with one fancy index (``a[rows, cols]``, one row per input position), and one chain
kernel (``compiler/source_chain.py``) runs the chunk's body once per chunk, in order, carrying the result.

The order of operations is the chunks' own (each chunk's body, chunk after chunk), and so are the bits. The
elements are read when the op runs, as the chunk kernels read their 0-d views: an array written between calls
is read anew. While the chain kernel is not compiled (background compilation), the chunks run as before.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.schedule import MapKernel, gather_tables, is_kernel_gather
from lazyarr.compiler.source_chain import chain_source
from lazyarr.graph.dtypes import HALF
from lazyarr.graph.ops import GENERATORS
from lazyarr.runtime import launch

MIN_CHUNKS = 3  # shorter runs keep their chunk kernels: a chain kernel is one more compile

_stats = {"chains": 0, "chunks": 0}


def stats() -> dict:
    """How many chains this process folded, and how many chunk kernels they stand for (tests, profiling)."""
    return dict(_stats)


@dataclasses.dataclass(frozen=True)
class ChainStep:
    """What a 0-d map kernel's op reads and writes (``Builder._map``): the facts a chain needs."""
    kernel: MapKernel
    in_slots: tuple
    consts: tuple
    out_slot: int
    out_dtype: np.dtype
    quick: bool  # it runs on the quick tier (its math: vecmath's, else the C library's, as Numba's 0-d kernel)


def fold_chains(ops: list, reads: list, views: list, kept: set, v: list) -> tuple[list, list, list]:
    """(ops, reads, views) with each run of at least MIN_CHUNKS chained chunk ops replaced by one chain op, and
    the element views only those chunks read dropped from `views` (the chain gathers them itself). `reads`: per
    op, the slots it reads; `kept`: slots read outside the ops (outputs, constants); `v`: the first call's
    values (dtypes)."""
    elements = {slot: (source, index) for slot, source, index, *_ in views if type(index) is tuple}
    readers: dict[int, list[int]] = {}
    for i, slots in enumerate(reads):
        for s in slots:
            readers.setdefault(s, []).append(i)
    out_ops, out_reads, dropped = [], [], set()
    i = 0
    while i < len(ops):
        run, carry = _run_from(ops, i, elements, readers, kept, v)
        if len(run) < MIN_CHUNKS:
            out_ops.append(ops[i])
            out_reads.append(reads[i])
            i += 1
            continue
        steps = [ops[j].chain_step for j in run]
        op = _chain_op(steps, carry, elements, [ops[j] for j in run])
        if op is None:
            out_ops += [ops[j] for j in run]
            out_reads += [reads[j] for j in run]
        else:
            out_ops.append(op)
            read = {steps[0].in_slots[carry]} | {elements[s][0] for st in steps for j, s in enumerate(st.in_slots)
                                                 if j != carry}
            out_reads.append(read)
            dropped |= {s for st in steps for j, s in enumerate(st.in_slots) if j != carry} - {steps[0].in_slots[carry]}
            _stats["chains"] += 1
            _stats["chunks"] += len(run)
        i = run[-1] + 1
    return out_ops, out_reads, [view for view in views if view[0] not in dropped]


def _run_from(ops: list, i: int, elements: dict, readers: dict, kept: set, v: list) -> tuple[list, int | None]:
    """The op indices of the longest chain starting at op `i`, and its carry's input position."""
    first = getattr(ops[i], "chain_step", None)
    if first is None or not _loopable(first, v):
        return [], None
    run, carry = [i], None
    while run[-1] + 1 < len(ops):
        prev, j = ops[run[-1]].chain_step, run[-1] + 1
        step = getattr(ops[j], "chain_step", None)
        if (step is None or step.kernel.key != first.kernel.key or step.quick != first.quick
                or not _like_consts(step, first)):
            break
        at = [p for p, s in enumerate(step.in_slots) if s == prev.out_slot]
        if len(at) != 1 or (carry is not None and at[0] != carry):
            break
        if prev.out_slot in kept or readers.get(prev.out_slot, []) != [j]:
            break  # something else reads the intermediate chunk's result: it must exist
        if step.kernel.inputs[at[0]].dtype != step.out_dtype:
            break
        carry = at[0]
        run.append(j)
    if carry is None:
        return [], None
    for j in run:  # every other input of every chunk: an element of an array, read by this run alone
        for p, s in enumerate(ops[j].chain_step.in_slots):
            if p == carry:
                continue
            if s not in elements or s in kept or not set(readers.get(s, [])) <= set(run):
                return [], None
    sources = [elements[s][0] for p, s in enumerate(first.in_slots) if p != carry]
    for j in run:  # one source array per input position
        own = [elements[s][0] for p, s in enumerate(ops[j].chain_step.in_slots) if p != carry]
        if own != sources:
            return [], None
    return run, carry


def _loopable(step: ChainStep, v: list) -> bool:
    """Whether the chain kernel can loop this chunk's body: plain values only (no gathers, generators or
    float16 loads) and a result of the carry's dtype."""
    k = step.kernel
    if len(k.inputs) < 2 or gather_tables(k) or any(n.op in GENERATORS or is_kernel_gather(n) for n in k.body):
        return False
    if any(n.dtype == HALF for n in k.inputs) or step.out_dtype == HALF:
        return False
    out = k.outputs[0]
    return all(n is not out for n in k.inputs) and all(
        type(v[s]) is np.ndarray and v[s].ndim == 0 and v[s].dtype == n.dtype for s, n in zip(step.in_slots, k.inputs))


def _like_consts(a: ChainStep, b: ChainStep) -> bool:
    """Whether two chunks' constants can be one chain's: equal, or of one type (then one array of their values;
    float16 is carried as float32 and must be equal)."""
    return len(a.consts) == len(b.consts) and all(
        _same(x, y) or (type(x) is type(y) and n.dtype != HALF) for x, y, n in zip(a.consts, b.consts, a.kernel.consts))


def _same(x, y) -> bool:
    return type(x) is type(y) and np.asarray(x).tobytes() == np.asarray(y).tobytes()


def _chain_op(steps: list, carry: int, elements: dict, originals: list):
    """The op running `steps` (chained chunks) as one chain kernel, or None if it cannot be compiled."""
    first, last = steps[0], steps[-1]
    k = first.kernel
    positions = [p for p in range(len(k.inputs)) if p != carry]
    # per source array: the positions it feeds, and the index arrays gathering them (one row per position)
    groups: dict[int, list[int]] = {}
    for p in positions:
        groups.setdefault(elements[first.in_slots[p]][0], []).append(p)
    gathers = []
    for source, ps in groups.items():
        index = [[elements[st.in_slots[p]][1][:-1] for st in steps] for p in ps]  # (drop the Ellipsis)
        axes = len(index[0][0])
        gathers.append((source, tuple(np.array([[ix[d] for ix in row] for row in index], dtype=np.intp)
                                      for d in range(axes)), ps))
    varying = tuple(j for j, c in enumerate(first.consts) if not all(_same(st.consts[j], c) for st in steps))
    consts = [np.array([st.consts[j] for st in steps], dtype=k.consts[j].dtype) if j in varying else c
              for j, c in enumerate(first.consts)]  # (a loop's `i * x`: each chunk's i, in order)
    key = ("chain", k.key, carry, first.out_dtype, first.quick, varying)
    comment = "chain kernel (s13 gofast): this chunk's body, once per chunk, in order\n" + launch.describe(k)

    def source():
        return chain_source(k, carry, first.out_dtype, VERSION, comment=comment, vector_math=first.quick,
                            varying=varying)

    compiled = launch.kernel_for(key, source, k)
    if compiled is None:
        return None
    entry = launch.entry(compiled, False)
    carry_slot, out_slot, dtype = first.in_slots[carry], last.out_slot, first.out_dtype
    n_in = len(k.inputs)

    def chain(v, cv):
        args = [None] * n_in
        for source, index, ps in gathers:
            rows = v[source][index]
            for q, p in enumerate(ps):
                args[p] = rows[q]
        args[carry] = v[carry_slot].reshape(1)
        out = np.empty(1, dtype)
        entry(*args, *consts, out)
        v[out_slot] = out.reshape(())

    chain.chunks = len(steps)
    chain.note = (f"{len(steps)} 0-d map kernels of one structure, each reading the last one's result, run as one "
                  f"chain kernel over their elements gathered per call (tracer/scalar_chains.py)")
    chain.compiled = compiled  # the dispatcher owns the machine code: the cache may let go of it (LRU)
    chain.source = source
    return chain
