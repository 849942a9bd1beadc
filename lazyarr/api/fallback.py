"""The NumPy fallback: a NumPy function (or ufunc method) lazyarr has no rule for runs as NumPy, eagerly.

``np.median(lazy)`` must give NumPy's answer, not "not supported": the LazyArrays in the arguments (also inside
lists, tuples and dicts) are computed together in one pass, NumPy is called on their values, and ndarray results
are wrapped again as LazyArrays so later work stays lazy. It warns once per function per process
(``NumPyFallbackWarning``), because the call is a boundary with no fusion, and ``explain()`` of the result
names the function that computed it. Dask does the same for functions it has no rule for.

What a fallback cannot do is write into a LazyArray (``np.copyto(lazy, ...)``, ``out=lazy``, ``ufunc.at``):
the write would land in a temporary and be lost, so those are refused with a TypeError.
"""
from __future__ import annotations

import os
import sys
import threading
import types
import warnings

import numpy as np

from lazyarr.api import build
from lazyarr.api import tracing
from lazyarr.api.array import WRITERS, LazyArray
from lazyarr.api.functions import compute
from lazyarr.graph import dtypes
from lazyarr.runtime import explain


class NumPyFallbackWarning(UserWarning):
    """A NumPy function lazyarr has no rule for ran as NumPy on computed inputs (not fused, not lazy)."""


# Functions already warned about: the warning says once per process what the user may want to know, and a
# loop calling np.median must not print a line per call.
warned: set[str] = set()
_warned_lock = threading.Lock()


def function_name(func) -> str:
    """``numpy.median``, ``numpy.linalg.norm``, ``numpy.add.accumulate``: how the warning and explain() name it."""
    if isinstance(func, np.ufunc):  # every ufunc says module "numpy", scipy.special's too
        module = "scipy.special" if build.is_scipy_special(func) else "numpy"
    else:
        module = getattr(func, "__module__", None) or "numpy"
    return f"{module}.{getattr(func, '__name__', repr(func))}"


def call_function(func, args: tuple, kwargs: dict):
    """``func(*args, **kwargs)`` run by NumPy on the computed values of the LazyArrays among the arguments."""
    name = function_name(func)
    if func in WRITERS:  # (np.copyto(lazy, ...): the write would go into a computed temporary and be lost)
        _refuse_write(WRITERS[func](*args, **kwargs), name)
    result = numpy_code_on_lazy(func, args, kwargs)
    if result is not NOT_LAZY:
        return result
    return _run(func, name, args, kwargs)


def eager(func, args: tuple, kwargs: dict):
    """(s15) The eager fallback itself, for a rule that covers only some of a function's calls."""
    return _run(func, function_name(func), args, kwargs)


# --- (s15) NumPy's own Python implementation, run on the LazyArrays ---------------------------------------------
# Many NumPy functions lazyarr has no rule for are Python code over functions it does have rules for
# (np.isposinf is isinf, signbit and logical_and; np.cumulative_sum is atleast_1d, add.accumulate and concat;
# np.hsplit is split; np.linalg.trace is trace). Run on the LazyArrays themselves, that code builds lazyarr's
# nodes: fused, lazy, NumPy's semantics by construction (it is NumPy's code). The first request for a value
# (np.asarray inside the implementation, bool() of a LazyArray, a C function converting its argument) stops the
# attempt (tracing.values_refused) and the call takes the eager fallback as before; so does any error (NumPy then
# raises its own on the values). Not tried where running the code twice could be seen: functions that call the
# user's callables or do I/O, and calls writing into out=.
NOT_LAZY = object()
_NOT_TRIED = frozenset({
    "apply_along_axis", "apply_over_axes", "fromfunction", "vectorize", "frompyfunc", "piecewise",
    "save", "savez", "savez_compressed", "savetxt", "load", "loadtxt", "genfromtxt", "fromfile", "tofile",
    "array2string", "array_repr", "array_str", "printoptions", "set_printoptions",
})


def numpy_code_on_lazy(func, args: tuple, kwargs: dict):
    """NumPy's Python implementation of `func` run on the arguments as they are (LazyArrays included); its
    result, or NOT_LAZY where it asked for a value, raised, or is not Python code."""
    code = getattr(func, "_implementation", None)
    if type(code) is not types.FunctionType or getattr(func, "__name__", "") in _NOT_TRIED \
            or kwargs.get("out") is not None:
        return NOT_LAZY
    try:
        with tracing.values_refused():  # (a nested eager fallback stops there too, before its warning)
            return code(*args, **kwargs)
    except Exception:  # ValueNeeded, or an error NumPy gives (again) on the values in the eager fallback
        return NOT_LAZY
# --- end s15 ---


def call_ufunc_method(ufunc, method: str, inputs: tuple, kwargs: dict):
    """``ufunc.method(*inputs, **kwargs)`` (accumulate, outer, reduceat, a call with keywords lazyarr does not
    fuse, ...) run by NumPy on computed values. ``ufunc.at`` writes into its first operand in place."""
    name = f"{function_name(ufunc)}" + ("" if method == "__call__" else f".{method}")
    if method == "at":
        _refuse_write(inputs[0], name)
    return _run(getattr(ufunc, method), name, inputs, kwargs)


def _refuse_write(target, name: str) -> None:
    if isinstance(target, LazyArray):
        raise TypeError(f"lazyarr: {name} writes into its argument in place, and a LazyArray is immutable: the "
                        "write would be lost. Compute it first (a = x.compute()) and write into the NumPy array, "
                        "or build the new values (la.where(mask, values, x))")


def _run(func, name: str, args: tuple, kwargs: dict):
    lazies: list[LazyArray] = []
    _collect((args, kwargs), lazies)
    out = kwargs.get("out")
    for target in out if isinstance(out, tuple) else (out,):
        _refuse_write(target, f"{name}(out=...)")
    if lazies and (tracing.tracing_threads or tracing.strict_threads):  # (s15: strict before the warning)
        tracing.refuse_concrete(lazies[0], f"{name} (lazyarr has no rule for it, so it would run NumPy on "
                                           "the values)")
    _warn_once(name)
    values = dict(zip(map(id, lazies), compute(*lazies)))  # one pass over shared inputs
    args, kwargs = _replace((args, kwargs), values)
    result = func(*args, **kwargs)
    owned = set()
    _collect_arrays((args, kwargs), owned)
    return _wrap(result, name, owned)


def _warn_once(name: str) -> None:
    with _warned_lock:
        if name in warned:
            return
        warned.add(name)
    warnings.warn(f"lazyarr: {name} has no lazy rule: it ran eagerly in NumPy on the computed inputs (not fused; "
                  "array results are wrapped as LazyArrays again). Shown once per function.",
                  NumPyFallbackWarning, stacklevel=_user_stacklevel())


# lazyarr's own files and NumPy's: the warning points at the first frame outside both, the user's line.
_SKIP_DIRS = (os.path.dirname(np.__file__) + os.sep,
              os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)


def _user_stacklevel() -> int:
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def _collect(x, found: list) -> None:
    """The LazyArrays in `x`, looking into lists, tuples and dicts (np.concatenate's sequence, einsum's operands)."""
    if isinstance(x, LazyArray):
        found.append(x)
    elif isinstance(x, (list, tuple)):
        for item in x:
            _collect(item, found)
    elif isinstance(x, dict):
        for item in x.values():
            _collect(item, found)


def _replace(x, values: dict):
    """`x` with each LazyArray replaced by its computed value, containers rebuilt as the same type."""
    if isinstance(x, LazyArray):
        return values[id(x)]
    if isinstance(x, list):
        return [_replace(item, values) for item in x]
    if isinstance(x, tuple):
        items = [_replace(item, values) for item in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)  # a namedtuple takes its fields
    if isinstance(x, dict):
        return {key: _replace(item, values) for key, item in x.items()}
    return x


def _collect_arrays(x, found: set) -> None:
    """ids of the ndarrays given to NumPy: a result that is one of them (``out=buf``) is returned as it is."""
    if isinstance(x, np.ndarray):
        found.add(id(x))
    elif isinstance(x, (list, tuple)):
        for item in x:
            _collect_arrays(item, found)
    elif isinstance(x, dict):
        for item in x.values():
            _collect_arrays(item, found)


def _wrap(result, name: str, owned: set):
    """NumPy's result, its new plain ndarrays (also inside tuples and lists) wrapped as LazyArrays."""
    if type(result) is np.ndarray:
        if id(result) in owned or dtypes.supported_native(result.dtype) is None:
            return result  # the caller's own out= array; or a dtype lazyarr cannot hold (object, str, datetime)
        return wrap_value(result, f"computed by {name} (fallback)")
    if isinstance(result, list):
        return [_wrap(item, name, owned) for item in result]
    if isinstance(result, tuple):
        items = [_wrap(item, name, owned) for item in result]
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)
    return result


def wrap_value(value: np.ndarray, note: str) -> LazyArray:
    """A LazyArray over an array computed eagerly; explain() shows `note` on its leaf. A 0-d result stays a 0-d
    array when computed, as NumPy gave it."""
    node = build.array_leaf(value)
    explain.note(node, note)
    return LazyArray(node, array0=value.ndim == 0)
