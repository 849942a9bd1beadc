"""The programs slower than NumPy in lazy mode or BLAS-bound (#15: mandelbrot, covariance, cosine_similarity,
interp_resample), checked by counts and against NumPy, not by time (docs/fuse_programs.md, "2026-11-29:
mandelbrot's lazy mode, ...").

- an expression built on a written array before a value was asked keeps the value the ask computed
  (api/realise.py ``stand_ins``): mandelbrot's ``active &= ~escaped`` reads z's leaf, not z's history.

complex128 and bool 6x7 grids (the mandelbrot kernels of tests/test_program_overhead.py), float64.
"""
import gc

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import realise
from lazyarr.graph import expr

C = np.linspace(-2.0, 0.6, 7)[None, :] + 1j * np.linspace(-1.2, 1.2, 6)[:, None]


@pytest.fixture
def asked_graphs(monkeypatch):
    """The ops of every graph api/realise.py hands to the runtime, in order."""
    graphs = []
    run = realise.runtime.evaluate

    def recording(roots, out=None):
        graphs.append([n.op for n in expr.walk(roots)])
        return run(roots, out)

    monkeypatch.setattr(realise.runtime, "evaluate", recording)
    return graphs


def test_an_expression_on_a_written_array_reads_the_value_an_ask_computed(asked_graphs):
    z = la.array(np.zeros_like(C))
    escape = np.full(C.shape, 4, dtype=np.int64)
    active = np.ones(C.shape, dtype=bool)
    want_z, want_active, want_escape = np.zeros_like(C), active.copy(), escape.copy()
    for i in range(4):
        z[active] = z[active] ** 2 + C[active]
        escaped = active & (np.abs(z) > 2.0)
        escape[escaped] = i                      # asks for escaped: z is computed with it, rebound to a leaf
        active &= ~escaped                       # escaped still holds z's old node: reads the leaf instead
        want_z[want_active] = want_z[want_active] ** 2 + C[want_active]
        want_escaped = want_active & (np.abs(want_z) > 2.0)
        want_escape[want_escaped] = i
        want_active &= ~want_escaped
    np.testing.assert_array_equal(escape, want_escape)
    np.testing.assert_array_equal(active, want_active)
    np.testing.assert_array_equal(z.compute(), want_z)
    asks = asked_graphs[:8]                      # two asks per iteration
    assert all("square" in ops for ops in asks[0::2]), asks     # z's update, computed once per iteration
    assert not any("square" in ops for ops in asks[1::2]), asks


def test_the_value_an_ask_computed_is_not_kept_once_the_array_moves_on():
    x = np.arange(6.0)
    y = la.array(x) * 2.0
    y[0] = -1.0
    history = y._node
    e = y + 1.0                                  # built on y's old node
    np.testing.assert_array_equal(np.asarray(y), np.r_[-1.0, x[1:] * 2.0])
    assert realise.stand_in(history) is y._node  # e reads y's leaf from now on
    np.testing.assert_array_equal(e.compute(), np.r_[0.0, x[1:] * 2.0 + 1.0])
    y[1] = 7.0                                   # y moves on: its old leaf is read by y's new node only
    np.testing.assert_array_equal(np.asarray(y), np.r_[-1.0, 7.0, x[2:] * 2.0])
    gc.collect()
    assert realise.stand_in(history) is None     # nothing holds the first leaf: e computes its history again
    np.testing.assert_array_equal(e.compute(), np.r_[0.0, x[1:] * 2.0 + 1.0])
