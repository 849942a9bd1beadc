"""How long a fused program's values live, and where its results may be written.

``with_releases`` drops each intermediate after the last op that reads it (its buffer goes back to the scratch
pool for the next allocation); ``written_in_place`` finds the written arguments whose final value the kernel
computing it may write straight into the caller's array, as NumPy's in-place code would.
"""
from __future__ import annotations

import sys

import numpy as np

from lazyarr.compiler.schedule import MapKernel, ReduceKernel
from lazyarr.graph.expr import LEAF, Node
from lazyarr.runtime import scratch
from lazyarr.tracer.traced import Traced, leaf_origin


def with_releases(ops: list, reads: list, keep: set, n_args: int, constants: set) -> list:
    """The ops, each followed by dropping the intermediates it read last. A call otherwise holds every step's
    result until it returns: a loop of 20 steps over 8 MB arrays touched 160 MB of fresh pages per call, where
    NumPy reuses a few freed buffers (its allocator's), and the page faults cost more than the kernels.
    Arguments, constants and outputs are kept; a slot is dropped only after the last op that reads it."""
    last: dict[int, int] = {}
    for i, slots in enumerate(reads):
        for s in slots:
            last[s] = i
    dead: dict[int, list[int]] = {}
    for s, i in last.items():
        if s >= n_args and s not in keep and s not in constants:
            dead.setdefault(i, []).append(s)
    if not dead:
        return ops
    out = []
    for i, op in enumerate(ops):
        out.append(op)
        over = getattr(op, "writes_over", None)  # (written in place) a slice write reading x for the last time
        if over is not None and over[0] in dead.get(i, ()) and all(s in dead[i] for s in over[2]):
            over[1][0] = True  # (s16 sweepnp) over[2]: views of x[key] the kernel reads, dying here too
        if i in dead:
            out.append(_release(tuple(dead[i])))
    return out


def _slot_only_count() -> int:
    """The reference count ``runtime.only_one_holder`` sees for an array one slot of the values list alone
    holds, as the slice write's op asks it (the list, its local name, getrefcount's argument)."""
    v = [np.empty(1)]
    x = v[0]
    return sys.getrefcount(x)


SLOT_ONLY = _slot_only_count() + 1  # (+ only_one_holder's own parameter)


def _release(slots: tuple):
    def release(v, cv):
        dead = [v[s] for s in slots]
        for s in slots:
            v[s] = None
        scratch.recycle(dead)  # (#15 postblas) big buffers nothing else holds serve the next call's allocations
    return release


def output_slots(spec) -> set[int]:
    """Every slot an output spec reads when the call returns."""
    if spec[0] == "slot":
        return {spec[1]}
    if spec[0] in ("copy", "byteorder"):
        return output_slots(spec[1])
    if spec[0] in ("seq", "dict", "obj"):
        return set().union(*[output_slots(t) for t in spec[2]]) if spec[2] else set()
    return set()


def written_in_place(steps: list, traced: Traced, v: list) -> dict[int, int]:
    """(write-back) id(final node) -> argument slot, for each written argument whose final value the map
    kernel computing it may write straight into the argument's array: that kernel reads the argument only
    at the index it writes (the argument itself, no other view of it), no other step but earlier kernels
    (which write fresh arrays) reads the argument, and the array is laid out as the kernel's output would
    be (C- or F-contiguous, its dtype: ``writable_as``). Anything else keeps the copy after the call."""
    aliases: dict[int, int] = {}
    for i, node in getattr(traced, "written", ()):
        maker = next((n for n, step in enumerate(steps) if type(step) is MapKernel
                      and any(o is node for o in step.outputs)), None)
        if maker is None or not _only_reader(steps, maker, i, traced):
            continue
        aliases[id(node)] = i
    return aliases


def writable_as(v: list, slot, order: str, dtype) -> int | None:
    """`slot` if its array can be a kernel's output laid out in `order` with `dtype`, else None."""
    if slot is None:
        return None
    array = v[slot]
    contiguous = array.flags.c_contiguous if order == "C" else array.flags.f_contiguous
    return slot if contiguous and array.dtype == dtype and array.flags.writeable else None


def _only_reader(steps: list, maker: int, arg: int, traced: Traced) -> bool:
    for n, step in enumerate(steps):
        leaves = [a for a in _step_inputs(step) if a.op == LEAF and leaf_origin(a, traced) == arg]
        if not leaves:
            continue
        if n == maker:
            if any(id(a) not in traced.leaves for a in leaves):
                return False  # a shifted or strided view of the argument: another index than the one written
        elif n > maker or type(step) not in (MapKernel, ReduceKernel):
            return False
    return True


def _step_inputs(step) -> list[Node]:
    node = getattr(step, "node", None)
    return list(getattr(step, "inputs", ())) + (list(node.args) if node is not None else [])
