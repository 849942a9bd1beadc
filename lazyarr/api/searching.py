"""Searching, counting, sorting and data-dependent shapes (issue #13, surface/search).

Three kinds of function, by what their result's shape needs:

- **Shape known at build time** (``searchsorted``, ``digitize``, ``interp``, ``histogram`` with its edges known,
  ``argsort``, ``partition``, ``argpartition``, ``lexsort``, ``median`` and the quantile family): a NumPy stage
  of the op table (``ops.STAGES``), lazy like any other. ``searchsorted``, ``interp`` and uniform-bin
  ``histogram`` counts run parallel kernels (``kernels/counting.py``) when the input is large enough to run in
  parallel, through drivers this module registers with ``ops.register_accelerated``.
- **Shape known only from the values** (``unique*``, ``nonzero``, ``argwhere``, ``flatnonzero``, ``extract``,
  ``compress``, ``bincount``, ``histogram`` with data-dependent edges, ``histogram2d``, ``histogramdd``): the
  graph is computed at the call and the result re-enters as a new leaf, whose ``explain()`` names the step.
  No fallback warning: this is the rule for these functions, not a missing one.
"""
from __future__ import annotations

import inspect
import operator

import numpy as np
from numpy.lib import _histograms_impl as numpy_histograms  # NumPy's own bin-edge rules (outer edges, span)
from numpy.lib.array_utils import normalize_axis_tuple

from lazyarr import config
from lazyarr.api import build
from lazyarr.api import byte_order
from lazyarr.api import tracing
from lazyarr.api.array import LazyArray
from lazyarr.api.fallback import wrap_value
from lazyarr.graph import ops
from lazyarr.kernels import counting
from lazyarr.kernels import threads
from lazyarr.runtime import evaluate as runtime
from lazyarr.runtime import scratch  # (s14 lazyover) interp's output


# --- computing at the call (data-dependent shapes) -----------------------------------------------------------

def values(*operands, what: str) -> list:
    """The operands with every LazyArray computed, all in one pass (a LazyArray's value is read once)."""
    lazy = [x for x in operands if build.is_lazy(x)]
    at_break = [tracing.concrete(x, what) for x in lazy]  # inside @la.fuse: a graph break's values (or its error)
    if lazy and at_break[0] is not None:
        computed = iter(at_break)
    else:
        computed = iter(runtime.evaluate([build.to_node(x) for x in lazy]) if lazy else ())
    if byte_order.seen:  # (s16 sweepd) in NumPy's byte order, which the function's result may keep (np.unique)
        return [byte_order.numpy_value(x, next(computed)) if build.is_lazy(x) else x for x in operands]
    return [next(computed) if build.is_lazy(x) else x for x in operands]


def reason(name: str) -> str:
    return f"computed here: the shape of np.{name} depends on the values"


def wrap_results(result, note: str, owned: tuple = ()):
    """NumPy's result with its new ndarrays (also in tuples and namedtuples) as LazyArrays showing `note`."""
    if type(result) is np.ndarray:
        return result if any(result is o for o in owned) else wrap_value(result, note)
    if isinstance(result, (tuple, list)):
        items = [wrap_results(item, note, owned) for item in result]
        if hasattr(result, "_fields"):
            return type(result)(*items)
        return type(result)(items)
    return result


def data_dependent(func, name: str | None = None):
    """``func`` run at the call on computed operands (positional or keyword), its arrays wrapped again."""
    name = name or func.__name__

    def run(*args, **kwargs):
        keys = list(kwargs)
        computed = values(*args, *kwargs.values(), what=f"np.{name}")
        args, kwargs = computed[:len(args)], dict(zip(keys, computed[len(args):]))
        owned = tuple(v for v in kwargs.values() if isinstance(v, np.ndarray))  # out=
        return wrap_results(func(*args, **kwargs), reason(name), owned)

    run.__name__ = name
    run.__doc__ = f"``numpy.{name}``: computed at the call (its result's shape depends on the values)."
    return run


# --- parallel drivers (registered into the op table's stages) -------------------------------------------------

def parallel(size: int) -> bool:
    """Kernels run where the compiled map kernels would run in parallel; below that NumPy is as fast."""
    return size >= config.parallel_threshold()


def _launch(kernel, *args):
    with threads.launch_lock():
        return kernel(*args)


def _count(kernel, *args):
    """A counting kernel with one row of partial counts per thread."""
    return _launch(kernel, *args, threads.get_num_threads())


def _searchsorted(a, v, *sorter, side):
    reference = ops.STAGES["searchsorted"].numpy.reference
    common = np.result_type(a, v)  # NumPy compares in the common dtype of both
    if sorter or not parallel(v.size) or common.kind not in "iuf" or common.char == "e" or a.ndim != 1:
        return reference(a, v, *sorter, side=side)
    a = np.ascontiguousarray(a, dtype=common)
    queries = np.ascontiguousarray(v, dtype=common).reshape(-1)
    out = scratch.empty((queries.shape[0],), np.intp)  # (s14 lazyover) as interp's
    return _launch(counting.searchsorted, a, queries, side == "right", out).reshape(np.shape(v))


def _interp(x, xp, fp, *, left, right, period):
    reference = ops.STAGES["interp"].numpy.reference
    real = all(np.asarray(t).dtype.kind in "biuf" for t in (x, xp, fp, 0.0 if left is None else left,
                                                           0.0 if right is None else right))
    if period is not None or not real or not parallel(x.size) or xp.ndim != 1 or xp.shape != fp.shape or \
            xp.size == 0:
        return reference(x, xp, fp, left=left, right=right, period=period)
    xp, fp = np.ascontiguousarray(xp, np.float64), np.ascontiguousarray(fp, np.float64)
    left = fp[0] if left is None else np.float64(left)
    right = fp[-1] if right is None else np.float64(right)
    queries = np.ascontiguousarray(x, np.float64).reshape(-1)
    out = scratch.empty((queries.shape[0],), np.float64)  # (s14 lazyover) NumPy's allocator or a kept buffer
    return _launch(counting.interp, queries, xp, fp, left, right, out).reshape(np.shape(x))


def _histogram(a, edges, *weights, uniform, density):
    """Equal bins (NumPy's uniform path) over a large real input: the counting kernel; else NumPy."""
    reference = ops.STAGES["histogram"].numpy.reference
    w = weights[0] if weights else None
    if uniform is None or not parallel(a.size) or edges.dtype != np.float64 or a.dtype.kind not in "iuf" or \
            (w is not None and w.dtype != np.float64):
        return reference(a, edges, *weights, uniform=uniform, density=density)
    first, last = numpy_histograms._get_outer_edges(a, uniform[1])
    span = np.float64(numpy_histograms._unsigned_subtract(last, first))  # NumPy's denominator, as it divides
    x = a.reshape(-1)
    args = (np.float64(first), np.float64(last), span, np.ascontiguousarray(edges))
    if w is None:
        counts = _count(counting.histogram_uniform, x, *args)
    else:
        counts = _count(counting.histogram_uniform_weighted, x, w.reshape(-1), *args)
    if density:  # NumPy's normalisation, in its order
        widths = np.array(np.diff(edges), float)
        return counts / widths / counts.sum()
    return counts


for _name, _driver in {"searchsorted": _searchsorted, "interp": _interp, "histogram": _histogram}.items():
    ops.register_accelerated(_name, _driver)


# --- builders: shapes known at build time ---------------------------------------------------------------------

def _stage(name: str, nodes, kwargs: dict, shape: tuple, dtype) -> LazyArray:
    return LazyArray(build.numpy_stage(name, tuple(nodes), tuple(sorted(kwargs.items())), tuple(shape),
                                       np.dtype(dtype)))


def _small(node) -> np.ndarray:
    """A probe of the node's dtype and rank with at most one element per axis: NumPy checks arguments on it."""
    return np.zeros(tuple(min(d, 1) for d in node.shape), node.dtype)


def _numpy_error(exc: Exception, name: str) -> Exception:
    return type(exc)(f"lazyarr: {name}: {exc}")


def _probe(name: str, func, *args, **kwargs):
    """NumPy's own call on probes: its result (for dtypes), or its error with lazyarr's name in front."""
    try:
        with np.errstate(all="ignore"):
            return func(*args, **kwargs)
    except (TypeError, ValueError, np.exceptions.AxisError) as exc:
        raise _numpy_error(exc, name) from None


def _with_out(result: LazyArray, out):
    if out is None:
        return result
    from lazyarr.api import assign  # (s20) a LazyArray out= too; NumPy's median and percentiles cast unsafely
    return assign.write_out(result, out[0] if isinstance(out, tuple) else out, "unsafe", "out=")


def searchsorted(a, v, side="left", sorter=None):
    a_node, v_node = build.to_node(a), build.to_node(v)
    sorter_node = None if sorter is None else build.to_node(sorter)
    probe_sorter = None if sorter_node is None else np.zeros(min(a_node.size, 1), sorter_node.dtype)
    _probe("searchsorted", np.searchsorted, _small(a_node), _small(v_node), side=side, sorter=probe_sorter)
    if sorter_node is not None and sorter_node.shape != a_node.shape:
        raise ValueError("lazyarr: searchsorted: sorter.size must equal a.size")
    right = np.searchsorted(np.zeros(1), np.zeros(1), side=side)[0] == 1  # NumPy's reading of `side`
    nodes = (a_node, v_node) + (() if sorter_node is None else (sorter_node,))
    return _stage("searchsorted", nodes, {"side": "right" if right else "left"}, v_node.shape, np.intp)


def _monotonic(bins: np.ndarray) -> int:
    """1 if non-decreasing, -1 if non-increasing, 0 otherwise (np.digitize's test, through NumPy)."""
    return int(np.lib._function_base_impl._monotonicity(bins))


def digitize(x, bins, right=False):
    x_node = build.to_node(x)
    if x_node.dtype.kind == "c":
        raise TypeError("lazyarr: digitize: x may not be complex")
    bins_value = np.asarray(values(bins, what="np.digitize's bins")[0])  # (small: read now, to check its order)
    mono = _probe("digitize", _monotonic, bins_value)
    if mono == 0:
        raise ValueError("lazyarr: digitize: bins must be monotonically increasing or decreasing")
    side = "left" if right else "right"
    if mono == -1:  # NumPy's own identity for decreasing bins
        return len(bins_value) - searchsorted(bins_value[::-1].copy(), x_node, side=side)
    return searchsorted(bins_value, x_node, side=side)


def interp(x, xp, fp, left=None, right=None, period=None):
    x_node, xp_node, fp_node = (build.to_node(t) for t in (x, xp, fp))
    left, right, period = (v if v is None or not build.is_lazy(v) else np.asarray(values(v, what="np.interp")[0])[()]
                           for v in (left, right, period))
    if xp_node.ndim == 1 and fp_node.ndim == 1 and xp_node.size != fp_node.size:
        raise ValueError("lazyarr: interp: fp and xp are not of the same length.")
    probe_xp = np.arange(xp_node.size, dtype=xp_node.dtype).reshape(xp_node.shape) if xp_node.ndim == 1 else \
        np.zeros(xp_node.shape, xp_node.dtype)
    result = _probe("interp", np.interp, _small(x_node), probe_xp, np.zeros(fp_node.shape, fp_node.dtype),
                    left=left, right=right, period=period)
    kwargs = {"left": left, "right": right, "period": period}
    return _stage("interp", (x_node, xp_node, fp_node), kwargs, x_node.shape, np.asarray(result).dtype)


def _is_int(bins) -> bool:
    try:
        operator.index(bins)
    except TypeError:
        return False
    return not isinstance(bins, (bool, np.bool_))


def histogram(a, bins=10, range=None, density=None, weights=None):
    a_node = build.to_node(a)
    w_node = None if weights is None else build.to_node(weights)
    if w_node is not None and w_node.shape != a_node.shape:
        raise ValueError("lazyarr: histogram: weights should have the same shape as a.")
    if isinstance(bins, str):
        return _histogram_now(a, bins, range, density, weights)
    if _is_int(bins) and range is None:
        return _histogram_autorange(a_node, w_node, operator.index(bins), density)
    bins = np.asarray(values(bins, what="np.histogram's bins")[0]) if build.is_lazy(bins) else bins
    edges = _probe("histogram", np.histogram_bin_edges, np.empty(0, a_node.dtype), bins, range)  # NumPy's checks
    probe_w = None if w_node is None else np.zeros(1, w_node.dtype)
    dtype = _probe("histogram", np.histogram, np.zeros(1, a_node.dtype), bins=edges, weights=probe_w,
                   density=density)[0].dtype
    uniform = (operator.index(bins), tuple(range)) if _is_int(bins) else None
    edges.flags.writeable = False
    edges_node = build.array_leaf(edges)
    nodes = (a_node, edges_node) + (() if w_node is None else (w_node,))
    counts = _stage("histogram", nodes, {"uniform": uniform, "density": bool(density)}, (len(edges) - 1,), dtype)
    return counts, LazyArray(edges_node)


def _histogram_autorange(a_node, w_node, bins: int, density):
    """(#15 s14) A count of bins without a range: the edges depend on the values (their min and max), but not
    their number, so both results are stages of known shapes, computed with the rest of the graph (under
    ``@la.fuse`` no graph break): the edges by ``np.histogram_bin_edges``, the counts by the equal-bins
    counting kernel, which takes the range from the values as NumPy does (``_histogram``: ``uniform=(bins,
    None)``). NumPy's checks of `bins` run now on a probe; a non-finite autodetected range is NumPy's error when
    the values are computed."""
    probe = np.zeros(1, a_node.dtype)
    edges = _probe("histogram", np.histogram_bin_edges, probe, bins)
    probe_w = None if w_node is None else np.zeros(1, w_node.dtype)
    dtype = _probe("histogram", np.histogram, probe, bins=bins, weights=probe_w, density=density)[0].dtype
    edges_node = build.numpy_stage("histogram_bin_edges", (a_node,), (("bins", bins), ("range", None)),
                                   (bins + 1,), edges.dtype)
    nodes = (a_node, edges_node) + (() if w_node is None else (w_node,))
    counts = _stage("histogram", nodes, {"uniform": (bins, None), "density": bool(density)}, (bins,), dtype)
    return counts, LazyArray(edges_node)


def _histogram_now(a, bins, range, density, weights):
    """Edges that depend on the values (an estimator's name: even their number): computed now."""
    a, weights = values(a, weights, what="np.histogram")
    a = np.asarray(a)
    edges = np.histogram_bin_edges(a, bins, range, weights)
    first, last = numpy_histograms._get_outer_edges(a, range)  # (NumPy gives (0, 1) for an empty input)
    uniform = (len(edges) - 1, (first, last))
    if isinstance(bins, str):  # (NumPy's estimators take no weights: its own call gives its error)
        counts = np.histogram(a, bins, range, density, weights)[0]
    else:
        counts = _histogram(a, edges, *(() if weights is None else (np.asarray(weights),)), uniform=uniform,
                            density=bool(density))
    note = "computed here: np.histogram's bin edges depend on the values"
    return wrap_value(np.asarray(counts), note), wrap_value(edges, note)


def bincount(x, weights=None, minlength=0):
    x, weights = values(x, weights, what="np.bincount")
    return wrap_value(np.asarray(_bincount(x, weights, minlength)), reason("bincount"))


def _bincount(x, weights, minlength):
    """np.bincount by per-thread partial counts when the input is a large 1-d integer array."""
    x = np.asarray(x)
    w = None if weights is None else np.asarray(weights)
    fits = x.ndim == 1 and x.dtype.kind in "biu" and np.can_cast(x.dtype, np.intp, "safe") and _is_int(minlength) \
        and (w is None or (w.shape == x.shape and w.dtype.kind in "biuf"))
    if not fits or not parallel(x.size):
        return np.bincount(x, weights, minlength)
    if x.dtype.kind == "b":
        x = x.view(np.uint8)
    low, high = _count(counting.int_range, x)
    length = max(int(high) + 1, operator.index(minlength))
    if low < 0 or minlength < 0 or length * threads.get_num_threads() > 4 * x.size + (1 << 20):
        return np.bincount(x, weights, minlength)  # NumPy's error; or too many bins for per-thread rows
    if w is None:
        return _count(counting.bincount, x, length)
    return _count(counting.bincount_weighted, x, np.ascontiguousarray(w, np.float64), length)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    node = build.to_node(a)
    if order is not None:
        raise TypeError("lazyarr: argsort: order= applies to structured arrays, which lazyarr does not support")
    _probe("argsort", np.argsort, _small(node), axis=axis, kind=kind, stable=stable)
    if axis is not None:
        axis = build.reductions_axis(axis, node.ndim)
    shape = (node.size,) if axis is None else node.shape
    return _stage("argsort", (node,), {"axis": axis, "kind": kind, "stable": stable}, shape, np.intp)


def _partition(name: str, func, dtype_of):
    def partition(a, kth, axis=-1, kind="introselect", order=None):
        node = build.to_node(a)
        if order is not None:
            raise TypeError(f"lazyarr: {name}: order= applies to structured arrays, which lazyarr does not support")
        if axis is not None:
            axis = build.reductions_axis(axis, node.ndim) if node.ndim else axis
        length = node.size if axis is None else node.shape[axis] if node.ndim else 0
        kth_value = np.asarray(values(kth, what=f"np.{name}'s kth")[0])
        # NumPy's checks on a probe of the real length along the axis (one element across the others)
        probe = np.zeros(length, node.dtype) if axis is None or node.ndim == 0 else \
            np.zeros(tuple(d if i == axis else min(d, 1) for i, d in enumerate(node.shape)), node.dtype)
        _probe(name, func, probe, kth_value, axis=-1 if axis is None else axis, kind=kind)
        kth = tuple(kth_value.tolist()) if kth_value.ndim else kth_value.item()
        shape = (node.size,) if axis is None else node.shape
        return _stage(name, (node,), {"kth": kth, "axis": axis, "kind": kind}, shape, dtype_of(node))
    partition.__name__ = name
    return partition


partition = _partition("partition", np.partition, lambda node: node.dtype)
argpartition = _partition("argpartition", np.argpartition, lambda node: np.intp)


def lexsort(keys, axis=-1):
    if build.is_lazy(keys) or isinstance(keys, np.ndarray):  # NumPy reads an array's first axis as the keys
        node = build.to_node(keys)
        keys = [LazyArray(node)[i] for i in range(node.shape[0])] if node.ndim else [keys]
    nodes = [build.to_node(k) for k in keys]
    _probe("lexsort", np.lexsort, [_small(n) for n in nodes], axis=axis)
    if len({n.shape for n in nodes}) > 1:
        raise ValueError("lazyarr: lexsort: all keys need to be the same shape")
    return _stage("lexsort", nodes, {"axis": axis}, nodes[0].shape, np.intp)


# --- median and the quantile family ---------------------------------------------------------------------------

def _order_statistic(name: str):
    func = getattr(np, name)
    signature = inspect.signature(func)

    def statistic(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        given = dict(bound.arguments)
        a = build.to_node(given.pop("a"))
        out = given.pop("out", None)
        given.pop("overwrite_input", None)  # a permission to scratch the input: lazyarr's stage never does
        q = given.pop("q", None)
        weights = given.pop("weights", None)
        if given.get("keepdims", False) is np._NoValue:
            given.pop("keepdims")
        if isinstance(given.get("axis"), list):
            given["axis"] = tuple(given["axis"])
        nodes, operands, probes = [a], [], {}
        if type(q) in (int, float):  # NumPy promotes a Python number weakly: it stays a keyword
            given["q"] = probes["q"] = q
        elif q is not None:
            q_node = build.to_node(q if build.is_lazy(q) else np.asarray(q))
            nodes.append(q_node)
            operands.append("q")
            probes["q"] = np.asarray(q) if not build.is_lazy(q) else np.full(q_node.shape, 0.5, q_node.dtype)
        if weights is not None:
            w_node = build.to_node(weights)
            nodes.append(w_node)
            operands.append("weights")
            probes["weights"] = np.ones(_small(a).shape if w_node.ndim == a.ndim else _small(w_node).shape)
        dtype = np.asarray(_probe(name, func, _small(a), **{**given, **probes})).dtype
        shape = _statistic_shape(a.shape, np.shape(probes["q"]) if "q" in probes else (), given.get("axis"),
                                 bool(given.get("keepdims", False)))
        kwargs = {**given, "operands": tuple(operands)} if operands else given
        return _with_out(_stage(name, nodes, kwargs, shape, dtype), out)

    statistic.__name__ = name
    statistic.__doc__ = f"``numpy.{name}``: a NumPy stage (shape and dtype known at build time)."
    return statistic


def _statistic_shape(shape: tuple, q_shape: tuple, axis, keepdims: bool) -> tuple:
    axes = range(len(shape)) if axis is None else normalize_axis_tuple(axis, len(shape))
    if keepdims:
        rest = tuple(1 if i in axes else d for i, d in enumerate(shape))
    else:
        rest = tuple(d for i, d in enumerate(shape) if i not in axes)
    return tuple(q_shape) + rest


ORDER_STATISTICS = {name: _order_statistic(name) for name in
                    ("median", "percentile", "quantile", "nanmedian", "nanpercentile", "nanquantile")}


# --- the public names -----------------------------------------------------------------------------------------

def _unique_family() -> dict:
    names = ["unique", "unique_values", "unique_counts", "unique_inverse", "unique_all"]
    return {name: data_dependent(getattr(np, name)) for name in names if hasattr(np, name)}


DATA_DEPENDENT = {
    **_unique_family(),
    **{name: data_dependent(getattr(np, name)) for name in
       ("nonzero", "argwhere", "flatnonzero", "extract", "compress", "histogram2d", "histogramdd")},
    "bincount": bincount,
}

def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``la.sort``: np.sort's stage (api/stages.py), for a NumPy array too."""
    from lazyarr.api.stages import sort as sort_stage
    return LazyArray(sort_stage(a, axis, kind, order, **({} if stable is None else {"stable": stable})))


# np.<name> -> the builder; numpy_api registers these for __array_function__, lazyarr/__init__ exports them.
FUNCTIONS = {
    "searchsorted": searchsorted, "digitize": digitize, "interp": interp, "histogram": histogram,
    "argsort": argsort, "partition": partition, "argpartition": argpartition, "lexsort": lexsort,
    **ORDER_STATISTICS, **DATA_DEPENDENT,
}
FUNCTIONS["sort"] = sort  # (np.sort itself is api/stages.py's boundary)
HANDLERS = {getattr(np, name): builder for name, builder in FUNCTIONS.items() if name != "sort"}
