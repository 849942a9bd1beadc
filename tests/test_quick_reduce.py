"""Reductions on the quick tier (#14): full, last-axis and first-axis sum/prod/min/max/any/all compiled to LLVM.

Each case computes a reduction twice, on the quick tier and through Numba's kernel of the same graph (the tier
switched off, as the ``numba_tier`` fixture does), and checks the same bits, NumPy's dtype and shape, and NumPy's
value within the reduction tests' tolerance (float sums: summation error; everything else exact). The same
producer (``x * y``) over few dtypes keeps the Numba kernels few. Also: which tier ran (its counter), edge
values (NaN, inf, -0.0, integer wraparound), 0-d, empty, keepdims, axis=-1, several trailing axes, axis=0 (row by
row and in row ranges), the parallel
chunks at parallel sizes, explain(), and in a fresh process: a reduction computed without Numba's compiler.
"""
import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from oracle import assert_same
from subprocesses import run_bounded

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import llvm_tier
from lazyarr.runtime import llvm_launch

REPO = Path(__file__).resolve().parents[1]
NAMES = ["sum", "prod", "min", "max", "any", "all"]
DTYPES = [np.float64, np.float32, np.int64, np.bool_]


@pytest.fixture
def tier():
    """The tier on for this test (whatever LAZYARR_QUICK_TIER says)."""
    config.set_quick_tier(True)
    yield
    config.set_quick_tier(None)


def on_both_tiers(expression, *arrays):
    """(quick tier's result, Numba kernel's result) of `expression` over lazy arrays; asserts the quick tier ran
    the reduction and Numba's kernel did not run on it."""
    before = llvm_launch.reductions()
    quick = np.asarray(expression(*[la.array(a) for a in arrays]).compute())
    assert llvm_launch.reductions() == before + 1, "the quick tier did not run the reduction"
    config.set_quick_tier(False)  # the numba_tier fixture's switch, for the second half of this test only
    try:
        numba = np.asarray(expression(*[la.array(a) for a in arrays]).compute())
    finally:
        config.set_quick_tier(True)
    assert llvm_launch.reductions() == before + 1
    return quick, numba


def tolerance(name: str, dt: np.dtype) -> float:
    """Float sums and products differ from NumPy's pairwise order by rounding error; the rest is exact."""
    if dt.kind == "f" and name in ("sum", "prod"):
        return 1e-5 if dt == np.float32 else 1e-12
    return 0.0


def check(name, quick, numba, want):
    """(`name`: the reduction, then what the case is) Same bits on both tiers; NumPy's dtype and shape, and its value within `tolerance`."""
    want = np.asarray(want)
    assert quick.dtype == numba.dtype == want.dtype and quick.shape == numba.shape == want.shape, name
    assert quick.tobytes() == numba.tobytes(), f"{name}: the tiers differ: {quick} != {numba}"
    rtol = tolerance(name.split()[0], want.dtype)
    if rtol == 0:
        assert_same(quick, want, what=name, zero_sign=False)  # lazyarr's sums start at +0.0 (NumPy: -0.0 for [-0.0])
    else:
        np.testing.assert_allclose(quick, want, rtol=rtol, equal_nan=True, err_msg=name)


def operands(dt, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of `dt` whose product is neither always zero nor always true (so all/min are not trivial)."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dt)
    if dt.kind == "b":
        return rng.random(n) < 0.9, rng.random(n) < 0.95
    if dt.kind in "iu":
        return rng.integers(-9, 10, n).astype(dt), rng.integers(1, 4, n).astype(dt)
    return (rng.random(n) + 0.5).astype(dt), (rng.random(n) * 1.2 + 0.4).astype(dt)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
def test_full_reductions_give_the_numba_kernels_bits(tier, dt):
    # 1003: whole blocks of 128, a short block and a tail of < 8 lanes; 70000: two chunks and their fold
    for n in (1003, 70000):
        x, y = operands(dt, n)
        for name in NAMES:
            quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(), x, y)
            check(f"{name} {np.dtype(dt)} n={n}", quick, numba, getattr(x * y, name)())


def test_nan_inf_and_signed_zeros_follow_numpys_rules(tier):
    cases = {
        "nan first": [np.nan, 1.0, -np.inf, 2.0], "nan last": [1.0, np.inf, 3.0, np.nan],
        "infinities": [np.inf, 1.0, -np.inf, 2.0], "inf then one": [np.inf] + [1.0] * 20,
        "signed zeros": [-0.0, 0.0, -0.0] * 7, "negative zeros": [-0.0] * 9,
    }
    ones = np.ones(21)
    for what, values in cases.items():
        x = np.array(values * 11)  # past a block of lanes
        for name in NAMES:
            quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(), x, ones[:1].repeat(x.size))
            with np.errstate(invalid="ignore", over="ignore"):
                check(f"{name} {what}", quick, numba, getattr(x, name)())


def test_integer_sums_and_products_wrap_as_numpys(tier):
    big = np.array([2**62, 2**62, 2**62 + 5, 7, -(2**63), 3] * 50, dtype=np.int64)
    ones = np.ones_like(big)
    for name in ("sum", "prod", "min", "max"):
        quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(), big, ones)
        check(f"{name} int64 wraparound", quick, numba, getattr(big, name)())


def test_last_axis_reductions_keepdims_and_trailing_axes(tier):
    x, y = operands(np.float64, 37 * 203)
    x2, y2 = x.reshape(37, 203), y.reshape(37, 203)
    for name in NAMES:
        for kwargs in ({"axis": 1}, {"axis": -1, "keepdims": True}):
            quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(**kwargs), x2, y2)
            check(f"{name} {kwargs}", quick, numba, getattr(x2 * y2, name)(**kwargs))
    x3, y3 = x.reshape(37, 7, 29), y.reshape(37, 7, 29)  # each output folds 7 rows of 29, each row from its start
    quick, numba = on_both_tiers(lambda a, b: (a * b).sum(axis=(1, 2)), x3, y3)
    check("sum axis=(1, 2)", quick, numba, (x3 * y3).sum(axis=(1, 2)))
    f, g = operands(np.float32, 37 * 203)
    quick, numba = on_both_tiers(lambda a, b: (a * b).sum(axis=-1), f.reshape(37, 203), g.reshape(37, 203))
    check("sum float32 axis=-1", quick, numba, (f * g).reshape(37, 203).sum(axis=-1))


def test_first_axis_reductions_row_by_row_and_in_row_ranges(tier, parallel_threshold):
    x, y = operands(np.float64, 37 * 203)
    x2, y2 = x.reshape(203, 37), y.reshape(203, 37)
    for name in NAMES:  # the `outer` loop: each column's rows in order, no compensation
        quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(axis=0), x2, y2)
        check(f"{name} axis=0", quick, numba, getattr(x2 * y2, name)(axis=0))
    i, j = operands(np.int64, 37 * 203)
    quick, numba = on_both_tiers(lambda a, b: (a * b).sum(axis=0, keepdims=True), i.reshape(203, 37), j.reshape(203, 37))
    check("sum int64 axis=0 keepdims", quick, numba, (i * j).reshape(203, 37).sum(axis=0, keepdims=True))
    parallel_threshold(1000)  # `outer_split`: 3 row ranges (203 // 64) folded into partials, then in order
    for name in ("sum", "max"):
        quick, numba = on_both_tiers(lambda a, b: getattr(a * b, name)(axis=0), x2, y2)
        check(f"{name} axis=0 row ranges", quick, numba, getattr(x2 * y2, name)(axis=0))


def test_parallel_chunks_give_the_serial_bits(tier, parallel_threshold):
    x, y = operands(np.float64, 300_001)  # 5 chunks of the full loop, shared by 2 threads
    rows, cols = x[:300_000].reshape(1000, 300), y[:300_000].reshape(1000, 300)
    parallel_threshold(10**9)
    serial = [np.asarray((la.array(x) * la.array(y)).sum().compute()),
              np.asarray((la.array(rows) * la.array(cols)).max(axis=1).compute())]
    parallel_threshold(1000)
    with la.num_threads(2):
        quick, numba = on_both_tiers(lambda a, b: (a * b).sum(), x, y)
        check("sum parallel", quick, numba, (x * y).sum())
        assert quick.tobytes() == serial[0].tobytes()
        quick, numba = on_both_tiers(lambda a, b: (a * b).max(axis=1), rows, cols)
        check("max axis=1 parallel", quick, numba, (rows * cols).max(axis=1))
        assert quick.tobytes() == serial[1].tobytes()
    with la.num_threads(1):
        assert np.asarray((la.array(x) * la.array(y)).sum().compute()).tobytes() == serial[0].tobytes()


def test_zero_d_empty_and_mean(tier):
    scalar = np.array(2.5)  # a 0-d reduction is a copy: a map kernel
    for name in NAMES:
        assert_same(np.asarray(getattr(la.array(scalar) * 3, name)().compute()), np.asarray(getattr(scalar * 3, name)()))
    empty = np.empty((0,))
    assert_same(np.asarray((la.array(empty) * 2).sum().compute()), np.asarray((empty * 2).sum()))
    assert_same(np.asarray((la.array(empty) * 2).prod().compute()), np.asarray((empty * 2).prod()))
    x, y = operands(np.float64, 1003)
    before = llvm_launch.reductions()
    got = np.asarray((la.array(x) * la.array(y)).mean().compute())
    assert llvm_launch.reductions() == before + 1  # mean's sum ran on the tier
    np.testing.assert_allclose(got, (x * y).mean(), rtol=1e-12)


def test_inputs_are_never_written_and_strided_inputs_stay_on_numba(tier):
    x, y = operands(np.float64, 1003)
    kept = x.copy(), y.copy()
    (la.array(x) * la.array(y)).sum().compute()
    assert np.array_equal(x, kept[0]) and np.array_equal(y, kept[1])
    before = llvm_launch.reductions()
    got = np.asarray((la.array(x[::2]) * la.array(y[::2])).sum().compute())  # a strided view: Numba's kernel
    assert llvm_launch.reductions() == before
    np.testing.assert_allclose(got, (x[::2] * y[::2]).sum(), rtol=1e-12)


def test_background_compilation_answers_with_numpy_while_the_kernel_is_made(tier):
    # a structure no other test makes (int16 products, a max of them), so its kernel is not in memory yet
    a, b = np.arange(-600, 600, dtype=np.int16), np.arange(1200, dtype=np.int16)[::-1].copy()
    config.set_background_compile(True)
    try:
        before, made, interpreted = llvm_launch.reductions(), llvm_tier.info(), la.cache_info().interpreted
        first = np.asarray((la.array(a) * la.array(b) - 3).max().compute())
        assert_same(first, np.asarray((a * b - 3).max()))
        assert llvm_launch.reductions() == before and la.cache_info().interpreted == interpreted + 1  # NumPy
        assert la.wait_for_compiles(120)
        now = llvm_tier.info()
        assert now["compiles"] + now["disk_hits"] == made["compiles"] + made["disk_hits"] + 1  # made aside
        assert_same(np.asarray((la.array(a) * la.array(b) - 3).max().compute()), first)
        assert llvm_launch.reductions() == before + 1 and la.cache_info().interpreted == interpreted + 1
    finally:
        config.set_background_compile(None)


def test_what_the_tier_does_not_compile_exactly_stays_on_numba(tier):
    x, y = operands(np.float64, 1003)
    before, refused = llvm_launch.reductions(), llvm_tier.info()["refused"]
    got = np.asarray((la.array(x) // la.array(y)).sum().compute())  # float floor_divide: not an op of the tier
    np.testing.assert_allclose(got, (x // y).sum(), rtol=1e-12)
    assert_same(np.asarray((la.array(x) * la.array(y)).argmax().compute()), np.asarray((x * y).argmax()))
    assert llvm_launch.reductions() == before and llvm_tier.info()["refused"] == refused + 2


def test_explain_shows_the_reductions_ir(tier):
    x, y = operands(np.float64, 1003)
    text = (la.array(x) * la.array(y)).sum().explain()
    assert "quick tier" in text and "fadd" in text


CHILD = textwrap.dedent(
    r'''
    import json, sys
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import llvm_tier
    a, b = np.linspace(0, 1, 1000), np.linspace(1, 3, 1000)
    total = ((la.array(a) - la.array(b)) ** 2).sum().compute()
    rows = (la.array(a.reshape(20, 50)) * 2).sum(axis=1).compute()
    assert np.allclose(total, ((a - b) ** 2).sum()) and np.allclose(rows, (a.reshape(20, 50) * 2).sum(axis=1))
    print("REPORT " + json.dumps(dict(tier=llvm_tier.info(), compiles=la.cache_info().compiles,
                                      numba_started="numba.np.arraymath" in sys.modules)))
    '''
)


def test_a_fresh_process_reduces_without_starting_numbas_compiler(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=str(REPO), LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE="0",
               LAZYARR_WARMUP="0")
    done = run_bounded([sys.executable, "-c", CHILD], env, timeout=300, what="quick-reduce child")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(next(line[7:] for line in done.stdout.splitlines() if line.startswith("REPORT ")))
    assert report["numba_started"] is False
    assert report["tier"]["compiles"] == 2 and report["compiles"] == 2
    assert list(tmp_path.rglob(f"{llvm_tier.PREFIX}*.o"))
