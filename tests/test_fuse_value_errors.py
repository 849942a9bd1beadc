"""(s14) Errors that depend on the values inside ``@la.fuse`` (tracer/decorator._Fused.as_numpy).

A stage's error (``np.linalg.solve`` of a singular matrix, a histogram over NaN) is raised in NumPy on the
function's own line, where its ``try``/``except`` may catch it; a fused program raises it when it runs the
stage, outside the function. Such a call runs the function as plain NumPy instead, with one warning per
function, unless the function writes into an argument (then the error is raised as it was).
"""
import warnings

import numpy as np
import pytest

import lazyarr as la

X = np.random.default_rng(1414).standard_normal((12, 6))


def solve_or_least_squares(a, scale):
    try:
        return np.linalg.solve(a[:3, :3] * scale, a[:3, 0]) + 1.0
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, a[:, 0], rcond=None)[0]


def test_an_error_the_function_catches_gives_numpys_answer_and_one_warning():
    f = la.fuse(solve_or_least_squares)
    seen = []
    for scale in (1.0, 0.0, 2.0, 0.0, 3.0):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = f(X, scale)
        seen += [w for w in caught if issubclass(w.category, la.fuse.EagerWarning)]
        want = solve_or_least_squares(X, scale)
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert len(seen) == 1 and "LinAlgError" in str(seen[0].message)
    hits = f.cache_info().hits
    np.testing.assert_allclose(f(X, 2.0), solve_or_least_squares(X, 2.0), rtol=1e-12)
    assert f.cache_info().hits == hits + 1  # a compiled program still serves the calls that do not raise


def test_an_uncaught_error_is_numpys_own():
    def histogram_of(a):
        return np.histogram(a * 2.0, bins=4)[0]

    bad = X.copy()
    bad[0, 0] = np.nan
    f = la.fuse(histogram_of)
    np.testing.assert_array_equal(f(X), histogram_of(X))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.fuse.EagerWarning)
        with pytest.raises(ValueError, match="not finite"):
            f(bad)
    np.testing.assert_array_equal(f(X), histogram_of(X))


def test_a_function_that_writes_into_an_argument_raises_without_running_again():
    def write_then_invert(out, a):
        out[:] = a[:3, :3] * 2.0
        return np.linalg.inv(a[:3, :3] * 0.0)

    f = la.fuse(write_then_invert)
    out = np.zeros((3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.fuse.EagerWarning)  # no NumPy rerun, so no warning
        with pytest.raises(np.linalg.LinAlgError):
            f(out, X)
