"""(s13 logreg) The one-pass ``A.T @ g(A @ v)`` kernel in blocks (compiler/source_gemv_pair.py): row dots, g and
the products a block of BLOCK rows at a time, the products in column panels. Against NumPy within the
matrix-vector products' tolerance (rtol = atol = 1e-12 for float64, 1e-5 for float32, as tests/test_gemv_pair.py)
at the sizes where the blocks' and column panels' edges fall; the products' documented order checked bit for bit;
g's exact pass (a block where vector exp is not ok); and how the kernel is typed and launched."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import source_gemv_pair
from lazyarr.graph import expr
from lazyarr.runtime import gemv_pair

def _rng(*key: int) -> np.random.Generator:
    """A generator seeded by the test's parameters: the same data whatever order xdist runs the tests in."""
    return np.random.default_rng([1313, *key])
BLOCK, ROWS = source_gemv_pair.BLOCK, source_gemv_pair.ROWS
PANEL = source_gemv_pair.PANELS[0]


def gradient(X, w, y):
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y)


def _close(got, want, rows: int = 0):
    """Within the matrix-vector products' tolerance; for a sum of many rows, also within the error any order of
    a sum of `rows` terms may have (~rows * eps of the largest value): NumPy's float32 sgemv and the kernel
    add 2,000 float32 terms in different orders."""
    got, want = np.asarray(got), np.asarray(want)
    assert (got.shape, got.dtype) == (want.shape, want.dtype)
    tol = 1e-12 if want.dtype == np.float64 else 1e-5
    spread = rows * np.finfo(want.dtype).eps * (np.abs(want).max() if want.size else 0.0)
    np.testing.assert_allclose(got, want, rtol=tol, atol=max(tol, spread))


def _kernel_runs(compute) -> int:
    before = gemv_pair.counts()["kernel"]
    compute()
    return gemv_pair.counts()["kernel"] - before


def _stage(e):
    (stage,) = [n for n in expr.walk([e._node]) if n.op == "numpy" and n.params.name == "gemv_pair"]
    return stage


# rows: one, a block less one, a block and a few, a chunk's last block cut short, two chunks and a part block;
# columns: 1, fewer than a small panel, one small panel, fewer than a big panel, big + small panel + 3 single
# columns, two big panels + 1 (also one more than the dot's 32-wide vector loop)
@pytest.mark.parametrize("rows", [1, 9, BLOCK - 1, BLOCK + 11, ROWS + BLOCK + 13])
@pytest.mark.parametrize("cols", [1, 7, 8, PANEL - 1, PANEL + 8 + 3, 2 * PANEL + 1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_block_edges_against_numpy(rows, cols, dtype):
    r = _rng(rows, cols, np.dtype(dtype).itemsize)
    X = r.standard_normal((rows, cols)).astype(dtype)
    w = (r.standard_normal(cols) * 0.3).astype(dtype)
    y = (r.random(rows) > 0.5).astype(dtype)
    e = gradient(la.array(X), la.array(w), la.array(y))
    assert _kernel_runs(lambda: _close(e.compute(), gradient(X, w, y), rows)) == 1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wide_rows_take_fewer_rows_a_block(dtype):
    # a block holds at most BLOCK_BYTES of the matrix: 600 columns are 6 float64 rows (13 float32) a block, so
    # the blocks' edges fall inside every chunk
    rows, cols = ROWS + 13, 600
    r = _rng(rows, cols, np.dtype(dtype).itemsize)
    X = r.standard_normal((rows, cols)).astype(dtype)
    w = (r.standard_normal(cols) * 0.05).astype(dtype)
    y = (r.random(rows) > 0.5).astype(dtype)
    e = gradient(la.array(X), la.array(w), la.array(y))
    assert _kernel_runs(lambda: _close(e.compute(), gradient(X, w, y), rows)) == 1


@pytest.mark.parametrize("layout", ["fortran", "strided", "strided_y", "strided_v"])
def test_layouts_against_numpy(layout):
    rng = _rng(1, len(layout))
    n, m = 2 * BLOCK + 21, 9
    base = rng.standard_normal((2 * n, m + 4))
    X = {"fortran": np.asfortranarray(base[:n, :m])}.get(layout, base[::2, 1:m + 1] if layout == "strided"
                                                          else np.ascontiguousarray(base[:n, :m]))
    y = (rng.random(2 * n) > 0.5) * 1.0
    y = y[::2] if layout == "strided_y" else y[:n]
    w = rng.standard_normal(2 * m)[::2] * 0.3 if layout == "strided_v" else rng.standard_normal(m) * 0.3
    e = gradient(la.array(X), la.array(w), la.array(y))
    _close(e.compute(), gradient(X, w, y))


def test_the_products_keep_the_documented_order():
    # X and w small integers: every dot is exact in any order, and g = d * 0.1 - y rounds as NumPy's elementwise
    # ops do, so the weights are NumPy's bits; the products then must be the documented sums bit for bit: rows in
    # order into each chunk's partial (the panels must not reassociate), the partials in chunk order
    rng = _rng(2)
    n, m = 2 * ROWS + 3 * BLOCK + 5, 3
    X = rng.integers(-4, 5, (n, m)).astype(np.float64)
    X[:, 1] += rng.random(n)  # not integers, but its weight in the dot is 0: the dots stay exact
    w = np.array([2.0, 0.0, -1.0])
    y = rng.random(n)
    got = np.asarray((la.array(X).T @ ((la.array(X) @ la.array(w)) * 0.1 - la.array(y))).compute())
    weights = (X @ w) * 0.1 - y
    parts = [np.cumsum(weights[c:c + ROWS, None] * X[c:c + ROWS], axis=0)[-1] for c in range(0, n, ROWS)]
    want = np.cumsum(np.array(parts), axis=0)[-1]  # cumsum adds left to right: the sequential order
    np.testing.assert_array_equal(got, want)


def test_exact_pass_where_vector_exp_is_not_ok():
    # -d beyond exp's range in one block: that block's weights come from the C library's exp (inf -> sigmoid 0)
    rng = _rng(3)
    n, m = 3 * BLOCK, 4
    X = rng.standard_normal((n, m))
    X[BLOCK + 5] = 400.0  # d = 400 * sum(w) = 800: exp(-800) underflows (vecmath's ok is False there)
    X[BLOCK + 9] = -400.0  # d = -800: exp(800) overflows to inf
    w = np.full(m, 0.5)
    y = (rng.random(n) > 0.5) * 1.0
    with np.errstate(over="ignore"):
        want = gradient(X, w, y)
    _close(gradient(la.array(X), la.array(w), la.array(y)).compute(), want)


def test_contiguous_operands_are_typed_c():
    # a loop over a layout-"A" array does not vectorise: v (always made contiguous) and contiguous row
    # operands are typed "C"; a strided row operand keeps "A"
    rng = _rng(4)
    X = rng.standard_normal((40, 5))
    w, y = rng.standard_normal(5), rng.random(80)
    for ys, layout in ((y[:40], "'C'"), (y[::2], "'A'")):
        e = gradient(la.array(X), la.array(w), la.array(ys))
        stage = _stage(e)
        kwargs = dict(stage.params.kwargs)
        k, _ = gemv_pair.pair_kernel(kwargs["spec"], np.dtype(kwargs["dtype"]))
        row_layout = "C" if ys.flags.c_contiguous else "A"
        text = source_gemv_pair.kernel_source(k, np.dtype(np.float64), "C", False, "test", row_layout=row_layout)
        signature = next(line for line in text.splitlines() if line.startswith("SIGNATURE"))
        arrays = signature.split("types.Array(")[1:]
        assert "1, 'C'" in arrays[1]  # v
        assert f"1, {layout}" in arrays[2]  # y
        _close(e.compute(), gradient(X, w, ys))


def test_one_thread_does_not_render_the_parallel_source_per_call(monkeypatch):
    # a process on one thread whose parallel variant is on disk (compiled by an earlier process) but not in
    # memory: the serial variant runs, and the launcher used to render the parallel variant's source on every
    # call to look it up on disk (runtime/launch.pick_kernel; 20 renders a logistic_regression call)
    rng = _rng(5)
    from lazyarr import config
    from lazyarr.compiler import cache
    from lazyarr.runtime import launch

    X, w, y = rng.standard_normal((3000, 6)), rng.standard_normal(6) * 0.3, (rng.random(3000) > 0.5) * 1.0

    def g(X, w, y):  # a g of its own: no other test's kernel answers
        return X.T @ (np.tanh(X @ w) * 0.25 - y * y)

    e = g(la.array(X), la.array(w), la.array(y))
    config.set_parallel_threshold(1000)
    try:
        with la.num_threads(2):
            for _ in range(3):  # serial first, then the parallel variant (compiled, or loaded from disk)
                _close(e.compute(), g(X, w, y))
                cache.wait_for_compiles()
        cache.clear_memory()  # as a new process: the parallel variant on disk only
        with la.num_threads(1):
            monkeypatch.setattr(launch, "_ran_serially", set())
            _close(e.compute(), g(X, w, y))  # the serial variant: loaded (perhaps by the background worker)
            cache.wait_for_compiles()
            monkeypatch.setattr(launch, "_ran_serially", set())
            rendered = []
            original = source_gemv_pair.kernel_source
            monkeypatch.setattr(source_gemv_pair, "kernel_source",
                                lambda *a, **k: rendered.append(a[3]) or original(*a, **k))
            for _ in range(3):
                assert _kernel_runs(lambda: _close(e.compute(), g(X, w, y))) == 1
    finally:
        config.set_parallel_threshold(None)
    assert rendered == []


def test_slp_is_on_only_around_a_compile_that_asks():
    # the products' column panels need LLVM's SLP vectoriser, which Numba keeps off: compiler/cache.py turns it
    # on around the compile of a module with SLP_VECTORIZE = True, and a user's own Numba compiles never see it
    from numba.core import config as numba_config

    from lazyarr.kernels import numba_glue

    before = numba_config.SLP_VECTORIZE
    with numba_glue.slp_vectorize(True):
        assert numba_config.SLP_VECTORIZE == 1
    assert numba_config.SLP_VECTORIZE == before
    with numba_glue.slp_vectorize(False):
        assert numba_config.SLP_VECTORIZE == before
    spec = dict(_stage(gradient(*[la.array(np.ones(s)) for s in ((4, 3), 3, 4)])).params.kwargs)["spec"]
    k, _ = gemv_pair.pair_kernel(spec, np.dtype(np.float64))
    assert "\nSLP_VECTORIZE = True\n" in source_gemv_pair.kernel_source(k, np.dtype(np.float64), "C", False, "v")


def test_regions_over_the_node_limit_do_not_match_and_are_remembered():
    # g with more than MAX_NODES elementwise nodes keeps products.py's two reductions; a region holding such a
    # node is too big as well (api/gemv_pair._TOO_BIG: a lazy loop's X @ w stops at the previous step's w)
    rng = _rng(6)
    from lazyarr.api import gemv_pair as api_pair

    X, w, y = rng.standard_normal((50, 4)), rng.standard_normal(4) * 0.3, rng.random(50)
    Xl, wl, yl = la.array(X), la.array(w), la.array(y)

    def chain(d, y, links):
        for _ in range(links):
            d = d * 0.5 + y  # two nodes a link
        return d

    small = api_pair.MAX_NODES // 2 - 1  # 2 * 15 nodes: under the limit, a match
    big = Xl.T @ chain(Xl @ wl, yl, api_pair.MAX_NODES // 2 + 1)
    assert sum(1 for n in expr.walk([big._node]) if n.op == "numpy" and n.params.name == "gemv_pair") == 0
    _close(big.compute(), X.T @ chain(X @ w, y, api_pair.MAX_NODES // 2 + 1))
    inner = chain(Xl @ wl, yl, api_pair.MAX_NODES // 2 + 1)
    assert api_pair._region(inner._node) is None and inner._node in api_pair._TOO_BIG
    outer = Xl.T @ (inner - yl)  # holds a node known too big
    assert not [n for n in expr.walk([outer._node]) if n.op == "numpy" and n.params.name == "gemv_pair"]
    e = Xl.T @ chain(Xl @ wl, yl, small)
    assert _kernel_runs(lambda: _close(e.compute(), X.T @ chain(X @ w, y, small))) == 1
