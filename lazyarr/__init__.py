"""lazyarr: NumPy/SciPy expressions recorded lazily, fused and compiled into parallel Numba kernels.

    import lazyarr as la
    e = la.sin(la.array(b)) * 2 - la.array(c) ** 2   # nothing runs yet
    result = e.compute()                              # one fused, multithreaded kernel
"""
__version__ = "0.1.0"  # first: kernels record it in their source

from .array import LazyArray, asarray, wrap as array
from .cache import cache_info, clear_cache, wait_for_compiles
from .config import set_background_compile
from .fuse import fuse
from .functions import (broadcast_to, clip, compute, elementwise_functions as _elementwise_functions, expand_dims,
                        ravel, reshape, squeeze, where)
from .threads import get_num_threads, num_threads, set_num_threads, show_config
from . import numpy_api as _numpy_api  # registers __array_function__ handlers
from . import warmup as _warmup

globals().update(_elementwise_functions())

# Imported on first use: lazyarr.special imports scipy.special, ~0.15 s that a program without it should not pay.
_LAZY_SUBMODULES = ("special", "stats")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")  # also sets the attribute: called once per name
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = sorted(
    ["LazyArray", "array", "asarray", "compute", "where", "clip", "fuse", "cache_info", "clear_cache",
     "set_num_threads", "get_num_threads", "num_threads", "show_config", "special", "stats",
     "set_background_compile", "wait_for_compiles", "reshape", "ravel", "squeeze", "expand_dims",
     "broadcast_to"]
    + list(_elementwise_functions())
)

_warmup.start()  # last: Numba's once-per-process start runs while the program goes on
