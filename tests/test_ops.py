"""Every elementwise op in the op table x every dtype x every layout, against NumPy.

One ``la.compute`` per (dtype, layout) computes all ops in one fused kernel, so the suite compiles a few kernels
per dtype instead of one per op: layouts of the same layout class (flat, n-d) share them.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.graph.ops import ELEMENTWISE
from oracle import ZERO_SIGN_UNSPECIFIED, assert_same
from values import ALL_DTYPES, sample

UFUNC_OPS = [op for op in ELEMENTWISE.values() if op.ufunc is not None and op.name != "clip"]

# Ops whose NumPy result is exactly defined (correctly rounded or exact): compared bit for bit.
EXACT = {
    "add", "subtract", "multiply", "divide", "floor_divide", "remainder", "fmod", "negative", "positive",
    "absolute", "fabs", "sign", "square", "reciprocal", "conjugate", "gcd", "lcm", "heaviside",
    "floor", "ceil", "trunc", "rint", "copysign", "nextafter", "spacing", "ldexp", "signbit", "isfinite",
    "isinf", "isnan", "maximum", "minimum", "fmax", "fmin", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "invert", "left_shift", "right_shift", "bitwise_count", "deg2rad",
    "rad2deg", "degrees", "radians", "sqrt",
}
TRANSCENDENTAL_ULP = 4


def tolerance(opname: str, result: np.ndarray) -> int:
    if result.dtype.kind not in "fc":
        return 0
    if opname in EXACT:
        return 0
    return TRANSCENDENTAL_ULP


def layouts(dt: np.dtype):
    """(name, x, y) pairs: every memory layout a user may hand in; x and y hold edge and random values."""
    base_x = sample(dt, 42).reshape(6, 7)
    base_y = sample(dt, 42, seed=1).reshape(6, 7)
    be = dt.newbyteorder(">") if dt.byteorder != "|" and dt.itemsize > 1 else dt
    return [
        ("contiguous", base_x.ravel(), base_y.ravel()),
        ("0-d", base_x[0, 1].copy().reshape(()), base_y[0, 1].copy().reshape(())),
        ("empty", base_x[:0, :3], base_y[:0, :3]),
        ("broadcast", base_x[:, :1], base_y[:1, :]),
        ("strided", base_x[:, ::2], base_y[:, ::-2]),
        ("reversed", base_x.ravel()[::-1], base_y.ravel()[::-1]),
        ("fortran", np.asfortranarray(base_x), np.asfortranarray(base_y)),
        ("big-endian", base_x.ravel().astype(be), base_y.ravel().astype(be)),
    ]


def canonical(args):
    """The inputs as C-contiguous copies of the same (broadcast) values.

    NumPy's complex multiply, square and abs round differently in its contiguous (FMA-contracted SIMD) loop and
    its strided loop, so for the same values its answer depends on memory layout (up to inf+nanj vs inf-infj).
    The oracle is NumPy's contiguous answer; lazyarr gives it for every layout."""
    shape = np.broadcast_shapes(*(np.shape(a) for a in args))
    return [np.array(np.broadcast_to(a, shape), order="C") for a in args]


def numpy_result(op, args):
    args = canonical(args)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return op.ufunc(*args)
    except TypeError:
        return TypeError
    except ValueError:
        return ValueError


def lazy_expr(op, args):
    return op.ufunc(*[la.array(a) for a in args])


@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("layout", [l[0] for l in layouts(np.dtype("f8"))])
def test_every_op_matches_numpy(dt, layout):
    name, x, y = next(l for l in layouts(dt) if l[0] == layout)
    x_before, y_before = x.copy(), y.copy()
    exprs, wants, names = [], [], []
    for op in UFUNC_OPS:
        args = (x, y)[: op.nin]
        if op.name == "power" and dt.kind in "iu":
            args = (x, np.abs(y) % 5 if dt.kind == "i" else y % 5)  # negative exponents raise: tested below
        want = numpy_result(op, args)
        if want is TypeError:
            with pytest.raises(TypeError, match=op.name):
                lazy_expr(op, args)
            continue
        if want is ValueError:
            continue
        expr = lazy_expr(op, args)
        assert expr.dtype == want.dtype and expr.shape == want.shape, op.name
        exprs.append(expr)
        wants.append(want)
        names.append(op.name)
    results = la.compute(*exprs)
    failures = []
    for opname, got, want in zip(names, results, wants):
        try:
            assert_same(got, want, ulp=tolerance(opname, np.asarray(want)), what=f"{opname}({dt}, {layout})",
                        zero_sign=opname not in ZERO_SIGN_UNSPECIFIED)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
    np.testing.assert_array_equal(x, x_before)  # inputs are never written to
    np.testing.assert_array_equal(y, y_before)


@pytest.mark.parametrize("dt", ["i1", "i4", "i8", "u2", "u8"])
def test_integer_power_with_negative_exponent_raises_like_numpy(dt):
    x = np.arange(1, 6, dtype=dt)
    if np.dtype(dt).kind == "i":
        with pytest.raises(ValueError, match="negative integer powers"):
            la.array(x) ** -1  # a Python scalar: refused at build time, as NumPy refuses it
        with pytest.raises(ValueError, match="negative integer powers"):
            (la.array(x) ** la.array(np.array([1, 2, -1, 0, 1], dtype=dt))).compute()
    got = (la.array(x) ** la.array(np.array([0, 1, 2, 3, 63], dtype=dt))).compute()
    assert_same(got, x ** np.array([0, 1, 2, 3, 63], dtype=dt))


@pytest.mark.parametrize("name", sorted(n for n in dir(np) if isinstance(getattr(np, n), np.ufunc)
                                         and n != "matmul"))  # matmul is a BLAS boundary: test_boundaries.py
def test_every_numpy_ufunc_is_fused_or_runs_as_numpy(name):
    """A ufunc lazyarr fuses gives a LazyArray; one with several outputs or a core signature runs as NumPy
    (the fallback, with its warning), except divmod and modf, composed of fused ops (api/numpy_api.TWO_OUTPUTS);
    a call NumPy refuses is refused with NumPy's error type."""
    ufunc = getattr(np, name)
    x = np.linspace(0.5, 2.0, 4)
    args = [x] * ufunc.nin
    try:
        want = ufunc(*args)
    except (TypeError, ValueError) as exc:
        with pytest.raises(TypeError if isinstance(exc, TypeError) else ValueError):
            ufunc(*[la.array(a) for a in args])
        return
    if ufunc in (np.divmod, np.modf):  # (s14) both outputs fused
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = ufunc(*[la.array(a) for a in args])
        for g, w in zip(got, want):
            assert isinstance(g, la.LazyArray)
            assert_same(g.compute(), w, what=name)
        return
    if ufunc.nout != 1 or ufunc.signature:
        with pytest.warns(la.NumPyFallbackWarning):
            got = ufunc(*[la.array(a) for a in args])
        for g, w in zip(got if ufunc.nout != 1 else (got,), want if ufunc.nout != 1 else (want,)):
            assert_same(g.compute() if isinstance(g, la.LazyArray) else g, w, what=name)
        return
    got = ufunc(*[la.array(a) for a in args])
    assert isinstance(got, la.LazyArray)
    assert_same(got.compute(), want, ulp=TRANSCENDENTAL_ULP, what=name)
