"""(s17 exitsegv) Parallel launches on lazyarr's thread pools when a pool refuses work: the call is answered anyway.

A daemon thread still computing when the main thread exits finds ``concurrent.futures`` shut down (its module
flag ``_shutdown``, set by the interpreter's exit): ``submit`` raised RuntimeError into the thread, a traceback at
exit (10 of 20 processes of ``tools/exit_stress.py bg_daemon``; docs/runtime.md, "Exit (session 17, exitsegv)").
A pool replaced by a bigger one (``llvm_launch._thread_pool``) is shut down while another thread may still
submit to it. Either way the refused chunks now run on the calling thread, with the same bits.
"""
import concurrent.futures.thread as futures_thread
import types
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.kernels import threads
from lazyarr.runtime import llvm_launch, numpy_rows

pytestmark = pytest.mark.skipif(threads.planned_num_threads() < 2, reason="one thread: no chunk goes to a pool")


@pytest.fixture
def pools_asked(monkeypatch):
    """The worker counts lazyarr's quick-tier launches asked the pool for (the test is void without one)."""
    asked = []
    real = llvm_launch._thread_pool

    def recording(workers):
        asked.append(workers)
        return real(workers)

    monkeypatch.setattr(llvm_launch, "_thread_pool", recording)
    return asked


def _cases():
    rng = np.random.default_rng(1717)
    a = rng.random(1 << 20)
    m = rng.random((4096, 300))
    return [
        ("map", lambda x, y: x * 3.0 + y, (a, a[::-1].copy())),
        ("sum", lambda x, y: (x * y).sum(), (a, a[::-1].copy())),
        ("rows", lambda x, y: (x * 2.0).sum(axis=1) + y[:4096], (m, a)),
    ]


@pytest.mark.parametrize("name, fn, args", _cases(), ids=[c[0] for c in _cases()])
@pytest.mark.parametrize("mode", ["fuse", "lazy"])
def test_a_launch_after_the_interpreter_began_shutting_down_is_answered(monkeypatch, pools_asked, name, fn, args,
                                                                        mode):
    run = la.fuse(fn) if mode == "fuse" else (lambda *a: np.asarray(fn(*map(la.array, a))))
    expected = run(*args)  # (the kernel made and the pool started before the flag is set)
    pools_asked.clear()
    monkeypatch.setattr(futures_thread, "_shutdown", True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fused call that raised fell back to NumPy with an EagerWarning
        got = run(*args)
    assert pools_asked, "no launch went to the pool: the test would check nothing"
    np.testing.assert_array_equal(got, expected)
    if name == "map":  # exact arithmetic: NumPy's bits too
        np.testing.assert_array_equal(got, fn(*args))


def test_a_launch_on_a_pool_shut_down_by_another_thread_is_answered(pools_asked):
    fn, args = _cases()[0][1:]
    expected = la.fuse(fn)(*args)
    pool = llvm_launch._thread_pool(1)
    pool.shutdown(wait=True)  # as ``_thread_pool`` does to a pool it replaces, under another thread's launch
    pools_asked.clear()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = la.fuse(fn)(*args)
        assert pools_asked and llvm_launch._pool is pool, "the shut-down pool was not the one asked"
        np.testing.assert_array_equal(got, expected)
    finally:
        with llvm_launch._pool_lock:
            llvm_launch._pool, llvm_launch._pool_size = None, 0  # a live pool for the next tests


def test_numpy_rows_after_the_interpreter_began_shutting_down(monkeypatch):
    """NumPy's argmax on row blocks, all but the first on ``numpy_rows``' pool (called as the runtime does for
    a bare argmax of a writeable array: evaluate.py)."""
    m = np.random.default_rng(17).random((8192, 160))
    m[:, 7] = m[:, 90]  # ties: NumPy's first index
    k = types.SimpleNamespace(shape=m.shape, node=types.SimpleNamespace(params=types.SimpleNamespace(name="argmax")))
    assert numpy_rows.blocks(k) > 1
    monkeypatch.setattr(futures_thread, "_shutdown", True)
    out = np.empty(m.shape[0], np.intp)
    numpy_rows.run(k, m, out)
    np.testing.assert_array_equal(out, m.argmax(axis=1))
