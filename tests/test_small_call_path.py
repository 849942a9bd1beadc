"""(#14 small calls) Serial quick-tier launches go through the kernel's C entry (runtime/quick_entry.py), not
ctypes: which path answered (the entries' call counter), NumPy's bits, ``out=``'s checks, buffers that change
between calls, other threads, a forked child, the entry's own argument checks, and the ctypes fallback.

Every expression here is a flat map the quick tier compiles (no Numba kernel), float64 and int64 on 1,000
elements, so the file compiles a handful of quick kernels (~50-100 ms each) and no Numba kernel.
"""
from __future__ import annotations

import dataclasses
import os
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import llvm_tier
from lazyarr.runtime import llvm_launch, quick_entry, recipes
from oracle import assert_same

N = 1000
pytestmark = pytest.mark.skipif(not quick_entry.available(), reason="no C API entries in this interpreter")


@pytest.fixture(autouse=True)
def tier():
    config.set_quick_tier(True)
    yield
    config.set_quick_tier(None)


def data(dtype=np.float64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(N).astype(dtype), rng.standard_normal(N).astype(dtype)
    return rng.integers(-1000, 1000, N).astype(dtype), rng.integers(-1000, 1000, N).astype(dtype)


def expr(a, b):
    return la.array(a) * 2 + la.array(b)


def test_repeated_calls_are_answered_by_the_entry_with_numpys_bits():
    a, b = data()
    o = np.empty(N)
    for _ in range(5):  # the full path (ctypes, no entry made for a first call), the recipe, the ready launch
        before = quick_entry.calls()
        assert_same(expr(a, b).compute(), a * 2 + b)
        expr(a, b).compute(out=o)
        assert_same(o, a * 2 + b)
    assert quick_entry.calls() == before + 2  # the last round: both calls through the entry
    ready = recipes._ready[id(expr(a, b)._node)]
    assert quick_entry.is_entry(ready[2])


@pytest.mark.parametrize("dtype, constant", [(np.int64, 3), (np.float32, np.float32(0.1)), (np.bool_, True)])
def test_constants_of_each_kind_convert_as_before(dtype, constant):
    a, b = data(dtype, seed=1)
    if dtype is np.bool_:
        a, b = a > 0, b > 10

        def build(x, y):
            return (la.array(x) & constant) ^ la.array(y)
        want = (a & constant) ^ b
    else:
        def build(x, y):
            return la.array(x) * constant - la.array(y)
        want = a * constant - b
    before = quick_entry.calls()
    for _ in range(4):
        assert_same(build(a, b).compute(), want)
    assert quick_entry.calls() > before


def test_a_fused_function_calls_the_entry():
    a, b = data()

    @la.fuse
    def fused(x, y):
        return x * 2 + y

    fused(a, b)
    before = quick_entry.calls()
    for _ in range(3):
        assert_same(fused(a, b), a * 2 + b)
    assert quick_entry.calls() == before + 3


def test_out_of_a_wrong_shape_or_dtype_raises_as_before():
    a, b = data()
    for _ in range(3):
        expr(a, b).compute(out=np.empty(N))
    with pytest.raises(ValueError):
        expr(a, b).compute(out=np.empty(N - 1))
    with pytest.raises(TypeError):
        expr(a, b).compute(out=np.empty(N, np.int64))  # float64 -> int64 is not same_kind
    o32 = np.empty(N, np.float32)  # same_kind: computed, then cast as NumPy casts
    expr(a, b).compute(out=o32)
    assert_same(o32, (a * 2 + b).astype(np.float32))


def test_new_and_reallocated_buffers_are_never_read_through_a_stale_pointer(parallel_threshold):
    a, b = data()
    for _ in range(3):
        expr(a, b).compute()
    fresh = a + 1.0  # a new array of the same shape
    for _ in range(3):
        assert_same(expr(fresh, b).compute(), fresh * 2 + b)
    o = np.empty(N)
    for size in (None, 100):  # serial (the entry), then in chunks on threads (ctypes, addresses remembered)
        parallel_threshold(size)
        for _ in range(3):
            expr(a, b).compute(out=o)
        o.resize(50 * N)  # reallocated away and back: the same size, another buffer
        o.resize(N)
        o[:] = np.nan
        for _ in range(2):
            expr(a, b).compute(out=o)
            assert_same(o, a * 2 + b)
    held = a.copy()
    expr(held, b).compute()
    with pytest.raises(ValueError):  # a remembered graph holds it: NumPy refuses to move its buffer
        held.resize(2 * N)


def test_an_owned_arrays_address_is_read_every_call():
    a = np.zeros(N)
    assert llvm_launch.pointer(a) == a.ctypes.data
    a.resize(50 * N)
    a.resize(N)
    assert llvm_launch.pointer(a) == a.ctypes.data
    view = a[1:]
    assert llvm_launch.pointer(view) == llvm_launch.pointer(view) == a.ctypes.data + 8


def test_other_threads_call_the_same_entry():
    a, b = data()
    expr(a, b).compute()
    results, errors = {}, []

    def work(i):
        try:
            x = a + i
            for _ in range(50):
                results[i] = expr(x, b).compute()
        except Exception as e:  # reported below: an assertion in a thread would be lost
            errors.append(e)

    before = quick_entry.calls()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        assert_same(results[i], (a + i) * 2 + b)
    assert quick_entry.calls() > before


def test_a_serial_call_at_a_large_size_runs_through_the_entry():
    # one thread: a serial launch of more than RELEASE_GIL elements (the entry releases the GIL around it)
    a = np.linspace(-3, 3, 3 * quick_entry.RELEASE_GIL)
    b = a[::-1].copy()
    before = quick_entry.calls()
    with la.num_threads(1):
        for _ in range(3):
            assert_same(expr(a, b).compute(), a * 2 + b)
    assert quick_entry.calls() > before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_calls_the_entry():
    a, b = data()
    for _ in range(3):
        expr(a, b).compute()
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            before = quick_entry.calls()
            x = a - 1.0
            ok = all(np.array_equal(expr(x, b).compute(), x * 2 + b) for _ in range(3))
            ok = ok and np.array_equal(expr(a, b).compute(), a * 2 + b) and quick_entry.calls() > before
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def _kernel_of_expr():
    """The quick kernel of `expr`: among the kernels in memory with its signature (an earlier test file's kernels
    may have the same one, e.g. ``a * k - b``), the one that computes ``a * 2 + b``."""
    a, b = data()
    expr(a, b).compute()
    o = np.empty(N)
    for k in list(llvm_tier._memo.values()):
        if k is not None and k.n_inputs == 2 and k.n_outputs == 1 and k.const_dtypes == (np.dtype(np.float64),):
            llvm_launch.caller(k, False)(a, b, np.float64(2.0), o)
            if np.array_equal(o, a * 2 + b):
                return k
    raise AssertionError("no quick kernel of a * 2 + b in memory")


def test_the_entry_checks_its_arguments():
    entry = quick_entry.entry_for(_kernel_of_expr())
    a, b = data()
    o = np.empty(N)
    entry(a, b, 2.0, o)
    assert_same(o, a * 2 + b)
    with pytest.raises(TypeError, match="expected 4 arguments"):
        entry(a, b, 2.0)
    with pytest.raises(TypeError, match="not a NumPy array"):
        entry(a, [1.0] * N, 2.0, o)
    with pytest.raises(TypeError):
        entry(a, b, "2", o)  # a constant that does not convert: Python's own error
    assert_same(o, a * 2 + b)  # nothing written by the refused calls


def test_without_entries_the_ctypes_call_answers(monkeypatch):
    kernel = _kernel_of_expr()
    monkeypatch.setattr(quick_entry, "entry_for", lambda k: None)
    call = llvm_launch.caller(kernel, False)
    assert not quick_entry.is_entry(call)
    a, b = data()
    o = np.empty(N)
    call(a, b, np.float64(2.0), o)
    assert_same(o, a * 2 + b)


def test_an_entry_that_cannot_be_made_leaves_the_ctypes_call(monkeypatch):
    kernel = _kernel_of_expr()
    # a signature no kernel here has (three int16 constants), under a name no entry has; the entries already
    # made (another test file may have made this signature's) are set aside for this test
    odd = dataclasses.replace(kernel, name="lazyarr_q_test_no_entry", const_dtypes=(np.dtype(np.int16),) * 3)
    monkeypatch.setattr(quick_entry, "_methods", {})

    def failing(*signature):
        raise RuntimeError("no LLVM today")

    monkeypatch.setattr(quick_entry, "_compile", failing)
    with pytest.warns(RuntimeWarning, match="could not be made"):
        assert quick_entry.entry_for(odd) is None
    assert quick_entry.entry_for(odd) is None  # remembered: no second try, no second warning
    assert not quick_entry.is_entry(llvm_launch.caller(odd, False))


def test_a_comparison_of_signed_and_unsigned_integers_is_exact():
    # NumPy 2 compares int64 with uint64 exactly (its own mixed loop); the quick tier computes each op in one
    # dtype, so it leaves such a loop to Numba instead of comparing the uint64 as a signed number
    a = np.arange(-3, 5, dtype=np.int64)
    big = np.uint64(2**63 + 5)
    for _ in range(3):
        assert_same(((la.array(a) > big) | (la.array(a) == big)).compute(), (a > big) | (a == big))
