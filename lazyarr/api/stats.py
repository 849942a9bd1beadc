"""``lazyarr.stats``: scipy.stats' distributions, their methods fused, with SciPy's edge cases exactly.

scipy.stats.norm.isf(q) runs SciPy's generic distribution machinery on one core (argument checks, masks,
``place`` calls around ``-ndtri(q)``). Here the same checks are ``where`` nodes around ``ndtri`` in one kernel.
Every distribution comes from one table of SciPy's standard forms (``api/distributions.py``) and one wrapper per
kind that follows scipy.stats' rv_continuous / rv_discrete code path (``api/continuous.py``,
``api/discrete.py``): the same conditions, the same fill values (nan for bad arguments, the support's bounds at
q = 0 or 1) and the same arithmetic order, so results are SciPy's. (``norm`` had a class of its own until s15.)
"""
from __future__ import annotations

from lazyarr.api import errstate
from lazyarr.api.continuous import DISTRIBUTIONS, METHODS, Continuous
from lazyarr.api.discrete import DISTRIBUTIONS as DISCRETE_DISTRIBUTIONS, METHODS as DISCRETE_METHODS, Discrete

# (s16 lazyerr) under a visible np.errstate the methods are scipy.stats' own, now (api/errstate.py)
errstate.honouring(Continuous, METHODS)
errstate.honouring(Discrete, DISCRETE_METHODS)

globals().update(DISTRIBUTIONS)
globals().update(DISCRETE_DISTRIBUTIONS)
__all__ = [*DISTRIBUTIONS, *DISCRETE_DISTRIBUTIONS]


def __getattr__(name: str):
    """(s16) scipy.stats' other distributions: SciPy's own methods on the values (api/other_distributions.py)."""
    from lazyarr.api.other_distributions import distribution
    found = distribution(name) if not name.startswith("_") else None
    if found is None:
        raise AttributeError(f"module 'lazyarr.stats' has no attribute {name!r}")
    globals()[name] = found
    return found
