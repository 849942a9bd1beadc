"""Settings read from the environment (each read when used, so tests and users can change them at run time;
the parallel threshold, read on every call, is read once; the quick tier, background compilation and serial
first once per planned compute: ``reading_once``)."""
from __future__ import annotations

import os
import sys
import threading

# Below this many elements a kernel runs serially: Numba's parallel launch costs tens of microseconds,
# which is more than a small loop takes on one core (measured in bench/bench_elementwise.py).
DEFAULT_PARALLEL_THRESHOLD = 1 << 15

# ~58 KB per kernel on average (source, Numba index and machine code; docs/runtime.md): ~18,000 kernels.
DEFAULT_CACHE_MAX_BYTES = 1 << 30

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

_overrides: dict[str, object] = {}  # set in code; wins over the environment

# (s16 lazyrt) A planned compute asks ``quick_tier()``, ``background_compile()`` and ``serial_first()`` at every
# launch: lazy logistic_regression's 63 steps read the environment ~90 times a call (~1 us each: ``os.environ``
# encodes the name and decodes the value; ``auto`` also looks for a prompt). Inside ``reading_once()`` this thread
# reads each once and keeps the answer until the block ends; other threads (the compile worker) and calls outside
# read the environment as before, and ``set_*`` drops what the block kept.
_held = threading.local()


class reading_once:
    """Context manager: within it, this thread's ``quick_tier()``, ``background_compile()`` and ``serial_first()``
    are read from the environment at their first use and kept until the outermost block ends
    (``runtime.run_steps``: one compute)."""
    __slots__ = ("outer",)

    def __enter__(self):
        self.outer = getattr(_held, "memo", None)
        if self.outer is None:
            _held.memo = {}

    def __exit__(self, *exc):
        if self.outer is None:
            _held.memo = None


def _kept(name: str, read):
    """`read()`, or this thread's answer kept inside ``reading_once``."""
    memo = getattr(_held, "memo", None)
    if memo is None:
        return read()
    value = memo.get(name)
    if value is None:
        value = memo[name] = read()
    return value


def _forget_kept() -> None:
    memo = getattr(_held, "memo", None)
    if memo:
        memo.clear()


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
    """LAZYARR_MEMORY_CACHE_SIZE: how many compiled kernels stay loaded (least recently used are dropped)."""
    raw = os.environ.get("LAZYARR_MEMORY_CACHE_SIZE", "512")
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"LAZYARR_MEMORY_CACHE_SIZE={raw!r} is not an integer") from None
    if n < 1:
        raise ValueError(f"LAZYARR_MEMORY_CACHE_SIZE={n} must be at least 1")
    return n


def cache_max_bytes() -> int:
    """LAZYARR_CACHE_MAX_BYTES: the kernel directory's size limit (``500M``, ``2G`` or bytes; 0: no limit)."""
    raw = os.environ.get("LAZYARR_CACHE_MAX_BYTES", "").strip()
    if not raw:
        return DEFAULT_CACHE_MAX_BYTES
    text = raw.upper().removesuffix("B").removesuffix("I")
    unit = text[-1:] if text[-1:] in _UNITS else ""
    try:
        n = int(float(text[: len(text) - len(unit)]) * _UNITS[unit])
    except ValueError:
        raise ValueError(f"LAZYARR_CACHE_MAX_BYTES={raw!r} is not a size such as 1000000, 500M or 2G") from None
    if n < 0:
        raise ValueError(f"LAZYARR_CACHE_MAX_BYTES={raw!r} must not be negative")
    return n


def parallel_threshold() -> int:
    """LAZYARR_PARALLEL_THRESHOLD: the smallest kernel size that runs in parallel (0: always parallel).

    Unlike the other settings it is read once, at its first use: every call asks for it, and reading the
    environment costs about a microsecond, a tenth of a small call. ``set_parallel_threshold`` changes it."""
    value = _overrides.get("parallel_threshold")
    if value is None:
        raw = os.environ.get("LAZYARR_PARALLEL_THRESHOLD", str(DEFAULT_PARALLEL_THRESHOLD))
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"LAZYARR_PARALLEL_THRESHOLD={raw!r} is not an integer") from None
        _overrides.setdefault("parallel_threshold", value)
    return value


def set_parallel_threshold(size: int | None) -> None:
    """Set the smallest kernel size that runs in parallel; None: read LAZYARR_PARALLEL_THRESHOLD again."""
    if size is None:
        _overrides.pop("parallel_threshold", None)
    else:
        _overrides["parallel_threshold"] = int(size)


def warmup() -> bool:
    """LAZYARR_WARMUP: ``1``, ``0`` or ``auto`` (the default: on in an interactive session, as
    ``background_compile``). Read by ``import lazyarr``: whether a background thread starts Numba's
    once-per-process initialisation at import, so that the first compute() does not pay it (``lazyarr.warmup``;
    docs/runtime.md). It pays only when the process has idle time before its first compute (a person at a
    prompt, I/O); a script that computes at once gains nothing, and one that only imports lazyarr would wait
    for it at exit, hence off outside interactive sessions."""
    raw = os.environ.get("LAZYARR_WARMUP", "auto").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("", "auto"):
        return interactive()
    raise ValueError(f"LAZYARR_WARMUP={raw!r} is not one of 0, 1, auto")


def background_compile() -> bool:
    """Whether a new kernel compiles in a background thread while NumPy computes the calls that need it.

    ``set_background_compile()`` wins; else LAZYARR_BACKGROUND_COMPILE: ``1``/``0``, or ``auto`` (the default):
    on in an interactive session (the REPL, ``python -i``, IPython, Jupyter), off in scripts and tests, where
    every call should run the same kernel and give the same bits. See docs/runtime.md."""
    return _kept("background_compile", _background_compile)


def _background_compile() -> bool:
    value = _overrides.get("background_compile")
    if value is None:
        raw = os.environ.get("LAZYARR_BACKGROUND_COMPILE", "auto").strip().lower()
        if raw in ("1", "true", "yes", "on"):
            return True
        if raw in ("", "auto"):
            return interactive()
        if raw in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"LAZYARR_BACKGROUND_COMPILE={raw!r} is not one of 0, 1, auto")
    return bool(value)


def set_background_compile(enabled: bool | None) -> None:
    """Turn background compilation on (True) or off (False) for this process; None: back to the environment."""
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"set_background_compile() takes True, False or None, not {type(enabled).__name__}")
    if enabled is None:
        _overrides.pop("background_compile", None)
    else:
        _overrides["background_compile"] = enabled
    _forget_kept()


def interactive() -> bool:
    """A person is waiting at a prompt: the REPL, ``python -i``, or an IPython shell or Jupyter kernel."""
    if hasattr(sys, "ps1") or sys.flags.interactive:
        return True
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    return get is not None and get() is not None


def _on_off(key: str, env: str) -> bool:
    """A setting that is on unless turned off: ``_overrides[key]`` wins, else environment variable `env`
    (``1``, the default, or ``0``)."""
    value = _overrides.get(key)
    if value is None:
        raw = os.environ.get(env, "1").strip().lower()
        if raw in ("1", "true", "yes", "on", ""):
            return True
        if raw in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{env}={raw!r} is not one of 0, 1")
    return bool(value)


def _override(key: str, enabled: bool | None, setter: str) -> None:
    """``set_<key>(enabled)``: True or False for this process; None: back to the environment."""
    if enabled is not None and not isinstance(enabled, bool):
        raise TypeError(f"{setter}() takes True, False or None, not {type(enabled).__name__}")
    if enabled is None:
        _overrides.pop(key, None)
    else:
        _overrides[key] = enabled
    _forget_kept()


# --- serial first (#14 compile latency) ----------------------------------------------------------------------

def serial_first() -> bool:
    """Whether a kernel's first call at a parallel size runs its serial variant (docs/runtime.md).

    ``set_serial_first()`` wins; else LAZYARR_SERIAL_FIRST: ``1`` (the default) or ``0``. Numba compiles a
    ``parallel=True`` kernel in 3-4x the CPU time of the same loop serial (the parfor passes and a second,
    gufunc-wrapped copy of the body), about 0.7 s per kernel here, far more than one call loses by running on
    one thread; so the first call gets the serial kernel and the parallel one is compiled when the kernel is
    called at a parallel size again. Results are the same bits either way."""
    return _kept("serial_first", _serial_first)


def _serial_first() -> bool:
    return _on_off("serial_first", "LAZYARR_SERIAL_FIRST")


def set_serial_first(enabled: bool | None) -> None:
    """Turn serial-first on (True) or off (False) for this process; None: back to the environment."""
    _override("serial_first", enabled, "set_serial_first")


# --- #14 quick tier (compiler/llvm_tier.py) ---------------------------------------------------------------------

def quick_tier() -> bool:
    """Whether flat map kernels of exact ops compile straight to LLVM (no Numba: tens of ms in a fresh process
    instead of ~1 s; docs/quick_tier.md). ``set_quick_tier()`` wins; else LAZYARR_QUICK_TIER: ``1`` (the
    default) or ``0`` (every kernel through Numba, as before)."""
    return _kept("quick_tier", _quick_tier)


def _quick_tier() -> bool:
    return _on_off("quick_tier", "LAZYARR_QUICK_TIER")


def set_quick_tier(enabled: bool | None) -> None:
    """Turn the quick tier on (True) or off (False) for this process; None: back to the environment."""
    _override("quick_tier", enabled, "set_quick_tier")
# --- end #14 quick tier ---


# --- (s17) fuse's speed probe (tracer/speed_probe.py) ---------------------------------------------------------------

def fuse_probe() -> bool:
    """Whether ``@la.fuse`` times a new signature's fused program against the function itself over its first
    calls and runs the function as plain NumPy when that is clearly faster (tracer/speed_probe.py, docs/fuse.md
    "Never slower than the function"). ``set_fuse_probe()`` wins; else LAZYARR_FUSE_PROBE: ``1`` (the default) or
    ``0`` (always the fused program; the tests' default, since which one runs depends on timing)."""
    return _on_off("fuse_probe", "LAZYARR_FUSE_PROBE")  # (read per new signature: not kept per compute)


def set_fuse_probe(enabled: bool | None) -> None:
    """Turn fuse's speed probe on (True) or off (False) for this process; None: back to the environment."""
    _override("fuse_probe", enabled, "set_fuse_probe")
