"""``xp.fft``: the standard's FFT extension over NumPy's ``numpy.fft`` on LazyArrays (``la.fft``'s stages)."""
from __future__ import annotations

import numpy as np

from lazyarr.api.array import wrap
from lazyarr.array_api.adapt import check_device, from_numpy
from lazyarr.array_api.table import FFT


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    check_device(device, "fft.fftfreq")
    return wrap(np.fft.fftfreq(n, d).astype(dtype or np.float64, copy=False))


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    check_device(device, "fft.rfftfreq")
    return wrap(np.fft.rfftfreq(n, d).astype(dtype or np.float64, copy=False))


globals().update({name: from_numpy(getattr(np.fft, name), name) for name in FFT})

__all__ = sorted(FFT + ["fftfreq", "rfftfreq"])
