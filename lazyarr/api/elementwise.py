"""Fused elementwise NumPy functions that are not ufuncs: round, fix, nan_to_num, isclose, sinc, angle, polyval,
select, piecewise, outer (np.outer and ufunc.outer), triu and tril.

Each is NumPy's own Python (or C) algorithm spelled with existing nodes (ufuncs, ``where``, casts), so the
dtype of every step is NumPy's and the whole function joins the kernel around it: nothing here adds a kernel
or a temporary. Two small primitives serve them: the op table's ``complex`` entry (a complex from its real and
imaginary parts, for round and nan_to_num on complex input) and index leaves (``np.arange`` views that
broadcast, so triu/tril are a ``where`` over an index comparison).

Functions take NumPy's arguments and return LazyArrays; ``numpy_api`` registers them for
``__array_function__`` and ``lazyarr/__init__`` exports them as ``la.<name>``.
"""
from __future__ import annotations

import collections.abc
import functools
import math
import operator

import numpy as np

from lazyarr.api import build
from lazyarr.api import tracing
from lazyarr.api.array import LazyArray, operand, shaped, wrap
from lazyarr.graph import dtypes
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import UfuncParams, is_elementwise


# --- helpers ------------------------------------------------------------------------------------------------

def _node(x) -> Node:
    """NumPy's ``asanyarray(x)`` as a node: Python scalars become strong 0-d arrays (int64, float64, ...)."""
    return x._node if build.is_lazy(x) else operand(x)._node


def _uf(ufunc, *operands) -> Node:
    return build.ufunc_node(ufunc, operands)


def _const(value, dtype: np.dtype) -> Node:
    """`value` cast to `dtype` as NumPy's unsafe casts do (copyto, np.full): a typed constant."""
    with np.errstate(all="ignore"):
        typed = np.asarray(value).astype(dtype)[()]
    return expr.const(typed, dtype, weak=False)


def _finish(result: LazyArray, out):
    """NumPy's ``out=``: the result written into it (same shape, same_kind cast, as the ufunc NumPy calls) and
    `out` returned; a LazyArray named by ``out=`` takes the value (a functional update)."""
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) else out
    from lazyarr.api import assign
    return assign.write_out(result, out, "same_kind", "out=")


_make_complex = build.make_complex  # (s20: build.py holds it; array.py's real/imag views write with it)


def _real_parts(node: Node, rebuild) -> Node:
    """`rebuild` applied to the real and the imaginary part of a complex node, put back together."""
    re, im = build.unary("real", node), build.unary("imag", node)
    return _make_complex(rebuild(re), rebuild(im))


# --- round / around ------------------------------------------------------------------------------------------

def _decimals(decimals) -> int:
    """`decimals` as NumPy's C ``int`` argument: an integer (TypeError otherwise) that fits 32 bits."""
    d = operator.index(decimals)
    if d > 2**31 - 1:
        raise OverflowError("lazyarr: round: decimals: signed integer is greater than maximum")
    if d < -2**31:
        raise OverflowError("lazyarr: round: decimals: signed integer is less than minimum")
    return d


def power_of_ten(n: int) -> float:
    """NumPy's ``power_of_ten`` (calculation.c): exact up to 1e8, then repeated multiplication by 10 in double,
    whose rounding differs from the literal ``10.0**n`` for some n; the loop stops once it reaches inf."""
    table = (1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8)
    if n < 9:
        return table[n]
    ret = 1e9
    for _ in range(n - 9):
        ret *= 10.0
        if ret == math.inf:
            break
    return ret


def round_node(node: Node, decimals: int) -> Node:
    """``PyArray_Round`` (numpy/_core/src/multiarray/calculation.c), step for step: complex parts rounded
    separately; integers unchanged for decimals >= 0, else through float64 and cast back (wrapping as C
    casts do); floats ``rint(x * 10**d) / 10**d`` (or ``/`` then ``*`` for d < 0) in the input's own dtype,
    the factor a Python float, so a float32 array is scaled by float32(10**d), inf when it overflows."""
    kind = node.dtype.kind
    if kind == "c":
        return _real_parts(node, lambda part: round_node(part, decimals))
    if decimals >= 0 and kind in "iu":
        return build.unary("copy", node)
    if decimals == 0:
        return _uf(np.rint, node)  # (bool: NumPy's rint gives float16)
    if kind == "b":  # NumPy's own error (its UFuncTypeError class), from a 0-d stand-in
        try:
            np.round(np.zeros((), bool), decimals)
        except TypeError as numpys:
            numpys.add_note(f"lazyarr: round of a bool array with decimals={decimals}")
            raise
    first, second = (np.multiply, np.divide) if decimals > 0 else (np.divide, np.multiply)
    # INT_MIN has no positive int: NumPy rounds with INT_MAX digits instead (the factor is inf either way)
    f = power_of_ten(min(abs(decimals), 2**31 - 1))
    scaled = build.cast(node, np.float64, "round") if kind in "iu" else node
    rounded = _uf(second, _uf(np.rint, _uf(first, scaled, f)), f)
    return build.cast(rounded, node.dtype, "round") if kind in "iu" else rounded


def round(a, decimals=0, out=None) -> LazyArray:  # noqa: A001 (NumPy's name)
    """Lazy ``numpy.round``/``around`` with `decimals`, NumPy's algorithm bit for bit, fused."""
    node = round_node(_node(a), _decimals(decimals))
    if out is not None:
        out = out[0] if isinstance(out, tuple) else out
        if isinstance(out, np.ndarray) and out.dtype != node.dtype:
            # NumPy then computes every step in out's dtype (not ours, cast at the end): let it.
            tracing.refuse_concrete(a, "round(out=...)")
            return np.round(np.asarray(a), decimals, out=out)
    return _finish(LazyArray(node), out)


around = round


def fix(x, out=None) -> LazyArray:
    """Lazy ``numpy.fix``: NumPy 2 defines it as ``trunc``."""
    return _finish(LazyArray(_uf(np.trunc, _node(x))), out)


# --- nan_to_num ----------------------------------------------------------------------------------------------

def _fill(value, dtype: np.dtype, what: str) -> Node:
    """A replacement value as ``np.copyto(d, value, where=...)`` takes it: same_kind cast to d's dtype."""
    if type(value) in (bool, int, float):
        return _const(value, dtype)
    node = build.to_node(value, f"nan_to_num's {what}")
    if not np.can_cast(node.dtype, dtype, "same_kind"):
        raise TypeError(f"lazyarr: nan_to_num: {what}: Cannot cast scalar from {node.dtype!r} to {dtype!r} "
                        "according to the rule 'same_kind'")
    return node if node.dtype == dtype else build.cast(node, dtype, "nan_to_num")


def _replace_non_finite(d: Node, nan, posinf, neginf) -> Node:
    info = np.finfo(d.dtype)
    big = _fill(info.max if posinf is None else posinf, d.dtype, "posinf")
    small = _fill(info.min if neginf is None else neginf, d.dtype, "neginf")
    nan = _fill(nan, d.dtype, "nan")
    for value in (nan, big, small):
        shape = build.broadcast_shapes("nan_to_num", d.shape, value.shape)
        if shape != d.shape:
            raise ValueError(f"lazyarr: nan_to_num: could not broadcast a replacement of shape {value.shape} "
                             f"into the input's shape {d.shape}")
    positive = _uf(np.greater, d, 0)
    result = build.where(_uf(np.isnan, d), nan, d)
    result = build.where(_uf(np.logical_and, _uf(np.isinf, d), positive), big, result)
    return build.where(_uf(np.logical_and, _uf(np.isinf, d), _uf(np.logical_not, positive)), small, result)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None) -> LazyArray:
    """Lazy ``numpy.nan_to_num``: NaN and +-inf replaced (per part for complex), fused; integers unchanged."""
    lazy = x if build.is_lazy(x) else operand(x)
    node = lazy._node
    if node.dtype.kind not in "fc":
        return LazyArray(build.unary("copy", node)) if copy else lazy
    if node.dtype.kind == "c":
        return LazyArray(_real_parts(node, lambda d: _replace_non_finite(d, nan, posinf, neginf)))
    return LazyArray(_replace_non_finite(node, nan, posinf, neginf))


# --- isclose, sinc, angle ------------------------------------------------------------------------------------

def _operand(x):
    """NumPy's isclose keeps Python scalars weak and makes anything else an array."""
    return x if type(x) in (int, float, complex) else _node(x)


def isclose(a, b, rtol=1.e-5, atol=1.e-8, equal_nan=False) -> LazyArray:
    """Lazy ``numpy.isclose``: NumPy 2's expression, with b made inexact first (result_type(b, 1.0))."""
    x, y, atol, rtol = (_operand(v) for v in (a, b, atol, rtol))
    if not isinstance(x, Node) and not isinstance(y, Node):
        x = _node(x)  # (la.isclose on two numbers: NumPy's Python-scalar arithmetic gives the same values)
    if isinstance(y, Node):
        dt = np.result_type(y.dtype, 1.0)
        y = y if y.dtype == dt else build.cast(y, dt, "isclose")
    elif isinstance(y, int):
        y = float(y)
    _warn_if_not_finite(atol, rtol)
    close = _uf(np.less_equal, _uf(np.absolute, _uf(np.subtract, x, y)),
                _uf(np.add, atol, _uf(np.multiply, rtol, _uf(np.absolute, y))))
    result = _uf(np.bitwise_or, _uf(np.bitwise_and, close, _uf(np.isfinite, y)), _uf(np.equal, x, y))
    if equal_nan:
        result = _uf(np.bitwise_or, result, _uf(np.bitwise_and, _uf(np.isnan, x), _uf(np.isnan, y)))
    return LazyArray(result)


def _warn_if_not_finite(atol, rtol) -> None:
    """NumPy's check of the tolerances, which follows np.errstate's 'invalid' setting. Tolerances that are
    expressions are not computed for it (that would compute them twice)."""
    values = [v.data if v.is_leaf or v.is_const else None for v in (atol, rtol) if isinstance(v, Node)]
    values += [v for v in (atol, rtol) if not isinstance(v, Node)]
    if any(v is None for v in values) or all(np.all(np.isfinite(v)) for v in values):
        return
    msg = f"One of rtol or atol is not valid, atol: {atol}, rtol: {rtol}"
    mode = np.geterr()["invalid"]
    if mode == "warn":
        import warnings
        warnings.warn(msg, RuntimeWarning, stacklevel=4)
    elif mode == "raise":
        raise FloatingPointError(msg)
    elif mode == "print":
        print(msg)


def sinc(x) -> LazyArray:
    """Lazy ``numpy.sinc``: ``sin(y)/y`` with y = pi*x, and eps in place of the zeros, as NumPy does."""
    x = _uf(np.multiply, math.pi, _node(x))
    eps = np.finfo(x.dtype).eps if x.dtype.kind == "f" else 1e-20
    y = build.where(x, x, eps)
    return LazyArray(_uf(np.divide, _uf(np.sin, y), y))


def angle(z, deg=False) -> LazyArray:
    """Lazy ``numpy.angle``: arctan2(imag, real), in degrees with deg=True."""
    z = _node(z)
    if z.dtype.kind == "c":
        a = _uf(np.arctan2, build.unary("imag", z), build.unary("real", z))
    else:
        a = _uf(np.arctan2, 0, z)
    return LazyArray(_uf(np.multiply, a, 180 / math.pi) if deg else a)


# --- polyval, select, piecewise -------------------------------------------------------------------------------

def polyval(p, x) -> LazyArray:
    """Lazy ``numpy.polyval``: Horner's scheme from ``zeros_like(x)``, each coefficient a constant (p itself is
    read now, as NumPy reads it: it fixes the number of steps)."""
    if build.is_lazy(p):
        tracing.refuse_concrete(p, "polyval's coefficients")
    p = np.asarray(p)
    x = _node(x)
    if p.ndim and not len(p):
        return LazyArray(build.full(x.shape, 0, x.dtype))
    y = _const(0, x.dtype)  # zeros_like(x): 0 * x is not always 0 (inf, nan, -0.0)
    for pv in p:  # (a 0-d p raises NumPy's own TypeError here)
        y = _uf(np.add, _uf(np.multiply, y, x), pv)
    return LazyArray(y)


def select(condlist, choicelist, default=0) -> LazyArray:
    """Lazy ``numpy.select``: nested ``where``s, the first true condition winning, in NumPy's result dtype."""
    if len(condlist) != len(choicelist):
        raise ValueError("lazyarr: select: list of cases must be same length as list of conditions")
    if len(condlist) == 0:
        raise ValueError("lazyarr: select: select with an empty condition list is not possible")
    choices = [c if type(c) in (int, float, complex) else _node(c) for c in list(choicelist) + [default]]
    try:
        dtype = np.result_type(*[c.dtype if isinstance(c, Node) else c for c in choices])
    except TypeError as e:
        raise TypeError(f"lazyarr: select: Choicelist and default value do not have a common dtype: {e}") from None
    conds = [_node(c) for c in condlist]
    build.broadcast_shapes("select", *(c.shape for c in conds))
    build.broadcast_shapes("select", *(c.shape for c in choices if isinstance(c, Node)))
    for i, cond in enumerate(conds):
        if cond.dtype != np.bool_:
            raise TypeError(f"lazyarr: select: invalid entry {i} in condlist: should be boolean ndarray")
    choices = [_const(c, dtype) if not isinstance(c, Node) else
               c if c.dtype == dtype else build.cast(c, dtype, "select") for c in choices]
    result = choices[-1]
    for cond, choice in zip(conds[::-1], choices[-2::-1]):
        result = build.where(cond, choice, result)
    return shaped(result)  # (NumPy's result is a fresh array, 0-d ones included)


def _conditions(condlist, x: Node) -> list[Node]:
    """piecewise's conditions as boolean nodes of x's shape. As in NumPy, a bare condition is taken for a list
    of one (for an n-d x: anything whose first item is not a list or an array; a LazyArray counts as one)."""
    if np.isscalar(condlist) or build.is_lazy(condlist) or (
            x.ndim != 0 and not isinstance(condlist[0], (list, np.ndarray)) and not build.is_lazy(condlist[0])):
        condlist = [condlist]
    conds = []
    for c in condlist:
        c = _node(c)
        c = c if c.dtype == np.bool_ else build.cast(c, np.bool_, "piecewise")
        if c.shape not in ((), x.shape):
            raise IndexError(f"lazyarr: piecewise: boolean index did not match indexed array; the condition "
                             f"has shape {c.shape}, x has shape {x.shape}")
        conds.append(c)
    return conds


def _elementwise_in(result: Node, x: Node) -> bool:
    """Whether `result` is built from `x` and constants by elementwise ops alone, in x's shape: then computing
    it everywhere and keeping it where a condition holds is what NumPy's ``func(x[cond])`` gives."""
    if result.shape != x.shape:
        return False
    stack, seen = [result], set()
    while stack:
        n = stack.pop()
        if n is x or n.is_const or id(n) in seen:
            continue
        seen.add(id(n))
        if n.is_leaf and not any(n.data.strides):
            continue  # a constant broadcast (np.zeros_like(v), np.full_like(v, 2))
        if not is_elementwise(n.op):
            return False  # a reduction, a stage, or an array the callable closes over
        stack.extend(n.args)
    return True


def piecewise(x, condlist, funclist, *args, **kw) -> LazyArray:
    """Lazy ``numpy.piecewise``: a ``where`` per condition, later ones winning. Scalars, and callables that
    return scalars or elementwise expressions of x, are fused; any other callable is NumPy's (computed)."""
    xl = x if build.is_lazy(x) else operand(x)
    node = xl._node
    conds = _conditions(condlist, node)
    n, n2 = len(conds), len(funclist)
    if n == n2 - 1:
        anyc = functools.reduce(lambda a, b: _uf(np.logical_or, a, b), conds) if conds else None
        conds.append(_uf(np.logical_not, anyc) if anyc is not None else expr.const(np.True_, np.dtype(bool),
                                                                                    weak=False))
    elif n != n2:
        raise ValueError(f"lazyarr: piecewise: with {n} condition(s), either {n} or {n + 1} functions are expected")
    y = build.full(node.shape, 0, node.dtype)
    for cond, func in zip(conds, funclist):
        value = func(xl, *args, **kw) if isinstance(func, collections.abc.Callable) else func
        if build.is_lazy(value) and _elementwise_in(value._node, node):
            value = value._node if value.dtype == node.dtype else build.cast(value._node, node.dtype, "piecewise")
        elif build.is_lazy(value) or (isinstance(value, np.ndarray) and value.ndim):
            return _piecewise_by_numpy(xl, conds, funclist, args, kw)
        else:
            value = _piecewise_value(value, node.dtype)
        y = build.where(cond, value, y)
    return shaped(y)  # (NumPy's y is zeros_like(x): a 0-d x gives a 0-d array)


def _piecewise_value(value, dtype: np.dtype) -> Node:
    """A scalar assigned as ``y[cond] = value`` assigns it: cast to y's dtype (OverflowError for a Python int
    out of range, as NumPy 2)."""
    if type(value) is int:
        dtypes.check_weak_int(value, dtype, "piecewise")
    elif dtype.kind in "iu" and isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ValueError(f"lazyarr: piecewise: cannot convert float {value} to integer")
    return _const(value, dtype)


def _piecewise_by_numpy(xl: LazyArray, conds, funclist, args, kw) -> LazyArray:
    """A callable that is not elementwise in x (it reduces, or reads other arrays): NumPy must call it on
    ``x[cond]`` itself, so x and the conditions are computed and NumPy's piecewise runs on them."""
    tracing.refuse_concrete(xl, "np.piecewise with a callable that is not elementwise")
    value = np.asarray(xl)
    masks = [np.broadcast_to(np.asarray(LazyArray(c)), value.shape) for c in conds]
    return wrap(np.piecewise(value, masks, funclist, *args, **kw))


# --- outer -------------------------------------------------------------------------------------------------------

def outer_operands(ufunc, inputs) -> tuple:
    """``ufunc.outer(A, B)`` is ``ufunc(A[..., None, ...], B)`` with B.ndim new axes: a broadcast, fused."""
    if ufunc.nin != 2:
        raise ValueError(f"lazyarr: {ufunc.__name__}.outer: outer product only supported for binary functions")
    if len(inputs) != 2:
        raise TypeError(f"lazyarr: {ufunc.__name__}.outer: exactly two arguments expected")
    a, b = (v if build.is_lazy(v) else operand(v) for v in inputs)
    return a[(Ellipsis,) + (None,) * b.ndim], b


def outer(a, b, out=None) -> LazyArray:
    """Lazy ``numpy.outer``: ``a.ravel()[:, None] * b.ravel()[None, :]``, fused."""
    a, b = (v if build.is_lazy(v) else operand(v) for v in (a, b))
    return _finish(LazyArray(_uf(np.multiply, a.ravel()[:, None], b.ravel()[None, :])), out)


# --- triu, tril ----------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _index_array(n: int, column: bool) -> np.ndarray:
    """0..n-1 as int64, shaped (n, 1) for row indices or (n,) for column indices: a read-only input that
    broadcasts, so an index predicate costs O(n) memory and no kernel. Cached: the same leaf every time."""
    index = np.arange(n, dtype=np.int64).reshape((n, 1) if column else (n,))
    index.flags.writeable = False
    return index


def _below(m: Node, k, opname: str) -> Node:
    """The mask ``tri(N, M, k)``: True where column - row <= k, over m's last two axes."""
    if m.ndim == 0:
        raise TypeError(f"lazyarr: {opname}: tri() missing 1 required positional argument: 'N'")
    n, cols = (m.shape[-1], m.shape[-1]) if m.ndim == 1 else m.shape[-2:]
    if isinstance(k, (float, np.floating)):
        # NumPy's tri builds arange(-k, M - k) in an integer dtype, whose steps a fractional k makes uneven:
        # its own mask, as an input (O(N*M), for this odd case only).
        mask = np.tri(n, cols, k, dtype=bool)
        mask.flags.writeable = False
        return expr.leaf(mask)
    k = operator.index(k)
    if not -2**63 <= -k <= 2**63 - 1 or not -2**63 <= cols - k <= 2**63 - 1:
        raise OverflowError(f"lazyarr: {opname}: k={k}: Python int too large to convert to C long")
    k = max(min(k, cols), -n - 1)  # beyond these the mask is constant: k - 1 (triu) stays in int64
    rows, columns = expr.leaf(_index_array(n, True)), expr.leaf(_index_array(cols, False))
    return _uf(np.less_equal, _uf(np.subtract, columns, rows), k)


def tril(m, k=0) -> LazyArray:
    """Lazy ``numpy.tril``: ``where(tri(k), m, 0)``, the mask from index leaves: fused."""
    m = _node(m)
    return LazyArray(build.where(_below(m, k, "tril"), m, _const(0, m.dtype)))


def triu(m, k=0) -> LazyArray:
    """Lazy ``numpy.triu``: ``where(tri(k - 1), 0, m)``, fused."""
    m = _node(m)
    return LazyArray(build.where(_below(m, k - 1, "triu"), _const(0, m.dtype), m))
