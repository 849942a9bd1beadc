"""(s15) Background compilation under calls from several Python threads at once.

Compiles queued during a call wait until no call holds them (``cache.holding_compiles``), so that a first answer
computed by NumPy keeps the GIL. Calls from several threads that overlap without a gap used to hold them for ever:
every call answered by NumPy and no kernel ever made (8 threads in a pool: 960 of 960 calls, 0 compiles). A
stretch of overlapping calls now holds them at most ``cache.MAX_HOLD_S``; one long call alone still holds them
to its end. Counted, never timed (the hold bound is shortened here)."""
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache


def test_overlapping_calls_release_held_starts_after_the_bound(monkeypatch):
    monkeypatch.setattr(cache, "MAX_HOLD_S", 0.0)
    started = []
    with cache.holding_compiles():
        with cache.holding_compiles():  # a second call begun while the first runs
            cache.after_calls(lambda: started.append("now"))
            assert started == ["now"]  # overdue: not held behind the two calls


def test_one_long_call_alone_still_holds_starts_to_its_end(monkeypatch):
    monkeypatch.setattr(cache, "MAX_HOLD_S", 0.0)
    started = []
    with cache.holding_compiles():
        cache.after_calls(lambda: started.append("later"))
        assert started == []
    assert started == ["later"]


def test_a_held_start_runs_when_the_next_overlapping_call_begins(monkeypatch):
    monkeypatch.setattr(cache, "MAX_HOLD_S", 60.0)
    started = []
    with cache.holding_compiles():
        with cache.holding_compiles():
            cache.after_calls(lambda: started.append("held"))
        assert started == []  # within the bound: held
        monkeypatch.setattr(cache, "MAX_HOLD_S", 0.0)
        with cache.holding_compiles():  # the stretch is now overdue: a call entering releases what is held
            assert started == ["held"]


@pytest.fixture
def background(tmp_path, monkeypatch):
    monkeypatch.setenv("LAZYARR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "MAX_HOLD_S", 0.02, raising=False)  # (raising: the test also runs on the tree before)
    config.set_background_compile(True)
    yield
    assert cache.wait_for_compiles(120)
    config.set_background_compile(None)


def test_calls_overlapping_a_long_call_get_their_kernel_made(background):
    """Another thread's call is in flight the whole time (held open here): this thread's calls overlap it, and
    their kernel is still made while it runs (before the change: NumPy's answer every time, until it ended)."""
    a = np.random.default_rng(7).random(5000)
    before = la.cache_info()
    made = False
    with cache.holding_compiles():  # the other thread's long call
        for _ in range(600):  # up to 60 s on a loaded machine; typically well under one
            got = np.asarray(np.cos(la.array(a) * 3.0) + 1.5)
            np.testing.assert_allclose(got, np.cos(a * 3.0) + 1.5, rtol=1e-15, atol=1e-15)
            info = la.cache_info()
            if info.compiles + info.disk_hits > before.compiles + before.disk_hits:
                made = True
                break
            threading.Event().wait(0.1)
    assert made, "no kernel was made while another call was in flight"
