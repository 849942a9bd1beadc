"""(s15) "Decorating a working NumPy function with @la.fuse never breaks it": arguments a trace does not take.

A dask array runs the function lazily over ``la.array(dask_array)`` (fused kernels per block) and comes back as a
dask array, as the plain function on dask arrays returns one; an ndarray subclass (masked array, np.matrix) or an
unhashable object runs the plain function, with one warning. Each was a TypeError before."""
import warnings

import numpy as np
import pytest

import lazyarr as la

da = pytest.importorskip("dask.array")

X = np.linspace(-2.0, 3.0, 12)


def program(a, k=1.5):
    return np.sin(a) * k + a.sum(), a.max()


def test_a_dask_argument_runs_lazily_and_returns_dask_arrays():
    f = la.fuse(program)
    D = da.from_array(X, chunks=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: this is the fused route
        values, top = f(D, k=2.0)
    assert isinstance(values, da.Array) and isinstance(top, da.Array)
    want_values, want_top = program(X, 2.0)
    np.testing.assert_allclose(values.compute(), want_values, rtol=1e-15, atol=1e-15)
    assert top.compute() == want_top
    assert f.cache_info().traces == 0  # nothing traced or cached for a lazy call


def test_dask_arrays_inside_containers_and_beside_numpy_arrays():
    f = la.fuse(lambda xs, w: [v * w for v in xs])
    D = da.from_array(X, chunks=4)
    over_dask, in_memory = f([D, X], X[::-1])
    assert isinstance(over_dask, da.Array) and type(in_memory) is np.ndarray
    np.testing.assert_array_equal(over_dask.compute(), X * X[::-1])
    np.testing.assert_array_equal(in_memory, X * X[::-1])


def test_a_masked_array_runs_the_plain_function_with_one_warning():
    f = la.fuse(program)
    masked = np.ma.masked_array(X, mask=X > 1.5)
    with pytest.warns(la.fuse.EagerWarning, match="numpy.ma.MaskedArray"):
        values, top = f(masked)
    want_values, want_top = program(masked)
    assert isinstance(values, np.ma.MaskedArray)
    np.testing.assert_array_equal(values.mask, want_values.mask)
    np.testing.assert_array_equal(values.filled(0), want_values.filled(0))
    assert top == want_top
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per function
        f(masked)
    np.testing.assert_array_equal(f(X)[0], program(X)[0])  # plain arrays still run fused


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix's own
def test_np_matrix_keeps_its_operators():
    f = la.fuse(lambda a, b: a * b + 1)
    A = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.warns(la.fuse.EagerWarning, match="matrix"):
        result = f(A, A)
    assert isinstance(result, np.matrix)
    np.testing.assert_array_equal(result, A * A + 1)  # the matrix product, as NumPy computes it


def test_an_unhashable_object_runs_the_plain_function():
    class Table:  # an array-like with its own __eq__ and no hash, as a pandas object
        __hash__ = None

        def __init__(self, values):
            self.values = values

        def __array__(self, dtype=None, copy=None):
            return self.values

    f = la.fuse(lambda t, scale: np.asarray(t) * scale)
    with pytest.warns(la.fuse.EagerWarning, match="Table"):
        result = f(Table(X), 3.0)
    np.testing.assert_array_equal(result, X * 3.0)


@pytest.mark.parametrize("values", [np.array(["2026-11-30", "2026-12-01"], dtype="datetime64[D]"),
                                    np.array(["ab", "c"]), np.array([1, 2.5, None], dtype=object)])
def test_dtypes_lazyarr_cannot_compile_run_the_plain_function(values):
    def last_two(a):
        return a[-2:], a.shape
    f = la.fuse(last_two)
    with pytest.warns(la.fuse.EagerWarning, match="cannot compile"):  # (the dtype's route: docs/fuse.md)
        result, shape = f(values)
    np.testing.assert_array_equal(result, values[-2:])
    assert shape == values.shape and result.dtype == values.dtype
