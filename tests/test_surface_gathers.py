"""Issue #13, the remaining parts: multi-output linear algebra computed once (lazyarr/api/linalg.py's
``library_outputs`` stage), nanmax/nanmin as vectorising fused reductions, interp's parallel kernel.

Small float64 arrays; a decomposition's call count is read from a monkeypatched NumPy function.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la

RNG = np.random.default_rng(13)
B = RNG.random((5, 3))
S = B.T @ B + np.eye(3)


def _counted(monkeypatch, name: str) -> list:
    """np.linalg.<name> replaced by a wrapper that records each call on real NumPy data: not the user's call
    on a LazyArray (it dispatches to lazyarr), nor the builder's 1 x 1 probes (for dtypes)."""
    real = getattr(np.linalg, name)
    calls = []

    def counting(a, *args, **kwargs):
        if isinstance(a, np.ndarray) and a.shape[-1] > 1:
            calls.append(np.shape(a))
        return real(a, *args, **kwargs)
    monkeypatch.setattr(np.linalg, name, counting)
    return calls


@pytest.mark.parametrize("name, operand, kwargs", [
    ("svd", B, {"full_matrices": False}), ("svd", B, {}), ("qr", B, {}), ("qr", B, {"mode": "complete"}),
    ("eigh", S, {}), ("slogdet", S, {}),
], ids=["svd reduced", "svd full", "qr", "qr complete", "eigh", "slogdet"])
def test_multi_output_routine_runs_once_for_all_outputs(monkeypatch, name, operand, kwargs):
    want = getattr(np.linalg, name)(operand, **kwargs)
    calls = _counted(monkeypatch, name)
    got = getattr(np.linalg, name)(la.array(operand), **kwargs)
    assert type(got).__name__ == type(want).__name__
    assert calls == []  # nothing computed when built
    values = la.compute(*got)
    assert len(calls) == 1
    for g, w in zip(values, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)  # the same call on the same input: the same bits


def test_multi_output_routine_runs_once_under_fuse(monkeypatch):
    calls = _counted(monkeypatch, "svd")

    @la.fuse
    def reconstruct(a):
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        return (u * s) @ vt

    np.testing.assert_allclose(reconstruct(B), B, rtol=1e-12, atol=1e-12)
    calls.clear()
    np.testing.assert_allclose(reconstruct(B + 1), B + 1, rtol=1e-12, atol=1e-12)  # a replayed program
    assert len(calls) == 1


def test_multi_output_parts_are_independent_arrays():
    u, s, vt = la.compute(*np.linalg.svd(la.array(B), full_matrices=False))
    s_before = s.copy()
    u[...] = 0  # a user may write to an output: the others are not views of the same buffer
    np.testing.assert_array_equal(s, s_before)
    assert u.flags.writeable


def test_eager_multi_output_routines_call_numpy_once(monkeypatch):
    calls = _counted(monkeypatch, "lstsq")
    got = np.linalg.lstsq(la.array(B), la.array(B[:, 0]), rcond=None)
    assert len(calls) == 1
    want = np.linalg.lstsq(B, B[:, 0], rcond=None)
    for g, w in zip(got, want):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-12, atol=1e-14)
