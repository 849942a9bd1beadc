"""(s18 bgbuild) A reduction's nodes rebuilt from a record: ``x.std(axis=1, keepdims=True)`` without its decisions.

``np.mean``/``var``/``std`` are composed of several nodes (a sum, keepdims' reshape, a division by the count, the
squared deviations, ...), each built through build's checks: 10-35 us per call after priming, the slowest
operations of a small first expression (docs/runtime.md, ninth round). Which nodes they are depends on the
reduction, the operand's dtype and rank and the arguments (axis, ddof, keepdims; ``dtype=None``), and on the
operand's shape only through three shapes (the operand's, the reduced one, the reduced one with its axes kept)
and two numbers (the count of reduced elements, and that count less ddof), with one exception:
``(A * h(A @ v)[:, None]).sum(0)`` becomes a gemv pair (``api/gemv_pair.column_pair``), asked again at every
replay of a record with a sum over axis 0.

So a call (a key's second; its first while priming) records the general path's result as steps over the operand (each: an op, its params, which of the three
shapes it has, its dtype, which earlier values are its arguments) and its constants as which of the two numbers
they hold, in which dtype; later calls with the same key, at any non-empty shape, replay the steps through
``expr.make`` and the constants through build's own ``typed_scalar``: hash-consing makes them the very nodes the
general path makes. Keyed by rank, not shape, a record made by ``prime()`` at import serves the first user
expression. A result that reaches any leaf other than the operand (a fill, a gemv pair's transposed leaf), or
whose shapes or constants are ambiguous (a reduced axis of length 1, a constant that is neither number), is not
recorded. Nothing is recorded or replayed where the general path warns (an empty slice, ddof >= the count):
those calls take the general path every time. tests/test_reduction_records.py compares both paths.
"""
from __future__ import annotations

from lazyarr.api import build
from lazyarr.api import gemv_pair
from lazyarr.api import reductions
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, Node
from lazyarr.graph.ops import StageParams

_RECORDS: dict[tuple, tuple] = {}
_RECORDS_MAX = 1024
_MAX_STEPS = 32  # a reduction's graph is a few nodes: anything bigger is not what this is for
_FULL, _KEPT, _KEEPDIMS = 0, 1, 2  # a step's shape: the operand's, reduced, reduced with its axes kept
_COUNT, _DOF = 0, 1  # a constant's value: the count of reduced elements, that count less ddof


def key_of(name: str, a, axis, ddof, keepdims):
    """The record's key for ``np.<name>(a, axis, ddof=ddof, keepdims=keepdims)`` with dtype=None and no out, or
    None where the call must take the general path (an operand that is not a LazyArray of an array, an axis
    NumPy might refuse or take by value)."""
    if type(a) not in build.lazy_types() or type(ddof) is not int or type(keepdims) is not bool:
        return None
    node = a._node
    ndim = len(node.shape)
    if not ndim or node.op == CONST or not reductions.plain_axis(axis):
        return None
    if type(axis) is int and -ndim <= axis < 0:
        axis += ndim  # (one record for ``axis=-1`` and ``axis=1`` of a 2-D operand; out of range: the general path's error)
    return name, node.dtype, ndim, axis, ddof, keepdims


def replayed(key: tuple, a) -> Node | None:
    """The node the general path gives for `key` over `a`'s node, from its record; None if there is none."""
    record = _RECORDS.get(key)
    if record is None:
        return None
    axes, consts, steps, last = record
    operand = a._node
    shape = operand.shape
    count = 1
    for i in axes:
        count *= shape[i]
    ddof = key[4]
    if not count or count <= ddof or 0 in shape:
        return None  # the general path warns (statistics.warn_empty) or reduces nothing
    shapes = (shape, tuple([d for i, d in enumerate(shape) if i not in axes]),
              tuple([1 if i in axes else d for i, d in enumerate(shape)]))
    values = [operand]
    for which, dtype in consts:
        const = build.typed_scalar(count if which == _COUNT else count - ddof, dtype)
        if const is None:
            return None
        values.append(const)
    make = expr.make
    for op, params, which, dtype, refs, pair in steps:
        args = tuple([values[i] for i in refs])
        if pair and gemv_pair.column_pair(args[0]) is not None:
            return None  # the general path makes a gemv pair of it (api/reductions.reduce)
        step_shape = shapes[which]
        if params is None:  # keepdims' reshape stage: its target shape is its own
            params = StageParams("reshape", (("shape", step_shape),))
        values.append(make(op, args, params, step_shape, dtype))
    return values[last]


# Keys met once without a record. Recording costs a first call ~20 us (cold), more than a key met once gains, so a
# key is recorded at its second general-path call; ``eager()`` (priming at import) records at the first.
_MET: set = set()
_MET_MAX = 4096
_eager = [False]


class eager:
    """Context manager: record at a key's first call (``api/prime.py``, whose reductions run once)."""
    __slots__ = ("before",)

    def __enter__(self):
        self.before, _eager[0] = _eager[0], True

    def __exit__(self, *exc):
        _eager[0] = self.before


def remember(key: tuple, a, result: Node) -> None:
    """Record the general path's `result` for `key` (over `a`'s node) at the key's second call (its first under
    ``eager``), unless that call warned or `result` depends on more than the operand, its shapes and its counts."""
    if not _eager[0] and key not in _MET:
        if len(_MET) >= _MET_MAX:
            _MET.clear()
        _MET.add(key)
        return
    operand = a._node
    axes = reductions.normalize_axes(key[3], key[2])
    count = reductions.count(operand, axes)
    if not axes or not operand.size or count <= key[4] or any(operand.shape[i] == 1 for i in axes):
        return  # warned (statistics.warn_empty), reduced nothing, or a kept shape equal to the operand's
    record = _record(operand, result, axes, count, key[4])
    if record is None:
        return
    if len(_RECORDS) >= _RECORDS_MAX:
        _RECORDS.clear()
    _RECORDS[key] = record


def _record(operand: Node, result: Node, axes: tuple, count: int, ddof: int):
    """(axes, constants, steps, index of the result) of `result`'s graph down to `operand`, or None."""
    order: list[Node] = []
    consts: list[Node] = []
    seen: set[int] = {id(operand)}
    stack = [(result, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.op == CONST:
            consts.append(node)
            continue
        if not node.args or len(seen) > _MAX_STEPS:
            return None  # a leaf the general path made (or reached below the operand): not the operand's alone
        stack.append((node, True))
        stack.extend((a, False) for a in node.args)
    shape = operand.shape
    shapes = (shape, tuple(d for i, d in enumerate(shape) if i not in axes),
              tuple(1 if i in axes else d for i, d in enumerate(shape)))
    index = {id(operand): 0}
    const_kinds = []
    for node in consts:
        value = node.data
        if node.weak or value != count - ddof and value != count:
            return None
        index[id(node)] = len(index)
        const_kinds.append((_DOF if value == count - ddof else _COUNT, node.dtype))
        if build.typed_scalar(count if const_kinds[-1][0] == _COUNT else count - ddof, node.dtype) is not node:
            return None  # not build's typed constant of that number
    steps = []
    for node in order:
        index[id(node)] = len(index)
        if node.shape not in shapes:
            return None
        params = node.params
        if node.op == "numpy" and params == StageParams("reshape", (("shape", node.shape),)):
            params = None
        pair = node.op == "reduce" and params.name == "sum" and params.axes == (0,)
        steps.append((node.op, params, shapes.index(node.shape), node.dtype, tuple(index[id(a)] for a in node.args),
                      pair))
    return axes, tuple(const_kinds), tuple(steps), index[id(result)]


def clear() -> None:
    """Forget every record and every key met (tests)."""
    _RECORDS.clear()
    _MET.clear()
