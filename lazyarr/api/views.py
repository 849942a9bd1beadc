"""Views and index maps of lazy arrays: flip, rot90, moveaxis, diagonal, diff, gradient, roll, tile, repeat, pad,
joining and splitting, atleast_Nd, broadcast_arrays, meshgrid, take and take_along_axis.

Each function serves ``np.f(lazy, ...)`` (``__array_function__``, through ``HANDLERS``) and ``la.f`` alike, and
takes NumPy's arguments. Shapes and errors are NumPy's own, decided when the expression is built: NumPy runs the
function on a probe of the operand's shape that holds no memory (``indexing.shape_probe``).

What fuses and why:
- an affine index map that is basic indexing or an axis permutation (flip, rot90, swapaxes, moveaxis,
  transpose, atleast_Nd, split, broadcast_arrays, meshgrid) is built from ``indexing.basic`` and
  ``build.transpose``, which push it down to the leaves as views: no kernel of its own;
- ``diagonal`` is pushed down too: each leaf becomes NumPy's strided diagonal view of the leaf broadcast to the
  full shape, so ``np.diagonal(a + b)`` is one kernel over two views;
- ``diff`` and ``gradient`` are differences of slices (``a[1:] - a[:-1]``), so ``(np.diff(x) ** 2).sum()`` is
  one kernel; gradient's three pieces (edges and interior) are joined by a ``concatenate`` stage;
- roll, tile, repeat, pad, concatenation and gathers (take, take_along_axis) are NumPy stages: their index maps
  are piecewise or data-driven, and the elementwise work on each side of them is still fused.
"""
from __future__ import annotations

import operator

import numpy as np

from lazyarr.api import build, indexing, stages
from lazyarr.api.array import LazyArray, shaped
from lazyarr.api.reshaping import broadcast_to as broadcast_node, ravel, reshape
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node

_normalize_axis = np.lib.array_utils.normalize_axis_index
_normalize_axes = np.lib.array_utils.normalize_axis_tuple


# --- helpers -------------------------------------------------------------------------------------------------

def _node(a, what: str = "array") -> Node:
    """A node for an array argument, as ``np.asanyarray`` would make one (a Python scalar is a 0-d array)."""
    node = build.to_node(a, what)
    if node.op == CONST:
        return build.to_node(np.asarray(node.data, dtype=node.dtype), what)
    return node


def _numpy(what: str, shape: tuple, func):
    """NumPy's answer on a probe of `shape` (no memory), or NumPy's error, of NumPy's type, naming `what`."""
    try:
        return func(indexing.shape_probe(shape))
    except (ValueError, TypeError, IndexError) as exc:
        raise _error(exc, f"{what} of an array of shape {shape}") from None


def _error(exc: Exception, what: str) -> Exception:
    """NumPy's error with lazyarr's name and the operation in front; where NumPy's exception class takes other
    arguments than a message (its ufunc loop errors), the builtin error it is."""
    try:
        return indexing.numpy_error(exc, what)
    except TypeError:
        base = next(t for t in type(exc).__mro__ if t in (TypeError, ValueError, IndexError))
        return base(f"lazyarr: {what}: {exc}")


def _index(node: Node, key) -> Node:
    return indexing.index(node, key)[0]


def _along(axis: int, entry, ndim: int) -> tuple:
    """A key that applies `entry` on `axis` and takes every other axis whole."""
    return (slice(None),) * axis + (entry,) + (slice(None),) * (ndim - axis - 1)


def _int(value, what: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"lazyarr: {what} must be an integer, got {type(value).__name__}") from None


def _concrete(x) -> np.ndarray:
    """An argument that decides the result's shape (repeat counts, gather indices) as a NumPy array: a lazy one
    is computed now (inside ``@la.fuse`` that is refused with the line that asked)."""
    return np.asarray(x)


def _freeze(value):
    """A keyword value as a hashable node parameter (nested tuples instead of arrays and lists)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()  # (a 0-d array gives its number)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _stage(name: str, node: Node, kwargs: dict, shape: tuple) -> Node:
    return build.numpy_stage(name, (node,), tuple(sorted(kwargs.items())), tuple(shape), node.dtype)


# --- flips, rotations and permutations: basic keys and transposes, pushed down to the leaves ------------------

def flip(m, axis=None):
    node = _node(m)
    _numpy("flip", node.shape, lambda p: np.flip(p, axis))
    axes = range(node.ndim) if axis is None else _normalize_axes(axis, node.ndim)
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(node.ndim))
    return LazyArray(*indexing.index(node, key))  # (NumPy's m[()]: a 0-d input gives a scalar)


def fliplr(m):
    node = _node(m)
    _numpy("fliplr", node.shape, np.fliplr)
    return flip(LazyArray(node), 1)


def flipud(m):
    node = _node(m)
    _numpy("flipud", node.shape, np.flipud)
    return flip(LazyArray(node), 0)


def _permutation(what: str, ndim: int, func) -> tuple:
    """The axis permutation NumPy's `func` makes of an array of `ndim` axes, read from the shape it gives a
    probe whose axis lengths are all different (2, 3, 4, ...); NumPy's error if it refuses the arguments."""
    probe_shape = tuple(range(2, ndim + 2))
    return tuple(d - 2 for d in _numpy(what, probe_shape, func).shape)


def _permuted(node: Node, axes: tuple) -> LazyArray:
    return shaped(node if axes == tuple(range(node.ndim)) else build.transpose(node, axes))


def transpose(a, axes=None):
    node = _node(a)
    return _permuted(node, _permutation("transpose", node.ndim, lambda p: np.transpose(p, axes)))


def swapaxes(a, axis1, axis2):
    node = _node(a)
    return _permuted(node, _permutation("swapaxes", node.ndim, lambda p: np.swapaxes(p, axis1, axis2)))


def moveaxis(a, source, destination):
    node = _node(a)
    return _permuted(node, _permutation("moveaxis", node.ndim, lambda p: np.moveaxis(p, source, destination)))


def rollaxis(a, axis, start=0):
    node = _node(a)
    return _permuted(node, _permutation("rollaxis", node.ndim, lambda p: np.rollaxis(p, axis, start)))


def rot90(m, k=1, axes=(0, 1)):
    """NumPy's own composition of flips and a transpose (numpy/lib/_function_base_impl.py)."""
    node = _node(m)
    _numpy("rot90", node.shape, lambda p: np.rot90(p, k, axes))
    k = _int(k, "rot90: k") % 4
    a0, a1 = (a % node.ndim for a in axes)
    x = LazyArray(node)
    if k == 0:
        return shaped(node)
    if k == 2:
        return flip(flip(x, a0), a1)
    order = list(range(node.ndim))
    order[a0], order[a1] = order[a1], order[a0]
    if k == 1:
        return transpose(flip(x, a1), order)
    return flip(transpose(x, order), a1)


# --- diagonal: NumPy's strided view of each leaf -------------------------------------------------------------

def diagonal(a, offset=0, axis1=0, axis2=1):
    node = _node(a)
    shape = _numpy("diagonal", node.shape, lambda p: np.diagonal(p, offset, axis1, axis2)).shape
    kwargs = {"offset": _int(offset, "diagonal: offset"), "axis1": _normalize_axis(axis1, node.ndim),
              "axis2": _normalize_axis(axis2, node.ndim)}
    if 0 in shape:
        return shaped(indexing.empty(shape, node.dtype))
    return shaped(_pushed_view(node, shape, "diagonal", kwargs))


def diag(v, k=0):
    """(s14) np.diag: of a matrix, its k-th diagonal (NumPy's ``diagonal``: a view, pushed to the leaves); of a
    vector, the square matrix with it on the k-th diagonal (a NumPy stage: mostly zeros, no elementwise map)."""
    node = _node(v)
    k = _int(k, "diag: k")
    shape = _numpy("diag", node.shape, lambda p: np.diag(p, k)).shape
    if node.ndim == 2:
        return diagonal(v, k)
    return shaped(_stage("diag", node, {"k": k}, shape))


def _pushed_view(root: Node, shape: tuple, name: str, kwargs: dict) -> Node:
    """``np.<name>(root, **kwargs)`` for a view function that reads the array at `root`'s full shape.

    An elementwise node's view is the op over its operands' views, once each operand is broadcast to the full
    shape (broadcasting distributes over elementwise ops, so the target shape is the same at every depth).
    A leaf becomes the view of its data broadcast to that shape (zero strides where it was broadcast), a node
    that is not elementwise is computed whole and viewed by a stage."""
    full = root.shape
    func = getattr(np, name)

    def operands(n: Node, _):
        return [(a, None) for a in n.args] if indexing.commutes(n) else None

    def rebuild(n: Node, _, args):
        if args is not None:
            return expr.make(n.op, tuple(args), n.params, shape, n.dtype)
        if n.op == CONST:
            return n
        if n.op == LEAF:
            how = (name, tuple(sorted(kwargs.items())), full)
            return expr.view_leaf(n, how, lambda data: func(np.broadcast_to(data, full), **kwargs))
        whole = n if n.shape == full else broadcast_node(n, full)
        return _stage(name, whole, kwargs, shape)

    return indexing.push_down(root, None, operands, rebuild)


# --- diff and gradient: differences of slices, fused ----------------------------------------------------------

def diff(a, n=1, axis=-1, prepend=np._NoValue, append=np._NoValue):
    node = _node(a)
    n = _int(n, "diff: n")
    if n == 0:
        return a if isinstance(a, LazyArray) else LazyArray(node)
    if n < 0:
        raise ValueError(f"lazyarr: diff: order must be non-negative but got {n}")
    if node.ndim == 0:
        raise ValueError("lazyarr: diff requires input that is at least one dimensional")
    axis = _normalize_axis(axis, node.ndim)
    parts = [_edge_values(v, node, axis) for v in (prepend,) if v is not np._NoValue] + [node] + \
        [_edge_values(v, node, axis) for v in (append,) if v is not np._NoValue]
    if len(parts) > 1:
        node = stages.concatenate(parts, axis)
    # NumPy: booleans differ where they are not equal (bool subtraction is an error)
    op = np.not_equal if node.dtype == np.bool_ else np.subtract
    for _ in range(n):
        if node.shape[axis] == 0:
            break  # a difference of nothing is nothing, however often it is taken
        upper = _index(node, _along(axis, slice(1, None), node.ndim))
        lower = _index(node, _along(axis, slice(None, -1), node.ndim))
        node = build.ufunc_node(op, (upper, lower), "diff")
    return LazyArray(node)


def _edge_values(value, node: Node, axis: int) -> Node:
    """diff's prepend/append as NumPy takes it: a scalar is broadcast to one slice along `axis`."""
    edge = _node(value, "diff's prepend/append")
    if edge.ndim == 0:
        shape = node.shape[:axis] + (1,) + node.shape[axis + 1:]
        edge = broadcast_node(edge, shape)
    return edge


def gradient(f, *varargs, axis=None, edge_order=1):
    """NumPy's formulas (numpy/lib/_function_base_impl.py), each piece a fused difference of slices; the
    spacing arithmetic is done in Python/NumPy exactly as NumPy does it, so weak and strong scalars promote
    the same way."""
    node = _node(f)
    axes = tuple(range(node.ndim)) if axis is None else _normalize_axes(axis, node.ndim)
    spacings = _spacings(varargs, node, axes)
    if edge_order > 2:
        raise ValueError("lazyarr: gradient: 'edge_order' greater than 2 not supported")
    otype = node.dtype
    if otype.kind not in "fc":
        if otype.kind in "iu":
            node = build.cast(node, np.float64, "gradient")
        otype = np.dtype(np.float64)
    results = []
    for ax, dx in zip(axes, spacings):
        if node.shape[ax] < edge_order + 1:
            raise ValueError("lazyarr: gradient: Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        pieces = [_gradient_edge(node, ax, dx, edge_order, first=True), _gradient_interior(node, ax, dx),
                  _gradient_edge(node, ax, dx, edge_order, first=False)]
        pieces = [p if p.dtype == otype else build.cast(p, otype, "gradient") for p in pieces]
        results.append(LazyArray(stages.concatenate(pieces, ax)))
    return results[0] if len(results) == 1 else tuple(results)  # (a 0-d input: no axes, an empty tuple)


def _spacings(varargs, node: Node, axes: tuple) -> list:
    """gradient's spacing per axis: a scalar (kept as given: a Python number stays weak) or the 1-d differences
    of coordinates, as NumPy reduces them."""
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return [_scalar_spacing(varargs[0])] * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("lazyarr: gradient: invalid number of arguments")
    out = []
    for ax, distances in zip(axes, varargs):
        if np.ndim(distances) == 0:
            out.append(_scalar_spacing(distances))
            continue
        distances = _concrete(distances)
        if distances.ndim != 1:
            raise ValueError("lazyarr: gradient: distances must be either scalars or 1d")
        if len(distances) != node.shape[ax]:
            raise ValueError("lazyarr: gradient: when 1d, distances must match the length of the "
                             "corresponding dimension")
        if np.issubdtype(distances.dtype, np.integer):
            distances = distances.astype(np.float64)
        steps = np.diff(distances)
        out.append(steps[0] if (steps == steps[0]).all() else steps)
    return out


def _scalar_spacing(dx):
    return np.asarray(dx) if isinstance(dx, LazyArray) else dx


def _piece(node: Node, ax: int, start, stop) -> Node:
    return _index(node, _along(ax, slice(start, stop), node.ndim))


def _gradient_interior(f: Node, ax: int, dx) -> Node:
    if np.ndim(dx) == 0:
        return _div(_sub(_piece(f, ax, 2, None), _piece(f, ax, None, -2)), 2. * dx)
    dx1, dx2 = dx[0:-1], dx[1:]
    shape = [1] * f.ndim
    shape[ax] = -1
    a = (-(dx2) / (dx1 * (dx1 + dx2))).reshape(shape)
    b = ((dx2 - dx1) / (dx1 * dx2)).reshape(shape)
    c = (dx1 / (dx2 * (dx1 + dx2))).reshape(shape)
    return _combination((a, b, c), (_piece(f, ax, None, -2), _piece(f, ax, 1, -1), _piece(f, ax, 2, None)))


def _gradient_edge(f: Node, ax: int, dx, edge_order: int, first: bool) -> Node:
    uniform = np.ndim(dx) == 0
    if edge_order == 1:
        if first:
            return _div(_sub(_piece(f, ax, 1, 2), _piece(f, ax, 0, 1)), dx if uniform else dx[0])
        return _div(_sub(_piece(f, ax, -1, None), _piece(f, ax, -2, -1)), dx if uniform else dx[-1])
    if first:
        points = (_piece(f, ax, 0, 1), _piece(f, ax, 1, 2), _piece(f, ax, 2, 3))
        if uniform:
            weights = (-1.5 / dx, 2. / dx, -0.5 / dx)
        else:
            dx1, dx2 = dx[0], dx[1]
            weights = (-(2. * dx1 + dx2) / (dx1 * (dx1 + dx2)), (dx1 + dx2) / (dx1 * dx2),
                       - dx1 / (dx2 * (dx1 + dx2)))
    else:
        points = (_piece(f, ax, -3, -2), _piece(f, ax, -2, -1), _piece(f, ax, -1, None))
        if uniform:
            weights = (0.5 / dx, -2. / dx, 1.5 / dx)
        else:
            dx1, dx2 = dx[-2], dx[-1]
            weights = ((dx2) / (dx1 * (dx1 + dx2)), - (dx2 + dx1) / (dx1 * dx2),
                       (2. * dx2 + dx1) / (dx2 * (dx1 + dx2)))
    return _combination(weights, points)


def _sub(x, y) -> Node:
    return build.ufunc_node(np.subtract, (x, y), "gradient")


def _div(x, y) -> Node:
    return build.ufunc_node(np.divide, (x, y), "gradient")


def _combination(weights, points) -> Node:
    """``a * p0 + b * p1 + c * p2`` in NumPy's order of operations."""
    mul = [build.ufunc_node(np.multiply, (w, p), "gradient") for w, p in zip(weights, points)]
    return build.ufunc_node(np.add, (build.ufunc_node(np.add, (mul[0], mul[1]), "gradient"), mul[2]), "gradient")


# --- NumPy stages: roll, tile, repeat, pad ---------------------------------------------------------------------

def roll(a, shift, axis=None):
    node = _node(a)
    _numpy("roll", node.shape, lambda p: np.roll(p, shift, axis))
    # (np.roll keeps the shape, also with axis=None: it rolls the flattened array and reshapes it back)
    return shaped(_stage("roll", node, {"shift": _freeze(shift), "axis": _freeze(axis)}, node.shape))


def tile(A, reps):
    node = _node(A)
    shape = _numpy("tile", node.shape, lambda p: np.tile(p, reps)).shape
    return shaped(_stage("tile", node, {"reps": _freeze(reps)}, shape))


def repeat(a, repeats, axis=None):
    node = _node(a)
    repeats = _freeze(_concrete(repeats))
    shape = _numpy("repeat", node.shape, lambda p: np.repeat(p, repeats, axis)).shape
    axis = None if axis is None else _normalize_axis(axis, node.ndim)
    return shaped(_stage("repeat", node, {"repeats": repeats, "axis": axis}, shape))


def pad(array, pad_width, mode="constant", **kwargs):
    """Every mode np.pad has, run by np.pad on the computed array (a stage: the index map is piecewise)."""
    node = _node(array)
    pad_width = pad_width if isinstance(pad_width, dict) else _concrete(pad_width)
    kwargs = {k: _freeze(v) for k, v in kwargs.items()}
    shape = _numpy("pad", node.shape, lambda p: _probe_pad(p, pad_width, mode, kwargs)).shape
    if isinstance(pad_width, dict):  # (s21) NumPy 2.3's {axis: width or (before, after)}, other axes unpadded
        widths = [(0, 0)] * node.ndim
        for axis, width in pad_width.items():
            widths[axis] = (width, width) if np.ndim(width) == 0 else tuple(width)
        pad_width = tuple(widths)
    pad_width = _freeze(pad_width)
    return shaped(_stage("pad", node, {"pad_width": pad_width, "mode": mode, **kwargs}, shape))


def _probe_pad(probe: np.ndarray, pad_width, mode, kwargs) -> np.ndarray:
    """np.pad's shape and errors without its values: the probe's dtype holds no bytes, so a mode that computes
    (constant, linear_ramp, mean, ...) checks its keywords on a one-element float array instead."""
    if mode in _COPYING_MODES and kwargs.get("reflect_type") != "odd":  # (odd reflection computes)
        return np.pad(probe, pad_width, mode, **kwargs)
    np.pad(np.zeros((1,) * probe.ndim), 0, mode, **kwargs)  # the mode's and the keywords' errors
    return np.pad(probe, pad_width, "empty")


# np.pad modes that only copy elements: they run on the probe itself (a computing mode needs real values)
_COPYING_MODES = ("edge", "reflect", "symmetric", "wrap", "empty")


# --- joining ---------------------------------------------------------------------------------------------------

def concatenate(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    nodes = [_node(x) for x in arrays]
    _numpy_join("concatenate", nodes, lambda ps: np.concatenate(ps, axis=axis))
    result = LazyArray(stages.concatenate(nodes, axis, dtype=dtype, casting=casting))
    return result if out is None else _written_out(result, out, casting, "concatenate(out=...)")


def _written_out(result, out, casting: str, what: str):
    """(s20) `out=` of a join or gather: the result written into it (NumPy's `casting`), `out` returned."""
    from lazyarr.api import assign
    return assign.write_out(result, out, casting, what)


def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    nodes = [_node(x) for x in arrays]
    _numpy_join("stack", nodes, lambda ps: np.stack(ps, axis=axis))
    result = LazyArray(stages.stack(nodes, axis, dtype=dtype, casting=casting))
    return result if out is None else _written_out(result, out, casting, "stack(out=...)")


def _numpy_join(what: str, nodes, func) -> None:
    """NumPy's errors for joining arrays of these shapes (probes of no memory)."""
    try:
        func([indexing.shape_probe(n.shape) for n in nodes])
    except (ValueError, TypeError, IndexError) as exc:
        raise _error(exc, f"{what} of arrays of shapes {[n.shape for n in nodes]}") from None


def _nodes(arrays, what: str) -> list:
    if not isinstance(arrays, (list, tuple)):
        raise TypeError(f"lazyarr: {what}: arrays to stack must be passed as a sequence type such as list or "
                        "tuple")
    return [_node(x) for x in arrays]


def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate(_at_least(_KEYS_2D, _nodes(tup, "vstack")), 0, dtype=dtype, casting=casting)


def hstack(tup, *, dtype=None, casting="same_kind"):
    arrays = _at_least(_KEYS_1D, _nodes(tup, "hstack"))
    axis = 0 if arrays and arrays[0].ndim == 1 else 1
    return concatenate(arrays, axis, dtype=dtype, casting=casting)


def dstack(tup):
    return concatenate(_at_least(_KEYS_3D, _nodes(tup, "dstack")), 2)


def column_stack(tup):
    nodes = _nodes(tup, "column_stack")
    columns = [n if n.ndim >= 2 else _index(n, (slice(None), None)) if n.ndim == 1
               else _index(n, (None, None)) for n in nodes]
    return concatenate(columns, 1)


def append(arr, values, axis=None):
    node, more = _node(arr), _node(values)
    if axis is None:
        node, more, axis = ravel(node), ravel(more), 0
    return concatenate((node, more), axis)


# --- splitting: lists of views ---------------------------------------------------------------------------------

def array_split(ary, indices_or_sections, axis=0):
    return _split("array_split", np.array_split, ary, indices_or_sections, axis)


def split(ary, indices_or_sections, axis=0):
    return _split("split", np.split, ary, indices_or_sections, axis)


def _split(what: str, func, ary, sections, axis):
    """The pieces NumPy's `func` makes, read off a split of the positions along the axis (each piece a range
    of them), as basic slices: views, pushed down to the leaves."""
    node = _node(ary)
    sections = _freeze(sections) if not isinstance(sections, int) else sections
    _numpy(what, node.shape, lambda p: func(p, sections, axis))
    axis = _normalize_axis(axis, node.ndim)
    out = []
    for piece in func(np.arange(node.shape[axis]), sections):
        window = slice(int(piece[0]), int(piece[-1]) + 1) if piece.size else slice(0, 0)
        out.append(shaped(_index(node, _along(axis, window, node.ndim))))
    return out


# --- atleast_Nd, broadcast_arrays, meshgrid: new axes and broadcasts, pushed down -----------------------------

def _at_least(keys: dict, arys) -> list:
    """Each array with length-1 axes added where NumPy adds them (keys: ndim -> basic key)."""
    out = []
    for a in arys:
        node = _node(a)
        key = keys.get(node.ndim)
        if key is None and isinstance(a, LazyArray):  # (s21) NumPy's: an array with enough axes is itself
            out.append(a)
            continue
        out.append(shaped(node if key is None else _index(node, key)))
    return out


def _one_or_tuple(out: list):
    return out[0] if len(out) == 1 else tuple(out)


_KEYS_1D = {0: (None,)}
_KEYS_2D = {0: (None, None), 1: (None, slice(None))}
_KEYS_3D = {0: (None, None, None), 1: (None, slice(None), None), 2: (Ellipsis, None)}


def atleast_1d(*arys):
    return _one_or_tuple(_at_least(_KEYS_1D, arys))


def atleast_2d(*arys):
    return _one_or_tuple(_at_least(_KEYS_2D, arys))


def atleast_3d(*arys):
    return _one_or_tuple(_at_least(_KEYS_3D, arys))


def broadcast_arrays(*args, subok=False):
    nodes = [_node(a) for a in args]
    try:
        shape = np.broadcast_shapes(*(n.shape for n in nodes))
    except ValueError as exc:
        raise indexing.numpy_error(exc, f"broadcast_arrays of shapes {[n.shape for n in nodes]}") from None
    return tuple(shaped(broadcast_node(n, shape)) for n in nodes)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """NumPy's steps: each input flattened onto its own axis, the first two swapped for 'xy', broadcast unless
    sparse, copied when asked (a copy makes a fresh array, as NumPy's is)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("lazyarr: meshgrid: Valid values for `indexing` are 'xy' and 'ij'.")
    ndim = len(xi)
    axes = list(range(ndim))
    if indexing == "xy" and ndim > 1:
        axes[0], axes[1] = 1, 0
    out = []
    for x, position in zip(xi, axes):
        node = _node(x)
        out.append(reshape(node, tuple(-1 if i == position else 1 for i in range(ndim))))
    if not sparse:
        out = [broadcast_node(n, np.broadcast_shapes(*(o.shape for o in out))) for n in out]
    if copy:
        out = [build.unary("copy", n) for n in out]
    return tuple(shaped(n) for n in out)


# --- gathers: NumPy stages with concrete index arrays -----------------------------------------------------------

def take(a, indices, axis=None, out=None, mode="raise"):
    result = _take(a, indices, axis, mode)
    return result if out is None else _written_out(result, out, "unsafe", "take(out=...)")  # (NumPy's cast)


def _take(a, indices, axis, mode):
    node = _node(a)
    if axis is None:
        node, axis = ravel(node), 0
    else:
        _numpy("take", node.shape, lambda p: np.take(p, np.zeros(0, np.intp), axis))
        axis = _normalize_axis(axis, node.ndim)
    if build.is_lazy(indices):  # surface/creation: a lazy gather (the index expression computed first)
        return LazyArray(indexing.index(node, _along(axis, _lazy_positions(indices, node.shape[axis], mode),
                                                     node.ndim))[0])
    # The positions NumPy takes: np.take itself on the positions along the axis, so its conversion of the
    # indices (float lists are truncated, booleans are 0/1), its modes and its errors are NumPy's.
    try:
        indices = np.take(np.arange(node.shape[axis]), indices, mode=mode)
    except (ValueError, TypeError, IndexError) as exc:
        raise _error(exc, f"take along axis {axis} of an array of shape {node.shape}") from None
    result, array0 = indexing.index(node, _along(axis, indices, node.ndim) if np.ndim(indices) else
                                    (slice(None),) * axis + (int(indices),))
    return LazyArray(result, array0)


def _lazy_positions(indices, length: int, mode):
    """Lazy take indices as positions NumPy's modes give: 'wrap' is a remainder, 'clip' a clip (both fused);
    'raise' leaves them to the gather (negative ones wrap once, others raise IndexError when computed)."""
    if mode == "wrap" and length:
        return np.remainder(indices, length)
    if mode == "clip" and length:
        return np.clip(indices, 0, length - 1)
    if mode not in ("raise", "wrap", "clip"):
        raise ValueError(f"lazyarr: take: clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    return indices


def take_along_axis(arr, indices, axis=-1):
    node = _node(arr)
    indices = indices if build.is_lazy(indices) else _concrete(indices)  # surface/creation: lazy stays lazy
    if axis is None:
        if indices.ndim != 1:
            raise ValueError("lazyarr: take_along_axis: when axis=None, `indices` must have a single dimension.")
        node, axis = ravel(node), 0
    else:
        axis = _normalize_axis(axis, node.ndim)
    if indices.dtype.kind not in "iu":
        raise IndexError("lazyarr: take_along_axis: `indices` must be an integer array")
    if indices.ndim != node.ndim:
        raise ValueError("lazyarr: take_along_axis: `indices` and `arr` must have the same number of dimensions")
    # NumPy's fancy index: the indices on `axis`, an arange broadcast along every other axis
    ones = (1,) * indices.ndim
    key = tuple(indices if i == axis else np.arange(n).reshape(ones[:i] + (-1,) + ones[i + 1:])
                for i, n in enumerate(node.shape))
    return LazyArray(indexing.index(node, key)[0])


# NumPy function -> handler (numpy_api adds these to HANDLED); the same functions are lazyarr.<name>.
FUNCTIONS = {
    f.__name__: f for f in (
        flip, fliplr, flipud, rot90, transpose, swapaxes, moveaxis, rollaxis, diagonal, diag, diff, gradient, roll,
        tile, repeat, pad, concatenate, stack, vstack, hstack, dstack, column_stack, append, split,
        array_split, atleast_1d, atleast_2d, atleast_3d, broadcast_arrays, meshgrid, take, take_along_axis)
}
# (np.transpose keeps numpy_api's handler, which calls LazyArray.transpose)
HANDLERS = {getattr(np, name): f for name, f in FUNCTIONS.items() if name != "transpose"}
