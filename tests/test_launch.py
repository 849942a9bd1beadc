"""The fast path for small repeated expressions (lazyarr/runtime/recipes.py) gives exactly the full path's
answers, and it, compute() and @lazyarr.fuse launch kernels through the one launcher (lazyarr/runtime/launch.py).

A recipe is reused by every graph with the same structure and terminal pattern, whatever its layout, sizes,
constants or which arrays fill which place; each case here computes through a recipe made by another graph
and compares with NumPy. Shapes stay small and few, so the kernels are shared with the rest of the suite.
"""
import gc
import threading
import weakref

import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import evaluate, launch, recipes
from oracle import assert_same

rng = np.random.default_rng(42)


def twice(build, want, ulp: int = 0):
    """Compute a freshly built expression three times (full path, then recipe, then remembered graph)."""
    for _ in range(3):
        e = build()
        assert_same(e.compute(), want, ulp=ulp)
        sig = recipes.signature(e._node)
        assert sig is not None and sig[1] in recipes._recipes  # the fast path had a recipe for it


def test_recipe_serves_new_data_constants_and_in_place_changes():
    a, b, c = rng.random(1000), rng.random(1000), rng.random(1000)
    twice(lambda: 2 * la.array(a) + la.array(b) * la.array(c), 2 * a + b * c)
    compiles = la.cache_info().compiles
    for k in (3.0, -0.0, 7.5):  # other constants: the same kernel, the value passed in
        twice(lambda: k * la.array(a) + la.array(b) * la.array(c), k * a + b * c)
    a[:] = rng.random(1000)  # the user writes into a wrapped array: the next compute reads it
    twice(lambda: 2 * la.array(a) + la.array(b) * la.array(c), 2 * a + b * c)
    x, y, z = rng.random(77), rng.random(77), rng.random(77)  # other arrays and sizes
    twice(lambda: 2 * la.array(x) + la.array(y) * la.array(z), 2 * x + y * z)
    assert la.cache_info().compiles == compiles


def test_compute_out_goes_through_the_recipe_when_the_kernel_can_write_it(monkeypatch):
    """(#14, small calls) compute(out=o) of a repeated small expression writes o through the recipe; an out the
    flat kernel cannot write (another dtype, strided, overlapping an input) takes the full path, as NumPy."""
    a, b = rng.random(1000), rng.random(1000)
    twice(lambda: la.array(a) * 2 + la.array(b), a * 2 + b)
    planned = []
    monkeypatch.setattr(evaluate, "plan", lambda roots, _plan=evaluate.plan: planned.append(1) or _plan(roots))
    o = np.empty(1000)
    assert (la.array(a) * 2 + la.array(b)).compute(out=o) is o
    assert_same(o, a * 2 + b)
    assert not planned
    same = a.copy()  # out is an input, element for element: still direct
    (la.array(same) * 2 + la.array(b)).compute(out=same)
    assert_same(same, a * 2 + b)
    assert not planned
    for out in (np.empty(1000, np.float32), np.empty(2000)[::2]):
        (la.array(a) * 2 + la.array(b)).compute(out=out)
        assert_same(out, (a * 2 + b).astype(out.dtype))
    assert len(planned) == 2
    shifted = np.arange(1002.0)  # out overlaps an input one element further on: NumPy's answer, by a copy
    want = shifted.copy()
    np.add(want[:1000] * 2, b, out=want[2:])
    (la.array(shifted[:1000]) * 2 + la.array(b)).compute(out=shifted[2:])
    assert_same(shifted, want)


def test_operand_order_and_sharing_pattern():
    a, b = rng.random(500), rng.random(500)
    twice(lambda: la.array(a) - la.array(b), a - b)
    twice(lambda: la.array(b) - la.array(a), b - a)  # same structure and pattern, places swapped
    twice(lambda: la.array(a) - la.array(a), a - a)  # one input read twice: another pattern
    twice(lambda: (la.array(a) * la.array(b)) / (la.array(b) * la.array(a)), (a * b) / (b * a))


@pytest.mark.parametrize("layout", ["strided", "reversed", "fortran", "broadcast", "zero-d", "empty"])
def test_layouts_through_a_recipe(layout):
    base = rng.random((6, 8))
    make = {
        "strided": lambda: (base[::2, ::3], rng.random((3, 3))),
        "reversed": lambda: (base[::-1], rng.random((6, 8))),
        "fortran": lambda: (np.asfortranarray(base), np.asfortranarray(rng.random((6, 8)))),
        "broadcast": lambda: (base, rng.random(8)),
        "zero-d": lambda: (base[0], np.array(0.25)),
        "empty": lambda: (base[:0], rng.random((0, 8))),
    }[layout]
    x, y = make()
    twice(lambda: la.array(x) * 3.0 - la.array(y), x * 3.0 - y)


def test_float16_and_integer_recipes():
    h, g = rng.random(300).astype(np.float16), rng.random(300).astype(np.float16)
    twice(lambda: la.array(h) * 2 + la.array(g), h * 2 + g)
    i = rng.integers(-100, 100, 300, dtype=np.int8)
    twice(lambda: la.array(i) // 3 + la.array(i), i // 3 + i)


def test_parallel_sized_recipe():
    a, b = rng.random(40000), rng.random(40000)
    twice(lambda: la.sin(la.array(a)) + la.array(b), np.sin(a) + b, ulp=2)  # vecmath's sin: 1 ULP


def test_same_array_same_leaf_unless_changed_in_place():
    a = rng.random(12)
    assert la.array(a)._node is la.array(a)._node
    assert_same((la.array(a) + la.array(a)).compute(), a + a)
    a.shape = (3, 4)  # NumPy allows it in place: the leaf must follow
    assert la.array(a).shape == (3, 4)
    assert_same((la.array(a) * 2).compute(), a * 2)
    swapped = a.astype(">f8")  # converted at the boundary: a copy, never reused for a later wrap
    assert la.array(swapped)._node is not la.array(swapped)._node


def test_casts_of_one_leaf_to_two_dtypes_are_two_nodes():
    x = np.array([-2.7, 255.9, 1e3])
    assert_same(la.array(x).astype("i1").compute(), x.astype("i1"))
    assert_same(la.array(x).astype("u1").compute(), x.astype("u1"))


def test_transpose_of_a_live_node_padded_for_broadcasting():
    a, b = rng.random((3, 4)), rng.random((2, 3, 4))
    x = la.array(a) * 2  # alive while its padded copy is built
    assert_same((x + la.array(b)).T.compute(), (a * 2 + b).T)
    assert x.shape == (3, 4)


def test_remembered_graphs_are_bounded_and_big_arrays_are_not_kept():
    for n in range(1, 80):
        (la.array(np.ones(n)) + 1).compute()
        (la.array(np.ones(n)) + 1).compute()
    assert len(recipes._remembered) <= recipes.REMEMBER_GRAPHS
    assert recipes._remembered_bytes <= recipes.REMEMBER_BYTES
    big = np.ones(recipes.REMEMBER_LEAF_BYTES // 8 + 1)
    alive = weakref.ref(big)
    for _ in range(3):
        (la.array(big) + 1).compute()
    del big
    gc.collect()
    assert alive() is None


def test_threads_share_recipes():
    a, b = rng.random(1000), rng.random(1000)
    want = np.cos(a) * b
    errors = []

    def work():
        try:
            with np.errstate(all="ignore"):  # errstate is per thread
                _work()
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def _work():
        for _ in range(200):
            assert_same((la.cos(la.array(a)) * la.array(b)).compute(), want, ulp=2)

    workers = [threading.Thread(target=work) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors


def test_compute_recipes_and_fuse_launch_through_the_one_launcher(monkeypatch, numba_tier):
    """Planned compute(), the recipe fast path and a fused call (its first and its cached calls) each look
    their kernel up by launch.map_key, the same key for the same kernel, and run it through a callable
    launch.entry made."""
    keys, launched, planned = [], [], []
    real_key, real_entry, real_plan = launch.map_key, launch.entry, evaluate.plan

    def spy_key(*args):
        keys.append(real_key(*args))
        return keys[-1]

    def spy_entry(compiled, parallel):
        run = real_entry(compiled, parallel)

        def counted(*args):
            launched.append(compiled.path)
            run(*args)

        return counted

    monkeypatch.setattr(launch, "map_key", spy_key)
    monkeypatch.setattr(launch, "entry", spy_entry)
    monkeypatch.setattr(evaluate, "plan", lambda roots: planned.append(1) or real_plan(roots))
    recipes.forget()  # a recipe made before the spies would hold a kernel launched without them
    a, b = rng.random(700), rng.random(700)
    want = a / 3.25 - b * b

    assert_same((la.array(a) / 3.25 - la.array(b) * la.array(b)).compute(), want)
    assert len(planned) == 1 and len(launched) == 1 and len(keys) == 1
    assert_same((la.array(a) / 3.25 - la.array(b) * la.array(b)).compute(), want)
    assert len(planned) == 1 and len(launched) == 2  # the recipe: not planned, launched all the same

    @la.fuse
    def f(x, y):
        return x / 3.25 - y * y

    for calls in (3, 4, 5):  # the first call builds the program, the others replay it
        assert_same(f(a, b), want)
        assert len(launched) == calls
    assert len(set(keys)) == 1 and len(keys) == 3  # one key, made by compute, the recipe and fuse alike
    assert len(set(launched)) == 1  # so one kernel
