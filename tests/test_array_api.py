"""The Python Array API namespace (``lazyarr.array_api``, docs/array_api.md) against array-api-strict and NumPy.

Every function of the namespace runs on hypothesis-drawn inputs and is compared with array-api-strict's function
of the same name on the same values (dtype, shape and values). Inputs are small, 2-d, float64 / int64 / bool,
so the kernels are shared between cases and examples.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
strict = pytest.importorskip("array_api_strict")
array_api_compat = pytest.importorskip("array_api_compat")
from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import lazyarr as la  # noqa: E402
from lazyarr.array_api import table  # noqa: E402

xp = la.array_api
FEW = settings(max_examples=4, deadline=None, derandomize=True)

FLOATS = st.one_of(st.floats(-20, 20, width=64), st.sampled_from([0.0, -0.0, 1.0, math.inf, -math.inf, math.nan]))
INTS = st.integers(-20, 20)
SHAPES = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def operands(draw):
    """Two float64 matrices, two int64 matrices and a bool matrix of one shape."""
    shape = draw(SHAPES)
    floats = [draw(hnp.arrays(np.float64, shape, elements=FLOATS)) for _ in range(2)]
    ints = [draw(hnp.arrays(np.int64, shape, elements=INTS)) for _ in range(2)]
    mask = draw(hnp.arrays(np.bool_, shape))
    return floats, ints, mask


def to_strict(value):
    if isinstance(value, np.ndarray):
        return strict.asarray(value)
    if isinstance(value, np.dtype):
        return getattr(strict, value.name)
    if isinstance(value, (list, tuple)):
        return type(value)(to_strict(v) for v in value)
    return value


def to_lazy(value):
    if isinstance(value, np.ndarray):
        return la.array(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_lazy(v) for v in value)
    return value


def assert_same(lazy, expected, exact: bool):
    """lazy (this namespace's result) equals expected (array-api-strict's): same kind, dtype, shape, values."""
    if isinstance(expected, (tuple, list)):  # broadcast_arrays, meshgrid: the standard says list, strict a tuple
        assert isinstance(lazy, (tuple, list)) and len(lazy) == len(expected)
        for a, b in zip(lazy, expected):
            assert_same(a, b, exact)
        return
    assert isinstance(lazy, la.LazyArray), type(lazy)
    value, want = np.asarray(lazy.compute()), np.from_dlpack(expected)
    assert value.dtype == want.dtype and value.shape == want.shape
    if exact or value.dtype.kind in "biu":
        np.testing.assert_array_equal(value, want)
    else:
        np.testing.assert_allclose(value, want, rtol=1e-12, atol=1e-300, equal_nan=True)


def check(name: str, args: tuple, kwargs: dict | None = None, exact: bool = True, module: str = ""):
    kwargs = kwargs or {}
    ours = getattr(getattr(xp, module) if module else xp, name)
    theirs = getattr(getattr(strict, module) if module else strict, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)  # every case has a lazy rule
        lazy = ours(*to_lazy(args), **{key: to_lazy(value) for key, value in kwargs.items()})
    expected = theirs(*to_strict(args), **{key: to_strict(value) for key, value in kwargs.items()})
    assert_same(lazy, expected, exact)


# -- the names ----------------------------------------------------------------------------------------------

def test_every_name_of_array_api_strict_is_in_the_namespace():
    not_standard = {"ArrayAPIStrictFlags", "Device", "get_array_api_strict_flags", "reset_array_api_strict_flags",
                    "set_array_api_strict_flags", "__array_api_version__", "__version__"}
    assert set(strict.__all__) - not_standard <= set(dir(xp))
    assert set(strict.linalg.__all__) <= set(dir(xp.linalg))
    assert set(strict.fft.__all__) <= set(dir(xp.fft))
    for name in table.DTYPE_NAMES:
        assert getattr(xp, name) == np.dtype(name) and hash(getattr(xp, name)) == hash(np.dtype(name))
    assert (xp.e, xp.pi, xp.newaxis) == (math.e, math.pi, None)
    assert math.isnan(xp.nan) and xp.inf == math.inf


# -- elementwise ---------------------------------------------------------------------------------------------
BOOL_ONLY = {"logical_and", "logical_or", "logical_xor", "logical_not"}
INT_ONLY = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "bitwise_left_shift",
            "bitwise_right_shift"}
ALSO_INT = {"add", "subtract", "multiply", "floor_divide", "remainder", "negative", "abs", "sign", "square",
            "maximum", "minimum", "equal", "less", "greater_equal", "ceil", "floor", "trunc", "round"}
EXACT = {"add", "subtract", "multiply", "divide", "negative", "positive", "abs", "square", "maximum", "minimum",
         "ceil", "floor", "trunc", "round", "sign", "signbit", "copysign", "isnan", "isinf", "isfinite", "equal",
         "not_equal", "less", "less_equal", "greater", "greater_equal", "real", "imag", "conj", "nextafter",
         "floor_divide", "remainder", "reciprocal", "sqrt"}
ARITY = {name: 2 for name in ("add atan2 bitwise_and bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor "
                              "copysign divide equal floor_divide greater greater_equal hypot less less_equal "
                              "logaddexp logical_and logical_or logical_xor maximum minimum multiply nextafter "
                              "not_equal pow remainder subtract").split()}


@pytest.mark.parametrize("name", table.ELEMENTWISE)
@FEW
@given(data=operands())
def test_elementwise_functions_match_array_api_strict(name, data):
    (f1, f2), (i1, i2), mask = data
    arity = ARITY.get(name, 1)
    with np.errstate(all="ignore"):
        if name in BOOL_ONLY:
            check(name, (mask, ~mask)[:arity])
            return
        if name in ("real", "imag", "conj"):  # complex input: array-api-strict refuses imag of a real array
            check(name, (f1 + 1j * f2,))
            return
        if name in INT_ONLY:
            shifts = np.abs(i2) % 8  # a shift by a negative count or by the width is not specified
            check(name, (i1, shifts if "shift" in name else i2)[:arity])
            return
        check(name, (f1, f2)[:arity], exact=name in EXACT)
        if name in ALSO_INT:
            divisor = np.where(i2 == 0, 3, i2)  # integer division by zero is not specified
            check(name, (i1, divisor)[:arity])


@FEW
@given(data=operands(), scalar=st.sampled_from([2, -1.5, 0.5]))
def test_python_scalars_are_operands_as_the_2024_revision_allows(data, scalar):
    (f1, _), (i1, _), _ = data
    check("add", (f1, scalar))
    check("multiply", (scalar, f1))
    check("maximum", (f1, scalar))
    check("add", (i1, 2))  # a Python int keeps the array's integer dtype (weak scalar)


@FEW
@given(data=operands())
def test_clip_keeps_the_dtype_and_takes_one_bound(data):
    (f1, f2), (i1, _), _ = data
    check("clip", (f1,), {"min": -1.0, "max": 2.0})
    check("clip", (f1,), {"max": 0.5})
    check("clip", (i1,), {"min": -3, "max": 5})
    check("clip", (f1, np.minimum(f2, 0.0)))


# -- statistical, searching, sorting, sets ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["max", "min", "sum", "prod", "mean", "std", "var", "all", "any", "argmax",
                                  "argmin", "count_nonzero"])
@FEW
@given(data=operands(), axis=st.sampled_from([None, 0, 1, -1]), keepdims=st.booleans())
def test_reductions_match_array_api_strict(name, data, axis, keepdims):
    (f1, _), (i1, _), mask = data
    f1 = np.nan_to_num(f1, nan=0.5, posinf=3.0, neginf=-3.0)  # NaN order in argmax is not specified
    x = mask if name in ("all", "any") else f1
    if name in ("argmax", "argmin") and axis is not None and not isinstance(axis, int):
        return
    check(name, (x,), {"axis": axis, "keepdims": keepdims}, exact=name in ("max", "min", "all", "any",
                                                                          "argmax", "argmin", "count_nonzero"))
    if name in ("sum", "prod", "max", "min"):
        check(name, (i1,), {"axis": axis, "keepdims": keepdims})
    if name in ("std", "var") and f1.size > 1 and axis is None:
        check(name, (f1,), {"correction": 1, "keepdims": keepdims}, exact=False)


@FEW
@given(data=operands(), axis=st.sampled_from([0, 1, -1]), include_initial=st.booleans())
def test_cumulative_sum_and_prod_with_include_initial(data, axis, include_initial):
    (f1, _), (i1, _), _ = data
    for name in ("cumulative_sum", "cumulative_prod"):
        check(name, (f1,), {"axis": axis, "include_initial": include_initial}, exact=False)
        check(name, (i1,), {"axis": axis, "include_initial": include_initial})
    check("cumulative_sum", (f1[0],), {"include_initial": include_initial}, exact=False)  # 1-d: no axis needed


@FEW
@given(data=operands(), axis=st.sampled_from([0, -1]), descending=st.booleans())
def test_sort_and_argsort_are_stable_in_both_directions(data, axis, descending):
    (f1, _), (i1, _), _ = data
    small = i1 % 3  # many ties: stability decides the order of equal elements
    check("argsort", (small,), {"axis": axis, "descending": descending, "stable": True})
    check("sort", (small,), {"axis": axis, "descending": descending})
    check("sort", (np.nan_to_num(f1),), {"axis": axis, "descending": descending})


@FEW
@given(data=operands())
def test_searching_functions(data):
    (f1, f2), (i1, _), mask = data
    check("where", (mask, f1, f2))
    check("nonzero", (i1,))
    sorted_row = np.sort(i1[0])
    check("searchsorted", (sorted_row, i1[-1]), {"side": "right"})
    check("searchsorted", (sorted_row, i1[-1]))


@FEW
@given(data=operands())
def test_set_functions_compute_their_data_dependent_shapes(data):
    _, (i1, _), _ = data
    for name in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
        check(name, (i1 % 4,))


@FEW
@given(data=operands(), invert=st.booleans())
def test_isin_is_a_lazy_stage_equal_to_numpy(data, invert):
    """np.isin / la.isin / xp.isin (revision 2025.12) on LazyArrays: a library stage, never the fallback."""
    (f1, f2), (i1, i2), _ = data
    check("isin", (i1, i2 % 5))
    check("isin", (3, i1))  # a scalar x1: a 0-d result
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)
        # array-api-strict 2.6.1 drops invert= (it calls np.isin without it): NumPy is the oracle here
        inverted = xp.isin(la.array(i1), la.array(i2 % 5), invert=True)
        np.testing.assert_array_equal(inverted.compute(), np.isin(i1, i2 % 5, invert=True))
        lazy = np.isin(la.array(f1) * 2, la.array(f2), invert=invert)
        assert isinstance(lazy, la.LazyArray) and lazy.shape == f1.shape and lazy.dtype == np.bool_
        np.testing.assert_array_equal(lazy.compute(), np.isin(f1 * 2, f2, invert=invert))
        table_kind = la.isin(la.array(i1), i2, kind="table")
        np.testing.assert_array_equal(table_kind.compute(), np.isin(i1, i2, kind="table"))


def test_isin_refuses_what_numpy_refuses_at_the_call():
    x = la.array(np.ones(3))
    with pytest.raises(ValueError, match="isin.*table"):
        np.isin(x, np.ones(2), kind="table")
    with pytest.raises(ValueError, match="isin.*kind"):
        la.isin(x, np.ones(2), kind="hash")
    with pytest.raises(TypeError, match="isin"):
        xp.isin(1, 2)


# -- manipulation, indexing, linear algebra ------------------------------------------------------------------
@FEW
@given(data=operands())
def test_manipulation_functions(data):
    (f1, f2), (i1, _), _ = data
    rows, cols = f1.shape
    check("concat", ([f1, f2],), {"axis": 1})
    check("concat", ([f1, f2],), {"axis": None})
    check("stack", ([f1, f2],), {"axis": -1})
    check("broadcast_arrays", (f1, f2[:1]))
    check("broadcast_to", (f1[:1], (3, rows, cols)))
    check("expand_dims", (f1,), {"axis": -1})
    check("flip", (f1,), {"axis": 0})
    check("moveaxis", (f1, 0, 1))
    check("permute_dims", (f1, (1, 0)))
    check("reshape", (f1, (cols, rows)))
    check("reshape", (f1, (-1,)), {"copy": True})
    check("repeat", (f1, 2), {"axis": 1})
    check("roll", (f1, 1), {"axis": 0})
    check("squeeze", (f1[:1],), {"axis": 0})
    check("tile", (i1, (2, 1)))
    check("unstack", (f1,), {"axis": 1})


@FEW
@given(data=operands())
def test_indexing_functions(data):
    (f1, _), (i1, _), _ = data
    rows, cols = f1.shape
    check("take", (f1, np.abs(i1[0]) % rows), {"axis": 0})
    check("take_along_axis", (f1, np.abs(i1) % cols), {"axis": 1})


@FEW
@given(data=operands())
def test_linear_algebra_functions(data):
    (f1, f2), (i1, i2), _ = data
    f1, f2 = (np.nan_to_num(f, posinf=2.0, neginf=-2.0) for f in (f1, f2))
    check("matmul", (f1, f2.T), exact=False)
    check("matrix_transpose", (f1,))
    check("tensordot", (f1, f2), {"axes": 2}, exact=False)
    check("tensordot", (f1, f2.T), {"axes": 1}, exact=False)
    check("vecdot", (f1, f2), exact=False)
    check("vecdot", (i1, i2), {"axis": -2})


@FEW
@given(data=operands())
def test_utility_functions(data):
    (f1, f2), _, mask = data
    check("diff", (f1,), {"axis": 1})
    check("diff", (f1,), {"axis": 0, "prepend": f2[:1], "n": 1})
    check("any", (mask,), {"axis": 0})


# -- creation and dtypes -----------------------------------------------------------------------------------------
@FEW
@given(data=operands())
def test_creation_functions(data):
    (f1, _), (i1, _), _ = data
    check("zeros", ((2, 3),))
    check("ones", ((4,),), {"dtype": xp.int64})
    check("empty", ((0, 2),))
    check("full", ((2, 2), 1.5))
    check("full", ((3,), 7), {"dtype": xp.float64})
    check("zeros_like", (f1,))
    check("ones_like", (i1,), {"dtype": xp.float64})
    check("full_like", (i1, 2))
    check("arange", (1, 11, 3))
    check("arange", (5.0,))
    check("eye", (3, 4), {"k": 1})
    check("linspace", (0.0, 1.0, 7), {"endpoint": False})
    check("meshgrid", (f1[0], f1[:, 0]))
    check("meshgrid", (f1[0], f1[:, 0]), {"indexing": "ij"})
    check("tril", (f1,), {"k": -1})
    check("triu", (f1,))
    check("asarray", (f1,), {"dtype": xp.int64})
    check("astype", (f1, xp.int64))
    check("astype", (i1, xp.float64))


def test_empty_is_only_shaped_like_strict():
    assert xp.empty((2, 3)).shape == (2, 3) and xp.empty((2, 3)).dtype == np.float64
    assert xp.empty_like(xp.ones((2, 1), dtype=xp.int64)).dtype == np.int64


def test_asarray_shares_copies_and_refuses_as_asked():
    a = np.arange(4.0)
    shared, snapshot = xp.asarray(a), xp.asarray(a, copy=True)
    a[0] = 10.0
    assert np.asarray(shared)[0] == 10.0 and np.asarray(snapshot)[0] == 0.0
    with pytest.raises(ValueError):
        xp.asarray([1.0, 2.0], copy=False)
    with pytest.raises(ValueError):
        xp.asarray(xp.asarray(a), dtype=xp.int64, copy=False)
    assert xp.asarray(True).dtype == np.bool_ and xp.asarray(1).dtype == np.int64
    assert xp.asarray([1.0, 2]).dtype == np.float64 and xp.asarray(3.0).shape == ()


def test_dtype_functions_read_dtypes_only():
    x, i = xp.asarray(np.ones(3)), xp.asarray(np.ones(3, np.int32))
    assert xp.result_type(x, i) == np.float64  # NumPy's promotion (array-api-strict refuses mixed kinds)
    assert xp.result_type(i, 1) == np.int32 and xp.result_type(xp.float32, 1.0) == np.float32
    assert xp.can_cast(i, xp.int64) and not xp.can_cast(x, xp.int64)
    assert xp.isdtype(xp.float64, "real floating") and xp.isdtype(i.dtype, ("integral", "bool"))
    assert not xp.isdtype(xp.int8, "real floating")
    assert xp.finfo(x).eps == np.finfo(np.float64).eps and xp.iinfo(i).max == 2 ** 31 - 1
    assert xp.finfo(xp.float32).bits == 32


def test_namespace_info_says_what_the_namespace_does():
    info = xp.__array_namespace_info__()
    expected = strict.__array_namespace_info__()
    assert set(info.capabilities()) == set(expected.capabilities())
    assert info.capabilities()["data-dependent shapes"] is True and info.capabilities()["boolean indexing"]
    assert info.default_device() == "cpu" and info.devices() == ["cpu"]
    assert info.default_dtypes() == {"real floating": np.float64, "complex floating": np.complex128,
                                     "integral": np.int64, "indexing": np.int64}
    for kind in (None, "bool", "integral", "real floating", "complex floating", ("integral", "bool")):
        assert set(info.dtypes(kind=kind)) == set(expected.dtypes(kind=kind))


# -- the array object ------------------------------------------------------------------------------------------
def test_array_object_attributes_of_the_standard():
    a = np.arange(6.0).reshape(2, 3)
    x = la.array(a)
    assert x.__array_namespace__() is xp and x.__array_namespace__(api_version="2024.12") is xp
    with pytest.raises(ValueError, match="api_version"):
        x.__array_namespace__(api_version="1999.01")
    assert x.device == "cpu" and x.to_device("cpu") is x
    with pytest.raises(ValueError, match="cpu"):
        x.to_device("cuda:0")
    with pytest.raises(ValueError, match="device"):
        xp.zeros(3, device="gpu")
    np.testing.assert_array_equal(np.asarray(x.mT), a.T)
    with pytest.raises(ValueError, match="2 dimensions"):
        x[0].mT


def test_dlpack_exports_the_computed_value_and_never_a_writable_input():
    a = np.arange(6.0).reshape(2, 3)
    x = la.array(a)
    np.testing.assert_array_equal(np.from_dlpack(x * 2), a * 2)
    assert x.__dlpack_device__() == a.__dlpack_device__()
    exported = np.from_dlpack(x)  # x is a's own read-only view: exported as a copy, a is untouched
    np.testing.assert_array_equal(exported, a)
    back = xp.from_dlpack(np.arange(3.0))
    assert isinstance(back, la.LazyArray)
    np.testing.assert_array_equal(np.asarray(back), np.arange(3.0))
    np.testing.assert_array_equal(np.from_dlpack(strict.asarray(np.asarray(xp.from_dlpack(x)))), a)


def test_setitem_follows_the_standard():
    a = np.arange(12.0).reshape(3, 4)
    x = xp.asarray(a.copy())
    x[1, :] = 5.0
    x[..., 0] = xp.asarray(np.array([-1.0, -2.0, -3.0]))
    x[x > 8] = 0.0
    expected = a.copy()
    expected[1, :] = 5.0
    expected[..., 0] = [-1.0, -2.0, -3.0]
    expected[expected > 8] = 0.0
    np.testing.assert_array_equal(np.asarray(x), expected)
    assert a[1, 0] == 4.0  # the input itself is not written


def test_python_scalars_of_a_lazy_result_compute_it():
    x = xp.asarray(np.array([1.0, 2.0, 3.0]))
    assert bool(xp.all(x > 0)) is True and float(xp.sum(x)) == 6.0 and int(xp.argmax(x)) == 2
    assert x[xp.asarray(np.array([True, False, True]))].shape == (2,)  # data-dependent: computed at the call
    start = xp.argmin(x)  # a 0-d integer array as a slice bound, as NumPy (and the conformance suite) use it
    np.testing.assert_array_equal(np.asarray(x[start + 1:]), [2.0, 3.0])


def test_standard_errors_name_the_operation():
    x = xp.asarray(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cumulative_sum"):
        xp.cumulative_sum(x)
    with pytest.raises(ValueError, match="vecdot"):
        xp.vecdot(x, xp.ones((2, 2)))
    with pytest.raises(ValueError):
        xp.squeeze(x, axis=0)
    with pytest.raises(ValueError, match="unstack"):
        xp.unstack(xp.asarray(1.0))


# -- the extensions ---------------------------------------------------------------------------------------------
@FEW
@given(data=operands())
def test_linalg_extension(data):
    (f1, _), _, _ = data
    m = np.nan_to_num(f1, nan=0.5, posinf=2.0, neginf=-2.0)
    spd = m @ m.T + 4 * np.eye(m.shape[0])
    for name in ("cholesky", "det", "inv", "slogdet", "svdvals", "eigvalsh", "matrix_rank", "pinv", "diagonal",
                 "trace", "matrix_transpose"):
        check(name, (spd,), exact=False, module="linalg")
    check("solve", (spd, spd[:, :1]), exact=False, module="linalg")
    check("matrix_power", (spd, 2), exact=False, module="linalg")
    check("matrix_norm", (m,), {"ord": "fro"}, exact=False, module="linalg")
    check("outer", (m[0], m[:, 0]), module="linalg")
    check("vecdot", (m, m), exact=False, module="linalg")
    for order in (2, 1, math.inf, -math.inf, 0, 3):
        check("vector_norm", (m,), {"axis": 1, "ord": order}, exact=False, module="linalg")
    check("vector_norm", (m,), {"keepdims": True}, exact=False, module="linalg")
    check("cross", (np.resize(m, (2, 3)), np.resize(m[::-1], (2, 3))), exact=False, module="linalg")


def test_eig_and_eigvals_of_revision_2025_are_complex_as_the_standard_asks():
    a = np.array([[2.0, 1.0], [1.0, 3.0]], np.float32)  # real eigenvalues: NumPy's answer is real
    result = xp.linalg.eig(la.array(a))
    assert result.eigenvalues.dtype == result.eigenvectors.dtype == np.complex64
    expected = np.linalg.eig(a)
    np.testing.assert_array_equal(result.eigenvalues.compute(), expected.eigenvalues)
    np.testing.assert_array_equal(result.eigenvectors.compute(), expected.eigenvectors)
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])
    values = xp.linalg.eigvals(la.array(rotation))
    assert values.dtype == np.complex128
    np.testing.assert_array_equal(values.compute(), np.linalg.eigvals(rotation))


@FEW
@given(data=operands())
def test_fft_extension(data):
    (f1, _), _, _ = data
    f1 = np.nan_to_num(f1, posinf=1.0, neginf=-1.0)
    for name in ("rfft", "rfftn", "ihfft", "fftshift", "ifftshift"):
        check(name, (f1,), exact=False, module="fft")
    for name in ("fft", "ifft", "fftn", "ifftn"):
        check(name, (f1 + 0.5j * f1[::-1],), exact=False, module="fft")
    check("irfft", (np.fft.rfft(np.resize(f1, (2, 4))),), exact=False, module="fft")
    check("fftfreq", (8,), {"d": 0.5}, module="fft")
    check("rfftfreq", (9,), module="fft")


# -- code written against the standard ------------------------------------------------------------------------
def softmax(x, xp=None):
    xp = xp or array_api_compat.array_namespace(x)
    shifted = x - xp.max(x, axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=-1, keepdims=True)


def logsumexp(x, xp=None):
    xp = xp or array_api_compat.array_namespace(x)
    top = xp.max(x, axis=-1, keepdims=True)
    return xp.log(xp.sum(xp.exp(x - top), axis=-1)) + xp.squeeze(top, axis=-1)


def standardise(x, xp=None):
    xp = xp or array_api_compat.array_namespace(x)
    return (x - xp.mean(x, axis=0)) / xp.std(x, axis=0, correction=1)


@pytest.mark.parametrize("func", [softmax, logsumexp, standardise])
def test_array_api_code_builds_the_graph_numpy_code_builds(func):
    """Through array_api_compat, code written against the standard builds on LazyArrays the very graph (nodes
    are hash-consed) that the same code written with NumPy's functions builds: the same fused kernels."""
    a = np.random.default_rng(1).standard_normal((5, 7))
    x = la.array(a)
    assert array_api_compat.array_namespace(x) is xp
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.NumPyFallbackWarning)
        result = func(x)
    assert isinstance(result, la.LazyArray)
    assert result._node is func(x, np)._node
    np.testing.assert_allclose(result.compute(), func(a, np), rtol=1e-13)


def test_writes_into_a_reshape_view_reach_its_base():
    """array-api-tests' test_asarray_arrays writes into its arrays, which are xp.reshape views: NumPy writes
    through reshape, ravel, squeeze, expand_dims (C or F order), and lazyarr refused."""
    for make, key in ((lambda m, z: m.reshape(z, (2, 3)), (1, 0)),
                      (lambda m, z: np.reshape(z, (3, 2), order="F"), (0, 1)),
                      (lambda m, z: np.expand_dims(z, 0).squeeze(), 4)):
        a, x = np.arange(6.0), xp.asarray(np.arange(6.0), copy=True)
        view, lazy_view = make(np, a), make(xp, x)
        view[key] = lazy_view[key] = -1.0
        np.testing.assert_array_equal(x.compute(), a)
        np.testing.assert_array_equal(lazy_view.compute(), view)


def test_reducing_a_constant_producer_reduces_its_full_shape():
    """scipy.stats.tmean counts xp.sum(xp.asarray(~mask, dtype=...)) with mask = zeros_like: a reduction whose
    producer reads no array; NumPy reduced its 0-d value (AxisError) instead of the (6, 5) it stands for."""
    x = xp.asarray(np.ones((6, 5)))
    mask = xp.zeros_like(x, dtype=xp.bool)
    assert xp.sum(xp.asarray(~mask, dtype=xp.float64)).compute() == 30.0
    np.testing.assert_array_equal(np.sum(la.ones((6, 5)), axis=0).compute(), np.full(5, 6.0))


def test_scipy_functions_with_array_api_support_take_lazy_arrays():
    """SCIPY_ARRAY_API is read when SciPy is imported, so this runs in its own process."""
    script = """
import numpy as np, lazyarr as la, scipy.special as sp, scipy.stats as st
a = np.random.default_rng(2).standard_normal((6, 5)); x = la.array(a)
for f in (lambda v: sp.logsumexp(v, axis=1), lambda v: sp.softmax(v, axis=0), lambda v: st.zscore(v, axis=0),
          lambda v: st.moment(v, 3, axis=0), lambda v: st.skew(v, axis=1), lambda v: st.tmean(v)):
    r = f(x)
    assert isinstance(r, la.LazyArray), type(r)
    np.testing.assert_allclose(r.compute(), f(a), rtol=1e-12)
print("ok")
"""
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
