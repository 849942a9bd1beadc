"""The standard's data types and data-type functions, and ``__array_namespace_info__()``.

Dtype objects are NumPy's ``numpy.dtype`` instances, exactly what ``LazyArray.dtype`` returns, so
``x.dtype == xp.float64`` and dictionaries keyed by dtype work. The functions take LazyArrays by their dtype
(NumPy answers every question from dtypes alone, nothing is computed).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from lazyarr.array_api.adapt import SUPPORTED_DEVICES, check_device, dtype_of
from lazyarr.array_api.table import DTYPE_NAMES

DTYPES = {name: np.dtype(name) for name in DTYPE_NAMES}


def isdtype(dtype, kind):
    return np.isdtype(dtype, kind)


def result_type(*arrays_and_dtypes):
    """NumPy 2's promotion (NEP 50: Python scalars are weak), with arrays taken by their dtype."""
    return np.result_type(*(dtype_of(x) for x in arrays_and_dtypes))


def can_cast(from_, to, /):
    return np.can_cast(dtype_of(from_), to)


class FInfo(NamedTuple):
    """The standard's finfo: Python floats (NumPy's finfo gives NumPy scalars of the dtype)."""
    bits: int
    eps: float
    max: float
    min: float
    smallest_normal: float
    dtype: np.dtype


def finfo(type, /):
    info = np.finfo(dtype_of(type))
    return FInfo(int(info.bits), float(info.eps), float(info.max), float(info.min), float(info.smallest_normal),
                 info.dtype)


def iinfo(type, /):
    return np.iinfo(dtype_of(type))


FUNCTIONS = {f.__name__: f for f in (isdtype, result_type, can_cast, finfo, iinfo)}

_KIND_ORDER = ("bool", "signed integer", "unsigned integer", "real floating", "complex floating")


class Info:
    """``xp.__array_namespace_info__()``: what this namespace supports, per the standard's inspection API."""

    def capabilities(self) -> dict:
        # Data-dependent shapes (unique_*, nonzero, x[mask]) are supported, but not lazily: the call computes
        # its inputs and the result is a new leaf (docs/array_api.md). 64 dimensions is NumPy's limit.
        return {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": 64}

    def default_device(self):
        return SUPPORTED_DEVICES[0]

    def devices(self) -> list:
        return list(SUPPORTED_DEVICES)

    def default_dtypes(self, *, device=None) -> dict:
        check_device(device, "__array_namespace_info__().default_dtypes")
        return {"real floating": DTYPES["float64"], "complex floating": DTYPES["complex128"],
                "integral": DTYPES["int64"], "indexing": DTYPES["int64"]}

    def dtypes(self, *, device=None, kind=None) -> dict:
        check_device(device, "__array_namespace_info__().dtypes")
        if kind is None:
            return dict(DTYPES)
        return {name: dt for name, dt in DTYPES.items() if np.isdtype(dt, kind)}


def namespace_info() -> Info:
    return Info()
