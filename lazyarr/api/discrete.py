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

from lazyarr.api.distributions import DISCRETE, DiscreteDistribution
from lazyarr.api.stats_checks import as_operand, both, broadcast_shape, either, finish, lazy, negated, \
    parsed_arguments, select

METHODS = ("pmf", "logpmf", "cdf", "sf", "ppf")
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

    def _parse(self, method: str, args: tuple, kwds: dict):
        """SciPy's generated ``_parse_args`` for a discrete distribution: the shapes, then loc=0 (no scale)."""
        values = parsed_arguments(self.name, method, self.shapes + ("loc",), self.shapes, args, kwds)
        return tuple(as_operand(values[n]) for n in self.shapes), as_operand(values.get("loc", 0))

    def _prepared(self, method, k, args, kwds):
        shapes, loc = self._parse(method, args, kwds)
        k = lazy(as_operand(k))
        shape = broadcast_shape(k, loc, *shapes)
        return shapes, k - loc, self.dist.upper(*shapes), self.dist.argcheck(*shapes), shape

    def pmf(self, k, *args, **kwds):
        return self._mass("pmf", k, args, kwds)

    def logpmf(self, k, *args, **kwds):
        return self._mass("logpmf", k, args, kwds)

    def _mass(self, method, k, args, kwds):
        """rv_discrete.pmf: 0 (log: -inf) off the integers and outside [a, b], nan for bad arguments or nan k."""
        shapes, k, b, cond0, shape = self._prepared(method, k, args, kwds)
        with np.errstate(all="ignore"):
            cond1 = (k >= self.a) & (k <= b) & (np.floor(k) == k)
            cond = both(cond0, cond1)
            bad = either(negated(cond0), k != k)
            value = getattr(self.dist, method)(k, *shapes)
            if method == "pmf":
                value, outside = np.clip(value, 0, 1), 0.0
            else:
                outside = -np.inf
            out = select(cond, value, select(bad, np.nan, outside))
        return finish(out, shape, _FLOAT)

    def cdf(self, k, *args, **kwds):
        """rv_discrete.cdf: 1 at and past the upper end (also where the arguments are bad but k is not nan: SciPy
        places the 1 before the nan, then nan over it), 0 below and at -inf."""
        shapes, k, b, cond0, shape = self._prepared("cdf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= self.a) & (k < b) & np.isfinite(k))
            bad = either(negated(cond0), k != k)
            value = np.clip(self.dist.cdf(k, *shapes), 0, 1)
            out = select(cond, value, select(bad, np.nan, select(k >= b, 1.0, 0.0)))
        return finish(out, shape, _FLOAT)

    def sf(self, k, *args, **kwds):
        shapes, k, b, cond0, shape = self._prepared("sf", k, args, kwds)
        with np.errstate(all="ignore"):
            cond = both(cond0, (k >= self.a) & (k < b) & np.isfinite(k))
            below = both(cond0, (k < self.a) | (k == -np.inf))
            bad = either(negated(cond0), k != k)
            value = np.clip(self.dist.sf(k, *shapes), 0, 1)
            out = select(cond, value, select(below, 1.0, select(bad, np.nan, 0.0)))
        return finish(out, shape, _FLOAT)

    def ppf(self, q, *args, **kwds):
        """rv_discrete.ppf: q in (0, 1) through the method plus loc; q = 0 gives ``a - 1 + loc``, q = 1 ``b + loc``."""
        shapes, loc = self._parse("ppf", args, kwds)
        q = lazy(as_operand(q))
        with np.errstate(all="ignore"):
            cond0 = both(self.dist.argcheck(*shapes), loc == loc)
            cond = both(cond0, (q > 0) & (q < 1))
            value = self.dist.ppf(q, *shapes) + loc
            out = select(cond, value, select(both(cond0, q == 0), self.a - 1 + loc,
                                             select(both(cond0, q == 1), self.dist.upper(*shapes) + loc, np.nan)))
        return finish(out, broadcast_shape(q, loc, *shapes), _FLOAT)


DISTRIBUTIONS = {name: Discrete(dist) for name, dist in DISCRETE.items()}
