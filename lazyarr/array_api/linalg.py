"""``xp.linalg``: the standard's linear-algebra extension over NumPy's ``numpy.linalg`` on LazyArrays
(``la.linalg``'s stages where lazyarr has a shape rule)."""
from __future__ import annotations

import numpy as np

from lazyarr.array_api.adapt import as_lazy, from_numpy, lazy_result
from lazyarr.array_api.table import LINALG


def pinv(x, /, *, rtol=None):
    return lazy_result(np.linalg.pinv(as_lazy(x), rtol=rtol))


def matrix_rank(x, /, *, rtol=None):
    return lazy_result(np.linalg.matrix_rank(as_lazy(x), rtol=rtol))


globals().update({name: from_numpy(getattr(np.linalg, name), name) for name in LINALG})

__all__ = sorted(LINALG + ["pinv", "matrix_rank"])
