"""n-d kernels (issue #11, item 4): map and reduction kernels over 1 to 6 dimensions, for inputs that are
broadcast or strided (the "nd" layout: an n-d loop whose outer axes run in parallel), above and below the
parallel threshold, against NumPy. A kernel lazyarr cannot compile falls back to NumPy with a warning, so every
test here turns warnings into errors: a fallback is a failure.

Compile time dominates: every case of one (ndim, parallel, dtype) shares one kernel (kernels are keyed by
structure, rank and layout class, not by shape or strides), and the shapes are small, the threshold deciding
serial or parallel.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same

pytestmark = pytest.mark.filterwarnings("error")

SHAPE = (7, 3, 5, 2, 4, 6)  # distinct extents: an index taken from the wrong axis shows in the values
SERIAL = 1 << 62  # a parallel threshold no test array reaches


def _data(shape: tuple, dtype: np.dtype, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.normal(size=shape).astype(dtype)
    return rng.integers(-1000, 1000, size=shape).astype(dtype)


def operands(shape: tuple, dtype) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(what, p, q): pairs whose sum has `shape`, each with at least one broadcast or strided operand."""
    ndim = len(shape)

    def data(s: tuple, seed: int = 0) -> np.ndarray:
        return _data(s, dtype, seed + 17 * len(s))

    p = data(shape, 1)
    every_other = tuple(1 if a % 2 == 0 else n for a, n in enumerate(shape))
    cases = [
        ("length-1 last axis", p, data(shape[:-1] + (1,))),
        ("length-1 first axis", p, data((1,) + shape[1:])),
        ("length-1 every other axis", data(every_other), p),
        ("0-d operand", p, data(())),
        ("leading axis missing", p, data(shape[1:])),
        ("reversed x[::-1]", data(shape)[::-1], p),
        ("every axis reversed", data(shape)[(slice(None, None, -1),) * ndim], p),
        ("step slice x[..., ::2]", data(shape[:-1] + (2 * shape[-1],))[..., ::2], p),
        ("non-contiguous view", data(tuple(n + 2 for n in shape))[(slice(1, -1),) * ndim], p),
        ("reversed and broadcast", data(shape)[::-1], data((1,) + shape[1:])[..., ::-1]),
    ]
    if ndim >= 2:  # in one dimension these are contiguous: the flat layout, another kernel
        cases += [
            ("only the last axis", data(shape[-1:]), p),
            ("step slice x[:, ::2]", p, data((shape[0], 2 * shape[1]) + shape[2:])[:, ::2]),
            ("transposed", data(shape[::-1]).T, p),
            ("Fortran order and broadcast", np.asfortranarray(p), data(shape[:-1] + (1,))),
            ("transposed, 0-d", data(()), data(shape[::-1]).T),
        ]
    return cases


def _threshold(parallel_threshold, parallel: bool) -> None:
    parallel_threshold(0 if parallel else SERIAL)


MAP_CASES = ([(ndim, parallel, np.float64) for ndim in range(1, 7) for parallel in (True, False)]
             + [(ndim, True, np.int64) for ndim in range(1, 7)])


@pytest.mark.parametrize("ndim, parallel, dtype", MAP_CASES,
                         ids=[f"{n}d-{'parallel' if p else 'serial'}-{np.dtype(d)}" for n, p, d in MAP_CASES])
def test_map_kernels_over_broadcast_and_strided_inputs(ndim, parallel, dtype, parallel_threshold):
    _threshold(parallel_threshold, parallel)
    add = la.fuse(lambda a, b: a + b)  # a new one per test: its programs remember the threshold they saw
    for what, p, q in operands(SHAPE[:ndim], dtype):
        p_before, q_before = p.copy(), q.copy()
        want = p + q
        assert_same((la.array(p) + la.array(q)).compute(), want, what=f"{what}, lazy")
        assert_same(add(p, q), want, what=f"{what}, fused")
        assert_same(add(p, q), want, what=f"{what}, fused again")
        np.testing.assert_array_equal(p, p_before, err_msg=what)
        np.testing.assert_array_equal(q, q_before, err_msg=what)


def test_the_nd_loop_keeps_a_plain_innermost_loop_over_the_last_axis(parallel_threshold):
    """The outer counter is split into indices above the innermost loop, which stays a simple range loop that
    LLVM can vectorise."""
    parallel_threshold(0)
    p, q = _data(SHAPE, np.float64, 0), _data(SHAPE[:-1] + (1,), np.float64, 1)
    source = (la.array(p) + la.array(q)).explain()
    assert "for outer in numba.prange(n0 * n1 * n2 * n3 * n4):" in source
    assert "        for i5 in range(n5):" in source
    assert "rest" not in source  # no variable reassigned from the prange index


def _reduction_axes(ndim: int) -> list[tuple]:
    """(axis, keepdims) covering the loop shapes: full / full_nd, inner (last axis reduced), outer (last kept),
    and two reduced axes with the last kept (keepdims)."""
    axes = [(None, False)]
    if ndim >= 2:
        axes += [(-1, False), (0, False)]
    if ndim >= 3:
        axes += [((0, ndim - 2), True)]
    return axes


def _check_reduction(name: str, p: np.ndarray, q: np.ndarray, axis, keepdims: bool, what: str) -> None:
    want = getattr(p + q, name)(axis=axis, keepdims=keepdims)
    got = getattr(la.array(p) + la.array(q), name)(axis=axis, keepdims=keepdims).compute()
    label = f"{what}, {name}(axis={axis}, keepdims={keepdims})"
    if want.dtype.kind == "f":  # float sums: within summation error, in another order than NumPy's
        assert got.dtype == want.dtype and got.shape == want.shape, label
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=label)
    else:
        assert_same(got, want, what=label)


REDUCE_CASES = ([(ndim, True, np.float64) for ndim in range(1, 7)]
                + [(ndim, False, np.float64) for ndim in (3, 6)] + [(4, True, np.int64)])


@pytest.mark.parametrize("ndim, parallel, dtype", REDUCE_CASES,
                         ids=[f"{n}d-{'parallel' if p else 'serial'}-{np.dtype(d)}" for n, p, d in REDUCE_CASES])
def test_reduction_kernels_over_broadcast_and_strided_inputs(ndim, parallel, dtype, parallel_threshold):
    _threshold(parallel_threshold, parallel)
    name = "sum" if np.dtype(dtype).kind == "f" else "max"
    for what, p, q in operands(SHAPE[:ndim], dtype):
        for axis, keepdims in _reduction_axes(ndim):
            _check_reduction(name, p, q, axis, keepdims, what)


@pytest.mark.parametrize("ndim", [4, 6])  # two and four kept axes above the tiled one
def test_row_split_reductions_over_broadcast_and_strided_inputs(ndim, parallel_threshold):
    """Many reduced rows in a parallel kernel: the row-split loop (outer_split) over n-d views."""
    parallel_threshold(0)
    for what, p, q in operands((260,) + SHAPE[1:ndim], np.float64):
        _check_reduction("sum", p, q, 0, False, what)


def test_a_kernel_numba_refuses_is_tried_once(monkeypatch, numba_tier):  # Numba's compiles (#14 quick math)
    """A compile that fails is not tried again on every call (each try costs up to a second): the first call
    warns and NumPy computes it, later calls go to NumPy at once, without a warning."""
    from numba.core.errors import UnsupportedRewriteError

    from lazyarr.compiler import cache

    attempts = []

    def refuse(source):
        attempts.append(source)
        raise UnsupportedRewriteError("Overwrite of parallel loop index (simulated)")

    monkeypatch.setattr(cache, "_load", refuse)
    monkeypatch.setattr(cache, "_memory", type(cache._memory)())  # no kernel loaded: every key is a miss
    monkeypatch.setattr(cache, "_unbuildable", set())  # the refusals end with this test
    x = _data((6, 5), np.float32, 3)
    want_mapped = np.hypot(x, 0.5) * x - 3
    want_reduced = want_mapped.max(axis=0)

    def mapped():  # a new LazyArray each time: one remembers its value once computed
        return np.hypot(la.array(x), 0.5) * la.array(x) - 3

    before = la.cache_info()
    with pytest.warns(RuntimeWarning, match="could not compile") as record:
        assert_same(mapped().compute(), want_mapped, what="map, first call")
        assert_same(mapped().max(axis=0).compute(), want_reduced, what="reduction, first call")
    assert len(record) == 2 and len(attempts) == 2
    for call in range(3):  # warnings are errors here: a second warning fails the test
        assert_same(mapped().compute(), want_mapped, what=f"map, call {call + 2}")
        assert_same(mapped().max(axis=0).compute(), want_reduced, what=f"reduction, call {call + 2}")
    assert len(attempts) == 2
    after = la.cache_info()
    assert after.failed - before.failed == 2 and after.compiles == before.compiles
    assert after.misses - before.misses == 8  # each call asked the cache, which answered at once
