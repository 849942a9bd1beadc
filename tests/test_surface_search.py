"""Searching, counting, sorting and data-dependent shapes (issue #13, surface/search) against NumPy.

The parallel kernels (kernels/counting.py) run only at parallel sizes: tests that mean them lower the threshold
with the `parallel_threshold` fixture and use float64 and int64 only, so few kernels compile.
"""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, Stage, plan
from lazyarr.graph import expr

rng = np.random.default_rng(13)


def same(got, want):
    """NumPy's dtype, shape and values (NaN where NumPy has NaN)."""
    got = got.compute() if isinstance(got, la.LazyArray) else got
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    np.testing.assert_array_equal(got, want)


@pytest.fixture
def kernels(parallel_threshold):
    """The counting/searching kernels run from the smallest size on."""
    parallel_threshold(1)


@pytest.fixture(autouse=True)
def no_fallback():
    """Every function here has a lazyarr rule: none may warn that it fell back to NumPy."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)
        yield


def with_nans(n=200):
    x = rng.random(n)
    x[::7] = np.nan
    return x


SORTED = np.sort(np.concatenate([rng.random(40), rng.random(40)[:6].repeat(3), [np.nan, np.nan]]))


# --- searchsorted, digitize -----------------------------------------------------------------------------------

@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_kernel_with_duplicates_and_nans(kernels, side):
    v = np.concatenate([with_nans(), SORTED, [-1.0, 2.0]])  # queries equal to (repeated) entries, NaN, outside
    same(np.searchsorted(SORTED, la.array(v), side=side), np.searchsorted(SORTED, v, side=side))
    same(la.array(SORTED).searchsorted(la.array(v), side), SORTED.searchsorted(v, side))


def test_searchsorted_dtypes_shapes_and_sorter(kernels):
    a = np.array([1, 3, 3, 7, 9])
    q = np.array([[0, 3], [8, 10]])
    same(np.searchsorted(la.array(a), q * 2), np.searchsorted(a, q * 2))  # int64 kernel, 2-d queries
    same(np.searchsorted(la.array(a), 2.5), np.searchsorted(a, 2.5))  # int array, float query: 0-d
    same(np.searchsorted(la.array(a.astype(np.int8)), la.array(q)), np.searchsorted(a.astype(np.int8), q))
    same(np.searchsorted(a, la.array(np.empty(0))), np.searchsorted(a, np.empty(0)))
    order = rng.permutation(5)
    b = np.array([9.0, 1, 3, 7, 3])[order]
    same(np.searchsorted(la.array(b), q, sorter=np.argsort(b)), np.searchsorted(b, q, sorter=np.argsort(b)))
    same(la.searchsorted(a, q, "right"), np.searchsorted(a, q, "right"))


def test_searchsorted_errors_are_numpys():
    with pytest.raises(ValueError, match="searchsorted"):
        np.searchsorted(la.array(np.ones((2, 2))), 1.0)
    with pytest.raises(ValueError, match="side"):
        np.searchsorted(la.array(np.ones(3)), 1.0, side="middle")
    with pytest.raises(ValueError, match="sorter"):
        np.searchsorted(la.array(np.ones(3)), 1.0, sorter=np.arange(2))


@pytest.mark.parametrize("right", [False, True])
def test_digitize_increasing_and_decreasing_bins(kernels, right):
    x = np.concatenate([with_nans(), [0.0, 0.25, 0.5, 1.0]])
    for bins in ([0.0, 0.25, 0.5, 0.75, 1.0], [1.0, 0.5, 0.5, 0.25, 0.0]):
        same(np.digitize(la.array(x), bins, right=right), np.digitize(x, bins, right=right))


def test_digitize_errors():
    with pytest.raises(TypeError, match="complex"):
        np.digitize(la.array(np.ones(3, complex)), [0, 1])
    with pytest.raises(ValueError, match="monotonic"):
        np.digitize(la.array(np.ones(3)), [0, 2, 1])


# --- interp -----------------------------------------------------------------------------------------------------

def test_interp_kernel_is_bit_equal(kernels):
    xp = np.sort(rng.random(30))
    xp[5] = xp[6]  # a repeated sample point
    fp = rng.random(30)
    fp[10] = np.inf
    x = np.concatenate([with_nans(), xp, [-1.0, 2.0, xp[0], xp[-1]]])
    same(np.interp(la.array(x), xp, fp), np.interp(x, xp, fp))
    same(np.interp(la.array(x), xp, fp, left=-5, right=5.5), np.interp(x, xp, fp, left=-5, right=5.5))
    same(np.interp(la.array(x).reshape(2, -1)[:, 1:], xp, la.array(fp)),
         np.interp(x.reshape(2, -1)[:, 1:], xp, fp))
    same(np.interp(la.array(x), [0.5], [3.0]), np.interp(x, [0.5], [3.0]))  # one point: NumPy's own branch


def test_interp_complex_period_and_errors():
    x, xp = rng.random(20) * 5, np.linspace(0, 4, 9)
    fp = rng.random(9) + 1j * rng.random(9)
    same(np.interp(la.array(x), xp, fp), np.interp(x, xp, fp))
    same(np.interp(la.array(x), xp, fp.real, period=3), np.interp(x, xp, fp.real, period=3))
    same(la.interp(2.5, xp, fp.real), np.interp(2.5, xp, fp.real))
    with pytest.raises(ValueError, match="same length"):
        np.interp(la.array(x), xp, fp[:3])
    with pytest.raises(ValueError, match="empty"):
        np.interp(la.array(x), [], [])
    with pytest.raises(ValueError, match="period"):
        np.interp(la.array(x), xp, fp, period=0)


# --- histogram, bincount ----------------------------------------------------------------------------------------

def edge_values(edges):
    """Values on every edge, one ULP either side, and values that round onto an edge when scaled."""
    near = np.concatenate([np.nextafter(edges, -np.inf), edges, np.nextafter(edges, np.inf)])
    return np.concatenate([near, edges[:-1] + np.diff(edges) * (1 - 2 ** -52), rng.random(300) * 1.2 - 0.1])


@pytest.mark.parametrize("bins,range_", [(10, (0, 1)), (7, (0.1, 0.9)), (3, (-0.1, 1.0 / 3))])
def test_histogram_uniform_kernel_assigns_bins_as_numpy(kernels, bins, range_):
    edges = np.histogram_bin_edges(np.empty(0), bins, range_)
    x = np.concatenate([edge_values(edges), [np.nan]])
    counts, got_edges = np.histogram(la.array(x), bins=bins, range=range_)
    want_counts, want_edges = np.histogram(x, bins=bins, range=range_)
    same(counts, want_counts)
    same(got_edges, want_edges)
    w = rng.random(x.size)
    for density in (False, True):
        got = np.histogram(la.array(x), bins, range_, weights=la.array(w), density=density)[0].compute()
        want = np.histogram(x, bins, range_, weights=w, density=density)[0]
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12)
    same(np.histogram(la.array(x), bins, range_, density=True)[0], np.histogram(x, bins, range_, density=True)[0])


def test_histogram_edges_from_the_values(kernels):
    x = rng.integers(-5, 50, 400)
    for bins in (10, 7, "auto", "fd"):
        counts, edges = np.histogram(la.array(x), bins=bins)
        want = np.histogram(x, bins=bins)
        same(counts, want[0])
        same(edges, want[1])
        if isinstance(bins, str):  # an estimator: even the number of edges depends on the values
            assert "np.histogram's bin edges depend on the values" in counts.explain()
        else:  # (#15 s14) a count of bins: two stages of known shapes, nothing computed at build time
            assert "computed here" not in counts.explain() and counts._node.op == "numpy"
    same(np.histogram(la.array(np.full(5, 3.0)))[0], np.histogram(np.full(5, 3.0))[0])  # one value: +-0.5
    same(np.histogram(la.array(np.empty(0)))[0], np.histogram(np.empty(0))[0])
    with pytest.raises(ValueError, match="not finite"):  # NumPy's error, when the values are computed
        np.histogram(la.array(np.array([1.0, np.nan])), bins=3)[0].compute()
    with pytest.raises(ValueError, match="must be positive"):  # NumPy's check of bins, at build time
        np.histogram(la.array(x), bins=-1)


def test_histogram_of_a_count_of_bins_fuses_without_a_break(kernels, parallel_threshold):
    """(#15 s14) `np.histogram(a, bins=8)` inside @la.fuse: the edges (min and max of the values) and the
    counts are stages computed with the graph, so the trace has no graph break and replays; the counting
    kernel (parallel sizes) takes NumPy's range from the values."""
    parallel_threshold(64)

    def hist(a, w):
        return np.histogram(a * 2.0 - 1.0, bins=8, weights=w), np.histogram(a, bins=5, density=True)

    x, w = rng.standard_normal(5000), rng.random(5000)
    f = la.fuse(hist)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            got, want = f(x, w), hist(x, w)
            for g, e in zip(got, want):
                same(g[1], e[1])
                np.testing.assert_allclose(g[0], e[0], rtol=1e-12)
                assert g[0].dtype == e[0].dtype
    assert "0 graph break(s)" in f.explain(x, w) and f.cache_info().hits == 1


def test_histogram_sequence_bins_float32_and_errors():
    x = rng.random(100).astype(np.float32)
    for bins in ([0, 0.1, 0.5, 1], np.array([0.2, 0.3, 0.9])):
        for got, want in zip(np.histogram(la.array(x) * 2, bins=bins), np.histogram(x * 2, bins=bins)):
            same(got, want)
    same(np.histogram(la.array(x), 4, (0, 1))[0], np.histogram(x, 4, (0, 1))[0])
    with pytest.raises(ValueError, match="max must be larger"):
        np.histogram(la.array(x), 4, (1, 0))
    with pytest.raises(ValueError, match="monotonically"):
        np.histogram(la.array(x), [0, 2, 1])
    with pytest.raises(ValueError, match="same shape"):
        np.histogram(la.array(x), 4, (0, 1), weights=np.ones(3))


def test_histogram2d_and_dd_through_numpy():
    x, y = rng.random(50), rng.random(50)
    for got, want in zip(np.histogram2d(la.array(x), y, bins=4), np.histogram2d(x, y, bins=4)):
        same(got, want)
    got, want = np.histogramdd(la.array(np.stack([x, y], 1)), bins=3), np.histogramdd(np.stack([x, y], 1), bins=3)
    same(got[0], want[0])


def test_bincount_kernel(kernels):
    x = rng.integers(0, 30, 500)
    same(np.bincount(la.array(x)), np.bincount(x))
    same(np.bincount(la.array(x), minlength=50), np.bincount(x, minlength=50))
    same(np.bincount(la.array(x) + 1), np.bincount(x + 1))  # a fused producer, computed first
    w = rng.random(500)
    np.testing.assert_allclose(np.bincount(la.array(x), la.array(w)).compute(), np.bincount(x, w), rtol=1e-13)
    same(np.bincount(la.array(x > 10)), np.bincount(x > 10))
    same(np.bincount(la.array(np.empty(0, np.int64))), np.bincount(np.empty(0, np.int64)))
    assert "the shape of np.bincount depends on the values" in np.bincount(la.array(x)).explain()


def test_bincount_errors_are_numpys(kernels):
    with pytest.raises(ValueError, match="negative"):
        np.bincount(la.array(np.array([1, -1, 2])))
    with pytest.raises(TypeError):
        np.bincount(la.array(np.array([1.0, 2.0])))
    with pytest.raises(ValueError):
        np.bincount(la.array(np.array([1, 2])), minlength=-1)


@pytest.mark.parametrize("threads", [1, 2])
def test_counting_kernels_agree_for_any_thread_count(kernels, threads):
    x = rng.random(3000)
    xi = (x * 40).astype(np.int64)
    with la.num_threads(threads):
        same(np.bincount(la.array(xi)), np.bincount(xi))
        same(np.histogram(la.array(x), 9, (0, 1))[0], np.histogram(x, 9, (0, 1))[0])
        same(np.searchsorted(SORTED, la.array(x)), np.searchsorted(SORTED, x))


# --- sorting and order statistics -------------------------------------------------------------------------------

def test_argsort_partition_lexsort():
    x = rng.integers(0, 5, (6, 7)).astype(np.float64)
    x[1, 2] = np.nan
    X = la.array(x)
    for axis in (-1, 0, None):
        same(np.argsort(X, axis=axis, stable=True), np.argsort(x, axis=axis, stable=True))
        same(X.argsort(axis=axis, kind="stable"), x.argsort(axis=axis, kind="stable"))
    for kth in (2, [0, 3], -1):
        same(np.partition(X, kth, axis=0), np.partition(x, kth, axis=0))
        same(np.argpartition(X, kth), np.argpartition(x, kth))
    same(X.argpartition(3, axis=None), x.argpartition(3, axis=None))
    same(np.sort(X * 2, axis=None), np.sort(x * 2, axis=None))
    same(la.lexsort((X[0], X[1])), np.lexsort((x[0], x[1])))
    same(la.lexsort(X), np.lexsort(x))
    with pytest.raises(ValueError, match="out of bounds"):
        np.partition(X, 7)
    with pytest.raises(np.exceptions.AxisError):
        np.argsort(X, axis=2)


@pytest.mark.parametrize("name", ["percentile", "quantile", "nanpercentile", "nanquantile"])
def test_quantiles_methods_axis_keepdims(name):
    x = rng.random((5, 6))
    x[2, 3] = np.nan if name.startswith("nan") else x[2, 3]
    q = [10, 50, 95] if "percentile" in name else [0.1, 0.5, 0.95]
    f = getattr(np, name)
    for method in ("linear", "lower", "nearest", "median_unbiased", "inverted_cdf"):
        same(f(la.array(x), q, axis=1, method=method), f(x, q, axis=1, method=method))
    same(f(la.array(x), q[1], axis=(0, 1), keepdims=True), f(x, q[1], axis=(0, 1), keepdims=True))
    same(f(la.array(x), la.array(np.array(q)), axis=0), f(x, q, axis=0))
    w = rng.random((5, 6))  # (1-d weights with a NaN row trip NumPy's own nanquantile)
    same(f(la.array(x), q, axis=1, method="inverted_cdf", weights=w), f(x, q, axis=1, method="inverted_cdf", weights=w))
    with pytest.raises(ValueError):
        f(la.array(x), [200.0, -1.0])


def test_median_out_and_empty():
    x = rng.random((4, 5))
    X = la.array(x)
    same(np.median(X), np.median(x))
    same(np.median(X, axis=0, keepdims=True), np.median(x, axis=0, keepdims=True))
    same(np.nanmedian(X - 0.5, axis=1), np.nanmedian(x - 0.5, axis=1))
    out = np.empty(5)
    assert np.median(X, axis=0, out=out) is out
    np.testing.assert_array_equal(out, np.median(x, axis=0))
    same(np.median(la.array(np.arange(7, dtype=np.int64))), np.median(np.arange(7, dtype=np.int64)))
    x32 = x.astype(np.float32)  # a Python-number q promotes weakly (float32), a list or array does not
    for q in (50, 50.0, [50], np.array(50)):
        same(np.percentile(la.array(x32), q), np.percentile(x32, q))
    for q in (1, 0.5, [0.5], np.array(0.5)):
        same(np.nanquantile(la.array(x32), q, axis=1), np.nanquantile(x32, q, axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same(np.median(la.array(np.empty(0))), np.median(np.empty(0)))


# --- data-dependent shapes --------------------------------------------------------------------------------------

def test_unique_family():
    x = np.array([3.0, 1.0, np.nan, 3.0, np.nan, 2.0])
    X = la.array(x)
    for got, want in zip(np.unique(X, return_index=True, return_inverse=True, return_counts=True),
                         np.unique(x, return_index=True, return_inverse=True, return_counts=True)):
        same(got, want)
    same(np.unique(X, equal_nan=False), np.unique(x, equal_nan=False))
    m = np.array([[1, 2], [1, 2], [0, 5]])
    same(np.unique(la.array(m), axis=0), np.unique(m, axis=0))
    for name in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
        got, want = getattr(np, name)(X), getattr(np, name)(x)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            same(g, w)
    assert type(np.unique_all(X)).__name__ == type(np.unique_all(x)).__name__
    assert "computed here: the shape of np.unique depends on the values" in np.unique(X * 2).explain()


def test_nonzero_argwhere_extract_compress_and_masks():
    x = rng.random((4, 5))
    X = la.array(x)
    for got, want in zip(np.nonzero(X > 0.5), np.nonzero(x > 0.5)):
        same(got, want)
    for got, want in zip((X > 0.5).nonzero(), (x > 0.5).nonzero()):
        same(got, want)
    same(np.argwhere(X > 0.5), np.argwhere(x > 0.5))
    same(np.flatnonzero(X - 0.5), np.flatnonzero(x - 0.5))
    same(np.extract(X > 0.5, X * 2), np.extract(x > 0.5, x * 2))
    same(np.compress(X[0] > 0.5, X, axis=1), np.compress(x[0] > 0.5, x, axis=1))
    same(X.compress([True, False, True]), x.compress([True, False, True]))
    same(X[X > 0.5], x[x > 0.5])
    same((X * 2)[X[:, 0] > 0.3, 1:], (x * 2)[x[:, 0] > 0.3, 1:])
    same(X[x > 0.5] + 1, x[x > 0.5] + 1)  # a NumPy mask: a gather stage, lazy
    masked = (X + 1)[X > 0.5]
    assert "computed here: the shape of x[mask] depends on the mask's values" in masked.explain()
    same(masked * 2, (x + 1)[x > 0.5] * 2)  # later work stays lazy
    with pytest.raises(ValueError):
        np.nonzero(la.array(np.float64(1.0)))  # NumPy 2 refuses 0-d
    with pytest.raises(IndexError):
        X[la.array(np.ones(3, bool))]


def test_data_dependent_inputs_are_not_modified_and_read_in_one_pass():
    x = rng.random(50)
    keep = x.copy()
    X = la.array(x)
    out = np.unique(X * 3 - 1)
    assert isinstance(out, la.LazyArray) and "computed here" in out.explain()
    np.testing.assert_array_equal(x, keep)
    x[:] = 0  # the result is a snapshot: the values were read when it was computed
    same(out, np.unique(keep * 3 - 1))


# --- structure, tracing ---------------------------------------------------------------------------------------

def test_stages_keep_the_elementwise_work_fused():
    x = rng.random(40)
    e = np.searchsorted(SORTED, la.array(x) * 2 - 0.5) + 1
    steps = plan([e._node])
    assert [type(s) for s in steps] == [MapKernel, Stage, MapKernel]
    assert {n.params.name for n in expr.walk([e._node]) if n.op == "numpy"} == {"searchsorted"}
    same(e, np.searchsorted(SORTED, x * 2 - 0.5) + 1)
    assert "np.searchsorted is not fused" in e.explain()


def test_fused_functions_take_stages_and_break_at_data_dependent_shapes():
    @la.fuse
    def quantiles(a):
        return np.quantile(a * 2, [0.25, 0.75]) + np.searchsorted(np.array([0.5, 1.0]), a).sum()

    x = rng.random(30)
    np.testing.assert_array_equal(quantiles(x), np.quantile(x * 2, [0.25, 0.75]) +
                                  np.searchsorted([0.5, 1.0], x).sum())

    @la.fuse
    def uniques(a):
        return np.unique(a)

    with pytest.warns(la.EagerWarning, match="np.unique"):  # (#15) a graph break no guard can stand for
        np.testing.assert_array_equal(uniques(x), np.unique(x))


def test_public_names():
    for name in ("searchsorted", "digitize", "interp", "histogram", "bincount", "argsort", "partition",
                 "argpartition", "lexsort", "median", "percentile", "quantile", "nanmedian", "nanpercentile",
                 "nanquantile", "unique", "unique_values", "unique_counts", "unique_inverse", "unique_all",
                 "nonzero", "argwhere", "flatnonzero", "extract", "compress", "histogram2d", "histogramdd"):
        assert name in la.__all__ and callable(getattr(la, name))
    same(la.unique([3, 1, 3]), np.unique([3, 1, 3]))
    same(la.median(np.arange(5.0)), np.median(np.arange(5.0)))
    same(la.sort(np.array([3, 1, 2])), np.sort(np.array([3, 1, 2])))


def test_kernels_match_numpy_on_random_ranges(kernels):
    """Bins of every scale, values on and one ULP beside each edge, integer inputs: bit-equal to NumPy."""
    r = np.random.default_rng(5)
    for t in range(40):
        lo = r.normal() * 10.0 ** r.integers(-3, 4)
        hi = lo + abs(r.normal()) * 10.0 ** r.integers(-6, 4)
        bins = int(r.integers(1, 300))
        e = np.histogram_bin_edges(np.empty(0), bins, (lo, hi))
        x = np.concatenate([e, np.nextafter(e, -np.inf), np.nextafter(e, np.inf), r.uniform(lo, hi, 50)])
        x = (x * 7).astype(np.int64) if t % 3 == 0 else x
        same(np.histogram(la.array(x), bins, (lo, hi))[0], np.histogram(x, bins, (lo, hi))[0])
        s = np.sort(r.uniform(lo, hi, int(r.integers(1, 50))))
        q = np.concatenate([r.uniform(lo, hi, 50), s])
        same(np.searchsorted(la.array(s), q, side="right"), np.searchsorted(s, q, side="right"))
        fp = r.normal(size=s.size)
        same(np.interp(la.array(q), s, fp), np.interp(q, s, fp))
