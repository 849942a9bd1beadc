"""lazyarr: NumPy/SciPy expressions recorded lazily, fused and compiled into parallel Numba kernels.

    import lazyarr as la
    e = la.sin(la.array(b)) * 2 - la.array(c) ** 2   # nothing runs yet
    result = e.compute()                              # one fused, multithreaded kernel
"""
from lazyarr._version import __version__

from lazyarr.api.array import LazyArray, asarray, wrap as array
from lazyarr.compiler.cache import cache_info, clear_cache, wait_for_compiles
from lazyarr.config import set_background_compile
from lazyarr.tracer.decorator import fuse
from lazyarr.api.functions import (broadcast_to, clip, compute, elementwise_functions as _elementwise_functions,
                                   expand_dims, ravel, reshape, squeeze, where)
from lazyarr.kernels.threads import get_num_threads, num_threads, set_num_threads, show_config
from lazyarr.api import numpy_api as _numpy_api  # registers __array_function__ handlers
from lazyarr.api import masked_lanes as _masked_lanes  # (lanes #15) registers x[lazy mask] as a deferred selection
# (NumPy fallback) the warning a NumPy function without a lazy rule gives once, when it runs eagerly
from lazyarr.api.fallback import NumPyFallbackWarning
# --- surface/elementwise ---
from lazyarr.api.elementwise import (angle, around, fix, isclose, nan_to_num, outer, piecewise, polyval,
                                     round, select, sinc, tril, triu)
_ELEMENTWISE_SURFACE = ["angle", "around", "fix", "isclose", "nan_to_num", "outer", "piecewise", "polyval",
                        "round", "select", "sinc", "tril", "triu"]
# --- end surface/elementwise ---
from lazyarr.compiler import warmup as _warmup
from lazyarr.runtime import external as _external

# dask arrays are handled by lazyarr.dask, imported the first time one is wrapped.
_external.register("dask", lambda x: hasattr(x, "__dask_graph__"), "lazyarr.dask.bridge")

globals().update(_elementwise_functions())

# Imported on first use: lazyarr.special imports scipy.special, ~0.15 s that a program without it should not pay.
_LAZY_SUBMODULES = ("special", "stats")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        module = importlib.import_module(f"{__name__}.api.{name}")
        globals()[name] = module  # called once per name
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = sorted(
    ["LazyArray", "array", "asarray", "compute", "where", "clip", "fuse", "cache_info", "clear_cache",
     "set_num_threads", "get_num_threads", "num_threads", "show_config", "special", "stats",
     "set_background_compile", "wait_for_compiles", "reshape", "ravel", "squeeze", "expand_dims",
     "broadcast_to"]
    + ["NumPyFallbackWarning"]  # (NumPy fallback)
    + list(_elementwise_functions())
    + _ELEMENTWISE_SURFACE  # surface/elementwise
)

# Views and index maps (surface/views): la.flip, la.diff, la.pad, la.concatenate, la.split, la.take, ...
from lazyarr.api.views import FUNCTIONS as _view_functions  # noqa: E402

globals().update(_view_functions)
__all__ = sorted(__all__ + list(_view_functions))

# --- graph breaks (#15): the warning a fused function gives once when a signature runs eagerly ---
from lazyarr.tracer.segments import EagerWarning  # noqa: E402

__all__ = sorted(__all__ + ["EagerWarning"])
# --- end graph breaks ---

# --- surface/search: searchsorted, histogram, bincount, argsort, median, quantile, unique, nonzero, ... ---
from lazyarr.api.searching import FUNCTIONS as _search_functions  # noqa: E402

globals().update(_search_functions)
__all__ = sorted(set(__all__) | set(_search_functions))
# --- end surface/search ---

# Creation functions as lazy generators (surface/creation): la.zeros, la.arange, la.linspace, la.eye, ...
from lazyarr.api.creation import FUNCTIONS as _creation_functions  # noqa: E402

globals().update(_creation_functions)
# la.linalg, la.fft, la.einsum, la.kron, ...: NumPy stages with build-time shapes (surface/creation)
from lazyarr.api.linalg import FUNCTIONS as _library_functions, fft, linalg  # noqa: E402

globals().update(_library_functions)
__all__ = sorted(__all__ + list(_creation_functions) + list(_library_functions) + ["linalg", "fft"])

# --- #14 bgfirst: the warm-up also runs a first answer's code once (graph building, NumPy over the graph) ---
def _warm_first_answer() -> None:
    import numpy as np
    from lazyarr.runtime import serial_first
    x = array(np.arange(8.0))
    y = np.exp(x - x.max(axis=0, keepdims=True)) * 2.0 + x
    serial_first.warm(((y - x) ** 2).sum()._node)


_warmup.also(_warm_first_answer)
# --- end #14 bgfirst ---
_warmup.start()  # last: Numba's once-per-process start runs while the program goes on
# #14: background compilation's worker, idle until a first miss (started by that miss, it cost the call 5-9 ms)
from lazyarr.compiler.cache import start_worker as _start_compile_worker  # noqa: E402
from lazyarr.runtime import block_helper as _block_helper  # noqa: E402  (#14 bgred: NumPy's answer on 2 threads)

if _start_compile_worker():
    _block_helper.start()  # with the worker: started inside a first call, it would cost that call its start
    from lazyarr.compiler.llvm_tier import start_aside as _start_quick_aside  # noqa: E402  (#14 bgfirst2)

    _start_quick_aside()  # the quick tier's kernels are made there (a thread per kernel cost its call the start)

# Reductions built from the primitive ones (surface/reductions): la.nansum, la.average, la.cov, la.trapezoid, ...
from lazyarr.api import matrix_stats as _matrix_stats, scans as _scans, statistics as _statistics  # noqa: E402

for _module in (_statistics, _matrix_stats, _scans):
    globals().update(_module.FUNCTIONS)
    __all__ = sorted(__all__ + list(_module.FUNCTIONS))

# --- array API (#16): x.__array_namespace__() is lazyarr.array_api (registered into api/dispatch on import) ---
from lazyarr import array_api  # noqa: E402
from lazyarr.api.membership import isin  # noqa: E402  (np.isin, the standard's 2025.12 isin)

__all__ = sorted(__all__ + ["array_api", "isin"])
# --- end array API ---

# --- (#14 bgprime) last: with background compilation on and the warm-up off, a few tiny first answers run now (no
# compile, no thread, nothing remembered), so the first new expression runs warm code (api/prime.py,
# docs/runtime.md). Last, nearest to that expression: run before the rest of the import, it gained half as much.
from lazyarr.api import prime as _prime  # noqa: E402

_prime.prime_at_import()
# --- end #14 bgprime ---
