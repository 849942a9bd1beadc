"""(#14 rowlat) What lazyarr generates for Numba to type: one row body per row kernel, plain operators where they
give NumPy's bits, the row index cast once. Compile time grows with every line and call Numba types and lowers
(docs/runtime.md, "Compile cost of the generated source"); these tests pin the smaller forms and their values.
"""
import numba
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import source_map, source_rows
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import plan


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _row_kernel(expr) -> RowKernel:
    kernels = [s for s in plan([expr._node]) if isinstance(s, RowKernel)]
    assert len(kernels) == 1
    return kernels[0]


def _softmax_source(parallel: bool = True) -> str:
    k = _row_kernel(_softmax(la.array(np.ones((16, 300)))))
    return source_rows.kernel_source(k, "rows", "C", parallel, "test")


# --- the shape of the generated source ------------------------------------------------------------------------

def test_the_softmax_row_kernel_has_one_row_body():
    text = _softmax_source()
    # one max pass (compare-only, with its refold), one write loop, one prefetch: the body is not repeated
    assert text.count("_mx = np.float64(-np.inf)") == 1
    assert text.count("out0[") == 1
    assert text.count("PF.prefetch(") == 1
    assert text.count("S.float_maximum(") == 1
    assert "if not _ok:" not in text
    # the exact rerun is the row loop's second pass; only the loops with a vector variant appear twice
    assert text.count("for _pass in range(2):") == 1
    assert text.count("if _exact:") == 2
    assert text.count("V.exp_nonpositive(") == 2 and text.count("np.exp(") == 2


def test_a_row_kernel_without_vector_ops_has_no_second_pass():
    k = _row_kernel((lambda x: x - x.mean(axis=1, keepdims=True))(la.array(np.ones((16, 300)))))
    text = source_rows.kernel_source(k, "rows", "C", False, "test")
    assert "_pass" not in text and "_exact" not in text


def test_the_row_index_is_cast_once_per_row():
    text = _softmax_source()
    assert text.count("np.uint64(r)") == 1 and "_ur = np.uint64(r)" in text
    assert "in0[_ur, np.uint64(c)]" in text and "out0[_ur, np.uint64(c)]" in text


def test_the_generated_source_is_about_half_what_it_was():
    # before #14 rowlat, softmax's parallel row kernel was 173 lines (comments aside) with 90 calls of
    # np.float64 and np.uint64 and 176 opening parentheses (calls and groupings); now 118, 32 and 91
    lines = [line for line in _softmax_source().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert len(lines) < 125
    assert sum(line.count("np.uint64(") + line.count("np.float64(") for line in lines) < 40
    assert sum(line.count("(") for line in lines) < 100


# --- the operator forms ---------------------------------------------------------------------------------------

def _rendered(expr) -> str:
    node = expr._node
    return source_map.render(node, [f"a{i}" for i in range(len(node.args))])


F64, F32, I64, I8 = (np.ones(3, dt) for dt in (np.float64, np.float32, np.int64, np.int8))


@pytest.mark.parametrize("make, expected", [
    (lambda: la.array(F64) - la.array(F64), "(a0 - a1)"),
    (lambda: la.array(F64) / la.array(F64), "(a0 / a1)"),
    (lambda: la.array(F32) * la.array(F32), "(a0 * a1)"),
    (lambda: la.array(F32) + la.array(F32), "(a0 + a1)"),
    (lambda: la.array(F64) - la.array(I64), "(a0 - np.float64(a1))"),  # the int operand cast, as NumPy's loop
    (lambda: la.array(I64) / la.array(I64), "(np.float64(a0) / np.float64(a1))"),  # NumPy's dd->d loop
    (lambda: la.array(F64) > la.array(F64), "(a0 > a1)"),
    (lambda: la.array(I64) <= la.array(I64), "(a0 <= a1)"),
    (lambda: la.array(F32) != la.array(F64), "(np.float64(a0) != a1)"),
])
def test_float_arithmetic_and_real_comparisons_are_plain_operators(make, expected):
    assert _rendered(make()) == expected


@pytest.mark.parametrize("make, expected", [
    (lambda: la.array(I8) + la.array(I8), "np.int8(np.add(a0, a1))"),  # Numba would widen int8 + int8
    (lambda: la.array(I64) * la.array(I64), "np.int64(S.wrapping_mul(a0, a1))"),
    (lambda: la.array(np.ones(3, np.float16)) + la.array(np.ones(3, np.float16)), "S.round_to_half("),
    (lambda: la.array(np.ones(3, np.complex128)) + la.array(np.ones(3, np.complex128)), "np.complex128(np.add("),
])
def test_other_loops_keep_numpys_templates(make, expected):
    assert _rendered(make()).startswith(expected)


# Every class of float the operators could treat differently from NumPy's loops: signed zeros, subnormals
# (no flush to zero), the largest finite values (overflow to inf), infinities and NaN.
def _special_values(dt) -> np.ndarray:
    info = np.finfo(dt)
    values = [0.0, -0.0, info.smallest_subnormal, -info.smallest_subnormal, info.tiny, -info.tiny, 1.0, -1.0,
              1.5, info.eps, info.max, -info.max, np.inf, -np.inf, np.nan, -np.nan]
    return np.array(values, dt)


OPS = ("add", "subtract", "multiply", "divide", "equal", "not_equal", "less", "less_equal", "greater",
       "greater_equal")


def _both_forms_kernel(dt):
    """One njit function giving each op's value in the kernels' previous form ``np.float64(np.<ufunc>(a, b))``
    (``np.bool_`` for comparisons) and in the operator form ``source_map.operator_form`` now emits."""
    ctor = f"np.{np.dtype(dt).name}"
    lines = ["def both(a, b, old, new):", "    for i in range(a.size):", "        x = a[i]", "        y = b[i]"]
    for n, op in enumerate(OPS):
        wrap = "np.bool_" if n >= 4 else ctor
        symbol = {**source_map._ARITHMETIC, **source_map._COMPARISONS}[op]
        lines += [f"        old[{n}, i] = {wrap}(np.{op}(x, y))", f"        new[{n}, i] = (x {symbol} y)"]
    namespace = {"np": np}
    exec("\n".join(lines), namespace)
    return numba.njit(error_model="numpy")(namespace["both"])


@pytest.mark.parametrize("dt", [np.float64, np.float32])
def test_operator_forms_give_the_previous_forms_bits_on_special_values(dt):
    values = _special_values(dt)
    a, b = (g.ravel().copy() for g in np.meshgrid(values, values, indexing="ij"))
    old, new = np.zeros((len(OPS), a.size), dt), np.zeros((len(OPS), a.size), dt)
    _both_forms_kernel(dt)(a, b, old, new)
    bits = np.dtype(f"u{np.dtype(dt).itemsize}")
    np.testing.assert_array_equal(new.view(bits), old.view(bits))
    for n, op in enumerate(OPS):  # and both are NumPy's own (NaN payloads aside: NumPy's sign of a NaN varies)
        expected = getattr(np, op)(a, b).astype(dt)
        nan = np.isnan(expected)
        np.testing.assert_array_equal(np.isnan(new[n]), nan, err_msg=op)
        np.testing.assert_array_equal(new[n][~nan].view(bits), expected[~nan].view(bits), err_msg=op)


def test_fused_operators_give_numpys_bits_on_special_values(numba_tier):
    values = _special_values(np.float64)
    a, b = (g.ravel().copy() for g in np.meshgrid(values, values, indexing="ij"))
    lazy = (la.array(a) - la.array(b)) / la.array(b) + la.array(a) * la.array(b)
    with np.errstate(all="ignore"):
        expected = (a - b) / b + a * b
    got = np.asarray(lazy)
    nan = np.isnan(expected)
    np.testing.assert_array_equal(np.isnan(got), nan)
    np.testing.assert_array_equal(got[~nan].view(np.uint64), expected[~nan].view(np.uint64))


# --- the one row body still reruns a row exactly --------------------------------------------------------------

def test_softmax_rows_needing_the_exact_rerun_are_exact():
    # rows whose exps are subnormal or zero (exp_nonpositive's ok flag fails there: the row's second, exact
    # pass), NaN or -inf, beside ordinary rows, long enough to run the vector blocks and the tail
    rng = np.random.default_rng(14)
    x = rng.random((16, 300))
    x[1] = np.linspace(-745.0, 0.0, 300)
    x[3, 7] = np.nan
    x[4, 299] = -np.inf
    x[5] = -0.0
    got = np.asarray(_softmax(la.array(x)))
    ref = _softmax(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-14, atol=1e-320)
    assert got[4, 299] == 0.0 and (got[5] == 1 / 300).all()
    assert (got[1, :5] < np.finfo(np.float64).tiny).all() and got[1, 0] >= 0  # subnormals, not flushed to NaN


def test_bodies_that_differ_outside_a_loop_keep_the_exact_rerun_after_the_row():
    # the merge only pairs bodies that differ inside blocks; anything else keeps the previous form
    exact, fast = ["a = 1", "b = f(a)"], ["a = 1", "b, ok = g(a)"]
    assert source_rows._merge_runs(exact, fast) is None
    rendered = "\n".join(item if isinstance(item, str) else item.render()
                         for item in source_rows._two_pass_row(exact, fast))
    assert rendered == "_ok = True\na = 1\nb, ok = g(a)\nif not _ok:\n    a = 1\n    b = f(a)"
