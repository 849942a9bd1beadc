"""``lazyarr.array_api``: the Python Array API standard (revision 2024.12) over LazyArrays.

``LazyArray.__array_namespace__()`` returns this module, so array-API code (``xp = array_namespace(x)``, SciPy
under ``SCIPY_ARRAY_API=1``) builds lazyarr graphs. It is a namespace of its own, not ``lazyarr``, because the
standard's functions have signatures of their own (``astype(x, dtype, copy=)``, ``std(correction=)``,
``sort(descending=, stable=)``, keyword-only ``dtype``/``device``), see docs/array_api.md.

The names come from tables: ``table.py`` (NumPy 2 functions of the same name and signature, dispatched to
lazyarr's rules), ``functions.py`` / ``creation.py`` (where the standard's signature differs), ``dtypes.py``
(dtype objects and functions, ``__array_namespace_info__``), and the ``linalg`` / ``fft`` extensions.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from lazyarr.api import dispatch
from lazyarr.array_api import creation, dtypes, fft, functions, linalg
from lazyarr.array_api.adapt import from_numpy
from lazyarr.array_api.table import SAME_AS_NUMPY

__array_api_version__ = "2024.12"
SUPPORTED_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12")

e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None

globals().update({name: from_numpy(getattr(np, name), name) for name in SAME_AS_NUMPY})
globals().update(functions.FUNCTIONS)  # after the table: these replace NumPy-signature versions
globals().update(creation.FUNCTIONS)
globals().update(dtypes.FUNCTIONS)
globals().update(dtypes.DTYPES)
__array_namespace_info__ = dtypes.namespace_info

__all__ = sorted(set(SAME_AS_NUMPY) | set(functions.FUNCTIONS) | set(creation.FUNCTIONS)
                 | set(dtypes.FUNCTIONS) | set(dtypes.DTYPES)
                 | {"e", "pi", "inf", "nan", "newaxis", "linalg", "fft", "__array_namespace_info__"})


def namespace(api_version=None):
    """``LazyArray.__array_namespace__``: this module, for every revision it implements."""
    if api_version is not None and api_version not in SUPPORTED_VERSIONS:
        raise ValueError(f"lazyarr.array_api: unsupported api_version {api_version!r}; supported: "
                         f"{', '.join(SUPPORTED_VERSIONS)}")
    return sys.modules[__name__]


dispatch.register("array_namespace", namespace)
