"""SciPy written as SciPy inside ``@lazyarr.fuse``: ``scipy.stats.norm.isf(B)`` becomes lazyarr's fused nodes.

``scipy.special``'s functions are NumPy ufuncs, so a traced array reaches lazyarr through ``__array_ufunc__``
and fuses with nothing done here. ``scipy.stats.norm``'s methods are Python code that starts with
``np.asarray``: on a traced array that is a graph break, and the result would be computed by SciPy on one core
(and make the signature eager). So while a fused function is traced, the eight elementwise methods of
scipy.stats' normal distribution (cdf, sf, ppf, isf, pdf, logpdf, logcdf, logsf, with loc and scale) are
routed to ``lazyarr.stats.norm`` when an argument is traced.

Why wrap the class's methods during the trace rather than keep a registry of known SciPy callables: the user
reaches the function as an attribute of an object (``scipy.stats.norm.isf``, a frozen ``norm(loc, scale).isf``,
whose ``dist`` is a new instance), never as a callable lazyarr could see before it runs; only the class
(``norm_gen``) is common to all of them. The wrappers are installed on that class while any thread traces
(reference-counted) and removed after; a call on NumPy values goes straight to SciPy's own method, so other
code running meanwhile sees SciPy's results unchanged. scipy.stats is not imported for this: a program that
has not imported it cannot call it.

(s15) The same for every distribution of ``lazyarr.api.distributions``' tables (norm, expon, gamma, beta, t,
..., poisson, binom): their ``*_gen`` classes are wrapped alike, and a call with a traced argument becomes
``lazyarr.stats.<name>``'s. A call the wrapper does not recognise (an instance made with other support bounds,
a subclass, an unexpected keyword) goes to SciPy unchanged.
"""
from __future__ import annotations

import functools
import sys
import threading

import numpy as np

METHODS = ("cdf", "sf", "ppf", "isf", "pdf", "logpdf", "logcdf", "logsf", "pmf", "logpmf")

_lock = threading.Lock()
_users = 0
_installed: dict = {}  # (class, method name) -> the class attribute it replaced (None: inherited, deleted after)


def _traced(values) -> bool:
    from lazyarr.api.array import LazyArray
    from lazyarr.tracer.scalars import ScalarTracer
    return any(isinstance(v, (LazyArray, ScalarTracer)) for v in values)


def _ours(self, name: str, method: str, args: tuple, kwds: dict):
    """lazyarr's distribution for this call, or None: SciPy's own instance (no subclass, the table's support),
    called with arguments lazyarr's method takes (x, the shapes, loc, scale; by position or name)."""
    from lazyarr.api import stats
    ours = getattr(stats, name, None)
    if ours is None or not hasattr(ours, method) or method in getattr(getattr(ours, "dist", None), "scipy_own", ()):
        return None  # ((s16) a method SciPy computes numerically: SciPy's own, a graph break)
    shapes = getattr(ours, "shapes", ())  # (norm has none, and the whole line as its support)
    support = getattr(ours, "a", -np.inf), getattr(ours, "b", np.inf)
    if (self.shapes or None) != (", ".join(shapes) or None) or (self.a, self.b) != support:
        return None
    if len(args) > 3 + len(shapes) or not set(kwds) <= {"loc", "scale", *shapes}:
        return None
    return ours


def _routed(cls, dist_name: str, name: str, original):
    @functools.wraps(original)
    def method(self, *args, **kwds):
        if type(self) is cls and _traced((*args, *kwds.values())):
            ours = _ours(self, dist_name, name, args, kwds)
            if ours is not None:
                return getattr(ours, name)(*args, **kwds)
        return original(self, *args, **kwds)

    return method


def _classes() -> dict:
    """scipy.stats' distribution classes lazyarr routes, by name (only if scipy.stats is imported)."""
    stats = sys.modules.get("scipy.stats")
    if stats is None:
        return {}
    from lazyarr.api.distribution_tables import DISCRETE, TABLE
    found = {}
    for name in (*TABLE, *DISCRETE):
        instance = getattr(stats, name, None)
        if instance is not None:
            found[type(instance)] = name
    return found


# (s16 stats2) rv_generic's other public methods (moments, intervals, expect, rvs, ...) are Python code that
# writes into NumPy arrays (``place(result, i1, res1)`` in moment): a traced argument there was a TracingError.
# While a function traces they take traced arguments as NumPy's fallback does: the arguments are computed (a
# graph break) and SciPy's own method runs on the values, for every distribution, SciPy's or a user's subclass.
OTHER_METHODS = ("moment", "mean", "var", "std", "median", "stats", "entropy", "interval", "support", "expect",
                 "nnlf", "rvs")


def _on_values(original):
    @functools.wraps(original)
    def method(self, *args, **kwds):
        if _traced((*args, *kwds.values())):
            from lazyarr.api import fallback
            bound = functools.partial(original, self)
            bound.__module__, bound.__name__ = "scipy.stats", f"{getattr(self, 'name', '?')}.{original.__name__}"
            return fallback.eager(bound, args, kwds)
        return original(self, *args, **kwds)

    return method


def _base_classes() -> list:
    module = sys.modules.get("scipy.stats._distn_infrastructure")
    return [] if module is None else [module.rv_generic, module.rv_continuous, module.rv_discrete]


class intercepting:
    """Context manager around a trace: scipy.stats' distributions' methods take traced arguments as lazyarr's."""

    def __enter__(self):
        global _users
        with _lock:
            classes = _classes() if _users == 0 else {}
            _users += 1
            for cls, dist_name in classes.items():
                for name in METHODS:
                    if not hasattr(cls, name):  # (pdf on a discrete distribution, pmf on a continuous one)
                        continue
                    _installed[cls, name] = cls.__dict__.get(name)
                    setattr(cls, name, _routed(cls, dist_name, name, getattr(cls, name)))
            for cls in _base_classes() if classes else ():
                for name in OTHER_METHODS:
                    if name in cls.__dict__:
                        _installed[cls, name] = cls.__dict__[name]
                        setattr(cls, name, _on_values(cls.__dict__[name]))
        return self

    def __exit__(self, *exc):
        global _users
        with _lock:
            _users -= 1
            if _users == 0:
                for (cls, name), previous in list(_installed.items()):
                    if previous is None:
                        delattr(cls, name)
                    else:
                        setattr(cls, name, previous)
                _installed.clear()
        return False
