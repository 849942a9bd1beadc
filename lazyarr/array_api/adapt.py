"""Operands in, LazyArrays out: what every function of the Array API namespace goes through.

The standard's functions take arrays of their own namespace and return them. lazyarr's namespace also takes
NumPy arrays and NumPy scalars (read at the call, as NumPy reads an operand: ``array.operand``), leaves Python scalars alone so
NumPy's weak-scalar rules still apply, and wraps any NumPy result (a data-dependent result computed at the call,
a fallback's value) as a LazyArray, so that a result is always an array of this namespace.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api.array import LazyArray, operand, wrap

SUPPORTED_DEVICES = ("cpu",)


def as_lazy(x):
    """An operand as this namespace's array: ndarrays and NumPy scalars wrapped; lists/tuples item by item."""
    if isinstance(x, LazyArray):
        return x
    if isinstance(x, (np.ndarray, np.generic)):
        return operand(np.asarray(x))
    if type(x) in (list, tuple):
        return type(x)(as_lazy(item) for item in x)
    return x


def lazy_result(value):
    """A result as this namespace's array: ndarrays and NumPy scalars wrapped, tuples (named ones too) and lists
    element by element; anything else (a Python number from ``finfo``, None) unchanged."""
    if isinstance(value, LazyArray):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        return wrap(np.asarray(value))
    if isinstance(value, tuple):
        items = [lazy_result(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [lazy_result(v) for v in value]
    return value


def from_numpy(func, name: str):
    """The namespace's ``name``: NumPy 2's function of that standard name called on LazyArrays, so that
    LazyArray's protocols pick lazyarr's rule (a fused node, a stage, or the warned fallback)."""
    def function(*args, **kwargs):
        return lazy_result(func(*as_lazy(args), **kwargs))

    function.__name__ = name
    function.__qualname__ = name
    function.__wrapped__ = func  # inspect.signature (and the conformance suite) sees NumPy's signature
    function.__doc__ = f"The Array API's ``{name}``: ``numpy.{getattr(func, '__name__', name)}`` on LazyArrays."
    return function


def check_device(device, what: str) -> None:
    """lazyarr computes on the CPU only: the standard's ``device=`` accepts None and "cpu"."""
    if device is not None and device not in SUPPORTED_DEVICES:
        raise ValueError(f"lazyarr.array_api.{what}: unsupported device {device!r}; lazyarr arrays live on "
                         f"'cpu'")


def dtype_of(x):
    """The dtype of an array of any kind, for the dtype functions (which NumPy answers from dtypes)."""
    return x.dtype if isinstance(x, (LazyArray, np.ndarray, np.generic)) else x
