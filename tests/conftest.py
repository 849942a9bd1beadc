import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
# Results must never depend on compile timing, even when pytest is started from IPython.
os.environ.setdefault("LAZYARR_BACKGROUND_COMPILE", "0")  # tests/values.py and tests/oracle.py
# (s17) Fused functions always run their programs: the speed probe's choice depends on timing, and tests count
# kernels, launches and hits (tests/test_fuse_speed_probe.py turns it on).
os.environ.setdefault("LAZYARR_FUSE_PROBE", "0")


@pytest.fixture
def fresh_counters():
    """cache_info() before the test, to compare compile counts against."""
    import lazyarr as la
    return la.cache_info()


@pytest.fixture(autouse=True)
def _numpy_errors_silenced():
    with np.errstate(all="ignore"):
        yield


@pytest.fixture
def parallel_threshold():
    """Call it with a size: kernels of at least that many elements run in parallel, for this test only.
    Serial-first is off meanwhile, so that a first call at a parallel size runs the parallel kernel itself."""
    from lazyarr import config
    config.set_serial_first(False)
    yield config.set_parallel_threshold
    config.set_parallel_threshold(None)
    config.set_serial_first(None)


@pytest.fixture
def small_scratch_pool(monkeypatch):
    """runtime/scratch.py's pool with its size floor at 0 (small arrays exercise it), emptied before and after."""
    from lazyarr.runtime import scratch
    monkeypatch.setattr(scratch, "MIN_BYTES", 0)
    scratch.clear()
    yield
    scratch.clear()


@pytest.fixture
def numba_tier():
    """(#14 quick tier) Every map kernel through Numba for this test: for tests of Numba's kernels themselves
    (their cache, variants, launches), whose simple maps the quick tier would otherwise compile."""
    from lazyarr import config
    config.set_quick_tier(False)
    yield
    config.set_quick_tier(None)


@pytest.fixture
def asked_graphs(monkeypatch):
    """The ops of every graph api/realise.py hands to the runtime, in order (lazy mode's asks)."""
    from lazyarr.api import realise
    from lazyarr.graph import expr
    graphs = []
    run = realise.runtime.evaluate

    def recording(roots, out=None, **options):  # (s12 lazymandel: into=, rewritten=)
        graphs.append([n.op for n in expr.walk(roots)])
        return run(roots, out, **options)

    monkeypatch.setattr(realise.runtime, "evaluate", recording)
    return graphs


@pytest.fixture(autouse=True)
def _fallback_warnings_fresh():
    """(NumPy fallback) The NumPyFallbackWarning is once per function per process: each test sees its first."""
    from lazyarr.api import fallback
    fallback.warned.clear()
