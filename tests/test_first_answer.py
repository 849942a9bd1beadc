"""Background compilation's first answer, second round (#14): what it no longer pays for.

Counted and compared, never timed: the first graph of a fresh process leaves Numba's ufunc table unfilled (the
builder answers from NumPy's loop list, which must agree with Numba's table); NumPy's answer in cache-sized
blocks (``runtime/blockwise``) gives NumPy's bits for maps and axis reductions, a full sum within its summation
order, and leaves inputs alone; the compile worker is started by ``import lazyarr`` and is handed a call's jobs
when the call ends, and a thread that waits for such a job inside a call still gets it.

No kernel is compiled in the blockwise tests: every kernel is reported as compiling (``cache.get`` answers
None), so NumPy answers every call, as on a first call with background compilation. The quick tier (#14)
compiles simple maps in the caller's thread instead of answering with NumPy, so it is off here: these tests
are about the Numba path's first answer.
"""
import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.api import build
from lazyarr.compiler import cache
from lazyarr.graph.ops import ELEMENTWISE
from lazyarr.kernels import numba_glue
from lazyarr.runtime import blockwise
from lazyarr.runtime import serial_first

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# --- the ufunc loops the builder answers without Numba's table --------------------------------------------------

def _asks_numbas_table(op) -> bool:
    """Whether some real loop of `op` reaches ``build._numba_has_loop`` (not refused, not a helper template)."""
    return any(kind not in op.numpy_for_kinds and not op.template(np.dtype(kind)).startswith("S.")
               for kind in "?bhilqBHILQfd")


def test_the_loops_answered_from_numpys_list_are_exactly_numbas_table():
    asked = [op for op in ELEMENTWISE.values() if op.ufunc is not None and _asks_numbas_table(op)]
    assert {"add", "multiply", "sin", "exp", "square"} <= {op.name for op in asked}
    for op in asked:
        table = numba_glue.ufunc_loops(op.ufunc)  # a KeyError here: the builder would ask for a missing ufunc
        for signature in op.ufunc.types:
            ins, out = signature.split("->")
            if "O" in signature or len(out) != 1:
                continue
            loop_in = tuple(np.dtype(c) for c in ins)
            assert build._numba_has_loop(op.ufunc, loop_in, np.dtype(out)) == (signature in table), (op.name,
                                                                                                  signature)


def test_a_fresh_process_answers_its_first_call_without_numbas_ufunc_table(tmp_path):
    # The worker's compile is made to fail at once (nothing compiles while the table is checked); then a compile
    # in the caller's thread must fill the table first (cache._build), under lazyarr's lock.
    script = textwrap.dedent("""
        import sys
        import numpy as np
        import lazyarr as la
        from lazyarr import config
        from lazyarr.compiler import cache
        from numba.np import ufunc_db

        real = cache._compile
        def refused(make_source, **kwargs):
            raise RuntimeError("held")
        cache._compile = refused
        a = np.linspace(0, 1, 500)
        got = (2 * la.array(a) + 3 * np.sin(la.array(a)) * la.array(a) - 1).compute()
        assert la.cache_info().interpreted == 1
        np.testing.assert_array_equal(got, 2 * a + 3 * np.sin(a) * a - 1)
        assert cache.wait_for_compiles(60)
        print("table after the first answer:", ufunc_db._ufunc_db is None, "numba.np.npyfuncs" in sys.modules)
        cache._compile = real
        config.set_background_compile(False)
        np.testing.assert_array_equal((la.array(a) * 7 - 2).compute(), a * 7 - 2)
        print("table after a compile:", ufunc_db._ufunc_db is not None and np.add in ufunc_db._ufunc_db)
    """)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE="1", LAZYARR_WARMUP="0",
               LAZYARR_QUICK_TIER="0",  # (#14) the Numba path's first answer is the subject
               PYTHONPATH=os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "table after the first answer: True False" in proc.stdout
    assert "table after a compile: True" in proc.stdout


# --- NumPy's answer in blocks ----------------------------------------------------------------------------------

rng = np.random.default_rng(1414)
A, B = rng.random(1001), rng.random(1001)
X = rng.random((37, 53))
I32 = rng.integers(-100, 100, 1001, dtype=np.int32)
F32 = rng.random(1001).astype(np.float32)
XF = np.asfortranarray(rng.random((37, 53)))

# name -> (function of (M, a, b, x, i, f, xf) for M in (numpy, lazy operands), what must hold): "bits" NumPy's
# bytes; "close" NumPy's value within the summation order; "whole": NumPy's bytes, not cut (whole arrays)
MAPS = {
    "chain": (lambda M, a, b, x, i, f, xf: 2 * a + 3 * b * a - b, "bits"),
    "vector function": (lambda M, a, b, x, i, f, xf: a * 5 + M.sin(b) * a, "bits"),
    "mixed dtypes": (lambda M, a, b, x, i, f, xf: f * 2.5 + i - a, "bits"),
    "int wraparound": (lambda M, a, b, x, i, f, xf: i * i * 70000 - i, "bits"),
    "broadcast operands": (lambda M, a, b, x, i, f, xf: x[:, :1] * x[:1, :] + x, "bits"),
    "fortran order": (lambda M, a, b, x, i, f, xf: xf * 2 + x, "bits"),
    "where over a mask": (lambda M, a, b, x, i, f, xf: M.where(a > b, a * 2, b - 1), "bits"),
}
REDUCTIONS = {
    "sum of squares": (lambda M, a, b, x, i, f, xf: ((a - b) ** 2).sum(), "close"),
    "row sums": (lambda M, a, b, x, i, f, xf: (x * 2).sum(axis=1), "bits"),
    "column sums": (lambda M, a, b, x, i, f, xf: (x * 2).sum(axis=0), "bits"),
    "row max": (lambda M, a, b, x, i, f, xf: (x - 0.5).max(axis=1), "bits"),
    "max": (lambda M, a, b, x, i, f, xf: (a - b).max(), "bits"),
    "int sum": (lambda M, a, b, x, i, f, xf: (i * 3).sum(), "bits"),
    "any": (lambda M, a, b, x, i, f, xf: (a > 0.999).any(), "bits"),
    "all": (lambda M, a, b, x, i, f, xf: (a < 0.999).all(), "bits"),
    "prod": (lambda M, a, b, x, i, f, xf: (a * 0.01 + 0.995).prod(), "close"),
    "argmax is not cut": (lambda M, a, b, x, i, f, xf: (a * b).argmax(), "whole"),
}


@pytest.fixture(autouse=True)
def _numba_path(numba_tier):
    """(#14) Every map through the Numba path, whose first answer these tests are about."""


@pytest.fixture
def compiling(monkeypatch):
    """Every kernel is compiling (NumPy answers every call); blocks of 1 KB; records what blockwise answered.
    Every expression takes the planned path, as one seen before does (a new one at these serial sizes would be
    answered over its raw graph, without blocks: ``runtime/serial_first``, tested in test_serial_first.py)."""
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    monkeypatch.setattr(serial_first, "answer", lambda root, plan_and_run: None)
    # a kernel another test file compiled (test_background_first's chain) would otherwise run from memory
    # through the chain's recipe, which never asks cache.get: the chain failed after that file (#14 bgfirst)
    cache.clear_memory()
    monkeypatch.setattr(blockwise, "BLOCK_BYTES", 1 << 10)  # 128 float64s: the 1001 elements make 8 blocks
    answered = []
    for name in ("run_map", "run_reduce"):
        run = getattr(blockwise, name)

        def recorded(*args, _run=run, **kwargs):
            cut = _run(*args, **kwargs)
            answered.append(cut)
            return cut

        monkeypatch.setattr(blockwise, name, recorded)
    return answered


def _check(f, expect, answered):
    originals = [A, B, X, I32, F32, XF]
    inputs = [np.copy(a, order="K") for a in originals]
    want = np.asarray(f(np, *originals))
    got = np.asarray(f(np, *map(la.array, inputs)))
    assert got.dtype == want.dtype and got.shape == want.shape
    if expect == "close":
        np.testing.assert_allclose(got, want, rtol=1e-13)
    else:
        assert got.tobytes() == want.tobytes()
    assert answered == ([False] if expect == "whole" else [True])
    for given, original in zip(inputs, originals):
        assert given.tobytes() == original.tobytes()


@pytest.mark.parametrize("case", list(MAPS))
def test_a_map_answered_in_blocks_gives_numpys_bits(compiling, case):
    _check(*MAPS[case], compiling)


@pytest.mark.parametrize("case", list(REDUCTIONS))
def test_a_reduction_answered_in_blocks_gives_numpys_value(compiling, case):
    _check(*REDUCTIONS[case], compiling)


def test_blocks_write_an_out_buffer_and_an_out_that_is_an_input(compiling):
    o = np.empty_like(A)
    result = (la.array(A) * 3 - la.array(B)).compute(out=o)
    assert result is o and o.tobytes() == (A * 3 - B).tobytes()
    a = A.copy()
    (la.array(a) * 3 - la.array(B)).compute(out=a)  # the output is an input: each block read before written
    assert a.tobytes() == (A * 3 - B).tobytes()
    assert compiling == [True, True]


def test_a_kernel_too_small_for_two_blocks_is_answered_whole(compiling, monkeypatch):
    monkeypatch.setattr(blockwise, "BLOCK_BYTES", 1 << 20)
    assert (la.array(A) * 3 - 1).compute().tobytes() == (A * 3 - 1).tobytes()
    assert compiling == [False]


# --- the worker: started early, handed a call's jobs when it ends --------------------------------------------------

@pytest.fixture
def background():
    config.set_background_compile(True)
    yield
    assert cache.wait_for_compiles(60)
    config.set_background_compile(None)


def test_the_worker_starts_before_any_miss_when_background_compilation_is_on(background):
    cache.start_worker()
    assert any(t.name == "lazyarr-compiler" and t.is_alive() for t in threading.enumerate())


def _broken():
    raise RuntimeError("codegen broke")


def test_a_job_queued_inside_a_call_reaches_the_worker_when_the_call_ends(background):
    key = ("test-first-answer", "deferred")
    with cache.holding_compiles():
        assert cache.get(key, _broken) is None
        assert len(cache._deferred) == 1 and cache._queue.empty()
    assert cache._deferred == []
    assert cache.wait_for_compiles(30)
    config.set_background_compile(False)
    with pytest.raises(RuntimeError, match="codegen broke"):  # the failure still raises in the next caller
        cache.get(key, _broken)


def test_waiting_for_a_job_inside_the_call_that_queued_it_hands_it_over(background):
    with cache.holding_compiles():
        assert cache.get(("test-first-answer", "waited"), _broken) is None
        assert cache.wait_for_compiles(30)  # would wait for itself if the job stayed deferred


@pytest.mark.parametrize("name, dtype", [("sum", np.float64), ("sum", np.float32), ("sum", np.int64),
                                         ("prod", np.float64), ("max", np.float64), ("min", np.int32)])
def test_a_full_reductions_partials_combine_as_numpys_function_over_them(name, dtype):
    """(#14 bgfirst2) The blocks' partials are combined by the reduction's ufunc directly: the bits of NumPy's own
    function over the stacked partials (its former combination), NaN and mixed magnitudes included."""
    from lazyarr.graph.expr import leaf
    from lazyarr.api import reductions as api_reductions
    parts = np.random.default_rng(7).standard_normal(31) * np.logspace(-8, 8, 31)
    if np.dtype(dtype).kind == "f":
        parts[5] = np.nan if name != "sum" else parts[5]
    partials = [np.asarray(p).astype(dtype)[()] for p in parts]
    node = api_reductions.reduce(leaf(np.ones(4, dtype)), name)
    want = np.asarray(getattr(np, name)(np.stack(partials), axis=0, **({"dtype": node.dtype} if name in
                                                                         ("sum", "prod") else {})))
    got = blockwise._combine(node, partials)
    assert got.dtype == want.astype(node.dtype).dtype and got.tobytes() == want.astype(node.dtype).tobytes()
