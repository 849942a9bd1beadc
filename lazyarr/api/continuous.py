"""scipy.stats' rv_continuous methods over lazy operands: ``la.stats.gamma.cdf(x, a, loc, scale)`` and the rest.

SciPy's ``rv_continuous.cdf`` converts every argument with ``np.asarray``, standardises ``x``, checks the
parameters (every shape > 0 and ``scale > 0``; for ppf/isf also ``loc == loc``), fills an output array
(nan for bad arguments or nan ``x``, the support's limits outside it, ``a * scale + loc`` / ``b * scale + loc``
at q = 0 / 1) and ``place``s the standard-form method on the entries that pass. Here the same conditions are
``where`` nodes around the standard form taken from the table (``api/distributions.py``), so a method is one
fused kernel, and its values are SciPy's: the same checks, fill values, dtypes and arithmetic order.

Arguments that are concrete 0-d values (Python numbers, NumPy scalars) are checked here, in NumPy, once: a
valid scalar ``scale`` leaves no ``scale > 0`` test in the kernel. They reach the kernel as NumPy scalars
(strong constants, passed to the kernel as arguments), so ``gamma.cdf(x, 2.0)`` and ``gamma.cdf(x, 3.0)`` share
one compiled kernel. Arrays, LazyArrays
and the traced numbers of a ``@la.fuse`` function stay nodes, checked in the kernel.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.api.array import LazyArray
from lazyarr.api.distributions import TABLE, Distribution
from lazyarr.api.functions import where
from lazyarr.graph import expr
from lazyarr.graph.ops import UfuncParams

def traced_number(x) -> bool:
    """(s14, moved here from api/stats.py in s15) A Python number argument of a function ``@la.fuse`` traces: its node stands for the call's number
    (the trace rebinds it per call), so its value must never be read here: it is a stand-in (a NaN for floats).
    Reading it baked the stand-in into the kernel: ``norm.cdf(x, 0.5, s)`` with a traced ``s`` gave NaN."""
    return not isinstance(x, LazyArray) and getattr(x, "_node", None) is not None  # (tracer/scalars.ScalarTracer)


def strong_number(node, dtype):
    """The traced number as a 0-d value of `dtype` that promotes as SciPy's ``np.asarray(number)`` does (not as
    a weak Python scalar): a cast node over it, not folded into a constant (which would read the stand-in)."""
    return expr.make("cast", (node,), UfuncParams((node.dtype,), "numba"), (), np.dtype(dtype))


METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")


def _asarray(v):
    """SciPy's ``np.asarray(v)``: the value with its own dtype (a Python float is a float64 operand, not a weak
    scalar). A 0-d concrete value stays a NumPy value (checked here); anything else becomes a LazyArray."""
    if isinstance(v, LazyArray):
        return v
    if traced_number(v):  # a number argument of a traced function: a node per call, never its stand-in
        node = build.to_node(v)
        return LazyArray(strong_number(node, node.dtype))
    value = np.asarray(v)
    # A 0-d value as a NumPy scalar: a strong constant of its dtype (as SciPy's 0-d array promotes), which the
    # kernel takes as an argument (one kernel for every value) without making its layout "nd" as a 0-d input
    # array would (no quick tier, no flat loop: weibull_min.logsf ran 3x slower than SciPy that way).
    return value[()] if value.ndim == 0 else LazyArray(build.to_node(value))


def _lazy(v):
    return v if isinstance(v, LazyArray) else LazyArray(build.to_node(v))


def _and(p, q):
    """``p & q``, decided here when either side is a concrete 0-d value (no node for a known answer)."""
    for known, other in ((p, q), (q, p)):
        if not isinstance(known, LazyArray):
            return other if bool(known) else False
    return p & q


def _or(p, q):
    for known, other in ((p, q), (q, p)):
        if not isinstance(known, LazyArray):
            return True if bool(known) else other
    return p | q


def _not(p):
    return ~p if isinstance(p, LazyArray) else not bool(p)


def _where(cond, x, y):
    if not isinstance(cond, LazyArray):
        return x if bool(cond) else y
    return where(cond, x, y)


def _finish(value, shape: tuple, dtype) -> LazyArray:
    """SciPy's output array: ``shape`` (every argument broadcast) and ``dtype``; a value placed into it is cast."""
    node = build.to_node(value)
    if node.is_const:
        return LazyArray(build.full(shape, node.data, dtype))
    if node.dtype != dtype:
        node = build.cast(node, dtype)
    if node.shape != shape:
        node = build.to_node(np.broadcast_to(LazyArray(node), shape))
    return LazyArray(node)


def _shape(*values) -> tuple:
    return np.broadcast_shapes(*(np.shape(v) if not isinstance(v, LazyArray) else v.shape for v in values))


def _argcheck(args):
    """rv_generic._argcheck: every shape parameter > 0 (1 when there are none)."""
    cond = True
    for arg in args:
        cond = _and(cond, arg > 0)
    return cond


class Continuous:
    """One scipy.stats continuous distribution, its methods fused: ``la.stats.gamma.cdf(x, a, loc=0, scale=1)``,
    or frozen, ``la.stats.gamma(a, loc, scale).cdf(x)``, as in SciPy."""

    def __init__(self, dist: Distribution):
        self.dist = dist
        self.name = dist.name
        self.shapes = dist.shapes
        self.a, self.b = dist.a, dist.b

    def __repr__(self):
        return f"<lazyarr.stats.{self.name}: scipy.stats.{self.name}'s methods, fused>"

    def __call__(self, *args, **kwds):
        return Frozen(self, args, kwds)

    def _parse(self, method: str, args: tuple, kwds: dict):
        """SciPy's generated ``_parse_args``: the shapes by position or name, then loc=0 and scale=1."""
        names = self.shapes + ("loc", "scale")
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{method}() takes at most {len(names) + 1} positional arguments")
        values = dict(zip(names, args))
        for key, value in kwds.items():
            if key not in names or key in values:
                raise TypeError(f"{self.name}.{method}() got an unexpected or repeated argument {key!r}")
            values[key] = value
        missing = [n for n in self.shapes if n not in values]
        if missing:
            raise TypeError(f"{self.name}.{method}() missing required argument(s): {', '.join(missing)}")
        shapes = tuple(_asarray(values[n]) for n in self.shapes)
        return shapes, _asarray(values.get("loc", 0)), _asarray(values.get("scale", 1))

    # -- the standard form, SciPy's method or rv_continuous' generic one ---------------------------------------
    def _std(self, method: str, x, args):
        own = getattr(self.dist, method)
        if own is not None:
            return own(x, *args)
        return getattr(self, "_generic_" + method)(x, args)

    def _generic_logpdf(self, x, args):
        return np.log(self._std("pdf", x, args))

    def _generic_sf(self, x, args):
        return 1.0 - self._std("cdf", x, args)

    def _generic_isf(self, q, args):
        return self._std("ppf", 1.0 - q, args)

    def _generic_logcdf(self, x, args):
        """rv_continuous._logcdf: log(cdf) below the median, log1p(-sf) above (the tail that keeps precision)."""
        median = self._std("ppf", 0.5, args)
        return np.where(x < median, np.log(self._std("cdf", x, args)), np.log1p(-self._std("sf", x, args)))

    def _generic_logsf(self, x, args):
        median = self._std("ppf", 0.5, args)
        return np.where(x > median, np.log(self._std("sf", x, args)), np.log1p(-self._std("cdf", x, args)))

    # -- rv_continuous' public methods ---------------------------------------------------------------------------
    def _density(self, method: str, x, args, kwds):
        """pdf and logpdf (rv_continuous.pdf): 0 / -inf outside the closed support, nan for bad arguments."""
        shapes, loc, scale = self._parse(method, args, kwds)
        x = _lazy(_asarray(x))
        dtype, z = self._standardised(x, loc, scale)
        with np.errstate(all="ignore"):
            cond0 = _and(_argcheck(shapes), scale > 0)
            cond = _and(cond0, (self.a <= z) & (z <= self.b))
            if method == "pdf":
                value, outside = self._std("pdf", z, shapes) / scale, 0.0
            else:
                value, outside = self._std("logpdf", z, shapes) - np.log(scale), -np.inf
            bad = _or(_not(cond0), z != z)
            out = _where(cond, value, _where(bad, np.nan, outside))
        return _finish(out, _shape(x, loc, scale, *shapes), dtype)

    def _cumulative(self, method: str, x, args, kwds):
        """cdf, sf, logcdf, logsf (rv_continuous.cdf): the limits outside the open support, nan for bad
        arguments."""
        shapes, loc, scale = self._parse(method, args, kwds)
        x = _lazy(_asarray(x))
        dtype, z = self._standardised(x, loc, scale)
        upper = method in ("sf", "logsf")
        log = method.startswith("log")
        with np.errstate(all="ignore"):
            cond0 = _and(_argcheck(shapes), scale > 0)
            cond = _and(cond0, (self.a < z) & (z < self.b))
            far = _and(cond0, (z <= self.a) if upper else (z >= self.b))  # where the method is 1 (log: 0)
            bad = _or(_not(cond0), z != z)
            value = self._std(method, z, shapes)
            out = _where(cond, value, _where(far, 0.0 if log else 1.0,
                                             _where(bad, np.nan, -np.inf if log else 0.0)))
        return _finish(out, _shape(x, loc, scale, *shapes), dtype)

    def _quantile(self, method: str, q, args, kwds):
        """ppf and isf (rv_continuous.ppf): q in (0, 1) through the method, q = 0 and 1 the support's ends
        (``a * scale + loc``, ``b * scale + loc``), anything else nan; float64 as SciPy's output array."""
        shapes, loc, scale = self._parse(method, args, kwds)
        q = _lazy(_asarray(q))
        with np.errstate(all="ignore"):
            cond0 = _and(_and(_argcheck(shapes), scale > 0), loc == loc)
            cond = _and(cond0, (0 < q) & (q < 1))
            lower, upper = self.a * scale + loc, self.b * scale + loc
            at_zero, at_one = (lower, upper) if method == "ppf" else (upper, lower)
            value = self._std(method, q, shapes) * scale + loc
            out = _where(cond, value, _where(_and(cond0, q == 0), at_zero,
                                             _where(_and(cond0, q == 1), at_one, np.nan)))
        return _finish(out, _shape(q, loc, scale, *shapes), np.dtype(np.float64))

    @staticmethod
    def _standardised(x, loc, scale):
        """``np.asarray((x - loc) / scale, dtype=promote_types(x.dtype, float64))``. With a concrete loc of +0
        and scale of 1 that is x itself, converted: the subtraction and division change no bits."""
        dtype = np.promote_types(x.dtype, np.float64)
        if (not isinstance(loc, LazyArray) and not isinstance(scale, LazyArray) and loc == 0
                and not np.signbit(loc) and scale == 1):
            z = x
        else:
            z = (x - loc) / scale
        return dtype, z if z.dtype == dtype else LazyArray(build.cast(z._node, dtype))

    def pdf(self, x, *args, **kwds):
        return self._density("pdf", x, args, kwds)

    def logpdf(self, x, *args, **kwds):
        return self._density("logpdf", x, args, kwds)

    def cdf(self, x, *args, **kwds):
        return self._cumulative("cdf", x, args, kwds)

    def logcdf(self, x, *args, **kwds):
        return self._cumulative("logcdf", x, args, kwds)

    def sf(self, x, *args, **kwds):
        return self._cumulative("sf", x, args, kwds)

    def logsf(self, x, *args, **kwds):
        return self._cumulative("logsf", x, args, kwds)

    def ppf(self, q, *args, **kwds):
        return self._quantile("ppf", q, args, kwds)

    def isf(self, q, *args, **kwds):
        return self._quantile("isf", q, args, kwds)


class Frozen:
    """``la.stats.gamma(a, loc, scale)``: the parameters kept, as SciPy's rv_continuous_frozen."""

    def __init__(self, dist: Continuous, args: tuple, kwds: dict):
        dist._parse("__call__", args, kwds)  # SciPy checks the parameters when it freezes
        self.dist, self.args, self.kwds = dist, args, kwds

    def __repr__(self):
        return f"<lazyarr.stats.{self.dist.name}(*{self.args!r}, **{self.kwds!r}), fused>"


def _frozen_method(name: str):
    def method(self, x):
        return getattr(self.dist, name)(x, *self.args, **self.kwds)

    method.__name__ = name
    return method


for _name in METHODS:
    setattr(Frozen, _name, _frozen_method(_name))

DISTRIBUTIONS = {name: Continuous(dist) for name, dist in TABLE.items()}
