"""Settings read from the environment (each read when used, so tests and users can change them at run time)."""
from __future__ import annotations

import os

# Below this many elements a kernel runs serially: Numba's parallel launch costs tens of microseconds,
# which is more than a small loop takes on one core (measured in bench/bench_elementwise.py).
DEFAULT_PARALLEL_THRESHOLD = 1 << 15


def debug() -> bool:
    """LAZYARR_DEBUG=1 prints each kernel's source as it compiles."""
    return os.environ.get("LAZYARR_DEBUG", "") not in ("", "0")


def cache_dir() -> str:
    """LAZYARR_CACHE_DIR, else the user's cache directory (XDG_CACHE_HOME or ~/.cache)/lazyarr."""
    explicit = os.environ.get("LAZYARR_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "lazyarr")


def memory_cache_size() -> int:
    """How many compiled kernels stay in memory (least recently used are dropped)."""
    return int(os.environ.get("LAZYARR_MEMORY_CACHE_SIZE", "512"))


def parallel_threshold() -> int:
    """LAZYARR_PARALLEL_THRESHOLD: the smallest kernel size that runs in parallel (0: always parallel)."""
    return int(os.environ.get("LAZYARR_PARALLEL_THRESHOLD", DEFAULT_PARALLEL_THRESHOLD))
