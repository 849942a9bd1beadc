"""float32 row fusion (#14): softmax, logsumexp, standardisation and layer norm of float32 data row-fuse as
float64 does.

A float32 ``max`` accumulates in float32 but a float32 ``sum`` in float64 (ops.py ``_wide``); row fusion used to
refuse a region whose reductions accumulate in different dtypes, so every float32 softmax ran as five steps.
Values against NumPy (same dtype and shape; float32 tolerance) and one row kernel in the plan. The shape is
tests/test_rowfuse.py's, so its float32 kernels are shared.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import plan
from tests.test_rowfuse import layernorm, logsumexp, softmax, standardise0, standardise1

SHAPE = (37, 23)


def _inputs(fn, dtype=np.float32, order="C"):
    rng = np.random.default_rng(11)
    x = np.asarray(rng.standard_normal(SHAPE) * 3, dtype=dtype, order=order)
    if fn is layernorm:
        return [x, (rng.random(SHAPE[1]) + 0.5).astype(dtype), rng.random(SHAPE[1]).astype(dtype)]
    return [x]


def _lazy(fn, arrays):
    return fn(*[la.array(a) for a in arrays])


@pytest.mark.parametrize("fn", [softmax, logsumexp, standardise0, standardise1, layernorm],
                         ids=lambda f: f.__name__)
def test_float32_is_one_row_kernel_and_matches_numpy(fn):
    arrays = _inputs(fn)
    copies = [a.copy() for a in arrays]
    want = fn(*arrays)
    got = np.asarray(_lazy(fn, arrays))
    assert got.dtype == want.dtype == np.float32 and got.shape == want.shape
    # NumPy sums float32 in float32 (pairwise), the row kernel in float64: both within a few float32 ULP.
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert all(np.array_equal(a, c) for a, c in zip(arrays, copies))
    assert [type(s) for s in plan([_lazy(fn, arrays)._node])] == [RowKernel]


def test_float32_explain_names_the_row_kernel():
    text = _lazy(softmax, _inputs(softmax)).explain()
    assert "row kernel (max, sum) over axis 1" in text
    assert "1 step(s)" in text


def test_reductions_accumulating_in_different_dtypes_share_a_row_kernel():
    # A float max (float64 accumulator) and a count of positives (bool summed in int64) over the same rows.
    x = _inputs(softmax, np.float64)[0]

    def fn(a):
        return (a - a.max(axis=1, keepdims=True)) / (a > 0).sum(axis=1, keepdims=True)

    want = fn(x)
    got = np.asarray(fn(la.array(x)))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    assert [type(s) for s in plan([fn(la.array(x))._node])] == [RowKernel]
