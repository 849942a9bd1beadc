"""(BLAS-bound programs, #15) Matrix products that are cheaper as a fused multiply-and-sum than as a BLAS call.

A matrix-vector product ``X @ w`` reads X once and does two flops per element: it is bound by memory, not by
arithmetic, so BLAS has nothing to gain over one fused pass, and as a BLAS stage it is a boundary: its producers
(``X @ (w - lr * g)``) are computed into a temporary first and its consumers (``1 / (1 + exp(-(X @ w)))``) read
it back in another kernel. Written as ``sum(X * w, axis=1)`` it is an ordinary reduction, so the planner fuses
its elementwise producer into the reduction's loop and the consumers over the result as it does for any sum.

Matrix-matrix products stay BLAS's: even with a short inner axis (``points @ centroids.T`` with 8
coordinates), the reduce kernel over the broadcast (m, n, k) product measured 5x slower than BLAS (326 ms against
68 ms for 300,000 x 8 @ 8 x 16), and with a long one BLAS's blocking wins by an order of magnitude.

Only real floating-point operands (float32, float64) take this path: their product's dtype is the product's
and NumPy's ``sum`` accumulates in it, as matmul does. Integer matmul keeps its own result dtype (``int32 @ int32``
is int32, where ``sum`` would widen to int64), bool matmul is a logical or of ands, and complex, float16 and
object products stay NumPy's. The values are a different summation order of the same products (BLAS's own
order depends on the build and the thread count): not bit-equal to NumPy's, within its rounding.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build, reductions
from lazyarr.api import gemv_pair  # (#15 logreg4)
from lazyarr.graph import expr
from lazyarr.graph.expr import Node

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def fused_product(a: Node, b: Node) -> Node | None:
    """``a @ b`` as a fused multiply-and-sum where that reads each operand once at most a few times (see the
    module's docstring), or None: the caller keeps the BLAS stage. Shapes are already checked."""
    if a.dtype not in _FLOATS or b.dtype not in _FLOATS or 0 in a.shape or 0 in b.shape:  # (s15: no .size)
        return None
    andim, bndim = len(a.shape), len(b.shape)
    if andim == 2 and bndim == 1:  # (n, k) @ (k,): each row's dot with b
        pair = gemv_pair.pair_product(a, b)  # (#15 logreg4) A.T @ g(A @ v): one pass over A
        if pair is not None:
            return pair
        if _transposed_leaf(a):  # X.T @ v: summed down the columns of X, in X's memory order
            return _weighted_rows(_once(b), build.transpose(a, (1, 0)))
        if BLAS_FOR_COMPUTED_MATRICES and _computed(a):  # (#15 logreg3) off: see the switch
            return None
        return _sum(build.ufunc_node(np.multiply, (a, _once(b)), "matmul"), 1)
    if andim == 1 and bndim == 2:  # (k,) @ (k, n): the rows of b weighted by a, summed
        return _weighted_rows(_once(a), b)
    return None


# --- (#15 logreg3) BLAS for ``A @ v`` of a computed matrix: measured, off --------------------------------------
# A matrix that is already an array (an input, a stage's value) has no producer for the fused reduction to
# absorb, and on a quiet machine OpenBLAS's gemv reads it faster than the reduce kernel (1.3-1.6 against 2.35 ms
# at 60000 x 32). On the loaded benchmark machine the BLAS stage made logistic_regression NumPy's speed where
# the fused kernels were 2x NumPy (docs/fuse_programs.md, 2026-11-30), so it is off. A switch for A/B runs
# (bench/ab_blas_computed.py), not a user setting: True keeps such products NumPy's matmul (NumPy's bits).
BLAS_FOR_COMPUTED_MATRICES = False


def _computed(matrix: Node) -> bool:
    """Whether `matrix` is an array already (a leaf, a constant, a stage's value) rather than an elementwise
    expression that a fused product computes inside its loop."""
    return matrix.op in (expr.LEAF, expr.CONST) or not matrix.fusable
# --- end (#15 logreg3) ---


def _weighted_rows(weights: Node, matrix: Node) -> Node:
    """``weights @ matrix``: sum over axis 0 of ``weights[:, None] * matrix``."""
    return _sum(build.ufunc_node(np.multiply, (_column(weights), matrix), "matmul"), 0)


def _column(vector: Node) -> Node:
    """``vector[:, None]``: a view of a leaf's array, else a view of the computed value (``_once`` already made
    any expression a computed value). Not api/reshaping's expand_dims: importing it from here would close an
    import cycle (indexing -> stages -> products -> reshaping -> indexing)."""
    shape = (vector.shape[0], 1)
    if vector.op == expr.LEAF:
        return expr.leaf(vector.data.reshape(shape))
    return build.numpy_stage("reshape", (vector,), (("shape", shape),), shape, vector.dtype)


def _sum(node: Node, axis: int) -> Node:
    return reductions.reduce(node, "sum", axis=axis)


def _once(node: Node) -> Node:
    """An operand the product reads more often than it has elements (a vector against every row of a
    matrix), computed once: inside the fused loop its expression would run again for every element read, and
    the ``w`` of a gradient-descent loop is a chain over all earlier steps. Leaves, constants and values
    that are not elementwise are already computed."""
    if node.op in (expr.LEAF, expr.CONST) or not node.fusable:
        return node
    return build.numpy_stage("reshape", (node,), (("shape", node.shape),), node.shape, node.dtype)


def _transposed_leaf(node: Node) -> bool:
    """An array whose rows are strided and whose columns are contiguous (``X.T`` of a C array)."""
    return (node.op == expr.LEAF and isinstance(node.data, np.ndarray) and node.data.flags.f_contiguous
            and not node.data.flags.c_contiguous)
