import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
# Results must never depend on compile timing, even when pytest is started from IPython.
os.environ.setdefault("LAZYARR_BACKGROUND_COMPILE", "0")  # tests/values.py and tests/oracle.py


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


@pytest.fixture(autouse=True)
def _fallback_warnings_fresh():
    """(NumPy fallback) The NumPyFallbackWarning is once per function per process: each test sees its first."""
    from lazyarr.api import fallback
    fallback.warned.clear()
