"""Values computed for Python are kept: the user's LazyArrays they passed through become leaves of them.

Outside ``@la.fuse``, a lazy program that asks for values inside a loop (``np.asarray(mask)`` when NumPy indexes
with a LazyArray, ``x[lazy_mask]``, ``compute()``, ``out=`` into an ndarray) computed the whole history of every
LazyArray involved at every ask: mandelbrot's ``z[active] = z[active] ** 2 + c[active]`` made ``z``'s graph one
step longer per iteration, and each iteration evaluated all the earlier ones again (quadratic in the
iterations). NumPy computes each value once, when its line runs.

So when a value is asked, the live LazyArrays that hold writes (``x[m] = v``, ``x += y`` since they were last
computed: ``assign.WRITTEN``) and whose node is part of the graph being computed are computed in the same pass
and rebound to leaves of their values, as a long chain of writes already is (``assign._maybe_realise``) and
as a graph break does inside ``@la.fuse`` (``tracer/segments.py``). Later graphs read those leaves instead of
the history. What this costs: a written intermediate the asked value fused through becomes one more output of
its kernel (one store); what it changes:
such a LazyArray no longer reads its NumPy inputs again if the user writes into them after this point (it holds
the value NumPy's array would hold from its line on). Expressions without writes are never rebound: they keep
reading their inputs by reference, as ``lazyarr.array`` promises; nor are LazyArrays that view another
(``y = x[1:]``: their value follows their base's) (docs/fuse_programs.md, "The overhead-bound programs").
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from lazyarr.api import assign, tracing
from lazyarr.api.bytes_equal import same_bytes  # (lazyover #15)
from lazyarr.api import owned  # (s12 lazymandel) the ownership rule
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import GENERATORS
from lazyarr.runtime import evaluate as runtime
from lazyarr.runtime import scratch  # (a copy handed out comes from the pool)


def evaluate(roots: list[Node], out: np.ndarray | None = None, handed_out: bool = True) -> list[np.ndarray]:
    """``runtime.evaluate(roots, out)``, rebinding the asking frame's LazyArrays computed on the way.

    `handed_out`: the values go to the user (who may write into them), so none may share memory with a
    leaf made here; False when lazyarr only reads them (a mask's values for a gather)."""
    if tracing.tracing_threads:
        return runtime.evaluate(roots, out, rewritten=True)
    live = _computed_on_the_way(roots)
    if not live:
        rewritten = stand_ins(roots)
        results = runtime.evaluate(rewritten, out, rewritten=True)
        _remember(roots, results, rewritten)  # (mandelbrot #15) an asked value kept while its inputs are unchanged
        return [_own_copy(r) for r in results] if handed_out and _KNOWN else results
    index = {id(n): i for i, n in enumerate(roots)}
    nodes = list(roots)
    for a in live:
        if id(a._node) not in index:
            index[id(a._node)] = len(nodes)
            nodes.append(a._node)
    rewritten = stand_ins(nodes)  # (one rewrite: the live nodes stay those of the roots)
    into = owned.buffers_to_write(live, index, rewritten, _REALISED, _stood_for) if out is None else None  # (s12)
    values = runtime.evaluate(rewritten, out, into=into, rewritten=True)
    kept = []
    for a in live:
        value = values[index[id(a._node)]]
        if value is out:  # the caller's buffer is theirs to change: the leaf holds its own copy
            value = value.copy()
        history = a._node
        overwritten = bool(into) and value is into.get(index[id(history)], (None, None))[1]
        if overwritten:
            owned.new_leaf(value)  # (s12) the old leaf now holds the new value: a leaf of its own for it
        assign.realised(a, value)
        _stands_for(history, a._node, value, overwritten)
        kept.append(value)
    results = values[:len(roots)]
    if handed_out:
        results = [_copy(r) if r is not out and _overlaps(r, kept) else _own_copy(r) for r in results]
    _remember(roots, results)  # (mandelbrot #15) now that the histories stand for leaves
    return results


def evaluate_one(root: Node, out: np.ndarray | None = None) -> np.ndarray:
    return evaluate([root], out)[0]


def _computed_on_the_way(roots: list[Node]) -> list:
    """The live LazyArrays holding writes (``assign.WRITTEN``) whose node the graph of `roots` computes."""
    if not assign.WRITTEN or all(r.op in (LEAF, CONST) for r in roots):
        return []
    arrays = [ref() for ref in list(assign.WRITTEN.values())]
    written = [a for a in arrays if a is not None and a._node.op != LEAF and _written(a)]
    if not written:
        return []
    in_graph = _reached(roots, {id(a._node) for a in written})
    return [a for a in written if id(a._node) in in_graph]


def _reached(roots: list[Node], wanted: set[int]) -> set[int]:
    """The ids in `wanted` of nodes in the graph of `roots`. (lazyover #15) Every ask of a lazy loop with
    written arrays makes this walk: ids only (no ordered node list as ``expr.walk``), and it stops once all
    are found."""
    found: set[int] = set()
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        key = id(node)
        if key in seen:
            continue
        seen.add(key)
        if key in wanted:
            found.add(key)
            if len(found) == len(wanted):
                break
        stack.extend(node.args)
    return found


def _written(array) -> bool:
    """Whether `array` still holds writes not yet computed and views no other LazyArray (its link)."""
    link = getattr(array, "_link", None)
    return link is not None and link.base is None and link.writes > 0


def _copy(value: np.ndarray) -> np.ndarray:
    """A copy of `value` for the user, in a buffer a dead value left in the scratch pool where there is one: a
    lazy loop asked for its written arrays (``la.compute(A, B)`` of a stencil's) copies them at every ask, and
    fresh pages for each copy cost more than the copy (jacobi_1d, docs/assign.md)."""
    order = "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else None
    if order is None:
        return value.copy()
    copy = scratch.empty(value.shape, value.dtype, order)
    np.copyto(copy, value)
    return copy


def _overlaps(value: np.ndarray, kept: list) -> bool:
    return any(np.may_share_memory(value, k) for k in kept)


# --- The history a realised array left behind -----------------------------------------------------------------
# ``e = z + 1.0`` built on a written z before an ask that realises z still holds z's old node, so asking for e
# later evaluated z's history again (its writes, everything under them). The old node's value is the leaf's
# (computed from it in the same pass), so a graph asked later reads the leaf instead: e reads z's value as the
# ask computed it, which is what NumPy's e (computed on its line from NumPy's z) holds. Nodes are hash-consed, so
# the same node can be built again later from the same inputs (``la.array(a) * 1.0`` written the same way
# twice), and that build must read the user's ``a`` as it is then. A *pure* old node (a function of values
# lazyarr owns only: leaves realise made, constants, generators) has the same value whenever it is built, so
# it stays interned; any other (mandelbrot's z: ``z ** 2 + c`` reads the user's ``c`` by reference) is taken
# out of the intern table (``expr.unintern``, mandelbrot #15), so a later build makes a new node that reads the
# user's arrays again, and only graphs built before the ask hold the old one. A pure node's ends are held
# weakly: lazyarr remembers recent graphs (``launch``), which keep old nodes alive, and the values need not live
# as long (a graph computes the same value again from the history). An impure node holds its leaf as long as it
# lives itself: computed again, its history would read the user's arrays as they are *then*, so e's answer
# would depend on when the collector freed z's old value.
_STANDS_FOR: dict[int, tuple[weakref.ref, weakref.ref, Node | None]] = {}
# The buffers of the values realise kept (id -> the array): no one else can write them (values handed to the
# user are copies where they would share memory), so leaves over them or over views of them are lazyarr's own.
_REALISED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


def _stands_for(history: Node, leaf: Node, value: np.ndarray, overwritten: bool = False) -> None:
    buffer = _buffer(value)
    if _REALISED.get(id(buffer)) is not buffer:
        _REALISED[id(buffer)] = buffer
        # once the leaf and every view of it are gone, the scratch pool takes the buffer back for the next
        # computation of its shape (a lazy loop asked once per call: its values die between the calls)
        scratch.lend(buffer, _no_longer_realised)
    if history.op in (LEAF, CONST) or history is leaf:
        return
    held = None
    if not _pure(history):  # (mandelbrot #15) no later build gets it; its leaf lives as long as it does
        expr.unintern(history)
        held = leaf
    elif overwritten:  # (s12 lazymandel) its value was stored over its input's: it cannot be computed again
        held = leaf
    key = id(history)
    _STANDS_FOR[key] = (weakref.ref(history, functools.partial(_forget, key)), weakref.ref(leaf), held)


def _no_longer_realised(buffer: np.ndarray) -> None:
    """The scratch pool took `buffer` back: from now on it holds new values, not a realised one."""
    if _REALISED.get(id(buffer)) is buffer:
        del _REALISED[id(buffer)]


def _stood_for(leaf: Node) -> bool:
    """(s12 lazymandel) Whether a live history stands for `leaf` (a pure one holds it weakly: api/owned.py)."""
    return any(entry[1]() is leaf for entry in _STANDS_FOR.values())


def _pure(root: Node) -> bool:
    """Whether `root`'s value depends only on leaves realise made, constants and generators. (lazyover #15) It
    stops at the first other end: a lazy loop's written history usually reads a user's array."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.op == LEAF:
            buffer = _buffer(node.data)
            if _REALISED.get(id(buffer)) is not buffer:
                return False
        elif not node.args and node.op != CONST and node.op not in GENERATORS:
            return False  # an external leaf (a dask array)
        stack.extend(node.args)
    return True


def _buffer(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory (itself, or the end of its chain of bases)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _forget(key: int, ref: weakref.ref) -> None:
    entry = _STANDS_FOR.get(key)
    if entry is not None and entry[0] is ref:
        del _STANDS_FOR[key]


def stand_in(node: Node) -> Node | None:
    """The leaf computed for `node` (a realised array's old node, or an asked value whose inputs are unchanged:
    ``known``), or None."""
    entry = _STANDS_FOR.get(id(node))
    if entry is not None and entry[0]() is node:
        return entry[2] or entry[1]()
    return known(node) if _KNOWN else None


def stand_ins(roots: list[Node]) -> list[Node]:
    """`roots` with every realised array's old node in their graphs replaced by the leaf of its value (rebuilt
    only where something is replaced: the same nodes otherwise)."""
    if not (_STANDS_FOR or _KNOWN) or all(r.op in (LEAF, CONST) for r in roots):
        return roots
    rebuilt: dict[int, Node] = {}  # id(node) -> its replacement; nodes kept as they are are not in it
    seen: set[int] = set()
    stack = [(r, False) for r in roots]
    while stack:  # arguments before the nodes that read them; no descent below a replaced node
        node, expanded = stack.pop()
        if expanded:
            if any(id(a) in rebuilt for a in node.args):
                args = tuple(rebuilt.get(id(a), a) for a in node.args)
                rebuilt[id(node)] = expr.make(node.op, args, node.params, node.shape, node.dtype)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        key = id(node)  # (mandel2 #15) most nodes have no entry: no call for them (a lazy loop's asks walk each)
        leaf = stand_in(node) if key in _STANDS_FOR or key in _KNOWN else None
        if leaf is not None:
            rebuilt[id(node)] = leaf
        elif node.args:
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in seen)
    if not rebuilt:
        return roots
    return [rebuilt.get(id(r), r) for r in roots]


# --- (mandelbrot #15) Asked values kept while their inputs are unchanged ---------------------------------------
# mandelbrot's lazy loop asks for ``escaped`` twice: ``escape[escaped] = i`` converts it, then
# ``active &= ~escaped`` computes ``~escaped`` into ``active``. Its graph reads z's update (which the first ask
# realises: z's old node then stands for z's leaf, above) and the user's ``active`` by reference, so the second
# ask evaluated the update and its complex abs over the whole grid again. An asked value is therefore kept with
# its node when checking that it is still right costs little next to computing it again: the arrays its graph
# reads by reference (after stand-ins: leaves that are not realise's own) are copied (a snapshot) and, with the
# value's own copy, hold at most an eighth of the bytes the graph reads (an ask never repeated copies at most
# that; mandelbrot's ``escaped``: 0.5 MB of copies against 4.25 MB read). A later ask whose graph holds that node
# compares the snapshots with the arrays byte for byte and, if all are unchanged, reads the kept value: the
# answer recomputing would give, by construction. (A changed array drops the entry.) The node is the key, held
# weakly: the entry lives as long as something holds the node (``escaped``), and the copies with it.
_KNOWN: dict[int, tuple] = {}  # id(node) -> (weak reference to the node, leaf of its value, [(array, snapshot)])
_KEEP_FRACTION = 8  # the copies a kept value costs are at most 1/8 of the bytes its graph reads


def _remember(roots: list[Node], values: list[np.ndarray], rewritten: list[Node] | None = None) -> None:
    """Keep each asked root's value (``_KNOWN``) where its graph (`rewritten`: with stand-ins; None: the roots',
    whose stand-ins the walk takes as it meets them) reads few bytes by reference (see above)."""
    if not _REALISED:  # (lazyover #15) every leaf is read by reference: the copies would exceed an eighth of the
        return         # bytes read for any value that is not empty, so no walk (a lazy small reduction's ask)
    for i, (root, value) in enumerate(zip(roots, values)):
        if not root.args or id(root) in _KNOWN:
            continue
        if rewritten is not None and not rewritten[i].args:
            continue
        inputs = _by_reference(root if rewritten is None else rewritten[i], rewritten is None)
        if inputs is None:
            continue
        by_reference, read = inputs
        copied = value.nbytes + sum(a.nbytes for a in by_reference)
        if copied * _KEEP_FRACTION > read:
            continue
        kept = value.copy()  # (the value handed out, or `out`, is the caller's to write)
        kept.flags.writeable = False
        _REALISED[id(kept)] = kept
        snapshots = [(a, a.copy()) for a in by_reference]
        key = id(root)
        _KNOWN[key] = (weakref.ref(root, functools.partial(_forget_known, key)), expr.leaf(kept), snapshots)


def _by_reference(root: Node, resolve: bool = False) -> tuple[list[np.ndarray], int] | None:
    """(the arrays `root`'s graph reads by reference, the bytes its leaves hold), or None when it reads data
    that is not in memory (a dask array), or (with `resolve`) when `root` itself stands for a leaf.

    `resolve`: the graph read as ``stand_ins`` would rewrite it, a node with a stand-in taken as that leaf
    (lazyover #15: the ask that realised written arrays walks its roots once here, not rewritten first)."""
    arrays, read = [], 0
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if resolve and (id(node) in _STANDS_FOR or id(node) in _KNOWN):
            leaf = stand_in(node)
            if leaf is not None:
                if node is root:
                    return None
                if id(leaf) in seen:  # (two nodes standing for one leaf: its bytes once)
                    continue
                seen.add(id(leaf))
                node = leaf
        if node.op == LEAF:
            read += node.data.nbytes
            buffer = _buffer(node.data)
            if _REALISED.get(id(buffer)) is not buffer:
                arrays.append(node.data)
        elif not node.args and node.op != CONST and node.op not in GENERATORS:
            return None
        stack.extend(node.args)
    return arrays, read


def known(node: Node) -> Node | None:
    """The leaf of `node`'s kept value when every array it read by reference still holds its bytes; else None
    (and the entry is dropped)."""
    entry = _KNOWN.get(id(node))
    if entry is None or entry[0]() is not node:
        return None
    if all(same_bytes(array, snapshot) for array, snapshot in entry[2]):
        return entry[1]
    del _KNOWN[id(node)]
    return None


def _own_copy(value: np.ndarray) -> np.ndarray:
    """`value`, or a copy of it where it is a kept value (read-only, lazyarr's: a root the runtime answered with
    its kept leaf), so that what the user gets is theirs to write, as every other computed value is."""
    if value.flags.writeable:
        return value
    buffer = _buffer(value)
    return value.copy() if _REALISED.get(id(buffer)) is buffer else value


def _forget_known(key: int, ref: weakref.ref) -> None:
    entry = _KNOWN.get(key)
    if entry is not None and entry[0] is ref:
        del _KNOWN[key]


# (s12 lazymandel) Every graph the runtime computes reads the stand-ins (runtime/evaluate.py's registry): a
# history whose leaf's buffer was overwritten in place (api/owned.py) must never be computed again.
runtime.register_rewrite(stand_ins)
