"""Every Numba internal lazyarr relies on, in one place.

Numba's public API (``njit``, ``prange``, ``numba.extending``, ``numba.core.types``/``cgutils`` for intrinsics,
thread control) is used where it is needed. What is *not* public is here, each with the reason it is used, so a
Numba upgrade that moves one of them breaks one module, and ``tests/test_layering.py`` keeps it that way.
"""
from __future__ import annotations

import threading

from numba.core.compiler_lock import global_compiler_lock  # Numba's own lock around compiling and loading

__all__ = ["global_compiler_lock", "load_cached_overload", "refresh_target", "numba_cache_subpath",
           "slp_vectorize", "ufunc_loops"]


def load_cached_overload(dispatcher, signature) -> bool:
    """What ``Dispatcher.compile`` does with a disk-cache hit, minus its target-context refresh.

    The refresh costs ~0.3 s in a new process (imports of implementations only a compile needs); loading
    machine code needs only the runtime (NRT) symbols. Call under ``global_compiler_lock``. Returns False when
    the cache has no entry for this signature and CPU; raises on anything unexpected (the caller then takes
    Numba's full route)."""
    from numba.core.runtime import rtsys
    context = dispatcher.targetctx
    rtsys.initialize(context)  # the NRT symbols the machine code links against; once per process
    cres = dispatcher._cache._load_overload(signature, context)  # Cache.load_overload minus its refresh
    if cres is None:
        return False
    context.insert_user_function(cres.entry_point, cres.fndesc, [cres.library])
    dispatcher.add_overload(cres)
    dispatcher._cache_hits[signature] += 1  # as Dispatcher.compile counts it: dispatcher.stats stays true
    return True


def refresh_target() -> None:
    """What Numba does before its first compile or cache load in a process, and nothing more (the target
    context's refresh runs the typing context's too, as in ``Cache.load_overload``)."""
    from numba.core.registry import cpu_target
    with global_compiler_lock:
        cpu_target.target_context.refresh()


def numba_cache_subpath(py_file: str) -> str:
    """The sub-directory of ``NUMBA_CACHE_DIR`` where Numba keeps the cache of functions in `py_file`."""
    from numba.core.caching import UserProvidedCacheLocator
    return UserProvidedCacheLocator.get_suitable_cache_subpath(py_file)


# Numba fills its ufunc table on first use without a lock: another thread would see it half filled (KeyError).
_ufunc_db_lock = threading.Lock()


def ufunc_loops(ufunc) -> dict:
    """Numba's lowering table for a NumPy ufunc: loop signature ('ff->f') -> implementation."""
    from numba.np import ufunc_db
    with _ufunc_db_lock:
        return ufunc_db.get_ufunc_info(ufunc)


class slp_vectorize:
    """(s13 logreg) Context: LLVM's SLP vectoriser on for the Numba compiles inside it (call under
    ``global_compiler_lock``, so no other compile sees it). Numba keeps it off by default
    (``NUMBA_SLP_VECTORIZE``) and reads the setting each time it builds a module's pass pipeline. A kernel asks
    for it with ``SLP_VECTORIZE = True`` in its module (compiler/cache.py): the one-pass gemv kernel's column
    panels, written as 8 or 16 scalar sums, become vector registers only with it (docs/gemv_pair.md). SLP packs
    isomorphic operations; it does not reassociate floating-point sums, so the values are the same bits."""

    def __init__(self, on: bool = True):
        self.on = on

    def __enter__(self):
        from numba.core import config
        self.before = config.SLP_VECTORIZE
        if self.on:
            config.SLP_VECTORIZE = 1
        return self

    def __exit__(self, *exc):
        from numba.core import config
        config.SLP_VECTORIZE = self.before
        return False
