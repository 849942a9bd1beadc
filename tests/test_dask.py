"""The Dask bridge: lazy expressions over dask arrays, one fused kernel per block, checked against NumPy.

Arrays are small and reused, so kernels are shared between tests; the processes and distributed runs are one
small computation each.
"""
import pickle

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")

import lazyarr as la  # noqa: E402

rng = np.random.default_rng(7)
X = rng.random((60, 50)) - 0.25
Y = rng.random((60, 50))
CHUNKS = ((25, 20, 15), (17, 17, 16))  # uneven on both axes
V = rng.random(1000)
V_CHUNKS = ((300, 300, 250, 150),)


def lazy(x, chunks=CHUNKS):
    return la.array(da.from_array(x, chunks=chunks))


def close(result, expected, rtol=1e-13, atol=0.0):
    assert isinstance(result, (np.ndarray, np.generic)), type(result)
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_allclose(result, expected, rtol=rtol, atol=atol)


# --- elementwise -------------------------------------------------------------------------------------------

def test_elementwise_over_uneven_1d_chunks():
    D = lazy(V, V_CHUNKS)
    e = la.sin(D) * 2 + 3 * D - 1
    out = e.to_dask()
    assert isinstance(out, da.Array)
    assert out.chunks == V_CHUNKS
    assert (out.shape, out.dtype) == (e.shape, e.dtype) == (V.shape, np.dtype(np.float64))
    close(out.compute(), np.sin(V) * 2 + 3 * V - 1)
    close(e.compute(), np.sin(V) * 2 + 3 * V - 1)


def test_elementwise_2d_broadcasting_against_numpy_and_scalars():
    D = lazy(X)
    row, column = Y[0], Y[:, :1]
    e = (D - row) * column + 1.5
    out = e.to_dask()
    assert out.chunks == CHUNKS  # the NumPy operands are cut into the dask operand's blocks
    close(out.compute(), (X - row) * column + 1.5)
    # exp within 1 ULP of NumPy's (vector math in the blocks' strided kernels), then a subtraction that may
    # cancel: an absolute tolerance of a few ULP of the operands, not a relative one of the small difference
    close((np.exp(D) / 2.0 - row[None, :]).compute(), np.exp(X) / 2.0 - row[None, :], atol=4e-16 * np.exp(X.max()))


def test_operands_with_different_chunkings_are_unified_as_dask_does():
    A, B = da.from_array(X, chunks=CHUNKS), da.from_array(Y, chunks=((30, 30), (25, 25)))
    e = la.array(A) * la.array(B) + la.array(B)
    out = e.to_dask()
    assert out.chunks == (A * B + B).chunks
    close(out.compute(), X * Y + Y)


def test_one_dask_task_per_block_not_per_operation():
    A = da.from_array(X, chunks=CHUNKS)
    out = (la.sin(la.array(A)) * 2 + la.cos(la.array(A)) ** 2 - 1).to_dask()
    assert len(out.dask.layers) == len(A.dask.layers) + 1  # the input, then one fused layer
    assert len(out.dask.layers[out.name]) == A.npartitions


def test_mixing_dask_and_numpy_leaves_and_numpy_only_subexpressions():
    D, N = lazy(X), la.array(Y)
    e = la.where(D > N, D - N.sum(axis=0), N * 2)  # N.sum(0) has no dask leaf: one task computes it
    close(e.compute(), np.where(X > Y, X - Y.sum(axis=0), Y * 2))


def test_where_clip_astype_and_methods():
    D = lazy(X)
    close(la.where(D > 0.5, D, -D).compute(), np.where(X > 0.5, X, -X))
    close(D.clip(0.1, 0.4).compute(), X.clip(0.1, 0.4))
    close(np.clip(D, None, 0.3).compute(), np.clip(X, None, 0.3))
    np.testing.assert_array_equal((D * 100).astype(np.int16).compute(), (X * 100).astype(np.int16))
    close(abs(D).compute(), abs(X))
    close((D.T + 1).compute(), X.T + 1)


def test_zero_d_and_empty_dask_arrays():
    scalar = la.array(da.from_array(np.float64(3.0)))
    close((scalar + lazy(X)).compute(), 3.0 + X)
    empty = la.array(da.zeros((0, 5), chunks=2))
    assert (empty + 1).compute().shape == (0, 5)
    close(empty.sum(axis=0).compute(), np.zeros(5))


# --- dtypes -------------------------------------------------------------------------------------------------

def _values(dtype, shape, seed):
    r = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return r.random(shape) > 0.5
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return r.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    if dt.kind == "c":
        return (r.random(shape) + 1j * r.random(shape)).astype(dt)
    return r.random(shape).astype(dt)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint64", "float32", "float64", "complex128"])
def test_dtypes_follow_numpy(dtype):
    a, b = _values(dtype, (30, 20), 1), _values(dtype, (30, 20), 2)
    A, B = lazy(a, (12, 7)), lazy(b, (10, 20))
    exact = np.dtype(dtype).kind in "biu"
    check = np.testing.assert_array_equal if exact else (lambda r, e: np.testing.assert_allclose(r, e, rtol=2e-6))
    for result, expected in [
        ((A * B + A).compute(), a * b + a),
        (la.where(A != B, A, B).compute(), np.where(a != b, a, b)),
        (A.sum(axis=0).compute(), a.sum(axis=0)),
        (A.max(axis=1, keepdims=True).compute(), a.max(axis=1, keepdims=True)),
        (A.argmin().compute(), a.argmin()),
    ]:
        assert np.asarray(result).dtype == np.asarray(expected).dtype
        check(result, expected)
    if not exact:
        check((A * 2 + 1).compute(), a * 2 + 1)  # NEP 50: float32 stays float32


# --- reductions ---------------------------------------------------------------------------------------------

Z = rng.random((20, 15, 12))
Z_CHUNKS = ((7, 7, 6), (8, 7), (12,))


REDUCTION_CASES = [(name, axis, keepdims)
                   for name in ("sum", "prod", "min", "max", "any", "all", "mean", "var", "std", "argmin",
                                "argmax")
                   for axis, keepdims in ((None, False), (1, True), ((0, 2), False), (-1, False))
                   if not (name.startswith("arg") and isinstance(axis, tuple))]  # NumPy's take one axis


@pytest.mark.parametrize("name, axis, keepdims", REDUCTION_CASES)
def test_reductions_match_numpy(name, axis, keepdims):
    D = lazy(Z, Z_CHUNKS)
    producer, z = (D > 0.9, Z > 0.9) if name in ("any", "all") else (D * 2 - 1, Z * 2 - 1)
    result = getattr(producer, name)(axis=axis, keepdims=keepdims).compute()
    expected = getattr(z, name)(axis=axis, keepdims=keepdims)
    if name in ("argmin", "argmax", "any", "all"):
        assert np.asarray(result).dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)
    else:
        close(result, expected, rtol=1e-11)


def test_mean_var_std_of_integers_and_ddof():
    a = _values("int8", (40, 30), 3)
    A = lazy(a, (13, 11))
    close(A.mean().compute(), a.mean(), rtol=1e-12)
    close(A.mean(axis=0, dtype=np.float32).compute(), a.mean(axis=0, dtype=np.float32), rtol=1e-5)
    close(A.std(axis=1, ddof=1).compute(), a.std(axis=1, ddof=1), rtol=1e-12)
    close(np.var(A, axis=(0, 1), keepdims=True).compute(), np.var(a, axis=(0, 1), keepdims=True), rtol=1e-12)


def test_standardize_over_dask_is_three_passes_like_numpy():
    D = lazy(X)
    close(((D - D.mean(axis=0)) / D.std(axis=0)).compute(), (X - X.mean(axis=0)) / X.std(axis=0), rtol=1e-11)
    close((D / D.sum()).compute(), X / X.sum(), rtol=1e-12)


def test_nan_in_min_max_argmin_argmax():
    x = X.copy()
    x[30, 40] = np.nan  # block (1, 2)
    x[50, 3] = np.nan   # block (2, 0): later in C order than (30, 40) although earlier in its block row
    x[10, 20] = -np.inf
    D = lazy(x)
    for name in ("min", "max", "argmin", "argmax"):
        for axis in (None, 0, 1):
            result, expected = getattr(D, name)(axis=axis).compute(), getattr(x, name)(axis=axis)
            np.testing.assert_array_equal(result, expected, err_msg=f"{name} axis={axis}")
    np.testing.assert_array_equal(np.fmax(D, 0.5).max().compute(), np.fmax(x, 0.5).max())


def test_argmax_ties_take_the_first_in_c_order_across_blocks():
    x = np.zeros((60, 50))
    x[10, 5] = x[2, 20] = 5.0  # block (0, 0) comes first in the grid, but (2, 20) comes first in C order
    x[40, 0] = 5.0
    D = lazy(x)
    assert D.argmax().compute() == x.argmax() == 2 * 50 + 20
    np.testing.assert_array_equal(D.argmax(axis=0).compute(), x.argmax(axis=0))
    np.testing.assert_array_equal((-D).argmin(axis=1).compute(), (-x).argmin(axis=1))


def test_complex_min_max_argmax_are_numpys():
    c = X + 1j * Y[::-1]
    c[5, 5] = complex(np.nan, 1)
    C = lazy(c)
    for name in ("min", "max", "argmax", "argmin"):
        np.testing.assert_array_equal(getattr(C, name)(axis=0).compute(), getattr(c, name)(axis=0))
        np.testing.assert_array_equal(getattr(C, name)().compute(), getattr(c, name)())


# --- computing: la.compute, out=, schedulers -----------------------------------------------------------------

def test_compute_several_results_with_dask_and_numpy_roots():
    D = lazy(X)
    s, e, n = la.compute(D.sum(axis=1), la.sin(D) + 1, la.array(Y) * 3)
    close(s, X.sum(axis=1), rtol=1e-12)
    close(e, np.sin(X) + 1)
    close(n, Y * 3)


def test_out_asarray_and_python_scalars():
    D = lazy(X)
    buf = np.empty((60, 50), np.float32)
    assert (D * 2).compute(out=buf) is buf
    close(buf, (X * 2).astype(np.float32))
    close(np.asarray(D * 2), X * 2)
    assert float(D.max()) == X.max()


@pytest.mark.parametrize("scheduler", ["threads", "synchronous"])
def test_to_dask_runs_on_local_schedulers(scheduler):
    D = lazy(X)
    out = (la.sin(D) * 2 + 1).to_dask()
    close(out.compute(scheduler=scheduler), np.sin(X) * 2 + 1)
    with dask.config.set(scheduler=scheduler):
        close((la.sin(D) * 2 + 1).compute(), np.sin(X) * 2 + 1)
        assert D.argmax(axis=1).compute().tolist() == X.argmax(axis=1).tolist()


def test_processes_scheduler_pickles_the_graph():
    D = lazy(V, ((500, 500),))
    out = (la.sin(D) * 2 + 1).to_dask()
    close(out.compute(scheduler="processes", num_workers=1), np.sin(V) * 2 + 1)


def test_distributed_local_cluster():
    distributed = pytest.importorskip("distributed")
    D = lazy(X)
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None,
                                  timeout="30s") as cluster, distributed.Client(cluster, timeout="30s") as client:
        future = client.compute((la.sin(D) * 2 - D.mean(axis=0)).to_dask())
        close(future.result(timeout=60), np.sin(X) * 2 - X.mean(axis=0), rtol=1e-12)
        future = client.compute(D.argmax(axis=0).to_dask())
        np.testing.assert_array_equal(future.result(timeout=60), X.argmax(axis=0))


def test_lazy_arrays_over_dask_pickle():
    D = lazy(X)
    e = la.tanh(D) * 3 - D.sum(axis=0)
    again = pickle.loads(pickle.dumps(e))
    assert again._node is e._node  # hash-consed: the same dask array is the same leaf
    close(again.compute(), np.tanh(X) * 3 - X.sum(axis=0), rtol=1e-12)


def test_num_threads_per_block():
    D = lazy(X)
    close((D * 3 + 1).to_dask(num_threads=1).compute(), X * 3 + 1)
    with pytest.raises(ValueError, match="number of threads"):
        (D * 3).to_dask(num_threads=0)


def test_to_dask_of_an_expression_without_dask_leaves():
    out = (la.array(X) * 2).to_dask()
    assert isinstance(out, da.Array)
    close(out.compute(), X * 2)


def test_numpy_stages_on_dask():
    D = lazy(X)
    W = Y[:50, :7]
    close((la.tanh(D) @ W + 1).compute(), np.tanh(X) @ W + 1, rtol=1e-12)
    close(np.cumsum(D * 2, axis=0).compute(), np.cumsum(X * 2, axis=0), rtol=1e-12)
    close(np.concatenate([D, la.array(Y)]).compute(), np.concatenate([X, Y]))


def test_indexing_and_reshaping_on_dask():
    D = lazy(X)
    mask = X[:, 0] > 0.5
    cases = [
        ((D * 2 + 1)[5:40:3, ::-1], (X * 2 + 1)[5:40:3, ::-1]),   # pushed to the dask leaf: dask's slicing
        ((D + la.array(Y))[None, 3, ..., None], (X + Y)[None, 3, ..., None]),
        (D.sum(axis=0)[::2] * 2, X.sum(axis=0)[::2] * 2),          # a getitem stage over the reduction
        (D[[3, 1, 59]] + 1, X[[3, 1, 59]] + 1),                     # dask's own gather
        (D[mask, 3:] * 2, X[mask, 3:] * 2),
        (D[X > 0.5], X[X > 0.5]),                                   # dask cannot: one task gathers
        ((D + 1).reshape(-1), (X + 1).reshape(-1)),
        (D.reshape(50, 60) - 1, X.reshape(50, 60) - 1),             # not a merge or split of dask's axes
        (np.broadcast_to(D.sum(axis=0), (3, 50)), np.broadcast_to(X.sum(axis=0), (3, 50))),
        (np.squeeze(D[:1, None]), np.squeeze(X[:1, None])),
    ]
    for e, want in cases:
        out = e.to_dask()
        assert isinstance(out, da.Array) and out.shape == want.shape
        close(out.compute(), want)
    text = (D * 2 + 1)[5:40:3].explain()
    assert "np.getitem: dask's own" in text and "one fused kernel per block" in text


# --- structure: kernels shared by blocks, explain() ---------------------------------------------------------

def test_every_block_shares_one_compiled_kernel(numba_tier):  # Numba's cache misses (#14 quick math: arctan is quick)
    D = lazy(V, ((200, 200, 200, 200, 150, 50),))  # six blocks, all small enough to share the serial kernel
    e = la.arctan(D) * 7.25 - D  # used by no other test: its kernels are new to this process
    before = la.cache_info()
    close(e.to_dask().compute(scheduler="synchronous"), np.arctan(V) * 7.25 - V)
    after = la.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits >= 5
    before = after
    close(e.sum().to_dask().compute(scheduler="synchronous"), (np.arctan(V) * 7.25 - V).sum(), rtol=1e-12)
    after = la.cache_info()
    assert after.misses - before.misses == 1  # one reduction kernel for the six chunk steps


def test_explain_says_the_graph_runs_per_dask_block():
    D = lazy(X)
    text = (la.sin(D) + D.sum(axis=0)).explain()
    assert "runs per dask block" in text
    assert "dask   float64 (60, 50) chunks" in text
    assert "one fused kernel per block" in text and "def kernel(" in text


# --- errors: lazyarr's, at build time ----------------------------------------------------------------------

def test_shapes_that_do_not_broadcast_raise_at_build_time():
    D = lazy(X)
    with pytest.raises(ValueError, match=r"add: .*shapes \(60, 50\) \(49,\)"):
        D + np.ones(49)
    with pytest.raises(ValueError, match=r"multiply: .*shapes \(60, 50\) \(7,\)"):
        D * la.array(da.ones(7, chunks=3))


def test_unsupported_dtypes_and_arrays_are_refused():
    with pytest.raises(TypeError, match="dtype <U1"):
        la.array(da.from_array(np.array(["a", "b"]), chunks=1))
    with pytest.raises(TypeError, match="dtype object"):
        la.array(da.from_array(np.array([1, None], dtype=object), chunks=1))
    with pytest.raises(TypeError, match="MaskedArray"):
        la.array(da.ma.masked_equal(da.from_array(V, chunks=500), 0.5))
    A = da.from_array(X, chunks=CHUNKS)
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        la.array(A[A[:, 0] > 0.5])
    with pytest.raises(TypeError, match="wrap it with lazyarr.array"):
        la.sin(A)
    with pytest.raises(TypeError, match="dtype <U4"):
        la.array(A) + "text"
