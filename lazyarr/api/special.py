"""``lazyarr.special``: every single-output scipy.special ufunc as a lazy function.

Functions the bridge can call (``lazyarr.scipy_bridge``) compile into the fused kernel; the few it cannot are
evaluated by SciPy as a stage, which ``explain()`` shows. ``scipy.special.<f>(lazy)`` builds the same node,
because scipy.special functions are NumPy ufuncs and reach ``LazyArray.__array_ufunc__``.
"""
from __future__ import annotations

import numpy as np
import scipy.special as _sp

from lazyarr.api import build as _build
from lazyarr.api import errstate as _errstate
from lazyarr.api.array import LazyArray as _LazyArray


def _lazy(name: str, ufunc: np.ufunc):
    def function(*operands, dtype=None):
        if _errstate.state() is not _errstate.QUIET and _errstate.asks() and not _errstate.over_dask(operands):
            return _errstate.run(ufunc, operands, {} if dtype is None else {"dtype": dtype}, f"scipy.special.{name}")
        return _LazyArray(_build.ufunc_node(ufunc, operands, opname=f"scipy.special.{name}", dtype=dtype))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"Lazy ``scipy.special.{name}``, fused into the kernel that computes the expression."
    return function


def _functions() -> dict:
    return {name: _lazy(name, obj) for name, obj in vars(_sp).items()
            if isinstance(obj, np.ufunc) and obj.nout == 1 and not name.startswith("_")}


globals().update(_functions())
__all__ = sorted(_functions())
