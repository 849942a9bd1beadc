"""(#15 logreg4) Recognise ``A.T @ g(A @ v)`` and build it as one ``gemv_pair`` stage: one pass over A.

A logistic regression's gradient ``X.T @ (1 / (1 + exp(-(X @ w))) - y)`` is, in NumPy, two matrix-vector products
that each read the whole of X. As products.py builds them, ``X @ w`` is the reduction ``sum(X * w, axis=1)`` and
``X.T @ r`` another over X's columns, so X is still read twice. When the right operand of ``A.T @ _`` is an
elementwise function g of that very ``A @ v`` (and of other per-row operands, such as y, and scalars), the
stage computes each row's dot, g of it and the row's weighted contribution while the row is in cache
(runtime/gemv_pair.py, compiler/source_gemv_pair.py).

What matches (everything else keeps products.py's reductions): a float32/float64 matrix A that is an array
(a leaf), its transposed view on the left, and on the right an elementwise region over exactly one
``sum(A * v, axis=1)`` of the same A (same buffer, shape and strides), whose other operands are arrays of one
value per row or scalars that do not themselves depend on that sum (``d - d.mean()`` is not per-row: no match),
every dtype the matrix's, and at most ``MAX_NODES`` nodes in g. ``A @ v`` has two forms in products.py: row
dots ``sum(A * v, axis=1)`` (a C or strided A), and ``sum(v[:, None] * A.T, axis=0)`` (a Fortran A; also
``X @ g(X.T @ u)`` of a C X, where A is X.T); both match. The graph stays immutable: a matrix written
after the dot was taken is another node, so it never matches the dot's.
"""
from __future__ import annotations

import weakref

import numpy as np

from lazyarr.api import build
from lazyarr.graph import expr, ops
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import GENERATORS
from lazyarr.runtime import gemv_pair as runner

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
MAX_NODES = 32  # g's nodes: a region larger than this compiles slowly; products.py's reductions take it
# (s13 logreg) Nodes whose region has more than MAX_NODES nodes. A region that reaches one of them holds its
# whole region, so it is too big as well: a lazy loop's ``X @ w`` (w's history of updates is elementwise all the
# way back, 32 nodes after ~10 steps) stops at the previous step's w instead of walking 32 nodes every step.
_TOO_BIG: "weakref.WeakSet" = weakref.WeakSet()
# (s14 lazyover) Structure ids of graphs whose elementwise region reaches no reduction, so no row dot: ``A @ b``
# of such a b is never a pair. Whether a reduction is reachable through fusable, non-generator nodes follows
# from the structure id alone (op, params, dtype and the children's ids; ``fusable`` is decided by op and
# params), so it holds for every graph of that id, sharing or not. A lazy loop's ``X @ w`` asks it of w's history
# at every step of every call: after the first call each is one set lookup instead of a region walk.
_NO_DOT: set[int] = set()
_NO_DOT_MAX = 65536  # ids kept at most (cleared when full: a miss only costs the walk again)
# (s14 lazyover) The stages' keywords, one object per value: a spec is ~25 small tuples, and a lazy loop's every
# call built them anew for each product, all alive until the call ended (work for the garbage collector).
_KWARGS: dict[tuple, tuple] = {}
_KWARGS_MAX = 256


def pair_product(a: Node, b: Node) -> Node | None:
    """``a @ b`` as a ``gemv_pair`` stage when `a` is ``A.T`` and `b` is g(``A @ v``) (see the module's
    docstring), else None."""
    if len(a.shape) != 2 or len(b.shape) != 1 or a.dtype not in _FLOATS or b.dtype != a.dtype or not _is_array(a):
        return None
    if b.sid in _NO_DOT:  # (s14 lazyover) no row dot under a graph of this structure
        return None
    record = _REGIONS.get(b.sid)  # (s15 build) this structure's region seen before: replayed, not walked
    found = _replay(record, b) if record is not None else None
    if found is None:
        found = _region(b)
        record = None
    if found is None:
        _without_dot(b)  # (s14 lazyover) a long history's id is marked here, so later calls skip the walk
        return None
    body, frontier = found
    dots = [(n, pair) for n in frontier if (pair := _row_dot(n, a)) is not None]
    if len(dots) != 1:
        if not dots:
            _without_dot(b)  # (s14 lazyover)
        return None
    dot, (matrix, v) = dots[0]
    operands = [n for n in frontier if n is not dot]
    if not all(_per_row(n, b.shape[0]) and not _depends_on(n, dot) for n in operands):
        return None
    if record is not None and frontier[record[2]] is dot:
        spec = record[3]  # (s15 build) the same region and the same dot: the same spec
    else:
        spec = _spec(body, dot, operands, b)
        record = _remember_region(body, frontier, frontier.index(dot), spec, b)
    kwargs = record[5]  # (s15 build) the last stage keywords of this spec, if for these rows (a's dtype is g's)
    if kwargs is None or kwargs[1][1][0] != a.shape[0]:
        kwargs = (("dtype", a.dtype.str), ("shape", (a.shape[0],)), ("spec", spec))
        kwargs = record[5] = _KWARGS.setdefault(kwargs, kwargs)  # (s14 lazyover)
        if len(_KWARGS) > _KWARGS_MAX:
            _KWARGS.clear()
    return build.numpy_stage("gemv_pair", (matrix, v, *operands), kwargs, (a.shape[0],), a.dtype)


def column_pair(product: Node) -> Node | None:
    """``(A * h(A @ v)[:, None]).sum(0)``, the reduction spelling of ``A.T @ h(A @ v)``: `product` is the
    reduction's operand; the same stage as ``pair_product``, or None. Indexing pushed ``[:, None]`` down to
    h's operands (``h(d[:, None], y[:, None])``), so h is rebuilt over the (n,) values (``_as_rows``)."""
    if product.op != "multiply" or len(product.args) != 2 or product.dtype not in _FLOATS:
        return None
    for matrix, column in (product.args, product.args[::-1]):
        if (_is_array(matrix) and matrix.ndim == 2 and column.shape == (matrix.shape[0], 1)
                and matrix.dtype == product.dtype and tuple(product.params.loop) == (product.dtype,) * 2):
            h = _as_rows(column, matrix.shape[0])
            return None if h is None else pair_product(expr.leaf(matrix.data.T), h)
    return None


def _as_rows(column: Node, rows: int) -> Node | None:
    """The (rows,) node whose ``[:, None]`` is `column` (an elementwise region over (rows, 1) views), or None."""
    region = _region(column)
    if region is None:
        return None
    body, frontier = region
    rebuilt: dict[int, Node] = {}
    for node in frontier:
        if node.op == CONST:
            rebuilt[id(node)] = node
        elif node.shape != (rows, 1):
            return None
        elif _is_array(node):
            rebuilt[id(node)] = expr.leaf(node.data.reshape(rows))
        elif (node.op == "numpy" and node.params.name == "getitem" and node.args[0].shape == (rows,)
              and dict(node.params.kwargs)["key"] == ((0, rows, 1), None)):
            rebuilt[id(node)] = node.args[0]  # d[:, None] of a computed d
        else:
            return None
    for node in body:
        if node.shape != (rows, 1):
            return None
        rebuilt[id(node)] = expr.make(node.op, tuple(rebuilt[id(a)] for a in node.args), node.params, (rows,),
                                      node.dtype)
    return rebuilt[id(column)]


def _is_array(node: Node) -> bool:
    return node.op == LEAF and isinstance(node.data, np.ndarray)


def _region(root: Node) -> tuple[list[Node], list[Node]] | None:
    """g's elementwise nodes under `root` (children first) and the nodes they read (each once); None when g has
    more than MAX_NODES nodes or a node the kernel does not take (float16: its values travel as bits)."""
    body, frontier, seen = [], [], set()
    expanded_count = 0
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            body.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.dtype.char == "e":
            return None
        if node.fusable and node.op not in GENERATORS:
            expanded_count += 1
            if expanded_count > MAX_NODES or node in _TOO_BIG:
                _TOO_BIG.add(root)  # (s13 logreg) the count of distinct nodes only grows with the region
                return None
            stack.append((node, True))
            stack.extend((arg, False) for arg in reversed(node.args))
        else:
            frontier.append(node)
    return body, frontier


# --- (s15 build) a region replayed from its structure id ------------------------------------------------------
# A lazy loop's ``X.T @ (p - y)`` walked g's region (``_region``) and wrote its spec (``_spec``) at every step of
# every call, ~25 us. Both follow from the region's DAG: its nodes' ops, params and dtypes (the root's
# structure id fixes those along every path, and with them which nodes ``_region`` expands) and its sharing
# (which paths reach the same node), which the id does not fix. So a region is kept by the root's id as the
# links to follow from the root (``(parent slot, argument index, child slot)``, parents first); a later root of
# that id is replayed along them, and the replay is taken only when every link meets the node the record names
# and the slots are distinct nodes: then the DAG is the recorded one, its walk order and spec too. Anything else
# walks as before (tests/test_build_fast_paths.py: a tree and a DAG of one id, other matrices and dots).
_REGIONS: dict[int, list] = {}  # root sid -> [slots, links, dot slot, spec, frontier size, last stage keywords]
_REGIONS_MAX = 4096


def _remember_region(body: list[Node], frontier: list[Node], dot_slot: int, spec: tuple, root: Node) -> list:
    slots = frontier + body  # (the root is the body's last node, so the last slot)
    index = {id(n): i for i, n in enumerate(slots)}
    links = tuple((index[id(node)], j, index[id(arg)]) for node in reversed(body) for j, arg in enumerate(node.args))
    if len(_REGIONS) >= _REGIONS_MAX:
        _REGIONS.clear()
    record = _REGIONS[root.sid] = [len(slots), links, dot_slot, spec, len(frontier), None]
    return record


def _replay(record: list, root: Node) -> tuple[list[Node], list[Node]] | None:
    """(body, frontier) of `root`'s region when its DAG is the recorded one, else None (walk it)."""
    count, links, _, _, frontier_size, _ = record
    nodes = [None] * count
    nodes[-1] = root
    for parent, j, child in links:
        node = nodes[parent].args[j]
        known = nodes[child]
        if known is None:
            nodes[child] = node
        elif known is not node:
            return None
    if len(set(map(id, nodes))) != count:
        return None
    return nodes[frontier_size:], nodes[:frontier_size]
# --- end s15 build ---


def _without_dot(root: Node) -> bool:
    """(s14 lazyover) Whether no reduction is reachable from `root` through fusable, non-generator nodes (the
    nodes ``_region`` expands), so that its frontier holds no row dot; False also when the walk passes
    MAX_NODES such nodes without an answer. A True answer is kept for root and every node walked
    (``_NO_DOT``): their regions are parts of root's. Asked after ``_region`` found no dot (or a region too big):
    the first call of a lazy loop pays both walks, later calls one set lookup."""
    if root.sid in _NO_DOT:
        return True
    walked, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or node.sid in _NO_DOT:
            continue
        seen.add(id(node))
        if node.fusable and node.op not in GENERATORS:
            walked.append(node.sid)
            if len(walked) > MAX_NODES:
                return False
            stack.extend(node.args)
        elif node.op == "reduce":
            return False
    if len(_NO_DOT) + len(walked) > _NO_DOT_MAX:
        _NO_DOT.clear()
    _NO_DOT.update(walked)
    _NO_DOT.add(root.sid)  # (also a root that is no elementwise node: a leaf, a stage that is not a reduction)
    return True


def _row_dot(node: Node, transposed: Node) -> tuple[Node, Node] | None:
    """(A, v) when `node` is products.py's ``A @ v`` of the A whose transpose is `transposed`, all in the
    product's dtype, else None. Two forms: ``sum(A * v, axis=1)`` (A read by rows: a C or strided A), and
    ``sum(v[:, None] * A.T, axis=0)`` (a Fortran A, summed down the rows of its C transpose)."""
    if not (node.op == "reduce" and node.params.name == "sum" and node.params.engine == "numba"
            and node.dtype == transposed.dtype and node.args[0].op == "multiply"):
        return None
    product = node.args[0]
    if len(product.args) != 2 or tuple(product.params.loop) != (node.dtype, node.dtype):
        return None
    if node.params.axes == (1,):
        matrix, v = product.args
        if (_is_array(matrix) and matrix.ndim == 2 and v.ndim == 1 and v.dtype == node.dtype
                and _transpose_of(transposed.data, matrix.data)):
            return matrix, v
    elif node.params.axes == (0,):
        column, matrix_t = product.args
        v = _vector_of(column)
        if (v is not None and v.dtype == node.dtype and _is_array(matrix_t) and matrix_t.ndim == 2
                and _transpose_of(transposed.data, matrix_t.data.T)):
            return expr.leaf(matrix_t.data.T), v
    return None


def _vector_of(column: Node) -> Node | None:
    """The vector v of products.py's ``v[:, None]`` (a leaf's reshaped view, or a reshape stage), else None."""
    if column.ndim != 2 or column.shape[1] != 1:
        return None
    if _is_array(column):
        return expr.leaf(column.data.reshape(column.shape[0]))
    if column.op == "numpy" and column.params.name == "reshape" and column.args[0].shape == column.shape[:1]:
        return column.args[0]
    return None


def _transpose_of(t: np.ndarray, m: np.ndarray) -> bool:
    """Whether `t` is `m.T`: the same buffer read with the axes swapped."""
    # (s15 build) ``.ctypes.data``: the same address as ``__array_interface__["data"][0]``, without its dict
    return (t.dtype == m.dtype and t.shape == m.shape[::-1] and t.strides == m.strides[::-1]
            and t.ctypes.data == m.ctypes.data)


def _per_row(node: Node, rows: int) -> bool:
    if node.op == CONST:
        return node.dtype.kind in "biuf"
    return node.shape == (rows,) and node.dtype.kind in "biuf"


def _depends_on(node: Node, dot: Node) -> bool:
    """Whether `node`'s value is computed from `dot` (it would need every row's dot before the pass)."""
    if node.op in (LEAF, CONST):
        return False
    return any(n is dot for n in expr.walk([node]))


def _spec(body: list[Node], dot: Node, operands: list[Node], root: Node) -> tuple:
    """g without arrays (runtime/gemv_pair.py's ``spec``)."""
    refs = {id(dot): ("dot",)}
    refs.update((id(n), ("operand", j)) for j, n in enumerate(operands))
    entries = []
    for e, node in enumerate(body):
        entries.append((node.op, node.params, node.dtype.str, tuple(refs[id(a)] for a in node.args)))
        refs[id(node)] = ("entry", e)
    kinds = tuple(("const" if n.op == CONST else "array", n.dtype.str) for n in operands)
    return kinds, tuple(entries), refs[id(root)]


ops.register_accelerated("gemv_pair", runner.run)
