"""Compiled kernels: in memory (bounded LRU), then on disk, then compiled.

Numba cannot cache functions built with ``exec``. So each kernel's source is written to a file named by the
hash of its text, imported as a module registered in ``sys.modules``, and compiled with ``cache=True``: Numba
then stores the machine code next to that file and a second process with the same expression loads it instead
of compiling. A cache directory that cannot be written or read degrades to compiling in a private temporary
directory, with a warning, never to a crash.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass

from . import config


@dataclass(frozen=True)
class CacheInfo:
    hits: int
    misses: int
    compiles: int
    disk_hits: int
    compile_seconds: float
    currsize: int
    maxsize: int


@dataclass
class Compiled:
    """A ready kernel: the Numba dispatcher, its one overload's entry point and the source it came from."""
    dispatcher: object
    entry: object
    source: str
    path: str
    from_disk: bool


_lock = threading.RLock()
_memory: "OrderedDict[tuple, Compiled]" = OrderedDict()
_stats = {"hits": 0, "misses": 0, "compiles": 0, "disk_hits": 0, "compile_seconds": 0.0}
_fallback_dir: str | None = None


def cache_info() -> CacheInfo:
    with _lock:
        return CacheInfo(currsize=len(_memory), maxsize=config.memory_cache_size(), **_stats)


def get(key: tuple, make_source) -> Compiled:
    """The kernel for `key`; `make_source()` is called only on a miss."""
    with _lock:
        hit = _memory.get(key)
        if hit is not None:
            _memory.move_to_end(key)
            _stats["hits"] += 1
            return hit
        _stats["misses"] += 1
    compiled = _load(make_source())
    with _lock:
        _memory[key] = compiled
        while len(_memory) > config.memory_cache_size():
            _memory.popitem(last=False)
    return compiled


def clear_memory() -> None:
    with _lock:
        _memory.clear()


def clear_cache() -> None:
    """Forget every compiled kernel, in memory and on disk."""
    clear_memory()
    shutil.rmtree(_kernel_dir(create=False), ignore_errors=True)


def _kernel_dir(create: bool = True) -> str:
    path = os.path.join(config.cache_dir(), "kernels")
    if create:
        os.makedirs(path, exist_ok=True)
    return path


def _write_module(source: str) -> str:
    """Write `source` to its content-addressed file (once) and return the path."""
    global _fallback_dir
    name = "lazyarr_k" + hashlib.sha256(source.encode()).hexdigest()[:24]
    for attempt in ("configured", "fallback"):
        directory = _kernel_dir() if attempt == "configured" and _fallback_dir is None else _fallback_dir
        try:
            if directory is None:
                raise OSError("no fallback directory yet")
            path = os.path.join(directory, name + ".py")
            if not os.path.exists(path):
                tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
                with open(tmp, "w") as f:
                    f.write(source)
                os.replace(tmp, path)  # atomic: concurrent writers of the same text agree
            return path
        except OSError as exc:
            if attempt == "fallback":
                raise
            _fallback_dir = tempfile.mkdtemp(prefix="lazyarr-kernels-")
            warnings.warn(f"lazyarr: kernel cache directory {config.cache_dir()!r} is not usable ({exc}); "
                          f"compiling into {_fallback_dir} for this process", RuntimeWarning, stacklevel=4)
    raise AssertionError("unreachable")


def _import(path: str):
    name = os.path.splitext(os.path.basename(path))[0]
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: Numba's cache locates the function through its module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _load(source: str) -> Compiled:
    if config.debug():
        print(f"lazyarr: compiling kernel\n{source}", file=sys.stderr)
    from . import threads
    threads.configure_threading_layer()
    path = _write_module(source)
    start = time.perf_counter()
    try:
        module = _import(path)
    except Exception as exc:
        if not _is_cache_corruption(exc):
            raise
        warnings.warn(f"lazyarr: kernel cache entry {path!r} is unreadable ({exc}); recompiling",
                      RuntimeWarning, stacklevel=3)
        shutil.rmtree(os.path.join(os.path.dirname(path), "__pycache__"), ignore_errors=True)
        sys.modules.pop(os.path.splitext(os.path.basename(path))[0], None)
        module = _import(path)
    elapsed = time.perf_counter() - start
    dispatcher = module.kernel
    sig = next(iter(dispatcher.overloads))
    from_disk = sum(dispatcher.stats.cache_hits.values()) > 0
    with _lock:
        if from_disk:
            _stats["disk_hits"] += 1
        else:
            _stats["compiles"] += 1
            _stats["compile_seconds"] += elapsed
    return Compiled(dispatcher, dispatcher.overloads[sig].entry_point, source, path, from_disk)


def _is_cache_corruption(exc: Exception) -> bool:
    import pickle
    return isinstance(exc, (EOFError, pickle.UnpicklingError, ValueError, KeyError, OSError))
