"""(BLAS-bound programs, #15) Map kernels over windows of C arrays (a stencil's shifted slices) take each
window as its C-contiguous base plus offsets (the ``offs`` layout, compiler/layout.py): checked by the layout
chosen, by compile counts across calls and sizes, and by NumPy's bits, lazily and under ``@la.fuse``."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.layout import OFFSETS, OFFSETS_MIN_SIZE, map_layout, offsets_args, offsets_layout, view_base

rng = np.random.default_rng(1516)
F = rng.standard_normal((36, 34, 16))  # the stencil's loop: (34, 32, 16), just over OFFSETS_MIN_SIZE elements
G = rng.standard_normal((34, 32, 16))


def stencil(f, g):
    """A 5-point Laplacian on the inner box with a flux-limiter `where`, as bench/programs' hdiff writes it."""
    lap = 4.0 * f[1:-1, 1:-1, :] - (f[2:, 1:-1, :] + f[:-2, 1:-1, :] + f[1:-1, 2:, :] + f[1:-1, :-2, :])
    flx = np.where(lap * (f[2:, 1:-1, :] - f[1:-1, 1:-1, :]) > 0, 0.0, lap)
    return f[1:-1, 1:-1, :] - g * flx


def _layouts(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("# layout=")]


def test_windows_are_found_with_their_offsets():
    base, at = view_base(F[2:-1, 1:, 3:])
    assert base is F and at == (2, 1, 3)
    assert view_base(F)[1] == (0, 0, 0)
    assert view_base(F[1:, ::2]) is None  # stepped
    assert view_base(F[::-1]) is None  # reversed
    assert view_base(F.transpose(1, 0, 2)[1:]) is None  # transposed
    assert view_base(np.asfortranarray(F)[1:]) is None  # a window of an F array
    assert view_base(np.arange(60.0).reshape(6, 10)[1:, 1:]) is None  # a window of a 1-d buffer


def test_layout_is_chosen_for_strided_windows_only():
    shape = G.shape
    assert map_layout([F[1:-1, 1:-1], F[2:, :-2]], shape) == (OFFSETS, "C")
    assert map_layout([F[1:-1, 1:-1], G], shape) == (OFFSETS, "C")  # a C array is its own window
    assert map_layout([G, G], shape)[0] == "flat"
    assert offsets_layout([F[1:-1, 1:-1], G[:, :, :1]], shape) is None  # broadcast: not a window of the shape
    assert offsets_layout([F[1:-1, 1:-1, 0]], shape[:2]) is None  # a strided inner axis
    assert offsets_layout([F[1:-1, 1:-1, :8], F[2:, :-2, :8]], (34, 32, 8)) is None  # too small to pay
    assert 34 * 32 * 8 < OFFSETS_MIN_SIZE <= 34 * 32 * 16
    bases_and_offsets = offsets_args([F[1:-1, 1:-1], F[2:, :-2]])
    assert bases_and_offsets[0] is F and bases_and_offsets[1] is F
    assert bases_and_offsets[2].tolist() == [[1, 1, 0], [2, 0, 0]]


def test_lazy_stencil_runs_on_offsets_with_numpys_bits():
    e = stencil(la.array(F), la.array(G))
    assert _layouts(e.explain()) == ["# layout=offs parallel=False"]
    np.testing.assert_array_equal(e.compute(), stencil(F, G))


def test_fused_stencil_shares_one_kernel_across_calls_and_sizes(fresh_counters):
    f = la.fuse(stencil)
    np.testing.assert_array_equal(f(F, G), stencil(F, G))
    compiles = la.cache_info().misses
    f2, g2 = rng.standard_normal((38, 36, 16)), rng.standard_normal((36, 34, 16))
    np.testing.assert_array_equal(f(f2, g2), stencil(f2, g2))  # another shape: a retrace, no new kernel
    np.testing.assert_array_equal(f(F, G), stencil(F, G))
    assert la.cache_info().misses == compiles


def test_fused_explain_shows_the_offsets_layout_the_run_uses():
    # the traced placeholder of a C argument owns memory of the argument's shape, so its slices are windows of it
    f = la.fuse(stencil)
    assert _layouts(f.explain(F, G)) == ["# layout=offs parallel=False"]


def test_fused_call_whose_argument_is_no_window_base_falls_back(fresh_counters):
    f = la.fuse(stencil)
    np.testing.assert_array_equal(f(F, G), stencil(F, G))
    # the same shape and strides (the same trace), but a view of a 1-d buffer: its windows have no 3-d base
    flat = np.ascontiguousarray(F).reshape(-1).copy().reshape(F.shape)
    assert view_base(flat[1:-1, 1:-1]) is None
    np.testing.assert_array_equal(f(flat, G), stencil(flat, G))


@pytest.mark.parametrize("parallel", [False, True])
def test_integer_windows_and_the_parallel_variant(parallel, parallel_threshold):
    if parallel:
        parallel_threshold(10)
    a = rng.integers(-50, 50, (130, 130))
    e = la.array(a)[1:-1, 2:] * 3 - la.array(a)[:-2, :-2]  # (128, 128): OFFSETS_MIN_SIZE elements
    assert _layouts(e.explain()) == [f"# layout=offs parallel={parallel}"]
    got = e.compute()
    assert got.dtype == a.dtype
    np.testing.assert_array_equal(got, a[1:-1, 2:] * 3 - a[:-2, :-2])
