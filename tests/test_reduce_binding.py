"""(#15 logreg3) Per-call overhead of fused reductions: a reduction step of a fused program binds only the
values it reads (tracer/program._bound_slots), and a reduction over a broadcast operand builds its own-shape
views without first building the full-shape ones (runtime/evaluate._reduce_layout). Checked by what is bound,
by the layout chosen (the same as the full rule's), and by values against NumPy over replays; not by time.

float64 and small arrays: the kernels are the ones tests/test_reduce_layout.py and test_products.py compile."""
from __future__ import annotations

import math

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.layout import reduce_broadcast
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, plan
from lazyarr.runtime import evaluate
from lazyarr.tracer import program

rng = np.random.default_rng(1516)


def _full_rule(arrays, shape, axes):
    """The layout rule as it reads in docs/reductions.md: full-shape views in loop order, typed C or F when
    they all are, else own-shape views (``bcast:``) when those can be typed contiguous, else "A"."""
    kept = [a for a in range(len(shape)) if a not in axes]
    perm = kept + list(axes)
    views = [np.broadcast_to(a, shape).transpose(perm) for a in arrays]
    layout = ("C" if all(v.flags.c_contiguous for v in views) else
              "F" if all(v.flags.f_contiguous for v in views) else "A")
    if layout == "A":
        layout, views = reduce_broadcast(arrays, shape, perm) or (layout, views)
    return layout, [(v.shape, v.strides) for v in views]


X = rng.standard_normal((40, 8))
CASES = {
    "row vector along rows": ([X, rng.standard_normal(8)], (40, 8), (1,)),
    "row vector down columns": ([X, rng.standard_normal(8)], (40, 8), (0,)),
    "column vector": ([X, rng.standard_normal((40, 1))], (40, 8), (0,)),
    "transposed with a column": ([X.T, rng.standard_normal((8, 1))], (8, 40), (1,)),
    "same shape, C": ([X, X + 1.0], (40, 8), (1,)),
    "same shape, F": ([np.asfortranarray(X), np.asfortranarray(X)], (40, 8), (0,)),
    "padded only": ([rng.standard_normal(8), rng.standard_normal((1, 8))], (1, 8), (1,)),
    "strided and broadcast": ([X[::2], rng.standard_normal(8)], (20, 8), (1,)),
    "3-d middle axis": ([rng.standard_normal((4, 5, 6)), rng.standard_normal((5, 1))], (4, 5, 6), (1,)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_broadcast_shortcut_chooses_what_the_full_rule_chooses(case):
    arrays, shape, axes = CASES[case]
    node = (la.array(np.ones(shape)) + 0.0).sum(axis=axes)._node
    loop, views, _, _, _, layout = evaluate._reduce_layout(node, arrays, shape, axes)
    want_layout, want_views = _full_rule(arrays, shape, axes)
    assert layout == want_layout
    assert [(v.shape, v.strides) for v in views] == want_views


def test_a_reduction_step_is_bound_to_its_inputs_only():
    a, b, c = (la.array(rng.standard_normal((30, 8))) for _ in range(3))
    w = la.array(rng.standard_normal(8))
    roots = [(a * w).sum(axis=1)._node, (b + c)._node]
    steps = plan(roots)
    reduce_step = next(s for s in steps if isinstance(s, ReduceKernel))
    slots = {id(n): j for j, n in enumerate([roots[1], *(x._node for x in (a, b, c, w))])}
    bound = dict(program._bound_slots(reduce_step, slots))
    assert set(bound) == {id(n) for n in reduce_step.inputs} and id(b._node) not in bound
    other = next(s for s in steps if type(s) is MapKernel)
    assert dict(program._bound_slots(other, slots)) == slots  # other steps still get every value


def gradient_steps(X, y, w, lr, steps):
    """logistic_regression's loop (bench/programs/learning.py) plus a reduction of a value made before it."""
    first = np.exp(-np.abs(X @ w))
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - lr * (X.T @ (p - y)) / X.shape[0]
    return w, first.sum(), (X * w).sum(axis=1)


def test_a_fused_gradient_loop_gives_numpys_values_on_every_replay():
    fused = la.fuse(gradient_steps)
    for seed in range(3):  # one trace, then replays with new data
        data = np.random.default_rng(seed)
        X = data.standard_normal((50, 8))
        y = (data.random(50) > 0.5).astype(np.float64)
        got, want = fused(X, y, np.zeros(8), 0.5, 6), gradient_steps(X, y, np.zeros(8), 0.5, 6)
        for g, e in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), e, rtol=1e-12, atol=1e-14)


def test_a_fused_reduction_with_an_in_kernel_gather_reads_its_table():
    def picked(d, labels):
        return np.take_along_axis(d * 2.0, labels[:, None], axis=1).sum(), (d * d).sum(axis=1)

    fused = la.fuse(picked)
    for seed in range(2):
        data = np.random.default_rng(seed)
        d, labels = data.standard_normal((40, 8)), data.integers(0, 8, 40)
        for g, e in zip(fused(d, labels), picked(d, labels)):
            np.testing.assert_allclose(np.asarray(g), e, rtol=1e-12)
    assert math.isfinite(float(np.asarray(fused(d, labels)[0])))


def _step_kinds(lazy) -> list[str]:
    return [type(s).__name__ for s in plan([lazy._node])]


@pytest.mark.parametrize("blas", [False, True], ids=["fused (default)", "BLAS switch on"])
def test_products_of_a_computed_matrix_follow_the_switch(monkeypatch, blas):
    from lazyarr.api import products
    monkeypatch.setattr(products, "BLAS_FOR_COMPUTED_MATRICES", blas)
    X, w = rng.standard_normal((40, 8)), rng.standard_normal(8)
    r = rng.standard_normal(40)
    product = la.array(X) @ la.array(w)
    assert ("Stage" in _step_kinds(product)) == blas
    assert "ReduceKernel" in _step_kinds(np.tanh(la.array(X)) @ la.array(w))  # a producer to fuse: always fused
    assert "ReduceKernel" in _step_kinds(la.array(X).T @ la.array(r))  # the column sum, either way
    got = np.asarray(product)
    if blas:
        np.testing.assert_array_equal(got, X @ w)  # NumPy's own matmul: its bits
    else:
        np.testing.assert_allclose(got, X @ w, rtol=1e-12)
    sig = 1.0 / (1.0 + np.exp(-(la.array(X) @ la.array(w))))
    np.testing.assert_allclose(np.asarray(sig), 1.0 / (1.0 + np.exp(-(X @ w))), rtol=1e-14)


def test_a_fused_reduction_does_not_keep_other_intermediates_alive(monkeypatch):
    """The builder's liveness: a delegated reduction reads the slots it is bound to, so an intermediate made
    before it and read only after it is not counted as read by it (it used to read every bound slot)."""
    seen = []
    release = program.with_releases

    def spy(ops, reads, keep, n_args, constants):
        seen.append([set(r) for r in reads])
        return release(ops, reads, keep, n_args, constants)

    monkeypatch.setattr(program, "with_releases", spy)

    def f(x, w, y):
        a = np.exp(y) @ w          # a reduction whose value is read at the end only
        s = x @ w                  # a reduction that reads x and w only
        return s + a + np.sin(y)[:, 0] * 2.0

    x, y, w = rng.standard_normal((20, 4)), rng.standard_normal((20, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(np.asarray(la.fuse(f)(x, w, y)), f(x, w, y), rtol=1e-12)
    (reads,) = seen
    assert len(reads) == 3 and not reads[1] & reads[2], reads  # x @ w reads nothing the final kernel reads


def test_a_row_kernel_step_is_bound_to_its_inputs_only():
    x, other = la.array(rng.standard_normal((40, 8))), la.array(rng.standard_normal((40, 8)))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    roots = [(e / e.sum(axis=1, keepdims=True))._node, (other * 2.0)._node]
    step = next(s for s in plan(roots) if type(s).__name__ == "RowKernel")
    slots = {id(x._node): 0, id(other._node): 1, id(roots[1]): 2}
    assert dict(program._bound_slots(step, slots)) == {id(x._node): 0}


def test_a_fused_softmax_loop_gives_numpys_values_on_every_replay():
    def steps(x, n):
        for _ in range(n):
            e = np.exp(x - x.max(axis=1, keepdims=True))
            x = e / e.sum(axis=1, keepdims=True) * 3.0
        return x

    fused = la.fuse(steps)
    for seed in range(2):
        x = np.random.default_rng(seed).standard_normal((30, 8))
        np.testing.assert_allclose(np.asarray(fused(x, 4)), steps(x, 4), rtol=1e-13)
