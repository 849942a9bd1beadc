"""Discovery for the scipy.special bridge: which ufunc loop is served by which C function.

Two sources, both read once at import:

* ``scipy.special.cython_special.__pyx_capi__`` holds one PyCapsule per exported C function. The
  capsule's name is the C signature, e.g. ``"double (double, int __pyx_skip_dispatch)"``; fused
  functions are exported once per specialization (``__pyx_fuse_0erf`` takes a complex,
  ``__pyx_fuse_1erf`` a double).
* ``ufunc.types`` of every public ``scipy.special`` ufunc, e.g. ``['d->d', 'f->f', 'D->D', 'F->F']``.

``LOOPS`` maps every ufunc name to one ``Loop`` per entry of ``ufunc.types``, naming the C function
that computes it bit for bit as SciPy does, or saying why none can. Nothing here imports Numba.
"""

from __future__ import annotations

import ctypes
import re
import sys
from dataclasses import dataclass

import numpy as np
import scipy.special
import scipy.special.cython_special as cython_special

# C type spelled in a capsule signature -> NumPy type char of the same C type. NumPy defines 'l'
# as C long and 'p' as intp (Py_ssize_t), so the char doubles as the dtype the argument needs.
_C_TYPES = {
    "double": "d",
    "float": "f",
    "long double": "g",
    "__pyx_t_double_complex": "D",
    "long": "l",
    "Py_ssize_t": "p",
    "int": "i",
}
# Cython's cpdef functions take this flag last; module-level functions ignore its value.
_SKIP_DISPATCH = "int __pyx_skip_dispatch"
_SIGNATURE = re.compile(r"(?P<ret>[^(]+?) \((?P<args>.*)\)")
# "__pyx_fuse_1erf" -> "erf", "__pyx_fuse_0_1eval_chebyc" -> "eval_chebyc", "ndtri" -> "ndtri"
_FUSED_PREFIX = re.compile(r"__pyx_fuse_\d+(?:_\d+)*")
# SciPy's float32 (complex64) loops mostly cast to double (complex128), call the double function
# and round back; the bridge does the same when cython_special exports only the double version.
_WIDEN = str.maketrans("fF", "dD")

# float32 loops that SciPy evaluates in single precision while cython_special exports only the
# double version, so "call double and round" differs from SciPy in the last bit. Measured on
# SciPy 1.17 by comparing each float32 loop with its double loop rounded to float32; the
# obl_cv/pro_cv float32 loops do not even return for ordinary inputs such as (0, 1, 0.5).
# tests/test_scipy_bridge.py re-checks the entries and compares every widened loop with SciPy.
SINGLE_PRECISION_ONLY = frozenset({
    ("bei", "f->f"), ("beip", "f->f"), ("ber", "f->f"), ("berp", "f->f"),
    ("kei", "f->f"), ("keip", "f->f"), ("ker", "f->f"), ("kerp", "f->f"),
    ("it2struve0", "f->f"), ("obl_cv", "fff->f"), ("pro_cv", "fff->f"),
    ("xlogy", "ff->f"), ("xlogy", "FF->F"),
    ("xlog1py", "ff->f"), ("xlog1py", "FF->F"),
})

# Numba passes complex128 as two doubles, which is how the SysV (Linux, macOS) and AArch64 C ABIs
# pass a struct of two doubles by value; Windows x64 passes it by reference instead.
_COMPLEX_BY_VALUE = sys.platform != "win32"


@dataclass(frozen=True)
class CFunc:
    """One C function exported by cython_special."""

    capi_name: str  # key in __pyx_capi__, e.g. "__pyx_fuse_1erf"
    signature: str  # the capsule name: the C signature text
    ret: str  # NumPy type char of the result
    args: tuple[str, ...]  # NumPy type chars of the value arguments
    skip_dispatch: bool  # takes Cython's trailing int flag
    address: int


@dataclass(frozen=True)
class Loop:
    """One entry of a ufunc's ``types`` and the C function serving it (``None``: not bridged)."""

    types: str  # as in ufunc.types, e.g. "ld->d"
    cfunc: CFunc | None
    why_not: str = ""

    @property
    def in_chars(self) -> str:
        return self.types.split("->")[0]

    @property
    def out_chars(self) -> str:
        return self.types.split("->")[1]

    @property
    def in_dtypes(self) -> tuple[np.dtype, ...]:
        return tuple(np.dtype(c) for c in self.in_chars)


# --- reading the capsules ----------------------------------------------------------------------

# Private prototypes, so that no argtypes are set on the shared ctypes.pythonapi functions.
_capsule_name = ctypes.PYFUNCTYPE(ctypes.c_char_p, ctypes.py_object)(
    ("PyCapsule_GetName", ctypes.pythonapi))
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


def _parse(capi_name: str, capsule) -> CFunc | None:
    """Read one capsule; None for functions returning through pointers or taking other C types."""
    signature = _capsule_name(capsule).decode()
    match = _SIGNATURE.fullmatch(signature)
    if match is None:
        return None
    args = [a.strip() for a in match["args"].split(",")]
    skip_dispatch = bool(args) and args[-1] == _SKIP_DISPATCH
    if skip_dispatch:
        args.pop()
    # Pointer arguments (outputs, or Cython's optional-argument struct) and void results fall out
    # here: they are not in _C_TYPES.
    chars = [_C_TYPES.get(a) for a in [match["ret"], *args]]
    if None in chars:
        return None
    address = _capsule_pointer(capsule, signature.encode())
    return CFunc(capi_name, signature, chars[0], tuple(chars[1:]), skip_dispatch, address)


def _read_capi() -> dict[str, list[CFunc]]:
    """All callable cython_special functions, grouped by the ufunc name they implement."""
    by_name: dict[str, list[CFunc]] = {}
    for capi_name in sorted(cython_special.__pyx_capi__):
        cfunc = _parse(capi_name, cython_special.__pyx_capi__[capi_name])
        if cfunc is not None:
            by_name.setdefault(_FUSED_PREFIX.sub("", capi_name, count=1), []).append(cfunc)
    return by_name


# --- matching ufunc loops to C functions --------------------------------------------------------

def _find(cfuncs: list[CFunc], in_chars: str, out_char: str) -> CFunc | None:
    """The C function with these argument and result types; an integer argument may also be
    served by another C integer type of the same width (eval_hermite's 'l' loop by Py_ssize_t)."""
    wanted = in_chars + out_char
    same_width = [c for c in cfuncs if _dtypes(_chars(c)) == _dtypes(wanted)]
    exact = [c for c in same_width if _chars(c) == wanted]
    return (exact or same_width or [None])[0]


def _chars(cfunc: CFunc) -> str:
    return "".join(cfunc.args) + cfunc.ret


def _dtypes(chars: str) -> tuple[np.dtype, ...]:
    return tuple(np.dtype(c) for c in chars)


def _match(name: str, types: str, cfuncs: list[CFunc]) -> Loop:
    """The C function computing ufunc loop ``types`` exactly as SciPy does, or why there is none."""
    in_chars, out_chars = types.split("->")
    if len(out_chars) != 1:
        return Loop(types, None, "several outputs; cython_special returns them through pointers")
    if "g" in types:
        return Loop(types, None, "long double: Numba has no long double type")
    if not _COMPLEX_BY_VALUE and ("D" in types or "F" in types):
        return Loop(types, None, "complex arguments are passed by reference on this platform")
    if not cfuncs:
        return Loop(types, None, "not exported by cython_special")
    exact = _find(cfuncs, in_chars, out_chars)
    if exact is not None:
        return Loop(types, exact)
    wide_in, wide_out = in_chars.translate(_WIDEN), out_chars.translate(_WIDEN)
    if (wide_in, wide_out) != (in_chars, out_chars):
        if (name, types) in SINGLE_PRECISION_ONLY:
            return Loop(types, None, "SciPy computes it in single precision; cython_special "
                                     "exports only the double version")
        wide = _find(cfuncs, wide_in, wide_out)
        if wide is not None:
            return Loop(types, wide)
    return Loop(types, None, "cython_special exports no function with this signature")


def _public_ufuncs() -> dict[str, np.ufunc]:
    """Public scipy.special names bound to ufuncs (aliases such as digamma/psi included)."""
    names = getattr(scipy.special, "__all__", dir(scipy.special))
    found = {n: getattr(scipy.special, n, None) for n in names if not n.startswith("_")}
    return {n: u for n, u in sorted(found.items()) if isinstance(u, np.ufunc)}


def _discover() -> tuple[dict[str, np.ufunc], dict[str, tuple[Loop, ...]]]:
    cfuncs = _read_capi()
    ufuncs = _public_ufuncs()
    loops = {}
    for ufunc in ufuncs.values():
        name = ufunc.__name__
        loops[name] = tuple(_match(name, t, cfuncs.get(name, [])) for t in ufunc.types)
    return ufuncs, loops


# Public name -> ufunc, and canonical ufunc name (ufunc.__name__) -> its loops in ufunc.types order.
UFUNCS, LOOPS = _discover()


def bridged_cfuncs() -> list[CFunc]:
    """Every C function some bridged loop calls, each once."""
    used = {loop.cfunc.capi_name: loop.cfunc
            for loops in LOOPS.values() for loop in loops if loop.cfunc is not None}
    return [used[k] for k in sorted(used)]


