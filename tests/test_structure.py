"""Structure, not only values: how many kernels a graph becomes, and what a second call compiles."""
from __future__ import annotations

import numpy as np

import lazyarr as la
from lazyarr.graph.expr import walk
from lazyarr.compiler.schedule import MapKernel, plan
from values import seeded_rand


def kernels(e) -> list:
    return [s for s in plan([e._node]) if isinstance(s, MapKernel)]


def ten_op_expression(a, b, c):
    return la.sqrt(la.abs(a * 2 + b * c - la.sin(a) / (1 + c ** 2))) + la.where(b > 0.5, a, c) * 3


def test_a_ten_op_expression_is_one_kernel():
    A, B, C = (la.array(seeded_rand(seed, 50)) for seed in (101, 102, 103))
    e = ten_op_expression(A, B, C)
    assert sum(1 for n in walk([e._node]) if n.op not in ("leaf", "const")) >= 10
    assert len(kernels(e)) == 1
    assert len(plan([e._node])) == 1


def test_second_call_with_new_data_and_size_compiles_nothing():
    def run(n):
        A, B, C = (la.array(seeded_rand(seed, n)) for seed in (201, 202, 203))
        return ten_op_expression(A, B, C).compute()

    run(100)
    before = la.cache_info()
    run(100)
    run(777)  # a new size reuses the kernel: sizes are never part of the key
    after = la.cache_info()
    assert after.compiles == before.compiles
    assert after.hits >= before.hits + 2


def test_parallel_and_serial_kernels_for_large_and_small_inputs(parallel_threshold, numba_tier):
    parallel_threshold(1000)
    small, large = seeded_rand(3, 10), seeded_rand(4, 5000)
    assert "parallel=False" in (la.array(small) * 2 + 1).explain()
    text = (la.array(large) * 2 + 1).explain()
    assert "parallel=True" in text and "numba.prange" in text
    np.testing.assert_array_equal((la.array(large) * 2 + 1).compute(), large * 2 + 1)


def test_common_subexpressions_are_one_node_and_computed_once():
    A = la.array(seeded_rand(5, 10))
    e = (A * 2 + 1) * la.sin(A * 2 + 1)
    body = kernels(e)[0].body
    assert sum(1 for n in body if n.op == "add") == 1
    assert sum(1 for n in body if n.op == "multiply") == 2


def test_each_input_is_read_once_per_element():
    a = seeded_rand(6, 10)
    A = la.array(a)
    k = kernels(A * A + la.sin(A) - A)[0]
    assert len(k.inputs) == 1


def test_layout_classes_share_kernels():
    x = seeded_rand(7, 6, 8)
    for variant in (x, np.asfortranarray(x), x.astype(">f8")):  # all "flat"
        (la.array(variant) * 3 - 1).compute()
    before = la.cache_info().compiles
    (la.array(seeded_rand(8, 3, 5)) * 3 - 1).compute()
    (la.array(seeded_rand(9, 2, 2)[:, ::-1].copy()) * 3 - 1).compute()
    assert la.cache_info().compiles == before


def test_several_outputs_of_one_shape_share_one_kernel():
    A, B = la.array(seeded_rand(10, 20)), la.array(seeded_rand(11, 20))
    steps = plan([(A + B)._node, (A * B)._node, la.sin(A)._node])
    assert len(steps) == 1 and len(steps[0].outputs) == 3


def test_cache_key_ignores_constant_values():
    A = la.array(seeded_rand(12, 20))
    (A * 2.0 + 1.0).compute()
    before = la.cache_info().compiles
    np.testing.assert_array_equal((A * 5.0 + 3.0).compute(), A.compute() * 5.0 + 3.0)
    assert la.cache_info().compiles == before


def test_explain_allocates_no_full_size_arrays():
    """explain() shows the kernel a step compiles to for its inputs' layout; an input that an earlier step
    computes (here the BLAS product, 8 MB) is stood in for, not allocated."""
    import tracemalloc
    X = la.array(seeded_rand(13, 1000, 1000))
    e = (X @ X) * 2 + 1
    tracemalloc.start()
    try:
        text = e.explain()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "layout=flat" in text
    assert peak < 2_000_000, peak
