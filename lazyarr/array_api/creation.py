"""The standard's creation functions: lazyarr's lazy generators (api/creation.py) with the standard's
signatures (keyword-only ``dtype``/``device``), plus ``asarray`` and ``from_dlpack``."""
from __future__ import annotations

import numpy as np

from lazyarr.api import creation as lazy_creation
from lazyarr.api.array import LazyArray, wrap
from lazyarr.array_api.adapt import as_lazy, check_device


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    """An array of this namespace. An ndarray is shared by reference (copy=None: read when computed, see
    docs/index.md "When inputs are read"); copy=True takes a snapshot now; copy=False never copies."""
    check_device(device, "asarray")
    if isinstance(obj, LazyArray):
        if dtype is None or np.dtype(dtype) == obj.dtype:
            return wrap(obj, copy=copy)
        if copy is False:
            raise ValueError(f"lazyarr.array_api.asarray: copy=False, but casting {obj.dtype} to "
                             f"{np.dtype(dtype)} needs a copy")
        return obj.astype(dtype)
    if copy is True:
        return wrap(np.array(obj, dtype=dtype, copy=True))
    # copy=None shares an ndarray where NumPy would; copy=False raises NumPy's ValueError where it cannot
    value = np.asarray(obj, dtype=dtype, copy=copy)
    return wrap(value, copy=False if copy is False else None)


def zeros(shape, *, dtype=None, device=None):
    check_device(device, "zeros")
    return lazy_creation.zeros(shape, dtype)


def ones(shape, *, dtype=None, device=None):
    check_device(device, "ones")
    return lazy_creation.ones(shape, dtype)


def empty(shape, *, dtype=None, device=None):
    check_device(device, "empty")
    return lazy_creation.empty(shape, dtype)


def full(shape, fill_value, *, dtype=None, device=None):
    check_device(device, "full")
    return lazy_creation.full(shape, fill_value, dtype)


def zeros_like(x, /, *, dtype=None, device=None):
    check_device(device, "zeros_like")
    return lazy_creation.zeros_like(as_lazy(x), dtype)


def ones_like(x, /, *, dtype=None, device=None):
    check_device(device, "ones_like")
    return lazy_creation.ones_like(as_lazy(x), dtype)


def empty_like(x, /, *, dtype=None, device=None):
    check_device(device, "empty_like")
    return lazy_creation.empty_like(as_lazy(x), dtype)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    check_device(device, "full_like")
    return lazy_creation.full_like(as_lazy(x), fill_value, dtype)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    check_device(device, "arange")
    return lazy_creation.arange(start, stop, step, dtype=dtype)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    check_device(device, "eye")
    return lazy_creation.eye(n_rows, n_cols, k=k, dtype=np.float64 if dtype is None else dtype)


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    check_device(device, "linspace")
    return lazy_creation.linspace(start, stop, num, endpoint=endpoint, dtype=dtype)


def from_dlpack(x, /, *, device=None, copy=None):
    """An array from any DLPack producer (a LazyArray computes to export). copy=None shares the producer's
    memory by reference, as asarray does."""
    check_device(device, "from_dlpack")
    return wrap(np.from_dlpack(x, copy=copy))


FUNCTIONS = {f.__name__: f for f in (asarray, arange, eye, linspace, from_dlpack, zeros, ones, empty, full,
                                     zeros_like, ones_like, empty_like, full_like)}
