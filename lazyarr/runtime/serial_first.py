"""A new expression's first answer at a serial size with background compilation on (#14): NumPy, no plan.

With background compilation NumPy answers a call whose kernels are not compiled yet. At a serial size (every
value under ``config.parallel_threshold()``, 2**15 elements by default) NumPy's own time is 0.03-0.15 ms, while
planning the graph, choosing its kernels and handing their compiles over costs a new expression ~0.5-1 ms in a
fresh process (docs/runtime.md). So the first call of an expression structure (``Node.sid``) not seen before
is answered by NumPy over the raw graph, node by node (``graph/reference``), and its planning is handed to the
compile worker (``cache.plan_later``): there the runtime's full path runs on the same graph once the call has
returned, queueing the kernels' compiles as a first call would have, and its NumPy answer is dropped.

The value is NumPy's own: each node is NumPy's ufunc over its loop's dtypes, each reduction NumPy's function
(for a full float sum that is closer to NumPy than the blockwise answer's summation order). Only graphs of
in-memory arrays, constants, elementwise ops, reductions, scans and NumPy stages (the full path runs those with
NumPy too) are answered here; anything else (gathers, writes, generators, ``out=``) takes the full path. A structure seen before takes the full path too, so its next
calls find its kernels (or wait for the plan job's compiles, as any call does).
"""
from __future__ import annotations

import math
import os
import threading

import numpy as np

from lazyarr import config
from lazyarr.compiler import cache
from lazyarr.graph import reference
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import ELEMENTWISE, REDUCTIONS, is_elementwise

# Nodes walked at most: a bigger graph is no longer "a small expression" (and its plan pays off anyway).
MAX_NODES = 64
# Structure ids remembered; beyond it the set starts again (a structure forgotten is answered here once more).
MAX_REMEMBERED = 4096

_seen: set[int] = set()  # structure ids answered here or found unsuitable: their next calls take the full path
_lock = threading.Lock()
_answered = [0]


def answered() -> int:
    """How many calls this module answered in this process (tests: which path answered)."""
    return _answered[0]


def answer(root: Node, plan_and_run) -> np.ndarray | None:
    """NumPy's value of `root` if this is the first call of its structure at a serial size with background
    compilation on (`plan_and_run()`, the full path, is then handed to the compile worker); else None.

    (#14 bgprime) While this thread primes (``priming``), the same code runs and answers, but nothing is
    remembered, counted or handed to the worker, and a graph this module would not answer raises ``NotPrimed``
    instead of returning None: the full path would plan it and compile its kernels."""
    sid = root.sid
    if sid in _seen or not config.background_compile():
        if _priming.active:
            raise NotPrimed("background compilation is off or the structure was answered before")
        return None
    priming = _priming.active
    if not priming:
        with _lock:
            if len(_seen) >= MAX_REMEMBERED:
                _seen.clear()
            _seen.add(sid)
    order = _small_graph(root, config.parallel_threshold())
    if order is None:
        if priming:
            raise NotPrimed("the priming graph is not a serial-size graph of NumPy's operations")
        return None
    with cache.holding_compiles():  # the plan job starts once this call has its answer
        value = _evaluate(order)
        cache.count_interpreted()  # (not counted while priming: ``priming`` is also ``cache.not_counted``)
        if not priming:
            cache.plan_later(plan_and_run)
    if not priming:
        _answered[0] += 1
    return value


# --- (#14 bgprime) priming at import --------------------------------------------------------------------------
class NotPrimed(RuntimeError):
    """A priming graph that this module would not answer (it would take the full path: plan and compile)."""


class _Priming(threading.local):
    active = False


_priming = _Priming()


class priming:
    """Context manager: this thread's first answers here leave nothing behind (``api/prime.py``). NumPy's answers
    are not counted (``cache.not_counted``: ``count_interpreted`` still runs, so its first run is done too)."""
    __slots__ = ("before", "uncounted")

    def __enter__(self):
        self.before, _priming.active = _priming.active, True
        self.uncounted = cache.not_counted()
        self.uncounted.__enter__()

    def __exit__(self, *exc):
        self.uncounted.__exit__(*exc)
        _priming.active = self.before


def warm(root: Node) -> None:
    """Run this module's answer over `root` without counting it, remembering it or handing a plan over (the
    warm-up thread's run of a first answer's code, ``compiler/warmup.also``)."""
    order = _small_graph(root, config.parallel_threshold())
    if order is not None:
        _evaluate(order)


def _small_graph(root: Node, threshold: int) -> list[Node] | None:
    """`root`'s nodes, operands first, if every one is an in-memory array, a constant, an elementwise op, a
    reduction, a scan or a NumPy stage, of fewer than `threshold` elements, and there are at most MAX_NODES; else None."""
    if root.op in (LEAF, CONST):
        return None
    order: list[Node] = []
    seen: set[int] = set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES or not _answerable(node, threshold):
            return None
        stack.append((node, True))
        stack.extend((a, False) for a in reversed(node.args) if id(a) not in seen)
    return order


def _answerable(node: Node, threshold: int) -> bool:
    if math.prod(node.shape) >= threshold:
        return False
    op = node.op
    if op == LEAF:
        return type(node.data) is np.ndarray
    # a NumPy stage (keepdims' reshape, a sort) runs as NumPy's function on either path; a scan as accumulate
    return op in _NUMPY_OPS or is_elementwise(op)


_NUMPY_OPS = frozenset({CONST, "reduce", "numpy", "scan"})


def _evaluate(order: list[Node]) -> np.ndarray:
    """The last node's value, NumPy's, node by node; a new array (never an input's memory).

    (#14 bgfirst4) Under one ``np.errstate`` for the whole graph, each ufunc node called directly and sum, prod,
    max and min as their ufunc's reduce (what ``np.sum`` calls on an ndarray): the same NumPy calls on the same
    values as ``reference.apply``, without its per-node error-state context and NumPy's Python wrappers, whose
    first execution in a process is most of a small expression's answer (docs/runtime.md, seventh round)."""
    values: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in order:
            op = node.op
            if op == LEAF:
                value = node.data
            elif op == CONST:
                value = np.asarray(node.data, dtype=node.dtype)
            else:
                args = [values[id(a)] for a in node.args]
                value = _direct(node, op, args)
                if value is None:
                    value = reference.apply(node, args)
            values[id(node)] = value
    value = values[id(order[-1])]
    node = order[-1]
    if not (value.flags.owndata and value.flags.writeable) or value.dtype != node.dtype \
            or value.shape != tuple(node.shape):  # (an op NumPy answers with a view of its operand, e.g. real)
        value = np.array(np.broadcast_to(value, node.shape), dtype=node.dtype)
    return value


# Reductions whose NumPy function calls its ufunc's reduce on an ndarray (``_wrapreduction``)
_BY_UFUNC_REDUCE = frozenset({"sum", "prod", "max", "min"})


def _direct(node: Node, op: str, args: list) -> np.ndarray | None:
    """`node`'s value by the NumPy call ``reference.apply`` ends in, made here directly; None: ask it."""
    if op == "reduce":
        params = node.params
        if params.name not in _BY_UFUNC_REDUCE:
            return None
        red = REDUCTIONS[params.name]
        kwargs = {"dtype": node.dtype} if red.takes_dtype else {}
        value = np.asarray(red.ufunc.reduce(args[0], axis=params.axis, **kwargs))
    else:
        entry = ELEMENTWISE.get(op)
        if entry is None or entry.ufunc is None or entry.ufunc.nout != 1:
            return None
        loop = node.params.loop
        value = entry.ufunc(*[a if a.dtype == dt else a.astype(dt) for a, dt in zip(args, loop)])
        if type(value) is not np.ndarray:  # a 0-d result is a NumPy scalar
            value = np.asarray(value)
    return value if value.dtype == node.dtype else value.astype(node.dtype)


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
