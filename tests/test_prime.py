"""Priming at import (#14 bgprime, ``api/prime.py``): with background compilation on, ``import lazyarr`` runs a few
tiny first answers so that a person's first new expression runs warm code.

Counted, never timed. The priming must leave nothing a user could see: no kernel looked up or compiled, no plan
job, no thread started, no kernel file written, ``cache_info()`` and serial_first's memory unchanged, nothing
printed, NumPy's error state as it was; a priming graph that would take the full path (plan and compile) raises
instead of compiling, and ``import lazyarr`` then drops the error. The first answer after it is NumPy's.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.api import prime
from lazyarr.compiler import cache
from lazyarr.runtime import serial_first

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def watched(monkeypatch):
    """Background compilation on; every kernel lookup and plan job recorded (and never run)."""
    asked, handed = [], []
    monkeypatch.setattr(cache, "get", lambda key, *args, **kwargs: asked.append(key))
    monkeypatch.setattr(cache, "plan_later", handed.append)
    config.set_background_compile(True)
    yield asked, handed
    config.set_background_compile(None)


def test_priming_looks_no_kernel_up_and_hands_no_plan_over(watched, capsys):
    asked, handed = watched
    info, seen, answered = la.cache_info(), set(serial_first._seen), serial_first.answered()
    errors = np.geterr()
    prime.prime()
    assert asked == [] and handed == []
    assert la.cache_info() == info  # interpreted answers not counted either
    assert serial_first._seen == seen and serial_first.answered() == answered
    assert np.geterr() == errors
    assert capsys.readouterr() == ("", "")


def test_a_priming_graph_that_would_compile_raises_instead(watched, monkeypatch):
    # every size a parallel size: serial_first answers none of the priming graphs, and the full path would
    # plan them and compile their kernels; priming must refuse, not fall through
    asked, handed = watched
    monkeypatch.setattr(config, "parallel_threshold", lambda: 1)
    with pytest.raises(serial_first.NotPrimed):
        prime.prime()
    assert asked == [] and handed == []
    assert not serial_first._priming.active  # this thread's later calls are ordinary again


def test_priming_under_a_visible_error_state_compiles_nothing(watched):
    # (an import inside ``np.errstate(all="raise")``: lazy mode runs each operation now as NumPy, api/errstate.py,
    # so the asks meet computed leaves, which serial_first does not answer: NotPrimed, not the full path)
    asked, handed = watched
    with np.errstate(all="raise"):
        with pytest.raises(serial_first.NotPrimed):
            prime.prime()
    assert asked == [] and handed == []


@pytest.mark.parametrize("background, warmup, primes", [(False, "0", False), (True, "1", False), (True, "0", True)])
def test_priming_only_with_background_compilation_on_and_the_warm_up_off(watched, monkeypatch, background, warmup,
                                                                         primes):
    # (the warm-up thread runs a first answer's code itself: lazyarr/__init__.py's _warm_first_answer)
    asked, handed = watched
    config.set_background_compile(background)
    monkeypatch.setenv("LAZYARR_WARMUP", warmup)
    calls = []
    monkeypatch.setattr(prime, "prime", lambda: calls.append(1))
    prime.prime_at_import()
    assert calls == ([1] if primes else []) and asked == [] and handed == []


def test_import_drops_a_priming_error(watched, monkeypatch, capsys):
    asked, handed = watched
    monkeypatch.setattr(config, "parallel_threshold", lambda: 1)
    monkeypatch.setenv("LAZYARR_DEBUG", "0")
    prime.prime_at_import()  # NotPrimed inside: dropped, nothing compiled
    assert asked == [] and handed == []
    assert capsys.readouterr() == ("", "")


def test_a_first_answer_after_priming_is_numpys_and_plans_as_before(watched, monkeypatch):
    asked, handed = watched
    monkeypatch.setattr(serial_first, "_seen", set())
    prime.prime()
    rng = np.random.default_rng(1717)
    a, b = rng.random(1000), rng.random(1000)
    got = np.asarray(((la.array(a) - la.array(b)) ** 2).sum())
    assert got.tobytes() == np.asarray(((a - b) ** 2).sum()).tobytes()
    assert len(handed) == 1 and asked == []  # answered by serial_first, its plan handed to the worker


# A fresh process: the import primes (background compilation on, warm-up off, an empty kernel cache), then the
# priming runs again in full view of the thread list and the disk; then a first expression.
CHILD = textwrap.dedent(
    r"""
    import dataclasses, json, os, threading
    import numpy as np
    errors_before = np.geterr()
    import lazyarr as la
    from lazyarr.api import prime
    from lazyarr.compiler import cache
    from lazyarr.runtime import serial_first
    out = {"primed": prime.primed(), "info": dataclasses.asdict(la.cache_info()), "answered": serial_first.answered(),
           "seen": len(serial_first._seen), "jobs": len(cache._jobs), "errors_same": np.geterr() == errors_before}
    if not out["primed"]:  # (background compilation off: a first expression would compile)
        print("RESULT " + json.dumps(out))
        raise SystemExit(0)
    threads = {t.ident for t in threading.enumerate()}
    started = []
    real_start = threading.Thread.start
    threading.Thread.start = lambda self: (started.append(self.name), real_start(self))[1]
    prime.prime()
    threading.Thread.start = real_start
    out["started"] = started
    out["threads_same"] = {t.ident for t in threading.enumerate()} == threads
    out["info_after"] = dataclasses.asdict(la.cache_info())
    out["files"] = sorted(os.listdir(os.environ["LAZYARR_CACHE_DIR"]))
    rng = np.random.default_rng(5)
    a = rng.random(1000)
    got = np.asarray(np.exp(la.array(a) - 0.5).sum())
    out["right"] = got.tobytes() == np.asarray(np.exp(a - 0.5).sum()).tobytes()
    out["answered_after"] = serial_first.answered()
    print("RESULT " + json.dumps(out))
    """
)


def _child(tmp_path, background: str, warmup: str = "0") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    env.update(LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE=background, LAZYARR_WARMUP=warmup,
               LAZYARR_DEBUG="1", PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300,
                          cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr == ""  # LAZYARR_DEBUG=1 prints a priming error or a background compile's failure
    return json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")))


def test_import_primes_and_leaves_nothing_behind(tmp_path):
    out = _child(tmp_path, "1")
    assert out["primed"]
    counts = {k: v for k, v in out["info"].items() if k != "maxsize"}
    assert set(counts.values()) == {0}, counts  # hits, misses, compiles, disk hits, interpreted, failed, ...
    assert out["info_after"] == out["info"]
    assert out["answered"] == 0 and out["seen"] == 0 and out["jobs"] == 0
    assert out["errors_same"]
    assert out["started"] == [] and out["threads_same"]
    assert out["files"] == []  # no kernel file, no index: nothing read or written on disk
    assert out["right"] and out["answered_after"] == 1


@pytest.mark.parametrize("background, warmup", [("0", "0"), ("1", "1")])
def test_import_without_background_compilation_or_with_the_warm_up_does_not_prime(tmp_path, background, warmup):
    out = _child(tmp_path, background, warmup)
    assert not out["primed"]
    assert out["info"]["misses"] == out["info"]["compiles"] == 0
