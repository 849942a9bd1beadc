"""float64 ``power``'s two fast passes on the quick tier (session 17 pow64, docs/vecmath.md "Session 17 (pow64)").

``vecmath.power_positive`` is ``power`` without the sign and the integer test of y; its ok is False for every x with
its sign bit set, and for zero, subnormal, infinite and NaN x, by one range test on the log's t1
(``vecmath._pow_range_ok``). The quick tier's flat kernel runs it first on each block, then ``power`` on a block where
it was not all ok, then the C library; after a block that needed more than the first pass the following blocks start
with ``power``, but every 16th block tries the first pass again. Checked
here: the range test over bit patterns of every exponent and sign, ``power_positive``'s bits equal to ``power``'s where
it is ok, and the kernel's results -- blocks of positive bases, negative bases with integer exponents, specials, in
every order, serial and in parallel chunks, float64 and float16 -- equal Numba's kernel (which runs ``power`` alone)
bit for bit and NumPy within 1 ULP.
"""
from __future__ import annotations

import numpy as np
import pytest
from oracle import ulp_distance

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, llvm_math_map
from lazyarr.kernels import vecmath as V
from lazyarr.runtime import llvm_launch

BLOCK = llvm_math_map.BLOCK


@pytest.fixture
def tier():
    config.set_quick_tier(True)
    yield llvm_launch.launches
    config.set_quick_tier(None)


def bit_patterns() -> np.ndarray:
    """Every exponent field, both signs, each of the log's 16 subintervals (its first, middle and last mantissas),
    and the specials: ~200,000 float64 bit patterns."""
    exponent = np.arange(2048, dtype=np.int64) << 52
    mantissa = np.concatenate([np.arange(16, dtype=np.int64) << 48 | offset for offset in (0, 1 << 47, (1 << 48) - 1)])
    bits = (exponent[:, None] | mantissa[None, :]).ravel()
    bits = np.concatenate([bits, bits | np.int64(-2 ** 63)])
    specials = np.array([0.0, -0.0, 5e-324, 2.2250738585072014e-308, np.inf, -np.inf, np.nan, 1.0, -1.0,
                         1.7976931348623157e308, 2.0 ** -1021, 2.0 ** 1021])
    return np.concatenate([bits.view(np.float64), specials, -specials])


def test_the_range_test_rejects_every_x_that_is_not_positive_and_normal_and_keeps_2_to_the_plus_minus_1021():
    x = bit_patterns()
    ok = np.array([V.power_positive(v, 0.5)[1] for v in x])  # th = log(x)/2: in range for every normal x
    assert not ok[~(x > 0) | ~np.isfinite(x) | (x < 2.2250738585072014e-308)].any()
    inner = (x >= 2.0 ** -1021) & (x <= 2.0 ** 1021)
    assert ok[inner].all()
    # power itself: the same range for |x|; a negative x is ok only with an integer y
    assert [V.power(v, 3.0)[1] for v in (-2.0, -0.0, -np.inf, -5e-324, -1e-310)] == [True] + [False] * 4
    assert [V.power(v, 2.5)[1] for v in (-2.0, 2.0)] == [False, True]


def test_power_positive_gives_power_s_bits_where_it_is_ok():
    rng = np.random.default_rng(1717)
    x = np.concatenate([np.exp(rng.uniform(-700, 700, 3000)), rng.uniform(0, 3, 3000), -rng.uniform(0, 3, 500)])
    y = np.concatenate([rng.uniform(-1, 1, 3000), rng.uniform(-300, 300, 3000), np.rint(rng.uniform(-9, 9, 500))])
    for a, b in zip(x, y):
        value, ok = V.power_positive(a, b)
        full, full_ok = V.power(a, b)
        if a > 0:
            assert ok == full_ok
        if ok:
            assert a > 0 and np.float64(value).view(np.int64) == np.float64(full).view(np.int64), (a, b)
        else:
            assert a <= 0 or not full_ok, (a, b)


def blocks(kinds: str, rng) -> tuple[np.ndarray, np.ndarray]:
    """x and y block by block: "p" positive bases, "n" a few negative bases with integer y, "s" a few specials
    (zeros, infinities, NaN, an overflow), "m" half the bases negative; the last block short."""
    xs, ys = [], []
    for kind in kinds:
        x, y = rng.uniform(0.05, 20, BLOCK), rng.uniform(-30, 30, BLOCK)
        where = rng.integers(0, BLOCK, 5)
        if kind == "n":
            x[where], y[where] = -x[where], np.rint(y[where])
        elif kind == "s":
            x[where] = [0.0, -0.0, np.inf, np.nan, 1e300]
            y[where] = [2.0, 3.0, -1.0, 0.5, 7.0]
        elif kind == "m":
            x[::2], y[::2] = -x[::2], np.rint(y[::2])
        xs.append(x)
        ys.append(y)
    return np.concatenate(xs)[:-29], np.concatenate(ys)[:-29]


# the last two run past llvm_math_map.RETRY_BLOCKS blocks: the first pass tried again at blocks 16 and 32
@pytest.mark.parametrize("kinds", ["pppp", "pnpp", "nppp", "psps", "mmpm", "ppsnpp", "snsp", "s" + "p" * 18 + "n" + "p" * 16,
                                   "m" * 17 + "p" * 3 + "n" * 14 + "p"])
def test_blocks_in_every_order_give_the_numba_kernel_s_bits_and_numpy_s_values(request, tier, kinds):
    x, y = blocks(kinds, np.random.default_rng(len(kinds) * 31 + kinds.count("n")))
    cache.clear_memory()
    before = tier()
    quick = la.power(la.array(x), la.array(y)).compute()
    assert tier() == before + 1, "the quick tier's kernel ran"
    with np.errstate(all="ignore"):
        expected = np.power(x, y)
    assert np.array_equal(np.isnan(quick), np.isnan(expected))
    assert np.array_equal(np.signbit(quick), np.signbit(expected))  # the negative bases' signs
    finite = np.isfinite(expected)
    assert np.array_equal(quick[~finite & ~np.isnan(expected)], expected[~finite & ~np.isnan(expected)])
    assert ulp_distance(quick[finite], expected[finite]).max() <= 1
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    numba_made = la.power(la.array(x), la.array(y)).compute()
    assert quick.tobytes() == numba_made.tobytes()


def test_parallel_chunks_and_a_fused_expression_give_the_serial_and_the_numba_kernels_bits(request, tier,
                                                                                         parallel_threshold):
    # 40 blocks: two chunks of 20; negative bases in blocks 3 and 25 (one per chunk), specials in 19 and 20
    rng = np.random.default_rng(17)
    x, y = blocks("pppnpppppppppppppppsspppppnppppppppppppp", rng)
    z = rng.uniform(-3, 3, x.size)

    def expr(x, y, z):
        return np.power(x, y) * np.exp(z), np.power(np.abs(x) + 1.0, z)

    cache.clear_memory()
    serial = la.compute(*expr(la.array(x), la.array(y), la.array(z)))
    parallel_threshold(1000)
    cache.clear_memory()
    with la.num_threads(2):
        chunked = la.compute(*expr(la.array(x), la.array(y), la.array(z)))
        request.getfixturevalue("numba_tier")
        cache.clear_memory()
        numba_made = la.compute(*expr(la.array(x), la.array(y), la.array(z)))
    for s, c, n in zip(serial, chunked, numba_made):
        assert s.tobytes() == c.tobytes() == n.tobytes()


def test_float16_power_runs_the_float64_passes_and_gives_numba_s_bits(request, tier):
    x, y = blocks("pnps", np.random.default_rng(16))
    x, y = np.clip(x, -60, 60).astype(np.float16), np.clip(y, -3, 3).astype(np.float16)
    cache.clear_memory()
    quick = la.power(la.array(x), la.array(y)).compute()
    request.getfixturevalue("numba_tier")
    cache.clear_memory()
    assert quick.tobytes() == la.power(la.array(x), la.array(y)).compute().tobytes()


def test_only_float64_power_kernels_get_the_second_pass(tier):
    x = np.linspace(0.5, 2.0, 5000)
    assert "full_fast" in la.power(la.array(x), la.array(x)).explain()
    assert "full_fast" in (la.power(la.array(x), la.array(x)) + la.sin(la.array(x))).explain()
    assert "full_fast" not in la.power(la.array(x.astype(np.float32)), la.array(x.astype(np.float32))).explain()
    assert "full_fast" not in la.exp(la.array(x)).explain()
