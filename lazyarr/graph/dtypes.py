"""Which dtypes lazyarr accepts, and NumPy 2 (NEP 50) promotion, answered by NumPy itself.

We never re-derive promotion rules: ``ufunc.resolve_dtypes`` tells us the loop NumPy would pick, with Python
scalars passed as their *type* so they stay "weak" (``float32 * 3.0`` is float32). The one thing
``resolve_dtypes`` cannot see is a weak integer's value, so the overflow check NumPy does at call time
(``uint8 + 300`` raises OverflowError) is repeated here.
"""
from __future__ import annotations

import functools
import numbers

import numpy as np

# dtypes a user array may have. float16 is *computed* (NumPy gives float16 for sin(int8)) and accepted as input:
# kernels carry it as float32 rounded to half precision after every op, which is what NumPy's half loops do.
_ACCEPTED_KINDS = "biufc"
_ACCEPTED = frozenset(
    np.dtype(c)
    for c in ("?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16")
)

HALF = np.dtype(np.float16)
PYTHON_SCALARS = (bool, int, float, complex)


def native(dt: np.dtype) -> np.dtype:
    """The same dtype in this machine's byte order (Numba compiles native order only)."""
    return dt.newbyteorder("=") if dt.byteorder not in "=|" else dt


_NATIVE_OF: dict[np.dtype, np.dtype] = {}


def supported_native(dt: np.dtype) -> np.dtype | None:
    """The native-order dtype for a supported dtype, else None (memoised: this is on every array's path)."""
    nat = _NATIVE_OF.get(dt)
    if nat is None and dt.kind in _ACCEPTED_KINDS:
        candidate = native(dt)
        if candidate in _ACCEPTED:
            nat = _NATIVE_OF.setdefault(dt, candidate)
    return nat


class UnsupportedDtype(TypeError):
    """(s15) A dtype lazyarr cannot compile (a fused function's argument of one runs as plain NumPy instead)."""


def check_supported(dt: np.dtype, what: str) -> np.dtype:
    """Return the native-order dtype, or raise TypeError naming `what` if Numba cannot compile it."""
    dt = np.dtype(dt)
    nat = native(dt)
    if nat not in _ACCEPTED:
        raise UnsupportedDtype(
            f"lazyarr: {what} has dtype {dt}, which lazyarr cannot compile; supported dtypes are bool, "
            "int8..int64, uint8..uint64, float16/32/64 and complex64/128"
        )
    return nat


def is_python_scalar(x) -> bool:
    return isinstance(x, PYTHON_SCALARS) and not isinstance(x, np.generic)


def operand_for_resolution(x):
    """What to hand ``resolve_dtypes`` for one operand: a dtype, or a Python type for a weak scalar."""
    if isinstance(x, np.dtype):
        return x
    if isinstance(x, bool):
        return np.dtype(bool)  # bool is the lowest kind: strong or weak promote alike
    if isinstance(x, numbers.Integral):
        return int
    if isinstance(x, numbers.Real):
        return float
    return complex


@functools.lru_cache(maxsize=4096)
def resolve_loop(ufunc, operands: tuple, out: np.dtype | None = None) -> tuple[tuple[np.dtype, ...], np.dtype]:
    """(loop input dtypes, output dtype) NumPy picks for `ufunc` on dtypes / weak Python scalar types; `out`:
    the output dtype a ``dtype=`` keyword asks for (NumPy 2: ``signature=(None, ..., dtype)``)."""
    if out is None:
        dts = ufunc.resolve_dtypes(operands + (None,) * ufunc.nout)
    else:
        dts = ufunc.resolve_dtypes(operands + (None,), signature=(None,) * ufunc.nin + (out,))
    return tuple(dts[: ufunc.nin]), dts[ufunc.nin]


def check_weak_int(value: int, loop_dtype: np.dtype, opname: str) -> None:
    """NumPy 2 raises OverflowError when a Python int does not fit the dtype it is cast to."""
    if loop_dtype.kind in "iu":
        info = np.iinfo(loop_dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(
                f"lazyarr: {opname}: Python integer {value} out of bounds for {loop_dtype}"
            )


def numba_name(dt: np.dtype) -> str:
    """How a dtype is spelled in generated kernel source (as a constructor, e.g. ``np.float32``)."""
    if dt == HALF:
        return "np.float32"  # the carrier
    return "np.bool_" if dt.kind == "b" else f"np.{dt.name}"


def storage_dtype(dt: np.dtype) -> np.dtype:
    """The dtype a kernel reads or writes for `dt`: float16 buffers are passed as their uint16 bits."""
    return np.dtype(np.uint16) if dt == HALF else dt

