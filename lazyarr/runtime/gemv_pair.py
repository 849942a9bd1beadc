"""(#15 logreg4) Run a ``gemv_pair`` stage: ``A.T @ g(A @ v)`` in one pass over A (compiler/source_gemv_pair.py).

The stage's keywords describe g without arrays (api/gemv_pair.py builds them): ``spec`` is
``(operands, entries, root)``, where `operands` lists g's operands as ``("array", dtype)`` (one value per row)
or ``("const", dtype)`` (a scalar), each entry is ``(op, params, dtype, refs)`` of one elementwise node, and a
ref is ``("dot",)`` (the row's dot ``A[i] . v``), ``("operand", j)`` or ``("entry", e)`` (an earlier entry).
Here g becomes a map kernel over stand-in nodes (made once per spec), whose input 0 stands for the dot.
"""
from __future__ import annotations

import threading

import numpy as np

from lazyarr import config
from lazyarr.compiler import source_gemv_pair
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.schedule import MapKernel
from lazyarr.graph import expr, reference
from lazyarr.runtime import launch

# How each call was computed, for tests and explain: "kernel" (the one-pass kernel), "numpy" (its compile is
# in the background, or Numba failed on it: NumPy's two products and g).
_counts = {"kernel": 0, "numpy": 0}
_kernels: dict[tuple, tuple] = {}  # (spec, dtype) -> (g's map kernel, its stand-ins in operand order)
_lock = threading.Lock()


_WHAT = "A.T @ g(A @ v) in one pass over A; g below, in0 = the row's dot A[i] . v\n"


def counts() -> dict:
    """A copy of the counters (see ``_counts``)."""
    return dict(_counts)


def pair_kernel(spec: tuple, dtype: np.dtype) -> tuple[MapKernel, list]:
    """g as a map kernel over stand-in nodes, and the stand-ins in operand order: the kernel's input 0 is the
    dot, then the array operands; the scalar operands are its constants (each a distinct node: its value is a
    kernel argument, never read from the stand-in)."""
    key = (spec, dtype)
    made = _kernels.get(key)
    if made is None:
        operands, entries, root = spec
        dot = expr.leaf(np.empty(0, dtype))
        stand_ins = [expr.leaf(np.empty(0, np.dtype(dt))) if kind == "array" else expr.const(j, np.dtype(dt), False)
                     for j, (kind, dt) in enumerate(operands)]
        nodes: list = []

        def node_of(ref):
            return dot if ref[0] == "dot" else stand_ins[ref[1]] if ref[0] == "operand" else nodes[ref[1]]

        for op, params, dt, refs in entries:
            nodes.append(expr.make(op, tuple(node_of(r) for r in refs), params, (0,), np.dtype(dt)))
        arrays = tuple(n for n, (kind, _) in zip(stand_ins, operands) if kind == "array")
        consts = tuple(n for n, (kind, _) in zip(stand_ins, operands) if kind == "const")
        k = MapKernel(outputs=(node_of(root),), inputs=(dot,) + arrays, consts=consts, body=tuple(nodes),
                      shape=(0,), key=("gemv_pair", spec), why="A.T @ g(A @ v) in one pass over A")
        with _lock:
            made = _kernels.setdefault(key, (k, stand_ins))
    return made


def numpy_value(a: np.ndarray, v: np.ndarray, *operands, spec: tuple, shape: tuple, dtype: str) -> np.ndarray:
    """NumPy's answer: ``a @ v``, g node by node (graph/reference), ``a.T @`` that."""
    k, stand_ins = pair_kernel(spec, np.dtype(dtype))
    values = {id(k.inputs[0]): np.matmul(a, v)}
    values.update((id(n), np.asarray(x)) for n, x in zip(stand_ins, operands))
    for node in k.body:
        values[id(node)] = reference.apply(node, [values[id(n)] for n in node.args])
    weights = np.asarray(values[id(k.outputs[0])]).astype(dtype, copy=False)
    return np.asarray(np.matmul(a.T, weights), dtype=dtype).reshape(shape)


def run(a: np.ndarray, v: np.ndarray, *operands, spec: tuple, shape: tuple, dtype: str) -> np.ndarray:
    """The stage's value: the one-pass kernel, or NumPy's answer while it compiles in the background."""
    dt = np.dtype(dtype)
    k, _ = pair_kernel(spec, dt)
    kinds = spec[0]
    arrays = [x for x, (kind, _) in zip(operands, kinds) if kind == "array"]
    # (s13 logreg) contiguous operands are typed so: a loop over a layout-"A" array does not vectorise (the
    # row dots over an "A" v ran scalar, 3x slower); v is m values, so a strided one is copied
    v = np.ascontiguousarray(v)
    layout = "C" if a.flags.c_contiguous else "A"
    row_layout = "C" if all(x.flags.c_contiguous for x in arrays) else "A"
    parallel = a.size >= config.parallel_threshold()

    def key_of(p: bool) -> tuple:
        return ("gemv_pair", spec, dt, layout, row_layout, p)

    def source_of(p: bool):
        return lambda: source_gemv_pair.kernel_source(k, dt, layout, p, VERSION, comment=_WHAT + launch.describe(k),
                                                      row_layout=row_layout)

    compiled, ran_parallel = launch.pick_kept(key_of, source_of, k, parallel)  # (s16 lazyrt)
    if compiled is None:
        _counts["numpy"] += 1
        return numpy_value(a, v, *operands, spec=spec, shape=shape, dtype=dtype)
    consts = [np.dtype(dt_).type(np.asarray(x)[()]) for x, (kind, dt_) in zip(operands, kinds) if kind == "const"]
    ws = np.empty(source_gemv_pair.scratch_shape(a.shape[0]), dt)
    parts = np.empty((source_gemv_pair.chunks(a.shape[0]), a.shape[1]), dt)
    out = np.empty(a.shape[1], dt)
    launch.entry(compiled, ran_parallel)(a, v, *arrays, *consts, ws, parts, out)
    _counts["kernel"] += 1
    return out.reshape(shape)
