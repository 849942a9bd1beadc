"""(s15) NumPy functions lazyarr has no rule for, run as NumPy's own Python code on the LazyArrays
(api/fallback.numpy_code_on_lazy), and the compositions whose code converts its argument first
(api/compositions.py). Each result is NumPy's (dtype, shape, bytes); the ones listed lazy build nodes and never
take the eager fallback; a function whose code asks for a value still gives NumPy's answer eagerly."""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import fallback

rng = np.random.default_rng(15)
V = np.array([1.0, -np.inf, np.inf, np.nan, 0.0, -0.0, 2.5])
M = rng.standard_normal((4, 6))
I = rng.integers(-5, 5, (4, 6))
C = M + 1j * M[::-1]
B = rng.integers(0, 2, (4, 6)).astype(bool)

LAZY_CASES = {
    "isposinf": (lambda x: np.isposinf(x), [V, M.astype(np.float32), I]),
    "isneginf": (lambda x: np.isneginf(x), [V, B]),
    "isreal": (lambda x: np.isreal(x), [V, C, I]),
    "iscomplex": (lambda x: np.iscomplex(x), [C, M]),
    "cumulative_sum": (lambda x: np.cumulative_sum(x), [V, I[0], B[0], np.array(3.0)]),
    "cumulative_sum axis": (lambda x: np.cumulative_sum(x, axis=1, include_initial=True), [M, I, B]),
    "cumulative_prod": (lambda x: np.cumulative_prod(x, axis=0, dtype=np.float32), [M, I]),
    "hsplit": (lambda x: np.hsplit(x, 3), [M, I]),
    "vsplit": (lambda x: np.vsplit(x, [1, 3]), [M]),
    "dsplit": (lambda x: np.dsplit(x.reshape(2, 2, 6), 2), [M]),
    "unstack": (lambda x: np.unstack(x, axis=1), [M, I]),
    "linalg.trace": (lambda x: np.linalg.trace(x[:4, :4], offset=1), [M, I, C]),
    "linalg.diagonal": (lambda x: np.linalg.diagonal(x, offset=-1), [M, C]),
    "linalg.tensordot": (lambda x: np.linalg.tensordot(x, x.T, axes=1), [M]),
    "linalg.matmul": (lambda x: np.linalg.matmul(x, x.T), [M, I]),
    "linalg.outer": (lambda x: np.linalg.outer(x[0], x[1]), [M, I]),
    "linalg.vector_norm": (lambda x: np.linalg.vector_norm(x, axis=1, keepdims=True), [M]),
    "linalg.vector_norm axes": (lambda x: np.linalg.vector_norm(x.reshape(2, 2, 6), axis=(0, 2), ord=1), [M]),
    "linalg.matrix_norm": (lambda x: np.linalg.matrix_norm(x), [M]),
    "matrix_transpose": (lambda x: np.matrix_transpose(x), [M, I]),
    "linalg.matrix_transpose": (lambda x: np.linalg.matrix_transpose(x.reshape(2, 2, 6)), [M]),
    "ediff1d": (lambda x: np.ediff1d(x), [M, I]),
    "astype": (lambda x: np.astype(x, np.int16), [M, B]),
    "resize": (lambda x: np.resize(x, (5, 7)), [V, I]),
    "resize empty": (lambda x: np.resize(x[:0], (2, 2)), [V]),
    "polyadd": (lambda x: np.polyadd(x[0], x[1][:3]), [M, I]),
    "tril_indices_from": (lambda x: np.tril_indices_from(x[:4, :4])[1], [M]),
}
EAGER_CASES = {  # their code asks for values: NumPy's answer through the eager fallback
    "trim_zeros": (lambda x: np.trim_zeros(x[0]), [I]),
    "union1d": (lambda x: np.union1d(x[0], x[1]), [I]),
    "ediff1d ends": (lambda x: np.ediff1d(x, to_begin=[7.0], to_end=0), [M]),
}


@pytest.fixture
def eager_runs(monkeypatch):
    runs = []
    run = fallback._run

    def counted(*args, **kwargs):
        runs.append(args[1])
        return run(*args, **kwargs)
    monkeypatch.setattr(fallback, "_run", counted)
    return runs


SUMS = ("linalg.trace", "linalg.vector_norm", "linalg.vector_norm axes", "linalg.matrix_norm")  # float sums:
# lazyarr's compensated lanes, not always NumPy's last bit (README, "NumPy's answer means")


def _check(function, x, close=False):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = function(x)
        got = function(la.array(x))
    wants = want if isinstance(want, (tuple, list)) else [want]
    gots = got if isinstance(got, (tuple, list)) else [got]
    assert len(gots) == len(wants)
    for w, g in zip(wants, gots):
        w, g = np.asarray(w), np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape
        if close and w.dtype.kind in "fc":
            np.testing.assert_allclose(g, w, rtol=1e-13, atol=0)
        else:
            np.testing.assert_array_equal(g, w)
    return gots


@pytest.mark.parametrize("name", sorted(LAZY_CASES))
def test_numpy_code_runs_lazily_with_numpy_answer(name, eager_runs):
    function, inputs = LAZY_CASES[name]
    for x in inputs:
        _check(function, x, close=name in SUMS)
    assert eager_runs == []


@pytest.mark.parametrize("name", sorted(EAGER_CASES))
def test_code_that_asks_for_values_falls_back_with_numpy_answer(name, eager_runs):
    function, inputs = EAGER_CASES[name]
    for x in inputs:
        _check(function, x)
    assert eager_runs


def test_the_user_callables_are_not_run_twice():
    calls = []

    def row_total(row):
        calls.append(1)
        return row.sum()

    want = np.apply_along_axis(row_total, 1, M)
    expected = len(calls)
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        got = np.apply_along_axis(row_total, 1, la.array(M))
    np.testing.assert_array_equal(np.asarray(got), want)
    assert len(calls) == expected


def test_inside_a_fused_function_numpy_code_fuses_without_a_break():
    def flags(x):
        return np.isposinf(x) | np.isneginf(x * 2), np.cumulative_sum(x[:3], include_initial=True)

    f = la.fuse(flags)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no graph-break or fallback warning
        got = f(V)
        got = f(V)
    for g, w in zip(got, flags(V)):
        np.testing.assert_array_equal(g, w)
    assert f.cache_info().traces == 1 and f.cache_info().hits == 1
    assert "0 graph break(s)" in f.explain(V)


def test_errors_are_numpys():
    with pytest.raises(ValueError, match="at least 2-dimensional"):
        np.matrix_transpose(la.array(V))
    with pytest.raises(ValueError, match="one-dimensional"):
        np.linalg.outer(la.array(M), la.array(V))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        with pytest.raises(ValueError, match="axis"):
            np.cumulative_sum(la.array(M))  # NumPy's own: more than one dimension needs an axis
