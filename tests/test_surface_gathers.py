"""Issue #13, the remaining parts: multi-output linear algebra computed once (lazyarr/api/linalg.py's
``library_outputs`` stage), nanmax/nanmin as vectorising fused reductions, interp's parallel kernel.

Small float64 arrays; a decomposition's call count is read from a monkeypatched NumPy function.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la

RNG = np.random.default_rng(13)
B = RNG.random((5, 3))
S = B.T @ B + np.eye(3)


def _counted(monkeypatch, name: str) -> list:
    """np.linalg.<name> replaced by a wrapper that records each call on real NumPy data: not the user's call
    on a LazyArray (it dispatches to lazyarr), nor the builder's 1 x 1 probes (for dtypes)."""
    real = getattr(np.linalg, name)
    calls = []

    def counting(a, *args, **kwargs):
        if isinstance(a, np.ndarray) and a.shape[-1] > 1:
            calls.append(np.shape(a))
        return real(a, *args, **kwargs)
    monkeypatch.setattr(np.linalg, name, counting)
    return calls


@pytest.mark.parametrize("name, operand, kwargs", [
    ("svd", B, {"full_matrices": False}), ("svd", B, {}), ("qr", B, {}), ("qr", B, {"mode": "complete"}),
    ("eigh", S, {}), ("slogdet", S, {}),
], ids=["svd reduced", "svd full", "qr", "qr complete", "eigh", "slogdet"])
def test_multi_output_routine_runs_once_for_all_outputs(monkeypatch, name, operand, kwargs):
    want = getattr(np.linalg, name)(operand, **kwargs)
    calls = _counted(monkeypatch, name)
    got = getattr(np.linalg, name)(la.array(operand), **kwargs)
    assert type(got).__name__ == type(want).__name__
    assert calls == []  # nothing computed when built
    values = la.compute(*got)
    assert len(calls) == 1
    for g, w in zip(values, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)  # the same call on the same input: the same bits


def test_multi_output_routine_runs_once_under_fuse(monkeypatch):
    calls = _counted(monkeypatch, "svd")

    @la.fuse
    def reconstruct(a):
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        return (u * s) @ vt

    np.testing.assert_allclose(reconstruct(B), B, rtol=1e-12, atol=1e-12)
    calls.clear()
    np.testing.assert_allclose(reconstruct(B + 1), B + 1, rtol=1e-12, atol=1e-12)  # a replayed program
    assert len(calls) == 1


def test_multi_output_parts_are_independent_arrays():
    u, s, vt = la.compute(*np.linalg.svd(la.array(B), full_matrices=False))
    s_before = s.copy()
    u[...] = 0  # a user may write to an output: the others are not views of the same buffer
    np.testing.assert_array_equal(s, s_before)
    assert u.flags.writeable


def test_eager_multi_output_routines_call_numpy_once(monkeypatch):
    calls = _counted(monkeypatch, "lstsq")
    got = np.linalg.lstsq(la.array(B), la.array(B[:, 0]), rcond=None)
    assert len(calls) == 1
    want = np.linalg.lstsq(B, B[:, 0], rcond=None)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-12, atol=1e-14)


# --- integer gathers inside the fused kernel ------------------------------------------------------------------

from lazyarr.compiler.schedule import GatherMapKernel, ReduceKernel, Stage, plan  # noqa: E402

X = RNG.random(10)
P = RNG.random((6, 4)) + 0.1
LABELS = RNG.integers(0, 4, 6)


def _steps(e):
    return plan([e._node])


def _stage_names(steps) -> list:
    return [s.node.params.name for s in steps if isinstance(s, Stage) and s.node.op == "numpy"]


def test_lazy_index_gathers_in_the_kernel_with_negative_indices():
    idx = np.array([-1, 3, 0, 9, -10, 4])
    e = la.array(X)[la.array(idx) * 1] * 2
    steps = _steps(e)
    assert [type(s) for s in steps] == [GatherMapKernel]  # index, gather and the product: one loop
    assert "gather(t0, v0)" in e.explain()
    got = e.compute()
    np.testing.assert_array_equal(got, X[idx] * 2)
    assert got.dtype == (X[idx] * 2).dtype


def test_cross_entropy_is_one_reduction_kernel():
    n = P.shape[0]
    e = -np.log(la.array(P)[np.arange(n), la.array(LABELS) % 4]).mean()
    steps = _steps(e)
    assert not _stage_names(steps) and sum(isinstance(s, ReduceKernel) for s in steps) == 1
    np.testing.assert_allclose(e.compute(), -np.log(P[np.arange(n), LABELS]).mean(), rtol=1e-15)


def test_broadcast_index_pairs_on_a_2d_source():
    rows, cols = np.array([[0], [5], [-6]]), np.array([3, -1, 0, 2])
    e = la.array(P)[rows, la.array(cols) + 0]  # (3, 1) with (4,) -> (3, 4)
    assert e.shape == (3, 4)
    np.testing.assert_array_equal(e.compute(), P[rows, cols])
    along = np.take_along_axis(la.array(P), la.array(LABELS.reshape(-1, 1)) + 0, axis=1)
    np.testing.assert_array_equal(along.compute(), np.take_along_axis(P, LABELS.reshape(-1, 1), axis=1))
    np.testing.assert_array_equal(np.take(la.array(X), la.array(LABELS) - 2).compute(), np.take(X, LABELS - 2))


def test_a_computed_source_is_a_table_of_an_earlier_step():
    e = (la.array(P) * 3)[la.array(LABELS), np.arange(6) % 4].sum()
    steps = _steps(e)
    assert not _stage_names(steps)  # P * 3 one kernel, the gather inside the sum's kernel
    np.testing.assert_allclose(e.compute(), (P * 3)[LABELS, np.arange(6) % 4].sum(), rtol=1e-15)


@pytest.mark.parametrize("bad", [10, -11], ids=["past the end", "before the start"])
def test_an_index_out_of_range_raises_numpys_index_error(bad):
    idx = la.array(np.array([0, bad, 2])) * 1
    with pytest.raises(IndexError) as lazy_error:
        (la.array(X)[idx] * 2).compute()
    with pytest.raises(IndexError) as numpy_error:
        X[np.array([0, bad, 2])]
    assert str(numpy_error.value) in str(lazy_error.value)
    with pytest.raises(IndexError):  # inside a reduction too
        (la.array(X)[idx] * 2).sum().compute()


def test_parallel_gather_values_and_errors(parallel_threshold):
    parallel_threshold(1000)
    n = 5000
    idx = (np.arange(n) * 7919) % n - n // 2
    e = la.array(np.arange(n) * 0.5)[la.array(idx) * 1] * 2
    np.testing.assert_array_equal(e.compute(), (np.arange(n) * 0.5)[idx] * 2)
    bad = idx.copy()
    bad[n // 2 + 17] = n
    with pytest.raises(IndexError, match=f"index {n} is out of bounds"):
        (la.array(np.arange(n) * 0.5)[la.array(bad) * 1] * 2).compute()


def test_narrow_index_dtypes_and_integer_sources():
    idx = np.array([3, -2, 0], np.int32)
    src = np.arange(10, dtype=np.int64) * 3
    np.testing.assert_array_equal((la.array(src)[la.array(idx) + 0] + 1).compute(), src[idx] + 1)


def test_kinds_a_kernel_does_not_gather_stay_numpy_stages():
    idx = la.array(LABELS) * 1
    e = la.array(P)[:, idx]  # a slice among the arrays
    assert "advanced_index" in _stage_names(_steps(e))
    np.testing.assert_array_equal(e.compute(), P[:, LABELS])
    big = la.array(LABELS.astype(np.uint64)) + 0  # uint64 does not fit an index
    np.testing.assert_array_equal(la.array(X)[big].compute(), X[LABELS.astype(np.uint64)])


def test_inside_fuse_a_gather_is_in_the_kernel_with_numpys_values():
    @la.fuse
    def picked(x, idx):
        return (x[idx - 1] * 2).sum()

    assert "gather(t0" in picked.explain(np.ones(10), np.arange(7))

    for seed in range(2):  # a second call with new arrays
        rng = np.random.default_rng(seed)
        x, idx = rng.random(10), rng.integers(-5, 10, 7)
        np.testing.assert_allclose(picked(x, idx), (x[idx - 1] * 2).sum(), rtol=1e-15)
    with pytest.raises(IndexError):
        picked(x, np.array([0, 11]))


# --- interp's search guide (kernels/counting.py) ----------------------------------------------------------------

@pytest.mark.parametrize("xp", [
    np.sort(RNG.random(300)), np.repeat(np.sort(RNG.random(40)), 3), np.logspace(-300, 300, 200),
    np.sort(np.concatenate([RNG.random(200) * 1e-12, RNG.random(5)])), np.array([0.0, np.nan, 1.0]),
], ids=["uniform", "duplicates", "huge span", "clustered", "nan point"])
def test_interp_kernel_is_numpys_bit_for_bit(parallel_threshold, xp):
    parallel_threshold(100)
    fp = RNG.random(xp.size)
    finite = xp[np.isfinite(xp)]
    queries = np.concatenate([finite.min() + RNG.random(500) * (finite.max() - finite.min()), xp,
                              np.nextafter(xp, np.inf), np.nextafter(xp, -np.inf), [np.nan, -np.inf, np.inf]])
    with np.errstate(invalid="ignore"):
        want = np.interp(queries, xp, fp)
        got = np.interp(la.array(queries), xp, fp).compute()
    np.testing.assert_array_equal(got, want)


# --- nanmax / nanmin: one fmax/fmin-style pass -------------------------------------------------------------------

def test_nanmax_is_one_reduction_pass_with_numpys_values():
    x = RNG.random((8, 5))
    x[::3, 1] = np.nan
    x[:, 4] = np.nan  # an all-NaN column: NaN and NumPy's warning
    e = np.nanmax(la.array(x))
    assert [s.node.params.name for s in _steps(e) if isinstance(s, ReduceKernel)] == ["nanmax"]
    assert e.compute() == np.nanmax(x)
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        got = np.nanmin(la.array(x), axis=0).compute()
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        want = np.nanmin(x, axis=0)
    np.testing.assert_array_equal(got, want)
    mask = x > 0.3
    np.testing.assert_array_equal(np.nanmax(la.array(x), axis=1, where=mask, initial=-1.0).compute(),
                                  np.nanmax(x, axis=1, where=mask, initial=-1.0))


def test_computing_a_gather_into_its_own_source_reads_the_old_values():
    x = np.arange(6.0)
    idx = np.array([5, 4, 3, 2, 1, 0])
    want = x[idx] * 2
    e = la.array(x)[la.array(idx) * 1] * 2
    e.compute(out=x)  # out= is the gathered array itself: the kernel must not read what it already wrote
    np.testing.assert_array_equal(x, want)


def test_a_gather_table_made_by_an_earlier_step_is_kept_until_the_gather_reads_it():
    """(s21, NumPy's searchsorted docstring example) ``a[sorter[result]]``: the argsort stage's value is read by
    the searchsorted stage and then only as the table of the last kernel's gather. The plan released it after
    the searchsorted stage (its last reader but for the gather), and the kernel raised KeyError."""
    values = np.array([40, 10, 20, 30])
    a = la.array(values)
    sorter = np.argsort(a)
    sorter.compute()
    result = np.searchsorted(a, 25, sorter=sorter)
    result.compute()
    want_sorter = np.argsort(values)
    want = values[want_sorter[np.searchsorted(values, 25, sorter=want_sorter)]]
    got = a[sorter[result]].compute()
    assert got.dtype == want.dtype and got.shape == want.shape and got == want
