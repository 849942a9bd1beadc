"""NumPy's first answer in blocks on two threads (#14 bgred, ``runtime/block_helper``): counted, never timed.

The caller and the helper thread take blocks from one list; each block's value does not depend on the thread
that computed it, so maps and axis reductions still give NumPy's bits, and a full reduction combines its
partials in block order: the same bits as one thread. An error in either thread is raised in the caller; a
forked child has no helper and computes every block itself. No kernel is compiled here (``cache.get`` answers
None, as on a first call while the compile waits).
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import cache
from lazyarr.runtime import block_helper, blockwise
from tests.test_first_answer import A, B, I32, F32, MAPS, REDUCTIONS, REPO, X, XF


@pytest.fixture
def helper(monkeypatch):
    """The helper running and asked for every call of four blocks or more, whatever the machine's load."""
    block_helper.start()
    if not block_helper.running():
        pytest.skip("the helper needs two CPUs (and NUMBA_NUM_THREADS, LAZYARR_NUM_THREADS not 1)")
    monkeypatch.setattr(block_helper, "_cpu_idle_now", lambda: True)
    monkeypatch.setattr(block_helper, "MIN_BLOCKS", 4)


@pytest.fixture
def compiling(monkeypatch, numba_tier):
    """Every kernel is compiling (NumPy answers every call), in blocks of 1 KB: 8 for 1001 float64s. (#14 quick
    math: the quick tier off, which would otherwise compute the vector-function map itself.)"""
    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: None)
    monkeypatch.setattr(blockwise, "BLOCK_BYTES", 1 << 10)


def test_each_block_is_computed_once_and_both_threads_take_some(helper):
    taken = {}
    other_started = threading.Event()

    def compute(block):
        taken.setdefault(block, []).append(threading.current_thread().name)
        if len(taken) == 1:  # the first block taken waits until the other thread has taken one too
            assert other_started.wait(30)
        else:
            other_started.set()

    before = block_helper.blocks_helped()
    block_helper.each(compute, list(range(8)))
    assert sorted(taken) == list(range(8)) and all(len(names) == 1 for names in taken.values())
    assert {names[0] for names in taken.values()} == {threading.current_thread().name, "lazyarr-blocks"}
    assert block_helper.blocks_helped() > before


def test_an_error_in_a_block_is_raised_in_the_caller_after_the_other_thread_is_done(helper):
    finished = []
    other_started = threading.Event()

    def compute(block):
        if block == 0:
            assert other_started.wait(30)
            raise ZeroDivisionError("block 0")
        other_started.set()
        finished.append(block)

    with pytest.raises(ZeroDivisionError, match="block 0"):
        block_helper.each(compute, list(range(6)))
    # no block is still being computed when the caller raises, and none is taken after the failure
    snapshot = list(finished)
    block_helper.each(lambda block: None, list(range(6)))  # the helper is free again
    assert finished == snapshot and len(finished) < 6


def test_few_blocks_or_a_busy_machine_leave_the_helper_out(helper, monkeypatch):
    before = block_helper.blocks_helped()
    block_helper.each(lambda block: None, list(range(3)))  # under MIN_BLOCKS
    monkeypatch.setattr(block_helper, "_cpu_idle_now", lambda: False)
    block_helper.each(lambda block: None, list(range(50)))
    assert block_helper.blocks_helped() == before


@pytest.mark.parametrize("case", list(MAPS) + [c for c in REDUCTIONS if REDUCTIONS[c][1] != "whole"])
def test_numpys_answer_on_two_threads_is_the_one_thread_answer(helper, compiling, monkeypatch, case):
    f, expect = {**MAPS, **REDUCTIONS}[case]
    originals = [A, B, X, I32, F32, XF]
    inputs = [np.copy(a, order="K") for a in originals]
    two = np.asarray(f(np, *map(la.array, inputs)))
    monkeypatch.setattr(block_helper, "MIN_BLOCKS", 10**9)
    one = np.asarray(f(np, *map(la.array, inputs)))
    want = np.asarray(f(np, *originals))
    assert two.dtype == want.dtype and two.shape == want.shape
    assert two.tobytes() == one.tobytes()  # a full reduction's partials are combined in block order
    if expect == "bits":
        assert two.tobytes() == want.tobytes()
    else:
        np.testing.assert_allclose(two, want, rtol=1e-13)
    for given, original in zip(inputs, originals):
        assert given.tobytes() == original.tobytes()


def test_an_output_that_is_an_input_is_written_block_by_block_on_two_threads(helper, compiling):
    a = A.copy()
    (la.array(a) * 3 - la.array(B)).compute(out=a)
    assert a.tobytes() == (A * 3 - B).tobytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_has_no_helper_and_computes_every_block_itself(helper):
    pid = os.fork()
    if pid == 0:  # the child: no helper thread; each still computes every block, on this thread
        ok = False
        try:
            names = []
            block_helper.each(lambda block: names.append(threading.current_thread().name), list(range(8)))
            ok = not block_helper.running() and len(names) == 8 and set(names) == {threading.current_thread().name}
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@pytest.mark.parametrize("setting, started", [("1", True), ("0", False)])
def test_import_starts_the_helper_with_the_compile_worker_only_with_background_compilation(setting, started):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_BACKGROUND_COMPILE=setting, LAZYARR_WARMUP="0", NUMBA_NUM_THREADS="2",
               PYTHONPATH=os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")])))
    code = ("import threading, lazyarr; names = {t.name for t in threading.enumerate()}; "
            "print('lazyarr-blocks' in names, 'lazyarr-compiler' in names)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    two_cpus = len(os.sched_getaffinity(0)) >= 2 if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1) >= 2
    assert out.stdout.split() == [str(started and two_cpus), str(started)]


@pytest.mark.parametrize("line, idle", [(b"0.52 0.61 0.70 1/412 9876\n", True), (b"7.1 6.9 6.5 64/980 12\n", False)])
def test_the_idle_cpu_check_reads_the_running_count(tmp_path, monkeypatch, line, idle):
    """(#14 bgfirst2) /proc/loadavg read with os.open/os.read: 1 runnable thread (this one) leaves a CPU idle
    of the two this process may use; 64 runnable ones leave none."""
    path = tmp_path / "loadavg"
    path.write_bytes(line)
    monkeypatch.setattr(block_helper, "LOADAVG", str(path))
    monkeypatch.setattr(block_helper, "_cpus", lambda: 2)
    assert block_helper._cpu_idle_now() is idle
