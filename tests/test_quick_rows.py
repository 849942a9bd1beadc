"""Row kernels on the quick tier (#14 quick rows): the ``rows`` loop (softmax, logsumexp, layer norm, standardisation
over a contiguous axis; ``compiler/llvm_rows.py``) and the ``strips`` and ``split`` loops (over a strided axis;
``compiler/llvm_strips.py``) compiled to LLVM.

Each case computes a row program twice, on the quick tier and through Numba's row kernel of the same graph (the
tier switched off, as the ``numba_tier`` fixture does), and checks the same bits, and NumPy's values within the
row tests' tolerance. Inputs carry edge values (NaN, +-inf, rows of -inf, zeros of both signs, a subnormal, an
exp overflowing), lengths below 8 and 128, odd lengths, and many rows run in parallel on 1 and 2 threads. Also:
row inputs and inputs broadcast over the rows, integer inputs, what stays on Numba (logaddexp; columns not contiguous
in the ``rows`` loop), explain(), background compilation, and a fresh process computing softmax without Numba's
compiler (and the next one linking it from disk).
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


@pytest.fixture
def tier():
    """The tier on for this test (whatever LAZYARR_QUICK_TIER says)."""
    config.set_quick_tier(True)
    yield
    config.set_quick_tier(None)


def softmax(X):
    e = np.exp(X - X.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def logsumexp(X):
    m = X.max(axis=1)
    return np.log(np.exp(X - m[:, None]).sum(axis=1)) + m


def layer_norm(X):
    mu = X.mean(axis=1, keepdims=True)
    return (X - mu) / np.sqrt(((X - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5) * 1.5 + 0.25


def standardise(X):
    return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)


def min_max(X):
    lo = X.min(axis=1, keepdims=True)
    return (X - lo) / (X.max(axis=1, keepdims=True) - lo)


PROGRAMS = {"softmax": softmax, "logsumexp": logsumexp, "layer_norm": layer_norm, "standardise": standardise,
            "min_max": min_max}
# (rows, length): lengths below 8 and 128, odd, one block exactly, one element past a block, several blocks
SHAPES = [(16, 5), (17, 8), (20, 127), (18, 128), (19, 129), (24, 300), (16, 1003)]


def on_both_tiers(program, *arrays, threads=2):
    """(quick tier's result, Numba kernel's result) of `program` over lazy arrays; asserts the quick tier ran
    the row kernel once and Numba's row kernel did not run on the quick tier's call."""
    with la.num_threads(threads), np.errstate(all="ignore"):
        before = llvm_launch.row_kernels()
        quick = np.asarray(program(*[la.array(a) for a in arrays]))
        assert llvm_launch.row_kernels() == before + 1, "the quick tier did not run the row kernel"
        config.set_quick_tier(False)  # the numba_tier fixture's switch, for the second half of this test only
        try:
            numba = np.asarray(program(*[la.array(a) for a in arrays]))
        finally:
            config.set_quick_tier(True)
        assert llvm_launch.row_kernels() == before + 1
    return quick, numba


def with_edges(x: np.ndarray) -> np.ndarray:
    """`x` with NaN, +-inf, a row of -inf, a row of +inf, zeros of both signs, a subnormal and a huge value."""
    x = x.copy()
    x[1, 2 % x.shape[1]] = np.nan
    x[2, :] = -np.inf
    x[3, 0] = np.inf
    x[4, :] = 0.0
    x[5, :] = -0.0
    x[5, 0] = 0.0
    x[6, -1] = 700.0
    x[7, 0] = -745.5
    x[8, -1] = 1e-310 if x.dtype == np.float64 else 1e-40
    x[9, :] = np.inf
    return x


def reference_close(got, want, dt):
    tol = 2e-5 if dt == np.float32 else 1e-12
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(got, want.astype(got.dtype), rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_row_programs_give_the_numba_kernels_bits(tier, dt, name):
    program = PROGRAMS[name]
    rng = np.random.default_rng(14)
    for shape in SHAPES:
        x = with_edges((rng.standard_normal(shape) * 4).astype(dt))
        quick, numba = on_both_tiers(program, x)
        assert_same(quick, numba)
        with np.errstate(all="ignore"):
            reference_close(quick, program(x), dt)


MORE = {  # other ops in row programs: where, minimum, prod, a staged sum of sin, a max of a staged expm1
    "where": lambda X: np.where(X > X.mean(axis=1, keepdims=True), X, 0.0),
    "clip_norm": lambda X: np.minimum(X / np.sqrt((X * X).sum(axis=1, keepdims=True)), 0.5),
    "prod": lambda X: X / X.prod(axis=1, keepdims=True),
    "sin_sum": lambda X: np.sin(X) - np.sin(X).sum(axis=1, keepdims=True),
    "expm1_max": lambda X: np.expm1(X) / np.expm1(X).max(axis=1, keepdims=True),
}


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_more_row_programs_give_the_numba_kernels_bits(tier, dt):
    x = with_edges((np.random.default_rng(24).standard_normal((40, 333))).astype(dt))
    for name, program in MORE.items():
        quick, numba = on_both_tiers(program, x)
        assert_same(quick, numba, what=name)
        with np.errstate(all="ignore"):
            reference_close(quick, program(x), dt)


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_many_rows_in_parallel_on_one_and_two_threads(tier, parallel_threshold, dt):
    parallel_threshold(4096)
    rng = np.random.default_rng(15)
    x = with_edges((rng.standard_normal((1500, 257)) * 4).astype(dt))
    for program in (softmax, logsumexp, layer_norm):
        one, numba_one = on_both_tiers(program, x, threads=1)
        two, numba_two = on_both_tiers(program, x, threads=2)
        assert_same(one, numba_one)
        assert_same(two, numba_two)
        assert_same(one, two)


# --- the `strips` loop: the reduced axis strided (axis 0 of a C array, at most 512 long) ---------------------

def standardise0(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def softmax0(X):
    e = np.exp(X - X.max(axis=0))
    return e / e.sum(axis=0)


def logsumexp0(X):
    return np.log(np.exp(X - X.max(axis=0)).sum(axis=0)) + X.max(axis=0)


def min_max0(X):
    lo = X.min(axis=0)
    return (X - lo) / (X.max(axis=0) - lo)


STRIPS = {"standardise0": standardise0, "softmax0": softmax0, "logsumexp0": logsumexp0, "min_max0": min_max0}


@pytest.mark.parametrize("dt", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(STRIPS))
def test_strips_give_the_numba_kernels_bits(tier, dt, name):
    program = STRIPS[name]
    rng = np.random.default_rng(22)
    for shape in [(5, 16), (8, 21), (127, 33), (300, 17), (512, 40)]:
        x = with_edges((rng.standard_normal(shape[::-1]) * 4).astype(dt)).T.copy()  # edge rows become columns
        quick, numba = on_both_tiers(program, x)
        assert_same(quick, numba)
        with np.errstate(all="ignore"):
            reference_close(quick, program(x), dt)


@pytest.mark.parametrize("seed, shape", [(23, (3001, 200)), (26, (257, 2000))], ids=["strips", "split"])
def test_columns_in_parallel_on_one_and_two_threads(tier, parallel_threshold, seed, shape):
    # (200, 3001) in C order takes the `strips` loop, (2000, 257) the `split` one (a strip would pass its budget)
    parallel_threshold(4096)
    x = with_edges(np.random.default_rng(seed).standard_normal(shape)).T.copy()
    for program in (standardise0, softmax0):
        one, numba_one = on_both_tiers(program, x, threads=1)
        two, numba_two = on_both_tiers(program, x, threads=2)
        assert_same(one, numba_one)
        assert_same(two, numba_two)
        assert_same(one, two)
        reference_close(two, program(x), np.float64)


# --- the `split` loop: the reduced axis strided and too long for a strip ---------------------------------------

@pytest.mark.parametrize("dt", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(STRIPS))
def test_split_gives_the_numba_kernels_bits(tier, dt, name):
    program = STRIPS[name]
    rng = np.random.default_rng(25)
    for shape in [(600, 16), (700, 33), (1030, 21)]:  # 600 * 8 bytes per row of a strip: past its 1 MB budget
        x = with_edges((rng.standard_normal(shape[::-1]) * 4).astype(dt)).T.copy()
        quick, numba = on_both_tiers(program, x)
        assert_same(quick, numba)
        with np.errstate(all="ignore"):
            reference_close(quick, program(x), dt)


def test_row_inputs_and_inputs_broadcast_over_the_rows(tier):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((40, 200))
    g, b = rng.standard_normal(200), rng.standard_normal(200)  # read element by element, the same for every row
    c = rng.standard_normal((40, 1))  # read once per row

    def affine(X, G, B):
        mu = X.mean(axis=1, keepdims=True)
        return (X - mu) / np.sqrt(((X - mu) ** 2).mean(axis=1, keepdims=True) + 1e-5) * G + B

    def shifted(X, C):
        return X - X.max(axis=1, keepdims=True) * C

    quick, numba = on_both_tiers(affine, x, g, b)
    assert_same(quick, numba)
    reference_close(quick, affine(x, g, b), np.float64)
    quick, numba = on_both_tiers(shifted, x, c)
    assert_same(quick, numba)
    assert_same(quick, shifted(x, c))


def test_fortran_arrays_over_their_first_axis_and_integer_inputs(tier):
    rng = np.random.default_rng(17)
    f = np.asfortranarray(rng.standard_normal((300, 30)))  # axis 0 is the contiguous one: the rows loop

    def centre0(X):
        return X - X.mean(axis=0, keepdims=True)

    quick, numba = on_both_tiers(centre0, f)
    assert_same(quick, numba)
    reference_close(quick, centre0(f), np.float64)
    n = rng.integers(-2**62, 2**62, (30, 77))

    def spread(X):  # int64 max and sum: wrapping as NumPy's
        return X - X.max(axis=1, keepdims=True) + X.sum(axis=1, keepdims=True)

    quick, numba = on_both_tiers(spread, n)
    assert_same(quick, numba)
    assert_same(quick, spread(n))
    m = rng.standard_normal((30, 77))

    def count(X):  # a count of a bool mask (int64 sum of bools) next to a float max
        return (X > 0).sum(axis=1, keepdims=True) * X.max(axis=1, keepdims=True) - X

    quick, numba = on_both_tiers(count, m)
    assert_same(quick, numba)
    assert_same(quick, count(m))


def test_inputs_are_never_written(tier):
    rng = np.random.default_rng(18)
    x = rng.standard_normal((32, 300))
    copy = x.copy()
    softmax(la.array(x)).compute()
    assert_same(x, copy)


def test_what_the_tier_does_not_compile_stays_on_numba(tier):
    rng = np.random.default_rng(19)
    x = rng.standard_normal((32, 300))
    before, refused = llvm_launch.row_kernels(), llvm_tier.info()["refused"]
    got = np.asarray(np.logaddexp(la.array(x), 0.5) - la.array(x).max(axis=1, keepdims=True))  # no LLVM translation
    reference_close(got, np.logaddexp(x, 0.5) - x.max(axis=1, keepdims=True), np.float64)
    assert llvm_launch.row_kernels() == before and llvm_tier.info()["refused"] == refused + 1
    strided = rng.standard_normal((32, 600))[:, ::2]  # columns not contiguous: the Numba kernel
    got = np.asarray(softmax(la.array(strided)))
    reference_close(got, softmax(strided), np.float64)
    assert llvm_launch.row_kernels() == before and llvm_tier.info()["refused"] == refused + 1


def test_explain_shows_the_row_kernels_ir(tier):
    x = np.random.default_rng(20).standard_normal((32, 300))
    text = softmax(la.array(x)).explain()
    assert "row kernel" in text and "quick tier" in text and "fadd" in text and "llvm.prefetch" in text
    text = standardise0(la.array(x.T.copy())).explain()
    assert "# loop=strips" in text and "quick tier" in text and "lazyarr_quick_strips" in text
    text = standardise0(la.array(np.random.default_rng(20).standard_normal((600, 20)))).explain()
    assert "# loop=split" in text and "quick tier" in text and "lazyarr_quick_split" in text


def test_background_compilation_answers_with_numpy_while_the_kernel_is_made(tier):
    # a structure no other test makes (a float32 max against int16 data), so its kernel is not in memory yet
    x = np.random.default_rng(21).integers(-300, 300, (40, 90)).astype(np.int16)

    def program(X):
        return X * 3 - X.max(axis=1, keepdims=True)

    config.set_background_compile(True)
    try:
        before, made, interpreted = llvm_launch.row_kernels(), llvm_tier.info(), la.cache_info().interpreted
        first = np.asarray(program(la.array(x)))
        assert_same(first, program(x))
        assert llvm_launch.row_kernels() == before and la.cache_info().interpreted == interpreted + 1  # NumPy
        assert la.wait_for_compiles(120)
        now = llvm_tier.info()
        assert now["compiles"] + now["disk_hits"] == made["compiles"] + made["disk_hits"] + 1  # made aside
        assert_same(np.asarray(program(la.array(x))), first)
        assert llvm_launch.row_kernels() == before + 1
    finally:
        config.set_background_compile(None)


CHILD = textwrap.dedent(
    r'''
    import json, sys
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import llvm_tier
    from lazyarr.runtime import llvm_launch
    x = np.random.default_rng(0).random((1000, 1000))
    def softmax(X):
        e = np.exp(X - X.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    first = np.asarray(softmax(la.array(x)))
    second = np.asarray(softmax(la.array(x)))  # a parallel size: no Numba compile of a parallel variant
    assert np.allclose(first, softmax(x), rtol=1e-12) and np.array_equal(first, second)
    print("REPORT " + json.dumps(dict(tier=llvm_tier.info(), compiles=la.cache_info().compiles,
                                      rows=llvm_launch.row_kernels(),
                                      numba_started="numba.np.arraymath" in sys.modules)))
    '''
)


def test_a_fresh_process_computes_softmax_without_numbas_compiler_and_the_next_loads_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_"))}
    env.update(PYTHONPATH=str(REPO), LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_BACKGROUND_COMPILE="0",
               LAZYARR_WARMUP="0")
    done = run_bounded([sys.executable, "-c", CHILD], env, timeout=300, what="quick-rows child")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(next(line[7:] for line in done.stdout.splitlines() if line.startswith("REPORT ")))
    assert report["numba_started"] is False
    assert report["tier"]["compiles"] == 1 and report["compiles"] == 1 and report["rows"] == 2
    assert list(tmp_path.rglob(f"{llvm_tier.PREFIX}*.o"))
    done = run_bounded([sys.executable, "-c", CHILD], env, timeout=300, what="quick-rows child, again")
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(next(line[7:] for line in done.stdout.splitlines() if line.startswith("REPORT ")))
    assert report["tier"]["compiles"] == 0 and report["tier"]["disk_hits"] == 1  # the object code from disk
    assert report["numba_started"] is False
