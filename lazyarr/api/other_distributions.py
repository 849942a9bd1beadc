"""(s16 stats2) ``la.stats.<name>`` for scipy.stats' distributions that are not in lazyarr's tables.

``la.stats.vonmises.cdf(x, kappa)``, ``la.stats.levy_stable(1.5, 0.3).pdf(x)``: SciPy's own methods on the
values (NumPy's fallback: the LazyArrays among the arguments computed, a warning once per method, the arrays
SciPy gives wrapped as LazyArrays again), so every distribution of scipy.stats answers as SciPy, fused or not.
"""
from __future__ import annotations

from lazyarr.api.continuous import scipy_attribute, scipy_own


class Other:
    """scipy.stats.<name>, every method SciPy's own on the computed values."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"<lazyarr.stats.{self.name}: scipy.stats.{self.name}'s methods on the values (not fused)>"

    def __getattr__(self, attribute: str):
        return scipy_attribute(self.name, attribute)

    def __call__(self, *args, **kwds):
        return OtherFrozen(self.name, args, kwds)


class OtherFrozen:
    def __init__(self, name: str, args: tuple, kwds: dict):
        self.name, self.args, self.kwds = name, args, kwds

    def __repr__(self):
        return f"<lazyarr.stats.{self.name}(*{self.args!r}, **{self.kwds!r}): SciPy's on the values>"

    def __getattr__(self, attribute: str):
        if attribute.startswith("_") or not callable(getattr(scipy_attribute(self.name, attribute), "__call__",
                                                             None)):
            raise AttributeError(f"frozen lazyarr.stats.{self.name} has no method {attribute!r}")
        return lambda *a, **k: scipy_own(self.name, attribute, a, k, frozen=(self.args, self.kwds))


def distribution(name: str):
    """The wrapper for scipy.stats.<name> when that is one of its distributions (else None)."""
    import scipy.stats
    dist = getattr(scipy.stats, name, None)
    if isinstance(dist, (scipy.stats.rv_continuous, scipy.stats.rv_discrete)):
        return Other(name)
    return None
