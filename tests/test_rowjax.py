"""Row kernels whose float sum has a staged producer (exp), one lanes' block at a time (#14 rowjax,
compiler/source_rows.py ``_staged_blocks``): rows with whole blocks and a tail, special values in either,
the exact rerun of a row, and the sum's bits against the reduce kernel's. Shapes and expressions are those
of tests/test_rowfuse.py where they can be, so few new kernels are compiled."""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import rowfuse
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import plan


def logsumexp(x):
    m = np.max(x, axis=1, keepdims=True)
    return m[:, 0] + np.log(np.sum(np.exp(x - m), axis=1))


def sum_exp_centred(x):
    return np.sum(np.exp(x - np.max(x, axis=1, keepdims=True)), axis=1)


def _rows(cols: int) -> np.ndarray:
    """37 rows of `cols` values; 300 columns are two whole blocks of 128 and a tail of 44."""
    return np.random.default_rng(14).standard_normal((37, cols)) * 3


def _specials(x: np.ndarray) -> np.ndarray:
    """Special values in whole blocks (columns < 256) and in the tail, one kind per row."""
    x = x.copy()
    x[1, 5] = np.inf                 # inf - inf: NaN row
    x[2, 270] = np.inf               # the same, in the tail
    x[3, 130] = np.nan
    x[4, 299] = np.nan
    x[5, :] = -np.inf                # max -inf: NaN (NumPy's -inf - -inf)
    x[6, 7] = 800.0                  # every other exp(x - m) underflows: ok False, the row rerun exactly
    x[7, 290] = 1e5
    x[8, 140] = -1e300               # one exp(x - m) of -inf
    x[9, :] = np.linspace(-740, 0, x.shape[1])  # subnormal exps: the exact path's values
    return x


@pytest.mark.parametrize("cols", [300, 23], ids=lambda c: f"cols={c}")
def test_logsumexp_with_special_values(cols):
    x = _specials(_rows(300))[:, :cols] if cols == 300 else _rows(cols)
    copy = x.copy()
    with np.errstate(all="ignore"):
        want = logsumexp(x)
    got = np.asarray(logsumexp(la.array(x)))
    assert np.array_equal(x, copy, equal_nan=True)  # the input untouched
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(np.isnan(got), np.isnan(want)) and np.array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13)


def test_one_row_kernel():
    steps = plan([logsumexp(la.array(_rows(300)))._node])
    assert sum(isinstance(s, RowKernel) for s in steps) == 1


def test_staged_sum_equals_reduce_kernel_bit_for_bit(monkeypatch):
    # Blocks, lanes and Kahan steps are the unstaged loop's, and the exps the same vector variant's: the
    # row-fused sum of exp(x - m) is the reduce kernel's bit for bit, specials and the exact rerun included.
    x = _specials(_rows(300))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fused = np.asarray(sum_exp_centred(la.array(x)))
        monkeypatch.setattr(rowfuse, "enabled", False)
        assert not any(isinstance(s, RowKernel) for s in plan([sum_exp_centred(la.array(x))._node]))
        unfused = np.asarray(sum_exp_centred(la.array(x)))
    assert np.array_equal(fused, unfused, equal_nan=True)


def test_parallel_rows(parallel_threshold):
    parallel_threshold(1)
    x = _specials(_rows(300))
    with np.errstate(all="ignore"):
        want = logsumexp(x)
    got = np.asarray(logsumexp(la.array(x)))
    assert np.array_equal(np.isnan(got), np.isnan(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13)
