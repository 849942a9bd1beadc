"""Guards: what a graph break inside ``@lazyarr.fuse`` let Python see, checked again on every replay.

A traced value asked for its data (``if err < tol``, ``float(s)``, ``.item()``) is computed at the break and
handed to Python, which decides what the rest of the function traces. A later call may reuse that trace only
if Python would have seen the same thing, so each break keeps a guard:

- ``truth``: ``bool(x)`` (an ``if``/``while`` on a one-element array): only the branch taken counts, so a
  convergence test holds while the error stays on the same side of the tolerance.
- ``value``: ``float(x)``, ``int(x)``, ``.item()``, ``np.asarray`` of a one-element result: the value itself,
  bit for bit (NaN payloads and -0.0 included), since Python may compute with it or bake it into the graph.
- An array of more than one element handed to Python (``np.asarray(x)`` given to code lazyarr cannot see, a
  function without a lazy rule): no cheap check can tell that Python would do the same, so no guard exists
  and the trace is not replayed (``replayable`` is False; the fused function runs eagerly for that signature).
"""
from __future__ import annotations

import numpy as np

# Why a value was asked (``tracing.refuse_concrete``'s `what`), for the guard kinds that are not the value.
TRUTH_REASONS = frozenset({"bool()"})
SCALAR_REASONS = frozenset({"float()", "int()", "complex()", "item()"})


class Guard:
    """One break's check: `kind` "truth" (the branch taken) or "value" (dtype and bits of the value)."""

    __slots__ = ("kind", "expected", "dtype")

    def __init__(self, kind: str, value: np.ndarray):
        self.kind = kind
        self.dtype = value.dtype
        self.expected = bool(value) if kind == "truth" else value.tobytes()

    def holds(self, value) -> bool:
        """Whether a replayed call computed what the traced call handed to Python."""
        value = np.asarray(value)
        if self.kind == "truth":
            return bool(value) == self.expected
        return value.dtype == self.dtype and value.tobytes() == self.expected

    def describe(self) -> str:
        if self.kind == "truth":
            return f"branch taken: {self.expected}"
        shown = np.frombuffer(self.expected, self.dtype)
        return f"value == {shown[0] if shown.size == 1 else shown!r} ({self.dtype})"


def guard_for(value: np.ndarray, reason: str) -> Guard | None:
    """The guard for a value handed to Python for `reason`, or None when no guard can stand for it (an array
    of several elements reached Python code lazyarr cannot follow)."""
    if value.size == 1 and reason in TRUTH_REASONS:
        return Guard("truth", value)
    if value.ndim == 0 or (value.size == 1 and reason in SCALAR_REASONS):
        return Guard("value", value)
    return None
