"""A lazy program asking for the same value twice (#15: mandelbrot's lazy mode), checked by the graphs handed to
the runtime and against NumPy, not by time (api/realise.py, docs/fuse_programs.md "Lazy mandelbrot: one
full-grid kernel per iteration"):

- a written array's old node stands for the value an ask computed also where it reads a user's array by
  reference (it is then no longer handed out by hash-consing: a later build reads the user's array again);
- an asked value is kept while every array its graph reads by reference holds the same bytes, and a later graph
  holding its node reads it; a changed array (a signed zero included) is computed again.

complex128 and bool 6x7 grids (the mandelbrot kernels of tests/test_program_overhead.py), float64 vectors.
"""
import gc

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import realise
from lazyarr.graph import expr

from values import MANDELBROT_C as C, lazy_mandelbrot


def test_mandelbrots_second_ask_reads_the_first_asks_value(asked_graphs):
    def asked(run):                              # the second ask (~escaped) reads escaped's kept value
        asked_graphs.clear()
        run()
        assert "absolute" in asked_graphs[0] and "where" in asked_graphs[0], asked_graphs
        assert sorted(set(asked_graphs[-1])) == ["bitwise_and", "invert", "leaf"], asked_graphs

    lazy_mandelbrot(asked)


def test_a_kept_value_is_computed_again_once_an_array_it_read_changed(asked_graphs):
    z = la.array(C.copy())
    z[...] = z * 1.5                             # a write: z's old node reads the user's C by reference
    active = np.ones(C.shape, dtype=bool)
    escaped = la.array(active) & (np.abs(z) > 2.0)  # shared (a bare NumPy operand would be read here, a copy)
    first = np.asarray(escaped)
    np.testing.assert_array_equal(first, np.abs(C * 1.5) > 2.0)
    active[0, :] = False                         # the user's mask changes before the second ask
    asked_graphs.clear()
    np.testing.assert_array_equal((~escaped).compute(), ~(active & (np.abs(C * 1.5) > 2.0)))
    assert "absolute" in asked_graphs[0], asked_graphs  # computed again, from z's value (not from C)
    assert "where" not in asked_graphs[0] and "multiply" not in asked_graphs[0], asked_graphs


def test_a_kept_value_sees_a_changed_signed_zero():
    x = np.zeros((1, 1))
    z = la.array(C.copy())
    z[...] = z * 1.5
    e = (np.abs(z) * (1.0 / la.array(x))) > 0.0  # 1 / +0.0 = inf: True where |z| > 0
    np.testing.assert_array_equal(np.asarray(e), np.abs(C) > 0.0)
    assert realise.known(e._node) is not None    # kept: x's 8 bytes and e's 42 against z's 672
    x[0, 0] = -0.0                               # equal to 0.0, other bytes: 1 / x changes sign
    np.testing.assert_array_equal(e.compute(), (np.abs(C * 1.5) * (1.0 / x)) > 0.0)


def test_an_expression_on_a_written_array_reads_the_asked_value_and_a_new_build_reads_the_user_array():
    a = np.arange(5.0)
    x = la.array(a) * 1.0
    x[0] = 5.0
    e = x + 1.0                                  # built on x's pending write, which reads a by reference
    np.testing.assert_array_equal(np.asarray(x), [5.0, 1.0, 2.0, 3.0, 4.0])
    a[:] = 7.0
    np.testing.assert_array_equal(e.compute(), [6.0, 2.0, 3.0, 4.0, 5.0])           # NumPy's e
    np.testing.assert_array_equal(la.compute(e)[0], [6.0, 2.0, 3.0, 4.0, 5.0])      # the same through la.compute
    y = la.array(a) * 1.0                        # x's history built again: a new node, over a's new values
    y[0] = 5.0
    np.testing.assert_array_equal(y.compute(), [5.0, 7.0, 7.0, 7.0, 7.0])


def test_values_kept_for_an_ask_live_as_long_as_their_node():
    z = la.array(C.copy())
    z[...] = z * 1.5
    active = np.ones(C.shape, dtype=bool)
    escaped = active & (np.abs(z) > 2.0)
    np.asarray(escaped)
    key = id(escaped._node)
    assert realise.known(escaped._node) is not None
    del escaped
    gc.collect()
    assert key not in realise._KNOWN


def test_a_value_asked_again_is_the_users_to_write():
    z = la.array(C.copy())
    z[...] = z * 1.5
    active = np.ones(C.shape, dtype=bool)
    e = active & (np.abs(z) > 2.0)
    want = np.abs(C * 1.5) > 2.0
    np.asarray(e)
    for again in (np.asarray(e), e.compute(), la.compute(e)[0]):   # each read from the kept value
        assert again.flags.writeable
        again[...] = False
    np.testing.assert_array_equal(e.compute(), want)


def test_cheap_asks_keep_nothing():
    x = np.arange(6.0)
    e = la.array(x) * 2.0                        # recomputing reads as many bytes as a snapshot would copy
    np.asarray(e)
    assert realise.known(e._node) is None
    x[:] = 1.0
    np.testing.assert_array_equal(e.compute(), np.full(6, 2.0))  # by reference, as lazyarr.array promises
