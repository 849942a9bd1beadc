"""The signature of a ``@lazyarr.fuse`` call: what in its arguments can change the traced graph.

Per array: dtype (with byte order), shape and strides. Per Python number: its value class
(``_trace_scalar.classify``), or the value itself when graph building looks at it. Per NumPy scalar: its dtype
(it is traced as a 0-d array: strong, as NEP 50 says), or its value when it is a power exponent NumPy
rewrites. Anything else: its value, which must be hashable. Containers (tuple, list, dict, namedtuple) are
flattened, and their structure is part of the key.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import types

import numpy as np

from lazyarr.graph import expr
from lazyarr.tracer.scalars import FLOAT_SPECIAL, POWER_SPECIAL, ScalarTracer, classify
from lazyarr.api.array import LazyArray

_ndarray = np.ndarray
_GENERAL = object()  # a key item that sends the call down the general path


def key_of(args) -> tuple | None:
    """The signature of flat arguments (None: a LazyArray, tracer or container among them)."""
    key = []
    append = key.append
    for a in args:
        kind = type(a)
        if kind is _ndarray:
            key += (a.dtype, a.shape, a.strides)
        elif kind is float:
            append("f" if a not in FLOAT_SPECIAL else ("=", float, a))
        else:
            item = _item(a)
            if item is _GENERAL:
                return None
            if type(item) is tuple and len(item) == 3 and item[0] == "array":
                append(item[1])
                append(item[2])
                append(a.strides)
            else:
                append(item)
    return tuple(key)


def _item(a):
    kind = type(a)
    if kind is int or kind is complex:
        cls = classify(a)
        return cls if cls is not None else ("=", kind, expr.value_key(a))
    if kind is bool or a is None or kind is str:
        return ("=", kind, a)
    if isinstance(a, (LazyArray, ScalarTracer, tuple, list, dict)):
        return _GENERAL
    if isinstance(a, np.ndarray):
        if not isinstance(a, np.memmap):  # a masked array, np.matrix, ...: NumPy's own semantics
            raise ForeignArgument(a)
        return ("array", a.dtype, a.shape)
    if isinstance(a, np.generic):
        return ("=", a.dtype, a.tobytes()) if special_numpy_scalar(a) else (a.dtype, "scalar")
    if hasattr(kind, "__array__") or hasattr(kind, "__array_function__") or hasattr(kind, "__array_ufunc__"):
        raise ForeignArgument(a)  # (s15) an array-like (dask, pandas, a masked array's kin): values, not state
    if kind is slice:  # (s15) unhashable before Python 3.12
        return ("=", slice, state_key((a.start, a.stop, a.step), 2))
    if kind.__hash__ in (object.__hash__, None) and hasattr(a, "__dict__") and not isinstance(a, _OPAQUE):
        # (s15) an object equal only to itself (``self`` of a fused method, a config object): the trace reads its
        # attributes (``a * self.scale``) and bakes them in, so a changed attribute must trace again (it
        # silently reused the old value); its attributes' state is part of the key. (An unhashable one, a
        # dataclass with eq, the same: it raised TypeError.)
        return ("=", kind, id(a), state_key(a, 2))
    try:
        hash(a)
    except TypeError:
        raise ForeignArgument(a) from None
    return ("=", kind, a)


class ForeignArgument(TypeError):
    """(s15) An argument a trace cannot take: an ndarray subclass other than np.memmap (a masked array keeps a
    mask, np.matrix its own operators), or an unhashable object that is not an array (a dask array, a pandas
    Series). The call does not fail: ``decorator._Fused.foreign`` runs it (dask arrays lazily, the rest as the
    plain function, as NumPy would)."""

    def __init__(self, value):
        self.value = value
        kind = type(value)
        super().__init__(f"{kind.__module__}.{kind.__qualname__}")


_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
           functools.partial, np.random.Generator, np.random.RandomState, np.random.BitGenerator)


def state_key(value, depth: int):
    """(s15) What of an attribute value a trace may have baked in: numbers, strings and other values by value,
    arrays by identity and layout (their contents are read when the kernels run; one rebound to another array
    traces again), containers and plain objects by their items' and attributes' state (`depth` levels), and
    anything else by identity."""
    kind = type(value)
    if kind is _ndarray:
        return ("array", id(value), value.dtype, value.shape, value.strides)
    if kind in (float, int, bool, complex) or isinstance(value, np.generic):
        return expr.value_key(value) if kind is not bool else ("bool", value)
    if value is None or kind is str or kind is bytes:
        return value
    if depth > 0:
        if kind is tuple or kind is list:
            return (kind, tuple(state_key(v, depth - 1) for v in value))
        if kind is dict:
            return (dict, tuple((k, state_key(v, depth - 1)) for k, v in value.items()))
        if hasattr(value, "__dict__") and not isinstance(value, _OPAQUE):
            return (kind, id(value), tuple((k, state_key(v, depth - 1)) for k, v in vars(value).items()))
    return ("id", id(value))


def special_numpy_scalar(a) -> bool:
    """A NumPy scalar whose value graph building looks at (a power exponent it rewrites): kept by value."""
    return a.dtype.kind in "biufc" and complex(a) in POWER_SPECIAL


def static_key(value) -> tuple:
    return (type(value), expr.value_key(value))


def flatten(tree, leaves: list, objects: bool = False):
    """Containers in the arguments (or results): their structure, with the leaves appended to `leaves`. With
    `objects` (results), a dataclass instance is a container of its fields too (``dataclass_fields``)."""
    kind = type(tree)
    if kind is tuple or kind is list or (isinstance(tree, tuple) and hasattr(tree, "_fields")):
        return ("seq", kind, tuple(flatten(x, leaves, objects) for x in tree))
    if kind is dict:
        return ("dict", tuple(tree), tuple(flatten(x, leaves, objects) for x in tree.values()))
    names = dataclass_fields(tree) if objects else None
    if names:
        return ("obj", (tree, names), tuple(flatten(getattr(tree, n), leaves, objects) for n in names))
    leaves.append(tree)
    return None


def unflatten(structure, leaves):
    it = iter(leaves)

    def rebuild(s):
        if s is None:
            return next(it)
        children = [rebuild(c) for c in s[2]]
        if s[0] == "obj":
            return rebuilt(s[1], children)
        if s[0] == "dict":
            return dict(zip(s[1], children))
        return s[1](*children) if hasattr(s[1], "_fields") else s[1](children)

    try:
        return rebuild(structure)
    finally:
        # (programs #15) `rebuild` reaches itself through its closure cell: a cycle that held `leaves` (the
        # call's arrays) until the garbage collector ran (docs/fuse_programs.md, the plan's cycle).
        rebuild = None


def dataclass_fields(result) -> tuple | None:
    """(s15) The field names of a dataclass instance a fused function returns (``return Stats(m, s)``): its fields
    are results like a tuple's items (they leaked the trace's LazyArrays), or None for anything else."""
    if not dataclasses.is_dataclass(result) or isinstance(result, type):
        return None
    return tuple(f.name for f in dataclasses.fields(result))


def rebuilt(template, values: list):
    """A result dataclass for one call: a shallow copy of the traced instance with each field's value."""
    obj, names = template
    obj = copy.copy(obj)
    for name, value in zip(names, values):
        object.__setattr__(obj, name, value)  # (a frozen dataclass too)
    return obj


@functools.lru_cache(maxsize=64)
def plain_structure(n: int):
    """The structure of `n` positional arguments and no keywords (the fast path's calls)."""
    return flatten((tuple(range(n)), {}), [])
