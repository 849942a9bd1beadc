"""Cheap scalar work inside a fused program: elements of arguments read by index, and 0-d ufunc stages run
as plain ufunc calls (``ScalarUfuncs``) instead of through the evaluator's per-call dispatch.

A value-dependent loop (``for i in range(n): trace += np.tanh(a[i, i])``) makes thousands of these per call;
each otherwise costs tens of microseconds. ``tracer/scalar_runs.py`` and ``tracer/scalar_vector.py`` take
runs of ``ScalarUfuncs`` further (one generated function, or array ufuncs over gathered elements).
"""
from __future__ import annotations

import numpy as np

from lazyarr.graph.expr import Node
from lazyarr.graph.ops import ELEMENTWISE


def element_index(base: np.ndarray, offset: int, dtype: np.dtype) -> tuple | None:
    """The index (ending in Ellipsis: a 0-d view, as the traced leaf is) of the element `offset` bytes into
    `base`, for a base of positive strides and the element's dtype; None where indexing cannot say it (the
    view is then replayed from its bytes). Indexing costs a microsecond where ``replay_view`` builds an array
    interface (30 us): go_fast reads 4,000 diagonal elements per call."""
    if base.dtype != dtype or base.ndim == 0 or any(st <= 0 for st in base.strides):
        return None
    index, rest = [0] * base.ndim, offset
    for axis in sorted(range(base.ndim), key=lambda k: -base.strides[k]):
        index[axis], rest = divmod(rest, base.strides[axis])
    if rest or not all(0 <= i < n for i, n in zip(index, base.shape)):
        return None
    return (*index, Ellipsis)


def scalar_ufunc(node: Node, sources: list, out: int):
    """The op of a 0-d ufunc stage whose operands are all already of its loop's dtypes: the ufunc on
    them, with the NumPy evaluator's error state and result dtype, without its per-call dispatch (a loop of
    scalar work makes thousands of these, each otherwise ~30 us). An operand is a slot (an int), or a constant:
    ``("k", value)`` fixed, ``("m", j)`` the call's computed constant j."""
    ufunc = ELEMENTWISE[node.op].ufunc if node.op in ELEMENTWISE else None
    loop = getattr(node.params, "loop", None)
    if (node.shape or ufunc is None or loop is None or ufunc.nout != 1
            or [a.dtype for a in node.args] != list(loop)):
        return None
    operands = [x if kind == "s" else (kind, x) for kind, x in sources]
    return ScalarUfuncs([(ufunc, operands, out, node.dtype)])


class ScalarUfuncs:
    """Consecutive 0-d ufunc stages as one op: NumPy's error state is entered once for all of them (entering
    it costs 6 us, more than a scalar ufunc call)."""

    __slots__ = ("calls",)

    def __init__(self, calls: list):
        self.calls = calls

    def __call__(self, v, cv):
        with np.errstate(all="ignore"):
            for ufunc, slots, out, dtype in self.calls:
                args = [v[x] if type(x) is int else cv[x[1]] if x[0] == "m" else x[1] for x in slots]
                v[out] = np.asarray(ufunc(*args), dtype=dtype)

    def joined(self, ops: list) -> bool:
        """Whether this op joined the last of `ops` (also a ScalarUfuncs), so it needs no entry of its own."""
        if not ops or type(ops[-1]) is not ScalarUfuncs:
            return False
        ops[-1].calls.extend(self.calls)
        return True
