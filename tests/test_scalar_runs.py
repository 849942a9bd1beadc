"""Fused loops of scalar work (#15, go_fast): a run of 0-d ufunc stages is replayed as one generated Python
function (tracer/scalar_runs.py). NumPy's values bit for bit on every replay, for the operators it writes as
scalar arithmetic (float64) and the ufuncs it calls; only values read after the run are stored.

Small arrays; the 10x10 float64 `a + t` kernel is shared with tests/test_program_overhead.py.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.tracer import program
from lazyarr.tracer.scalar_ufuncs import ScalarUfuncs
from lazyarr.tracer.scalar_runs import compile_run, compile_runs

rng = np.random.default_rng(1516)
F64 = np.dtype(np.float64)


def scalar_chain(a):
    """Every operator the generated code writes as scalar arithmetic, and ufuncs it calls, over the diagonal.
    The tanh makes the chain costly, so it is hoisted out of the `a + t` kernel: 0-d stages, one run."""
    t = a[0, 0] * 0
    for i in range(a.shape[0]):
        x = a[i, i]
        t = t + np.tanh(x) - x * t / (x + 3)
    return a + t


@pytest.mark.parametrize("dtype", ["float64", "float32"])  # (a complex chain is one kernel: slow to compile)
def test_a_scalar_run_gives_numpys_bits_for_each_dtype(dtype, monkeypatch):
    runs = []
    monkeypatch.setattr(program, "compile_runs", lambda ops, *rest: runs.append(ops) or compile_runs(ops, *rest))
    fused = la.fuse(scalar_chain)
    for _ in range(3):  # the first call traces; the next ones replay the generated run with other values
        a = rng.standard_normal((10, 10)).astype(dtype)
        got, want = fused(a), scalar_chain(a)
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()   # NumPy's own ufuncs and scalar operators: NumPy's bits
    grouped = [len(op.calls) for ops in runs for op in ops if type(op) is ScalarUfuncs]
    assert len(runs) == 1 and grouped and max(grouped) >= 40  # one trace; its chain replayed as one run


def partial_sums(a):
    t = 0.0
    for i in range(a.shape[0]):
        t += np.tanh(a[i, i])
        if i == 1:
            mid = np.sqrt(t * t)                  # read after the run by the kernel: stored from the run
    return a * mid + t


def test_values_read_after_the_run_reach_the_kernels_that_read_them():
    fused = la.fuse(partial_sums)
    for _ in range(2):
        a = rng.standard_normal((10, 10))
        np.testing.assert_array_equal(fused(a), partial_sums(a))


def test_a_generated_run_stores_only_the_values_read_after_it():
    x, y = np.asarray(0.25), np.asarray(1.5)
    calls = [(np.tanh, [0], 2, F64), (np.add, [1, 2], 3, F64), (np.multiply, [3, 3], 4, F64)]
    run = compile_run(calls, stored={4})
    v = [x, y, None, None, None]
    run(v, ())
    assert v[2] is None and v[3] is None             # intermediates stay local variables
    assert type(v[4]) is np.ndarray and v[4].dtype == F64 and v[4].shape == ()
    want = (y + np.tanh(x)) * (y + np.tanh(x))
    assert v[4].tobytes() == np.asarray(want).tobytes()
    assert "s2 + s3" not in run.source and "s1 + s2" in run.source   # + is the scalar operator
    assert "u0(s0)" in run.source                                   # tanh is NumPy's ufunc


def test_compile_runs_keeps_outputs_and_values_other_ops_read():
    calls = [(np.negative, [0], 1, F64), (np.add, [1, 1], 2, F64), (np.sqrt, [2], 3, F64)]
    ops = [ScalarUfuncs(list(calls)), "other op"]
    compiled = compile_runs(ops, reads=[{0, 1, 2}, {1}], keep={3}, run_type=ScalarUfuncs)
    assert compiled[1] == "other op"
    v = [np.asarray(2.0), None, None, None]
    compiled[0](v, ())
    assert v[1] == -2.0 and v[2] is None             # v[1] is read by the other op, v[2] by nothing after
    assert v[3].shape == () and np.isnan(v[3])        # sqrt(-4): NaN, NumPy's warning silenced


def running_sum_with_a_copy(a):
    t = 0.0
    for i in range(a.shape[0]):
        t += a[i, i]
        if i == 0:
            first = t     # NumPy: a scalar, which the next += does not change
    return first, t


def test_lazy_scalar_in_place_ops_leave_earlier_names_as_numpys_scalars_do():
    a = rng.standard_normal((4, 4))
    # (elements of an expression: lazy 0-d reads; an element of la.array(a) is NumPy's scalar itself)
    first, total = running_sum_with_a_copy(la.array(a) * 1.0)
    want_first, want_total = running_sum_with_a_copy(a)
    assert first.compute() == want_first and total.compute() == want_total
    z = la.zeros(())      # a 0-d *array* (np.zeros(())): += writes into it, and its aliases see that
    alias = z
    z += 1.0
    z += 1.0
    assert alias is z and alias.compute() == 2.0
