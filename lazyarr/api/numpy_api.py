"""NumPy's protocols: ``np.sin(lazy)`` (``__array_ufunc__``) and ``np.where(lazy, ...)`` (``__array_function__``).

Every NumPy function lazyarr understands is registered here with ``@implements(np.func)``; any other NumPy
function (or ufunc method, or keyword lazyarr does not fuse) called on a LazyArray runs as NumPy on the computed
values, with one ``NumPyFallbackWarning`` per function (``fallback.py``), never a wrong answer.
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr.api import assign
from lazyarr.api import build
from lazyarr.api import dispatch
from lazyarr.api import fallback
from lazyarr.api import reduction_records  # (s18 bgbuild)
from lazyarr.graph.ops import REFUSED_UFUNCS
from lazyarr.api.array import LazyArray, shaped

HANDLED: dict = {}
UFUNC_METHODS: dict = {}  # ufunc method name (e.g. "outer") -> handler(ufunc, inputs, kwargs)


def implements(*funcs):
    def register(impl):
        for f in funcs:
            HANDLED[f] = impl
        return impl
    return register


def array_ufunc(ufunc, method, inputs, kwargs):
    if method == "__call__" and ufunc in TWO_OUTPUTS and not kwargs:
        outputs = TWO_OUTPUTS[ufunc](*inputs)
        if outputs is not None:
            return outputs
    if method in UFUNC_METHODS and _has_rule(ufunc, "__call__", {k: v for k, v in kwargs.items() if k != "axis"}):
        return UFUNC_METHODS[method](ufunc, inputs, kwargs)  # ufunc.outer of a ufunc lazyarr fuses
    if not _has_rule(ufunc, method, kwargs):
        return fallback.call_ufunc_method(ufunc, method, inputs, kwargs)
    if method == "__call__" and ufunc is np.matmul:
        from lazyarr.api.stages import matmul
        return LazyArray(matmul(*inputs))
    if method == "__call__":
        return call_ufunc(ufunc, inputs, kwargs)
    from lazyarr.graph.ops import REDUCTION_BY_UFUNC
    if method == "reduce" and ufunc in REDUCTION_BY_UFUNC:
        kwargs.setdefault("axis", 0)  # ufunc.reduce's default, unlike np.sum's
        name, operand = REDUCTION_BY_UFUNC[ufunc].name, inputs[0]
        if name in ("max", "min") and kwargs.get("dtype") is not None:
            operand = _reduced_as(ufunc, operand, kwargs.pop("dtype"))
        return reduction(name, operand, **kwargs)
    return fallback.call_ufunc_method(ufunc, method, inputs, kwargs)


# --- (s14) ufuncs of two outputs, as the two single-output ops NumPy's own loops equal -------------------------
def _divmod(x, y):
    """np.divmod: NumPy's loops compute the quotient and remainder exactly as floor_divide and remainder do
    (one npy_divmod), so the two fused ops give its bits (tests/test_two_outputs.py)."""
    return np.floor_divide(x, y), np.remainder(x, y)


def _modf(x):
    """np.modf: (fractional part, integral part), both with x's sign; (+-0, +-inf) for an infinity. x - trunc(x)
    is exact in floating point. None (NumPy's fallback) where NumPy's loop is float16 (bool, int8, uint8 inputs),
    a dtype lazyarr does not compile, or not a real number (NumPy's TypeError)."""
    node = build.to_node(x)
    try:
        dtype = np.modf.resolve_dtypes((node.dtype, None, None))[0]
    except TypeError:
        return None
    if dtype.kind != "f" or dtype.itemsize < 4:
        return None
    x = LazyArray(node).astype(dtype, copy=False)
    whole = np.trunc(x)
    fraction = np.where(np.isinf(x), np.copysign(dtype.type(0), x), np.copysign(x - whole, x))
    return fraction, whole


TWO_OUTPUTS = {np.divmod: _divmod, np.modf: _modf}
# --- end s14 ---


def call_ufunc(ufunc, inputs, kwargs):
    out = kwargs.pop("out", None)
    dtype = kwargs.pop("dtype", None)
    for name, default in (("casting", "same_kind"), ("order", "K"), ("subok", True), ("where", True)):
        if name in kwargs and not _is(kwargs.pop(name), default):
            raise TypeError(f"lazyarr: {ufunc.__name__}: the argument {name}= is not supported on lazy arrays")
    if kwargs:
        raise TypeError(f"lazyarr: {ufunc.__name__}: unsupported arguments {sorted(kwargs)}")
    result = LazyArray(build.ufunc_node(ufunc, inputs, dtype=dtype))
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) else out
    if isinstance(out, (LazyArray, np.ndarray)) and out.dtype != result.dtype \
            and not np.can_cast(result.dtype, out.dtype, "same_kind"):
        assign.numpy_out_error(ufunc, inputs, out.dtype, dtype)
    if isinstance(out, LazyArray):  # (assignment and writes) the result written into a LazyArray
        return assign.assign_out(out, result, "same_kind", True, f"{ufunc.__name__}(out=...)")
    result.compute(out=out)
    return out


def _reduced_as(ufunc, operand, dtype):
    """(s15 sweep) ``np.maximum.reduce(x, dtype=d)``: NumPy reduces in d's loop, so x cast to d (NumPy's error
    where its casting rule refuses, from a one-element stand-in); np.max itself takes no dtype."""
    dtype = np.dtype(dtype)
    ufunc.reduce(np.zeros(1, operand.dtype), dtype=dtype)
    return operand if operand.dtype == dtype else operand.astype(dtype)


def _is(value, default) -> bool:
    return value is default or (isinstance(value, (str, bool)) and value == default)


def array_function(func, types, args, kwargs):
    impl = HANDLED.get(func)
    if impl is None:
        from lazyarr.api.stages import BOUNDARIES
        builder = BOUNDARIES.get(func)
        if builder is not None and kwargs.get("out") is None:  # (a stage has no out=: NumPy's, by the fallback)
            node = builder(*args, **kwargs)
            # (s15 sweep) NumPy's tensordot ends in a reshape, so its 0-d result is an array, not a scalar
            return LazyArray(node, array0=func is np.tensordot and not node.shape)
    if impl is None:
        return fallback.call_function(func, args, kwargs)
    return impl(*args, **kwargs)


# --- (NumPy fallback) which ufunc calls lazyarr builds a node for; the others run as NumPy (fallback.py) ----
_CALL_KEYWORDS = {"out": None, "dtype": None, "casting": "same_kind", "order": "K", "subok": True, "where": True}


def _has_rule(ufunc, method: str, kwargs: dict) -> bool:
    """False for what lazyarr has no node for: ufunc methods other than a call and a table reduction
    (accumulate, outer, reduceat, at), several outputs, gufuncs but matmul, keywords it does not fuse."""
    from lazyarr.graph.ops import BY_UFUNC, REDUCTION_BY_UFUNC
    if method == "reduce":
        return ufunc in REDUCTION_BY_UFUNC
    if method != "__call__":
        return False
    if ufunc is np.matmul:
        return not kwargs
    if ufunc.nout != 1 or ufunc.signature is not None or ufunc.__name__ in REFUSED_UFUNCS:
        return False
    if ufunc not in BY_UFUNC and not build.is_scipy_special(ufunc):
        return False
    return all(key in _CALL_KEYWORDS and (key in ("out", "dtype") or _is(value, _CALL_KEYWORDS[key]))
               for key, value in kwargs.items())


@implements(np.where)
def where(condition, x=None, y=None):
    if x is None and y is None:  # (s14) NumPy's one-argument form is np.nonzero (its shape from the values)
        from lazyarr.api.searching import DATA_DEPENDENT
        return DATA_DEPENDENT["nonzero"](condition)
    if x is None or y is None:
        raise ValueError("lazyarr: where: either both or neither of x and y should be given")  # NumPy's error
    return LazyArray(build.where(condition, x, y))


@implements(np.copy)
def copy(a, order="K", subok=False):
    return LazyArray(build.unary("copy", build.to_node(a)))


def _like(a, value, dtype, shape):
    node = build.to_node(a)
    return LazyArray(build.full(node.shape if shape is None else tuple(np.atleast_1d(shape)) if
                                not isinstance(shape, int) else (shape,),
                                value, node.dtype if dtype is None else dtype))


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return _like(a, 0, dtype, shape)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return _like(a, 1, dtype, shape)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, **kw):
    return _like(a, fill_value, dtype, shape)


@implements(np.empty_like)
def empty_like(a, dtype=None, order="K", subok=True, shape=None, **kw):
    return _like(a, 0, dtype, shape)


@implements(np.clip)
def clip(a, a_min=None, a_max=None, out=None, **kwargs):
    if "min" in kwargs or "max" in kwargs:
        a_min, a_max = kwargs.pop("min", a_min), kwargs.pop("max", a_max)
    result = LazyArray(build.clip(a, a_min, a_max))
    if out is None:
        return result
    out = out[0] if isinstance(out, tuple) else out
    if isinstance(out, (LazyArray, np.ndarray)) and not np.can_cast(result.dtype, out.dtype, "same_kind"):
        with np.errstate(all="ignore"):  # NumPy's own error (UFuncTypeError), from 0-d stand-ins
            np.clip(*[np.zeros((), v.dtype) if hasattr(v, "dtype") else v for v in (a, a_min, a_max)],
                    out=np.zeros((), out.dtype))
    if isinstance(out, LazyArray):  # (s15 sweep) np.clip(x, lo, hi, out=x) on a LazyArray: a functional update
        return assign.assign_out(out, result, "same_kind", True, "clip(out=...)")
    return result.compute(out=out)


@implements(np.real)
def real(val):
    return LazyArray(build.unary("real", build.to_node(val)))


@implements(np.imag)
def imag(val):
    return LazyArray(build.unary("imag", build.to_node(val)))


@implements(np.transpose)
def transpose(a, axes=None):
    a = a if isinstance(a, LazyArray) else LazyArray(build.to_node(a))
    return a.transpose() if axes is None else a.transpose(axes)


@implements(np.reshape)
def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if newshape is not None:  # NumPy's deprecated spelling
        if shape is not None:
            raise TypeError("lazyarr: reshape: you cannot specify 'newshape' and 'shape' arguments at the same time")
        shape = newshape
    if shape is None:
        raise TypeError("lazyarr: reshape() missing 1 required positional argument: 'shape'")
    from lazyarr.api.reshaping import reshape as build_reshape
    node = build_reshape(build.to_node(a), shape, order)
    return shaped(build.unary("copy", node) if copy else node)


@implements(np.ravel)
def ravel(a, order="C"):
    from lazyarr.api.reshaping import ravel as build_ravel
    return shaped(build_ravel(build.to_node(a), order))


@implements(np.squeeze)
def squeeze(a, axis=None):
    from lazyarr.api.reshaping import squeeze as build_squeeze
    return shaped(build_squeeze(build.to_node(a), axis))


@implements(np.expand_dims)
def expand_dims(a, axis):
    from lazyarr.api.reshaping import expand_dims as build_expand_dims
    return shaped(build_expand_dims(build.to_node(a), axis))


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    from lazyarr.api.reshaping import broadcast_to as build_broadcast_to
    return shaped(build_broadcast_to(build.to_node(array), shape))


@implements(np.shape)
def shape(a):
    return build.to_node(a).shape


@implements(np.ndim)
def ndim(a):
    return build.to_node(a).ndim


@implements(np.size)
def size(a, axis=None):
    node = build.to_node(a)
    if axis is None:
        return node.size
    # (s21) NumPy's rule: an axis or a tuple of them, normalised (AxisError out of range, duplicates refused)
    axes = np._core.numeric.normalize_axis_tuple(axis, node.ndim, allow_duplicate=False)
    return math.prod(node.shape[ax] for ax in axes)


@implements(np.result_type)
def result_type(*arrays_and_dtypes):
    return np.result_type(*[getattr(x, "dtype", x) for x in arrays_and_dtypes])


# --- reductions -------------------------------------------------------------------------------------------

def reduction(name: str, a, axis=None, dtype=None, out=None, keepdims=False, ddof=0, **unsupported):
    """``np.<name>(a, ...)`` on a lazy array; the same function serves the methods and ufunc.reduce."""
    # --- array API (#16): NumPy 2's `correction=` of var/std is the standard's name for ddof
    correction = unsupported.pop("correction", np._NoValue)
    if correction is not np._NoValue:
        if ddof != 0:
            raise ValueError(f"lazyarr: {name}: ddof and correction can't be provided simultaneously.")
        ddof = correction
    # --- end array API (#16)
    given = {k: v for k, v in unsupported.items() if not (v is None or v is np._NoValue or (k == "where" and v is True))}
    if given and _statistics.masks(name, given):  # surface/reductions: where= and initial=, fused
        return _statistics.masked(name, a, axis, dtype, out, keepdims, **given)
    for key, value in unsupported.items():
        if not (value is None or value is np._NoValue or (key == "where" and value is True)):
            return _reduction_fallback(name, a, axis, dtype, out, keepdims, ddof, unsupported)
    # (s18 bgbuild) the nodes of a (reduction, operand dtype and shape, axis, ddof, keepdims) built before: replayed
    record = reduction_records.key_of(name, a, axis, ddof, keepdims) if dtype is None else None
    node = reduction_records.replayed(record, a) if record is not None else None
    if node is None:
        node = _reduction_node(name, a, axis, dtype, keepdims, ddof)
        if record is not None:
            reduction_records.remember(record, a, node)
    result = LazyArray(node)
    if out is None:
        return result
    # (assignment and writes) a LazyArray out= takes the value; NumPy's reductions cast into out= unsafely
    return assign.write_out(result, out[0] if isinstance(out, tuple) else out, "unsafe", f"{name}(out=...)")


def _reduction_node(name: str, a, axis, dtype, keepdims, ddof):
    from lazyarr.api import reductions
    if name in ("mean", "var", "std"):  # surface/reductions: NumPy's warnings for empty slices
        _statistics.warn_empty(name, a, axis, ddof)
        kwargs = {"ddof": ddof} if name != "mean" else {}
        return getattr(reductions, name)(a, axis, dtype, keepdims=bool(keepdims), **kwargs)
    if dtype is not None and name not in ("sum", "prod"):
        raise TypeError(f"lazyarr: {name} takes no dtype")
    return reductions.reduce(a, name, axis, bool(keepdims), dtype)


def _reduction_fallback(name, a, axis, dtype, out, keepdims, ddof, more: dict):
    """(NumPy fallback) ``np.<name>`` with a keyword lazyarr does not fuse (``where=``, ``initial=``): NumPy's."""
    kwargs = {"axis": axis, **more}
    for key, value, default in (("dtype", dtype, None), ("out", out, None), ("keepdims", keepdims, False),
                                ("ddof", ddof, 0)):
        if value is not default and not (key == "keepdims" and value is np._NoValue):
            kwargs[key] = value
    return fallback.call_function(getattr(np, name), (a,), kwargs)


def _reduction_function(name: str):
    def function(a, axis=None, *args, **kwargs):
        return reduction(name, a, axis, *args, **kwargs)
    function.__name__ = name
    return function


for _name, _funcs in {"sum": (np.sum,), "prod": (np.prod,), "min": (np.min, np.amin), "max": (np.max, np.amax),
                      "any": (np.any,), "all": (np.all,), "mean": (np.mean,), "std": (np.std,),
                      "var": (np.var,)}.items():
    implements(*_funcs)(_reduction_function(_name))


@implements(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=False):
    return reduction("argmax", a, axis, out=out, keepdims=keepdims)


@implements(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=False):
    return reduction("argmin", a, axis, out=out, keepdims=keepdims)


# --- surface/elementwise: fused functions of api/elementwise.py -------------------------------------------
from lazyarr.api import elementwise as _elementwise  # noqa: E402 (after implements and call_ufunc)

for _func, _impl in {np.round: _elementwise.round, np.around: _elementwise.around, np.fix: _elementwise.fix,
                     np.nan_to_num: _elementwise.nan_to_num, np.isclose: _elementwise.isclose,
                     np.sinc: _elementwise.sinc, np.angle: _elementwise.angle, np.polyval: _elementwise.polyval,
                     np.select: _elementwise.select, np.piecewise: _elementwise.piecewise,
                     np.outer: _elementwise.outer, np.triu: _elementwise.triu, np.tril: _elementwise.tril}.items():
    implements(_func)(_impl)


def _ufunc_outer(ufunc, inputs, kwargs):
    """``np.add.outer(x, y)``: the ufunc on x with y.ndim new trailing axes against y, with call_ufunc's
    keywords (dtype=, out=)."""
    return call_ufunc(ufunc, _elementwise.outer_operands(ufunc, inputs), kwargs)


UFUNC_METHODS["outer"] = _ufunc_outer
# --- end surface/elementwise ---------------------------------------------------------------------------------

# --- views and index maps (surface/views): flip, diff, pad, concatenate, split, take, ... -------------------
from lazyarr.api.views import HANDLERS as _VIEW_HANDLERS  # noqa: E402 (after this module's own handlers)

HANDLED.update(_VIEW_HANDLERS)

# --- surface/search: searching, counting, sorting, order statistics, data-dependent shapes ----------------
from lazyarr.api.searching import HANDLERS as _SEARCH_HANDLERS  # noqa: E402

HANDLED.update(_SEARCH_HANDLERS)
# --- end surface/search -------------------------------------------------------------------------------------

# --- surface/creation: creation functions (np.zeros_like(lazy), np.arange(..., like=lazy), ...) ------------
from lazyarr.api import creation as _creation  # noqa: E402 (replaces the *_like handlers above)

HANDLED.update({getattr(np, _name): _impl for _name, _impl in {**_creation.FUNCTIONS, **_creation.NUMPY_ONLY}.items()})
from lazyarr.api import linalg as _linalg  # noqa: E402

HANDLED.update(_linalg.numpy_handlers())
# --- end surface/creation ----------------------------------------------------------------------------------


# --- surface/reductions: nan*, ptp, average, count_nonzero, trace, linalg.norm, cov, ... (api/statistics.py) --
from lazyarr.api import matrix_stats as _matrix_stats, scans as _scans, statistics as _statistics  # noqa: E402

for _module in (_statistics, _matrix_stats, _scans):
    HANDLED.update({getattr(np, _name): _f for _name, _f in _module.FUNCTIONS.items()})
HANDLED[np.linalg.norm] = _matrix_stats.linalg_norm
def _accumulate(ufunc, inputs, kwargs):
    """``ufunc.accumulate``: a scan node, which names its ufunc; one NumPy does not know by that name (a
    scipy.special ufunc) runs as NumPy."""
    if getattr(np, ufunc.__name__, None) is not ufunc:
        return fallback.call_ufunc_method(ufunc, "accumulate", inputs, kwargs)
    return _scans.accumulate(ufunc, *inputs, **kwargs)


UFUNC_METHODS["accumulate"] = _accumulate
# --- end surface/reductions ------------------------------------------------------------------------------------


# --- array API (#16): np.isin (2025.12 isin) as a library stage (api/membership.py) -----------------------
from lazyarr.api import membership as _membership  # noqa: E402

HANDLED[np.isin] = _membership.isin
# --- end array API --------------------------------------------------------------------------------------------


# --- (s15) compositions NumPy's own code makes after converting its argument (api/compositions.py) ------------
from lazyarr.api import compositions as _compositions  # noqa: E402

HANDLED.update(_compositions.HANDLERS)
# --- end s15 ---


dispatch.register("ufunc", array_ufunc)
dispatch.register("function", array_function)
dispatch.register("reduction", reduction)
