"""The quick tier (#14): flat map kernels of exact ops compiled straight to LLVM, without Numba.

Bits against NumPy for every dtype of the tier (one kernel with many outputs per dtype, so the whole table costs
a handful of compiles), bits against the Numba kernel of the same graph (the tier switched off), edge values
(NaN, inf, -0.0, integer wraparound, division by zero and by -1), 0-d, constants, empty, `out=` casts,
Fortran order, the parallel chunks; which tier ran (counters); and in fresh processes: no Numba compiler start
for an arithmetic map, the disk cache, a damaged cache file.
"""
import json
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from subprocesses import run_bounded

import lazyarr as la
from lazyarr import config
from lazyarr.compiler import llvm_tier
from lazyarr.runtime import llvm_launch

REPO = Path(__file__).resolve().parents[1]

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
FLOATS = [np.float32, np.float64]


@pytest.fixture
def tier():
    """The tier on for this test (whatever LAZYARR_QUICK_TIER says), and its launch counter before it."""
    config.set_quick_tier(True)
    yield llvm_launch.launches
    config.set_quick_tier(None)


def values(dt, n_extra: int = 0) -> np.ndarray:
    """Edge values of `dt` (extremes, zero, -1, NaN, infinities, -0.0, subnormals) and a few ordinary ones."""
    dt = np.dtype(dt)
    if dt.kind == "b":
        return np.array([True, False, True, True, False, False, True, False])
    if dt.kind in "iu":
        info = np.iinfo(dt)
        edge = [info.min, info.max, 0, 1, 2, 3, 7, info.max - 1, info.min + 1, 100 % (int(info.max) + 1)]
        if dt.kind == "i":
            edge += [-1, -2, -7, -100 % int(info.min)]
        return np.array(edge, dtype=dt)
    info = np.finfo(dt)
    edge = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 0.5, -0.5, 1.5, np.nan, np.inf, -np.inf, info.max, -info.max,
            info.tiny, info.smallest_subnormal, 3.7, -3.7, 1e-3, 1e10]
    return np.array(edge, dtype=dt)


def operand_pairs(dt) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of edge values, as two arrays."""
    v = values(dt)
    return np.repeat(v, len(v)), np.tile(v, len(v))


# name -> (expression over (x, y) that works on lazy arrays and NumPy arrays alike, the kinds it applies to)
OPERATIONS = {
    "add": (lambda x, y: x + y, "biuf"), "subtract": (lambda x, y: x - y, "iuf"),
    "multiply": (lambda x, y: x * y, "biuf"), "divide": (lambda x, y: x / y, "iuf"),
    "negative": (lambda x, y: -x, "iuf"), "absolute": (lambda x, y: np.absolute(x), "biuf"),
    "square": (lambda x, y: np.square(x), "iuf"), "sqrt": (lambda x, y: np.sqrt(x), "f"),
    "floor": (lambda x, y: np.floor(x), "f"), "ceil": (lambda x, y: np.ceil(x), "f"),
    "trunc": (lambda x, y: np.trunc(x), "f"), "rint": (lambda x, y: np.rint(x), "f"),
    "maximum": (lambda x, y: np.maximum(x, y), "biuf"), "minimum": (lambda x, y: np.minimum(x, y), "biuf"),
    "fmax": (lambda x, y: np.fmax(x, y), "iuf"), "fmin": (lambda x, y: np.fmin(x, y), "iuf"),
    "equal": (lambda x, y: x == y, "biuf"), "not_equal": (lambda x, y: x != y, "biuf"),
    "less": (lambda x, y: x < y, "biuf"), "less_equal": (lambda x, y: x <= y, "biuf"),
    "greater": (lambda x, y: x > y, "biuf"), "greater_equal": (lambda x, y: x >= y, "biuf"),
    "logical_and": (lambda x, y: np.logical_and(x, y), "biuf"),
    "logical_or": (lambda x, y: np.logical_or(x, y), "biuf"),
    "logical_xor": (lambda x, y: np.logical_xor(x, y), "biuf"),
    "logical_not": (lambda x, y: np.logical_not(x), "biuf"),
    "bitwise": (lambda x, y: (x & y) | (x ^ ~y), "biu"),
    "floor_divide": (lambda x, y: x // y, "iu"), "remainder": (lambda x, y: x % y, "iu"),
    "where": (lambda x, y: np.where(x > y, x, y), "biuf"),
    "to_float64": (lambda x, y: x.astype(np.float64), "biuf"),
    "to_float32": (lambda x, y: x.astype(np.float32), "biuf"),
    "to_int8": (lambda x, y: x.astype(np.int8), "biu"), "to_uint64": (lambda x, y: x.astype(np.uint64), "biu"),
    "to_bool": (lambda x, y: x.astype(np.bool_), "biuf"),
    "scalar": (lambda x, y: x * 3 + 1 if x.dtype.kind != "b" else x & True, "biuf"),
}


def ops_for(dt) -> list[str]:
    return [name for name, (_, kinds) in OPERATIONS.items() if np.dtype(dt).kind in kinds]


def lazy_results(dt) -> list[np.ndarray]:
    x, y = operand_pairs(dt)
    X, Y = la.array(x), la.array(y)
    return la.compute(*[OPERATIONS[name][0](X, Y) for name in ops_for(dt)])


@pytest.mark.parametrize("dt", [np.bool_, *INTS, *FLOATS], ids=lambda d: np.dtype(d).name)
def test_every_operation_gives_numpys_bits_on_the_quick_tier(tier, dt):
    before = tier()
    x, y = operand_pairs(dt)
    got = lazy_results(dt)
    assert tier() == before + 1, "one fused kernel, on the quick tier"
    for name, value in zip(ops_for(dt), got):
        want = OPERATIONS[name][0](x, y)
        assert value.dtype == want.dtype, name
        np.testing.assert_array_equal(value, want, err_msg=f"{name} on {np.dtype(dt).name}", strict=True)
        if want.dtype.kind == "f":  # the sign of zero too
            assert np.array_equal(np.signbit(value), np.signbit(want)) or name in ("fmax", "fmin"), name


@pytest.mark.parametrize("dt", [np.int8, np.uint64, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_the_numba_kernel_of_the_same_graph_gives_the_same_bits(tier, dt):
    quick = lazy_results(dt)
    config.set_quick_tier(False)
    before = tier()
    numba_made = lazy_results(dt)
    assert tier() == before, "the tier switched off: Numba's kernel ran"
    for name, a, b in zip(ops_for(dt), quick, numba_made):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), f"{name} on {np.dtype(dt).name}"


def test_mixed_dtypes_zero_d_constants_and_empty(tier):
    a = np.arange(-5, 7, dtype=np.int16)
    b = np.linspace(-3, 3, 12, dtype=np.float32)
    c = np.arange(12) % 3 == 0
    for expr in (lambda a, b, c: a * b + 2.5, lambda a, b, c: np.where(c, a, b) - np.float32(1.5),
                 lambda a, b, c: (a // 3) * np.uint8(7) + c, lambda a, b, c: np.maximum(a, 3) / b):
        want = expr(a, b, c)
        got = expr(la.array(a), la.array(b), la.array(c)).compute()
        np.testing.assert_array_equal(got, want, strict=True)
    zero_d = np.array(2.5)
    assert (la.array(zero_d) * 4 - 1).compute() == 9.0
    empty = np.empty(0)
    assert (la.array(empty) * 2 + 1).compute().shape == (0,)


def test_out_buffers_casts_and_fortran_order(tier):
    x = np.asfortranarray(np.arange(12.0).reshape(3, 4) - 5.5)
    y = np.asfortranarray(np.ones((3, 4)))
    before = tier()
    out = np.empty((3, 4), np.float32, order="F")
    got = (la.array(x) * 2 + la.array(y)).compute(out=out)
    assert got is out and tier() == before + 1
    np.testing.assert_array_equal(out, (x * 2 + y).astype(np.float32))
    same = x.copy(order="F")
    (la.array(same) + 1).compute(out=same)  # out is the input itself: read before written, element by element
    np.testing.assert_array_equal(same, x + 1)


def test_inputs_are_never_written(tier):
    a = np.arange(100.0)
    keep = a.copy()
    (la.array(a) * 3 - la.array(a)).compute()
    np.testing.assert_array_equal(a, keep)


def test_chunks_on_threads_give_the_serial_bits(tier, parallel_threshold):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(200_003), rng.standard_normal(200_003)
    serial = (la.array(a) * 3 + la.array(b) / 7).compute()
    parallel_threshold(1000)
    with la.num_threads(2):
        chunked = (la.array(a) * 3 + la.array(b) / 7).compute()
    assert chunked.tobytes() == serial.tobytes() == (a * 3 + b / 7).tobytes()


def test_small_calls_reuse_the_quick_kernel(tier):
    a, b, o = np.arange(1000.0), np.ones(1000), np.empty(1000)
    for _ in range(4):  # the full path, then the recipe, then the ready launch
        (la.array(a) * 2 + la.array(b)).compute(out=o)
        np.testing.assert_array_equal(o, a * 2 + b)
        np.testing.assert_array_equal((la.array(a) * 2 + la.array(b)).compute(), a * 2 + b)


def test_transcendentals_and_float_to_int_casts_stay_on_numba(tier):
    a = np.linspace(-2, 2, 9)
    # (sin, exp, log, float power... are on the tier since #14 quick math, cbrt since #14 tancbrt: tests/test_quick_math.py;
    # these are not)
    for expr in (lambda x: (x * 3).astype(np.int32), lambda x: np.logaddexp(x, 2.5)):
        before, refused = tier(), llvm_tier.info()["refused"]
        np.testing.assert_allclose(expr(la.array(a)).compute(), expr(a), rtol=1e-15)
        assert tier() == before and llvm_tier.info()["refused"] >= refused


def test_background_compilation_answers_with_numpy_while_the_kernel_is_made(tier):
    # a structure no other test makes (int16, this op mix), so its kernel is not in memory yet
    a, b = np.arange(-600, 600, dtype=np.int16), np.arange(1200, dtype=np.int16)[::-1].copy()

    def expr(x, y):
        return np.maximum(x * 3 - y, y // 7) ^ (x | 5)

    config.set_background_compile(True)
    try:
        before, made, interpreted = tier(), llvm_tier.info(), la.cache_info().interpreted
        first = expr(la.array(a), la.array(b)).compute()
        np.testing.assert_array_equal(first, expr(a, b))
        assert first.dtype == np.int16
        assert tier() == before and la.cache_info().interpreted == interpreted + 1  # NumPy answered
        assert la.wait_for_compiles(120)
        now = llvm_tier.info()
        assert now["compiles"] + now["disk_hits"] == made["compiles"] + made["disk_hits"] + 1  # made aside
        np.testing.assert_array_equal(expr(la.array(a), la.array(b)).compute(), expr(a, b))
        assert la.cache_info().interpreted == interpreted + 1  # the second call: the quick kernel
    finally:
        config.set_background_compile(None)


def test_explain_names_the_tier(tier):
    text = (la.array(np.arange(4.0)) * 2 + 1).explain()
    assert "quick tier" in text and "fadd" in text


def test_the_setting_turns_it_off(tier):
    config.set_quick_tier(False)
    before = tier()
    np.testing.assert_array_equal((la.array(np.arange(5.0)) - 1).compute(), np.arange(5.0) - 1)
    assert tier() == before
    with pytest.raises(TypeError):
        config.set_quick_tier("yes")


# --- fresh processes ---------------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    r'''
    import json, sys
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import llvm_tier
    a, b = np.arange(1000.0), np.linspace(0, 1, 1000)
    r = (2 * la.array(a) + 3 * la.array(b) * la.array(a) - la.array(b)).compute()
    assert r.tobytes() == (2 * a + 3 * b * a - b).tobytes()
    print("REPORT " + json.dumps(dict(tier=llvm_tier.info(), info=la.cache_info().__dict__,
                                      numba_started="numba.np.arraymath" in sys.modules)))
    '''
)


def run_child(cache_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=str(REPO), LAZYARR_CACHE_DIR=str(cache_dir), LAZYARR_BACKGROUND_COMPILE="0",
               LAZYARR_WARMUP="0")
    done = run_bounded([sys.executable, "-c", CHILD], env, timeout=300, what="quick-tier child")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(next(line[7:] for line in done.stdout.splitlines() if line.startswith("REPORT ")))


def test_a_fresh_process_computes_a_map_without_starting_numbas_compiler(tmp_path):
    first = run_child(tmp_path)
    assert first["numba_started"] is False
    assert first["tier"]["compiles"] == 1 and first["info"]["compiles"] == 1
    second = run_child(tmp_path)  # the object code from disk: nothing compiled
    assert second["tier"]["disk_hits"] == 1 and second["tier"]["compiles"] == 0
    assert second["info"]["disk_hits"] == 1 and second["numba_started"] is False
    for damaged in tmp_path.rglob(f"{llvm_tier.PREFIX}*.o"):
        damaged.write_bytes(damaged.read_bytes()[:-7])  # truncated: the checksum fails, it is compiled again
    third = run_child(tmp_path)
    assert third["tier"]["compiles"] == 1 and third["tier"]["disk_hits"] == 0
