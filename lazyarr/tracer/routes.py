"""(s15) What a fused function's trace shows that a program cannot replay as NumPy would run it, so that the
signature runs as plain NumPy (``decorator._Fused.numpy_route``) or computes more than it returns: results holding
traced values fuse cannot rebuild, list or dict arguments the function changed, linalg stages it dropped whose errors
must still reach it, and the text of the floating-point reason (tracer/fp_errors.py). Pure functions of the trace.
"""
from __future__ import annotations

import gc
import types

import numpy as np

from lazyarr.api.array import LazyArray
from lazyarr.graph import expr
from lazyarr.tracer.scalars import ScalarTracer
from lazyarr.tracer.signature import flatten


def dropped(checked: list, roots: list) -> list:
    """(s15) The stages that raise for some values (``tracing.note_checked``) the function built but dropped:
    ``try: np.linalg.cholesky(a); return True / except LinAlgError: return False`` returned True for every matrix,
    since nothing computed the stage. As extra roots they are computed on every call (their values unused): an
    error runs the call as plain NumPy (``_Fused.as_numpy``), so the function's own ``except`` runs."""
    if not checked:
        return []
    reached = {id(n) for n in expr.walk(roots)}
    dropped = []
    for node in checked:
        if id(node) not in reached:
            reached.add(id(node))
            dropped.append(node)
    return dropped


def opaque_result(tree) -> str | None:
    """(s15) The kind of a returned object fuse cannot rebuild per call that holds traced values (an instance of a
    plain class with array attributes, a function closing over them, a generator): its LazyArrays were returned
    over the placeholders, uncomputed, and the object was the same on every call. None if there is none."""
    kind = tree[0]
    if kind == "const":
        return _holding_traced(tree[1])
    if kind in ("seq", "dict", "obj"):
        for t in tree[2]:
            found = opaque_result(t)
            if found is not None:
                return found
    if kind in ("copy", "byteorder"):
        return opaque_result(tree[1])
    return None


def _holding_traced(value, limit: int = 200) -> str | None:
    """`value`'s kind if a LazyArray or traced number is among the objects it refers to (three levels, at most
    `limit` objects: an instance's attributes, a closure's cells, a generator's frame)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.ndarray, np.generic, type)):
        return None
    seen, level = {id(value)}, [value]
    for _ in range(3):
        following = []
        for obj in level:
            for ref in gc.get_referents(obj):
                if isinstance(ref, (LazyArray, ScalarTracer)):
                    return f"a {type(value).__name__}"
                if id(ref) not in seen and not isinstance(ref, (type, types.ModuleType, np.ndarray, str)):
                    seen.add(id(ref))
                    following.append(ref)
        if len(seen) > limit:
            return None
        level = following
    return None


def fp_why(watch) -> str:
    return f"it asks NumPy for floating-point errors ({watch.why}), which fused kernels do not report"


def changed(structure, positional, keywords, traced_args: list) -> bool:
    """(s15) Whether the traced function changed a list or dict it was given (``xs.append(y)``, ``d["c"] = v``,
    ``xs[0] = xs[0] * 2``): their structure or an item is not what the call passed."""
    after: list = []
    if flatten((positional, keywords), after) != structure or len(after) != len(traced_args):
        return True
    return any(x is not y for x, y in zip(after, traced_args))
