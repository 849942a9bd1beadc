"""(s13 blasprog, #14/#15) Programs around a BLAS product hand BLAS what NumPy's own program hands it.

`dev.T @ dev` of a computed `dev`: in lazy and fused programs the product's operands are the computed `dev` and
a transposed view of that same buffer (no copy, `dev` computed once), so NumPy's matmul takes its symmetric
product (syrk) as in NumPy's program. cosine_similarity's and gemm's products get the normalised operands
(the second one a transposed view) and `alpha * A`, and the results are NumPy's within rounding.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.graph import reference


def _cov(x):
    dev = x - np.mean(x, axis=0)
    return dev.T @ dev


def _cosine(a, b):
    a_unit = a / np.linalg.norm(a, axis=1, keepdims=True)
    b_unit = b / np.linalg.norm(b, axis=1, keepdims=True)
    sim = a_unit @ b_unit.T
    return sim, sim.argmax(axis=1)


def _products(monkeypatch) -> list:
    """The operands of every matmul stage run from now on (lazy plans and fused programs both call
    `reference.apply` for a NumPy stage)."""
    seen = []
    original = reference.apply

    def apply(node, args):
        if node.op == "numpy" and node.params.name == "matmul":
            seen.append(list(args))
        return original(node, args)

    monkeypatch.setattr(reference, "apply", apply)
    return seen


def _run(function, mode, *args):
    if mode == "fuse":
        return la.fuse(function)(*args)
    out = function(*[la.array(a) for a in args])
    return tuple(np.asarray(o) for o in out) if isinstance(out, tuple) else np.asarray(out)


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_dev_t_dev_hands_blas_a_view_of_one_computed_dev(mode, monkeypatch):
    x = np.random.default_rng(14).random((300, 40))
    seen = _products(monkeypatch)
    got = _run(_cov, mode, x)
    left, right = seen[-1]
    assert _address(left) == _address(right) and left.strides == right.strides[::-1]  # one buffer, transposed
    assert right.flags.c_contiguous and not np.shares_memory(right, x)  # the computed dev, not the input
    np.testing.assert_allclose(right, x - x.mean(axis=0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got, _cov(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_cosine_similarity_hands_blas_the_transposed_view(mode, monkeypatch):
    rng = np.random.default_rng(15)
    a, b = rng.standard_normal((200, 16)), rng.standard_normal((150, 16))
    seen = _products(monkeypatch)
    sim, best = _run(_cosine, mode, a, b)
    left, right = seen[-1]
    assert left.flags.c_contiguous and right.flags.f_contiguous and right.T.flags.c_contiguous  # NumPy's NT product
    np.testing.assert_allclose(right.T, b / np.linalg.norm(b, axis=1, keepdims=True), rtol=1e-15)
    want_sim, want_best = _cosine(a, b)
    np.testing.assert_allclose(sim, want_sim, rtol=1e-12, atol=1e-15)
    assert best.dtype == want_best.dtype and np.array_equal(best, sim.argmax(axis=1))
