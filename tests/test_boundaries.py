"""matmul/dot/tensordot and other non-fusable NumPy functions: NumPy evaluates them as stages; the elementwise
work on each side is still fused; shapes that do not align fail at build time."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, Stage, plan
from oracle import assert_same

rng = np.random.default_rng(12)


def kinds(e):
    return [type(s).__name__ for s in plan([e._node])]


def test_matmul_is_kernel_blas_kernel():
    A, B, c = rng.random((30, 20)), rng.random((20, 10)), rng.random(10)
    e = np.tanh(la.array(A) * 2) @ la.array(B) + c
    assert kinds(e) == ["MapKernel", "Stage", "MapKernel"]
    assert "matmul is not fused" in e.explain()
    np.testing.assert_allclose(e.compute(), np.tanh(A * 2) @ B + c, rtol=1e-12)


@pytest.mark.parametrize("sa,sb", [((5,), (5,)), ((3, 5), (5,)), ((5,), (5, 2)), ((2, 3, 5), (5, 4)),
                                   ((4, 1, 3, 5), (2, 5, 6))])
def test_matmul_shapes_and_dtypes_follow_numpy(sa, sb):
    for da, db in [("f8", "f8"), ("f4", "f4"), ("i4", "f4"), ("c16", "f8"), ("i8", "i8")]:
        a, b = rng.random(sa).astype(da), rng.random(sb).astype(db)
        e = la.array(a) @ la.array(b)
        want = a @ b
        assert (e.shape, e.dtype) == (np.shape(want), np.asarray(want).dtype)
        np.testing.assert_allclose(np.asarray(e.compute()), want, rtol=1e-5)
        np.testing.assert_allclose(np.matmul(la.array(a), b).compute(), want, rtol=1e-5)


def test_matmul_errors_at_build_time():
    with pytest.raises(ValueError, match="not aligned"):
        la.array(np.ones((3, 4))) @ la.array(np.ones((3, 4)))
    with pytest.raises(ValueError):
        la.array(np.ones(3)) @ 2.0


def test_dot_and_tensordot():
    a, b = rng.random((6, 4)), rng.random((4, 3))
    np.testing.assert_allclose(np.dot(la.array(a) + 1, b).compute(), np.dot(a + 1, b), rtol=1e-12)
    np.testing.assert_allclose(la.array(a).dot(b).compute(), a.dot(b), rtol=1e-12)
    np.testing.assert_allclose(np.tensordot(la.array(a), a, axes=([0], [0])).compute(),
                               np.tensordot(a, a, axes=([0], [0])), rtol=1e-12)
    t, u = rng.random((3, 4, 5)), rng.random((4, 5))
    e = np.tensordot(la.array(t), u, axes=2)
    assert e.shape == (3,)
    np.testing.assert_allclose(e.compute(), np.tensordot(t, u, axes=2), rtol=1e-12)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumulative_and_sort_are_numpy_stages(axis):
    x = rng.random((7, 9))
    X = la.array(x)
    assert_same(np.cumsum(X * 2, axis=axis).compute(), np.cumsum(x * 2, axis=axis))
    assert_same(np.cumprod(X + 1, axis=axis).compute(), np.cumprod(x + 1, axis=axis))
    assert_same(np.sort(X - 1, axis=axis).compute(), np.sort(x - 1, axis=axis))
    assert "Stage" in kinds(np.sort(X - 1, axis=axis))


def test_concatenate_and_stack():
    a, b = rng.random((3, 4)), rng.random((2, 4))
    assert_same(np.concatenate([la.array(a), la.array(b) * 2]).compute(), np.concatenate([a, b * 2]))
    assert_same(np.concatenate([la.array(a), b], axis=None).compute(), np.concatenate([a, b], axis=None))
    assert_same(np.stack([la.array(a), a + 1], axis=1).compute(), np.stack([a, a + 1], axis=1))
    with pytest.raises(ValueError, match="concatenate"):
        np.concatenate([la.array(a), la.array(b)], axis=1)


def test_unknown_numpy_functions_run_as_numpy_warning_by_name():
    X = la.array(np.eye(3) * 2)
    for func in (np.sort_complex, np.i0, np.unwrap):  # (#13, s15: others are lazy now; matrix_transpose too)
        with pytest.warns(la.NumPyFallbackWarning, match=func.__name__):
            got = func(X)
        assert_same(got.compute(), func(np.eye(3) * 2))  # (tests/test_surface_fallback.py has the rest)
