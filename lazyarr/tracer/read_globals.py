"""(s15) Values a fused function reads from its module's globals or its closure: part of the signature.

``SCALE = 2.0`` at module level and ``return a * SCALE`` in the function: the trace bakes 2.0 in, so after
``SCALE = 3.0`` (a notebook cell run again, a setting changed) every call still multiplied by 2.0, silently
(session 15's sweep). The names the function's code reads (its own and its nested code's: comprehensions,
lambdas) that hold numbers, strings, bools, None, NumPy scalars, tuples, lists and dicts of at most 32 items
(their items' values) or plain objects (by their attributes' state,
``signature.state_key``) at its first call are watched: their values join each call's key, so a changed value
traces again (compiling nothing new when only a constant changed). Globals holding arrays are not watched: they
are read when the kernels run (docs/fuse.md, "Lazy arguments, nesting, closures"); modules, functions and
classes are not either. Helpers the function calls read their own globals unwatched.
"""
from __future__ import annotations

import types

import numpy as np

_SKIP = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, np.ufunc, np.ndarray)


def _names(code) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _watchable(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic)):
        return True
    if type(value) in (tuple, list, dict):  # (small settings tables; a long list is not compared per call)
        return len(value) <= 32
    return not isinstance(value, _SKIP) and hasattr(value, "__dict__")


def watched(fn) -> tuple:
    """(global names, closure cell indices) whose values `fn`'s calls key on (decided at its first call)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return (), ()
    found = getattr(fn, "__globals__", {})
    names = tuple(sorted(n for n in _names(code) if n in found and _watchable(found[n])))
    cells = tuple(i for i, c in enumerate(fn.__closure__ or ()) if _filled(c) and _watchable(c.cell_contents))
    return names, cells


def read_values(fn) -> list:
    """Every value `fn`'s code reads from its globals and closure now (rng_states looks for random states)."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    found = getattr(fn, "__globals__", {})
    values = [found[n] for n in _names(code) if n in found]
    return values + [c.cell_contents for c in fn.__closure__ or () if _filled(c)]


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # (an empty cell)
        return False
    return True


def key(fn, names: tuple, cells: tuple, state_key) -> tuple:
    """The watched values now, as a key item (~0.3 us for one float global: a cached call's cost)."""
    found = fn.__globals__
    values = [_exact(found.get(n), state_key) for n in names]
    if cells:
        closure = fn.__closure__
        values += [_exact(closure[i].cell_contents, state_key) if _filled(closure[i]) else None for i in cells]
    return tuple(values)


def _exact(value, state_key):
    """A key equal only for values a trace cannot tell apart: a nonzero float (or a str) is its own key; 0.0 and
    -0.0, NaN, True and 1 are not (``signature.state_key``)."""
    kind = type(value)
    if (kind is float and value == value and value) or kind is str:
        return value
    return state_key(value, 1)
