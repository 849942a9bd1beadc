"""Vector math on the quick tier (#14 quick math): maps with sin, exp, log... compiled by LLVM alone, with
``kernels/vecmath*.py`` translated from their source (``compiler/llvm_math.py``), give the Numba kernel's bits.

Every function of the tier, float64 and float32, runs in ONE kernel per dtype (one input and one output per
function), so the whole table costs two quick kernels and two Numba kernels (the comparison), reused by every
test here: NumPy's umath-validation-set tables, random ranges, special values (NaN, +-inf, +-0, subnormals, huge
arguments, near multiples of pi/2) spread over some blocks only, so that both passes of the blocked loop run,
and the chunks of a parallel launch. Also: which tier ran, the plain loop where Numba's kernel has no blocks, a
refused kernel, and a fresh process that computes ``sin(a) * 2`` without starting Numba's compiler.
"""
from __future__ import annotations

import glob
import json
import os
import re
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from oracle import farther_than_numpy, ulp_distance
from subprocesses import run_bounded

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import cache, llvm_math_map, llvm_tier
from lazyarr.kernels import llvm_glue
from lazyarr.runtime import llvm_launch

REPO = Path(__file__).resolve().parents[1]
NAMES = ["sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "arcsin", "arccos",
         "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt"]
DTYPES = [np.float64, np.float32]
BLOCK = llvm_math_map.BLOCK
N_BLOCKS = 24  # 24 blocks: at a parallel size, two chunks of 12 (llvm_launch.MIN_CHUNK is 16 blocks)

# each function's ordinary arguments (its domain, where the fast pass is ok), low and high ends
DOMAINS = {"sin": (-1e5, 1e5), "cos": (-50.0, 50.0), "tan": (-20.0, 20.0), "exp": (-80.0, 80.0),
           "exp2": (-120.0, 120.0), "expm1": (-5.0, 80.0), "log": (1e-30, 1e30), "log2": (1e-6, 1e6),
           "log10": (1e-3, 1e30), "log1p": (-0.999, 1e10), "arcsin": (-1.0, 1.0), "arccos": (-1.0, 1.0),
           "arctan": (-1e4, 1e4), "sinh": (-80.0, 80.0), "cosh": (-80.0, 80.0), "tanh": (-25.0, 25.0),
           "arcsinh": (-1e6, 1e6), "arccosh": (1.0, 1e6), "arctanh": (-0.999, 0.999), "cbrt": (-1e30, 1e30)}
SPECIALS = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, -5e-324, 1e-310, 1.2e-38, 1e-45, 1e300, -1e300,
            3e38, 1e22, 2.0 ** 20, 2.0 ** 13 + 1, np.pi / 2, -np.pi / 2, 3 * np.pi / 2, 1e6 * np.pi,
            np.nextafter(np.pi, 4), 1.0, -1.0, 1.0 - 1e-16, -1.0000001, 0.5, 709.8, 710.0, -745.5, 89.0, -104.0,
            1023.5, -1075.0, 128.0, -150.0]


@pytest.fixture
def tier():
    """The tier on for this test (whatever LAZYARR_QUICK_TIER says); its launch counter."""
    config.set_quick_tier(True)
    yield llvm_launch.launches
    config.set_quick_tier(None)


def all_functions(arrays: dict) -> list[np.ndarray]:
    """Each function of its own input, in one fused kernel (one structure per dtype: every test shares it).
    The kernels in memory are forgotten first (they load again from disk), so the call takes the full path
    and the tier now set makes its kernel: the small-call path would run whichever tier's kernel it finds."""
    cache.clear_memory()
    return la.compute(*[getattr(np, name)(la.array(arrays[name])) for name in NAMES])


def on_both_tiers(request, arrays: dict, tier) -> tuple[list, list]:
    """(quick tier's results, Numba kernel's results) of ``all_functions``, checking which tier ran."""
    before, refused = tier(), llvm_tier.info()["refused"]
    quick = all_functions(arrays)
    assert tier() == before + 1, "one kernel, on the quick tier"
    assert llvm_tier.info()["refused"] == refused
    request.getfixturevalue("numba_tier")
    numba_made = all_functions(arrays)
    assert tier() == before + 1, "the tier off: Numba's kernel ran"
    return quick, numba_made


def assert_same_bits(quick: list, numba_made: list, arrays: dict) -> None:
    for name, a, b in zip(NAMES, quick, numba_made):
        assert a.dtype == b.dtype == arrays[name].dtype, name
        differ = a.view(f"u{a.itemsize}") != b.view(f"u{b.itemsize}")
        assert not differ.any(), (f"{name}({a.dtype}): {differ.sum()} elements differ from Numba's kernel, first "
                                  f"at x={arrays[name][np.argmax(differ)]!r}: {a[differ][0]!r} != {b[differ][0]!r}")


def random_inputs(dt, n_blocks: int, special_blocks: tuple, seed: int) -> dict:
    """Each function's arguments: uniform and log-uniform over its domain, with the special values (and values
    outside the domain) scattered over `special_blocks` only, so that the other blocks stay on the fast pass."""
    rng = np.random.default_rng(seed)
    n = n_blocks * BLOCK - 37  # the last block is short
    arrays = {}
    with np.errstate(over="ignore"):
        specials = np.array(SPECIALS, dtype=dt)
    for name in NAMES:
        low, high = DOMAINS[name]
        uniform = rng.uniform(low, high, n)
        magnitude = np.exp(rng.uniform(np.log(max(abs(low), 1e-30)) if low > 0 else -20, np.log(abs(high)), n))
        x = np.where(rng.random(n) < 0.5, uniform, np.clip(magnitude * np.sign(uniform), low, high))
        with np.errstate(over="ignore"):
            x = x.astype(dt)
        for block in special_blocks:
            where = block * BLOCK + rng.integers(0, min(BLOCK, n - block * BLOCK), 12)
            x[where] = rng.choice(specials, 12)
        arrays[name] = x
    return arrays


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_random_ranges_and_special_values_give_the_numba_kernels_bits(request, tier, dt):
    arrays = random_inputs(dt, 4, special_blocks=(1, 3), seed=1)
    quick, numba_made = on_both_tiers(request, arrays, tier)
    assert_same_bits(quick, numba_made, arrays)
    with np.errstate(all="ignore"):
        for name, got in zip(NAMES, quick):  # and NumPy's answer: within vecmath's budget, specials exact
            want = getattr(np, name)(arrays[name])
            far = farther_than_numpy(got, want, name, arrays[name], 4 if dt == np.float32 else 2)
            assert far.size == 0, f"{name}: {far.size} values over budget from NumPy's and farther from exact"
            special = ~np.isfinite(want) | (want == 0)
            np.testing.assert_array_equal(got[special], want[special], err_msg=name, strict=True)


DATA_DIR = os.path.join(os.path.dirname(np.__file__), "_core", "tests", "data")
TABLES = {os.path.basename(p)[len("umath-validation-set-"):-4]: p
          for p in glob.glob(os.path.join(DATA_DIR, "umath-validation-set-*.csv"))}


def table_inputs(dt) -> dict:
    """Each function's arguments from NumPy's validation table for `dt` (repeated to one common length; an
    ordinary range for a function without a table)."""
    rows = {}
    for name in NAMES:
        values = []
        if name in TABLES:
            with open(TABLES[name]) as f:
                for line in f:
                    parts = line.strip().split(",")
                    if len(parts) == 4 and parts[0] == f"np.{np.dtype(dt).name}":
                        values.append(int(parts[1], 16))
        bits = np.array(values, dtype=f"u{np.dtype(dt).itemsize}")
        rows[name] = bits.view(dt) if len(bits) else np.linspace(*DOMAINS[name], 999).astype(dt)
    n = max(len(v) for v in rows.values())
    return {name: np.resize(v, n) for name, v in rows.items()}


@pytest.mark.skipif(not TABLES, reason="this NumPy wheel ships no umath validation tables")
@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_numpys_validation_tables_give_the_numba_kernels_bits(request, tier, dt):
    arrays = table_inputs(dt)
    quick, numba_made = on_both_tiers(request, arrays, tier)
    assert_same_bits(quick, numba_made, arrays)


def test_parallel_chunks_give_the_serial_and_the_numba_kernels_bits(request, tier, parallel_threshold):
    # specials in the blocks either side of the chunk boundary (block 12) and in the first and last blocks
    arrays = random_inputs(np.float64, N_BLOCKS, special_blocks=(0, 11, 12, N_BLOCKS - 1), seed=2)
    serial = all_functions(arrays)
    parallel_threshold(1000)
    cache.clear_memory()  # a kernel of this structure another test left in memory would answer (all_functions)
    before = tier()
    with la.num_threads(2):
        chunked = all_functions(arrays)
        assert tier() == before + 1
        assert_same_bits(chunked, serial, arrays)
        request.getfixturevalue("numba_tier")
        numba_parallel = all_functions(arrays)
    assert_same_bits(chunked, numba_parallel, arrays)


BINARY_SPECIALS = [np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1e300, -1e300, 1.0, -1.0, 0.5, 2.0, -2.0, 3.0, 1e-300]


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_hypot_arctan2_and_power_give_the_numba_kernels_bits(request, tier, dt):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(-10, 10, 3000), np.exp(rng.uniform(-30, 30, 3000))])
    y = np.concatenate([rng.uniform(-10, 10, 3000), rng.uniform(-3, 3, 3000)])
    with np.errstate(over="ignore"):
        x, y, specials = x.astype(dt), y.astype(dt), np.array(BINARY_SPECIALS, dtype=dt)
    for v in (x, y):  # the special-value grid in the first two blocks, the rest ordinary
        v[rng.integers(0, 2 * BLOCK, 80)] = rng.choice(specials, 80)

    def expr(x, y):
        return np.hypot(x, y), np.arctan2(y, x), np.power(np.abs(x), y), np.power(x, np.rint(y))

    cache.clear_memory()  # a kernel of this structure another test left in memory would answer (all_functions)
    before = tier()
    quick = la.compute(*expr(la.array(x), la.array(y)))
    assert tier() == before + 1
    request.getfixturevalue("numba_tier")
    numba_made = la.compute(*expr(la.array(x), la.array(y)))
    for name, q, n in zip(["hypot", "arctan2", "power", "integer power"], quick, numba_made):
        assert q.dtype == n.dtype == dt and q.tobytes() == n.tobytes(), name


def test_the_issues_expression_and_float32_through_float64_functions(request, tier):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(-5, 5, 3000), rng.uniform(-1e3, 1e3, 3000)
    b[[5, 1500, 2999]] = [np.nan, np.inf, 1e300]  # blocks 0, 1 and 2 run the C library

    def expr(x, y):
        return x * 5 + np.sin(y) * x, np.exp(y.astype(np.float32) / 100) - x.astype(np.float32)

    cache.clear_memory()  # a kernel of this structure another test left in memory would answer (all_functions)
    before = tier()
    quick = la.compute(*expr(la.array(a), la.array(b)))
    assert tier() == before + 1
    request.getfixturevalue("numba_tier")
    numba_made = la.compute(*expr(la.array(a), la.array(b)))
    for q, n in zip(quick, numba_made):
        assert q.dtype == n.dtype and q.tobytes() == n.tobytes()


def test_a_map_numba_keeps_scalar_runs_the_c_library_throughout(request, tier):
    # integer floor_divide has no vector form: Numba's kernel is one plain loop with libm's sin (no blocks)
    i, x = np.arange(-500, 500, dtype=np.int64), np.linspace(-30, 30, 1000)

    def expr(i, x):
        return np.sin(x) + i // 7

    cache.clear_memory()  # a kernel of this structure another test left in memory would answer (all_functions)
    before = tier()
    quick = expr(la.array(i), la.array(x)).compute()
    assert tier() == before + 1
    request.getfixturevalue("numba_tier")
    assert quick.tobytes() == expr(la.array(i), la.array(x)).compute().tobytes()


def test_what_the_tier_does_not_translate_stays_on_numba(tier):
    x = np.linspace(0.5, 3, 50)
    for expr in (lambda x: np.logaddexp(x, x * 2) * np.exp(x),
                 lambda x: (np.exp(x) * 3).astype(np.int32)):
        before, refused = tier(), llvm_tier.info()["refused"]
        np.testing.assert_allclose(expr(la.array(x)).compute(), expr(x), rtol=1e-15)
        assert tier() == before and llvm_tier.info()["refused"] == refused + 1


def test_a_zero_d_map_stays_on_numbas_c_library_kernel(tier):
    # one element: Numba's 0-d kernel calls the C library; a blocked loop would only inline a polynomial per node
    cache.clear_memory()  # a kernel of this structure another test left in memory would answer (all_functions)
    before = tier()
    got = (np.tanh(la.array(np.array(0.5))) + 1).compute()
    assert tier() == before and got == np.tanh(0.5) + 1


CHILD = textwrap.dedent(
    r'''
    import json, sys
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import llvm_tier
    a = np.linspace(-4, 4, 5000)
    r = (np.sin(la.array(a)) * 2).compute()
    assert np.abs(r - np.sin(a) * 2).max() <= 1e-15
    print("REPORT " + json.dumps(dict(tier=llvm_tier.info(), numba_started="numba.np.arraymath" in sys.modules)))
    '''
)


def test_a_fresh_process_computes_sin_without_starting_numbas_compiler(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=str(REPO), LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE="0",
               LAZYARR_WARMUP="0")
    done = run_bounded([sys.executable, "-c", CHILD], env, timeout=300, what="quick-math child")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(next(line[7:] for line in done.stdout.splitlines() if line.startswith("REPORT ")))
    assert report["numba_started"] is False
    assert report["tier"]["compiles"] == 1 and report["tier"]["refused"] == 0


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_the_fast_pass_loop_asks_llvm_to_interleave(tier, dt):
    # the fast pass's loop (and only it: the exact pass keeps LLVM's own choice) carries a loop ID asking for
    # llvm_math_map.INTERLEAVE vectors in flight (docs/vecmath.md, "#14 on AVX-512"); the bits stay Numba's
    # (the tests above)
    x = np.linspace(0.5, 2.0, 5000).astype(dt)
    text = la.power(la.array(x), la.array(x)).explain()
    # (session 17 pow64) float64 power has two fast passes (power_positive's, then power's), each with the hints
    assert text.count("!llvm.loop !") == (2 if dt == np.float64 else 1)
    # (#14 tables) power looks tables up: on AVX-512 by permutes, in a loop of 16 lanes over float32 data, of 8
    # lanes interleaved twice over float64 data (session 14: llvm_math_map.loop_hints)
    lanes, count = llvm_math_map.WIDE_DATA_LOOKUPS if dt == np.float64 else (llvm_math_map.WIDTH_WITH_LOOKUPS,
                                                                                llvm_math_map.INTERLEAVE)
    if not llvm_glue.has_avx512():
        lanes, count = None, llvm_math_map.INTERLEAVE
    assert f'!{{ !"llvm.loop.interleave.count", i32 {count} }}' in text
    assert re.search(r"!(\d+) = !\{ !\1, !0", text)  # a loop ID's first operand is itself, or LLVM ignores it
    assert ('"llvm.loop.vectorize.width"' in text) == (lanes is not None)
    if lanes:
        assert f'!{{ !"llvm.loop.vectorize.width", i32 {lanes} }}' in text


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_a_loop_without_lookups_keeps_llvm_s_width_and_four_vectors_in_flight(tier, dt):
    # session 14: only loops that look tables up get a width, and the float64 one its own interleave count
    x = np.linspace(0.5, 2.0, 5000).astype(dt)
    text = la.exp(la.array(x)).explain()
    assert f'!{{ !"llvm.loop.interleave.count", i32 {llvm_math_map.INTERLEAVE} }}' in text
    assert '"llvm.loop.vectorize.width"' not in text
