"""Fused elementwise NumPy functions (lazyarr/api/elementwise.py) against NumPy: round/around, fix, nan_to_num,
isclose, sinc, heaviside, angle, polyval, select, piecewise, np.outer and ufunc.outer, triu/tril.

Each is checked as ``np.f(lazy)`` (``__array_function__``) and, once, as ``la.f``; over the dtypes NumPy
accepts, 0-d and empty inputs, NaN/inf placement and broadcasting; NumPy's errors; and that it adds no kernel.
Arrays are small and dtypes few: every distinct kernel costs a compile.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan
from oracle import assert_same

SPECIALS = [2.5, -2.5, 0.125, -0.5, 1.005, 1e300, np.nan, np.inf, -np.inf, -0.0, 3.0, 1234.5678]
F64 = np.array(SPECIALS)
with np.errstate(all="ignore"):
    F32 = F64.astype(np.float32)
    C128 = F64 + 1j * F64[::-1]
I64 = np.array([125, -125, 127, -128, 5, 15, 0, -1, 2**62 + 12345, -(2**62), 1234567890123456789, 99])
BOOL = np.array([True, False] * 6)
DATA = {"float64": F64, "float32": F32, "int64": I64, "bool": BOOL, "complex128": C128}


def same(got, want, ulp: int = 0) -> None:
    """A lazy result computed equals NumPy's: type (scalar or array), dtype, shape, values (NaN == NaN)."""
    assert isinstance(got, la.LazyArray), type(got)
    assert_same(got.compute(), want, ulp)


def numpy_error(call, *args, **kwargs) -> type:
    with pytest.raises(Exception) as info:
        call(*args, **kwargs)
    return type(info.value)


def steps(e) -> list:
    return plan([e._node])


def one_kernel(e) -> None:
    """The whole expression is one fused kernel: no stage, no second kernel, no temporary."""
    s = steps(e)
    assert len(s) == 1 and isinstance(s[0], (MapKernel, ReduceKernel)), s


# --- round / around / fix -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float64", "float32", "int64", "complex128"])
@pytest.mark.parametrize("decimals", [0, 2, -1, 40, -400])
def test_round_is_numpys_algorithm_bit_for_bit(name, decimals):
    x = DATA[name]
    same(np.round(la.array(x), decimals), np.round(x, decimals))


def test_round_float16_int8_uint8_and_extreme_decimals():
    h = F64.astype(np.float16)
    same(np.around(la.array(h), 1), np.around(h, 1))
    i8, u8 = np.array([125, 127, -128, 5], np.int8), np.array([255, 5, 15, 250], np.uint8)
    same(np.round(la.array(i8), -1), np.round(i8, -1))  # 127 -> 130.0 -> -126: the C cast wraps
    same(np.round(la.array(u8), -1), np.round(u8, -1))
    for d in (2**31 - 1, -2**31, 9, 22, 23, 308, 309):  # power_of_ten's repeated products, inf factors
        same(la.round(la.array(F64), d), np.round(F64, d))


def test_round_bool_zero_decimals_is_float16_and_other_decimals_raise():
    same(np.round(la.array(BOOL)), np.round(BOOL))
    for d in (1, -1):
        with pytest.raises(TypeError, match="round"):
            np.round(la.array(BOOL), d)
        assert issubclass(numpy_error(np.round, BOOL, d), TypeError)


def test_round_0d_empty_2d_and_decimals_errors():
    same(np.round(la.array(np.array(2.675)), 2), np.round(np.array(2.675), 2))
    same(np.round(la.array(np.empty((0, 3))), 1), np.round(np.empty((0, 3)), 1))
    m = F64.reshape(3, 4)[:, ::-1]
    same(np.round(la.array(m), 1), np.round(m, 1))
    same(np.round(la.array(F64), np.int64(1)), np.round(F64, np.int64(1)))
    for bad, error in ((1.5, TypeError), ("1", TypeError), (None, TypeError), (2**40, OverflowError)):
        with pytest.raises(error):
            np.round(la.array(F64), bad)
        assert numpy_error(np.round, F64, bad) is error


def test_round_out_and_inputs_unchanged():
    x = F64.copy()
    out = np.empty_like(x)
    assert np.round(la.array(x), 1, out=out) is out
    assert_same(out, np.round(F64, 1))
    out32 = np.empty(x.shape, np.float32)  # NumPy computes in out's dtype: that path is NumPy's
    want = np.empty_like(out32)
    np.round(F64, 1, out=want)
    np.round(la.array(x), 1, out=out32)
    assert_same(out32, want)
    assert_same(x, F64)


@pytest.mark.parametrize("name", ["float64", "float32", "int64", "bool"])
def test_fix(name):
    x = DATA[name]
    same(np.fix(la.array(x)), np.fix(x))


def test_fix_complex_raises_and_la_fix():
    with pytest.raises(TypeError, match="trunc"):
        np.fix(la.array(C128))
    assert issubclass(numpy_error(np.fix, C128), TypeError)
    same(la.fix(F64), np.fix(F64))


# --- nan_to_num ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float64", "float32", "complex128", "int64", "bool"])
def test_nan_to_num_defaults(name):
    x = DATA[name]
    same(np.nan_to_num(la.array(x)), np.nan_to_num(x))


def test_nan_to_num_keywords_arrays_float16_and_0d():
    kw = dict(nan=-9999, posinf=33333333.0, neginf=1e300)  # 1e300 overflows float32: inf, as copyto gives
    for x in (F64, F32, C128):
        same(np.nan_to_num(la.array(x), **kw), np.nan_to_num(x, **kw))
    nan = np.arange(12.0)
    same(np.nan_to_num(la.array(F64), nan=nan), np.nan_to_num(F64, nan=nan))
    same(np.nan_to_num(la.array(F64), nan=la.array(nan)), np.nan_to_num(F64, nan=nan))
    h = F64.astype(np.float16)
    same(np.nan_to_num(la.array(h), copy=False), np.nan_to_num(h))
    for v in (np.nan, -np.inf, 2.0):
        same(np.nan_to_num(la.array(np.array(v))), np.nan_to_num(np.array(v)))
    same(la.nan_to_num(F64), np.nan_to_num(F64))


def test_nan_to_num_errors():
    for bad in (1j, "x"):
        with pytest.raises(TypeError, match="nan_to_num"):
            np.nan_to_num(la.array(F32), nan=bad)
        assert issubclass(numpy_error(np.nan_to_num, F32, nan=bad), TypeError)
    with pytest.raises(ValueError, match="nan_to_num"):
        np.nan_to_num(la.array(F64), nan=np.zeros((2, 12)))
    assert issubclass(numpy_error(np.nan_to_num, F64, nan=np.zeros((2, 12))), ValueError)


# --- isclose, sinc, heaviside, angle ----------------------------------------------------------------------------

@pytest.mark.parametrize("a_name,b_name", [("float64", "float64"), ("float32", "float64"), ("int64", "int64"),
                                           ("bool", "float32"), ("complex128", "complex128")])
def test_isclose_dtypes(a_name, b_name):
    a, b = DATA[a_name], DATA[b_name][::-1]
    same(np.isclose(la.array(a), la.array(b)), np.isclose(a, b))
    same(np.isclose(la.array(a), b, equal_nan=True), np.isclose(a, b, equal_nan=True))


def test_isclose_tolerances_scalars_broadcasting_and_int_min():
    near = F64 * (1 + 3e-6)
    for kw in ({"rtol": 1e-6}, {"rtol": 0.0, "atol": 1e-3}, {"rtol": np.linspace(0, 1e-5, 12)}):
        same(np.isclose(la.array(F64), near, **kw), np.isclose(F64, near, **kw))
    same(np.isclose(la.array(F64), 2.5), np.isclose(F64, 2.5))
    same(np.isclose(2, la.array(I64)), np.isclose(2, I64))
    m = F64.reshape(3, 4)
    same(np.isclose(la.array(m), m[0]), np.isclose(m, m[0]))
    low = np.array([np.iinfo(np.int64).min, 0])
    same(np.isclose(la.array(low), low), np.isclose(low, low))
    same(np.isclose(la.array(np.array(1.0)), 1.0), np.isclose(np.array(1.0), 1.0))  # 0-d: a NumPy bool
    same(la.isclose(F64, F64), np.isclose(F64, F64))
    with pytest.warns(RuntimeWarning, match="not valid"), np.errstate(invalid="warn"):
        np.isclose(la.array(F64), F64, rtol=np.inf)


@pytest.mark.parametrize("name", ["float64", "float32", "int64", "complex128"])
def test_sinc(name):
    x = DATA[name] if name != "int64" else np.arange(-3, 9)
    x = np.where(np.abs(x) > 1e10, 0.25, x)  # (sin of huge arguments: accuracy is not the point here)
    same(np.sinc(la.array(x)), np.sinc(x), ulp=4)


def test_heaviside_is_the_op_table_ufunc():
    for x in (F64, F32):
        same(np.heaviside(la.array(x), 0.5), np.heaviside(x, 0.5))
        same(la.heaviside(la.array(x), x[::-1]), np.heaviside(x, x[::-1]))


@pytest.mark.parametrize("name", ["complex128", "float64", "float32", "int64", "bool"])
def test_angle(name):
    x = DATA[name]
    same(np.angle(la.array(x)), np.angle(x), ulp=2)
    same(np.angle(la.array(x), deg=True), np.angle(x, deg=True), ulp=2)


# --- polyval, select, piecewise ----------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [[1, 2.5, -3], [3, 0, 1], np.array([2, -1], np.int8), [-0.0], [7]])
@pytest.mark.parametrize("name", ["float64", "float32", "int64", "bool"])
def test_polyval(p, name):
    x = DATA[name] if name != "int64" else np.arange(-6, 6)
    same(np.polyval(p, la.array(x)), np.polyval(p, x))


def test_polyval_edge_cases():
    same(np.polyval([], la.array(F64)), np.polyval([], F64))
    same(np.polyval([1.0, 2.0], la.array(np.array(3.0))), np.polyval([1.0, 2.0], np.array(3.0)))
    p2 = np.array([[1.0, 2.0], [3.0, 4.0]])  # rows of coefficients broadcast against x
    x = np.array([[0.5], [2.0]])
    same(np.polyval(p2, la.array(x)), np.polyval(p2, x))
    same(np.polyval(la.array(np.array([2.0, 1.0])), la.array(F64)), np.polyval([2.0, 1.0], F64))
    same(la.polyval([1, 2], F32), np.polyval([1, 2], F32))
    with pytest.raises(TypeError):
        np.polyval(np.float64(2.0), la.array(F64))
    assert numpy_error(np.polyval, np.float64(2.0), F64) is TypeError


def test_select_first_condition_wins_dtype_and_broadcasting():
    x = F64
    conds = [x > 0, x < 2, np.isnan(x)]
    choices = [x, x.astype(np.float32) * 2, 0]
    lazy_conds = [la.array(x) > 0, la.array(x) < 2, np.isnan(la.array(x))]
    same(np.select(lazy_conds, [la.array(x), la.array(x.astype(np.float32)) * 2, 0], -1),
         np.select(conds, choices, -1))
    i8 = np.arange(12, dtype=np.int8)
    same(np.select([la.array(i8) > 3], [la.array(i8)], 300), np.select([i8 > 3], [i8], 300))  # wraps
    m = F64.reshape(3, 4)
    same(np.select([la.array(m) > 1], [m[0]], 1j), np.select([m > 1], [m[0]], 1j))
    same(np.select([la.array(np.array(True))], [5]), np.select([np.array(True)], [5]))  # 0-d array
    same(la.select([BOOL], [F32], np.float32(2)), np.select([BOOL], [F32], np.float32(2)))


def test_select_errors():
    x = la.array(F64)
    for args, error in ((([x > 0], [x, x]), ValueError), (([], []), ValueError),
                        (([la.array(I64)], [x]), TypeError), (([x > 0], [np.array(["a"] * 12)]), TypeError)):
        with pytest.raises(error):
            np.select(*args)
    assert numpy_error(np.select, [I64], [F64]) is TypeError


def test_piecewise_scalars_callables_and_otherwise():
    x = F64
    X = la.array(x)
    same(np.piecewise(X, [X < 0, X >= 0], [-1, 1]), np.piecewise(x, [x < 0, x >= 0], [-1, 1]))
    same(np.piecewise(X, [X < 0, X > 2], [lambda v: -v, lambda v: 5.5, lambda v: v * 2]),
         np.piecewise(x, [x < 0, x > 2], [lambda v: -v, lambda v: 5.5, lambda v: v * 2]))
    same(np.piecewise(X, X > 0, [lambda v, k: v + k, 0], 3), np.piecewise(x, x > 0, [lambda v, k: v + k, 0], 3))
    i = np.arange(-6, 6)
    same(np.piecewise(la.array(i), [la.array(i) < 0], [2.7, -1]), np.piecewise(i, [i < 0], [2.7, -1]))
    same(np.piecewise(la.array(np.array(-2.0)), [True], [lambda v: -v]),
         np.piecewise(np.array(-2.0), [True], [lambda v: -v]))
    same(la.piecewise(x, [x < 0], [np.sin]), np.piecewise(x, [x < 0], [np.sin]))


def test_piecewise_callable_that_is_not_elementwise_runs_as_numpy():
    x = F64[np.isfinite(F64)]
    X = la.array(x)
    same(np.piecewise(X, [X < 2], [lambda v: v - v.min(), lambda v: v[::-1]]),
         np.piecewise(x, [x < 2], [lambda v: v - v.min(), lambda v: v[::-1]]))


def test_piecewise_errors():
    X = la.array(F64)
    with pytest.raises(ValueError, match="either 1 or 2"):
        np.piecewise(X, [X > 0], [1, 2, 3])
    assert numpy_error(np.piecewise, F64, [F64 > 0], [1, 2, 3]) is ValueError
    with pytest.raises(OverflowError):
        np.piecewise(la.array(np.arange(3, dtype=np.int8)), [np.ones(3, bool)], [300])
    assert numpy_error(np.piecewise, np.arange(3, dtype=np.int8), [np.ones(3, bool)], [300]) is OverflowError
    with pytest.raises(IndexError):
        np.piecewise(X, [np.ones(5, bool)], [1])
    assert numpy_error(np.piecewise, F64, [np.ones(5, bool)], [1]) is IndexError


# --- outer -------------------------------------------------------------------------------------------------------

def test_outer_and_ufunc_outer():
    a, b = F64[:4], F32[4:7]
    same(np.outer(la.array(a), la.array(b)), np.outer(a, b))
    same(np.outer(la.array(F64.reshape(3, 4)), b), np.outer(F64.reshape(3, 4), b))  # raveled
    same(np.outer(la.array(b), 2.0), np.outer(b, 2.0))  # NumPy makes 2.0 a float64 array
    same(la.outer(a, b), np.outer(a, b))
    m = I64.reshape(3, 4)
    same(np.add.outer(la.array(m), la.array(b)), np.add.outer(m, b))
    same(np.greater.outer(la.array(a), la.array(b)), np.greater.outer(a, b))
    same(np.subtract.outer(la.array(b), 2.0), np.subtract.outer(b, 2.0))
    same(np.add.outer(la.array(np.empty(0)), la.array(b)), np.add.outer(np.empty(0), b))
    out = np.empty((4, 3))
    assert np.outer(la.array(a), b, out=out) is out
    assert_same(out, np.outer(a, b))


def test_ufunc_outer_errors():
    with pytest.raises(ValueError, match="binary"):
        np.sin.outer(la.array(F64), F64)
    assert numpy_error(np.sin.outer, F64, F64) is ValueError
    with pytest.raises(TypeError):
        np.bitwise_and.outer(la.array(F64), F64)
    assert issubclass(numpy_error(np.bitwise_and.outer, F64, F64), TypeError)


# --- triu / tril ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [-4, -1, 0, 1, 3, 10**12])
def test_triu_tril(k):
    m = F64.reshape(3, 4)
    same(np.triu(la.array(m), k), np.triu(m, k))
    same(np.tril(la.array(m), k), np.tril(m, k))


def test_triu_tril_dtypes_shapes_and_odd_k():
    for x in (I64.reshape(2, 2, 3), BOOL.reshape(4, 3), C128.reshape(6, 2), np.empty((0, 3)), F64):
        same(np.triu(la.array(x), 1), np.triu(x, 1))
        same(np.tril(la.array(x), -1), np.tril(x, -1))  # (1-d: NumPy gives a square matrix)
    m = F64.reshape(3, 4)
    for k in (1.5, -0.5, np.int8(2), True):  # a fractional k takes NumPy's own uneven arange
        same(np.triu(la.array(m), k), np.triu(m, k))
        same(np.tril(la.array(m), k), np.tril(m, k))
    same(la.triu(m), np.triu(m))
    for k in (2**64, -2**63 + 2):  # NumPy's arange(-k, M - k) overflows its C long
        with pytest.raises(OverflowError):
            np.triu(la.array(m), k)
        assert numpy_error(np.triu, m, k) is OverflowError
    with pytest.raises(TypeError, match="tril"):
        np.tril(la.array(np.array(1.0)))
    assert numpy_error(np.tril, np.array(1.0)) is TypeError


# --- fused: no kernel added ----------------------------------------------------------------------------------------

def test_each_function_fuses_into_the_surrounding_kernel():
    X, C, m = la.array(F64), la.array(C128), la.array(F64.reshape(3, 4))
    fused = [
        np.round(X, 2), np.round(C, -1), np.round(la.array(I64), -2), np.fix(X), np.nan_to_num(X),
        np.nan_to_num(C), np.isclose(X, X[::-1]), np.sinc(X), np.heaviside(X, 0.5), np.angle(X, deg=True),
        np.polyval([1.0, 2.0, 3.0], X), np.select([X > 0, X < -1], [X, 2 * X], 7.0),
        np.piecewise(X, [X < 0], [lambda v: -v, 1.0]), np.outer(X, X), np.add.outer(X, X), np.triu(m, 1),
        np.tril(m, -1),
    ]
    for e in fused:
        one_kernel(e * 2)  # with the work around it, in one loop
        one_kernel((e * 2).sum())  # and as the producer of a reduction
    one_kernel((np.round(X, 1) - np.nan_to_num(X)) ** 2 + np.sinc(X))


def test_a_fused_function_computes_in_one_kernel_call():
    X = la.array(F64)
    e = (np.round(X, 1) * np.isclose(X, 2.5) + np.triu(la.array(F64.reshape(3, 4)))[0, 0]).sum()
    assert sum(isinstance(s, Stage) for s in steps(e)) == 0
    want = (np.round(F64, 1) * np.isclose(F64, 2.5) + np.triu(F64.reshape(3, 4))[0, 0]).sum()
    assert_same(e.compute(), want)
