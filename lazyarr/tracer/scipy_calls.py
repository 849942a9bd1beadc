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
"""
from __future__ import annotations

import functools
import sys
import threading

METHODS = ("cdf", "sf", "ppf", "isf", "pdf", "logpdf", "logcdf", "logsf")
_ROUTED_KEYWORDS = frozenset({"loc", "scale"})

_lock = threading.Lock()
_users = 0
_installed: dict = {}  # method name -> the class attribute it replaced (None: inherited, so deleted after)


def _traced(values) -> bool:
    from lazyarr.api.array import LazyArray
    from lazyarr.tracer.scalars import ScalarTracer
    return any(isinstance(v, (LazyArray, ScalarTracer)) for v in values)


def _routed(name: str, original):
    @functools.wraps(original)
    def method(self, *args, **kwds):
        if (len(args) <= 3 and _ROUTED_KEYWORDS.issuperset(kwds) and _traced((*args, *kwds.values()))
                and not self.shapes):  # norm has no shape parameters; a subclass that adds some is SciPy's
            from lazyarr.api.stats import norm
            return getattr(norm, name)(*args, **kwds)
        return original(self, *args, **kwds)

    return method


def _normal_class():
    stats = sys.modules.get("scipy.stats")
    norm = getattr(stats, "norm", None) if stats is not None else None
    return type(norm) if norm is not None else None


class intercepting:
    """Context manager around a trace: scipy.stats.norm's methods take traced arguments as lazyarr's."""

    def __enter__(self):
        global _users
        with _lock:
            cls = _normal_class() if _users == 0 else None
            _users += 1
            if cls is not None:
                for name in METHODS:
                    _installed[name] = cls.__dict__.get(name)
                    setattr(cls, name, _routed(name, getattr(cls, name)))
                _installed["class"] = cls
        return self

    def __exit__(self, *exc):
        global _users
        with _lock:
            _users -= 1
            cls = _installed.pop("class", None) if _users == 0 else None
            if cls is not None:
                for name in METHODS:
                    previous = _installed.pop(name)
                    if previous is None:
                        delattr(cls, name)
                    else:
                        setattr(cls, name, previous)
        return False
