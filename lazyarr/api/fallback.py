"""The NumPy fallback: a NumPy function (or ufunc method) lazyarr has no rule for runs as NumPy, eagerly.

``np.median(lazy)`` must give NumPy's answer, not "not supported": the LazyArrays in the arguments (also inside
lists, tuples and dicts) are computed together in one pass, NumPy is called on their values, and ndarray results
are wrapped again as LazyArrays so later work stays lazy. It warns once per function per process
(``NumPyFallbackWarning``), because the call is a boundary with no fusion, and ``explain()`` of the result
names the function that computed it. Dask does the same for functions it has no rule for.

A fallback that writes into a LazyArray (``out=lazy``, ``ufunc.at(lazy, ...)``, ``np.copyto(lazy, ...)`` with
arguments no rule takes) hands NumPy a writable copy of the LazyArray's value in its place (everywhere it
appears, so an input that is also the output aliases as in NumPy), then rebinds the LazyArray to what NumPy
wrote: a functional update, as every other write into a LazyArray is (s20; before, these raised TypeError).
"""
from __future__ import annotations

import types

import numpy as np

from lazyarr.api import build
from lazyarr.api import tracing
from lazyarr.api.array import WRITERS, LazyArray
from lazyarr.api.notices import NumPyFallbackWarning, warn_once, warned  # noqa: F401 (warned: the tests read it)
from lazyarr.api.functions import compute
from lazyarr.graph import dtypes
from lazyarr.runtime import explain


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
    written = (WRITERS[func](*args, **kwargs),) if func in WRITERS else ()  # (np.copyto(lazy, ...) and kin)
    if not written:
        result = numpy_code_on_lazy(func, args, kwargs)
        if result is not NOT_LAZY:
            return result
    return _run(func, name, args, kwargs, written)


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
    return _run(getattr(ufunc, method), name, inputs, kwargs, inputs[:1] if method == "at" else ())


def _run(func, name: str, args: tuple, kwargs: dict, written: tuple = ()):
    """NumPy's `func` on the computed values; `written`: arguments it writes in place besides ``out=``."""
    lazies: list[LazyArray] = []
    _collect((args, kwargs), lazies)
    out = kwargs.get("out")
    targets = {id(t): t for t in (*(out if isinstance(out, tuple) else (out,)), *written) if isinstance(t, LazyArray)}
    if lazies and (tracing.tracing_threads or tracing.strict_threads):  # (s15: strict before the warning)
        tracing.refuse_concrete(lazies[0], f"{name} (lazyarr has no rule for it, so it would run NumPy on "
                                           "the values)")
    _warn_once(name)
    values = dict(zip(map(id, lazies), compute(*lazies)))  # one pass over shared inputs
    stand_ins = {key: np.array(values[key], copy=True) for key in targets}  # what NumPy writes, in their place
    values.update(stand_ins)
    args, kwargs = _replace((args, kwargs), values)
    result = func(*args, **kwargs)
    if targets:
        from lazyarr.api import assign  # (assign builds on modules that import this one)
        for key, target in targets.items():
            assign.rebind(target, build.array_leaf(stand_ins[key]), f"{name} (a write into a LazyArray)")
    owned = set()
    _collect_arrays((args, kwargs), owned)
    return _wrap(result, name, owned, {id(stand_ins[key]): target for key, target in targets.items()})


def _warn_once(name: str) -> None:
    warn_once(name, f"lazyarr: {name} has no lazy rule: it ran eagerly in NumPy on the computed inputs (not "
                    "fused; array results are wrapped as LazyArrays again). Shown once per function.")


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


def _wrap(result, name: str, owned: set, written: dict | None = None):
    """NumPy's result, its new plain ndarrays (also inside tuples and lists) wrapped as LazyArrays; a stand-in
    NumPy wrote for a LazyArray (`written`: id(stand-in) -> the LazyArray) is that LazyArray, as NumPy returns
    the out= array itself."""
    if written and id(result) in written:
        return written[id(result)]
    if type(result) is np.ndarray:
        if id(result) in owned or dtypes.supported_native(result.dtype) is None:
            return result  # the caller's own out= array; or a dtype lazyarr cannot hold (object, str, datetime)
        return wrap_value(result, f"computed by {name} (fallback)")
    if isinstance(result, list):
        return [_wrap(item, name, owned, written) for item in result]
    if isinstance(result, tuple):
        items = [_wrap(item, name, owned, written) for item in result]
        return type(result)(*items) if hasattr(result, "_fields") else tuple(items)
    return result


def wrap_value(value: np.ndarray, note: str) -> LazyArray:
    """A LazyArray over an array computed eagerly; explain() shows `note` on its leaf. A 0-d result stays a 0-d
    array when computed, as NumPy gave it."""
    node = build.array_leaf(value)
    explain.note(node, note)
    return LazyArray(node, array0=value.ndim == 0)
