"""float64 ``power`` with its log's head and its exp's reduction overlapped (session 15 vm3, docs/vecmath.md "Session
15: vm3"): ``vecmath._pow_log`` returns the head h4 (with -r**4/4) unnormalised, so y times its low part (up to
~0.003) enters the exp's reduced argument through a TwoSum, and the exp's n comes from (y 16/ln 2) h4 (one off from
rint(th 16/ln 2) at a tie). Where both are largest -- x next to a table subinterval edge (|r| largest), |y log x| up to
708, t on both sides of every n step -- the result stays within 0.55 ULP of the long-double one, Numba's tier gives the
same bits, and so do a parallel flat kernel, a strided n-d kernel and a broadcast one (the log hoisted out of a row)."""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache
from lazyarr.kernels import vecmath_tables as T
from lazyarr.runtime import llvm_launch

pytestmark = pytest.mark.skipif(np.finfo(np.longdouble).nmant < 63, reason="needs an 80-bit long double")
LN2_16 = np.log(2) / 16


@pytest.fixture
def quick_tier():
    config.set_quick_tier(True)
    yield
    config.set_quick_tier(None)


def edge_bases() -> np.ndarray:
    """x one and two ULP inside each end of the log's 16 subintervals (|r| at its largest), at six exponents."""
    edges = np.array([float(np.int64(T.LOG_OFF_BITS + (i << T.LOG_SHIFT)).view(np.float64)) for i in range(17)])
    scaled = np.concatenate([edges * 2.0 ** e for e in (-200, -3, 0, 1, 9, 300)])
    bits = scaled.view(np.int64)
    x = np.concatenate([(bits + d).view(np.float64) for d in (-2, -1, 1, 2)])
    return x[np.abs(np.log(x)) > 1e-3]  # |log x| tiny: y beyond 10**5 for |t| ~ 700, tested elsewhere


def tie_exponents(x: np.ndarray, rng) -> np.ndarray:
    """For each x, a y with t = y log x next to (m + 1/2) ln2/16 (an n step), |t| in [400, 700], a few ULP off."""
    m = rng.integers(400 * 16 / np.log(2), 700 * 16 / np.log(2), x.size) * rng.choice([-1, 1], x.size)
    y = (m + 0.5) * LN2_16 / np.log(x)
    return (y.view(np.int64) + rng.integers(-3, 4, x.size)).view(np.float64)


def arguments() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1515)
    x = np.repeat(edge_bases(), 8)
    big = rng.uniform(400, 700, x.size) * rng.choice([-1, 1], x.size) / np.log(x)   # |y lo| near its largest
    y = np.where(np.arange(x.size) % 2 == 0, tie_exponents(x, rng), big)
    return x, y


def exact_power(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    exact = np.power(x.astype(np.longdouble), y.astype(np.longdouble))
    with np.errstate(over="ignore", under="ignore"):
        rounded = exact.astype(np.float64)
    return exact, rounded


def test_float64_power_where_the_log_s_low_part_and_the_n_steps_meet_within_0_55_ulp(quick_tier, request):
    x, y = arguments()
    exact, rounded = exact_power(x, y)
    inside = np.isfinite(rounded) & (np.abs(rounded) >= np.finfo(np.float64).tiny)
    assert inside.mean() > 0.95
    cache.clear_memory()
    before = llvm_launch.launches()
    got = la.power(la.array(x), la.array(y)).compute()
    assert llvm_launch.launches() == before + 1, "the quick tier ran"
    spacing = np.spacing(np.abs(rounded[inside])).astype(np.longdouble)
    dist = np.asarray(np.abs(got[inside].astype(np.longdouble) - exact[inside]) / spacing, np.float64)
    assert dist.max() <= 0.55, f"{dist.max()} ULP at x={x[inside][np.argmax(dist)]!r}, y={y[inside][np.argmax(dist)]!r}"
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    assert la.power(la.array(x), la.array(y)).compute().tobytes() == got.tobytes()


@pytest.mark.parametrize("tier", ["quick", "numba"])
def test_float64_power_parallel_strided_and_broadcast_kernels_give_the_flat_bits(tier, parallel_threshold, request):
    if tier == "numba":
        request.getfixturevalue("numba_tier")
    x, y = arguments()  # |t| <= 700: every result a normal number, so no block goes to the C library
    n = x.size - x.size % 240
    x, y = x[:n], y[:n]
    cache.clear_memory()
    flat = la.power(la.array(x), la.array(y)).compute()            # one thread: the reference bits
    parallel_threshold(1000)
    assert la.power(la.array(x), la.array(y)).compute().tobytes() == flat.tobytes()
    # a strided n-d view: every other row, columns reversed
    X, Y = np.zeros((2 * 240, n // 240)), np.zeros((2 * 240, n // 240))
    X[::2, ::-1], Y[::2, ::-1] = x.reshape(240, -1), y.reshape(240, -1)
    strided = la.power(la.array(X)[::2, ::-1], la.array(Y)[::2, ::-1]).compute()
    assert strided.tobytes() == flat.reshape(240, -1).tobytes()
    # a broadcast: x fixed along each row (the log hoisted out of the row's loop), y along the columns
    xs = x[(np.abs(np.log(x)) < 3.2)][:300]                      # 2**-3 to 2**2
    ys = np.random.default_rng(1516).uniform(-200, 200, 40)        # |t| <= 640: every result normal
    table = la.power(la.array(xs)[:, None], la.array(ys)[None, :]).compute()
    cache.clear_memory()
    pairs = la.power(la.array(np.repeat(xs, ys.size)), la.array(np.tile(ys, xs.size))).compute()
    assert table.tobytes() == pairs.reshape(xs.size, ys.size).tobytes()
