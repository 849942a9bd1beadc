"""Call scipy.special ufunc loops from Numba kernels, through scipy.special.cython_special.

The core asks three questions and gets one callable::

    sb.is_bridged(scipy.special.erf)                      -> True
    sb.resolve(scipy.special.erf, (np.dtype("int32"),))   -> ((float64,), float64)  # SciPy's loop
    sb.impl_attr(scipy.special.erf, (np.dtype("f8"),))    -> "erf__d"

and generated kernel source calls ``SB.erf__d(x)`` after ``import lazyarr.kernels.scipy_bridge as SB``.
``SB.erf__d`` is an ``numba.njit`` function made on first access (module ``__getattr__``).

Why kernels stay disk-cacheable: the compiled code never holds a C address. At import this module
registers every C function it uses with LLVM under a stable symbol name (``llvm.add_symbol``), and
the intrinsic below emits an ordinary call to that external symbol. When Numba loads a cached
kernel in a new process, its linker resolves the symbol against that process's registration, so
the kernel calls the address cython_special has there. (A ctypes pointer or an integer constant
would either block caching or bake in a stale address.) The module must therefore be imported
before a cached kernel using it is loaded; the kernel module's own ``import`` line does that.

Which C function serves which loop is decided in ``lazyarr._scipy_capi``; see docs/scipy_bridge.md.
"""

from __future__ import annotations

import hashlib
import re

import numba
import numpy as np
import scipy
from llvmlite import binding as llvm
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.typing import signature
from numba.extending import intrinsic

from lazyarr.kernels import numba_glue
from lazyarr.kernels import scipy_capi as capi

__all__ = ["bridged_names", "is_bridged", "resolve", "impl_attr", "cache_token"]

# Bump when the code this module generates changes, so cached kernels are keyed apart.
_CODEGEN_VERSION = 1
# "erf__d", "eval_chebyt__ld", "hyp2f1__dddD": ufunc name, two underscores, loop input chars.
_ATTR = re.compile(r"(?P<name>[a-z0-9_]+?)__(?P<chars>[a-zA-Z]+)")
_IMPL_SOURCE = "def {attr}({params}):\n    return call(({params},))\n"
_SCIPY_UFUNCS = frozenset(capi.UFUNCS.values())


# --- public contract ----------------------------------------------------------------------------

def bridged_names() -> list[str]:
    """Public scipy.special ufunc names with at least one bridged loop, sorted."""
    return sorted(name for name, ufunc in capi.UFUNCS.items() if _bridged_loops(ufunc))


def is_bridged(ufunc) -> bool:
    """Whether ``ufunc`` is a scipy.special ufunc with at least one bridged loop."""
    return bool(_bridged_loops(ufunc))


def resolve(ufunc, in_dtypes) -> tuple[tuple[np.dtype, ...], np.dtype]:
    """The loop SciPy's ufunc picks for ``in_dtypes``: (loop input dtypes, output dtype).

    The choice is NumPy's own (``ufunc.resolve_dtypes``), so it matches calling the ufunc. If that
    loop is not bridged, TypeError: a different bridged loop would give a different result dtype.
    """
    if not _is_scipy_ufunc(ufunc):
        raise TypeError(f"{_name(ufunc)} is not a scipy.special ufunc")
    name = ufunc.__name__
    in_dtypes = tuple(np.dtype(d) for d in in_dtypes)
    shown = ", ".join(str(d) for d in in_dtypes)
    if len(in_dtypes) != ufunc.nin:
        raise TypeError(f"scipy.special.{name} takes {ufunc.nin} inputs, got dtypes ({shown})")
    try:
        chosen = ufunc.resolve_dtypes(in_dtypes + (None,) * ufunc.nout)
    except TypeError as exc:
        raise TypeError(f"scipy.special.{name} has no loop for dtypes ({shown})") from exc
    loop = _loop_of(ufunc, chosen[:ufunc.nin])
    if loop is None or loop.cfunc is None:
        why = loop.why_not if loop is not None else "SciPy picked a loop outside ufunc.types"
        picked = loop.types if loop is not None else "?"
        raise TypeError(f"scipy.special.{name} for dtypes ({shown}) uses loop {picked}, "
                        f"which lazyarr cannot compile: {why}")
    return loop.in_dtypes, np.dtype(loop.out_chars)


def impl_attr(ufunc, loop_in_dtypes) -> str:
    """Name of the njit function in this module computing the loop with these input dtypes."""
    loop = _loop_of(ufunc, tuple(np.dtype(d) for d in loop_in_dtypes))
    if loop is None or loop.cfunc is None:
        shown = ", ".join(str(np.dtype(d)) for d in loop_in_dtypes)
        raise TypeError(f"scipy.special.{_name(ufunc)} has no bridged loop for ({shown})")
    return f"{ufunc.__name__}__{loop.in_chars}"


def cache_token() -> str:
    """Part of the kernel cache key: it changes with SciPy's version, the loop -> C function table
    or the code generated here. A cached kernel naming a symbol this process did not register
    would crash when Numba links it."""
    table = [f"{name} {loop.types} {loop.cfunc.capi_name} {loop.cfunc.signature}"
             for name, loops in sorted(capi.LOOPS.items()) for loop in loops if loop.cfunc]
    digest = hashlib.sha1("\n".join(table).encode()).hexdigest()[:12]
    return f"scipy-{scipy.__version__}-capi-{digest}-codegen-{_CODEGEN_VERSION}"


def __getattr__(attr: str):
    """Build ``<ufunc>__<loop input chars>`` on first access (Numba's global lookup ends here)."""
    match = _ATTR.fullmatch(attr)
    loop = _loop_by_chars(match["name"], match["chars"]) if match else None
    if loop is None or loop.cfunc is None:
        raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
    # Numba's compiler lock, not a private one: a kernel being compiled under that lock may land
    # here, and a second lock taken in the other order could deadlock.
    with numba_glue.global_compiler_lock:
        if attr not in globals():
            globals()[attr] = _make_impl(attr, loop)
    return globals()[attr]


def __dir__() -> list[str]:
    impls = [f"{name}__{loop.in_chars}"
             for name, loops in capi.LOOPS.items() for loop in loops if loop.cfunc is not None]
    return sorted(set(globals()) | set(impls))


# --- lookups ------------------------------------------------------------------------------------

def _name(ufunc) -> str:
    return getattr(ufunc, "__name__", repr(ufunc))


def _is_scipy_ufunc(obj) -> bool:
    # Identity, not name: numpy.log1p is not scipy.special.log1p.
    return isinstance(obj, np.ufunc) and obj in _SCIPY_UFUNCS


def _bridged_loops(ufunc) -> list[capi.Loop]:
    if not _is_scipy_ufunc(ufunc):
        return []
    return [loop for loop in capi.LOOPS[ufunc.__name__] if loop.cfunc is not None]


def _loop_of(ufunc, in_dtypes: tuple[np.dtype, ...]) -> capi.Loop | None:
    """The entry of ufunc.types with exactly these input dtypes."""
    if not _is_scipy_ufunc(ufunc):
        raise TypeError(f"{_name(ufunc)} is not a scipy.special ufunc")
    for loop in capi.LOOPS[ufunc.__name__]:
        if loop.in_dtypes == in_dtypes:
            return loop
    return None


def _loop_by_chars(name: str, in_chars: str) -> capi.Loop | None:
    for loop in capi.LOOPS.get(name, ()):
        if loop.in_chars == in_chars:
            return loop
    return None


# --- code generation ----------------------------------------------------------------------------

def _symbol(cfunc: capi.CFunc) -> str:
    """LLVM symbol for a C function. The signature digest keeps a kernel compiled against another
    C signature from linking to this one."""
    digest = hashlib.sha1(cfunc.signature.encode()).hexdigest()[:8]
    return f"lazyarr_sf_{cfunc.capi_name}_{digest}"


def _register_symbols() -> None:
    for cfunc in capi.bridged_cfuncs():
        llvm.add_symbol(_symbol(cfunc), cfunc.address)


def _nbtype(char: str) -> types.Type:
    return numba.from_dtype(np.dtype(char))


def _abi_args(builder, value, ty: types.Type) -> list:
    """A complex128 goes to C as two doubles, as the C ABI passes a struct of two doubles."""
    if isinstance(ty, types.Complex):
        return [builder.extract_value(value, 0), builder.extract_value(value, 1)]
    return [value]


def _c_call(loop: capi.Loop):
    """Intrinsic taking a tuple of the loop's scalars and calling its C function as SciPy does:
    inputs cast to the C types (float32 -> double for widened loops), result cast back."""
    cfunc = loop.cfunc
    loop_in = [_nbtype(c) for c in loop.in_chars]
    c_in = [_nbtype(c) for c in cfunc.args]
    loop_out, c_out = _nbtype(loop.out_chars), _nbtype(cfunc.ret)

    def codegen(context, builder, sig, llargs):
        (args_ty,) = sig.args
        c_args = []
        for i, (arg_ty, l_ty, c_ty) in enumerate(zip(args_ty, loop_in, c_in)):
            value = builder.extract_value(llargs[0], i)
            value = context.cast(builder, value, arg_ty, l_ty)
            value = context.cast(builder, value, l_ty, c_ty)
            c_args += _abi_args(builder, value, c_ty)
        if cfunc.skip_dispatch:
            c_args.append(ir.Constant(ir.IntType(32), 0))
        # Numba's complex128 is the literal struct {double, double}, which is also how LLVM
        # returns a C struct of two doubles (in two registers).
        fnty = ir.FunctionType(context.get_value_type(c_out), [a.type for a in c_args])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _symbol(cfunc))
        result = builder.call(fn, c_args)
        return context.cast(builder, result, c_out, loop_out)

    @intrinsic
    def call(typingctx, args):
        if isinstance(args, types.BaseTuple) and len(args) == len(loop_in):
            return signature(loop_out, args), codegen
        return None

    return call


def _make_impl(attr: str, loop: capi.Loop):
    """An njit function of the loop's input scalars, compiled for exactly those types."""
    params = ", ".join(f"x{i}" for i in range(len(loop.in_chars)))
    namespace = {"call": _c_call(loop)}
    exec(_IMPL_SOURCE.format(attr=attr, params=params), namespace)
    sig = _nbtype(loop.out_chars)(*[_nbtype(c) for c in loop.in_chars])
    return numba.njit(sig)(namespace[attr])


_register_symbols()
