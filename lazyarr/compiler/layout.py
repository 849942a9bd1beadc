"""How arrays reach a kernel: the layout class of a call, the views passed, and the kernel's cache key.

Layout classes (part of the cache key, so a kernel never sees a layout it was not compiled for):
- ``flat``: every array has the kernel's full shape and all are C-contiguous (or all F-contiguous): the
  kernel is one 1-D loop over raveled views, the fastest form.
- ``bcast:<masks>``: broadcasting between arrays that are each C-contiguous at their own shape (a (n, 1) and a
  (1, n) point set, ``x - x.mean(0)``, ``y * g + b``), or small broadcast operands that are not (``pos[:, None,
  0]``, a column of a matrix: copied to C order per call, ``contiguous``, at most 1/SMALL_BROADCAST of the
  loop's size): each array is passed at its own shape (leading 1s added),
  typed C-contiguous, and read at index 0 on the axes it is broadcast along. The masks (one per array, one
  character per axis: ``1`` indexed, ``0`` broadcast) are part of the cache key. A broadcast input is then
  loop-invariant in the inner loop and every other read has unit stride, so LLVM vectorises the inner loop;
  through zero-stride ``A`` views it did not (haversine between point sets ran 3-5x slower than its 1-d
  equivalent).
- ``nd``: anything else (strided, reversed, mixed orders): inputs are broadcast to the kernel's
  shape as zero-stride views and indexed by an n-d loop whose outer axes run in parallel.

float16 has no Numba type on the CPU: its buffers travel as their uint16 bits and kernels carry the values
in float32 (see codegen).
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr.graph.dtypes import HALF
from lazyarr.graph.expr import Node


def layout_of(arrays: list[np.ndarray], shape: tuple) -> tuple[str, str]:
    """(layout class, memory order) for arrays that all take part in one loop over `shape`."""
    for a in arrays:
        if a.shape != shape:
            return broadcast_layout(arrays, shape), "C"
    for a in arrays:
        if not a.flags.c_contiguous:
            break
    else:
        return "flat", "C"
    for a in arrays:
        if not a.flags.f_contiguous:
            return "nd", "C"
    return "flat", "F"


BROADCAST = "bcast:"
# A broadcast operand that is not C-contiguous is copied to C order for a ``bcast:`` kernel when it has at most
# 1/SMALL_BROADCAST of the loop's elements: the copy is O(its size), the loop O(the output's). Through the zero-
# stride views of ``nd`` the inner loop did not vectorise: ``r2 ** -1.5`` over (1500, 1500) from two strided
# columns of an (n, 3) array (``nbody_accelerations``) ran 54 ms against 6 ms with contiguous columns.
SMALL_BROADCAST = 8


def broadcast_layout(arrays: list[np.ndarray], shape: tuple) -> str:
    """``bcast:<masks>`` when every array is C-contiguous at its own shape, or broadcast and small
    (``contiguous`` copies it), and the loop has at least 2 axes or a 0-d array among its inputs (a hoisted
    0-d value, read once; other 1-d broadcasting is of a scalar, already a kernel argument), else ``nd``."""
    ndim = len(shape)
    if ndim < 2 and not any(a.ndim == 0 for a in arrays):  # (s15) a 0-d array (a hoisted scalar value: a
        return "nd"                                        # stats shape parameter's function) is read once
    masks = []
    size = math.prod(shape)
    for a in arrays:
        if a.ndim > ndim:
            return "nd"
        own = (1,) * (ndim - a.ndim) + a.shape
        mask = "".join("0" if d != s else "1" for d, s in zip(own, shape))
        if not a.flags.c_contiguous and ("0" not in mask or a.size * SMALL_BROADCAST > size):
            return "nd"
        masks.append(mask)
    if not any("0" in m for m in masks):  # only missing or length-1 axes, nothing repeated: the shared nd kernel
        return "nd"
    return BROADCAST + ",".join(masks)


def broadcast_masks(layout: str) -> list[str] | None:
    """The per-array masks of a ``bcast:`` layout, or None for any other layout."""
    return layout[len(BROADCAST):].split(",") if layout.startswith(BROADCAST) else None


def padded(a: np.ndarray, ndim: int) -> np.ndarray:
    """`a` viewed with leading axes of length 1 up to `ndim` (how a ``bcast:`` kernel takes it)."""
    return a if a.ndim == ndim else a.reshape((1,) * (ndim - a.ndim) + a.shape)


def contiguous(a: np.ndarray) -> np.ndarray:
    """`a` in C order: itself when it is, else a copy (a small broadcast operand of a ``bcast:`` kernel)."""
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def map_key(structure: tuple, layout: str, ndim: int, parallel: bool, out_dtypes: tuple) -> tuple:
    """The cache key of a map kernel: its structure and everything about the call that changes the code."""
    return (structure, layout, 1 if layout == "flat" else ndim, parallel, out_dtypes)


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
    if layout.startswith(BROADCAST):
        args = [storage(padded(contiguous(a), len(shape))) for a in arrays]
    elif layout == OFFSETS:  # (#15) bases and their offsets; the outputs are new C arrays
        args = offsets_args(arrays)
    else:
        args = [storage(a if a.shape == shape else np.broadcast_to(a, shape)) for a in arrays]
    args += [const_arg(c) for c in consts]
    args += [storage(o) for o in outs]
    return args


# --- (BLAS-bound programs, #15) the broadcast layout of reduction kernels ------------------------------------
# A reduction's inputs reach its kernel as views with the axes in loop order (kept..., reduced...). A broadcast
# operand (``w`` of ``sum(X * w, axis=1)``, the ``X @ w`` of api/products.py) used to be a zero-stride view of
# the full shape, which made every view layout "A": each load multiplied runtime strides and the inner loop
# did not vectorise (the (60000, 32) product ran 2.2 ms where BLAS's gemv takes ~0.6 ms). As in the map kernels'
# ``bcast:`` layout, such an operand is passed at its own shape instead and read at index 0 on the axes it is
# broadcast along, so every view can be typed contiguous.

def reduce_broadcast(arrays: list[np.ndarray], shape: tuple, perm: list[int]
                     ) -> tuple[str, list[np.ndarray]] | None:
    """(``bcast:<C|F>:<masks>``, each array at its own shape with its axes in loop order `perm`) when some
    array is broadcast and all those views are C-contiguous (or all F-contiguous), small broadcast ones copied
    into that order (``SMALL_BROADCAST``); else None. A mask has one
    character per loop axis: ``1`` indexed, ``0`` broadcast (read at 0)."""
    ndim = len(shape)
    if any(a.ndim > ndim for a in arrays):
        return None
    views = [padded(a, ndim).transpose(perm) for a in arrays]
    loop_shape = tuple(shape[p] for p in perm)
    masks = ["".join("0" if d != s else "1" for d, s in zip(v.shape, loop_shape)) for v in views]
    if not any("0" in m for m in masks):
        return None
    size = math.prod(shape)
    for order, flag, copy in (("C", "C_CONTIGUOUS", np.ascontiguousarray), ("F", "F_CONTIGUOUS", np.asfortranarray)):
        # a small broadcast operand in neither order is copied into this one (SMALL_BROADCAST, as for maps)
        made = [v if v.flags[flag] else copy(v) if "0" in m and v.size * SMALL_BROADCAST <= size else None
                for v, m in zip(views, masks)]
        if all(v is not None for v in made):
            return f"{BROADCAST}{order}:{','.join(masks)}", [storage(v) for v in made]
    return None


def reduce_array_layout(layout: str) -> tuple[str, list[str] | None]:
    """(Numba array layout, per-input masks or None) of a reduction kernel's layout string."""
    if not layout.startswith(BROADCAST):
        return layout, None
    order, masks = layout[len(BROADCAST):].split(":")
    return order, masks.split(",")
# --- end (BLAS-bound programs, #15) ---


# --- (BLAS-bound programs, #15) the offsets layout of map kernels ---------------------------------------------
# A stencil reads many shifted slices of one array (hdiff: 30 views of `field` such as field[2:-1, 2:-2, :]).
# Each view is strided, so the kernel was "nd" with every input typed "A": each load multiplied runtime
# strides, and LLVM neither vectorised the innermost axis nor could it tell the 30 pointers apart. Each such
# view is instead passed as the C-contiguous array it is a view of (its base), typed "C", and read at the loop
# index plus the view's offset per axis; the offsets are one int64 array argument (``offs``, one row per
# input), so a kernel serves every size and every set of slices. The hand-written equivalent of hdiff's kernel
# ran 24 ms where the "A" kernels took 357 ms (same process, loaded machine).
OFFSETS = "offs"


def view_base(a: np.ndarray) -> tuple[np.ndarray, tuple[int, ...]] | None:
    """(C-contiguous array, offset per axis) that `a` is a window of, with the same strides; None if it is not
    one (transposed, reversed, stepped, broadcast, or a view of a buffer of another rank)."""
    if a.flags.c_contiguous:
        return a, (0,) * a.ndim
    base = a.base
    for _ in range(3):  # a view made from an array interface (tracer/traced.replay_view) keeps its array as .base
        if base is None or isinstance(base, np.ndarray):
            break
        base = getattr(base, "base", None)
    if not isinstance(base, np.ndarray) or base.ndim != a.ndim or not base.flags.c_contiguous \
            or base.strides != a.strides or base.dtype != a.dtype:
        return None
    rest = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    offsets = []
    for size, whole, stride in zip(a.shape, base.shape, base.strides):
        at = 0
        if whole > 1:
            at, rest = divmod(rest, stride)
        if at < 0 or at + size > whole:
            return None
        offsets.append(at)
    return (base, tuple(offsets)) if rest == 0 else None


# Finding a window's base and offsets reads two array interfaces (a few microseconds per input, more than a
# small kernel gains): below this many elements in the loop, windows stay "nd" and small calls keep their cost.
OFFSETS_MIN_SIZE = 1 << 14


def offsets_layout(arrays: list[np.ndarray], shape: tuple) -> str | None:
    """``offs`` when the loop has at least 2 axes and OFFSETS_MIN_SIZE elements, every array has its full
    shape and each is a window of a C-contiguous array (``view_base``), some of them strided; else None."""
    if len(shape) < 2 or math.prod(shape) < OFFSETS_MIN_SIZE:
        return None
    if any(a.shape != shape for a in arrays) or all(a.flags.c_contiguous for a in arrays):
        return None
    return OFFSETS if all(view_base(a) is not None for a in arrays) else None


def map_layout(arrays: list[np.ndarray], shape: tuple) -> tuple[str, str]:
    """``layout_of`` for a map kernel writing new C outputs: an "nd" call of windows is ``offs``."""
    layout, order = layout_of(arrays, shape)
    if layout == "nd" and offsets_layout(arrays, shape):
        return OFFSETS, "C"
    return layout, order


def offsets_args(arrays: list[np.ndarray], windows: list | None = None) -> list:
    """The inputs of an ``offs`` kernel: each array's base, then the (inputs, ndim) int64 array of offsets
    (`windows`: the arrays' ``view_base``, where the caller has them already)."""
    windows = windows or [view_base(a) for a in arrays]
    offs = np.array([at for _, at in windows], dtype=np.int64).reshape(len(arrays), -1)
    return [storage(base) for base, _ in windows] + [offs]
# --- end (BLAS-bound programs, #15) ---
