"""Session 15's spot checks of ``@la.fuse`` on Python-language constructs and argument kinds (docs/fuse.md,
"Session 15 sweep (fuse)"): each test pins one silent wrong answer (or failure) the sweep found, comparing the
fused function's answer with the undecorated function's on the same arguments, on the traced call and on a
replayed one. Compile-light: tiny arrays, expressions whose kernels the suite's other tests compile too."""
import warnings

import numpy as np
import pytest

import lazyarr as la

X = np.random.default_rng(15).standard_normal(12)


def _both(fn, *args, calls=2):
    """fn's answer and the fused function's (`calls` times, fresh argument copies each time)."""
    want = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    fused = la.fuse(fn)
    got = []
    for _ in range(calls):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", la.EagerWarning)
            got.append(fused(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    return want, got


def test_two_equal_results_are_two_arrays():
    # ``a + 1, a + 1`` is one node (hash-consing): the program returned one array twice, so a write into one
    # result showed in the other
    def f(a):
        return a + 1, a + 1

    want, got = _both(f, X)
    assert want[0] is not want[1]
    for p, q in got:
        assert p is not q and not np.shares_memory(p, q)
        np.testing.assert_array_equal(p, want[0])
        p[0] = 99.0
        assert q[0] == want[1][0]


def test_one_result_returned_twice_stays_one_object():
    def f(a):
        y = a * 2
        return y, y

    for p, q in _both(f, X)[1]:
        assert p is q
