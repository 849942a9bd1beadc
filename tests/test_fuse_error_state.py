"""(s15) A fused call under NumPy's error state that raises (or calls, logs, prints) on floating-point errors.

lazyarr's kernels compute NumPy's values without detecting floating-point errors (tracer/error_state.py), so
``with np.errstate(divide="raise"): f(a, b)`` returned inf silently where NumPy raises. Such calls now run as
plain NumPy: NumPy's exception on the function's own line, its own ``except`` included; 'ignore' and the default
state keep the fused program."""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.tracer.error_state import acts_on_errors

A = np.array([1.0, 0.0, -1.0, 4.0])
Z = np.array([0.0, 0.0, 2.0, 0.0])


def ratio(x, y):
    return x / y + 1.0


def guarded(x, y):
    try:
        return x / y
    except FloatingPointError:
        return np.zeros_like(x)


def test_raise_gives_numpy_error_and_a_warning_once():
    f = la.fuse(ratio)
    np.testing.assert_array_equal(f(A, Z), ratio(A, Z))  # compiled, default state: no error
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            ratio(A, Z)
        with pytest.warns(la.fuse.EagerWarning, match="errstate"):
            with pytest.raises(FloatingPointError, match="divide by zero"):
                f(A, Z)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # once per function
            with pytest.raises(FloatingPointError):
                f(A, Z)


def test_the_function_catches_the_error_itself():
    f = la.fuse(guarded)
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("ignore", la.fuse.EagerWarning)
        np.testing.assert_array_equal(f(A, Z), np.zeros(4))
        np.testing.assert_array_equal(f(A, A + 2), A / (A + 2))


def test_ignore_and_the_default_keep_the_fused_program():
    f = la.fuse(ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("error", la.fuse.EagerWarning)
        f(A, Z)
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(f(A, Z), ratio(A, Z))
        with np.errstate(all="warn"):
            f(A, Z)
    assert f.cache_info().hits == 2 and f.cache_info().misses == 1


def test_call_and_seterr_reach_numpy():
    f = la.fuse(ratio)
    seen = []
    old_call = np.seterrcall(lambda kind, flag: seen.append(kind))
    old = np.seterr(divide="call")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", la.fuse.EagerWarning)
            np.testing.assert_array_equal(f(A, Z), ratio(A, Z))
    finally:
        np.seterr(**old)
        np.seterrcall(old_call)
    assert seen and seen[0] == "divide by zero"


def test_the_state_check_follows_every_change():
    assert not acts_on_errors()
    with np.errstate(all="ignore"):
        assert not acts_on_errors()
        with np.errstate(over="raise"):
            assert acts_on_errors()
        assert not acts_on_errors()
    with np.errstate(under="log"):
        assert acts_on_errors()
    assert not acts_on_errors()
