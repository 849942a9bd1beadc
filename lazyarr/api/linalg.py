"""Linear algebra, FFTs, contractions and convolutions as NumPy stages with build-time shapes and dtypes.

One table (``ROUTINES``) holds, per NumPy function, its shape rule: operand shapes and keyword arguments -> the
shape of each output. Dtypes come from NumPy itself, by calling the function on a probe of ones per operand
(the operand's dtype and rank, every length 1: nothing of the real size is computed). The node is the op table's
``library`` stage (``ops.library_call``), so the elementwise work on each side of it is still fused; a
function with several outputs (svd, qr, eigh, slogdet) is one ``library_outputs`` stage (the call, once) and
a ``library_output`` stage per output, wrapped in NumPy's own result type (``SVDResult``, ``EighResult``, ...):
computed together (``la.compute(u, s, vt)``, @la.fuse) they cost one call. Functions whose output dtype or shape
depends on the values
(``eig``/``eigvals``: real or complex; ``lstsq``: the residuals' length depends on the rank) are computed by
NumPy when called and wrapped.

``einsum`` is fused where the contraction is an elementwise product followed by a sum (every operand's
subscripts are within one operand's, without repeats: 'ij,ij->i', 'i,i->', 'ij->j', 'ij,j->i'): a product
node feeding a sum reduction, one kernel that never stores the product. Other contractions (matrix products)
are a ``library`` stage of np.einsum, which uses BLAS where it can.
"""
from __future__ import annotations

import math
import operator
import types

import numpy as np

from lazyarr.api import build, indexing, tracing
from lazyarr.api.array import LazyArray, wrap
from lazyarr.api.reductions import reduce
from lazyarr.graph import ops
from lazyarr.graph.expr import Node

LinAlgError = np.linalg.LinAlgError


# --- shape rules ------------------------------------------------------------------------------------------------

def _matrix(shape: tuple, what: str) -> tuple[tuple, int, int]:
    """(batch, rows, columns) of a stack of matrices, with NumPy's LinAlgError for fewer than two axes."""
    if len(shape) < 2:
        raise LinAlgError(f"lazyarr: {what}: {len(shape)}-dimensional array given. Array must be at least "
                          "two-dimensional")
    return shape[:-2], shape[-2], shape[-1]


def _square(shape: tuple, what: str) -> tuple[tuple, int]:
    batch, m, n = _matrix(shape, what)
    if m != n:
        raise LinAlgError(f"lazyarr: {what}: Last 2 dimensions of the array must be square")
    return batch, n


def _same(shapes, kw, what):
    _square(shapes[0], what)
    return [shapes[0]]


def _det(shapes, kw, what):
    return [_square(shapes[0], what)[0]]


def _slogdet(shapes, kw, what):
    batch = _square(shapes[0], what)[0]
    return [batch, batch]


def _eigh(shapes, kw, what):
    batch, n = _square(shapes[0], what)
    return [batch + (n,), shapes[0]]


def _eigvalsh(shapes, kw, what):
    batch, n = _square(shapes[0], what)
    return [batch + (n,)]


def _svd(shapes, kw, what):
    batch, m, n = _matrix(shapes[0], what)
    k = min(m, n)
    if not kw.get("compute_uv", True):
        return [batch + (k,)]
    if kw.get("full_matrices", True):
        return [batch + (m, m), batch + (k,), batch + (n, n)]
    return [batch + (m, k), batch + (k,), batch + (k, n)]


def _svdvals(shapes, kw, what):
    batch, m, n = _matrix(shapes[0], what)
    return [batch + (min(m, n),)]


def _qr(shapes, kw, what):
    batch, m, n = _matrix(shapes[0], what)
    k = min(m, n)
    mode = kw.get("mode", "reduced")
    if mode == "complete":
        return [batch + (m, m), batch + (m, n)]
    if mode == "r":
        return [batch + (k, n)]
    if mode == "reduced":
        return [batch + (m, k), batch + (k, n)]
    raise ValueError(f"lazyarr: {what}: Unrecognized mode '{mode}'")


def _pinv(shapes, kw, what):
    batch, m, n = _matrix(shapes[0], what)
    return [batch + (n, m)]


def _matrix_rank(shapes, kw, what):
    return [shapes[0][:-2] if len(shapes[0]) >= 2 else ()]


def _cond(shapes, kw, what):
    return [_matrix(shapes[0], what)[0]]


def _solve(shapes, kw, what):
    batch, n = _square(shapes[0], what)
    b = shapes[1]
    if len(b) == 1:  # NumPy 2: a 1-d b is one vector
        if b[0] != n:
            raise ValueError(f"lazyarr: {what}: b has {b[0]} rows, a is {n} x {n}")
        return [batch + (n,)]
    if len(b) < 2 or b[-2] != n:
        raise ValueError(f"lazyarr: {what}: shapes {shapes[0]} and {b} do not align")
    return [build.broadcast_shapes(what, batch, b[:-2]) + b[-2:]]


def _kron(shapes, kw, what):
    a, b = shapes
    nd = max(len(a), len(b))
    a, b = (1,) * (nd - len(a)) + a, (1,) * (nd - len(b)) + b
    return [tuple(x * y for x, y in zip(a, b))]


def _inner(shapes, kw, what):
    a, b = shapes
    if not a or not b:
        return [build.broadcast_shapes(what, a, b)]
    if a[-1] != b[-1]:
        raise ValueError(f"lazyarr: {what}: shapes {a} and {b} not aligned: {a[-1]} (dim {len(a) - 1}) != "
                         f"{b[-1]} (dim {len(b) - 1})")
    return [a[:-1] + b[:-1]]


def _vdot(shapes, kw, what):
    a, b = shapes
    if int(np.prod(a)) != int(np.prod(b)):
        raise ValueError(f"lazyarr: {what}: vectors have different lengths")
    return [()]


def _cross(shapes, kw, what):
    """np.cross's own shape logic, run on zero-stride probes (its work is elementwise: no real cost)."""
    probes = [np.broadcast_to(np.zeros((), np.int8), s) for s in shapes]
    try:
        return [np.cross(*probes, **kw).shape]
    except (ValueError, TypeError) as exc:
        raise indexing.numpy_error(exc, what) from None


def _convolve(shapes, kw, what):
    a, v = shapes
    if len(a) > 1 or len(v) > 1:
        raise ValueError(f"lazyarr: {what}: object too deep for desired array")
    n, m = (a[0] if a else 1), (v[0] if v else 1)
    if n == 0 or m == 0:
        raise ValueError(f"lazyarr: {what}: {'a' if n == 0 else 'v'} cannot be empty")
    mode = kw.get("mode", "full" if what == "convolve" else "valid")
    lengths = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}
    if mode not in lengths:
        raise ValueError(f"lazyarr: {what}: mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return [(lengths[mode],)]


# FFTs: (n or s, axis or axes) -> output lengths along them
def _fft_axis(shape: tuple, kw: dict, what: str) -> int:
    return np.lib.array_utils.normalize_axis_index(kw.get("axis", -1), len(shape))


def _fft1(out_length, default_n):
    def rule(shapes, kw, what):
        shape = shapes[0]
        axis = _fft_axis(shape, kw, what)
        n = kw.get("n")
        n = default_n(shape[axis]) if n is None else operator.index(n)
        if n < 1:
            raise ValueError(f"lazyarr: {what}: Invalid number of FFT data points ({n}) specified.")
        return [shape[:axis] + (out_length(n),) + shape[axis + 1:]]
    return rule


def _fftn(kind: str, two: bool):
    """fftn/fft2 (kind "c"), rfftn/rfft2 ("r": the last axis halves), irfftn/irfft2 ("ir")."""
    def rule(shapes, kw, what):
        shape = shapes[0]
        s, axes = kw.get("s"), kw.get("axes", (-2, -1) if two else None)
        if axes is None:
            axes = tuple(range(len(shape) - len(s), len(shape))) if s is not None else tuple(range(len(shape)))
        axes = tuple(np.lib.array_utils.normalize_axis_index(a, len(shape)) for a in axes)
        if s is None:
            s = [shape[a] for a in axes]
            if kind == "ir":
                s[-1] = 2 * (s[-1] - 1)
        s = [operator.index(x) for x in s]
        if len(s) != len(axes):
            raise ValueError(f"lazyarr: {what}: Shape and axes have different lengths.")
        out = list(shape)
        for a, n in zip(axes, s):
            out[a] = n
        if kind == "r":
            out[axes[-1]] = s[-1] // 2 + 1
        return [tuple(out)]
    return rule


def _shift(shapes, kw, what):
    return [shapes[0]]


# name (path under numpy) -> (shape rule, names of the arguments after the array operands, array operands)
ROUTINES = {
    "linalg.inv": (_same, (), 1),
    "linalg.matrix_power": (_same, ("n",), 1),
    "linalg.cholesky": (_same, (), 1),
    "linalg.det": (_det, (), 1),
    "linalg.slogdet": (_slogdet, (), 1),
    "linalg.eigh": (_eigh, ("UPLO",), 1),
    "linalg.eigvalsh": (_eigvalsh, ("UPLO",), 1),
    "linalg.svd": (_svd, ("full_matrices", "compute_uv", "hermitian"), 1),
    "linalg.svdvals": (_svdvals, (), 1),
    "linalg.qr": (_qr, ("mode",), 1),
    "linalg.pinv": (_pinv, ("rcond", "hermitian"), 1),
    "linalg.matrix_rank": (_matrix_rank, ("tol", "hermitian"), 1),
    "linalg.cond": (_cond, ("p",), 1),
    "linalg.solve": (_solve, (), 2),
    "kron": (_kron, (), 2),
    "inner": (_inner, (), 2),
    "vdot": (_vdot, (), 2),
    "cross": (_cross, ("axisa", "axisb", "axisc", "axis"), 2),
    "convolve": (_convolve, ("mode",), 2),
    "correlate": (_convolve, ("mode",), 2),
    "fft.fft": (_fft1(lambda n: n, lambda m: m), ("n", "axis", "norm"), 1),
    "fft.ifft": (_fft1(lambda n: n, lambda m: m), ("n", "axis", "norm"), 1),
    "fft.rfft": (_fft1(lambda n: n // 2 + 1, lambda m: m), ("n", "axis", "norm"), 1),
    "fft.irfft": (_fft1(lambda n: n, lambda m: 2 * (m - 1)), ("n", "axis", "norm"), 1),
    "fft.hfft": (_fft1(lambda n: n, lambda m: 2 * (m - 1)), ("n", "axis", "norm"), 1),
    "fft.ihfft": (_fft1(lambda n: n // 2 + 1, lambda m: m), ("n", "axis", "norm"), 1),
    "fft.fftn": (_fftn("c", False), ("s", "axes", "norm"), 1),
    "fft.ifftn": (_fftn("c", False), ("s", "axes", "norm"), 1),
    "fft.fft2": (_fftn("c", True), ("s", "axes", "norm"), 1),
    "fft.ifft2": (_fftn("c", True), ("s", "axes", "norm"), 1),
    "fft.rfftn": (_fftn("r", False), ("s", "axes", "norm"), 1),
    "fft.rfft2": (_fftn("r", True), ("s", "axes", "norm"), 1),
    "fft.irfftn": (_fftn("ir", False), ("s", "axes", "norm"), 1),
    "fft.irfft2": (_fftn("ir", True), ("s", "axes", "norm"), 1),
    "fft.fftshift": (_shift, ("axes",), 1),
    "fft.ifftshift": (_shift, ("axes",), 1),
}
# Output dtype or shape decided by the values: NumPy computes these when called.
EAGER = ("linalg.eig", "linalg.eigvals", "linalg.lstsq")
# LinAlgError for some values (singular, not positive definite, no convergence): computed in a fused program
# even where the function drops the result (a ``try: np.linalg.cholesky(a)`` test), as NumPy raises it
RAISING = frozenset({"linalg.inv", "linalg.matrix_power", "linalg.cholesky", "linalg.eigh", "linalg.eigvalsh",
                     "linalg.svd", "linalg.svdvals", "linalg.pinv", "linalg.solve"})


def _freeze(value):
    """A keyword value as a hashable node parameter."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _numpy_function(path: str):
    target = np
    for part in path.split("."):
        target = getattr(target, part)
    return target


def _probe(node: Node, length: int = 1) -> np.ndarray:
    """Ones of the node's dtype and rank, every axis of `length` (1: a 1 x 1 matrix is invertible; the inverse
    FFTs need 2 input points to have an output point)."""
    return np.ones((length,) * node.ndim, node.dtype)


def _outputs(path: str, nodes: list, kw: dict, shapes: list, multi: bool):
    """The stage node of each output, wrapped as NumPy wraps them (a result namedtuple, or one array)."""
    what = path.rsplit(".", 1)[-1]
    # (np.cross needs its vector axes' real lengths; its work is elementwise, so zero-stride full probes)
    probes = [np.broadcast_to(np.ones((), n.dtype), n.shape) if path == "cross" else
              _probe(n, 2 if path.startswith("fft.") else 1) for n in nodes]
    try:
        probe = _numpy_function(path)(probes, **kw) if multi else _numpy_function(path)(*probes, **kw)
    except (TypeError, ValueError) as exc:
        raise indexing.numpy_error(exc, what) from None
    kwargs = tuple(sorted(kw.items()))
    single = not isinstance(probe, tuple)
    values = [probe] if single else list(probe)
    if len(values) != len(shapes):
        raise AssertionError(f"lazyarr: {what}: {len(values)} outputs, the shape rule gave {len(shapes)}")
    if not single and not multi:  # surface/gathers: one call for every output
        outs = _shared_outputs(path, nodes, kwargs, [np.asarray(v).dtype for v in values], shapes)
        return type(probe)(*outs) if hasattr(probe, "_fields") else tuple(outs)
    outs = []
    for i, (value, shape) in enumerate(zip(values, shapes)):
        dt = np.asarray(value).dtype
        build.dtypes.check_supported(dt, f"np.{path}'s result")
        params = (("dtype", dt.str), ("function", path), ("kwargs", kwargs),
                  ("output", -2 if multi else (-1 if single else i)), ("shape", tuple(shape)))
        outs.append(LazyArray(build.numpy_stage("library", tuple(nodes), params, tuple(shape), dt)))
    if single:
        return outs[0]
    return type(probe)(*outs) if hasattr(probe, "_fields") else tuple(outs)


# --- surface/gathers: a multi-output routine computed once ------------------------------------------------------

def _shared_outputs(path: str, nodes: list, kwargs: tuple, dts: list, shapes: list) -> list:
    """One ``library_outputs`` stage (the call, its outputs packed) and a ``library_output`` stage per output
    reading its part: the outputs share the call, so computing them together runs it once."""
    for dt in dts:
        build.dtypes.check_supported(dt, f"np.{path}'s result")
    shapes = tuple(tuple(s) for s in shapes)
    dtype_strs = tuple(dt.str for dt in dts)
    offsets, total = ops.packed_layout(shapes, dtype_strs)
    params = (("dtypes", dtype_strs), ("function", path), ("kwargs", kwargs), ("shapes", shapes))
    packed = build.numpy_stage("library_outputs", tuple(nodes), params, (total,), np.dtype(np.uint8))
    return [LazyArray(build.numpy_stage("library_output", (packed,),
                                        (("dtype", dt), ("offset", offset), ("shape", shape)), shape, np.dtype(dt)))
            for dt, offset, shape in zip(dtype_strs, offsets, shapes)]
# --- end surface/gathers ------------------------------------------------------------------------------------------


def routine(path: str):
    """The lazy version of np.<path> from its table entry: arrays first, then NumPy's other arguments."""
    rule, names, count = ROUTINES[path]
    what = path.rsplit(".", 1)[-1]

    def function(*args, **kwargs):
        if len(args) < count:
            raise TypeError(f"lazyarr: {what}() takes {count} array argument(s)")
        nodes = [_operand(a, what) for a in args[:count]]
        extra = args[count:]
        if len(extra) > len(names):
            raise TypeError(f"lazyarr: {what}() takes at most {count + len(names)} positional arguments")
        kw = {**dict(zip(names, extra)), **kwargs}
        if "out" in kw:
            if kw.pop("out") is not None:
                raise TypeError(f"lazyarr: {what}: out= is not supported on lazy arrays")
        kw = {k: _freeze(v) for k, v in kw.items()}
        shapes = rule([n.shape for n in nodes], kw, what)
        result = _outputs(path, nodes, kw, shapes, multi=False)
        if path in RAISING and tracing.tracing_threads:
            tracing.note_checked(result)  # (s15) its error must reach the function even when its value is dropped
        return result

    function.__name__ = function.__qualname__ = what
    function.__doc__ = f"Lazy ``numpy.{path}``: a NumPy stage with its shape and dtype known now."
    return function


def _operand(a, what: str) -> Node:
    node = build.to_node(a, f"{what}'s operand")
    if node.op == "const":  # a Python or NumPy scalar as the 0-d array NumPy makes of it
        return build.to_node(np.asarray(node.data, dtype=node.dtype))
    return node


def eager(path: str):
    """np.<path> computed now on the computed operands (value-dependent result types), outputs wrapped."""
    what = path.rsplit(".", 1)[-1]

    def function(*args, **kwargs):
        args = [np.asarray(a) if build.is_lazy(a) else a for a in args]
        result = _numpy_function(path)(*args, **kwargs)
        if isinstance(result, tuple):
            outs = [_wrapped(r) for r in result]
            return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)
        return _wrapped(result)

    function.__name__ = function.__qualname__ = what
    function.__doc__ = f"``numpy.{path}``, computed when called (its result type depends on the values)."
    return function


def _wrapped(value) -> LazyArray:
    """(s15) An eager result as a LazyArray; a NumPy scalar (lstsq's rank) stays a scalar when computed (it came
    back as a 0-d array)."""
    if isinstance(value, np.generic):
        return LazyArray(build.array_leaf(np.asarray(value)), array0=False)
    return wrap(np.asarray(value))


def multi_dot(arrays, *, out=None):
    """np.linalg.multi_dot: one stage (NumPy chooses the multiplication order)."""
    result = _multi_dot(arrays)
    return result if out is None else _dot_out(result, out, "multi_dot")


def _dot_out(result, out, what: str):
    """(s20) np.dot's and multi_dot's `out=`: NumPy takes only an array of the result's dtype and shape (its
    BLAS writes it directly); the result written into it, `out` returned."""
    if isinstance(out, (np.ndarray, LazyArray)) and (out.dtype != result.dtype or out.shape != result.shape):
        raise ValueError(f"lazyarr: {what}: output array is not acceptable (must have the right datatype, number "
                         f"of dimensions, and be a C-Array): {out.dtype} {out.shape} for a {result.dtype} "
                         f"{result.shape} result")
    from lazyarr.api import assign
    return assign.write_out(result, out, "no", f"{what}(out=...)")


def _multi_dot(arrays):
    nodes = [_operand(a, "multi_dot") for a in arrays]
    if len(nodes) < 2:
        raise ValueError("lazyarr: multi_dot: Expecting at least two arrays.")
    if any(n.ndim not in (1, 2) for n in nodes) or any(n.ndim != 2 for n in nodes[1:-1]):
        raise ValueError("lazyarr: multi_dot: the first and last arrays may be 1- or 2-d, the others 2-d")
    dims = [n.shape if n.ndim == 2 else ((1,) + n.shape if i == 0 else n.shape + (1,)) for i, n in enumerate(nodes)]
    for x, y in zip(dims, dims[1:]):
        if x[1] != y[0]:
            raise ValueError(f"lazyarr: multi_dot: shapes {x} and {y} not aligned")
    shape = (dims[0][0],) * (nodes[0].ndim == 2) + (dims[-1][1],) * (nodes[-1].ndim == 2)
    return _outputs("linalg.multi_dot", nodes, {}, [shape], multi=True)


# --- fftfreq: generators ------------------------------------------------------------------------------------

def fftfreq(n, d=1.0, device=None):
    """np.fft.fftfreq: [0, 1, ..., (n-1)//2, -(n//2), ..., -1] * (1 / (n * d)), built on iota."""
    from lazyarr.api.creation import iota
    n = operator.index(n)
    positions = iota(n)
    wrapped = build.where(build.ufunc_node(np.less, (positions, (n + 1) // 2)), positions,
                          build.ufunc_node(np.subtract, (positions, n)))
    return LazyArray(build.ufunc_node(np.multiply, (wrapped, 1.0 / (n * d))))


def rfftfreq(n, d=1.0, device=None):
    """np.fft.rfftfreq: [0, 1, ..., n//2] * (1 / (n * d))."""
    from lazyarr.api.creation import iota
    n = operator.index(n)
    return LazyArray(build.ufunc_node(np.multiply, (iota(n // 2 + 1), 1.0 / (n * d))))


# --- einsum ------------------------------------------------------------------------------------------------------

def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """np.einsum: fused as product and sum where the contraction is elementwise, else a NumPy stage."""
    if out is not None:  # (s20) computed, then written into out= by einsum's own casting rule (safe by default)
        from lazyarr.api import assign
        result = einsum(*operands, optimize=optimize, dtype=dtype, order=order, casting=casting)
        if isinstance(result, LazyArray):
            return assign.write_out(result, out, casting, "einsum(out=...)")
        np.copyto(out, result, casting=casting)  # (an eager result: a NumPy scalar or array)
        return out
    if not operands or not isinstance(operands[0], str):
        return eager("einsum")(*operands, optimize=optimize, dtype=dtype, order=order, casting=casting)
    nodes = [_operand(a, "einsum") for a in operands[1:]]
    probes = [np.broadcast_to(np.zeros((), n.dtype), n.shape) for n in nodes]
    from numpy._core.einsumfunc import _parse_einsum_input
    try:
        inputs, output, _ = _parse_einsum_input((operands[0], *probes))
        result_dtype = np.einsum(operands[0], *[_probe(n) for n in nodes], dtype=dtype, casting=casting).dtype
    except (ValueError, TypeError) as exc:
        raise indexing.numpy_error(exc, "einsum") from None
    letters = inputs.split(",")
    sizes = _letter_sizes(letters, nodes)
    shape = tuple(sizes[c] for c in output)
    fused = _fused_einsum(letters, output, nodes, result_dtype)
    kw = {"optimize": _freeze(optimize), "dtype": None if dtype is None else np.dtype(dtype).str,
          "casting": casting}
    kw = {k: v for k, v in kw.items() if v is not None}
    result = LazyArray(fused) if fused is not None else _einsum_stage(f"{inputs}->{output}", nodes, kw, shape,
                                                                     result_dtype)
    if len(letters) == 1 and set(output) == set(letters[0]) and isinstance(operands[1], LazyArray) and shape:
        _einsum_view(operands[1], result, f"{inputs}->{output}")
    return result


def _einsum_view(base: LazyArray, view: LazyArray, subscripts: str) -> None:
    """(s21) NumPy's einsum of one operand that sums over nothing (``'ii->i'``, ``'ij->ji'``) returns a writable
    view of it: ``np.einsum('ii->i', a)[:] = 1`` sets a's diagonal. Here too: the view's element i is the base's
    flat element ``index[i]``, that index map being NumPy's einsum of the same subscripts over ``arange``."""
    from lazyarr.api import assign
    base_shape = base.shape

    def flat_index() -> np.ndarray:
        return np.einsum(subscripts, np.arange(math.prod(base_shape)).reshape(base_shape))

    assign.register_gather_view(base, view, lambda node: einsum(subscripts, LazyArray(node))._node, flat_index)


def _letter_sizes(letters: list, nodes: list) -> dict:
    sizes = {}
    for subs, node in zip(letters, nodes):
        for c, d in zip(subs, node.shape):
            if sizes.setdefault(c, d) != d and d != 1 and sizes[c] != 1:
                raise ValueError(f"lazyarr: einsum: size of label '{c}' does not match ({sizes[c]} vs {d})")
            sizes[c] = max(sizes[c], d) if 1 in (sizes[c], d) else d
    return sizes


def _einsum_stage(subscripts: str, nodes: list, kw: dict, shape: tuple, dt: np.dtype) -> LazyArray:
    params = (("dtype", dt.str), ("function", "einsum"), ("kwargs", (("leading", (subscripts,)), *sorted(kw.items()))),
              ("output", -1), ("shape", shape))
    return LazyArray(build.numpy_stage("library", tuple(nodes), params, shape, dt))


def _fused_einsum(letters: list, output: str, nodes: list, dt: np.dtype) -> Node | None:
    """The product-then-sum form of an elementwise contraction, or None where it is not one."""
    union = "".join(dict.fromkeys("".join(letters)))
    cover = next((s for s in letters if set(s) == set(union)), None)
    if cover is None or any(len(set(s)) != len(s) for s in letters) or dt.kind not in "iufc":
        return None
    if any(n.dtype != dt for n in nodes):  # einsum computes in the result dtype: keep its loop
        nodes = [build.cast(n, dt, "einsum") for n in nodes]
    from lazyarr.api.reshaping import reshape
    product = None
    for subs, node in zip(letters, nodes):
        order = [c for c in cover if c in subs]
        aligned = build.transpose(node, tuple(subs.index(c) for c in order)) if list(subs) != order else node
        shape = tuple(node.shape[subs.index(c)] if c in subs else 1 for c in cover)
        aligned = reshape(aligned, shape) if aligned.shape != shape else aligned
        product = aligned if product is None else build.ufunc_node(np.multiply, (product, aligned), "einsum")
    summed = tuple(i for i, c in enumerate(cover) if c not in output)
    kept = [c for c in cover if c in output]
    if summed:
        product = reduce(product, "sum", axis=summed, dtype=dt)
    elif product is nodes[0]:
        product = build.unary("copy", product)
    if kept != list(output):
        product = build.transpose(product, tuple(kept.index(c) for c in output))
    return product


# --- namespaces ------------------------------------------------------------------------------------------------

def _namespace(prefix: str, **extra) -> types.SimpleNamespace:
    functions = {p.split(".", 1)[1]: routine(p) for p in ROUTINES if p.startswith(prefix)}
    functions.update({p.split(".", 1)[1]: eager(p) for p in EAGER if p.startswith(prefix)})
    functions.update(extra)
    return types.SimpleNamespace(**functions)


linalg = _namespace("linalg.", multi_dot=multi_dot, LinAlgError=LinAlgError)
fft = _namespace("fft.", fftfreq=fftfreq, rfftfreq=rfftfreq)

# la.<name> for the top-level ones
FUNCTIONS = {p: routine(p) for p in ROUTINES if "." not in p}
FUNCTIONS["einsum"] = einsum


def numpy_handlers() -> dict:
    """NumPy function -> lazy handler, for __array_function__."""
    handlers = {_numpy_function(p): routine(p) for p in ROUTINES}
    handlers.update({_numpy_function(p): eager(p) for p in EAGER})
    handlers[np.linalg.multi_dot] = multi_dot
    handlers[np.einsum] = einsum
    return handlers
