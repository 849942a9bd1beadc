"""(s15) Floating-point error handling a fused function asks NumPy for: ``np.errstate(all="raise")`` inside it.

lazyarr's kernels compute under ``np.errstate(all="ignore")`` (they report no floating-point flags), so a fused
``try: with np.errstate(invalid="raise"): r = np.log(a) / except FloatingPointError: ...`` returned ``log``'s
NaNs where NumPy takes the ``except`` branch: a silent wrong answer (session 15's sweep). The flags of each
operation are not cheap to carry out of a kernel, so such a function runs as plain NumPy instead
(``decorator._Fused.numpy_route``): its trace notes whether the function set an error mode whose effect is
visible - ``raise``, ``call``, ``print`` or ``log`` - through ``np.errstate`` (as a context manager or a
decorator) or ``np.seterr``, or was called under one. A cached call checks the caller's mode too
(``caller_asks``: one context-variable read while the mode is unchanged).

``warn`` (NumPy's default) is left as it is: lazyarr never emits NumPy's RuntimeWarnings (docs/fuse.md), and
routing every function to NumPy for them would make fuse pointless.

Why replace ``numpy.errstate``/``numpy.seterr`` during a trace instead of reading ``np.geterr()`` per traced
operation: the mode is usually set for a few lines (``with np.errstate(...)``) and restored before the trace
ends, and a per-operation check would cost each traced node ~1 us for every function, to find the few that
ask. The replacements are installed while any thread traces (reference-counted, as ``scipy_calls``) and
behave as NumPy's own; code that imported ``errstate`` by name before is not seen (its call is still NumPy's).
"""
from __future__ import annotations

import functools
import threading

import numpy as np
from numpy._core import _ufunc_config

VISIBLE = frozenset({"raise", "call", "print", "log"})
_MODES = ("all", "divide", "over", "under", "invalid")

_local = threading.local()  # .watch: the Watch of the trace running on this thread (None outside one)
_lock = threading.Lock()
_users = 0
_originals: dict = {}


def _asks(modes: dict) -> str | None:
    """The first visible mode among errstate/seterr keyword arguments, as text, or None."""
    for name in _MODES:
        if modes.get(name) in VISIBLE:
            return f"{name}={modes[name]!r}"
    if modes.get("call", _ufunc_config._Unspecified) not in (_ufunc_config._Unspecified, None):
        return "call=..."
    return None


def _note(modes: dict, how: str) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None and watch.why is None:
        asked = _asks(modes)
        if asked is not None:
            watch.why = f"{how}({asked})"


class _errstate(_ufunc_config.errstate):
    """NumPy's errstate that tells the trace on this thread which modes it sets."""

    def __init__(self, **modes):
        _note(modes, "np.errstate")
        super().__init__(**modes)


def _seterr(original):
    @functools.wraps(original)
    def seterr(*args, **modes):
        _note({**dict(zip(_MODES, args)), **modes}, "np.seterr")
        return original(*args, **modes)

    return seterr


class Watch:
    """Context manager around one trace: ``why`` says which visible error mode the function set (or was called
    under), else None."""

    def __init__(self):
        self.why = None

    def __enter__(self):
        global _users
        self.outer = getattr(_local, "watch", None)
        _local.watch = self  # (a call under the caller's visible mode does not trace: decorator.dispatch)
        with _lock:
            if _users == 0:
                _originals["errstate"], _originals["seterr"] = np.errstate, np.seterr
                np.errstate, np.seterr = _errstate, _seterr(np.seterr)
            _users += 1
        return self

    def __exit__(self, *exc):
        global _users
        _local.watch = self.outer
        with _lock:
            _users -= 1
            if _users == 0:
                np.errstate, np.seterr = _originals.pop("errstate"), _originals.pop("seterr")
        return False


_last = (None, False)  # (the error-mode object last checked, whether it asks): most calls see the same one


def caller_asks() -> bool:
    """Whether the calling thread's floating-point error mode is visible (``np.errstate(all="raise")`` around
    the call): one context-variable read while the mode object is the one checked last."""
    global _last
    state = _ufunc_config._extobj_contextvar.get()
    last = _last
    if state is last[0]:
        return last[1]
    asks = _asks(np.geterr()) is not None
    _last = (state, asks)
    return asks
