"""The NumPy fallback (lazyarr/api/fallback.py): a NumPy function or ufunc method without a lazy rule runs as
NumPy on the computed inputs, warns once per function, and its array results are LazyArrays again."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same

X_NP = np.array([[3.5, -1.0, np.nan, 2.0], [0.0, 7.25, -2.5, 2.0], [1.0, 1.0, 4.0, -0.0]])
I_NP = np.array([5, -3, 0, 5, 9, 2], dtype=np.int64)


@pytest.fixture(autouse=True)
def _quiet_fallback():
    """(conftest.py clears the once-per-function record before each test)"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        yield


def concrete(result):
    """A fallback's result with its LazyArrays computed, containers kept: what to compare with NumPy's."""
    if isinstance(result, la.LazyArray):
        return result.compute()
    if isinstance(result, (list, tuple)):
        return type(result)(concrete(r) for r in result)
    return result


def assert_all_same(got, want, what):
    assert type(got) is type(want), f"{what}: {type(got).__name__} != NumPy's {type(want).__name__}"
    if isinstance(want, (list, tuple)):
        assert len(got) == len(want), what
        for g, w in zip(got, want):
            assert_all_same(g, w, what)
    else:
        assert_same(got, want, what=what)


# (name, call): the same call on NumPy arrays is the oracle.
CASES = [
    ("median", lambda x, i: np.median(x)),
    ("median axis keepdims", lambda x, i: np.median(x, axis=1, keepdims=True)),
    ("nanmedian", lambda x, i: np.nanmedian(x, axis=0)),
    ("percentile", lambda x, i: np.percentile(x, [10, 50], axis=1)),
    ("unique", lambda x, i: np.unique(i)),
    ("unique counts", lambda x, i: np.unique(i, return_counts=True)),
    ("histogram", lambda x, i: np.histogram(i, bins=3)),
    ("norm ord=2", lambda x, i: np.linalg.norm(np.nan_to_num(x), ord=2)),
    ("fft", lambda x, i: np.fft.fft(i)),
    ("einsum", lambda x, i: np.einsum("ij,ij->i", x, x)),
    ("convolve", lambda x, i: np.convolve(i, i[:3])),
    ("searchsorted", lambda x, i: np.searchsorted(np.sort(i), i)),
    ("interp", lambda x, i: np.interp(i, [0, 5], [1.0, 2.0])),
    ("sort", lambda x, i: np.sort(x, axis=1)),
    ("cumsum", lambda x, i: np.cumsum(i)),
    ("argsort", lambda x, i: np.argsort(x, axis=0, kind="stable")),
    ("nonzero", lambda x, i: np.nonzero(i)),
    ("split", lambda x, i: np.array_split(i, 4)),
    ("count_nonzero", lambda x, i: np.count_nonzero(x, axis=0)),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_function_without_a_rule_gives_numpys_answer(name, fn):
    x, i = X_NP.copy(), I_NP.copy()
    want = fn(x, i)
    got = fn(la.array(x) * 1, la.array(i))  # an expression, not only a leaf
    assert_all_same(concrete(got), want, name)
    np.testing.assert_array_equal(x, X_NP)  # inputs never modified
    np.testing.assert_array_equal(i, I_NP)


def test_linalg_norm_of_a_lazy_expression():
    a = np.arange(12.0).reshape(3, 4)
    # (ord=2 of a matrix: a NumPy stage since surface/reductions, lazy like the rest)
    assert_same(np.linalg.norm(la.array(a) - 1, ord=2).compute(), np.linalg.norm(a - 1, ord=2))


def test_empty_and_0d_inputs():
    assert_all_same(concrete(np.unique(la.array(np.zeros(0)))), np.unique(np.zeros(0)), "unique of empty")
    assert_all_same(concrete(np.median(la.array(np.array(2.5)))), np.median(np.array(2.5)), "median of 0-d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "mean of empty slice"
        assert_all_same(concrete(np.median(la.array(np.zeros((0, 3))), axis=0)),
                        np.median(np.zeros((0, 3)), axis=0), "median of empty along 0")


def test_array_results_are_lazy_again_and_explain_names_the_function():
    x = la.array(I_NP)
    u = np.ediff1d(x, to_begin=[0])  # (s15: without ends, ediff1d is lazy: api/compositions.py)
    assert isinstance(u, la.LazyArray)
    later = u * 2 + 1  # later work stays lazy, and fuses
    assert isinstance(later, la.LazyArray)
    assert_same(later.compute(), np.ediff1d(I_NP, to_begin=[0]) * 2 + 1)
    assert "computed by numpy.ediff1d (fallback)" in later.explain()
    parts = np.frexp(la.array(X_NP))
    assert type(parts) is tuple and all(isinstance(c, la.LazyArray) for c in parts)
    assert "computed by numpy.sort_complex (fallback)" in np.sort_complex(x).explain()


def test_scalar_results_are_numpys_and_sequences_of_lazy_arrays_are_computed():
    got = np.linalg.vecdot(la.array(X_NP).ravel(), la.array(X_NP).ravel())  # (s15: vector_norm is lazy now)
    assert type(got) is np.float64 and np.isnan(got)
    parts = [la.array(I_NP), la.array(I_NP) * 2]
    assert_same(np.asarray(np.vstack(parts)), np.vstack([I_NP, I_NP * 2]))  # LazyArrays inside a list
    assert_same(np.asarray(np.einsum("i,i->i", *parts)), I_NP * I_NP * 2)
    assert np.array_equal(la.array(I_NP), I_NP) is True
    assert np.array_equal(la.array(X_NP), X_NP, equal_nan=True) is True


def test_one_warning_per_function_naming_it():
    x = la.array(X_NP)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.i0(x)
        np.i0(x[0])
        np.unwrap(x)
        np.i0(x + 1)
    messages = [str(w.message) for w in caught if issubclass(w.category, la.NumPyFallbackWarning)]
    assert len(messages) == 2, messages
    assert "numpy.i0" in messages[0] and "eagerly" in messages[0] and "computed inputs" in messages[0]
    assert "numpy.unwrap" in messages[1]
    assert caught[0].filename == __file__  # it points at the user's line
    assert issubclass(la.NumPyFallbackWarning, UserWarning) and "NumPyFallbackWarning" in la.__all__


def test_a_function_lazyarr_has_a_rule_for_does_not_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.where(la.array(X_NP) > 0, 1.0, 2.0)
    assert not [w for w in caught if issubclass(w.category, la.NumPyFallbackWarning)]


def test_numpys_errors():
    x = la.array(X_NP)
    with pytest.raises(np.exceptions.AxisError):
        np.median(x, axis=3)
    with pytest.raises(ValueError):
        np.percentile(x, 150)
    with pytest.raises(ValueError):
        np.nonzero(la.array(np.array(1.0)))  # NumPy 2: not on 0-d arrays


def test_out_argument_of_numpy_is_written_and_returned():
    buf = np.empty(6, np.int64)
    assert np.cumsum(la.array(I_NP), out=buf) is buf  # a stage has no out=: NumPy's, through the fallback
    assert_same(buf, np.cumsum(I_NP))
    buf = np.empty(3)
    assert np.nanmax(la.array(X_NP), axis=1, out=buf) is buf
    assert_same(buf, np.nanmax(X_NP, axis=1))


def test_a_fallback_writing_into_a_lazy_array_rebinds_it():
    # (s20: these raised "a LazyArray is immutable"). NumPy writes a copy of the LazyArray's value in its place,
    # where it appears as an input too, and the LazyArray takes what NumPy wrote.
    out = la.array(np.zeros(6, np.int64))
    assert np.cumsum(I_NP, out=out) is out
    assert_same(out.compute(), np.cumsum(I_NP))
    x = la.array(X_NP.copy())
    q, r = la.array(np.zeros_like(X_NP)), la.array(np.zeros_like(X_NP))
    got = np.divmod(x, 2.0, out=(q, r))
    assert got[0] is q and got[1] is r
    assert_same(q.compute(), X_NP // 2.0)
    assert_same(r.compute(), X_NP % 2.0)
    y = la.array(X_NP.copy())
    np.modf(y, out=(y, r))  # an input that is also an output: NumPy's in-place answer
    want_r, want_y = np.modf(X_NP)
    assert_same(y.compute(), want_r)
    assert_same(r.compute(), want_y)
    d = la.array(np.zeros(X_NP.shape[0]))
    np.dot(X_NP, np.ones(X_NP.shape[1]), out=d)
    assert_same(d.compute(), X_NP @ np.ones(X_NP.shape[1]))
    with pytest.raises(ValueError, match="output array is not acceptable"):  # NumPy's own rule for dot's out=
        np.dot(X_NP, np.ones(X_NP.shape[1]), out=la.array(np.zeros(X_NP.shape[0], np.float32)))
    np.testing.assert_array_equal(np.asarray(x), X_NP)
    target = X_NP.copy()
    np.copyto(target, la.array(X_NP) + 1)  # into a NumPy array: fine
    assert_same(target, X_NP + 1)


def test_ufunc_methods_without_a_rule():
    x, i = la.array(X_NP), la.array(I_NP)
    assert_same(np.add.accumulate(i).compute(), np.add.accumulate(I_NP))
    assert_same(np.multiply.accumulate(x, axis=1).compute(), np.multiply.accumulate(X_NP, axis=1))
    assert_same(np.add.outer(i, i[:2]).compute(), np.add.outer(I_NP, I_NP[:2]))
    assert_same(np.add.reduceat(i, [0, 2, 4]).compute(), np.add.reduceat(I_NP, [0, 2, 4]))
    assert_same(np.subtract.reduce(i), np.subtract.reduce(I_NP))  # no reduction in the op table
    target = I_NP.copy()
    np.add.at(target, la.array(np.array([0, 0, 1])), 1)  # a NumPy target, lazy indices: fine
    assert_same(target, I_NP + [2, 1, 0, 0, 0, 0])


def test_ufunc_calls_without_a_rule():
    x = la.array(X_NP)
    mantissa, exponent = np.frexp(x)
    want = np.frexp(X_NP)
    assert_same(mantissa.compute(), want[0])
    assert_same(exponent.compute(), want[1])
    q, r = np.divmod(la.array(I_NP), 4)
    assert_same(q.compute(), I_NP // 4) and assert_same(r.compute(), I_NP % 4)
    out = np.zeros(6)
    assert np.add(la.array(I_NP), 0.5, where=I_NP > 0, out=out) is out
    assert_same(out, np.add(I_NP, 0.5, where=I_NP > 0, out=np.zeros(6)))
    assert_same(np.multiply(x, 2, casting="unsafe", dtype=np.int64).compute(),
                np.multiply(X_NP, 2, casting="unsafe", dtype=np.int64))


def test_reduction_keywords_without_a_rule():
    x = la.array(X_NP)
    mask = ~np.isnan(X_NP)
    # where= and initial= on sum/prod/max/min/mean/any/all are fused since surface/reductions
    assert_same(np.sum(x, where=mask).compute(), np.sum(X_NP, where=mask))
    assert_same(x.max(axis=1, initial=100.0, where=mask).compute(), X_NP.max(axis=1, initial=100.0, where=mask))
    assert_same(np.add.reduce(la.array(I_NP), initial=3).compute(), np.add.reduce(I_NP, initial=3))
    assert_same(np.mean(x, axis=0, where=mask).compute(), np.mean(X_NP, axis=0, where=mask))
    assert_same(np.std(x, ddof=1, where=mask), np.std(X_NP, ddof=1, where=mask))


def test_inside_fuse_a_fallback_runs_the_function_eagerly_with_warnings():
    """(#15) A function without a lazy rule inside @la.fuse is a graph break that no guard can stand for:
    the fused function runs eagerly on LazyArrays for that signature, with one EagerWarning."""
    @la.fuse
    def f(a):
        return np.i0(a) + a

    with pytest.warns(la.EagerWarning, match="numpy.i0"):
        assert_same(f(X_NP), np.i0(X_NP) + X_NP)

    @la.fuse
    def g(a):
        return np.add.reduceat(a, [0, 2])  # (np.add.accumulate is a scan kernel now: surface/reductions)

    with pytest.warns(la.EagerWarning, match="numpy.add.reduceat"):
        assert_same(g(X_NP), np.add.reduceat(X_NP, [0, 2]))
