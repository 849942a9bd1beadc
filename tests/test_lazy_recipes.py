"""A lazy loop's per-iteration costs (#15: mandelbrot's lazy mode), checked by counts and against NumPy, not by
time (runtime/recipes.py, docs/fuse_programs.md "Lazy mandelbrot: the per-iteration costs"):

- a tuple of roots planned before as one map kernel (an ask that computes a written array on the way) reuses
  that plan when asked again on new data: positions of its terminals, never its nodes;
- an in-place update of 1-2 byte elements (``active &= ~escaped``) computes into a new buffer and copies the
  result into the user's array, the same values as writing it directly.

complex128 and bool 6x7 grids (the mandelbrot kernels of tests/test_lazy_asks.py), float64 and bool vectors.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import evaluate as runtime
from lazyarr.runtime import recipes

from values import lazy_mandelbrot


@pytest.fixture
def plans(monkeypatch):
    """How many times the runtime planned a graph (``schedule.plan``), as a one-element list."""
    count = [0]
    plan = runtime.plan

    def counting(roots):
        count[0] += 1
        return plan(roots)

    monkeypatch.setattr(runtime, "plan", counting)
    return count


def test_mandelbrots_lazy_iterations_plan_nothing_after_the_first(plans):
    per_iteration = []

    def counted(run):                            # one kernel: escaped and z's update, two roots
        before = plans[0]
        run()
        per_iteration.append(plans[0] - before)

    lazy_mandelbrot(counted)
    assert per_iteration[1:] == [0] * 5, per_iteration


def _pair(a, b, k):
    """Two roots over the same terminals: ``a * k + b`` and ``a * k - b``."""
    x, y = la.array(a), la.array(b)
    return [(x * k + y)._node, (x * k - y)._node]


def test_two_roots_planned_once_read_each_calls_arrays_and_constants(plans):
    rng = np.random.default_rng(1)
    first = runtime.evaluate(_pair(rng.random(9), rng.random(9), 2.0))
    assert plans[0] <= 1
    before = plans[0]
    for k in (3.0, -0.5):
        a, b = rng.random(9), rng.random(9)
        got = runtime.evaluate(_pair(a, b, k))
        np.testing.assert_array_equal(got[0], a * k + b)
        np.testing.assert_array_equal(got[1], a * k - b)
        swapped = runtime.evaluate(_pair(a, b, k)[::-1])  # the other order: its own recipe, its own outputs
        np.testing.assert_array_equal(swapped[0], a * k - b)
        np.testing.assert_array_equal(swapped[1], a * k + b)
    assert plans[0] - before <= 1  # only the swapped order's first call planned
    assert first[0].dtype == np.float64


def test_the_same_root_twice_and_roots_of_other_shapes_take_the_full_path():
    a = np.arange(6.0).reshape(2, 3)
    x = la.array(a)
    root = (x + 1.0)._node
    assert recipes.signature_of([root, root]) is None
    assert recipes.signature_of([root, (x.sum(axis=0) + 1.0)._node]) is None
    got = runtime.evaluate([root, root])
    np.testing.assert_array_equal(got[0], a + 1.0)
    np.testing.assert_array_equal(got[1], a + 1.0)


def test_in_place_bool_updates_give_numpys_values():
    rng = np.random.default_rng(2)
    a = rng.random(40) < 0.5
    b = rng.random(40) < 0.5
    want = a.copy()
    lazy = la.array(b)
    for _ in range(3):  # the full path, the recipe, the ready launch
        a &= ~(lazy | lazy)
        want &= ~(b | b)
        np.testing.assert_array_equal(a, want)
    view, want_view = a[::2], want[::2]  # a strided view updated in place: out is exactly the input
    np.logical_or(view, la.array(b[:20]), out=view)
    np.logical_or(want_view, b[:20], out=want_view)
    np.testing.assert_array_equal(a, want)


def test_in_place_float_updates_still_write_directly():
    a = np.arange(5.0)
    b = la.array(np.full(5, 0.5))
    a += b
    np.testing.assert_array_equal(a, np.arange(5.0) + 0.5)
    assert not recipes.narrow_alias(a, [a])
    flags = np.zeros(5, dtype=bool)
    assert recipes.narrow_alias(flags, [np.ones(5, dtype=bool), flags])
    assert recipes.narrow_alias(flags[1:], [flags[1:]])  # another view object of the same memory
    assert not recipes.narrow_alias(flags[1:], [flags[:-1]])
