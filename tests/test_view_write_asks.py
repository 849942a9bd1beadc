"""A write through a view (``A[:, j] -= v``: the view's ``-=`` writes through to A, then Python's ``A[:, j] = view``
is a no-op) counts as a write into A: an ask of a value computed from A rebinds A to its computed value
(api/realise.py), so the next ask does not compute A's whole write history again. Before, the write counted
against the view, A was never rebound, and every ask in a loop recomputed all the earlier writes: lazy
gramschmidt took 7.7 s at n = 30 against NumPy's 1 ms (quadratically many slice writes per call). docs/assign.md
"Writes through views count against the base"."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import evaluate

pytestmark = pytest.mark.usefixtures("small_scratch_pool")  # (tests/conftest.py)


@pytest.fixture
def slice_writes(monkeypatch):
    ran = []
    real = evaluate.run_slice_write

    def counting(*args, **kwargs):
        ran.append(1)
        return real(*args, **kwargs)
    monkeypatch.setattr(evaluate, "run_slice_write", counting)
    return ran


@pytest.mark.parametrize("write", ["-=", "*=", "setitem of the view"])
def test_asks_in_a_loop_of_view_writes_compute_each_write_once(write, slice_writes):
    x = np.random.default_rng(1).random((6, 12))
    A, B = la.array(x.copy()), x.copy()
    for j in range(12):
        for M in (A, B):
            if write == "-=":
                M[:, j] -= 0.5 * M[:, 0]
            elif write == "*=":
                M[:, j] *= 1.5
            else:
                column = M[:, j]
                column[1:] = M[1:, 0] + 1.0
        assert float(A[1, j]) == B[1, j]  # an ask after every write, as gramschmidt's R[k, j] = ... does
    np.testing.assert_array_equal(A.compute(), B)
    assert len(slice_writes) <= 12  # each write computed once (78 for "-=" when each ask recomputed the history)


def test_gramschmidt_lazy_gives_numpys_answer():
    def gramschmidt(A):
        m, n = A.shape
        Q, R = np.zeros_like(A), np.zeros((n, n), dtype=A.dtype)
        for k in range(n):
            R[k, k] = np.sqrt(A[:, k] @ A[:, k])
            Q[:, k] = A[:, k] / R[k, k]
            for j in range(k + 1, n):
                R[k, j] = Q[:, k] @ A[:, j]
                A[:, j] -= Q[:, k] * R[k, j]
        return Q, R
    rng = np.random.default_rng(2)
    x = rng.random((10, 8)) + np.eye(10, 8)
    want_q, want_r = gramschmidt(x.copy())
    got_q, got_r = gramschmidt(la.array(x.copy()))
    np.testing.assert_allclose(np.asarray(got_q), want_q, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.asarray(got_r), want_r, rtol=1e-13, atol=1e-15)
