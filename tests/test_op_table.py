"""The op table (lazyarr/graph/ops.py) checked entry by entry: every NumPy stage lowers to dask (or is refused
as the entry says), every reduction's facts agree with NumPy, every entry says what it is."""
import numpy as np
import pytest

from lazyarr.graph import expr
from lazyarr.graph.ops import ELEMENTWISE, REDUCTIONS, STAGES, is_arg_reduction

da = pytest.importorskip("dask.array")

import lazyarr as la  # noqa: E402

rng = np.random.default_rng(11)
X = rng.random((6, 5)) - 0.25
W = rng.random((5, 4))
CHUNKS = ((4, 2), (2, 3))
S = np.sort(X.ravel())  # sorted sample points (surface/search)


def lazy(x):
    return la.array(da.from_array(x, chunks=CHUNKS))


# stage name -> (the lazy expression over a dask array D, NumPy's value over X); each uses that stage
STAGE_CASES = {
    "getitem": lambda D: (D.sum(axis=0)[::2] * 2, X.sum(axis=0)[::2] * 2),
    "advanced_index": lambda D: (D[[3, 1, 5]] + 1, X[[3, 1, 5]] + 1),
    "reshape": lambda D: (D.reshape(5, 6) - 1, X.reshape(5, 6) - 1),
    "broadcast_to": lambda D: (np.broadcast_to(D.sum(axis=0), (3, 5)), np.broadcast_to(X.sum(axis=0), (3, 5))),
    "transpose": lambda D: (np.cumsum(D, axis=0).T, np.cumsum(X, axis=0).T),
    "matmul": lambda D: (la.tanh(D) @ W + 1, np.tanh(X) @ W + 1),
    "dot": lambda D: (np.dot(D, W), np.dot(X, W)),
    "tensordot": lambda D: (np.tensordot(D, W, axes=1), np.tensordot(X, W, axes=1)),
    "concatenate": lambda D: (np.concatenate([D, la.array(X)], axis=None), np.concatenate([X, X], axis=None)),
    "stack": lambda D: (np.stack([D, D + 1], axis=1), np.stack([X, X + 1], axis=1)),
    # surface/reductions: value checks and the SVD norms
    "check": lambda D: (np.nanmin(D, axis=0), np.nanmin(X, axis=0)),
    "norm": lambda D: (np.linalg.norm(D, 2), np.linalg.norm(X, 2)),
    "sort": lambda D: (np.sort(D, axis=0), np.sort(X, axis=0)),  # (s15) the axis rechunked whole, blocks sorted
    # views and index maps (surface/views)
    "diagonal": lambda D: (np.diagonal(np.cumsum(D, axis=0), 1), np.diagonal(np.cumsum(X, axis=0), 1)),
    "diag": lambda D: (np.diag(D[0] * 2, -1), np.diag(X[0] * 2, -1)),  # (s14) of a vector: a stage
    "view": lambda D: ((D * 2).view(np.int32), (X * 2).view(np.int32)),  # (s14) bytes reread, last axis doubled
    "roll": lambda D: (np.roll(D * 2, 3), np.roll(X * 2, 3)),
    "tile": lambda D: (np.tile(D, (2, 1)), np.tile(X, (2, 1))),
    "repeat": lambda D: (np.repeat(D, [1, 0, 2, 1, 3], axis=1), np.repeat(X, [1, 0, 2, 1, 3], axis=1)),
    "pad": lambda D: (np.pad(D, ((1, 2), (0, 1)), mode="reflect"), np.pad(X, ((1, 2), (0, 1)), mode="reflect")),
    # searching, counting, sorting (surface/search): one dask task each
    "searchsorted": lambda D: (np.searchsorted(S, D * 2), np.searchsorted(S, X * 2)),
    "interp": lambda D: (np.interp(D, S, S ** 2), np.interp(X, S, S ** 2)),
    "histogram": lambda D: (np.histogram(D, bins=4, range=(0, 1))[0], np.histogram(X, bins=4, range=(0, 1))[0]),
    "histogram_bin_edges": lambda D: (np.histogram(D, bins=6)[1], np.histogram(X, bins=6)[1]),  # (#15 s14) from min/max
    "argsort": lambda D: (np.argsort(D, axis=0), np.argsort(X, axis=0)),
    "partition": lambda D: (np.partition(D, 2, axis=0), np.partition(X, 2, axis=0)),
    "argpartition": lambda D: (np.argpartition(D, 1, axis=1), np.argpartition(X, 1, axis=1)),
    "lexsort": lambda D: (np.lexsort((D[:, 0], D[:, 1])), np.lexsort((X[:, 0], X[:, 1]))),  # (a tuple: NumPy dispatches on it)
    "median": lambda D: (np.median(D, axis=0), np.median(X, axis=0)),
    "percentile": lambda D: (np.percentile(D, [10, 50], axis=1), np.percentile(X, [10, 50], axis=1)),
    "quantile": lambda D: (np.quantile(D, 0.3), np.quantile(X, 0.3)),
    "nanmedian": lambda D: (np.nanmedian(D, axis=1), np.nanmedian(X, axis=1)),
    "nanpercentile": lambda D: (np.nanpercentile(D, 70), np.nanpercentile(X, 70)),
    "nanquantile": lambda D: (np.nanquantile(D, [0.1], axis=0), np.nanquantile(X, [0.1], axis=0)),

    # assignment and writes (lazyarr/api/assign.py): a write into a lazy value over dask, and NumPy's
    "setitem": lambda D: _written(D, lambda E: E.__setitem__(slice(1, 3), E[2:4] + 1)),
    "advanced_setitem": lambda D: _written(D, lambda E: E.__setitem__([0, 2, 0], 7.0)),
    "put": lambda D: _written(D, lambda E: np.put(E, [1, 3, 1], [5.0, 6.0])),
    "place": lambda D: _written(D, lambda E: np.place(E, X > 0.5, [1.0, 2.0])),
    "putmask": lambda D: _written(D, lambda E: np.putmask(E, X > 0.5, np.array([1.0, 2.0]))),
    "ufunc_at": lambda D: _written(D, lambda E: np.add.at(E, [0, 0, 2], 1.0)),
    # (assignment stages: api/assign_stages.py)
    "fill_diagonal": lambda D: _written(D, lambda E: np.fill_diagonal(E, [1.0, 2.0], wrap=True)),
    "put_along_axis": lambda D: _written(D, lambda E: np.put_along_axis(E, np.array([[0, 4, 4, 1, 2]]), 9.0, 0)),

    # surface/creation: linalg, fft, einsum, ... (one task over the whole operands)
    "library": lambda D: (np.linalg.svd(D * 2, compute_uv=False) + 1, np.linalg.svd(X * 2, compute_uv=False) + 1),
    # surface/gathers: a gather with one integer array per axis (fused where a kernel reads it)
    "gather": lambda D: (D[[0, 2, -1], [1, 0, 4]] * 2, X[[0, 2, -1], [1, 0, 4]] * 2),
    # surface/gathers: svd's singular values, unpacked from the call that computes all three outputs
    "library_outputs": lambda D: (np.linalg.svd(D * 2).S + 1, np.linalg.svd(X * 2).S + 1),
    "library_output": lambda D: (np.linalg.svd(D * 2).S + 1, np.linalg.svd(X * 2).S + 1),
    # (#15 logreg4) A.T @ g(A @ v) of an in-memory A (a dask matrix keeps the two products): one dask task
    "gemv_pair": lambda D: _gemv_pair_case(),
}


def _gemv_pair_case():
    A, v = la.array(X), la.array(W[:, 0])
    return A.T @ np.tanh(A @ v) * 2, X.T @ np.tanh(X @ W[:, 0]) * 2


def _written(D, write):
    """(the lazy value after `write` into D * 2, NumPy's value after the same write into X * 2)"""
    E, want = D * 2, X * 2
    write(E)
    write(want)
    return E, want


def stage_names(e) -> set:
    return {n.params.name for n in expr.walk([e._node]) if n.op == "numpy"}


def test_every_stage_has_a_case():
    assert set(STAGE_CASES) == set(STAGES)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_lowers_to_dask_as_numpy_computes_it(name):
    e, want = STAGE_CASES[name](lazy(X))
    assert name in stage_names(e)
    if STAGES[name].dask is None:
        with pytest.raises(TypeError, match=f"np.{name} over a dask array is not supported"):
            e.to_dask()
        return
    out = e.to_dask()
    assert isinstance(out, da.Array) and out.shape == want.shape
    result = out.compute()
    assert result.dtype == want.dtype
    np.testing.assert_allclose(result, want, rtol=1e-13, atol=0)
    # the NumPy interpreter uses the same entry
    np.testing.assert_allclose(e.compute(), want, rtol=1e-13, atol=0)


def test_no_stage_refuses_dask():
    """(s15) "a call NumPy accepts never fails": every stage has a dask lowering (np.sort and the SVD norms were
    refused over dask arrays)."""
    assert [name for name, stage in STAGES.items() if stage.dask is None] == []


@pytest.mark.parametrize("axis", [0, 1, -1, None])
def test_sort_over_dask_along_every_axis(axis):
    """(s15) the sorted axis is one chunk, the other axes keep theirs; axis=None flattens."""
    Y = np.random.default_rng(3).integers(-9, 9, (7, 6)).astype(np.int16)
    D = la.array(da.from_array(Y, chunks=((3, 4), (2, 4))))
    out = np.sort(D * 2, axis=axis).to_dask()
    want = np.sort(Y * 2, axis=axis)
    result = out.compute()
    assert result.dtype == want.dtype and result.shape == want.shape
    np.testing.assert_array_equal(result, want)
    if axis is not None:  # sorted block by block along the other axis
        assert out.numblocks[1 - axis % 2] == 2


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum])
def test_scan_lowers_to_dask_as_numpy_computes_it(ufunc):  # (surface/reductions)
    e = ufunc.accumulate(lazy(X) * 2, axis=0)
    want = ufunc.accumulate(X * 2, axis=0)
    result = e.to_dask().compute()
    assert result.dtype == want.dtype
    np.testing.assert_array_equal(result, want)  # (s15) NumPy's bits: the chain continues block to block


@pytest.mark.parametrize("dtype, kwargs", [("float32", {"axis": 1}), ("float32", {"axis": 0}), ("float64", {}),
                                           ("int8", {"axis": 0}), ("complex64", {"axis": 1}),
                                           ("float64", {"axis": 0, "dtype": np.float32})])
def test_scans_over_dask_give_numpy_bits_across_blocks(dtype, kwargs):
    """(s15) dask's cumreduction added each block's scan to a carried total (other last bits for float sums);
    each block now continues NumPy's own chain. Uneven chunks, and an empty chunk the carry passes over."""
    Y = (np.random.default_rng(5).standard_normal((30, 20)) * 10).astype(dtype)
    D = la.array(da.from_array(Y, chunks=((10, 0, 13, 7), (6, 0, 14))))
    for scan in (np.cumsum, np.cumprod):
        want = scan(Y, **kwargs)
        result = scan(D, **kwargs).to_dask().compute()
        assert result.dtype == want.dtype and result.shape == want.shape
        np.testing.assert_array_equal(result, want)


def test_a_gather_dask_cannot_do_runs_in_one_task():
    D = lazy(X)
    out = D[X > 0.5].to_dask()
    np.testing.assert_array_equal(out.compute(), X[X > 0.5])


DTYPES = [np.bool_, np.int8, np.uint16, np.int64, np.float16, np.float32, np.float64, np.complex64]


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_reduction_facts_agree_with_numpy(name, dtype):
    red = REDUCTIONS[name]
    empty, one = np.empty(0, dtype), np.ones(1, dtype)
    if red.identity is None:
        with pytest.raises(ValueError):
            red.numpy(empty)
    else:
        got = red.numpy(empty)
        assert got == eval(red.identity, {"np": np}) and np.asarray(got).dtype == np.asarray(red.numpy(one)).dtype
    result = np.asarray(red.numpy(one)).dtype
    acc = red.accumulator(np.dtype(dtype), result)
    if red.arg:
        assert result == np.intp and acc == np.dtype(dtype)  # compares values, returns an index
    else:
        assert np.can_cast(result, acc, "safe"), (result, acc)  # the accumulator holds NumPy's result
        assert red.numpy(one) == (one[0] if result.kind != "b" else bool(one[0]))
    assert is_arg_reduction(name) == red.arg


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_lowers_to_dask_as_numpy_computes_it(name):
    red = REDUCTIONS[name]
    assert (red.combine is None) == red.arg and (red.combine is None or hasattr(da, red.combine))
    e = getattr(np, name)(lazy(X) * 2, axis=0)
    want = getattr(np, name)(X * 2, axis=0)
    result = e.to_dask().compute()
    assert result.dtype == want.dtype
    np.testing.assert_allclose(result, want, rtol=1e-13, atol=0)


def test_every_entry_says_what_it_is():
    for op in ELEMENTWISE.values():
        assert op.doc or op.ufunc.__doc__, op.name
        assert (op.ufunc is None) == (op.numpy is not None), op.name  # the interpreter's reference
    for red in REDUCTIONS.values():
        assert red.doc, red.name
        assert bool(red.numpy_for_kinds) == bool(red.numpy_why), red.name  # explain() says why NumPy does it
    for stage in STAGES.values():
        assert stage.doc and stage.reason and callable(stage.numpy), stage.name
