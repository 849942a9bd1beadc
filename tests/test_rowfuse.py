"""Row-fused kernels (compiler/rowfuse.py): reductions along the first or last axis broadcast back over it.

Values against NumPy (same dtype and shape), the plan's structure (one row kernel), the promise that a
row-fused sum along a contiguous axis equals the ordinary reduce kernel's bit for bit, and the graphs a row
kernel must leave to the ordinary plan. Shapes and dtypes are shared between cases so kernels are reused.
"""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import rowfuse
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, ScanKernel, Stage, plan


def softmax(x, axis=1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax0(x):
    return softmax(x, axis=0)


def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1))


def standardise0(x):
    return (x - np.mean(x, axis=0)) / np.std(x, axis=0)


def standardise1(x):
    return (x - np.mean(x, axis=1, keepdims=True)) / np.std(x, axis=1, keepdims=True)


def layernorm(x, g, b):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


def centre1(x):
    return x - np.mean(x, axis=1, keepdims=True)


def centre0(x):
    return x - np.mean(x, axis=0)


WORKLOADS = [softmax, softmax0, logsumexp, standardise0, standardise1, layernorm, centre1, centre0]


def _inputs(fn, shape, dtype=np.float64, order="C"):
    rng = np.random.default_rng(7)
    x = np.asarray(rng.standard_normal(shape) * 3, dtype=dtype, order=order)
    if fn is layernorm:
        return [x, rng.random(shape[1]).astype(dtype) + 0.5, rng.random(shape[1]).astype(dtype)]
    return [x]


def _lazy(fn, arrays):
    return fn(*[la.array(a) for a in arrays])


def _check(fn, arrays, rtol=1e-12):
    want = fn(*arrays)
    copies = [a.copy() for a in arrays]
    got = np.asarray(_lazy(fn, arrays))
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    for a, c in zip(arrays, copies):
        assert np.array_equal(a, c)  # inputs untouched


def _steps(fn, arrays):
    return plan([_lazy(fn, arrays)._node])


@pytest.mark.parametrize("fn", WORKLOADS, ids=lambda f: f.__name__)
def test_values_and_one_kernel(fn):
    arrays = _inputs(fn, (37, 23))
    _check(fn, arrays)
    steps = _steps(fn, arrays)
    assert [type(s) for s in steps] == [RowKernel]


@pytest.mark.parametrize("fn", [softmax, standardise0, layernorm], ids=lambda f: f.__name__)
def test_fortran_order(fn):
    # The reduced axis is then the other one in memory: the loop shape flips (rows <-> strips).
    _check(fn, _inputs(fn, (37, 23), order="F"))


@pytest.mark.parametrize("fn", [softmax, standardise0], ids=lambda f: f.__name__)
def test_float32(fn):
    _check(fn, _inputs(fn, (37, 23), np.float32), rtol=2e-5)


@pytest.mark.parametrize("fn", [softmax, standardise0], ids=lambda f: f.__name__)
def test_parallel_path(fn, parallel_threshold):
    parallel_threshold(0)
    _check(fn, _inputs(fn, (67, 301)))


@pytest.mark.parametrize("shape", [(17, 1), (1, 40), (3, 5), (0, 5), (5, 0)], ids=str)
def test_odd_shapes(shape):
    # One column: a row kernel whose reduction has one element. One row or few rows: the ordinary plan.
    for fn in (centre1, centre0):
        arrays = _inputs(fn, shape)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "Mean of empty slice"
            want = fn(*arrays)
            got = np.asarray(_lazy(fn, arrays))
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


def test_row_count_decides():
    assert any(isinstance(s, RowKernel) for s in _steps(centre1, _inputs(centre1, (17, 1))))
    assert not any(isinstance(s, RowKernel) for s in _steps(centre1, _inputs(centre1, (3, 5))))


def test_nan_inf_and_overflow_rows():
    # NaN propagates through max, -inf rows give NaN, exp overflow takes the exact path of its row.
    x = _inputs(softmax, (37, 23))[0]
    x[3, 4] = np.nan
    x[5, :] = -np.inf
    x[7, 3] = 800.0
    x[8, :] = 1e300
    with np.errstate(all="ignore"):
        want = softmax(x)
        got = np.asarray(_lazy(softmax, [x]))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    assert np.array_equal(np.isnan(got), np.isnan(want))


def test_integer_input():
    x = np.random.default_rng(3).integers(-50, 50, (37, 23))
    for fn in (lambda a: a - a.max(axis=1, keepdims=True), centre0):
        want, got = fn(x), np.asarray(fn(la.array(x)))
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert [type(s) for s in _steps(lambda a: a - a.max(axis=1, keepdims=True), [x])] == [RowKernel]


def test_sum_equals_reduce_kernel_bit_for_bit(monkeypatch):
    # The rows loop sums as the `inner` reduce kernel does (8 lanes, Kahan-compensated blocks).
    x = _inputs(centre1, (37, 300))[0]
    fused = np.asarray(centre1(la.array(x)))
    monkeypatch.setattr(rowfuse, "enabled", False)
    steps = _steps(centre1, [x])
    assert not any(isinstance(s, RowKernel) for s in steps)
    assert any(isinstance(s, ReduceKernel) for s in steps)
    assert np.array_equal(fused, np.asarray(centre1(la.array(x))))


def test_explain_names_the_kernel_and_why():
    text = _lazy(softmax, _inputs(softmax, (37, 23))).explain()
    assert "row kernel (max, sum) over axis 1 of (37, 23)" in text
    assert "only broadcast back over that axis" in text
    assert "loop=rows" in text


def test_row_value_broadcast_the_other_way_is_left_alone():
    # x.sum(1) has shape (n,): against (n, n) it broadcasts along the rows, not over them.
    x = _inputs(centre1, (20, 20))[0]
    fn = lambda a: a - a.sum(axis=1)  # noqa: E731
    assert not any(isinstance(s, RowKernel) for s in _steps(fn, [x]))
    np.testing.assert_allclose(np.asarray(fn(la.array(x))), fn(x), rtol=1e-13)


def test_input_computed_from_the_region_is_refused():
    # y @ I reads y, and y + (y @ I) would put it inside y's own row kernel: the ordinary plan runs instead.
    x = _inputs(centre1, (20, 20))[0]
    eye = np.eye(20)

    def fn(a):
        y = a - a.mean(axis=1, keepdims=True)
        return y + y @ eye

    steps = _steps(fn, [x])
    assert np.allclose(np.asarray(fn(la.array(x))), fn(x), rtol=1e-13)
    assert all(not isinstance(s, RowKernel) or not any(n.op == "numpy" and n.params.name == "matmul"
                                                        for n in s.inputs) for s in steps)


def test_several_outputs_and_fuse():
    x = _inputs(centre1, (37, 23))[0]
    X = la.array(x)
    m = X.max(axis=1, keepdims=True)
    e = np.exp(X - m)
    got_e, got_m = la.compute(e, m)
    np.testing.assert_allclose(got_e, np.exp(x - x.max(axis=1, keepdims=True)), rtol=1e-13)
    assert np.array_equal(got_m, x.max(axis=1, keepdims=True))
    f = la.fuse(softmax)
    np.testing.assert_allclose(f(x), softmax(x), rtol=1e-12)
    np.testing.assert_allclose(f(x + 1), softmax(x + 1), rtol=1e-12)


def test_steps_after_a_row_kernel():
    # A scan reads the row kernel's output, a map kernel the scan's, and a stage reads a row kernel's too.
    x = _inputs(centre1, (37, 23))[0]
    fn = lambda a: np.cumsum(a - a.mean(axis=1, keepdims=True), axis=0) * 2  # noqa: E731
    assert [type(s) for s in _steps(fn, [x])] == [RowKernel, ScanKernel, MapKernel]
    np.testing.assert_allclose(np.asarray(fn(la.array(x))), fn(x), rtol=1e-12, atol=1e-12)
    fn = lambda a: np.sort(a - a.mean(axis=1, keepdims=True), axis=0) * 2  # noqa: E731
    assert [type(s) for s in _steps(fn, [x])] == [RowKernel, Stage, MapKernel]
    np.testing.assert_allclose(np.asarray(fn(la.array(x))), fn(x), rtol=1e-12, atol=1e-12)


# --- broadcast-invariant work once (compiler/hoist.py) and dev.T @ dev --------------------------------------

def haversine(lat1, lon1, lat2, lon2):
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(h))


def _points(n):
    rng = np.random.default_rng(5)
    return [rng.uniform(-1.5, 1.5, (n, 1)), rng.uniform(-3, 3, (n, 1)), rng.uniform(-1.5, 1.5, (1, n)),
            rng.uniform(-3, 3, (1, n))]


def test_costly_invariant_subexpression_is_hoisted():
    points = _points(40)
    steps = _steps(haversine, points)
    hoisted = [s for s in steps if type(s) is Stage]
    assert sorted(s.node.shape for s in hoisted) == [(1, 40), (40, 1)]  # cos(lat2), cos(lat1)
    assert all(s.node.op == "cos" and s.why.startswith("hoisted:") for s in hoisted)
    assert [type(s) for s in steps][-1] is MapKernel
    np.testing.assert_allclose(np.asarray(_lazy(haversine, points)), haversine(*points), rtol=1e-12)
    assert "hoisted: cos of shape (40, 1) is broadcast over (40, 40)" in _lazy(haversine, points).explain()


def test_cheap_invariant_subexpression_stays_in_the_loop():
    a, _, b, _ = _points(40)
    steps = _steps(lambda x, y: x * 2 + y, [a, b])
    assert [type(s) for s in steps] == [MapKernel]


def test_transposed_operand_is_a_view_of_the_computed_value():
    x = _inputs(centre0, (50, 20))[0]
    d = centre0(x)
    for fn, want in ((lambda a: centre0(a).T @ centre0(a), d.T @ d), (lambda a: centre0(a) @ centre0(a).T, d @ d.T),
                     (lambda a: np.dot(centre0(a).T, centre0(a)), d.T @ d)):
        steps = _steps(fn, [x])
        assert [type(s) for s in steps].count(RowKernel) == 1 and MapKernel not in [type(s) for s in steps]
        assert [s.node.params.name for s in steps if type(s) is Stage][0] == "transpose"
        np.testing.assert_allclose(np.asarray(fn(la.array(x))), want, rtol=1e-12, atol=1e-12)


def test_fuse_binds_row_inputs_per_call():
    # g is constant along the reduced axis: a row input of the kernel, bound anew at every call.
    def scaled(x, g):
        return (x - x.mean(axis=0)) * g

    x = _inputs(centre0, (37, 23))[0]
    f = la.fuse(scaled)
    for g in (np.full(23, 2.0), np.arange(23.0)):
        np.testing.assert_allclose(f(x, g), scaled(x, g), rtol=1e-13)
    assert any(k.row_inputs for k in _steps(scaled, [x, np.ones(23)]) if isinstance(k, RowKernel))


def test_plain_reduction_keeps_its_reduce_kernel():
    # Nothing read back over the rows: the reduce kernel's own loops (outer_split, ...) stay.
    x = _inputs(centre1, (37, 23))[0]
    assert [type(s) for s in _steps(lambda a: np.exp(a).sum(axis=0) * 2, [x])] == [ReduceKernel, MapKernel]
