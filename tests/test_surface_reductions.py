"""The reductions built from the primitive ones (api/statistics.py, api/matrix_stats.py, api/scans.py) against
NumPy: nan* reductions with NumPy 2's NaN rules and warnings, where=/initial=, ptp, average, count_nonzero, trace,
linalg.norm, allclose/array_equal/array_equiv, trapezoid, cov, corrcoef and the scans, plus structure tests
(what is fused into one kernel). Shapes and dtypes are shared across cases so kernels are shared."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, ScanKernel, plan

rng = np.random.default_rng(13)
X = rng.random((4, 5)) - 0.3
NANS = X.copy()
NANS[0, 1] = NANS[2, 3] = np.nan
NANS[1] = np.nan            # an all-NaN row
SOME = X.copy()
SOME[0, 1] = SOME[2, 3] = SOME[3, 0] = np.nan   # NaN, but no all-NaN slice along either axis
INTS = rng.integers(-4, 5, (4, 5))
BOOLS = X > 0.1
CPLX = (X + 1j * X[::-1]).copy()
CPLX[0, 2] = complex(np.nan, 1)

NAN_REDUCTIONS = ["nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmin", "nanmax", "nanargmin", "nanargmax"]


def numpy_and_warnings(func):
    """(value or exception type, the set of RuntimeWarning messages) of calling `func`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = func()
            if isinstance(value, la.LazyArray):
                value = value.compute()
        except (ValueError, TypeError, ZeroDivisionError) as exc:
            value = type(exc)
    messages = {str(w.message).rstrip(".") for w in caught if w.category is RuntimeWarning
                and "encountered in" not in str(w.message)}
    return value, messages


def assert_same(got, want, exact=False):
    if isinstance(want, type):
        assert got is want
        return
    got_arr, want_arr = np.asarray(got), np.asarray(want)
    assert got_arr.dtype == want_arr.dtype and got_arr.shape == want_arr.shape, (got_arr, want_arr)
    if exact or got_arr.dtype.kind in "biu":
        np.testing.assert_array_equal(got_arr, want_arr)
    else:  # (float32 sums accumulate in float64 here, in float32 in NumPy)
        single = got_arr.dtype in (np.float32, np.complex64)
        np.testing.assert_allclose(got_arr, want_arr, rtol=1e-6 if single else 1e-12, atol=1e-14, equal_nan=True)


def check(name, data, lazy_data=None, **kwargs):
    """np.<name> on the LazyArray and on the NumPy array: same value, dtype, shape, error and warnings."""
    func = getattr(np, name)
    want, want_warned = numpy_and_warnings(lambda: func(data, **kwargs))
    got, got_warned = numpy_and_warnings(lambda: func(la.array(data) if lazy_data is None else lazy_data,
                                                      **kwargs))
    assert_same(got, want)
    assert got_warned == want_warned


# --- nan* reductions --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)], ids=str)
@pytest.mark.parametrize("name", NAN_REDUCTIONS)
def test_nan_reductions_with_an_all_nan_slice(name, axis):
    if name.startswith("nanarg") and isinstance(axis, tuple):
        return
    check(name, NANS, axis=axis)  # (nanargmin/nanargmax: NumPy's ValueError for the all-NaN row)
    check(name, SOME, axis=axis)


F32 = X.astype(np.float32)
F32[1, 1] = np.nan
# (function, data): each dtype with the functions whose rule differs for it (kernels cost compile time)
OTHER_DTYPES = [(name, "float32") for name in ("nansum", "nanmean", "nanmin", "nanargmax")] + \
    [(name, "int64") for name in ("nansum", "nanprod", "nanmean", "nanvar", "nanmin", "nanargmax")] + \
    [(name, "bool") for name in ("nansum", "nanmax", "nanmean")] + \
    [(name, "complex128") for name in ("nansum", "nanprod", "nanmean", "nanvar", "nanmin", "nanargmin")]
DATA = {"float32": F32, "int64": INTS, "bool": BOOLS, "complex128": CPLX}


@pytest.mark.parametrize("name, dtype", OTHER_DTYPES, ids=[f"{n}-{d}" for n, d in OTHER_DTYPES])
def test_nan_reductions_of_other_dtypes(name, dtype):
    data = DATA[dtype]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)  # complex nanmin/nanargmin: NumPy's ordering
        if dtype == "float32" and name in ("nansum", "nanmean"):  # (float32 sums: float64 accumulators here)
            want = getattr(np, name)(data, axis=0)
            got = getattr(np, name)(la.array(data), axis=0).compute()
            assert got.dtype == want.dtype and np.allclose(got, want, rtol=1e-6, equal_nan=True)
            return
        check(name, data, axis=0)


@pytest.mark.parametrize("name", ["nansum", "nanmean", "nanmin", "nanargmin"])
def test_nan_reductions_keepdims_strided_and_la_functions(name):
    view = SOME[::-1, ::2]
    check(name, view, axis=1, keepdims=True)
    got = getattr(la, name)(la.array(view), axis=0)
    assert_same(got.compute(), getattr(np, name)(view, axis=0))


@pytest.mark.parametrize("name", ["nansum", "nanprod", "nanmean", "nanmin", "nanmax", "nanargmax", "nanvar"])
def test_nan_reductions_of_empty_and_0d_inputs(name):
    check(name, np.empty((0, 3)), axis=0)
    check(name, np.empty((0, 3)), axis=1)
    check(name, np.array(np.nan))
    check(name, np.array(2.5))


def test_nan_reduction_keywords():
    check("nansum", SOME, axis=0, dtype=np.float32)
    check("nanmean", SOME, axis=1, dtype=np.float64)
    check("nanvar", SOME, axis=0, ddof=1)
    check("nanstd", SOME, axis=1, ddof=4)  # no degrees of freedom left in some rows: NaN and NumPy's warning
    check("nansum", SOME, axis=0, initial=10.0, where=BOOLS)
    check("nanmax", NANS, axis=1, initial=-1.0)  # initial fills the all-NaN row: no warning
    check("nanmin", SOME, axis=0, where=BOOLS, initial=5.0)
    out = np.empty(5)
    assert np.nanmean(la.array(SOME), axis=0, out=out) is out
    np.testing.assert_allclose(out, np.nanmean(SOME, axis=0))
    with pytest.warns(la.NumPyFallbackWarning):  # mean= is NumPy's, through the fallback
        got = np.nanvar(la.array(SOME), axis=0, mean=np.nanmean(SOME, axis=0, keepdims=True))
    np.testing.assert_allclose(got, np.nanvar(SOME, axis=0))


def test_nanargmin_of_an_all_nan_slice_raises_numpys_error_when_computed():
    e = np.nanargmin(la.array(NANS), axis=1)
    with pytest.raises(ValueError, match="All-NaN slice encountered"):
        e.compute()
    with pytest.warns(RuntimeWarning, match="All-NaN slice encountered"):
        np.nanmax(la.array(NANS), axis=1).compute()
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        assert np.isnan(np.nanmean(la.array(NANS[1])).compute())


# --- where= and initial= ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "any", "all"])
def test_where_and_initial_are_fused_into_the_reduction(name):
    kwargs = {"initial": -1.0} if name in ("max", "min") else {}
    data = X if name not in ("any", "all") else BOOLS
    check(name, data, axis=0, where=X > 0, **kwargs)
    check(name, data, axis=None, where=X[0] > 0, keepdims=True, **kwargs)
    method = getattr(la.array(data), name)(axis=1, where=X > 0, **kwargs)
    assert_same(method.compute(), getattr(data, name)(axis=1, where=X > 0, **kwargs))
    e = getattr(np, name)(la.array(data) * 1 if name not in ("any", "all") else la.array(data), where=X > 0,
                          **kwargs)
    # the mask is part of the reduction's producer: no pass over the (4, 5) input writes a temporary
    assert not [s for s in plan([e._node]) if type(s) is MapKernel and s.shape == X.shape]


def test_initial_and_where_edge_cases():
    check("sum", INTS, axis=1, initial=5)
    check("prod", INTS, axis=0, initial=2, dtype=np.int64)
    check("max", np.empty((0, 3)), axis=0, initial=7.0)
    check("min", X, initial=-0.5)
    check("max", X, axis=0, where=X > 0)  # NumPy's ValueError: no identity, no initial
    check("mean", X, axis=1, where=np.zeros((4, 5), bool))  # empty selections: NaN and "Mean of empty slice"
    with pytest.raises(TypeError, match="where"):
        np.sum(la.array(X), where=X)  # (a float mask)


# --- ptp, count_nonzero, trace, average ------------------------------------------------------------------------

@pytest.mark.parametrize("data", [X, INTS], ids=["float64", "int64"])
def test_ptp_count_nonzero_trace(data):
    for axis in (None, 0, -1):
        check("ptp", data, axis=axis)
        check("count_nonzero", data, axis=axis)
    check("ptp", data, axis=1, keepdims=True)
    check("count_nonzero", data, axis=(0, 1), keepdims=True)
    check("trace", data)
    check("trace", data, offset=1, dtype=np.float32)
    check("trace", data[None].repeat(2, 0), axis1=1, axis2=2)
    check("trace", data, offset=-2)
    assert_same(la.array(data).trace(1).compute(), data.trace(1))
    assert not hasattr(la.array(data), "ptp")  # NumPy 2 has no ndarray.ptp
    check("ptp", BOOLS)  # NumPy's TypeError (boolean subtract)


def test_average():
    w = np.arange(1.0, 6.0)
    check("average", X)
    check("average", INTS, axis=0)
    check("average", X, axis=1, weights=w)
    check("average", INTS, axis=(0, 1), weights=INTS + 5, keepdims=True)
    check("average", X, axis=-1, weights=w, returned=True)
    check("average", X, returned=True)
    check("average", X, axis=1, weights=w - 3)  # weights summing to zero: ZeroDivisionError
    check("average", X, weights=w)  # shapes differ without axis: TypeError
    lazy_weights = np.average(la.array(X), axis=1, weights=la.array(w - 3))
    with pytest.raises(ZeroDivisionError):
        lazy_weights.compute()


# --- linalg.norm ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, -np.inf, 0, 3, -1.5], ids=str)
def test_vector_norms(ord):
    check_norm(X[0], ord)
    check_norm(X, ord, axis=1, keepdims=True)
    check_norm(CPLX, ord, axis=0)


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, np.inf, -np.inf, 2, -2, "nuc"], ids=str)
def test_matrix_norms(ord):
    check_norm(X, ord)
    check_norm(X[None].repeat(2, 0), ord, axis=(2, 1), keepdims=True)


def check_norm(data, ord, **kwargs):
    want, _ = numpy_and_warnings(lambda: np.linalg.norm(data, ord, **kwargs))
    got, _ = numpy_and_warnings(lambda: np.linalg.norm(la.array(data), ord, **kwargs))
    assert_same(got, want)


def test_norm_dtypes_and_errors():
    check_norm(INTS, None)
    check_norm(X.astype(np.float32), 2, axis=0)
    check_norm(X, "fro", axis=0)       # ValueError: not a vector norm
    check_norm(X, 3)                   # ValueError: not a matrix norm
    check_norm(X[None], None, axis=(0, 1, 2))  # ValueError: improper number of dimensions
    check_norm(np.empty((0, 3)), np.inf, axis=0)
    assert "numpy" in np.linalg.norm(la.array(X), "nuc").explain()


# --- comparisons -----------------------------------------------------------------------------------------------------

def test_allclose_array_equal_array_equiv_return_python_bools():
    for func, args in [(np.allclose, (X, X + 1e-9)), (np.allclose, (X, X + 1e-3)),
                       (np.allclose, (NANS, NANS)), (np.array_equal, (X, X)), (np.array_equal, (X, X[:2])),
                       (np.array_equal, (NANS, NANS)), (np.array_equiv, (X, X[1])),
                       (np.array_equiv, (X, X[1, :3])), (np.array_equiv, (X, X[:, :1] * 0 + X))]:
        want = func(*args)
        got = func(la.array(args[0]), args[1])
        assert type(got) is type(want) and got == want, (func, args)
    assert np.allclose(la.array(NANS), NANS, equal_nan=True) is True
    assert np.array_equal(la.array(NANS), NANS, equal_nan=True) is True
    assert la.array_equal(la.array(INTS), INTS) is True


# --- trapezoid, cov, corrcoef ------------------------------------------------------------------------------------------

def test_trapezoid():
    check("trapezoid", X)
    check("trapezoid", X, axis=0, dx=0.5)
    check("trapezoid", X, x=np.cumsum(np.arange(1.0, 6.0)))
    check("trapezoid", X, x=X * 3, axis=0)
    e = np.trapezoid(la.array(X) * 2)
    assert len(plan([e._node])) == 1  # slices are views: one reduction kernel


def test_cov_and_corrcoef():
    fw, aw = np.array([1, 2, 1, 3, 1]), np.array([0.5, 1.0, 1.0, 2.0, 1.0])
    check("cov", X)
    check("cov", X, rowvar=False, bias=True)
    check("cov", X, ddof=2, fweights=fw, aweights=aw)
    check("cov", X, fweights=fw)
    check("cov", X[0], y=X[1])
    check("cov", X[0])
    check("cov", INTS, dtype=np.float32)
    check("cov", CPLX)
    check("cov", X[:, :1])  # one observation: NumPy's "Degrees of freedom <= 0" warning
    check("cov", X, fweights=fw + 0.5)  # TypeError: fweights must be integer
    check("corrcoef", X)
    check("corrcoef", X, rowvar=False)
    check("corrcoef", X[0], y=X[1])
    check("corrcoef", X[0])
    check("corrcoef", CPLX)
    steps = plan([np.cov(la.array(X) * 2)._node])
    assert any(getattr(s, "node", None) is not None and s.node.op == "numpy" and s.node.params.name == "dot"
               for s in steps)


# --- scans -----------------------------------------------------------------------------------------------------------

SCAN_DATA = {"float64": X, "float32": X.astype(np.float32), "int64": INTS, "bool": BOOLS, "complex": CPLX}


@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
@pytest.mark.parametrize("dtype", sorted(SCAN_DATA))
def test_cumsum_cumprod_bit_equal(dtype, axis):
    data = SCAN_DATA[dtype]
    for func in (np.cumsum, np.cumprod) if dtype in ("float64", "int64") else (np.cumsum,):
        got = func(la.array(data), axis=axis).compute()
        want = func(data, axis=axis)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)  # a float scan in NumPy's order is bit-equal


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum, np.logical_and, np.logical_or,
                                   np.logical_xor])
def test_ufunc_accumulate(ufunc):
    data = BOOLS if ufunc.__name__.startswith("logical") else SOME
    for axis in (0, 1):
        got = ufunc.accumulate(la.array(data), axis=axis).compute()
        want = ufunc.accumulate(data, axis=axis)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    got = ufunc.accumulate(la.array(data[::-1, ::2]), dtype=np.float64 if ufunc is np.add else None).compute()
    np.testing.assert_array_equal(got, ufunc.accumulate(data[::-1, ::2], dtype=np.float64 if ufunc is np.add
                                                        else None))


def test_scan_methods_nan_scans_dtype_and_out():
    A = la.array(SOME)
    np.testing.assert_array_equal(A.cumsum(1).compute(), SOME.cumsum(1))
    np.testing.assert_array_equal(A.cumprod(axis=0).compute(), SOME.cumprod(axis=0))
    for func in (np.nancumsum, np.nancumprod):
        for axis in (None, 0, 1):
            np.testing.assert_array_equal(func(A, axis=axis).compute(), func(SOME, axis=axis))
    np.testing.assert_array_equal(la.nancumsum(la.array(INTS), axis=0).compute(), np.nancumsum(INTS, axis=0))
    assert_same(np.cumsum(la.array(INTS), axis=1, dtype=np.int8).compute(), np.cumsum(INTS, axis=1, dtype=np.int8),
                exact=True)
    out = np.empty((4, 5))
    assert np.cumsum(A, axis=0, out=out) is out
    np.testing.assert_array_equal(out, SOME.cumsum(axis=0))
    assert_same(np.cumsum(la.array(np.empty((0, 3))), axis=0).compute(), np.cumsum(np.empty((0, 3)), axis=0))
    assert_same(np.cumsum(la.array(np.float64(2.0))).compute(), np.cumsum(np.float64(2.0)))
    with pytest.raises(np.exceptions.AxisError):
        np.cumsum(A, axis=2)
    with pytest.raises(TypeError):
        np.add.accumulate(la.array(np.float64(1.0)))


def test_parallel_scans_along_each_axis(parallel_threshold):
    parallel_threshold(1000)
    big = rng.random((64, 40))
    B = la.array(big)
    for axis in (0, 1):
        e = np.cumsum(np.sin(B), axis=axis)
        assert "parallel=True" in e.explain()
        np.testing.assert_array_equal(e.compute(), np.cumsum(np.sin(big), axis=axis))
        np.testing.assert_array_equal(np.maximum.accumulate(B[::-1], axis=axis).compute(),
                                      np.maximum.accumulate(big[::-1], axis=axis))


# --- structure -------------------------------------------------------------------------------------------------------

def test_nansum_of_an_expression_is_one_kernel():
    e = np.nansum(la.array(SOME) * 2 + 1)
    steps = plan([e._node])
    assert len(steps) == 1 and isinstance(steps[0], ReduceKernel)
    np.testing.assert_allclose(e.compute(), np.nansum(SOME * 2 + 1))


def test_cumsum_of_sin_has_no_temporary():
    e = np.cumsum(np.sin(la.array(X)), axis=1)
    steps = plan([e._node])
    assert len(steps) == 1 and isinstance(steps[0], ScanKernel)
    assert "loop=scan" in e.explain()


def test_nanmean_and_nanmin_read_the_input_in_reductions_only():
    for e in (np.nanmean(la.array(SOME) * 3, axis=0), np.nanmin(la.array(SOME) - 1, axis=1)):
        steps = plan([e._node])
        # every pass over the (4, 5) input is a reduction with its producer fused: no (4, 5) temporary
        assert all(isinstance(s, ReduceKernel) for s in steps if getattr(s, "shape", None) == (4, 5))
