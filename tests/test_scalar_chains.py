"""(s13 gofast) Fused loops of scalar work, run as a few calls instead of one per element or per chunk.

Two plans of the same loop (``trace += np.tanh(a[i, i])``):

* hoisted out of a large map (go_fast's ``a + trace``): a run of 0-d ufunc stages, replayed as array ufunc
  calls on the gathered elements and one ``accumulate`` (tracer/scalar_vector.py): NumPy's bits;
* fused into 0-d map kernels (a scalar result, or a small map): chunks of one structure, run as one chain
  kernel over elements gathered per call (tracer/scalar_chains.py): the chunk kernels' bits.

Every fused call is compared with NumPy on new values, after the first (which traces and runs the chunks).
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.tracer import program, scalar_chains, scalar_vector, segments

rng = np.random.default_rng(1513)


def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


def trace_plus(a, b):
    """go_fast's loop, its result feeding a map too small to hoist it: 0-d map kernels."""
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return b + trace


def cross(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[i, j] * b[j, i]
    return s


def weighted(a):
    """Each chunk's constants differ (the loop's i): one array of them per constant of the chain kernel."""
    s = 0.0
    for i in range(a.shape[0]):
        s += i * a[i, i]
    return s


def carry_second(a):
    """The carry as the second operand (add is commutative)."""
    t = 0.0
    for i in range(a.shape[0]):
        t = np.sin(a[i, 0]) + t
    return a * t


def minus(a):
    """A chain of a non-commutative ufunc, its carry first; the elements of a column."""
    u = 1.0
    for i in range(a.shape[0]):
        u = u - np.exp(a[i, 3])
    return a + u


def same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def spy(monkeypatch, module, name: str) -> list:
    """The results of every call of program.<name> (the folds ``build`` applies)."""
    found, real = [], getattr(module, name)

    def call(*args, **kwargs):
        out = real(*args, **kwargs)
        found.append(out)
        return out

    monkeypatch.setattr(module, name, call)
    return found


@pytest.mark.parametrize("fn, shapes", [(go_fast, [(300, 300)]), (carry_second, [(60, 60)]), (minus, [(60, 60)])])
def test_a_hoisted_chain_runs_as_array_calls_with_numpys_bits(fn, shapes, monkeypatch):
    folds = spy(monkeypatch, program, "vectorise_runs")
    built = spy(monkeypatch, segments, "build")
    fused = la.fuse(fn)
    for _ in range(3):  # the first call traces and replays stage by stage; the next ones the array calls
        args = [rng.standard_normal(s) for s in shapes]
        same(fused(*args), fn(*args))
    (ops, _, _), = folds
    assert sum(hasattr(op, "gathered") for op in ops) == 1  # the whole loop: one op
    (p, _), = built
    assert not p.views  # its elements are gathered per call, none bound one by one
    assert ".accumulate) (tracer/scalar_vector.py)" in fused.explain(*args)  # explain() says how the loop runs


def test_the_elements_are_read_on_every_call():
    fused = la.fuse(go_fast)
    a = rng.standard_normal((200, 200))
    same(fused(a), go_fast(a))
    a[7, 7], a[199, 199] = 40.0, -3.0  # written between calls: the same arrays, new element values
    same(fused(a), go_fast(a))
    b = np.asfortranarray(rng.standard_normal((200, 200)))  # other strides: another program, same values
    same(fused(b), go_fast(b))


@pytest.mark.parametrize("fn, shapes, n", [(trace_plus, [(1200, 1200), (3,)], 1200),
                                           (cross, [(30, 30), (30, 30)], 900), (weighted, [(800, 800)], 800)])
def test_a_long_chain_of_chunks_is_one_kernel(fn, shapes, n, monkeypatch):
    folds = spy(monkeypatch, program, "fold_chains")
    built = spy(monkeypatch, segments, "build")
    before = scalar_chains.stats()
    fused = la.fuse(fn)
    args = [rng.standard_normal(s) for s in shapes]
    first = fused(*args)
    same(fused(*args), first)  # the chunks (first call) and the chain kernel give the same bits
    for _ in range(2):
        args = [rng.standard_normal(s) for s in shapes]
        got, want = fused(*args), fn(*args)
        np.testing.assert_allclose(got, want, rtol=1e-12)
        if fn is not trace_plus:
            same(got, want)  # exact arithmetic: NumPy's bits
    (ops, _, _), = folds
    (p, _), = built
    views = p.views
    chains = [op for op in ops if hasattr(op, "chunks")]
    assert len(chains) == 1  # one compiled kernel for the chain
    assert chains[0].chunks >= n // 40  # ... standing for dozens of chunk kernels (~30 iterations each)
    assert scalar_chains.stats()["chunks"] - before["chunks"] == chains[0].chunks
    assert len(views) < 3 * 32  # the chain's elements are gathered, only the first and last chunks' are bound
    assert f"{chains[0].chunks} 0-d map kernels of one structure" in fused.explain(*args)


def test_a_written_source_is_read_by_the_chain_kernel():
    fused = la.fuse(trace_plus)
    a, b = rng.standard_normal((600, 600)), np.ones(2)
    fused(a, b)
    first = fused(a, b)
    a[300, 300] += 5.0  # an element a middle chunk reads
    np.testing.assert_allclose(fused(a, b), first + (np.tanh(a[300, 300]) - np.tanh(a[300, 300] - 5.0)),
                               rtol=1e-12)
    np.testing.assert_allclose(fused(a, b), trace_plus(a, b), rtol=1e-12)


def test_the_chain_kernel_of_numbas_chunks_gives_their_bits(numba_tier):
    """With Numba's 0-d kernels (the C library's tanh), the chain kernel calls the same functions."""
    fused = la.fuse(trace_plus)
    a, b = rng.standard_normal((900, 900)), np.zeros(3)
    first = fused(a, b)
    same(fused(a, b), first)
    np.testing.assert_allclose(first, trace_plus(a, b), rtol=1e-12)


def test_two_accumulators_and_a_value_read_mid_loop(monkeypatch):
    """Each value read after the run ends a chain: two accumulators, and one read mid-loop, whose next chain
    starts from it."""
    def two(a):
        t, u = 0.0, 1.0
        for i in range(a.shape[0]):
            t += np.tanh(a[i, i])
            u = u * np.cos(a[i, 0])
            if i == 20:
                mid = t
        return a * mid + t - u

    folds = spy(monkeypatch, program, "vectorise_runs")
    fused = la.fuse(two)
    for _ in range(3):
        a = rng.standard_normal((64, 64))
        same(fused(a), two(a))
    (ops, _, _), = folds
    (op,) = [op for op in ops if hasattr(op, "gathered")]
    assert op.note.count(".accumulate") == 3  # t to i = 20, t from there, u


def test_free_work_reading_a_chain_keeps_the_stage_by_stage_run():
    def feedback(a):
        t = 0.0
        for i in range(a.shape[0]):
            t += np.tanh(a[i, i] * t)  # each element's work waits for the last sum
        return a + t

    before = scalar_vector.stats()
    fused = la.fuse(feedback)
    for _ in range(2):
        a = rng.standard_normal((64, 64))
        same(fused(a), feedback(a))
    assert scalar_vector.stats()["runs"] == before["runs"]
