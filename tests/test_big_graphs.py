"""Graphs with thousands of nodes or inputs (issue #11, item 5): each kernel stays within the caps of
``schedule`` (Numba's compile time grows faster than linearly with a kernel's size), a graph built by a loop
compiles a few kernels however long the loop, and no deep graph is walked recursively.

Every test checks the plan's caps before computing: with one uncapped kernel the compute would not finish.
"""
from __future__ import annotations

import numpy as np

import lazyarr as la
from lazyarr.compiler import schedule
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, plan

N = 2000  # deeper than Python's recursion limit, and far beyond what one kernel may take


def capped_plan(*roots) -> list:
    """The plan of `roots`, after checking that every kernel in it respects the caps."""
    steps = plan([r._node for r in roots])
    for step in steps:
        if isinstance(step, MapKernel):
            assert len(step.body) <= schedule.MAX_KERNEL_NODES, len(step.body)
            assert len(step.inputs) + len(step.consts) <= schedule.MAX_KERNEL_ARGS, len(step.inputs)
    return steps


def numpy_loop(a: np.ndarray):
    t = np.zeros(())
    for i in range(len(a)):
        t = t + np.tanh(a[i, i])
    return t


def test_a_sum_over_two_thousand_views_is_cut_into_chunks_of_one_structure():
    a = np.random.default_rng(0).random((N, N))
    A, t = la.array(a), la.array(np.zeros(()))
    for i in range(N):
        t = t + np.tanh(A[i, i])
    steps = capped_plan(t)
    assert all(type(s) is MapKernel for s in steps)
    # Every chunk reads the previous one's result and as many views as the caps allow: about N / 31 kernels,
    # of two structures (the full chunks, which the first one is too, and the rest at the end).
    assert len(steps) <= N // (schedule.MAX_KERNEL_ARGS - 1) + 2
    assert len({step.key for step in steps}) <= 2

    before = la.cache_info()
    value = np.asarray(t)
    first = la.cache_info()
    assert value.dtype == np.float64 and value.shape == ()
    np.testing.assert_allclose(value, numpy_loop(a), rtol=1e-13)
    assert first.compiles - before.compiles <= 2
    assert first.misses - before.misses <= 2

    # The same graph shape again (other views, other values) reuses the kernels.
    b = np.random.default_rng(1).random((N, N))
    B, u = la.array(b), la.array(np.zeros(()))
    for i in range(N):
        u = u + np.tanh(B[i, i])
    np.testing.assert_allclose(np.asarray(u), numpy_loop(b), rtol=1e-13)
    again = la.cache_info()
    assert again.compiles == first.compiles and again.misses == first.misses


@la.fuse
def diagonal_tanh_sum(a):
    t = 0
    for i in range(len(a)):
        t = t + np.tanh(a[i, i])
    return t


def test_a_fused_loop_over_two_thousand_views_compiles_a_few_kernels():
    a = np.random.default_rng(2).random((N, N))
    capped_plan(diagonal_tanh_sum(la.array(a)))  # called with a LazyArray: the graph the trace plans
    before = la.cache_info()
    value = diagonal_tanh_sum(a)
    first = la.cache_info()
    np.testing.assert_allclose(value, numpy_loop(a), rtol=1e-13)
    # the chunk with the int 0, the full chunks, the rest, and (s13 gofast) the kernel looping over the full
    # chunks that stands for them from the second call on (tracer/scalar_chains.py)
    assert first.compiles - before.compiles <= 4
    b = np.random.default_rng(3).random((N, N))
    np.testing.assert_allclose(diagonal_tanh_sum(b), numpy_loop(b), rtol=1e-13)
    assert la.cache_info().compiles == first.compiles


def test_a_deep_elementwise_chain_under_a_reduction():
    x = np.linspace(-1, 1, 7)
    t, ref = la.array(x), x
    for i in range(N):
        t = t * 0.5 + np.float64(i % 3)
        ref = ref * 0.5 + np.float64(i % 3)
    s = t.sum()
    steps = capped_plan(s)
    assert type(steps[-1]) is ReduceKernel  # the last chunk is still fused into the reduction
    assert len(steps[-1].body) <= schedule.MAX_KERNEL_NODES
    assert len({step.key for step in steps[:-1]}) <= 3
    np.testing.assert_allclose(np.asarray(s), ref.sum(), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(t), ref, rtol=1e-14)


def test_a_deep_chain_of_stages_is_planned_without_recursion():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    t, ref = la.array(x), x
    for _ in range(N):  # np.sort is a NumPy stage: stage, kernel, stage, ... N deep
        t = np.sort(-t) + 1.0
        ref = np.sort(-ref) + 1.0
    capped_plan(t)
    np.testing.assert_array_equal(np.asarray(t), ref)


def test_cut_chunks_of_two_shapes_with_shared_values_and_an_intermediate_root():
    rng = np.random.default_rng(4)
    x, y = rng.random((5, 1)), rng.random((1, 4))
    X, Y = la.array(x), la.array(y)
    s, w, S, W = la.array(np.zeros((5, 1))), la.array(np.zeros((5, 4))), np.zeros((5, 1)), np.zeros((5, 4))
    for i in range(300):
        s = s + np.tanh(X + i * 0.01)     # (5, 1): read by the (5, 4) chain and by the next step
        w = w * 0.5 + s * Y               # (5, 4)
        S = S + np.tanh(x + i * 0.01)
        W = W * 0.5 + S * y
        if i == 10:
            early, EARLY = w, W           # a root computed in the first chunks
    steps = capped_plan(w, s, early)
    assert len({step.shape for step in steps}) == 2
    got = la.compute(w, s, early)
    for g, want in zip(got, (W, S, EARLY)):
        assert g.shape == want.shape and g.dtype == want.dtype
        np.testing.assert_allclose(g, want, rtol=1e-13)


def test_zero_d_kernels_call_the_c_library_not_inlined_vector_math(numba_tier):  # Numba's source (#14 quick math)
    """A 0-d kernel computes one element: the blocked vector loop would only inline a polynomial per node into
    it, which made the 64-node chunks of the n = 2000 tanh loop ~10x slower to compile."""
    zero_d = np.tanh(la.array(np.array(0.5))) + 1
    one_d = np.tanh(la.array(np.linspace(0, 1, 8))) + 1
    assert "V." not in zero_d.explain()
    assert "V." in one_d.explain()
    np.testing.assert_array_equal(zero_d.compute(), np.tanh(np.array(0.5)) + 1)
