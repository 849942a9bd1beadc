"""The programs slower than NumPy in lazy mode or BLAS-bound (#15: mandelbrot, covariance, cosine_similarity,
interp_resample), checked by counts and against NumPy, not by time (docs/fuse_programs.md, "2026-11-29:
mandelbrot's lazy mode, ...").

- an expression built on a written array before a value was asked reads the value the ask computed
  (api/realise.py ``stand_ins``; where the old node reads a user's array, a later build makes a new node);
- ``x[numpy_mask]`` is a deferred selection with one private copy of the mask (api/masked_lanes.py);
- planning and rebuilding a fused call's results leave no reference cycle (compiler/schedule.py,
  tracer/signature.py): a loop run with the collector off (the benchmark's timing loop) frees each iteration's
  arrays as NumPy's loop does, not at the next collection.

complex128 and bool 6x7 grids (the mandelbrot kernels of tests/test_program_overhead.py), float64.
"""
import gc
import weakref

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import realise
from lazyarr.compiler.schedule import plan
from lazyarr.graph import expr
from lazyarr.runtime import recipes
from lazyarr.tracer.signature import flatten, unflatten
from values import MANDELBROT_C as C, lazy_mandelbrot


def test_mandelbrots_lazy_loop_with_numpy_masks_gives_numpys_answer():
    # tests/values.py holds the loop (shared with the ask-count tests); here it runs plainly, checked each iteration
    lazy_mandelbrot(lambda run: run(), iterations=4)


def test_an_expression_on_a_pure_written_array_reads_the_value_an_ask_computed(asked_graphs):
    x = la.array(np.arange(6.0)) * 3.0
    x[0] = -1.0
    np.asarray(x)                                # x: a leaf of its value (its history read the user's array)
    x[1:3] = x[1:3] + 0.5                        # x's node: a pure function of that leaf
    e = x * 2.0                                  # built on it
    want = np.r_[-1.0, 3.5, 6.5, 9.0, 12.0, 15.0]
    np.testing.assert_array_equal(np.asarray(x), want)  # x realised again: its old node stands for the leaf
    asked_graphs.clear()
    np.testing.assert_array_equal(e.compute(), want * 2.0)
    assert sorted(asked_graphs[0]) == ["const", "leaf", "multiply"], asked_graphs  # not x's write again


def test_the_same_expression_built_again_reads_the_users_array_as_it_is_then():
    a = np.arange(5.0)
    x = la.array(a) * 1.0
    x[0] = 5.0
    e = x + 1.0
    np.testing.assert_array_equal(np.asarray(x), [5.0, 1.0, 2.0, 3.0, 4.0])
    a[:] = 7.0
    y = la.array(a) * 1.0                         # the same nodes as x's (hash-consed), over a's new values
    y[0] = 5.0
    np.testing.assert_array_equal(y.compute(), [5.0, 7.0, 7.0, 7.0, 7.0])
    # e was built on x's pending write: it reads x's value as the ask computed it, NumPy's e (mandelbrot #15;
    # it read `a` again before, [6, 8, 8, 8, 8])
    np.testing.assert_array_equal(e.compute(), [6.0, 2.0, 3.0, 4.0, 5.0])


def test_the_value_an_ask_computed_is_not_kept_once_the_array_moves_on():
    y = la.array(np.arange(6.0)) * 2.0
    y[0] = -1.0
    np.asarray(y)
    y[1] = 5.0                                   # pure: a write into y's leaf
    history = y._node
    e = y + 1.0                                  # built on y's old node
    np.testing.assert_array_equal(np.asarray(y), [-1.0, 5.0, 4.0, 6.0, 8.0, 10.0])
    assert realise.stand_in(history) is y._node  # e reads y's leaf from now on
    np.testing.assert_array_equal(e.compute(), [0.0, 6.0, 5.0, 7.0, 9.0, 11.0])
    y[2] = 7.0                                   # y moves on: its old leaf is read by y's new node only
    np.testing.assert_array_equal(np.asarray(y), [-1.0, 5.0, 7.0, 6.0, 8.0, 10.0])
    recipes.forget()                             # (graphs computed lately are remembered: e's read that leaf)
    gc.collect()
    assert realise.stand_in(history) is None     # nothing holds that leaf: e computes its history again
    np.testing.assert_array_equal(e.compute(), [0.0, 6.0, 5.0, 7.0, 9.0, 11.0])


# --- x[numpy_mask]: a deferred selection too (api/masked_lanes.py) --------------------------------------------

def test_a_masked_update_by_a_numpy_mask_is_one_where_without_gathers():
    z0 = C * 0.5
    z = la.array(z0)
    active = np.abs(C) < 1.5
    c = la.array(C)
    z[active] = z[active] ** 2 + c[active]
    ops = [n.op for n in expr.walk([z._node])]
    assert "numpy" not in ops and ops.count("where") == 1, ops  # no gather, no scatter stage
    want = z0.copy()
    want[active] = want[active] ** 2 + C[active]
    np.testing.assert_array_equal(z.compute(), want)


def test_a_selection_by_a_numpy_mask_reads_the_mask_on_its_line():
    x = np.arange(42.0).reshape(6, 7)
    m = x % 3 == 0
    want = x[m] * 2.0 + 1.0
    s = la.array(x)[m] * 2.0 + 1.0               # deferred: nothing gathered yet
    m[:] = ~m                                    # NumPy's x[m] had read m already
    assert s.shape == want.shape                 # the gather is built when something needs it
    np.testing.assert_array_equal(s.compute(), want)
    t = la.array(x)
    t[m] = t[m] + la.array(x)[np.roll(m, 1)]    # another mask's selection: the gathers, NumPy's answer
    w = x.copy()
    w[m] = w[m] + x[np.roll(m, 1)]
    np.testing.assert_array_equal(t.compute(), w)


def test_a_numpy_mask_changed_between_selections_is_not_mistaken_for_the_same():
    x = np.arange(42.0).reshape(6, 7)
    m = x % 2 == 0
    a = la.array(x)[m]
    m[0, :] = ~m[0, :]                           # the same array object, other values
    b = la.array(x * 10.0)[m]
    assert a._mask is not b._mask
    np.testing.assert_array_equal(a.compute(), x[x % 2 == 0])
    t = la.array(x)
    t[m] = b * 0.5                               # b's mask is m now: one where
    w = x.copy()
    w[m] = (x * 10.0)[m] * 0.5
    np.testing.assert_array_equal(t.compute(), w)


# --- planning makes no reference cycle (compiler/schedule.py) ---------------------------------------------------

def test_a_plan_is_freed_without_the_garbage_collector():
    x = la.array(np.arange(12.0).reshape(3, 4))
    root = (np.sin(x) * 2.0 + x.sum(axis=0)).compute  # a reduction and a map kernel: both kinds of step
    node = root.__self__._node
    leaf = weakref.ref(next(n for n in expr.walk([node]) if n.op == "leaf"))
    was = gc.isenabled()
    gc.disable()
    try:
        steps = plan([node])
        assert len(steps) == 2
        del steps, node, root, x
        assert leaf() is None                    # freed by reference counting alone: no cycle held it
    finally:
        if was:
            gc.enable()


def test_rebuilding_a_fused_functions_results_makes_no_reference_cycle():
    structure = flatten((np.ones(3), [np.zeros(2)]), [])
    first = np.ones(3)
    gone = weakref.ref(first)
    was = gc.isenabled()
    gc.disable()
    try:
        tree = unflatten(structure, [first, np.zeros(2)])
        assert tree[0] is first and isinstance(tree[1], list)
        del tree, first
        assert gone() is None                    # freed by reference counting alone
    finally:
        if was:
            gc.enable()
