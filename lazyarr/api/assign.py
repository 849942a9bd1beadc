"""Writes into LazyArrays: ``x[key] = v``, ``x op= y``, ``fill``, ``sort``, ``np.copyto``, ``np.put``,
``np.place``, ``np.putmask``, ``ufunc.at`` and ``out=`` naming a LazyArray.

The graph stays immutable: a write builds the node of the new value and *rebinds* the LazyArray to it (a
functional update). The old value is a node like any other, so ``a[1:] = a[:-1]`` reads the values before the
write, as NumPy's overlap handling gives. Where the new value is elementwise in the old one it fuses with its
neighbours: ``x[mask] = v`` (v broadcasting to x) and ``x[...] = v`` are a ``where`` and a cast in the next
kernel, ``x += y`` is the cast of ``x + y``. A write to part of an array (a slice, index arrays, a mask with
one value per selected element) is a NumPy stage that copies the target and writes into the copy, after the
kernel that computes the values (docs/assign.md).

Views: NumPy's ``y = x[1:]`` aliases x. A LazyArray made by basic indexing or a transpose keeps a link to its
base: a write into the base refreshes the view's node, a write into the view is written into the base (and its
other views). Links are weak: views nobody holds cost nothing.
"""
from __future__ import annotations

import functools
import warnings
import weakref

import numpy as np

from lazyarr.api import build, byte_order, indexing, tracing
from lazyarr.api import masked_update  # (programs #15)
from lazyarr.api import scalar_fold  # (scalar overhead #15)
from lazyarr.api.reshaping import broadcast_to, ravel, reshape
from lazyarr.api.stages import matmul
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, Node
from lazyarr.graph.ops import ARRAY, ELEMENTWISE

# A chain of writes on one LazyArray outside a trace is computed, and the LazyArray rebound to the value, once
# it holds this many writes, or fewer when its steps' buffers (a compute keeps each step's result until the
# end) would pass PENDING_BYTES: a loop of thousands of updates keeps a small graph and bounded memory.
MAX_PENDING_WRITES = 256
PENDING_BYTES = 1 << 28


class Link:
    """What a LazyArray knows about aliasing: its base and how it views it, its live views, pending writes."""
    __slots__ = ("base", "key", "forward", "backward", "views", "writes", "read_only", "unaligned", "layout")

    def __init__(self):
        self.base = None      # the LazyArray this one views
        self.key = None       # the basic key it views the base by (None: another kind of view)
        self.forward = None   # base node -> this view's node
        self.backward = None  # (base node, new view node) -> the base's new node; None: writes are refused
        self.views: list = []  # weak references to LazyArrays viewing this one
        self.writes = 0
        self.read_only = False  # (s20) x.setflags(write=False)
        self.unaligned = False  # (s21) x.setflags(align=False): only reported by x.flags
        self.layout = None  # (s21) (shape, NumPy's strides or None) from before the first write: writes keep them


def set_read_only(array, flag: bool) -> None:
    """(s20) ``x.setflags(write=...)``. As NumPy, a view of a read-only array cannot be made writable."""
    if not flag and array is not None:
        link = getattr(array, "_link", None)
        base = None if link is None else link.base
        if base is not None and is_read_only(base):
            raise ValueError("cannot set WRITEABLE flag to True of this array")
    _link(array).read_only = flag


def set_unaligned(array, flag: bool) -> None:
    _link(array).unaligned = flag


def is_read_only(array) -> bool:
    """Whether writes into `array` are refused: it, or an array it views, was made read-only."""
    link = getattr(array, "_link", None)
    while link is not None:
        if link.read_only:
            return True
        link = getattr(link.base, "_link", None) if link.base is not None else None
    return False


def _link(array) -> Link:
    link = getattr(array, "_link", None)
    if link is None:
        link = array._link = Link()
    return link


# -- views ---------------------------------------------------------------------------------------------------

def register_view(base, view, forward, backward=None) -> None:
    """`view` aliases `base` as NumPy's view does: forward(base node) is its node; backward(base node, view
    node) the base's node after a write into the view (None: such a write raises, naming the line)."""
    link = _link(view)
    link.base, link.forward, link.backward = base, forward, backward
    views = _link(base).views
    if len(views) > 8:  # drop the dead ones now and then
        views[:] = [r for r in views if r() is not None]
    views.append(weakref.ref(view))


def register_basic_view(base, view, key) -> None:
    """``view = base[key]`` with a basic key (not a scalar result). The key is parsed again only when a write
    needs it: most views (``u[:-2] + u[2:]``) die before any write."""
    shape, parsed = view.shape, []

    def canonical() -> tuple:
        if not parsed:
            entries, _, _ = indexing.parse(base._node, key)
            parsed.append(indexing.canonical(entries, base.shape))
        return parsed[0]

    def forward(node: Node) -> Node:
        return indexing.basic(node, canonical(), shape)

    def backward(base_node: Node, new: Node) -> Node:
        return _basic_update(base_node, canonical(), new)

    register_view(base, view, forward, backward)
    view._link.key = key


def register_transpose(base, view, axes: tuple) -> None:
    inverse = [0] * len(axes)  # (s14 lazyover) argsort of a permutation, without NumPy's call (X.T in a loop)
    for i, axis in enumerate(axes):
        inverse[axis] = i
    inverse = tuple(inverse)
    register_view(base, view, lambda node: build.transpose(node, axes),
                  lambda _, new: build.transpose(new, inverse))


def register_function_view(base, view, func, args: tuple, kwargs: dict) -> None:
    """``view = func(base, *args, **kwargs)`` for a NumPy function whose result is a view (reshape, swapaxes,
    flip, ...): the view follows writes into `base`. A write into a view that only changes the shape (reshape,
    ravel, squeeze, ...) is the same elements in the same order, so it is the new view reshaped back to the
    base's shape; a write into the other views raises (no inverse is kept)."""
    make = type(base)
    order = _element_order(func, args, kwargs)
    backward = None
    if order is not None:
        base_shape = base.shape
        backward = lambda _, new: reshape(new, base_shape, order)  # noqa: E731
    elif func in _READ_ONLY_VIEWS:  # NumPy's views that refuse writes: "assignment destination is read-only"
        set_read_only(view, True)
    else:
        backward = _axes_inverse(func, base.shape, args, kwargs)
    register_view(base, view, lambda node: func(make(node), *args, **kwargs)._node, backward)


def register_gather_view(base, view, forward, flat_index) -> None:
    """(s21) A view whose element i is the base's flat element ``flat_index()[i]`` (an integer array of the view's
    shape, asked for at the first write). A write into it scatters the view's new values back there."""
    base_shape, index = base.shape, []

    def backward(base_node: Node, new: Node) -> Node:
        if not index:
            index.append(flat_index())
        flat = reshape(base_node, (-1,))
        return reshape(updated(flat, index[0], new), base_shape)

    register_view(base, view, forward, backward)


@functools.lru_cache(maxsize=256)
def _signed_permutation(func, ndim: int, args: tuple, kwargs: tuple):
    """(the inverse permutation, the view's reversed axes) if ``func(x, *args, **kwargs)`` of an `ndim`-d x only
    reorders and reverses its axes, else None. The probe has axis lengths 2, 3, 4, ... and distinct strides,
    which say where each axis went (the answer depends on the number of axes, not on their lengths)."""
    shape = tuple(range(2, ndim + 2))
    strides = tuple(2 ** i for i in range(ndim))
    probe = np.lib.stride_tricks.as_strided(np.empty(1, np.uint8), shape, strides, writeable=False)
    try:
        view = func(probe, *args, **dict(kwargs))
    except Exception:  # noqa: BLE001 (the view was built already: only the probe's call failed)
        return None
    if not isinstance(view, np.ndarray) or view.ndim != ndim:
        return None
    perm = [strides.index(abs(s)) if abs(s) in strides else -1 for s in view.strides]
    if sorted(perm) != list(range(ndim)) or view.shape != tuple(shape[p] for p in perm):
        return None
    return tuple(perm.index(axis) for axis in range(ndim)), tuple(i for i, s in enumerate(view.strides) if s < 0)


# (s20) NumPy's np.diagonal and np.broadcast_to give read-only views
_READ_ONLY_VIEWS = frozenset([np.diagonal, np.broadcast_to])


def _axes_inverse(func, shape: tuple, args: tuple, kwargs: dict):
    """(s20) The write back through a view that only reorders and reverses axes (np.flip, fliplr, flipud, swapaxes,
    moveaxis, rollaxis, transpose, rot90), or None for another view (a write into it then raises, naming the line).

    NumPy's own call on a probe of no memory whose axes have distinct strides says what the view is: view axis i
    is base axis perm[i] (its stride), reversed where the stride is negative. The base's new value is the new
    view's, those axes reversed again and the permutation undone."""
    ndim = len(shape)
    try:
        found = _signed_permutation(func, ndim, args, tuple(sorted(kwargs.items())))
    except TypeError:  # (an argument that does not hash, a list of axes: asked without the cache)
        found = _signed_permutation.__wrapped__(func, ndim, args, tuple(sorted(kwargs.items())))
    if found is None:
        return None
    inverse, reversed_axes = found

    def backward(_, new: Node) -> Node:
        if reversed_axes:
            key = tuple(slice(None, None, -1) if i in reversed_axes else slice(None) for i in range(ndim))
            new = indexing.index(new, key)[0]
        return build.transpose(new, inverse) if inverse != tuple(range(ndim)) else new

    return backward


def numpy_strides(array) -> tuple | None:
    """(s21) The strides NumPy's array would have where they are not C's, or None (C-contiguous, or not known):
    an input's own; an array written in place keeps the layout it had before its first write (NumPy's writes
    never move memory; ``link.layout``); an elementwise result of Fortran-ordered operands of its shape is
    Fortran-ordered, as NumPy's K-order result is (a few levels deep; beyond, C is assumed as before)."""
    link = getattr(array, "_link", None)
    if link is not None and link.layout is not None and link.layout[0] == array.shape:
        return link.layout[1]  # (a record of another shape is stale: x.resize(), x.shape = s)
    return _strides_of(array._node, 4)


def numpy_order(array) -> str:
    """(s21) "F" where NumPy's array is Fortran-ordered and not C-ordered (``numpy_strides``), else "C"."""
    strides = numpy_strides(array)
    return "F" if strides is not None and _fortran(array.shape, strides, array.dtype.itemsize) else "C"


def _strides_of(node: Node, depth: int) -> tuple | None:
    if node.op == expr.LEAF:
        data = node.data
        return None if data.flags.c_contiguous else data.strides
    if depth == 0 or not node.shape or node.op not in ELEMENTWISE or node.op == "copy":
        return None  # (a copy node is x.copy(), C by default, as often as np.copy(x), which keeps the layout)
    arrays = [a for a in node.args if a.op != CONST and a.shape]
    if not arrays or any(a.shape != node.shape for a in arrays):
        return None
    for a in arrays:
        strides = _strides_of(a, depth - 1)
        if strides is None or not _fortran(a.shape, strides, a.dtype.itemsize):
            return None
    step, strides = node.dtype.itemsize, []
    for n in node.shape:
        strides.append(step)
        step *= max(n, 1)
    return tuple(strides)


def _fortran(shape: tuple, strides: tuple, itemsize: int) -> bool:
    step = itemsize
    for n, stride in zip(shape, strides):
        if n > 1 and stride != step:
            return False
        step *= max(n, 1)
    return True


def reshape_is_a_view(node: Node, shape, order: str, array=None) -> bool:
    """(s20) Whether NumPy's ``reshape(shape, order)`` (``ravel`` is ``reshape(-1)``) of this value is a view, not a
    copy: decided by NumPy itself (``copy=False`` raises where a copy is needed) on a probe of no memory laid out
    as the value is. An input (or a view of one) has its own strides; a computed value is C-contiguous, as NumPy's
    fresh results of C inputs are. (``x.reshape(s, order="F")`` of a C array of 2+ dimensions is a copy in NumPy:
    linking it as a view sent writes into it back to x.)"""
    strides = numpy_strides(array) if array is not None else None
    if strides is not None and node.op != expr.LEAF:  # (s21) laid out otherwise than C in NumPy
        return _view_by_numpy(node.shape, strides, node.dtype.itemsize, tuple(shape), order)
    if node.op != expr.LEAF:  # C-contiguous: NumPy's C-order reshape (and A, K) is always a view
        if order != "F":
            return True
        strides, step = [], node.dtype.itemsize
        for n in reversed(node.shape):
            strides.append(step)
            step *= max(n, 1)
        strides = tuple(reversed(strides))
    else:
        flags = node.data.flags
        if flags.c_contiguous and order != "F" or flags.f_contiguous and order in ("F", "A", "K"):
            return True  # (the common cases, without a probe: reshape is on graph building's hot path)
        strides = node.data.strides
    return _view_by_numpy(node.shape, strides, node.dtype.itemsize, tuple(shape), order)


@functools.lru_cache(maxsize=1024)
def _view_by_numpy(shape: tuple, strides: tuple, itemsize: int, new_shape: tuple, order: str) -> bool:
    """NumPy's answer for a probe of no memory: does ``reshape(new_shape, order)`` need a copy?"""
    probe = np.lib.stride_tricks.as_strided(np.empty(1, f"V{itemsize}"), shape, strides, writeable=False)
    if order == "A":
        order = "F" if probe.flags.f_contiguous and not probe.flags.c_contiguous else "C"
    elif order == "K":
        return probe.flags.c_contiguous or probe.flags.f_contiguous or len(shape) <= 1
    try:
        np.reshape(probe, new_shape, order=order, copy=False)
    except (ValueError, TypeError):
        return False
    return True


# Views that keep the elements in their order and change the shape only (the array API suite's arrays are
# xp.reshape views, and test_asarray_arrays writes into them).
_SHAPE_ONLY_VIEWS = frozenset([np.reshape, np.ravel, np.squeeze, np.expand_dims, np.atleast_1d, np.atleast_2d,
                               np.atleast_3d])


def _element_order(func, args: tuple, kwargs: dict) -> str | None:
    """The order ("C" or "F") a shape-only view reads its base in; None for other views."""
    if func not in _SHAPE_ONLY_VIEWS:
        return None
    positional = {np.reshape: 1, np.ravel: 0}.get(func)  # where `order` is among args (after the array)
    order = args[positional] if positional is not None and len(args) > positional else kwargs.get("order", "C")
    return order if order in ("C", "F") else None


# NumPy functions whose result views their first argument (for a contiguous array: reshape and ravel too).
VIEW_FUNCTIONS = frozenset([np.reshape, np.ravel, np.squeeze, np.expand_dims, np.swapaxes, np.moveaxis,
                            np.rollaxis, np.transpose, np.diagonal, np.flip, np.fliplr, np.flipud, np.rot90,
                            np.broadcast_to, np.atleast_1d, np.atleast_2d, np.atleast_3d, np.real, np.imag])


def _refresh_views(array, skip=None) -> None:
    """Give every live view of `array` (and theirs) its node over `array`'s new node."""
    link = getattr(array, "_link", None)
    if link is None or not link.views:
        return
    stack = [array]
    while stack:
        current = stack.pop()
        for ref in getattr(current, "_link", Link()).views:
            view = ref()
            if view is None or view is skip:
                continue
            view._node = view._link.forward(current._node)
            stack.append(view)


def rebind(array, node: Node, what: str) -> None:
    """The LazyArray `array` takes the value `node` (a write); its views and bases follow."""
    if node.dtype != array._node.dtype or node.shape != array.shape:
        raise AssertionError(f"lazyarr: {what} built a value of {node.dtype} {node.shape} for an array of "
                             f"{array._node.dtype} {array.shape}")
    if byte_order.seen:  # (s16 sweepd) a write never changes an array's dtype: a non-native order is kept
        kept = array.dtype
        if byte_order.is_non_native(kept):
            byte_order.marked(array, kept)
    link = getattr(array, "_link", None)
    if link is not None and is_read_only(array):  # (s20) x.setflags(write=False), or a view of such an x
        raise ValueError(f"lazyarr: {what}: assignment destination is read-only")
    while link is not None and link.base is not None:  # (checked before anything changes)
        if link.backward is None:
            raise TypeError(f"lazyarr: {what} writes into a view made by a function lazyarr cannot write "
                            f"through, at {_where()}: write into the base array instead, or copy the view "
                            "(np.array(view) or view.copy()) and write into the copy")
        link = getattr(link.base, "_link", None)
    _keep_layout(array)
    array._node = node
    _refresh_views(array)
    child = array
    link = getattr(child, "_link", None)
    while link is not None and link.base is not None:
        base = link.base
        _keep_layout(base)
        base._node = link.backward(base._node, child._node)
        _refresh_views(base, skip=child)
        child, link = base, getattr(base, "_link", None)
    # (s18) the write counts against the array that owns the values: through a view (``A[:, j] -= v``: the
    # view's ``-=``, then Python's ``A[:, j] = view``, a no-op) it is the base that holds writes, which an ask
    # rebinds to its value (api/realise.py) and a long chain computes. Counted on the view, the base was never
    # rebound and each ask computed its whole history again: lazy gramschmidt took 7.7 s at n = 30 (NumPy 1 ms)
    _maybe_realise(child)


def _keep_layout(array) -> None:
    """(s21) Before an array's first write: the layout NumPy's array has, which its writes keep."""
    link = getattr(array, "_link", None)
    if (link is None or link.layout is None or link.layout[0] != array.shape) and array.shape:
        _link(array).layout = (array.shape, numpy_strides(array))


def _where() -> str:
    return tracing.user_line().strip()


def _maybe_realise(array) -> None:
    """Compute a long chain of writes (outside a trace) so the graph does not grow without bound."""
    link = _link(array)
    link.writes += 1
    if not tracing.tracing_threads and link.base is None:
        remember_written(array)  # (programs #15) api/realise.py rebinds it when a value it feeds is asked for
    limit = min(MAX_PENDING_WRITES, max(4, PENDING_BYTES // (2 * max(array.size * array.dtype.itemsize, 1))))
    if link.writes < limit or tracing.tracing_threads or link.base is not None:
        return
    link.writes = 0
    WRITTEN.pop(id(array), None)  # (programs #15)
    value = np.asarray(array)
    if not value.flags.owndata or value.base is not None:
        value = value.copy()
    array._node = build.array_leaf(value)
    _refresh_views(array)


# -- values ----------------------------------------------------------------------------------------------------

def _value_node(value, dtype: np.dtype, what: str) -> Node:
    """The node of a value assigned into an array of `dtype`, cast as NumPy's assignment casts it ('unsafe',
    with NumPy's errors for Python numbers out of range or NaN into an integer, and its ComplexWarning). A
    NumPy value is copied now: NumPy's assignment reads it at once."""
    if not dtype.isnative:  # (s16 sweepd) an array of NumPy's non-native order: its values are native here
        dtype = dtype.newbyteorder("=")
    node = getattr(value, "_node", None)
    if node is not None and node.is_const and node.dtype.kind in "fc" and dtype.kind in "iub":
        # (s14) a Python number (a traced argument too) into integers: NumPy converts the number itself and raises
        # for NaN or out of range; a cast node would wrap silently. float() asks for the value (a traced number
        # becomes static), then the plain-number path below converts it as NumPy does.
        value, node = (complex(value) if node.dtype.kind == "c" else float(value)), None
    elif node is not None and dtype.kind in "iub" and not node.shape and not getattr(value, "_array0", True) \
            and not np.can_cast(node.dtype, dtype):
        # (s15) a NumPy scalar (a fused function's scalar argument, a reduction) into integers: NumPy converts it
        # as a Python number (OverflowError out of range, ValueError for NaN), where a cast node wraps. Its value
        # is asked for (a graph break in a trace) and NumPy's own assignment below converts it.
        value, node = value.compute(), None
    if node is not None:
        if node.dtype == dtype:
            return node
        if node.dtype.kind == "c" and dtype.kind != "c":
            warnings.warn("Casting complex values to real discards the imaginary part",
                          np.exceptions.ComplexWarning, stacklevel=4)
        return build.cast(node, dtype, what)
    if isinstance(value, Node):
        return build.cast(value, dtype, what) if value.dtype != dtype else value
    shape = np.shape(value)
    converted = np.empty(shape, dtype)
    converted[...] = value  # NumPy's own conversion: its errors and warnings, here
    if not shape:
        return expr.const(converted[()], dtype, weak=False)
    converted.flags.writeable = False
    return expr.leaf(converted)


def _check_value_shape(value_shape: tuple, target_shape: tuple) -> None:
    """NumPy's rule for an assigned value: it broadcasts to the selection, leading length-1 axes dropped."""
    shape = tuple(value_shape)
    while len(shape) > len(target_shape) and shape[0] == 1:
        shape = shape[1:]
    try:
        ok = np.broadcast_shapes(shape, target_shape) == tuple(target_shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"lazyarr: could not broadcast input array from shape {tuple(value_shape)} into shape "
                         f"{tuple(target_shape)}")


def _full(node: Node, shape: tuple) -> Node:
    """`node` broadcast to `shape` as an elementwise value (a constant becomes a fused fill)."""
    if node.shape == shape:
        return node
    if node.op == CONST:
        return build.full(shape, node.data, node.dtype)
    while node.ndim > len(shape):  # (leading length-1 axes, checked by _check_value_shape)
        node = indexing.basic(node, (0,) + indexing.whole(node.shape[1:]), node.shape[1:])
    return broadcast_to(node, shape)


def _whole(v: Node, shape: tuple) -> Node:
    """The new value of an array all of which is assigned `v` (``s[...] = v``, ``np.copyto(s, v)``)."""
    value = _full(v, shape)
    if value.op == expr.LEAF and tracing.tracing_threads:
        # (s20) s's value is then v's leaf, which is memory: inside @la.fuse an argument (or a view of one) that
        # the program may write in place later (``x += 1``), while s, NumPy's copy, keeps the values it took
        # here. A copy node is computed where the scheduler orders reads before writes; returned, it is s's
        # own array, not the caller's x.
        return build.unary("copy", value)
    return value


# -- x[key] = v ------------------------------------------------------------------------------------------------

def setitem(array, key, value) -> None:
    """``array[key] = value``."""
    if _is_own_view(array, key, value):
        return  # ``x[1:] += y``: Python's `x[1:] = view` after the view's += already wrote through
    rebind(array, updated(array._node, key, value), "item assignment")


def _is_own_view(array, key, value) -> bool:
    """Whether `value` is a live view of `array` by the same basic key: then it always equals array[key]."""
    link = getattr(value, "_link", None)
    if link is None or link.base is not array or link.key is None:
        return False
    try:
        return bool(link.key == key)
    except (ValueError, TypeError):
        return False


def updated(node: Node, key, value) -> Node:
    """The value of ``x[key] = value`` for x of `node`: NumPy's errors for the key and the value, now."""
    mask = _lazy_mask(key)
    if mask is not None:
        lanes = getattr(type(value), "where_into", None)  # (lanes #15) x[m] = a deferred selection by m: a where
        rewritten = lanes(value, node, mask) if lanes is not None else None
        return rewritten if rewritten is not None else _masked(node, mask, value)
    if type(key) is np.ndarray and hasattr(type(value), "where_into"):  # (programs #15) x[numpy_mask] = x[m]...
        rewritten = value.where_into(node, key)
        if rewritten is not None:
            return rewritten
    known = indexing.plain_key(node, key)  # (s15 build) ints and int-bounded slices: parsed once per shape
    if known is not None:
        v = _value_node(value, node.dtype, "item assignment")
        _check_value_shape(v.shape, known[1])
        return node if 0 in known[1] else _basic_update(node, known[0], v)
    entries, shape, _ = indexing.parse(node, key)
    v = _value_node(value, node.dtype, "item assignment")
    _check_value_shape(v.shape, shape)
    if 0 in shape:
        return node
    if indexing.is_basic(entries):
        return _basic_update(node, indexing.canonical(entries, node.shape), v)
    arrays = [e for e in entries if isinstance(e, np.ndarray)]
    if len(arrays) == 1 and arrays[0].dtype == np.bool_ and arrays[0].ndim > 0 and len(entries) == 1:
        return _masked(node, expr.leaf(arrays[0]), v)
    return _advanced_update(node, entries, v)


def _basic_update(node: Node, key: tuple, v: Node) -> Node:
    """``x[key] = v`` for a canonical basic key: a fused fill or cast for the whole array, else a stage."""
    if indexing.is_identity(key, node.shape) and None not in key:
        return _whole(v, node.shape)
    region = indexing.result_shape(key, node.shape)
    if v.op != CONST and v.fusable:  # v of the region's shape: its kernel can write the region (SliceWrite)
        v = _full(v, region)
    return build.numpy_stage("setitem", (node, v), (("key", key),), node.shape, node.dtype)


def _advanced_update(node: Node, entries: tuple, v: Node) -> Node:
    """``x[key] = v`` with index arrays: NumPy's scatter (the last of duplicate indices wins) on a copy."""
    arrays, template = indexing.key_operands(entries)
    return build.numpy_stage("advanced_setitem", (node, v, *arrays), (("key", template),),
                             node.shape, node.dtype)


def _lazy_mask(key):
    """A LazyArray boolean mask used as the key (alone), else None."""
    node = getattr(key, "_node", None)
    if node is None and type(key) is tuple and len(key) == 1:
        node = getattr(key[0], "_node", None)
    if node is not None and node.dtype != np.bool_:
        return None  # a lazy integer index: indexing refuses it with its own message
    return node


def _masked(node: Node, mask: Node, value) -> Node:
    """``x[mask] = v``: ``where(mask, v, x)`` when v broadcasts to x's element shape (fused), else NumPy's
    scatter of one value per selected element (a stage; a lazy mask is an operand of it)."""
    k = mask.ndim
    if mask.shape != node.shape[:k]:
        raise IndexError(f"lazyarr: boolean index of shape {mask.shape} does not match the indexed array of "
                         f"shape {node.shape}")
    v = _value_node(value, node.dtype, "item assignment")
    rest = node.shape[k:]
    trailing = v.shape
    while len(trailing) > len(rest) and trailing[0] == 1:
        trailing = trailing[1:]
    if len(trailing) <= len(rest) and _broadcasts(trailing, rest):
        full_mask = indexing.basic(mask, indexing.whole(mask.shape) + (None,) * len(rest),
                                   mask.shape + (1,) * len(rest)) if rest else mask
        return build.where(full_mask, _full(v, node.shape) if v.op != CONST else v, node)
    rewritten = masked_update.as_where(node, mask, v)  # (programs #15) x[m] = f(x[m], y[m]): one fused where
    if rewritten is not None:
        return rewritten
    if mask.op == expr.LEAF and not tracing.active():  # the count is known: NumPy's error for a wrong number
        # of values, now (in a trace a leaf may be a placeholder, zero-filled: the stage checks at run time)
        count = int(np.count_nonzero(mask.data))
        _check_value_shape(v.shape, (count,) + rest)
    return build.numpy_stage("advanced_setitem", (node, v, mask), (("key", ((ARRAY, 0),)),),
                             node.shape, node.dtype)


def _broadcasts(shape: tuple, target: tuple) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


# -- x op= y -----------------------------------------------------------------------------------------------------

def inplace(array, ufunc, other, symbol: str):
    """``array op= other``: NumPy's ``ufunc(array, other, out=array)``: the result's shape must be the
    array's, and it is cast back under 'same_kind' (NumPy's UFuncTypeError otherwise)."""
    folded = _scalar_inplace(array, ufunc, other)  # (scalar overhead #15)
    if folded is not None:
        return folded
    if _holds_a_scalar(array):  # NumPy's scalars are immutable: `x op= y` is `x = x op y`
        return type(array)(build.ufunc_node(ufunc, (array, other), symbol + "="))
    if ufunc is np.matmul:
        result = matmul(array, other)
    elif ufunc is np.power:  # (s15 sweep) ``**=`` is an operator: NumPy's scalar-power fast paths, float16's too
        result = scalar_fold.fold(build.general_ufunc_node(ufunc, (array, other), symbol + "=", operator=True))
    else:
        result = build.ufunc_node(ufunc, (array, other), symbol + "=")
    if result.shape != array.shape:
        raise ValueError(f"lazyarr: {symbol}=: non-broadcastable output operand with shape {array.shape} "
                         f"doesn't match the broadcast shape {result.shape}")
    _check_out_cast(ufunc, array.dtype, other, result.dtype, "same_kind")
    new = result if result.dtype == array.dtype else scalar_fold.fold(build.cast(result, array.dtype, symbol + "="))
    rebind(array, new, f"{symbol}=")
    return array


def _scalar_inplace(array, ufunc, other):
    """(scalar overhead #15) ``x op= y`` of a constant x (a value NumPy holds as a scalar: an element read or
    scalar work, api/scalar_fold.py), neither a view nor viewed, whose result NumPy gives in x's dtype: a new
    LazyArray of the constant computed now, which Python binds to x's name; None otherwise. Not x rebound in
    place: NumPy's scalars are immutable, so ``mid = t; t += y`` leaves ``mid`` as it was (#15, s8)."""
    if getattr(array, "_link", None) is not None or array._array0:
        return None
    value = scalar_fold.call(ufunc, (array, other))
    if value is None or value.dtype != array.dtype:
        return None
    return type(array)(value)


def _holds_a_scalar(array) -> bool:
    """Whether NumPy holds this 0-d value as a scalar, not a 0-d array: an operation's 0-d result (a ufunc of
    scalars, a reduction, an element read), neither a view nor viewed. A 0-d array (``_array0``: the user's,
    a fused function's argument, ``zeros(())``, ``x.reshape(())``) is updated in place, so an alias
    (``mid = t``) sees the write; a scalar's alias keeps the old value."""
    return array.ndim == 0 and not array._array0 and getattr(array, "_link", None) is None


def _check_out_cast(ufunc, out_dtype: np.dtype, other, result_dtype: np.dtype, casting: str) -> None:
    """NumPy's error for writing a ufunc's result into `out_dtype` under `casting` (its UFuncTypeError)."""
    if np.can_cast(result_dtype, out_dtype, casting):
        return
    operand = other if type(other) in (int, float, complex, bool) else np.ones((), getattr(other, "dtype", None)
                                                                                   or np.asarray(other).dtype)
    with np.errstate(all="ignore"):
        ufunc(np.ones((), out_dtype), operand, out=np.ones((), out_dtype), casting=casting)
    raise TypeError(f"lazyarr: cannot write a {result_dtype} result into an array of {out_dtype} with casting "
                    f"rule {casting!r}")


def numpy_out_error(ufunc, inputs, out_dtype, dtype=None, casting: str = "same_kind") -> None:
    """(s15 sweep) A ufunc's result NumPy cannot write into an `out` of `out_dtype`: NumPy's own error (its
    UFuncTypeError, a TypeError `except` clauses may name), raised by the ufunc on 0-d stand-ins of the operands."""
    probes = [x if type(x) in (bool, int, float, complex) else
              np.ones((), x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype) for x in inputs]
    with np.errstate(all="ignore"):
        ufunc(*probes, out=np.ones((), out_dtype), dtype=dtype, casting=casting)


def assign_out(target, result, casting: str = "same_kind", where=True, what: str = "out="):
    """A function's result written into the LazyArray `target` named by ``out=`` (NumPy's shape and casting
    rules); returns `target`."""
    node = build.to_node(result, what)
    if not np.can_cast(node.dtype, target.dtype, casting):
        raise TypeError(f"lazyarr: {what}: cannot cast the result from {node.dtype} to {target.dtype} "
                        f"according to the rule {casting!r}")
    if not _broadcasts(node.shape, target.shape):
        raise ValueError(f"lazyarr: {what}: non-broadcastable output operand with shape {target.shape} "
                         f"doesn't match the broadcast shape {node.shape}")
    node = _whole(build.cast(node, target.dtype, what) if node.dtype != target.dtype else node, target.shape)
    if where is not True:
        node = build.where(where, node, target._node)
    rebind(target, node, what)
    return target


def write_out(result, out, casting: str, what: str):
    """(s20) ``out=`` of a NumPy function that is not a ufunc (cumsum, median, round, outer, ...): `result` (a
    LazyArray) written into `out`, which has the result's shape, cast by `casting` (NumPy's rule for that
    function); a LazyArray `out` is rebound to the value, an ndarray written now. Returns `out`, as NumPy does."""
    if isinstance(out, np.ndarray) or build.is_lazy(out):
        if out.shape != result.shape:
            raise ValueError(f"lazyarr: {what}: the output array has shape {out.shape}, the result {result.shape}")
    if build.is_lazy(out):
        return assign_out(out, result, casting, True, what)
    if isinstance(out, np.ndarray) and out.dtype != result.dtype:
        if not np.can_cast(result.dtype, out.dtype, casting):
            raise TypeError(f"lazyarr: {what}: cannot cast the result from {result.dtype} to {out.dtype} "
                            f"according to the rule {casting!r}")
        result = type(result)(build.cast(result._node, out.dtype, what))  # cast in the kernel, as NumPy's loop
    result.compute(out=out)
    return out


# -- methods and NumPy functions that write ----------------------------------------------------------------------

def fill(array, value) -> None:
    """``x.fill(value)``: NumPy's scalar conversion (its errors), then a fused fill."""
    v = _value_node(value, array.dtype, "fill()")
    if v.shape:
        raise ValueError("lazyarr: fill(): the value must be a scalar")
    rebind(array, _whole(v, array.shape), "fill()")


def sort(array, axis=-1, kind=None, order=None, stable=None) -> None:
    """``x.sort()``: x takes ``np.sort(x)``'s value."""
    kwargs = {"axis": axis, "kind": kind, "order": order}
    if stable is not None:
        kwargs["stable"] = stable
    result = np.sort(array, **kwargs)
    rebind(array, build.to_node(result, "sort()"), "sort()")


def copyto(dst, src, casting="same_kind", where=True) -> None:
    """``np.copyto(dst, src)`` into a LazyArray: NumPy's casting check (on a 0-d probe), then a fused cast or
    ``where``."""
    src_node = build.to_node(src, "copyto's src")
    probe = src if type(src) in (int, float, complex, bool) else np.ones((), src_node.dtype)
    np.copyto(np.ones((), dst.dtype), probe, casting=casting)
    _check_value_shape(src_node.shape, dst.shape)
    v = _value_node(src, dst.dtype, "copyto") if src_node.op != CONST else \
        _value_node(np.asarray(src_node.data, src_node.dtype)[()], dst.dtype, "copyto")
    new = _whole(v, dst.shape)
    if where is not True:
        new = build.where(where, new, dst._node)
    rebind(dst, new, "np.copyto")


def put(a, ind, v, mode="raise") -> None:
    """``np.put``: flat indices, values repeated as NumPy repeats them; out-of-range indices raise now."""
    indices = np.asarray(ind)
    if indices.dtype.kind not in "iub":
        indices = indices.astype(np.intp, casting="same_kind")
    if mode == "raise" and indices.size:
        bad = indices[(indices < -a.size) | (indices >= a.size)]
        if bad.size:
            raise IndexError(f"lazyarr: np.put: index {int(bad[0])} is out of bounds for axis 0 with size "
                             f"{a.size}")
    values = _value_node(v, a.dtype, "np.put")
    if indices.size == 0:
        return
    if values.size == 0:
        raise ValueError("lazyarr: np.put: cannot replace elements of an empty array") if a.size == 0 else \
            ValueError("lazyarr: np.put: values must not be empty")
    node = build.numpy_stage("put", (a._node, values, expr.leaf(indices.copy())), (("mode", mode),),
                             a.shape, a.dtype)
    rebind(a, node, "np.put")


def _mask_node(mask, shape: tuple, what: str) -> Node:
    node = build.to_node(mask, what)
    if node.dtype != np.bool_:
        node = build.cast(node, np.dtype(bool), what)
    if node.shape != shape:
        raise ValueError(f"lazyarr: {what}: the mask has shape {node.shape}, the array {shape}")
    return node


def place(arr, mask, vals) -> None:
    """``np.place``: values taken in order, cycled, where the mask is true."""
    m = _mask_node(mask, arr.shape, "np.place")
    _safe_values(np.place, arr.dtype, vals, "np.place")
    values = _value_node(vals, arr.dtype, "np.place")
    node = build.numpy_stage("place", (arr._node, m, _flat(values)), (), arr.shape, arr.dtype)
    rebind(arr, node, "np.place")


def putmask(a, mask, values) -> None:
    """``np.putmask``: a fused ``where`` when values has a's shape (or one value), else NumPy's cycling."""
    m = _mask_node(mask, a.shape, "np.putmask")
    _safe_values(np.putmask, a.dtype, values, "np.putmask")
    v = _value_node(values, a.dtype, "np.putmask")
    if v.op == CONST or v.shape == a.shape:
        rebind(a, build.where(m, v, a._node), "np.putmask")
        return
    node = build.numpy_stage("putmask", (a._node, m, v), (), a.shape, a.dtype)
    rebind(a, node, "np.putmask")


def _safe_values(func, dtype: np.dtype, values, what: str) -> None:
    """(s20) np.place and np.putmask convert an *array* of values by the 'safe' rule (an int64 array into float32
    raises TypeError; a list or a number is converted as NumPy's assignment converts it): NumPy's own call on
    probes of no work gives its error."""
    if isinstance(values, np.ndarray) or build.is_lazy(values):
        try:
            func(np.zeros(1, dtype), np.zeros(1, bool), np.zeros(1, values.dtype))
        except TypeError as exc:
            raise TypeError(f"lazyarr: {what}: {exc}") from None


def _flat(node: Node) -> Node:
    if node.op == CONST or node.ndim == 1:
        return node
    return ravel(node)


def ufunc_at(ufunc, a, indices, b=None) -> None:
    """``ufunc.at(a, indices, b)``: NumPy's unbuffered in-place op on a copy (repeated indices accumulate)."""
    if getattr(np, ufunc.__name__, None) is not ufunc:
        raise TypeError(f"lazyarr: {ufunc.__name__}.at on a LazyArray: only NumPy's own ufuncs are supported; "
                        "compute the array first")
    entries, shape, _ = indexing.parse(a._node, indices)
    operands = []
    if b is not None:
        b_node = build.to_node(b, f"{ufunc.__name__}.at's b")
        probe = b if type(b) in (int, float, complex, bool) else np.ones((), b_node.dtype)
        with np.errstate(all="ignore"):
            ufunc.at(np.ones(1, a.dtype), [0], probe)  # NumPy's casting errors, on one element
        _check_value_shape(b_node.shape, shape)
        operands.append(b_node)
    else:
        with np.errstate(all="ignore"):
            ufunc.at(np.ones(1, a.dtype), [0])
    arrays, template = indexing.key_operands(entries)
    params = (("has_b", b is not None), ("key", template), ("ufunc", ufunc.__name__))
    node = build.numpy_stage("ufunc_at", (a._node, *arrays, *operands), params, a.shape, a.dtype)
    rebind(a, node, f"{ufunc.__name__}.at")


# NumPy functions that write into a LazyArray argument, and how (``__array_function__`` looks here first).
def _copyto(dst, src, casting="same_kind", where=True):
    copyto(dst, src, casting, where)


WRITING_FUNCTIONS = {np.copyto: (_copyto, 0), np.put: (put, 0), np.place: (place, 0),
                     np.putmask: (putmask, 0)}


def writes_lazy(func, args: tuple, kwargs: dict) -> bool:
    """Whether `func` is a NumPy function that writes into a LazyArray lazyarr can update."""
    entry = WRITING_FUNCTIONS.get(func)
    if entry is None:
        return False
    target = args[entry[1]] if len(args) > entry[1] else next(iter(kwargs.values()), None)
    return build.is_lazy(target)


def call_writer(func, args: tuple, kwargs: dict) -> None:
    WRITING_FUNCTIONS[func][0](*args, **kwargs)


# (assignment stages: api/assign_stages.py) the value and shape rules its writes share with these
value_node = _value_node
check_value_shape = _check_value_shape


# --- (programs #15) a LazyArray rebound to a value computed for Python (api/realise.py) ---------------------
# The live LazyArrays holding writes not yet computed (that view no other), outside traces: weak, so an array
# nobody holds costs nothing. Found here rather than in the user's frames: reading a frame's locals in Python
# 3.11 leaves a snapshot dict on the frame that kept the user's deleted arrays alive.
# (id -> weak reference: a LazyArray is not hashable, as an ndarray is not)
WRITTEN: dict[int, weakref.ref] = {}


def remember_written(array) -> None:
    if len(WRITTEN) > 256:  # drop the dead now and then
        for key in [k for k, ref in WRITTEN.items() if ref() is None]:
            del WRITTEN[key]
    WRITTEN[id(array)] = weakref.ref(array)


def realised(array, value: np.ndarray) -> None:
    """`array` (a LazyArray that views no other) now stands for `value`, computed from its node: a leaf, so
    later graphs read the value instead of its history; its views follow."""
    array._node = build.array_leaf(value)
    _link(array).writes = 0
    WRITTEN.pop(id(array), None)
    _refresh_views(array)
# --- end programs #15 ---
