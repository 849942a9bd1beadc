"""``lazy[key]``: NumPy's indexing, decided when the expression is built.

Basic indexing (ints, slices, ``None``, ``...``) commutes with elementwise operations, so it is pushed down to
the leaves, as ``build.transpose`` pushes a permutation: a leaf becomes a leaf over the NumPy view
``data[key]``, an operand broadcast along an axis keeps index 0 (or ``0:1``) there so it still broadcasts,
and constants stay. ``(a + b)[1:] * c[:-1]`` is then one fused kernel over three views, and nothing is copied.
A node that is not elementwise (a reduction, a NumPy stage) is computed whole and indexed by a ``getitem``
stage (a view of the computed array).

Advanced indexing (integer arrays, lists, boolean masks) has a shape known from the index values, which are
concrete NumPy arrays, so the result's shape is known at build time too; it is a NumPy stage (a gather) whose
result feeds the next kernel. An integer index that is itself lazy has a known shape too: its expression is
computed first (fused on its own), then gathered from. A lazy boolean mask would make the shape depend on
values not yet computed, and is refused.

Shapes and errors are NumPy's own: the key is first applied to an array of the same shape whose dtype has
itemsize 0 (``np.empty(shape, dtype=[])`` holds no memory), which gives NumPy's result shape or NumPy's error.
"""
from __future__ import annotations

import functools
import operator

import numpy as np

from lazyarr.api import build
from lazyarr.api import byte_order
from lazyarr.api import tracing  # (graph breaks) a LazyArray index inside @la.fuse is computed
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import ARRAY, StageParams, is_elementwise, realise

# Canonical basic keys (hashable, so they can be node parameters; slice objects are not hashable in 3.11):
# one entry per result-producing position, covering every axis of the indexed node exactly once, plus
# new axes:
#   int n               -> the axis is removed, index n (0 <= n < length)
#   (start, count, step) -> a slice selecting `count` elements from `start` ((0, 0, 1) when none; step 1 for one)
#   None                -> a new axis of length 1
NEWAXIS = None


def commutes(node: Node) -> bool:
    """An elementwise op (compiled or evaluated by NumPy): its value at an index needs its operands' values at
    that index only, so indexing, reshaping and broadcasting may be pushed below it."""
    return is_elementwise(node.op)


_NO_BYTES = np.dtype([])  # a structured dtype of itemsize 0


def shape_probe(shape: tuple) -> np.ndarray:
    """An array of `shape` that holds no memory: NumPy computes result shapes and raises its errors on it."""
    return np.empty(shape, dtype=_NO_BYTES)


def numpy_error(exc: Exception, what: str) -> Exception:
    """NumPy's error, of NumPy's type, with lazyarr's name and the operation in front."""
    return type(exc)(f"lazyarr: {what}: {exc}")


# --- parsing a user's key ----------------------------------------------------------------------------------

def _lazy_error(node: Node) -> TypeError:
    return TypeError(
        f"lazyarr: indexing an array of shape {node.shape} with a LazyArray: the result's shape (for a boolean "
        "mask, how many elements are selected) would depend on values that are not computed yet. Compute the "
        "index first (np.asarray(mask) or mask.compute()) and index with that NumPy array, or keep the shape "
        "and choose per element with la.where(mask, x, fill)")


def _entry(k, node: Node):
    """One key entry as NumPy reads it: int, slice, None, Ellipsis, or an ndarray (an advanced index)."""
    if k is None or k is Ellipsis:
        return k
    kind = type(k)
    if kind is int:
        return k
    if kind is slice:
        lazy_bounds = [b for b in (k.start, k.stop, k.step) if build.is_lazy(b)]
        # (array API #16) NumPy takes a 0-d integer array as a bound through __index__: its value, computed now
        if not all(b.ndim == 0 and b.dtype.kind in "iu" for b in lazy_bounds):
            raise _lazy_error(node)
        return slice(*(None if b is None else _index_or_raise(b) for b in (k.start, k.stop, k.step)))
    if build.is_lazy(k):
        if k.dtype == np.bool_ and tracing.can_break():  # (graph breaks) a mask's values decide the shape
            known = tracing.concrete(k, "a LazyArray index")
            if known is not None:
                return _entry(known, node)
        return lazy_index(k, node)  # surface/creation: an integer LazyArray is a gather index
    if kind is bool or isinstance(k, np.bool_):
        return _frozen(np.array(k))  # NumPy: a boolean scalar is a 0-d mask
    if isinstance(k, np.integer):
        return int(k)
    if isinstance(k, np.ndarray):
        return _frozen(k)
    if isinstance(k, (list, tuple)):
        if any(build.is_lazy(v) for v in k):
            return lazy_index(_stack_lazy(k), node)  # surface/creation
        array = np.asarray(k)
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.intp)  # NumPy reads an empty list as an empty integer index
        return _frozen(array)
    if isinstance(k, (float, complex, np.inexact, str, bytes)):
        return k  # NumPy's IndexError, raised by the probe
    try:
        return operator.index(k)
    except TypeError:
        return k  # NumPy raises its error from the probe


def _index_or_raise(b):
    """A slice bound as an int (a traced number becomes static here), or as it is for NumPy to refuse."""
    if type(b) is int:
        return b
    try:
        return operator.index(b)
    except TypeError:
        return b


def _frozen(array: np.ndarray) -> np.ndarray:
    """A private read-only copy of an index array: the user may change theirs before the expression runs."""
    copy = np.array(array, copy=True)
    copy.flags.writeable = False
    return copy


def parse(node: Node, key) -> tuple[tuple, tuple, bool]:
    """(entries, NumPy's result shape, whether NumPy gives a scalar) for ``node[key]``, or NumPy's error (with
    lazyarr's name)."""
    entries = tuple(_entry(k, node) for k in (key if type(key) is tuple else (key,)))
    try:
        result = shape_probe(node.shape)[tuple(e.probe if type(e) is LazyIndex else e for e in entries)]
    except (IndexError, TypeError, ValueError) as exc:
        raise numpy_error(exc, f"indexing an array of shape {node.shape} with {_show(key)}") from None
    if isinstance(result, np.ndarray):
        return entries, result.shape, False
    return entries, (), True  # (a np.void scalar of the probe's dtype)


def _show(key) -> str:
    text = repr(key)
    return text if len(text) <= 80 else text[:77] + "..."


def is_basic(entries: tuple) -> bool:
    return all(type(e) is int or type(e) is slice or e is None or e is Ellipsis for e in entries)


def canonical(entries: tuple, shape: tuple) -> tuple:
    """A basic key (already checked by NumPy) as a canonical tuple covering every axis of `shape`."""
    used = sum(1 for e in entries if type(e) is int or type(e) is slice)
    fill = len(shape) - used
    out, axis = [], 0
    for e in entries:
        if e is Ellipsis:
            out += [(0, shape[axis + j], 1) for j in range(fill)]
            axis += fill
            fill = 0
        elif e is None:
            out.append(NEWAXIS)
        elif type(e) is int:
            out.append(e % shape[axis])
            axis += 1
        else:
            out.append(_slice_entry(e, shape[axis]))
            axis += 1
    out += [(0, shape[axis + j], 1) for j in range(fill)]  # no Ellipsis: the remaining axes whole
    return tuple(out)


def _slice_entry(s: slice, length: int) -> tuple:
    start, stop, step = s.indices(length)
    count = len(range(start, stop, step))
    if count == 0:
        return (0, 0, 1)
    if count == 1:
        return (start, 1, 1)
    return (start, count, step)


def result_shape(key: tuple, shape: tuple) -> tuple:
    return tuple(1 if e is None else e[1] for e in key if type(e) is not int)


def is_identity(key: tuple, shape: tuple) -> bool:
    return key == whole(shape)


@functools.lru_cache(maxsize=1024)
def whole(shape: tuple) -> tuple:
    """The canonical key that selects every element of `shape`."""
    return tuple((0, d, 1) for d in shape)


# --- pushing a basic key down --------------------------------------------------------------------------------

def basic(node: Node, key: tuple, shape: tuple) -> Node:
    """``node[key]`` for a canonical basic key whose result has `shape`."""
    if is_identity(key, node.shape):
        return node
    if 0 in shape:
        return _empty_of(node, shape)
    if node.op == LEAF:  # the commonest case, without the rewriting machinery
        return expr.view_leaf(node, ("getitem", key), lambda data: data[realise(key)])
    return _push(node, key)


def empty(shape: tuple, dtype: np.dtype) -> Node:
    """An empty result: nothing to compute, whatever produced it."""
    array = np.empty(shape, dtype)
    array.flags.writeable = False
    return expr.leaf(array)


def _empty_of(node: Node, shape: tuple) -> Node:
    """An empty view or gather of `node`: in NumPy's non-native byte order where node's value has one (s16 sweepd)."""
    result = empty(shape, node.dtype)
    if byte_order.seen and byte_order.node_dtype(node) != node.dtype:
        byte_order.converted(result.data, byte_order.node_dtype(node))
    return result


def push_down(root: Node, param, operands, rebuild, budget: int | None = None):
    """Rewrite the graph under `root` top-down without recursion (graphs may be thousands of nodes deep).

    ``operands(node, param)`` gives the (operand, operand's param) pairs a node passes its param on to, or None
    when the node is rewritten on its own; ``rebuild(node, param, new operands or None)`` makes the new node.
    Each (node, param) is rewritten once, so shared subexpressions stay shared. With a `budget`, None once more
    than `budget` (node, param) pairs are met (the caller then takes another way)."""
    done: dict[tuple, Node] = {}
    pending: dict[tuple, list] = {}
    stack = [(root, param)]
    while stack:
        if budget is not None and len(done) + len(pending) > budget:
            return None
        node, p = stack[-1]
        k = (id(node), p)
        if k in done:
            stack.pop()
            continue
        children = pending.get(k)
        if children is None:
            children = operands(node, p)
            if children is None:
                done[k] = rebuild(node, p, None)
                stack.pop()
                continue
            pending[k] = children
            stack.extend(c for c in children if (id(c[0]), c[1]) not in done)
            continue
        stack.pop()
        done[k] = rebuild(node, p, [done[(id(c), cp)] for c, cp in children])
        del pending[k]
    return done[(id(root), param)]


def _push(node: Node, key: tuple) -> Node:
    def operands(n: Node, k: tuple):
        if is_identity(k, n.shape) or not commutes(n):
            return None
        return [(a, () if a.op == CONST else operand_key(k, n.shape, a.shape)) for a in n.args]

    def rebuild(n: Node, k: tuple, args):
        if args is not None:
            return expr.make(n.op, tuple(args), n.params, result_shape(k, n.shape), n.dtype)
        if is_identity(k, n.shape) or n.op == CONST:
            return n
        if n.op == LEAF:
            return expr.view_leaf(n, ("getitem", k), lambda data: data[realise(k)])
        # (s14 lazyover) build.numpy_stage's node, its params kept per canonical key
        return expr.make("numpy", (n,), _getitem_params(k), result_shape(k, n.shape), n.dtype)

    if not commutes(node):  # (s18 bgbuild) push_down's one step for it, without its machinery (``m[:, None]``)
        return rebuild(node, key, None)
    pushed = push_down(node, key, operands, rebuild, PUSH_BUDGET)
    # (s16 sweepnp) too deep to push: the node is computed whole and a getitem stage views it
    return pushed if pushed is not None else rebuild(node, key, None)


# (s16 sweepnp) How many (node, key) pairs one pushed index may rewrite. A loop that rebinds a whole array and
# reads a row or column of it (Floyd-Warshall's ``path = np.minimum(path, path[:, k:k+1] + path[k:k+1, :])``)
# pushed each step's keys through every earlier step: the graph grew by a chain per key per step (O(n^3) nodes
# for n steps) and its one kernel recomputed each row's history at every element, where NumPy computes each
# step once (n = 8: 98 s of compiling; n = 20 did not finish in two minutes). Past this many pairs the indexed
# node is computed once and viewed.
PUSH_BUDGET = 32


# (s14 lazyover) A getitem stage's params, one object per canonical key (ints, (start, count, step) triples and
# None only, so equal keys index alike): a lazy stencil pushes the same few keys down at every step of every
# call, and the params with their key tuples were ~4 objects per stage alive until the call ended (work for
# the garbage collector: docs/fuse_programs.md, "lazy mode's build and the garbage collector").
_GETITEM_PARAMS: dict[tuple, StageParams] = {}
_GETITEM_PARAMS_MAX = 4096


def _getitem_params(key: tuple) -> StageParams:
    params = _GETITEM_PARAMS.get(key)
    if params is None:
        if len(_GETITEM_PARAMS) >= _GETITEM_PARAMS_MAX:
            _GETITEM_PARAMS.clear()
        params = _GETITEM_PARAMS.setdefault(key, StageParams("getitem", (("key", key),)))
    return params


def operand_key(key: tuple, shape: tuple, operand_shape: tuple) -> tuple:
    """The key an operand of a node of `shape` gets when the node is indexed by `key` (the result not empty).

    Broadcasting aligns the operand to the right. Its missing leading axes take no index: their entries (and
    any new axes before them) are dropped, so the operand's result is right-aligned with the node's. An axis
    where the operand has length 1 but the node does not is broadcast: it keeps index 0 (an int removes it as
    from the node; a slice keeps it as length 1, which still broadcasts)."""
    pad = len(shape) - len(operand_shape)
    out, axis = [], 0
    for e in key:
        if e is None:
            out.append(e)
            continue
        if axis < pad:
            out.clear()  # this axis, and new axes before it, are not the operand's
        elif operand_shape[axis - pad] == 1 and shape[axis] != 1:
            out.append(0 if type(e) is int else (0, 1, 1))
        else:
            out.append(e)
        axis += 1
    return tuple(out)


# --- advanced indexing: a NumPy stage -------------------------------------------------------------------------

def key_operands(entries: tuple) -> tuple[list, tuple]:
    """(index array nodes, key template) of an advanced key: each index array (a NumPy array, or a lazy integer
    index computed before the stage) becomes an operand of the stage, named in the template by its position.
    Gathers (``advanced_index``) and writes (``advanced_setitem``, ``ufunc_at``) share it."""
    arrays, template = [], []
    for e in entries:
        if isinstance(e, np.ndarray):
            template.append((ARRAY, len(arrays)))
            arrays.append(expr.leaf(e))
        elif type(e) is LazyIndex:  # surface/creation: the index expression is computed before the stage
            template.append((ARRAY, len(arrays)))
            arrays.append(e.node)
        elif type(e) is slice:
            template.append(("slice", e.start, e.stop, e.step))
        else:
            template.append(e)  # int, None, Ellipsis
    return arrays, tuple(template)


def advanced(node: Node, entries: tuple, shape: tuple) -> Node:
    """``node[entries]`` with index arrays among the entries: a gather NumPy evaluates. The index arrays are
    leaves of the stage, so node parameters stay small and hashable and hold no data."""
    if 0 in shape:
        return _empty_of(node, shape)
    arrays, template = key_operands(entries)
    from lazyarr.api.build import numpy_stage
    name = "gather" if _fusable_gather(node, arrays, template) else "advanced_index"  # surface/gathers
    return numpy_stage(name, (node, *arrays), (("key", template),),
                       shape, node.dtype)


# --- surface/gathers: which gathers a kernel computes in its loop (compiler/schedule.is_kernel_gather) ------------

def _fusable_gather(node: Node, arrays: list, template: tuple) -> bool:
    """One integer index array per axis (int8..int64, uint8..uint32: uint64 does not fit an index), a real
    source that is not float16. Inside @la.fuse too (#15): a scatter into the gathered array once failed there
    because the fuse program released a slot its next op still read (tracer/program.Builder.add, fixed)."""
    return (node.ndim >= 1 and len(template) == node.ndim == len(arrays)
            and all(type(e) is tuple and e[0] == ARRAY for e in template)
            and node.dtype.kind in "biuf" and node.dtype.char != "e"
            and all(a.dtype.kind == "i" or (a.dtype.kind == "u" and a.dtype.itemsize <= 4) for a in arrays))
# --- end surface/gathers ----------------------------------------------------------------------------------------


# --- surface/creation: lazy integer index arrays ------------------------------------------------------------
# A LazyArray of integers as an index: the result's shape follows from the index's shape alone, so it is known
# now. NumPy's shape rules and errors come from a probe (zeros of that shape, no memory); the values are
# checked when the gather runs: NumPy wraps negative indices and raises its IndexError for the others.

class LazyIndex:
    """An integer index array that is an expression: its node, and a zero-stride probe of its shape."""
    __slots__ = ("node", "probe")

    def __init__(self, node: Node):
        self.node = node
        self.probe = np.broadcast_to(np.intp(0), node.shape)


def lazy_index(k, node: Node) -> LazyIndex:
    index = build.to_node(k)
    if index.dtype.kind == "b":
        raise _lazy_error(node)
    if index.dtype.kind not in "iu":
        raise IndexError(f"lazyarr: indexing an array of shape {node.shape}: arrays used as indices must be of "
                         f"integer (or boolean) type, got a LazyArray of {index.dtype}")
    return LazyIndex(index)


def _stack_lazy(items):
    """A list holding LazyArrays as one index array (np.stack of its items, as np.asarray would make it)."""
    from lazyarr.api.stages import stack
    return stack([np.asarray(v) if type(v) in (int, bool) else v for v in items])
# --- end surface/creation ----------------------------------------------------------------------------------


# --- the entry point -----------------------------------------------------------------------------------------

def index(node: Node, key) -> tuple[Node, bool]:
    """The node for ``node[key]`` (NumPy's shape and errors, raised now), and whether NumPy's result is a 0-d
    array rather than a scalar (``x[..., 0]`` of a 1-d ``x`` is an array, ``x[0]`` a scalar)."""
    known = plain_key(node, key)  # (s15 build) ints and slices of ints: parsed once per (shape, key)
    if known is not None:
        canon, shape, array0 = known
        return basic(node, canon, shape), array0
    # surface/search: the result's shape depends on the mask's values (inside @la.fuse: a graph break, below)
    if _lazy_mask(key) and not tracing.can_break():
        return masked(node, key), False
    entries, shape, scalar = parse(node, key)
    if is_basic(entries):
        result = basic(node, canonical(entries, node.shape), shape)
    else:
        result = advanced(node, entries, shape)
    return result, not scalar and not shape


# --- (s15 build) a key of Python ints and slices with int/None bounds, parsed once per (shape, key) -------------
# ``u[1:-1]``, ``u[:-2] + u[2:]``: a stencil's every read parsed its key (the entries, NumPy's probe, the canonical
# key), ~5 us of a 7 us read. What parsing gives for such a key (the canonical key, NumPy's result shape,
# whether the result is a 0-d array) depends only on the bounds and the indexed shape, so it is kept by them;
# a key that NumPy refuses is refused every time (``parse`` raises before anything is kept). Slices are not
# hashable before Python 3.12, so a slice is kept as its (start, stop, step).
_PLAIN_KEYS: dict[tuple, tuple] = {}
_PLAIN_KEYS_MAX = 4096


def plain_key(node: Node, key):
    """(canonical key, result shape, 0-d array?) of ``node[key]`` for a key of ints, int-bounded slices, None and
    Ellipsis (s18 bgbuild: ``m[:, None]``, 20-25 us through parse after priming), else None (every other key
    parses as before)."""
    entries = key if type(key) is tuple else (key,)
    known = _new_axes(entries, node.shape)
    if known is not None:
        return known
    parts = []
    for e in entries:
        kind = type(e)
        if kind is int or e is None or e is Ellipsis:  # (s18 bgbuild) None and ... too: ``x[0, None]``
            parts.append(e)
        elif kind is slice:
            start, stop, step = e.start, e.stop, e.step
            if not ((start is None or type(start) is int) and (stop is None or type(stop) is int)
                    and (step is None or type(step) is int)):
                return None
            parts.append((start, stop, step))
        else:
            return None
    memo = (node.shape, *parts)
    known = _PLAIN_KEYS.get(memo)
    if known is None:
        parsed, shape, scalar = parse(node, key)  # (NumPy's error, raised every time: nothing kept)
        if not is_basic(parsed):
            return None  # (an entry parse reads otherwise: index() parses it again, as before)
        known = (canonical(parsed, node.shape), shape, not scalar and not shape)
        if len(_PLAIN_KEYS) >= _PLAIN_KEYS_MAX:
            _PLAIN_KEYS.clear()
        _PLAIN_KEYS[memo] = known
    return known
# (s18 bgbuild) ``m[:, None]``, ``x[:400]``, ``x[..., None]``: slices with int bounds, new axes and one Ellipsis.
# Such a key never makes NumPy raise but for a zero step or too many indices, and what parse and canonical give for
# it follows from the indexed shape alone: decided without NumPy's probe (a first expression's ``m[:, None]`` or
# ``x[:400]`` at a shape not kept yet: ~15-20 us less); tests/test_build_fast_paths.py compares it with parse.
def _new_axes(entries: tuple, shape: tuple):
    """(canonical key, result shape, 0-d array?) for a key of int-bounded slices, None and at most one Ellipsis
    that NumPy accepts for `shape`, else None."""
    sliced = 0
    ellipsis = False
    for e in entries:
        if e is Ellipsis:
            if ellipsis:
                return None
            ellipsis = True
        elif e is not None:
            if type(e) is not slice:
                return None
            start, stop, step = e.start, e.stop, e.step
            if not ((start is None or type(start) is int) and (stop is None or type(stop) is int)
                    and (step is None or (type(step) is int and step != 0))):
                return None  # (a zero step: NumPy's ValueError, from parse)
            sliced += 1
    fill = len(shape) - sliced
    if fill < 0:
        return None  # too many indices: NumPy's IndexError, from parse
    canon, out, axis = [], [], 0
    for e in entries:
        if e is None:
            canon.append(NEWAXIS)
            out.append(1)
        elif e is Ellipsis:
            for d in shape[axis:axis + fill]:
                canon.append((0, d, 1))
                out.append(d)
            axis += fill
            fill = 0
        else:
            entry = _slice_entry(e, shape[axis])
            canon.append(entry)
            out.append(entry[1])
            axis += 1
    for d in shape[axis:axis + fill]:  # no Ellipsis: the remaining axes whole
        canon.append((0, d, 1))
        out.append(d)
    return tuple(canon), tuple(out), not out and ellipsis  # (x[()] of a 0-d array: NumPy's scalar; x[...]: an array)
# --- end s15 build ---


# --- surface/search: x[mask] with a lazy boolean mask, computed at that point -----------------------------------

def _lazy_mask(key) -> bool:
    """A LazyArray of booleans in the key: how many elements are selected depends on its values."""
    return any(build.is_lazy(k) and k.dtype == np.bool_ for k in (key if type(key) is tuple else (key,)))


def masked(node: Node, key) -> Node:
    """``x[mask]``: x and the key's LazyArrays computed together in one pass, NumPy indexes the values, and the
    result re-enters as a new leaf whose explain() names the step."""
    from lazyarr.api import tracing
    from lazyarr.runtime import evaluate
    parts = key if type(key) is tuple else (key,)
    lazy = [k for k in parts if build.is_lazy(k)]
    for k in lazy:
        tracing.refuse_concrete(k, "indexing with a boolean LazyArray (the result's shape depends on its values)")
    value, *computed = evaluate.evaluate([node] + [build.to_node(k) for k in lazy])
    return masked_values(node, key, value, computed)


def masked_values(node: Node, key, value: np.ndarray, computed: list) -> Node:
    """``masked``'s result from the values of `node` and of the key's LazyArrays (in order), computed by the
    caller (programs #15: api/array.py computes them through api/realise.py)."""
    from lazyarr.runtime import explain
    parts = key if type(key) is tuple else (key,)
    computed = iter(computed)
    numpy_key = tuple(next(computed) if build.is_lazy(k) else k for k in parts)
    try:
        result = np.asarray(value[numpy_key if type(key) is tuple else numpy_key[0]])
    except IndexError as exc:
        raise numpy_error(exc, f"indexing an array of shape {node.shape} with a boolean LazyArray") from None
    result = build.array_leaf(result)
    explain.note(result, "computed here: the shape of x[mask] depends on the mask's values")
    return result
# --- end surface/search -----------------------------------------------------------------------------------------
