"""(s16 sweepnp) The PolyBench/NPBench-style kernels of tools/sweeps/kernel_suite.py at tiny sizes: each kernel and
dtype as NumPy, under ``@la.fuse`` (the traced call, a replayed call with other values, a call with another
shape) and in lazy mode (``la.array`` inputs), every returned value and every argument afterwards compared with
NumPy's (bits where the kernel's tol is 0, else within tol eps of the max-norm). docs/fuse.md, "Kernel-suite sweep
(session 16)", says what the sweep found."""
from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import pytest

import lazyarr as la

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "sweeps"))
import kernel_suite  # noqa: E402
import sweep_kernels  # noqa: E402

CASES = [(k.name, dt) for k in kernel_suite.KERNELS for dt in k.dtypes]


@pytest.mark.parametrize("name,dtype", CASES)
def test_kernel_as_numpy_fused_and_lazy(name, dtype):
    k = kernel_suite.BY_NAME[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        r = sweep_kernels.sweep_one(k, dtype, k.test_n, timing=False)
    assert not sweep_kernels.bad(r.fused), r.fused
    # (s20) vadv writes its NumPy scratch data_col again after an expression used it: lazy mode reads an operand
    # at the operation, as NumPy does (build.to_node), so it too gives NumPy's answer
    assert not sweep_kernels.bad(r.lazy), r.lazy
    assert "F" not in r.warned  # no NumPy fallback: every kernel's calls have lazy rules


def _graph_size(node) -> int:
    seen, stack = set(), [node]
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            stack.extend(n.args)
    return len(seen)


def test_rows_and_columns_of_a_rebound_array_do_not_grow_the_graph_cubically():
    # Floyd-Warshall's step reads a column and a row of the array it rebinds; each key was pushed down through
    # every earlier step, so the graph grew by a chain per key per step (n = 24: ~10^4 nodes) and one kernel
    # recomputed the history at every element (n = 60 took minutes to compile). A push now stops after
    # indexing.PUSH_BUDGET (node, key) pairs and views the computed node.
    n = 24
    path = np.random.default_rng(16).integers(1, 100, (n, n))
    want = path.copy()
    kernel_suite.floyd_warshall(want)
    P = la.array(path)
    kernel_suite.floyd_warshall(P)
    assert _graph_size(P._node) < 40 * n
    np.testing.assert_array_equal(P.compute(), want)


def _row_updates(C, A, alpha):
    for i in range(C.shape[0]):
        C[i, :i + 1] *= 0.5
        C[i, :i + 1] += alpha * A[:i + 1, :] @ A[i, :]


def _row_updates_keeping_old_rows(C, A):
    olds = []
    for i in range(C.shape[0]):
        olds.append(C[i, :i + 1] * 1.0)
        C[i, :i + 1] += A[i, :i + 1]
    return olds[-1] + olds[0][0], C[1:, 0].copy()


def test_a_row_loop_of_in_place_updates_writes_the_array_in_place(monkeypatch):
    # ``C[i, :i+1] += w`` reads x[key] (a view, a getitem stage) at the elements it writes: each write copied all
    # of C before (O(n^2) per row of syrk, cholesky, lu); now only the write into the argument copies (program.py
    # `_views_alone`; the caller's array is written back at the end)
    from lazyarr.runtime import evaluate
    rng = np.random.default_rng(16)
    C, A = rng.random((9, 9)), rng.random((9, 4))
    f = la.fuse(_row_updates)
    f(C.copy(), A, 1.5)
    copies = []
    real = evaluate.copy_outside
    monkeypatch.setattr(evaluate, "copy_outside", lambda x, key: copies.append(key) or real(x, key))
    got, want = C.copy(), C.copy()
    f(got, A, 1.5)
    _row_updates(want, A, 1.5)
    np.testing.assert_allclose(got, want, rtol=1e-13)
    assert len(copies) <= 2


def test_a_row_read_before_its_in_place_update_keeps_its_old_values():
    rng = np.random.default_rng(16)
    C, A = rng.random((6, 6)), rng.random((6, 6))
    f = la.fuse(_row_updates_keeping_old_rows)
    for _ in range(2):
        got_c, want_c = C.copy(), C.copy()
        got, want = f(got_c, A), _row_updates_keeping_old_rows(want_c, A)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(got_c, want_c)


def _rows_through_a_product(A, C4):
    firsts = []
    for r in range(A.shape[0]):
        firsts.append(A[r, 0, :].copy())
        A[r, :, :] = A[r] @ C4
    return firsts[-1] * 2


def test_a_row_loop_writing_products_writes_the_array_in_place(monkeypatch):
    # ``A[r] = A[r] @ C4`` (a BLAS value, written by NumPy's setitem stage) copied all of A for each r (doitgen);
    # the write now goes into A where the stage reads A last (program.py `_setitem_op`)
    from lazyarr.graph import reference
    rng = np.random.default_rng(16)
    A, C4 = rng.random((5, 3, 4)), rng.random((4, 4))
    f = la.fuse(_rows_through_a_product)
    f(A.copy(), C4)
    copies = []
    real = reference.apply
    monkeypatch.setattr(reference, "apply", lambda node, args: (
        copies.append(1) if node.op == "numpy" and node.params.name == "setitem" else None) or real(node, args))
    got, want = A.copy(), A.copy()
    got_r, want_r = f(got, C4), _rows_through_a_product(want, C4)
    np.testing.assert_allclose(got, want, rtol=1e-14)
    np.testing.assert_array_equal(got_r, want_r)
    assert len(copies) <= 2  # the first write (into the caller's A) and the last: 5 before


def _filled_identities(a):
    m = np.identity(3, dtype=a.dtype)
    m[0] = a[:3] * 2
    e = np.eye(3, 4, 1)
    e[1, :] = a[:4]
    return m, e


def test_eye_and_identity_made_in_the_body_are_traced_arrays():
    # correlation's ``corr = np.eye(m)`` filled with traced rows: an ndarray, so NumPy asked the traced value for
    # its data and the signature ran eagerly (tracer/creation_calls.py now routes eye and identity too)
    a = np.arange(5.0)
    f = la.fuse(_filled_identities)
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error", la.EagerWarning)
            got = f(a.copy())
        for g, w in zip(got, _filled_identities(a.copy())):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)
    assert f.cache_info().traces == 1
