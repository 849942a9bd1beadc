"""scipy.special ufuncs as graph nodes, compiled through ``lazyarr.scipy_bridge``.

A scipy.special ufunc is a NumPy ufunc, so its dtype resolution is NumPy's (``resolve_dtypes``, weak Python
scalars included). The bridge says whether that exact loop can be called from a kernel; a loop it cannot call
stays correct: the node is evaluated by SciPy itself as a stage, and ``explain()`` says so.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.graph import dtypes
from lazyarr.graph import expr

PREFIX = "scipy.special."


def ufunc_of(node) -> np.ufunc:
    import scipy.special
    return getattr(scipy.special, node.op[len(PREFIX):])


def is_scipy_special(ufunc) -> bool:
    import scipy.special
    return getattr(scipy.special, getattr(ufunc, "__name__", ""), None) is ufunc


def node(ufunc, nodes, dtype=None):
    if not is_scipy_special(ufunc) or ufunc.nout != 1:
        what = f"scipy.special.{ufunc.__name__}" if is_scipy_special(ufunc) else f"ufunc {ufunc.__name__}"
        why = "it has several outputs" if ufunc.nout != 1 else "lazyarr has no kernel for it"
        raise TypeError(f"lazyarr: {what} is not supported on lazy arrays: {why}")
    opname = f"scipy.special.{ufunc.__name__}"
    if len(nodes) != ufunc.nin:
        raise TypeError(f"lazyarr: {opname} takes {ufunc.nin} operands, got {len(nodes)}")
    loop_in, out = build.resolve(ufunc, nodes, opname, dtype)
    nodes = [build._typed(n, dt, opname) for n, dt in zip(nodes, loop_in)]
    shape = build.broadcast_shapes(opname, *(n.shape for n in nodes))
    engine = "numba" if _bridged(ufunc, loop_in, out) else "numpy"
    return expr.make(PREFIX + ufunc.__name__, tuple(nodes), (loop_in, engine), shape, out)


def _bridged(ufunc, loop_in, out) -> bool:
    from lazyarr.kernels import scipy_bridge as sb
    if not sb.is_bridged(ufunc) or dtypes.HALF in loop_in:
        return False
    try:
        bridged_in, bridged_out = sb.resolve(ufunc, tuple(loop_in))
    except TypeError:
        return False
    return tuple(bridged_in) == tuple(loop_in) and bridged_out == out


def render_special(node, arg_names: list[str]) -> str:
    from lazyarr.kernels import scipy_bridge as sb
    from lazyarr.compiler.source_map import cast, ctor
    loop_in = node.params[0]
    args = [cast(name, a.dtype, dt) for name, a, dt in zip(arg_names, node.args, loop_in)]
    attr = sb.impl_attr(ufunc_of(node), tuple(loop_in))
    return f"{ctor(node.dtype)}(SB.{attr}({', '.join(args)}))"
