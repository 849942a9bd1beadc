"""Dtype and shape rules, known at build time and exactly NumPy's (NumPy 2, NEP 50). Nothing here compiles."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import lazyarr as la
from values import ALL_DTYPES

BINARY = [np.add, np.subtract, np.multiply, np.divide, np.floor_divide, np.remainder, np.power,
          np.maximum, np.less, np.equal, np.bitwise_and, np.left_shift, np.arctan2, np.logaddexp, np.hypot]
UNARY = [np.negative, np.absolute, np.sin, np.exp, np.sqrt, np.floor, np.invert, np.isnan, np.sign, np.cbrt]


def outcome(func):
    """NumPy's result dtype, or the exception type it raises."""
    try:
        return func().dtype
    except (TypeError, OverflowError, ValueError) as exc:
        return type(exc) if not isinstance(exc, TypeError) else TypeError


def lazy_outcome(func):
    try:
        return func().dtype
    except (TypeError, OverflowError, ValueError) as exc:
        return type(exc) if not isinstance(exc, TypeError) else TypeError


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_array_promotion_for_every_dtype_pair(ufunc):
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        a, b = np.empty(0, d1), np.empty(0, d2)
        want = outcome(lambda: ufunc(a, b))
        got = lazy_outcome(lambda: ufunc(la.array(a), la.array(b)))
        assert got == want, f"{ufunc.__name__}({d1}, {d2}): lazyarr {got}, NumPy {want}"


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary_dtype_for_every_dtype(ufunc):
    for dt in ALL_DTYPES:
        a = np.empty(0, dt)
        assert lazy_outcome(lambda: ufunc(la.array(a))) == outcome(lambda: ufunc(a)), f"{ufunc.__name__}({dt})"


SCALARS = [True, 0, 1, -1, 127, 128, 255, 256, 300, -129, 2**31, 2**63 - 1, 2**63, -(2**63), 2**64,
           1.5, -0.0, 1e300, float("nan"), 1j, np.float32(2), np.int64(3), np.uint8(200)]


@pytest.mark.parametrize("scalar", SCALARS, ids=repr)
def test_python_scalars_are_weak_as_in_numpy(scalar):
    for dt in ALL_DTYPES:
        for ufunc in (np.add, np.multiply, np.less, np.maximum):
            a = np.empty(3, dt)
            for order in ((a, scalar), (scalar, a)):
                want = outcome(lambda: ufunc(*order))
                lazy = tuple(la.array(x) if x is a else x for x in order)
                got = lazy_outcome(lambda: ufunc(*lazy))
                assert got == want, f"{ufunc.__name__}{tuple(str(getattr(x, 'dtype', x)) for x in order)}"


def test_float32_times_python_float_stays_float32():
    assert (la.array(np.ones(3, np.float32)) * 3.0).dtype == np.float32
    assert (la.array(np.ones(3, np.int8)) + 1).dtype == np.int8
    with pytest.raises(OverflowError, match="300"):
        la.array(np.ones(3, np.uint8)) + 300


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (3, 2)), ((5, 1, 4), (3, 5))])
def test_shapes_that_do_not_broadcast_raise_at_build_time_naming_both(shapes):
    a, b = (la.array(np.ones(s)) for s in shapes)
    with pytest.raises(ValueError) as info:
        a + b
    for s in shapes:
        assert str(s) in str(info.value)
    assert "add" in str(info.value)


@pytest.mark.parametrize("shapes", [((), (3,)), ((1, 3), (4, 1)), ((5, 1, 4), (3, 1)), ((0, 3), (1, 3)), ((2, 0), ())])
def test_broadcast_shapes_are_numpys(shapes):
    a, b = (np.ones(s) for s in shapes)
    assert (la.array(a) * la.array(b)).shape == (a * b).shape
    assert la.where(la.array(a) > 0, la.array(b), 0.0).shape == np.where(a > 0, b, 0.0).shape


@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([object(), 1], dtype=object),
                                 np.array(["2020-01-01"], dtype="datetime64[D]"), np.array([1], dtype="timedelta64[s]"),
                                 np.array([b"x"]), np.zeros(2, dtype=[("a", "f8")]), np.zeros(2, np.longdouble),
                                 np.zeros(2, np.clongdouble)], ids=lambda a: str(a.dtype))
def test_dtypes_numba_cannot_compile_are_refused_with_a_clear_type_error(bad):
    with pytest.raises(TypeError, match="cannot compile"):
        la.array(bad)
    with pytest.raises(TypeError, match="cannot compile"):
        la.array(np.ones(2)) + bad


def test_astype_refuses_unsupported_target():
    with pytest.raises(TypeError, match="cannot compile"):
        la.array(np.ones(2)).astype(object)


def test_ufuncs_without_a_rule_run_as_numpy_with_a_warning_naming_them():
    x = la.array(np.ones(3))
    for ufunc in (np.frexp,):  # (modf and divmod are fused since session 14: tests/test_two_outputs.py)
        with pytest.warns(la.NumPyFallbackWarning, match=ufunc.__name__):
            got = ufunc(x) if ufunc.nin == 1 else ufunc(x, x)
        want = ufunc(np.ones(3)) if ufunc.nin == 1 else ufunc(np.ones(3), np.ones(3))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g.compute(), w)  # (tests/test_surface_fallback.py has the rest)


@pytest.mark.parametrize("call", [
    lambda m, a, b: np.add(m(a), m(a), dtype=np.float32),
    lambda m, a, b: np.multiply(m(b), 3, dtype=np.float32),
    lambda m, a, b: np.add.outer(m(a), m(a), dtype=np.float64),
    lambda m, a, b: np.sin(m(a), dtype=np.float64),
], ids=["int8+int8->f4", "f8*3->f4", "outer", "sin-int8->f8"])
def test_dtype_keyword_fixes_the_output_as_numpy_does(call):
    """dtype= is NumPy 2's signature=(None, ..., dtype): the loop whose output is that dtype, not the
    operands' loop cast afterwards (int8 + int8 with dtype=float32 adds in float32: 100 + 100 = 200.0)."""
    a, b = np.arange(95, 105, dtype=np.int8), np.linspace(0, 1, 10)
    want = call(lambda x: x, a, b)
    got = np.asarray(call(la.array, a, b))
    assert got.dtype == want.dtype
    np.testing.assert_array_max_ulp(got, want, maxulp=1)  # sin: vector math within 1 ULP; the rest exact


def test_dtype_keyword_that_numpy_refuses_is_a_type_error():
    b = np.linspace(0, 1, 10)
    with pytest.raises(TypeError):
        np.add(b, b, dtype=np.int64)
    with pytest.raises(TypeError):
        np.add(la.array(b), la.array(b), dtype=np.int64)
