"""``lazyarr.stats.norm``: the normal distribution's functions, fused, with scipy.stats' edge cases exactly.

scipy.stats.norm.isf(q) runs SciPy's generic distribution machinery on one core (argument checks, masks,
``place`` calls around ``-ndtri(q)``). Here the same checks are ``where`` nodes around ``ndtri`` in one kernel.
Each method follows scipy.stats' rv_continuous code path: the same conditions, the same fill values (nan for
bad arguments, the support's bounds at q = 0 or 1) and the same arithmetic order, so results are SciPy's.
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr.api import build
from lazyarr.api.array import LazyArray
from lazyarr.api.continuous import DISTRIBUTIONS
from lazyarr.api.discrete import DISTRIBUTIONS as DISCRETE_DISTRIBUTIONS
from lazyarr.api.stats_checks import strong_number, traced_number
from lazyarr.api.functions import where

_SQRT_2PI = math.sqrt(2 * math.pi)      # scipy.stats' _norm_pdf_C
_LOG_SQRT_2PI = math.log(_SQRT_2PI)     # scipy.stats' _norm_pdf_logC


def _f64(x):
    """scipy.stats computes in float64 (at least): promote the operand, lazily."""
    node = build.to_node(x)
    if traced_number(x):
        return LazyArray(strong_number(node, np.float64))
    if node.weak or node.is_const:
        return np.float64(node.data)
    return LazyArray(node if node.dtype == np.float64 else build.cast(node, np.float64))


def _as_is(x):
    node = build.to_node(x)
    if traced_number(x):
        return LazyArray(strong_number(node, node.dtype))
    return node.data if node.is_const else LazyArray(node)


def _valid_scale(scale, loc=None):
    """scale > 0 (and loc not NaN, for ppf/isf), as a Python bool for scalars or a lazy mask."""
    ok = scale > 0
    if loc is not None:
        ok = ok & (loc == loc)
    return ok


class _Norm:
    """The methods of scipy.stats.norm that are elementwise, with loc and scale (scalars or arrays)."""

    def cdf(self, x, loc=0.0, scale=1.0):
        return self._cumulative(x, loc, scale, upper=False, log=False)

    def sf(self, x, loc=0.0, scale=1.0):
        return self._cumulative(x, loc, scale, upper=True, log=False)

    def logcdf(self, x, loc=0.0, scale=1.0):
        return self._cumulative(x, loc, scale, upper=False, log=True)

    def logsf(self, x, loc=0.0, scale=1.0):
        return self._cumulative(x, loc, scale, upper=True, log=True)

    def _cumulative(self, x, loc, scale, upper: bool, log: bool):
        import scipy.special as sp
        x, loc, scale = _f64(x), _f64(loc), _f64(scale)
        z = (x - loc) / scale
        tail = -z if upper else z
        value = sp.log_ndtr(tail) if log else sp.ndtr(tail)
        # Outside the open support the value is the limit: 1 (log 0) at the far end, 0 (log -inf) at the near.
        far = z == (-np.inf if upper else np.inf)
        value = where(far, 0.0 if log else 1.0, where(tail == -np.inf, -np.inf if log else 0.0, value))
        return self._checked(value, z, scale)

    def pdf(self, x, loc=0.0, scale=1.0):
        x, loc, scale = _f64(x), _f64(loc), _f64(scale)
        z = (x - loc) / scale
        value = build_exp(-z ** 2 / 2.0) / _SQRT_2PI / scale
        return self._checked(value, z, scale)

    def logpdf(self, x, loc=0.0, scale=1.0):
        x, loc, scale = _f64(x), _f64(loc), _f64(scale)
        z = (x - loc) / scale
        with np.errstate(invalid="ignore", divide="ignore"):
            log_scale = np.log(scale)  # NumPy's value for a scalar scale; a lazy node for an array
        value = -z ** 2 / 2.0 - _LOG_SQRT_2PI - log_scale
        return self._checked(value, z, scale)

    @staticmethod
    def _checked(value, z, scale):
        """scipy.stats' badvalue (nan) where scale <= 0 or the standardised argument is nan."""
        bad = ~_valid_scale(scale) | (z != z)
        return LazyArray(build.to_node(where(bad, np.nan, value)))

    def ppf(self, q, loc=0.0, scale=1.0):
        return self._quantile(q, loc, scale, upper=False)

    def isf(self, q, loc=0.0, scale=1.0):
        return self._quantile(q, loc, scale, upper=True)

    def _quantile(self, q, loc, scale, upper: bool):
        import scipy.special as sp
        # Unlike cdf/sf/pdf, scipy.stats keeps q's own dtype here: float32 q takes ndtri's float32 loop, and
        # only the scaling (by float64 scale and loc) is float64.
        q, loc, scale = _as_is(q), _f64(loc), _f64(scale)
        ok = _valid_scale(scale, loc)
        core = (-sp.ndtri(q) if upper else sp.ndtri(q)) * scale + loc
        if isinstance(ok, (bool, np.bool_)):
            # Scalar loc and scale, checked here: when valid, ndtri already gives scipy.stats' answers at the
            # edges (+-inf at q = 0 and 1, nan outside [0, 1] and for nan), so the kernel is ndtri alone.
            return LazyArray(build.to_node(core)) if ok else LazyArray(build.full(build.to_node(q).shape,
                                                                                   np.nan, np.float64))
        inside = (q > 0) & (q < 1)
        # At q = 0 and q = 1 the answer is the support's bound, (+-inf) * scale + loc, as scipy.stats places it.
        with np.errstate(invalid="ignore"):
            at_zero = (np.inf if upper else -np.inf) * scale + loc
            at_one = (-np.inf if upper else np.inf) * scale + loc
        value = where(inside & ok, core, where(ok & (q == 0), at_zero, where(ok & (q == 1), at_one, np.nan)))
        return LazyArray(build.to_node(value))


def build_exp(x):
    return LazyArray(build.ufunc_node(np.exp, (x,)))


norm = _Norm()
# (s15) The other continuous distributions, from one table (api/distributions.py, api/continuous.py), and
# poisson and binom (api/discrete.py).
globals().update(DISTRIBUTIONS)
globals().update(DISCRETE_DISTRIBUTIONS)
__all__ = ["norm", *DISTRIBUTIONS, *DISCRETE_DISTRIBUTIONS]
