"""How arrays reach a kernel: the layout class of a call, the views passed, and the kernel's cache key.

Layout classes (part of the cache key, so a kernel never sees a layout it was not compiled for):
- ``flat``: every array has the kernel's full shape and all are C-contiguous (or all F-contiguous): the
  kernel is one 1-D loop over raveled views, the fastest form.
- ``nd``: anything else (broadcast, strided, reversed, mixed orders): inputs are broadcast to the kernel's
  shape as zero-stride views and indexed by an n-d loop whose outer axes run in parallel.

float16 has no Numba type on the CPU: its buffers travel as their uint16 bits and kernels carry the values
in float32 (see codegen).
"""
from __future__ import annotations

import numpy as np

from lazyarr.graph.dtypes import HALF
from lazyarr.graph.expr import Node


def layout_of(arrays: list[np.ndarray], shape: tuple) -> tuple[str, str]:
    """(layout class, memory order) for arrays that all take part in one loop over `shape`."""
    for a in arrays:
        if a.shape != shape:
            return "nd", "C"
    for a in arrays:
        if not a.flags.c_contiguous:
            break
    else:
        return "flat", "C"
    for a in arrays:
        if not a.flags.f_contiguous:
            return "nd", "C"
    return "flat", "F"


def map_key(structure: tuple, layout: str, ndim: int, parallel: bool, out_dtypes: tuple) -> tuple:
    """The cache key of a map kernel: its structure and everything about the call that changes the code."""
    return (structure, layout, ndim if layout == "nd" else 1, parallel, out_dtypes)


def flat(a: np.ndarray, order: str) -> np.ndarray:
    """A 1-D view in memory order (float16 as its uint16 bits)."""
    if a.dtype == HALF:
        a = a.view(np.uint16)
    if a.ndim == 1:
        return a
    return (a if order == "C" else a.T).reshape(-1)


def storage(a: np.ndarray) -> np.ndarray:
    """float16 arrays travel to kernels as their uint16 bits."""
    return a.view(np.uint16) if a.dtype == HALF else a


def const_arg(c: Node):
    """A constant as the kernel takes it: its NumPy scalar (float16 as the float32 carrying it)."""
    if c.dtype == HALF:
        return np.float32(np.float16(c.data))
    return c.data


def kernel_args(arrays, outs, consts, layout: str, order: str, shape: tuple) -> list:
    """Arguments in the kernel's order: input views, typed scalars, output views."""
    if layout == "flat":
        args = [flat(a, order) for a in arrays]
        args += [const_arg(c) for c in consts]
        args += [flat(o, order) for o in outs]
        return args
    args = [storage(a if a.shape == shape else np.broadcast_to(a, shape)) for a in arrays]
    args += [const_arg(c) for c in consts]
    args += [storage(o) for o in outs]
    return args
