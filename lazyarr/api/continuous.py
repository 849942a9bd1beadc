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
one compiled kernel. Arrays, LazyArrays and the traced numbers of a ``@la.fuse`` function stay nodes, checked in
the kernel (``api/stats_checks.py``).
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.api.array import LazyArray
from lazyarr.api.distribution_tables import TABLE
from lazyarr.api.distributions import Distribution
from lazyarr.api.stats_checks import as_operand, both, broadcast_shape, either, finish, lazy, negated, \
    parsed_arguments, select

METHODS = ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf")


def _argcheck(args, own=None):
    """rv_generic._argcheck: every shape parameter > 0 (1 when there are none); or the distribution's own."""
    if own is not None:  # (s16) a concrete answer is decided here, as both() does
        cond = own(*args)
        return cond if isinstance(cond, LazyArray) else bool(np.all(cond)) if np.ndim(cond) == 0 else cond
    cond = True
    for arg in args:
        cond = both(cond, arg > 0)
    return cond


def scipy_own(dist_name: str, method: str, args: tuple, kwds: dict, frozen: tuple | None = None):
    """(s16) SciPy's own method on the values: NumPy's fallback (computes the LazyArrays among the arguments,
    warns once, wraps the arrays it gives). `frozen` = (args, kwds) calls the method of SciPy's frozen
    distribution made with them. For methods lazyarr does not express: numerical ones (root finding, quadrature),
    moments, fit, rvs, and every distribution that is not in the tables."""
    from lazyarr.api import fallback
    return fallback.eager(_ScipyMethod(dist_name, method, frozen is not None), (frozen, args, kwds), {})


class _ScipyMethod:
    """``scipy.stats.<dist>.<method>`` (or a frozen one's), callable on the computed values; named for the
    fallback's warning and explain()."""

    def __init__(self, dist_name: str, method: str, frozen: bool):
        self.dist_name, self.method, self.frozen = dist_name, method, frozen
        self.__module__ = "scipy.stats"
        self.__name__ = f"{dist_name}{'(...)' if frozen else ''}.{method}"

    def __call__(self, frozen, args, kwds):
        import scipy.stats
        dist = getattr(scipy.stats, self.dist_name)
        if frozen is not None:
            dist = dist(*frozen[0], **frozen[1])
        return getattr(dist, self.method)(*args, **kwds)


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

    def __getattr__(self, name: str):
        """(s16) Every other public method of scipy.stats' distribution (mean, var, std, moment, stats, entropy,
        interval, median, support, expect, fit, rvs, nnlf, ...): SciPy's own, on the values."""
        return scipy_attribute(self.name, name)

    def _own(self, method: str) -> bool:
        return method in self.dist.scipy_own

    def _support(self, shapes):
        """SciPy's ``_get_support``: the support's ends, from the shapes where the distribution says so."""
        return self.dist.support(*shapes) if self.dist.support is not None else (self.a, self.b)

    def _parse(self, method: str, args: tuple, kwds: dict):
        """SciPy's generated ``_parse_args``: the shapes by position or name, then loc=0 and scale=1."""
        values = parsed_arguments(self.name, method, self.shapes + ("loc", "scale"), self.shapes, args, kwds)
        shapes = tuple(as_operand(values[n]) for n in self.shapes)
        return shapes, as_operand(values.get("loc", 0)), as_operand(values.get("scale", 1))

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
        if self._own(method):
            return scipy_own(self.name, method, (x, *args), kwds)
        shapes, loc, scale = self._parse(method, args, kwds)
        x = lazy(as_operand(x))
        dtype, z = self._standardised(x, loc, scale)
        with np.errstate(all="ignore"):
            cond0 = both(_argcheck(shapes, self.dist.argcheck), scale > 0)
            a, b = self._support(shapes)
            inside = ((a < z) & (z < b)) if self.dist.open_density else ((a <= z) & (z <= b))
            if self.dist.density_mask is not None:
                inside = inside & self.dist.density_mask(z, *shapes)
            cond = both(cond0, inside)
            value = self._std(method, z, shapes)
            unit = not isinstance(scale, LazyArray) and scale == 1  # (/ 1 and - log(1) change no bits: left out)
            if method == "pdf":
                value, outside = value if unit else value / scale, 0.0
            else:
                value, outside = value if unit else value - np.log(scale), -np.inf
            bad = either(negated(cond0), z != z)
            out = select(cond, value, select(bad, np.nan, outside))
        return finish(out, broadcast_shape(x, loc, scale, *shapes), dtype)

    def _cumulative(self, method: str, x, args, kwds):
        """cdf, sf, logcdf, logsf (rv_continuous.cdf): the limits outside the open support, nan for bad
        arguments."""
        if self._own(method):
            return scipy_own(self.name, method, (x, *args), kwds)
        shapes, loc, scale = self._parse(method, args, kwds)
        x = lazy(as_operand(x))
        dtype, z = self._standardised(x, loc, scale)
        upper = method in ("sf", "logsf")
        log = method.startswith("log")
        with np.errstate(all="ignore"):
            cond0 = both(_argcheck(shapes, self.dist.argcheck), scale > 0)
            a, b = self._support(shapes)
            cond = both(cond0, (a < z) & (z < b))
            far = both(cond0, (z <= a) if upper else (z >= b))  # where the method is 1 (log: 0)
            bad = either(negated(cond0), z != z)
            value = self._std(method, z, shapes)
            out = select(cond, value, select(far, 0.0 if log else 1.0,
                                             select(bad, np.nan, -np.inf if log else 0.0)))
        return finish(out, broadcast_shape(x, loc, scale, *shapes), dtype)

    def _quantile(self, method: str, q, args, kwds):
        """ppf and isf (rv_continuous.ppf): q in (0, 1) through the method, q = 0 and 1 the support's ends
        (``a * scale + loc``, ``b * scale + loc``), anything else nan; float64 as SciPy's output array."""
        if self._own(method):
            return scipy_own(self.name, method, (q, *args), kwds)
        shapes, loc, scale = self._parse(method, args, kwds)
        q = lazy(as_operand(q))
        with np.errstate(all="ignore"):
            cond0 = both(both(_argcheck(shapes, self.dist.argcheck), scale > 0), loc == loc)
            cond = both(cond0, (0 < q) & (q < 1))
            a, b = self._support(shapes)
            lower, upper = a * scale + loc, b * scale + loc
            at_zero, at_one = (lower, upper) if method == "ppf" else (upper, lower)
            value = self._std(method, q, shapes) * scale + loc
            if self.dist.quantile_edges and not isinstance(cond0, LazyArray) and cond0:
                return finish(value, broadcast_shape(q, loc, scale, *shapes), np.dtype(np.float64))
            out = select(cond, value, select(both(cond0, q == 0), at_zero,
                                             select(both(cond0, q == 1), at_one, np.nan)))
        return finish(out, broadcast_shape(q, loc, scale, *shapes), np.dtype(np.float64))

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
    """``la.stats.gamma(a, loc, scale)``: the parameters kept, as SciPy's rv_frozen (continuous or discrete)."""

    METHODS = frozenset(METHODS) | {"pmf", "logpmf"}

    def __init__(self, dist, args: tuple, kwds: dict):
        dist._parse("__call__", args, kwds)  # SciPy checks the parameters when it freezes
        self.dist, self.args, self.kwds = dist, args, kwds

    def __repr__(self):
        return f"<lazyarr.stats.{self.dist.name}(*{self.args!r}, **{self.kwds!r}), fused>"

    def __getattr__(self, name: str):
        method = getattr(self.dist, name, None) if name in Frozen.METHODS else None
        if method is None:
            # (s16) every other method of SciPy's frozen distribution (mean, interval, rvs, expect, ...): SciPy's
            # own on the values
            if name.startswith("_") or not callable(getattr(_scipy_distribution(self.dist.name), name, None)):
                raise AttributeError(f"frozen lazyarr.stats.{self.dist.name} has no method {name!r}")
            return lambda *a, **k: scipy_own(self.dist.name, name, a, k, frozen=(self.args, self.kwds))
        return lambda x: method(x, *self.args, **self.kwds)


def _scipy_distribution(name: str):
    import scipy.stats
    return getattr(scipy.stats, name)


def scipy_attribute(dist_name: str, name: str):
    """(s16) scipy.stats.<dist_name>'s public method `name`, run by SciPy on the values; AttributeError as
    SciPy's for what it does not have."""
    theirs = getattr(_scipy_distribution(dist_name), name) if not name.startswith("_") else None
    if not callable(theirs):
        if theirs is not None:
            return theirs  # (a plain attribute: shapes, a, b, numargs, badvalue, name)
        raise AttributeError(f"lazyarr.stats.{dist_name} has no attribute {name!r}")
    method = lambda *args, **kwds: scipy_own(dist_name, name, args, kwds)  # noqa: E731
    method.__name__ = name
    return method


DISTRIBUTIONS = {name: Continuous(dist) for name, dist in TABLE.items()}
