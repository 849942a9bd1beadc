"""scipy.stats' rv_discrete methods over lazy operands: ``la.stats.poisson.pmf(k, mu, loc)`` and binom's.

As ``api/continuous.py`` for rv_continuous: SciPy's ``rv_discrete.pmf`` (and logpmf, cdf, sf, ppf) as ``where``
nodes around the standard form of the table (``api/distributions.DISCRETE``), the same checks (the
distribution's own ``_argcheck``; ``loc == loc`` for ppf), the same fills (nan for bad arguments or nan k, 0 off
the integers and outside the support for pmf, 1 at or past the upper end for cdf, 1 below the support for sf,
``a - 1 + loc`` and ``b + loc`` at q = 0 and 1 for ppf), the same clipping of pmf/cdf/sf to [0, 1], and
SciPy's float64 output. ``k`` keeps its own dtype (an integer k stays integer until a function converts it).
"""
from __future__ import annotations

import numpy as np

from lazyarr.api.continuous import scipy_attribute, scipy_own
from lazyarr.api.distribution_tables import DISCRETE
from lazyarr.api.distributions import DiscreteDistribution
from lazyarr.api.stats_checks import as_operand, both, broadcast_shape, either, finish, lazy, negated, \
    parsed_arguments, select

METHODS = ("pmf", "logpmf", "cdf", "sf", "ppf", "logcdf", "logsf", "isf")
_FLOAT = np.dtype(np.float64)


class Discrete:
    """One scipy.stats discrete distribution: ``la.stats.poisson.pmf(k, mu, loc=0)``, or frozen
    ``la.stats.poisson(mu).cdf(k)``."""

    def __init__(self, dist: DiscreteDistribution):
        self.dist = dist
        self.name = dist.name
        self.shapes = dist.shapes
        self.a, self.b = dist.a, np.inf  # (SciPy's instance attributes; binom's upper end is n per call)

    def __repr__(self):
        return f"<lazyarr.stats.{self.name}: scipy.stats.{self.name}'s methods, fused>"

    def __call__(self, *args, **kwds):
        from lazyarr.api.continuous import Frozen
        return Frozen(self, args, kwds)

    def __getattr__(self, name: str):
        """(s16) Every other public method of scipy.stats' distribution (mean, moment, interval, expect, rvs,
        ...): SciPy's own, on the values."""
        return scipy_attribute(self.name, name)

    def _support(self, shapes):
        """SciPy's ``_get_support``: the lower end from the shapes where the distribution says so."""
        lower = self.dist.lower(*shapes) if self.dist.lower is not None else self.a
        return lower, self.dist.upper(*shapes)

    # -- the standard form, the distribution's method or rv_discrete's / rv_generic's generic one --------------
    def _std(self, method: str, k, shapes):
        own = getattr(self.dist, method)
        if own is not None:
            return own(k, *shapes)
        if method in ("logpmf", "logcdf", "logsf"):  # rv_discrete._logpmf, rv_generic._logcdf, _logsf
            return np.log(self._std(method[3:], k, shapes))
        if method == "sf":
            return 1.0 - self._std("cdf", k, shapes)
        if method == "isf":
            return self._std("ppf", 1.0 - k, shapes)
        raise AssertionError(f"{self.name}.{method}: SciPy's own (scipy_own), not an expression")

    def _own(self, method: str) -> bool:
        return method in self.dist.scipy_own

    def _parse(self, method: str, args: tuple, kwds: dict):
        """SciPy's generated ``_parse_args`` for a discrete distribution: the shapes, then loc=0 (no scale)."""
        values = parsed_arguments(self.name, method, self.shapes + ("loc",), self.shapes, args, kwds)
        return tuple(as_operand(values[n]) for n in self.shapes), as_operand(values.get("loc", 0))

    def _prepared(self, method, k, args, kwds):
        shapes, loc = self._parse(method, args, kwds)
        k = lazy(as_operand(k))
        shape = broadcast_shape(k, loc, *shapes)
        a, b = self._support(shapes)
        return shapes, k - loc, a, b, self.dist.argcheck(*shapes), shape

    def pmf(self, k, *args, **kwds):
        return self._mass("pmf", k, args, kwds)

    def logpmf(self, k, *args, **kwds):
        return self._mass("logpmf", k, args, kwds)

    def _mass(self, method, k, args, kwds):
        """rv_discrete.pmf: 0 (log: -inf) off the integers and outside [a, b], nan for bad arguments or nan k."""
        if self._own(method):
            return scipy_own(self.name, method, (k, *args), kwds)
        shapes, k, a, b, cond0, shape = self._prepared(method, k, args, kwds)
        with np.errstate(all="ignore"):
            cond1 = (k >= a) & (k <= b) & (np.floor(k) == k)
            cond = both(cond0, cond1)
            bad = either(negated(cond0), k != k)
            value = self._std(method, k, shapes)
            if method == "pmf":
                value, outside = np.clip(value, 0, 1), 0.0
            else:
                outside = -np.inf
            out = select(cond, value, select(bad, np.nan, outside))
        return finish(out, shape, _FLOAT)

    def cdf(self, k, *args, **kwds):
        """rv_discrete.cdf: 1 at and past the upper end (also where the arguments are bad but k is not nan: SciPy
        places the 1 before the nan, then nan over it), 0 below and at -inf."""
        if self._own("cdf"):
            return scipy_own(self.name, "cdf", (k, *args), kwds)
        shapes, k, a, b, cond0, shape = self._prepared("cdf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= a) & (k < b) & np.isfinite(k))
            bad = either(negated(cond0), k != k)
            value = np.clip(self._std("cdf", k, shapes), 0, 1)
            out = select(cond, value, select(bad, np.nan, select(k >= b, 1.0, 0.0)))
        return finish(out, shape, _FLOAT)

    def sf(self, k, *args, **kwds):
        if self._own("sf"):
            return scipy_own(self.name, "sf", (k, *args), kwds)
        shapes, k, a, b, cond0, shape = self._prepared("sf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= a) & (k < b) & np.isfinite(k))
            below = both(cond0, (k < a) | (k == -np.inf))
            bad = either(negated(cond0), k != k)
            value = np.clip(self._std("sf", k, shapes), 0, 1)
            out = select(cond, value, select(below, 1.0, select(bad, np.nan, 0.0)))
        return finish(out, shape, _FLOAT)

    def logcdf(self, k, *args, **kwds):
        """(s16) rv_discrete.logcdf: -inf, nan for bad arguments or nan k, then 0 at and past the upper end (placed
        after the nan: it wins), the method on [a, b) (no finiteness test, unlike cdf); not clipped."""
        if self._own("logcdf"):
            return scipy_own(self.name, "logcdf", (k, *args), kwds)
        shapes, k, a, b, cond0, shape = self._prepared("logcdf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= a) & (k < b))
            bad = either(negated(cond0), k != k)
            out = select(cond, self._std("logcdf", k, shapes), select(k >= b, 0.0, select(bad, np.nan, -np.inf)))
        return finish(out, shape, _FLOAT)

    def logsf(self, k, *args, **kwds):
        """(s16) rv_discrete.logsf: -inf, nan for bad arguments or nan k, 0 below the support (good arguments),
        the method on [a, b)."""
        if self._own("logsf"):
            return scipy_own(self.name, "logsf", (k, *args), kwds)
        shapes, k, a, b, cond0, shape = self._prepared("logsf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= a) & (k < b))
            below = both(cond0, k < a)
            bad = either(negated(cond0), k != k)
            out = select(cond, self._std("logsf", k, shapes), select(below, 0.0, select(bad, np.nan, -np.inf)))
        return finish(out, shape, _FLOAT)

    def ppf(self, q, *args, **kwds):
        """rv_discrete.ppf: q in (0, 1) through the method plus loc; q = 0 gives ``a - 1 + loc``, q = 1 ``b + loc``."""
        return self._quantile("ppf", q, args, kwds)

    def isf(self, q, *args, **kwds):
        """(s16) rv_discrete.isf: as ppf with the ends swapped (q = 1 gives ``a - 1 + loc``, q = 0 ``b + loc``)."""
        return self._quantile("isf", q, args, kwds)

    def _quantile(self, method, q, args, kwds):
        if self._own(method):
            return scipy_own(self.name, method, (q, *args), kwds)
        shapes, loc = self._parse(method, args, kwds)
        q = lazy(as_operand(q))
        with np.errstate(all="ignore"):
            cond0 = both(self.dist.argcheck(*shapes), loc == loc)
            cond = both(cond0, (q > 0) & (q < 1))
            a, b = self._support(shapes)
            value = self._std(method, q, shapes) + loc
            at_zero, at_one = (a - 1 + loc, b + loc) if method == "ppf" else (b + loc, a - 1 + loc)
            out = select(cond, value, select(both(cond0, q == 0), at_zero,
                                             select(both(cond0, q == 1), at_one, np.nan)))
        return finish(out, broadcast_shape(q, loc, *shapes), _FLOAT)


DISTRIBUTIONS = {name: Discrete(dist) for name, dist in DISCRETE.items()}
