"""``x[m]`` with a lazy boolean mask of x's shape, deferred: a *selection* whose gather is built only when needed.

How many elements ``x[m]`` holds depends on the mask's values, so the gather needs the mask computed: a graph
break inside ``@la.fuse``, a compute in a lazy program. In a NumPy program the selection is often only carried
to an update by the same mask (mandelbrot's ``z[active] = z[active] ** 2 + c[active]`` with ``active`` itself
computed in the loop), where the gather is not needed at all: the update is ``where(m, f(z, c), z)``
(``api/masked_update.py`` does that rewrite for a mask already computed).

So ``x[m]`` (m a bool LazyArray of x's full shape) gives a ``Selection``: x's node and m's node, read now (later
writes to x or m rebind those LazyArrays and leave the selection as NumPy's copy would be). It stays deferred
through:

- elementwise ufuncs and operators whose array operands are deferred selections by the *same* mask node, with
  scalars and 0-d values: the work is recorded on the full-shape arrays (``f(x, y)``, a selection by m again).
  Only float, complex and bool work, and integer work that never raises or warns (add, multiply, bitwise,
  compare: ``_SAFE_INTEGER_OPS``) (masked_update's rule: the work also runs at positions m leaves out and is
  discarded there, so it must not raise per element; integer division and power errors are NumPy's per
  element, so that integer work gathers first);
- in-place operators on it with such operands (``x[m] *= -2`` is ``s = x[m]; s *= -2; x[m] = s``): the
  selection is rebound to the work, cast back to its dtype as NumPy's ``out=`` would (#15 s14);
- ``t[m] = selection`` (same mask node, t of m's shape): ``where(m, f(x, y), t)``, one fused kernel, with
  NumPy's assignment cast (integer targets only from bool or integer values: a float value at a position m
  leaves out may be NaN or out of the integer range).

Anything else (its shape, ``len``, a reduction, printing, indexing it, another mask, integer work) reads the
selection's node, which builds the gather exactly as ``x[m]`` did before (``LazyArray._index``): NumPy's
answer always, and a selection that turns out to need the gather costs what it did.

Like every lazy expression, a selection reads the NumPy arrays under x and m when it is computed, not when
``x[m]`` ran (``lazyarr.array`` reads by reference).
"""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from lazyarr.api import build, dispatch, errstate, tracing
from lazyarr.api import byte_order
from lazyarr.api.array import LazyArray
from lazyarr.api.bytes_equal import same_bytes  # (lazyover #15)
from lazyarr.graph import expr
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import BINARY_OPERATORS, UNARY_OPERATORS, is_elementwise

_SAFE_KINDS = "fcb"  # float, complex, bool: elementwise work that never raises per element (masked_update)
_SCALARS = (bool, int, float, complex, np.generic)


class Selection(LazyArray):
    """``source[mask]`` not gathered yet: `source` and `mask` are nodes of the same shape (api docstring)."""

    __slots__ = ("_source", "_mask", "_numpy_mask")

    def __init__(self, source: Node, mask: Node, numpy_mask: np.ndarray | None = None):
        self._source, self._mask = source, mask
        self._numpy_mask = numpy_mask  # (programs #15) the NumPy mask's private copy, which `mask` is a leaf of
        self._array0 = False

    @property
    def _node(self) -> Node:
        """The gather, built the first time something needs it (then the selection is an ordinary array)."""
        if self._source is not None:
            kept = byte_order.node_dtype(self._source) if byte_order.seen else None  # (s16 sweepd) x's order
            key = self._numpy_mask if self._numpy_mask is not None else LazyArray(self._mask)
            gathered = LazyArray(self._source)._index(key)  # (a NumPy mask: NumPy's lazy gather stage)
            self._node = gathered._node
            if kept is not None and byte_order.is_non_native(kept):  # (a lazy mask: values gathered at the call)
                byte_order.marked(self, kept)
        return _GATHERED.__get__(self)

    @_node.setter
    def _node(self, node: Node) -> None:
        # A write into the selection (``s += 1``, ``s[0] = 2``) rebinds it as any LazyArray: no longer deferred.
        self._source = self._mask = None
        _GATHERED.__set__(self, node)

    @property
    def dtype(self) -> np.dtype:
        if byte_order.seen:  # (s16 sweepd) NumPy's byte order: the source's, which a gather keeps
            return byte_order.node_dtype(self._source) if self._source is not None else byte_order.dtype_of(self)
        return self._source.dtype if self._source is not None else self._node.dtype

    @property
    def ndim(self) -> int:
        return 1 if self._source is not None else self._node.ndim

    def __repr__(self) -> str:
        if self._source is None:
            return super().__repr__()
        return f"lazyarr.LazyArray(x[mask] of x of shape {self._source.shape}, dtype={self.dtype}, deferred)"

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs and not _visible_errstate():
            deferred = _combine(ufunc, inputs)
            if deferred is not None:
                return deferred
        return super().__array_ufunc__(ufunc, method, *inputs, **kwargs)

    def where_into(self, target: Node, mask) -> Node | None:
        """``target[mask] = self`` as ``where(mask, f(...), target)``, or None (the gather and scatter serve).
        `mask`: a node, or a NumPy mask (the same leaf when it is the array this selection was made with,
        unchanged since)."""
        if isinstance(mask, np.ndarray):
            mask = _known_mask_leaf(mask) if self._numpy_mask is not None else None
        if self._source is None or mask is not self._mask or target.shape != mask.shape:
            return None
        value = self._source
        if value.dtype != target.dtype:
            if value.dtype.kind in "fc" and target.dtype.kind in "iu":
                return None
            if value.dtype.kind == "c" and target.dtype.kind != "c":
                warnings.warn("Casting complex values to real discards the imaginary part",
                              np.exceptions.ComplexWarning, stacklevel=4)
            value = build.cast(value, target.dtype, "item assignment")
        return build.where(mask, value, target)


_GATHERED = LazyArray._node  # the slot LazyArray keeps its node in: a Selection's gathered node lives there


def select(array: LazyArray, mask) -> Selection | None:
    """``array[mask]`` deferred, for a bool mask (a LazyArray, or a NumPy array outside a trace) of array's
    full shape; None: index as before."""
    if type(array) is not LazyArray or mask.shape != array.shape or not mask.shape:
        return None
    if isinstance(mask, np.ndarray):
        if type(mask) is not np.ndarray or tracing.tracing_threads:
            return None
        leaf = _mask_leaf(mask)
        return Selection(array._node, leaf, leaf.data)
    return Selection(array._node, mask._node)


# --- (programs #15) NumPy masks: mandelbrot's lazy mode wraps only ``c``, so ``active`` is a NumPy array --------
# ``z[active] = z[active] ** 2 + c[active]`` reads `active` on that line (NumPy's indexing is eager): each
# selection holds a private copy. The selections of one statement must share one mask node (``_combine``
# compares nodes by identity), so the last mask copied is remembered with its leaf, and handed out again for the
# same array while its values are unchanged (one comparison; before this, every gather copied the mask and
# api/masked_update.py compared the copies). Held weakly: the user's array is not kept alive by it.
_last_mask: list = [None, None]  # [weak reference to the user's mask, the leaf of its private copy]


def _mask_leaf(mask: np.ndarray) -> Node:
    """A leaf of a private copy of `mask`'s values now: the last one made, if it was made for this array and
    its values have not changed since."""
    leaf = _known_mask_leaf(mask)
    if leaf is None:
        copy = mask.copy()
        copy.flags.writeable = False
        leaf = expr.leaf(copy)
        _last_mask[:] = [weakref.ref(mask), leaf]
    return leaf


def _known_mask_leaf(mask: np.ndarray) -> Node | None:
    ref, leaf = _last_mask
    if ref is None or ref() is not mask or leaf.shape != mask.shape or not same_bytes(leaf.data, mask):
        return None
    return leaf


def _combine(func, operands: tuple) -> Selection | None:
    """``func(*operands)`` as a selection by the operands' common mask: the work recorded on the full-shape
    arrays, when every array operand is a deferred selection by the same mask node, the others scalars or 0-d,
    and the work float/complex/bool elementwise; None otherwise (the caller gathers)."""
    mask, stops = None, set()
    for x in operands:
        if isinstance(x, Selection) and x._source is not None:
            if mask is not None and x._mask is not mask:
                return None
            mask = x._mask
            stops.add(id(x._source))
        elif isinstance(x, Selection) or not _is_0d(x):
            return None
    if mask is None:
        return None
    full = [LazyArray(x._source) if isinstance(x, Selection) else x for x in operands]
    result = func(*full)
    if type(result) is not LazyArray or result.shape != mask.shape:
        return None
    if not _safe_work(result._node, stops):
        return None
    numpy_mask = next(x._numpy_mask for x in operands if isinstance(x, Selection))
    return Selection(result._node, mask, numpy_mask)


def _is_0d(x) -> bool:
    """A scalar or 0-d operand (a traced number too): it broadcasts to the full shape as to the selection."""
    if isinstance(x, _SCALARS):
        return True
    if isinstance(x, np.ndarray):
        return x.ndim == 0
    node = getattr(x, "_node", None)  # a LazyArray, or a traced number (tracer/scalars.py)
    return isinstance(node, Node) and not node.shape


def _safe_work(root: Node, stops: set) -> bool:
    """Whether every node between `root` and the stops (the selections' sources) is float/complex/bool
    elementwise work on float/complex/bool operands: nothing that raises per element. 0-d nodes (scalar
    operands, constants) are computed once, not per element, as NumPy computes them."""
    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if id(node) in stops or id(node) in seen or not node.shape:
            continue
        seen.add(id(node))
        if not (is_elementwise(node.op) and node.dtype.kind in _SAFE_KINDS
                and all(a.dtype.kind in _SAFE_KINDS for a in node.args)) and not _safe_integer_work(node):
            return False
        stack.extend(node.args)
    return True


# (#15 s14) integer ufuncs that never raise or warn per element (overflow wraps silently, as NumPy's array loops
# do): the work may run at the lanes the mask leaves out. Division, remainder and power stay out (a zero divisor or
# a negative exponent at such a lane would raise or warn where NumPy does not).
_SAFE_INTEGER_OPS = frozenset({
    "add", "subtract", "multiply", "negative", "positive", "absolute", "square", "maximum", "minimum",
    "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not"})


def _safe_integer_work(node: Node) -> bool:
    return (node.op in _SAFE_INTEGER_OPS and node.dtype.kind in "iub"
            and all(a.dtype.kind in "iub" for a in node.args))


def _visible_errstate() -> bool:
    """(s16 lazyerr) Under a visible np.errstate a selection's work is not deferred: LazyArray's operators run
    it as NumPy on the gathered lanes only (api/errstate.py), so only the selected lanes can raise."""
    return errstate.state() is not errstate.QUIET and errstate.asks()


def _operator(name: str):
    """Selection's ``__<name>__``: deferred where `_combine` can, else LazyArray's operator on the gather."""
    general = getattr(LazyArray, name)

    def method(self, *other):
        deferred = _combine(general, (self, *other)) if not _visible_errstate() else None
        return deferred if deferred is not None else general(self, *other)

    method.__name__ = name
    return method


for _py in BINARY_OPERATORS:
    setattr(Selection, f"__{_py}__", _operator(f"__{_py}__"))
    if _py not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Selection, f"__r{_py}__", _operator(f"__r{_py}__"))
for _py in UNARY_OPERATORS:
    setattr(Selection, f"__{_py}__", _operator(f"__{_py}__"))


def _inplace_operator(name: str):
    """Selection's ``__i<name>__``: ``x[m] op= v`` is ``s = x[m]; s op= v; x[m] = s`` in Python, so an in-place
    operator on a deferred selection records the work on the full arrays (by the same mask, as ``_combine``
    does) and rebinds this selection to it, cast back to its dtype under NumPy's 'same_kind' rule, so that the
    write back is ``where(m, x op v, x)``: no gather, no scatter, fused with its neighbours. The selection object
    itself is updated, so an alias (``t = s; s *= 2``) sees the write, as it would see NumPy's. Anything
    `_combine` refuses, or a result NumPy would not cast back, takes LazyArray's operator on the gather (NumPy's
    answer or NumPy's error)."""
    general = getattr(LazyArray, f"__i{name}__")
    plain = getattr(LazyArray, f"__{name}__")

    def method(self, other):
        if self._source is not None and not _visible_errstate():
            deferred = _combine(plain, (self, other))
            if deferred is not None and np.can_cast(deferred.dtype, self.dtype, "same_kind"):
                value = deferred._source
                self._source = value if value.dtype == self.dtype else build.cast(value, self.dtype, f"{name}=")
                return self
        return general(self, other)

    method.__name__ = f"__i{name}__"
    return method


for _py in BINARY_OPERATORS:  # (#15 s14) `x[x < 0] *= -2`
    if hasattr(LazyArray, f"__i{_py}__") and _py != "matmul":
        setattr(Selection, f"__i{_py}__", _inplace_operator(_py))

dispatch.register("lanes", select)
