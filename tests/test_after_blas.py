"""(#15 postblas) The small step right after a BLAS product runs on the calling thread (runtime/after_blas.py):
its serial variant (or NumPy's argmax in one block), NumPy's answer bit for bit, in lazy and fused programs; a
step that does not follow a product, or moves more than ``SMALL_BYTES``, keeps its parallel variant."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import after_blas, numpy_rows

ROWS, INNER, COLS = 192, 16, 24


def _operands(seed=3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((ROWS, INNER)), rng.standard_normal((INNER, COLS)), rng.standard_normal((ROWS, COLS))


def _serial_count() -> int:
    return after_blas.counts["serial"]


@pytest.fixture
def parallel_sizes(parallel_threshold):
    """Every kernel of these tests would run in parallel but for the rule under test."""
    parallel_threshold(0)
    with la.num_threads(2):
        yield


def test_a_scale_after_a_product_runs_serially_with_numpys_bits(parallel_sizes):
    a, b, c = _operands()
    product = np.asarray(la.array(a) @ la.array(b))  # the product's own bits, as lazyarr's stage computes them
    before = _serial_count()
    got = np.asarray((la.array(a) @ la.array(b)) / 7.0 + c)
    assert _serial_count() == before + 1
    want = product / 7.0 + c
    assert got.dtype == want.dtype and np.array_equal(got, want)
    np.testing.assert_allclose(got, (a @ b) / 7.0 + c, rtol=1e-13)  # and NumPy's own product


def test_a_step_that_does_not_follow_a_product_stays_parallel(parallel_sizes):
    a, b, c = _operands()
    before = _serial_count()
    got = np.asarray(la.array(c) / 7.0 + c)
    assert _serial_count() == before
    assert np.array_equal(got, c / 7.0 + c)


def test_a_step_above_the_byte_limit_stays_parallel(parallel_sizes, monkeypatch):
    monkeypatch.setattr(after_blas, "SMALL_BYTES", ROWS * COLS * 8)  # below the step's input + output bytes
    a, b, c = _operands()
    before = _serial_count()
    got = np.asarray((la.array(a) @ la.array(b)) / 7.0 + c)
    assert _serial_count() == before
    np.testing.assert_allclose(got, (a @ b) / 7.0 + c, rtol=1e-13)


def test_a_fused_program_decides_once_when_traced(parallel_sizes):
    a, b, c = _operands()

    @la.fuse
    def scaled(a, b, c):
        return (a @ b) / 7.0 + c

    before = _serial_count()
    first = scaled(a, b, c)
    traced = _serial_count()
    assert traced == before + 1
    a2, b2, c2 = _operands(seed=4)
    second = scaled(a2, b2, c2)
    assert _serial_count() == traced  # the replay runs the variant chosen at trace time, without deciding again
    for got, (x, y, z) in ((first, (a, b, c)), (second, (a2, b2, c2))):
        assert np.array_equal(got, (x @ y) / 7.0 + z)


def test_a_write_after_a_product_into_the_argument_runs_serially(parallel_sizes):
    # gemm's shape: C[:] = alpha * A @ B + beta * C, written into the caller's array
    a, b, c = _operands()
    want = 1.5 * a @ b + 1.2 * c

    @la.fuse
    def gemm(alpha, beta, C, A, B):
        C[:] = alpha * A @ B + beta * C
        return C

    before = _serial_count()
    out = c.copy()
    gemm(1.5, 1.2, out, a, b)
    assert _serial_count() == before + 1
    np.testing.assert_allclose(out, want, rtol=1e-13)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_an_argmax_after_a_product_is_numpys_loop_in_one_block(name, parallel_sizes, monkeypatch):
    blocks = []
    original = numpy_rows.run
    monkeypatch.setattr(numpy_rows, "run", lambda k, a, r, one=False: blocks.append(one) or original(k, a, r, one))
    a, b, _ = _operands()
    b[:, 5] = b[:, 9]  # ties: NumPy's first index
    before = _serial_count()
    got = np.asarray(getattr(la.array(a) @ la.array(b), name)(axis=1))
    assert blocks == [True] and _serial_count() == before + 1
    assert got.dtype == np.intp and np.array_equal(got, getattr(a @ b, name)(axis=1))


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_an_argmax_has_the_bigger_read_only_budget(mode, parallel_sizes, monkeypatch):
    # (s13 blasprog) cosine_similarity's argmax reads 72 MB, over SMALL_BYTES: NumPy's loop reads ~3x faster than
    # a map kernel streams, so up to SMALL_READ_BYTES it stays in one block on the calling thread.
    blocks = []
    original = numpy_rows.run
    monkeypatch.setattr(numpy_rows, "run", lambda k, a, r, one=False: blocks.append(one) or original(k, a, r, one))
    monkeypatch.setattr(after_blas, "SMALL_BYTES", 8)  # every step here moves more: the map rule says parallel
    a, b, _ = _operands()

    def best(a, b):
        return (a @ b).argmax(axis=1)

    run = la.fuse(best) if mode == "fuse" else (lambda a, b: best(la.array(a), la.array(b)))
    assert np.array_equal(np.asarray(run(a, b)), best(a, b))
    monkeypatch.setattr(after_blas, "SMALL_READ_BYTES", ROWS * COLS * 4)  # below the argmax's input + output bytes
    a2, b2, _ = _operands(seed=5)
    assert np.array_equal(np.asarray(run(a2, b2)), best(a2, b2))
    assert blocks == [True, False]
    text = (la.array(a) @ la.array(b)).argmax(axis=1).explain()
    line = [x for x in text.splitlines() if "right after a BLAS product" in x]
    assert len(line) == 1 and "stays parallel (it moves more)" in line[0] and "against 0 MiB" in line[0]


def _centred_product(a, b):
    p = a @ b
    return p - p.mean(axis=0)


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
def test_a_row_kernel_after_a_product_runs_serially(mode, parallel_sizes):
    # under fuse the row kernel is a step the program hands to the runtime (run_steps(..., follows_blas=True))
    a, b, _ = _operands()
    run = la.fuse(_centred_product) if mode == "fuse" else (lambda a, b: _centred_product(la.array(a), la.array(b)))
    before = _serial_count()
    got = np.asarray(run(a, b))
    assert _serial_count() == before + 1
    product = a @ b
    np.testing.assert_allclose(got, product - product.mean(axis=0), rtol=1e-12, atol=1e-14)


def test_only_blas_stages_count_as_products():
    from lazyarr.compiler.schedule import Stage, plan
    a, b, _ = _operands()
    steps = plan([(la.array(a) @ la.array(b) + 1.0)._node])
    stages = [s for s in steps if isinstance(s, Stage)]
    assert [after_blas.is_blas(s) for s in stages if s.node.params.name == "matmul"] == [True]
    assert not any(after_blas.is_blas(s) for s in steps if not isinstance(s, Stage))
    sort_step = [s for s in plan([la.sort(la.array(a) + 1.0, axis=0)._node]) if isinstance(s, Stage)]
    assert sort_step and not any(after_blas.is_blas(s) for s in sort_step)


def test_explain_says_which_variant_runs_after_a_product():
    a, b, c = _operands()
    text = ((la.array(a) @ la.array(b)) / 7.0 + c).explain()
    assert "right after a BLAS product: runs its serial variant" in text
    assert "BLAS product" not in (la.array(c) / 7.0 + c).explain()
