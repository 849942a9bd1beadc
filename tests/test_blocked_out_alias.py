"""(session 18 f32mem) ``f(x).compute(out=x)`` for a kernel with vector math: its blocked loop (both tiers) runs a
block again with the C library when some fast value was not ok, and that second pass must read the block's inputs,
not the outputs the first pass stored over them. Before the fix a NaN gave the NaN's whole block f(f(x)).

NumPy is the oracle (a few ULP, NaNs where NumPy has them); the quick tier and Numba's tier give the same bits."""
import numpy as np
import pytest

import lazyarr as la

SPECIALS = (np.nan, np.inf, -np.inf, 1e30, -0.0)


def _data(n: int, dtype: str, seed: int, low=-10.0, high=10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, n).astype(dtype)
    for k, v in enumerate(SPECIALS):  # one special in several blocks, at different offsets inside them
        x[(1024 * (3 * k + 1) + 17 * k) % n] = v
    return x


def _close(got: np.ndarray, ref: np.ndarray, ulps: int = 4) -> None:
    assert got.dtype == ref.dtype and got.shape == ref.shape
    nan = np.isnan(ref)
    np.testing.assert_array_equal(np.isnan(got), nan)
    with np.errstate(invalid="ignore"):
        ok = (got == ref) | (np.abs(got.astype(np.float64) - ref) <= ulps * np.spacing(np.abs(ref)).astype(np.float64))
    bad = np.flatnonzero(~(ok | nan))
    assert bad.size == 0, f"{bad.size} elements off, first {bad[:5]}: {got[bad[:3]]} against {ref[bad[:3]]}"


@pytest.fixture(params=["quick", "numba"])
def tier(request):
    if request.param == "numba":
        request.getfixturevalue("numba_tier")
    return request.param


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["tanh", "exp", "sin", "log"])
@pytest.mark.parametrize("n", [5000, 200_003])
def test_unary_into_its_input(tier, name, dtype, n):
    x = _data(n, dtype, 18)
    if name == "log":
        x = np.abs(x)
    with np.errstate(all="ignore"):
        ref = getattr(np, name)(x)
    for _ in range(3):  # the full path, then the learned recipe, then its ready launch
        z = x.copy()
        got = getattr(la, name)(la.array(z)).compute(out=z)
        assert got is z
        _close(z, ref)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("which", [0, 1])
def test_binary_into_one_input(tier, dtype, which):
    y, x = _data(7000, dtype, 1), _data(7000, dtype, 2)
    with np.errstate(all="ignore"):
        ref = np.arctan2(y, x)
    for _ in range(3):
        args = [y.copy(), x.copy()]
        la.arctan2(la.array(args[0]), la.array(args[1])).compute(out=args[which])
        _close(args[which], ref)


def test_tiers_same_bits_in_place():
    """The same values in place and into a new array, on both tiers."""
    from lazyarr import config

    x = _data(9000, "float32", 7)
    results = []
    for quick in (None, False):
        config.set_quick_tier(quick)
        try:
            z = x.copy()
            la.tanh(la.array(z) * 2).compute(out=z)
            results += [z, la.tanh(la.array(x) * 2).compute()]
        finally:
            config.set_quick_tier(None)
    assert all(r.tobytes() == results[0].tobytes() for r in results)
