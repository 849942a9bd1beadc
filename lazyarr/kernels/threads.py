"""Threading-layer selection and thread-count control for lazyarr's parallel kernels.

Numba picks its threading layer once per process, on the first parallel compile or launch, and
the three layers fail in different ways (see docs/threading.md for what was verified):

- ``workqueue`` aborts the whole process when two Python threads launch kernels at once;
- GNU OpenMP (``omp``) terminates a child forked after the parent ran a parallel region;
- ``tbb`` survives both, but Numba often cannot find the pip ``tbb`` package's libtbb.so.12.

So lazyarr makes the choice itself, before Numba does: TBB when it can be loaded, otherwise
``workqueue`` with a process-wide lock that serialises lazyarr's launches (fork-safe, and
concurrent callers wait instead of aborting). An explicit choice always wins:
``LAZYARR_THREADING_LAYER`` first, then the user's own ``NUMBA_THREADING_LAYER``.

Thread counts wrap ``numba.set_num_threads``/``get_num_threads``, which are per Python thread.
``LAZYARR_NUM_THREADS`` sets the default count each Python thread starts with.
"""

import contextlib
import ctypes
import importlib.metadata
import operator
import os
import sys
import threading
import warnings
from functools import lru_cache

import numba

__all__ = [
    "configure_threading_layer",
    "launch_lock",
    "threading_layer",
    "set_num_threads",
    "get_num_threads",
    "num_threads",
    "show_config",
]

_LAYERS = ("tbb", "omp", "workqueue")
_CHOICES = ("auto",) + _LAYERS
# Numba refuses TBB older than 2021 update 6; checking first avoids its warning and a wasted try.
_MIN_TBB_INTERFACE = 12060

_NULL = contextlib.nullcontext()
_config_lock = threading.Lock()
_tls = threading.local()  # .ready: this Python thread already got its default thread count

_layer = None  # set once configure_threading_layer() has committed Numba to a layer
_source = None  # why that layer: "auto", "LAZYARR_THREADING_LAYER", "NUMBA_THREADING_LAYER", ...
_tbb_path = None
_launch_guard = _NULL  # an RLock when the layer cannot take concurrent launches


# ---------------------------------------------------------------------------------------------
# Finding TBB


def _tbb_soname():
    if sys.platform.startswith("win"):
        return "tbb12.dll"
    if sys.platform == "darwin":
        return "libtbb.12.dylib"
    return "libtbb.so.12"


def _tbb_candidates():
    """Paths where a pip/conda ``tbb`` may have put the library, best guess first."""
    name = _tbb_soname()
    found = []
    try:
        # The wheel records exactly where it installed the library (<prefix>/lib for pip).
        for f in importlib.metadata.distribution("tbb").files or ():
            if f.name == name:
                found.append(os.path.realpath(f.locate()))
    except importlib.metadata.PackageNotFoundError:
        pass
    libdirs = ("Library/bin", "") if sys.platform.startswith("win") else ("lib",)
    for prefix in (sys.prefix, sys.base_prefix):
        for sub in libdirs:
            found.append(os.path.join(prefix, sub, name))
    found = [p for p in dict.fromkeys(found) if os.path.exists(p)]
    # Last, the loader's own search path (LD_LIBRARY_PATH, ldconfig, the interpreter's RUNPATH).
    return found + [name]


def _load_tbb():
    """Load a new-enough libtbb globally so Numba's tbbpool can link against it; path or None."""
    for path in _tbb_candidates():
        try:
            # tbbpool has no RPATH, so its own search for libtbb.so.12 misses <prefix>/lib; once
            # this copy is loaded the dynamic loader reuses it by soname. RTLD_GLOBAL is not
            # needed for that on glibc, but also lets any later library bind to these symbols.
            lib = ctypes.CDLL(path, mode=getattr(ctypes, "RTLD_GLOBAL", 0))
            version = lib.TBB_runtime_interface_version
        except (OSError, AttributeError):
            continue
        version.restype = ctypes.c_int
        if version() >= _MIN_TBB_INTERFACE:
            return path
    return None


# ---------------------------------------------------------------------------------------------
# Choosing and committing the layer


def _requested():
    """(layer or numba keyword, where it came from); "auto" when nobody asked for anything."""
    env = os.environ.get("LAZYARR_THREADING_LAYER", "").strip().lower()
    if env:
        if env not in _CHOICES:
            raise ValueError(
                f"LAZYARR_THREADING_LAYER={env!r} is not one of {', '.join(_CHOICES)}"
            )
        return env, "LAZYARR_THREADING_LAYER"
    # numba.config reflects NUMBA_THREADING_LAYER and also a value set in code before lazyarr.
    numba_choice = str(numba.config.THREADING_LAYER).lower()
    if numba_choice != "default":
        return numba_choice, "NUMBA_THREADING_LAYER"
    return "auto", "auto"


def _numba_layer():
    """The layer Numba has committed to, or None if it has not started its threads yet."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


def _commit(layer):
    """Make Numba start its thread pool on ``layer`` now; returns the layer it really chose."""
    numba.config.THREADING_LAYER = layer
    # Any public call that needs the pool starts it. Doing it now, under our lock, means a
    # later compile cannot pick a layer behind our back, and reports what Numba really loaded.
    numba.get_num_threads()
    return numba.threading_layer()


def _start(requested, source):
    global _tbb_path
    if requested in ("omp", "workqueue"):
        return _commit(requested)
    # auto, tbb and Numba's own keywords (safe, threadsafe, forksafe) may all land on TBB.
    _tbb_path = _load_tbb()
    if requested not in ("auto", "tbb"):
        return _commit(requested)
    if _tbb_path is not None:
        try:
            return _commit("tbb")
        except ValueError:
            pass  # libtbb loads but Numba's TBB backend does not (e.g. Numba built without it)
    if requested == "tbb":
        raise ValueError(
            f"{source}=tbb but the TBB threading layer could not be loaded; install "
            "tbb>=2021.6 (`pip install tbb`) or choose another layer"
        )
    return _commit("workqueue")


def configure_threading_layer():
    """Commit Numba to a threading layer (once per process) and return its name.

    Call before the first parallel compile; later calls are a cheap read.
    """
    if _layer is None:
        with _config_lock:
            if _layer is None:
                _configure_locked()
    _apply_default_threads()
    return _layer


def _configure_locked():
    global _layer, _source, _launch_guard, _tbb_path
    already = _numba_layer()
    if already is not None:
        # Some other code ran a parallel Numba function first; the layer cannot change now.
        layer, source = already, "numba (already running)"
    else:
        requested, source = _requested()
        layer = _start(requested, source)
    if layer != "tbb":
        _tbb_path = None  # loaded for nothing: report no path rather than an unused one
    _launch_guard = threading.RLock() if layer == "workqueue" else _NULL
    _source = source
    _layer = layer


def _reset_locks_in_child():
    # A fork taken while another thread held a lock would leave the child's copy locked forever.
    global _launch_guard, _config_lock
    if _launch_guard is not _NULL:
        _launch_guard = threading.RLock()
    _config_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    # A fork waits for a configuration under way in another thread (it starts Numba's pool and may load
    # TBB): the child then finds the layer chosen, not half chosen.
    os.register_at_fork(before=lambda: _config_lock.acquire(), after_in_parent=lambda: _config_lock.release(),
                        after_in_child=_reset_locks_in_child)


def launch_lock():
    """Context manager to hold around each parallel kernel launch.

    A shared no-op when the layer takes concurrent launches (tbb, omp); a process-wide lock
    under workqueue, so concurrent callers queue instead of aborting the process. It covers
    lazyarr's own launches only: other Numba parallel code running at the same time under
    workqueue is not serialised by it.
    """
    configure_threading_layer()
    return _launch_guard


def threading_layer():
    """The threading layer in use (configuring it first if nothing has yet)."""
    return configure_threading_layer()


# ---------------------------------------------------------------------------------------------
# Thread counts


def _max_threads():
    # NUMBA_NUM_THREADS (default: the machine's cores) is the size of the pool Numba launches;
    # set_num_threads can only mask it down, never grow it.
    return numba.config.NUMBA_NUM_THREADS


@lru_cache(maxsize=None)
def _env_default_threads():
    """LAZYARR_NUM_THREADS as an int, or None when unset. Cached so a clamp warns once."""
    raw = os.environ.get("LAZYARR_NUM_THREADS", "").strip()
    if not raw:
        return None
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"LAZYARR_NUM_THREADS={raw!r} is not an integer") from None
    if n < 1:
        raise ValueError(f"LAZYARR_NUM_THREADS={n} must be at least 1")
    top = _max_threads()
    if n > top:
        # A job script shared between machines should still run where there are fewer cores.
        warnings.warn(
            f"LAZYARR_NUM_THREADS={n} exceeds the {top} threads Numba launched "
            f"(NUMBA_NUM_THREADS); using {top}",
            RuntimeWarning,
            stacklevel=3,
        )
        n = top
    return n


def _apply_default_threads():
    # Numba gives every new Python thread NUMBA_NUM_THREADS; swap in LAZYARR_NUM_THREADS the
    # first time each thread reaches lazyarr, and never again (its own later choice stands).
    if getattr(_tls, "ready", False):
        return
    n = _env_default_threads()
    if n is not None:
        numba.set_num_threads(n)
    _tls.ready = True


def check_count(n):
    if isinstance(n, bool):
        raise TypeError("the number of threads must be an integer, not bool")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(
            f"the number of threads must be an integer, not {type(n).__name__}"
        ) from None
    top = _max_threads()
    if not 1 <= n <= top:
        raise ValueError(
            f"the number of threads must be between 1 and {top} (NUMBA_NUM_THREADS), got {n}"
        )
    return n


def set_num_threads(n):
    """Use ``n`` threads for this Python thread's kernels (1 <= n <= NUMBA_NUM_THREADS)."""
    n = check_count(n)
    configure_threading_layer()
    numba.set_num_threads(n)


def get_num_threads():
    """The number of threads this Python thread's kernels will use."""
    configure_threading_layer()
    return numba.get_num_threads()


def planned_num_threads():
    """``get_num_threads()`` without starting Numba's thread pool when nothing has started it yet (#14 bgfirst3).

    A loop's sizes (a row kernel's strip width, a tile) depend on the thread count, and computing them used to
    start the pool: loading TBB, importing multiprocessing and starting the workers, ~6-7 ms of CPU on the
    calling thread of a new process, paid by a first answer that NumPy computes while the kernel is made. Before
    the pool runs, every Python thread's count is the default (``numba.set_num_threads`` and lazyarr's own
    ``set_num_threads``/``num_threads`` start the pool first): ``LAZYARR_NUM_THREADS``, else NUMBA_NUM_THREADS.
    """
    if not pool_started():
        n = _env_default_threads()
        return n if n is not None else _max_threads()
    return get_num_threads()


def pool_started() -> bool:
    """Whether Numba's thread pool runs (lazyarr or anyone else started it)."""
    return _layer is not None or _numba_layer() is not None


@contextlib.contextmanager
def num_threads(n):
    """Use ``n`` threads inside the block, in this Python thread only; restored on exit."""
    n = check_count(n)
    previous = get_num_threads()
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(previous)


def show_config():
    """What lazyarr's parallel kernels run on, for bug reports and sanity checks."""
    layer = configure_threading_layer()
    return {
        "threading_layer": layer,
        "num_threads": get_num_threads(),
        "max_threads": _max_threads(),
        "tbb_path": _tbb_path,
        "numba_version": numba.__version__,
        "layer_source": _source,
        "serialized_launches": _launch_guard is not _NULL,
    }
