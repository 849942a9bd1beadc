"""What made whole NumPy programs slower than NumPy (#15), checked by counts and against NumPy, not by time:

- a lazy program that asks for values in a loop (mandelbrot's masks) keeps a bounded graph: values computed
  for Python rebind the asking frame's LazyArrays to leaves (lazyarr/api/realise.py);
- interp's kernel walks ordered queries from the previous segment (kernels/counting.py): NumPy's values;
- a fused loop of scalar work (go_fast) replays argument elements by indexing and 0-d ufuncs directly
  (tracer/program.py): NumPy's values on every replay, for any argument layout.

float64, bool and complex128 (mandelbrot), small arrays: kernels are shared.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.graph import expr

rng = np.random.default_rng(1515)


def graph_size(lazy) -> int:
    return len(expr.walk([lazy._node]))


def mandelbrot(c, max_iter, sizes=None, la_array=lambda x: x):
    """bench/programs/images.py's mandelbrot; `sizes` records z's graph size after each iteration."""
    z = np.zeros_like(c)
    escape = np.full(c.shape, max_iter, dtype=np.int64)
    active = la_array(np.ones(c.shape, dtype=bool))
    for i in range(max_iter):
        z[active] = z[active] ** 2 + c[active]
        escaped = active & (np.abs(z) > 2.0)
        escape[escaped] = i
        active &= ~escaped
        if sizes is not None:
            sizes.append(graph_size(z))
    return escape


C = np.linspace(-2.0, 0.6, 7)[None, :] + 1j * np.linspace(-1.2, 1.2, 6)[:, None]


@pytest.mark.parametrize("lazy_mask", [False, True], ids=["numpy mask", "lazy mask"])
def test_a_lazy_loop_of_mask_writes_keeps_a_bounded_graph(lazy_mask):
    sizes = []
    got = mandelbrot(la.array(C), 12, sizes, la.array if lazy_mask else (lambda x: x))
    np.testing.assert_array_equal(np.asarray(got), mandelbrot(C, 12))
    assert max(sizes[4:]) == max(sizes[:4]), sizes  # (it grew by a step per iteration: 4, 8, 12, ...)


def test_values_asked_for_rebind_named_written_arrays_only():
    x = rng.standard_normal(6)
    base = la.array(x)
    expression = base * 2.0 + 1.0                # no write: keeps reading x when computed
    written = la.array(x) * 1.0
    written[0] = 5.0                             # a pending write
    view = written[1:]                           # a view: follows its base, never rebound itself
    s = float((written * 3.0 + expression).sum())
    assert written._node.op == "leaf" and expression._node.op != "leaf" and base._node.data.base is x
    want = np.r_[5.0, x[1:]]
    assert s == pytest.approx(float((want * 3.0 + x * 2.0 + 1.0).sum()), rel=1e-14)
    np.testing.assert_array_equal(view.compute(), want[1:])
    written[1] = 6.0                             # a write after the rebinding is still a write, views see it
    np.testing.assert_array_equal(written.compute(), np.r_[5.0, 6.0, x[2:]])
    np.testing.assert_array_equal(view.compute(), np.r_[6.0, x[2:]])


def test_a_value_handed_to_the_user_is_not_the_rebound_leaf():
    x = rng.standard_normal(5)
    y = la.array(x) + 1.0
    y[0] = 0.5
    value = np.asarray(y)                        # y is named and written: rebound to a leaf of its value
    assert y._node.op == "leaf"
    value[:] = 0.0                               # the user's copy is theirs to write
    np.testing.assert_array_equal(y.compute(), np.r_[0.5, x[1:] + 1.0])
    out = np.empty(5)
    z = la.array(x) * 3.0
    z[1] = 1.0
    z.compute(out=out)
    out[:] = -1.0
    np.testing.assert_array_equal(z.compute(), np.r_[x[0] * 3.0, 1.0, x[2:] * 3.0])


def test_expressions_keep_reading_their_inputs_by_reference():
    """Only arrays holding writes are rebound (docs/fuse_programs.md): an expression computed twice sees the
    writes into its NumPy inputs between the computes, as lazyarr.array promises."""
    x = rng.standard_normal(4)
    e = la.array(x) + 1.0
    np.asarray(e)
    x[:] = 7.0
    np.testing.assert_array_equal(e.compute(), x + 1.0)
    w = la.array(x) + 1.0
    w[0] = 0.0
    np.asarray(w)                                # w held a write: it now holds this value, as NumPy's would
    x[:] = 9.0
    np.testing.assert_array_equal(w.compute(), [0.0, 8.0, 8.0, 8.0])


# --- interp: ordered queries (kernels/counting.py) -------------------------------------------------------------

@pytest.mark.parametrize("xp", [
    np.cumsum(rng.uniform(0.5, 1.5, 3000)), np.repeat(np.cumsum(rng.uniform(0.5, 1.5, 700)), 3),
], ids=["resampling", "duplicate points"])
def test_interp_of_ordered_queries_across_blocks_is_numpys(parallel_threshold, xp):
    parallel_threshold(100)
    fp = np.sin(xp / 50.0)
    grid = np.linspace(xp[0] - 3.0, xp[-1] + 3.0, 9001)  # > 2 blocks of 4096, outside on both ends
    queries = np.sort(np.concatenate([grid, xp, xp[::5]]))  # points themselves, repeated queries
    np.testing.assert_array_equal(np.interp(la.array(queries), xp, fp).compute(), np.interp(queries, xp, fp))
    jumps = queries[::-1].copy()                            # descending: every guess misses
    np.testing.assert_array_equal(np.interp(la.array(jumps), xp, fp).compute(), np.interp(jumps, xp, fp))


# --- fused scalar loops (tracer/program.py) --------------------------------------------------------------------

def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


@pytest.mark.parametrize("layout", ["C", "F", "strided", "reversed"])
def test_a_fused_scalar_loop_replays_numpys_values_for_every_layout(layout):
    fused = la.fuse(go_fast)
    make = {"C": lambda a: a, "F": np.asfortranarray, "strided": lambda a: a[::2, ::2],
            "reversed": lambda a: a[::-1, ::-1]}[layout]
    for _ in range(3):  # the first call traces, the next ones replay with other values
        a = make(rng.standard_normal((10, 10)))
        np.testing.assert_array_equal(fused(a), go_fast(a))


# --- masked updates as one where (api/masked_update.py) -------------------------------------------------------

def test_a_masked_update_of_gathers_by_the_same_mask_is_one_where():
    x, y = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    mask = x > 0.2
    lazy = la.array(x)
    lazy[mask] = lazy[mask] * 2.0 + la.array(y)[mask]
    assert lazy._node.op == "where"              # no gather, no scatter stage
    want = x.copy()
    want[mask] = want[mask] * 2.0 + y[mask]
    np.testing.assert_array_equal(lazy.compute(), want)
    np.testing.assert_array_equal(x[mask], x[x > 0.2])  # the input untouched


@pytest.mark.parametrize("case", ["other mask", "compressed values", "integers"])
def test_masked_updates_the_rewrite_leaves_to_the_scatter(case):
    x = rng.standard_normal((4, 5))
    mask, other = x > 0.0, x > 0.5
    lazy, want = la.array(x), x.copy()
    if case == "other mask":                     # values gathered by another mask: NumPy's count check applies
        with pytest.raises(ValueError):
            want[mask] = want[other]
        with pytest.raises(ValueError):
            lazy[mask] = lazy[other]
        return
    if case == "compressed values":              # a NumPy array of the selection's length
        values = rng.standard_normal(int(mask.sum()))
        lazy[mask] = lazy[mask] + values
        want[mask] = want[mask] + values
    else:                                        # integer arithmetic keeps NumPy's per-element rules
        n = rng.integers(-5, 5, (4, 5))
        lazy, want = la.array(n), n.copy()
        lazy[mask] = lazy[mask] // 2
        want[mask] = want[mask] // 2
    assert lazy._node.op != "where"
    np.testing.assert_array_equal(lazy.compute(), want)


def test_complex_square_operator_is_numpys_bit_for_bit():
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e200, 1.5])
    z = (special[:, None] + 1j * special[None, :]).ravel()
    with np.errstate(all="ignore"):
        got = (la.array(z) ** 2).compute()
        for want, lazy in ((z ** 2, got), (np.power(z, 2), np.power(la.array(z), 2).compute())):
            np.testing.assert_array_equal(lazy.view(np.float64), want.view(np.float64))


def test_index_refuses_arrays_without_computing_them():
    computed = []
    y = la.array(rng.standard_normal(3)) > 0.0
    original = la.LazyArray.__array__
    try:
        la.LazyArray.__array__ = lambda self, *a, **k: computed.append(1) or original(self, *a, **k)
        with pytest.raises(TypeError, match="only integer scalar arrays"):
            y.__index__()
    finally:
        la.LazyArray.__array__ = original
    assert not computed
    assert la.array(np.array(4)).__index__() == 4
