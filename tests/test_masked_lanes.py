"""``x[lazy mask]`` as a deferred selection (api/masked_lanes.py), against NumPy, lazily and under ``@la.fuse``.

Elementwise float/complex/bool work on selections by the same mask node stays deferred, and ``x[m] = selection``
is one fused ``where``: no gather. Anything else (another mask, integer work, the shape, a reduction) gathers as
before, with NumPy's answer. float64, int64, bool and complex128 over (4, 5) arrays: kernels are shared.
"""
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api.masked_lanes import Selection
from lazyarr.compiler.schedule import plan
from lazyarr.graph.expr import walk

rng = np.random.default_rng(1515)
X = rng.random((4, 5))
Y = rng.random((4, 5))
I = rng.integers(-5, 6, (4, 5))
X_BEFORE = X.copy()


def same(got, want):
    got = np.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def gathers(lazy) -> int:
    """How many gathers (NumPy stages or leaves a lazy mask's gather computed) `lazy`'s graph holds."""
    return sum(1 for n in walk([lazy._node]) if n.op == "numpy" or (n.op == "leaf" and n.ndim == 1))


def mandelbrot(c, max_iter):
    """bench/programs/images.py's mandelbrot with the blank arrays made like `c` (lazy for a lazy `c`)."""
    z = np.zeros_like(c)
    escape = np.full_like(c, max_iter, dtype=np.int64)
    active = np.ones_like(c, dtype=bool)
    for i in range(max_iter):
        z[active] = z[active] ** 2 + c[active]
        escaped = active & (np.abs(z) > 2.0)
        escape[escaped] = i
        active &= ~escaped
    return escape


C = np.linspace(-2.0, 0.6, 5)[None, :] + 1j * np.linspace(-1.2, 1.2, 4)[:, None]


def test_selections_of_the_same_mask_combine_into_one_where_without_a_gather():
    A, B = la.array(X), la.array(Y)
    s = A[A > 0.5] ** 2 + np.sqrt(B[A > 0.5]) * 2.0 - A.sum()  # (A > 0.5 built twice: one node)
    assert type(s) is Selection and s.dtype == np.float64 and s.ndim == 1
    T = la.array(Y) * 1.0
    T[A > 0.5] = s
    assert T._node.op == "where" and gathers(T) == 0
    want = Y.copy()
    m = X > 0.5
    want[m] = X[m] ** 2 + np.sqrt(Y[m]) * 2.0 - X.sum()
    same(T, want)
    assert np.array_equal(X, X_BEFORE)  # inputs are never written


def test_the_shape_len_sum_and_value_of_a_selection_are_numpys():
    A = la.array(X)
    m = X > 0.5
    s = np.float64(3.0) * A[A > 0.5] + 1.0  # (a NumPy scalar on the left: __array_ufunc__)
    assert type(s) is Selection
    assert s.shape == (m.sum(),) and len(s) == m.sum() and s.size == m.sum()
    assert s.sum() == pytest.approx((3.0 * X[m] + 1.0).sum(), rel=1e-14)
    same(s, 3.0 * X[m] + 1.0)
    assert "shape=" in repr(s)


def test_different_masks_gather_as_numpy_does():
    A, B = la.array(X), la.array(Y)
    m = X > 0.5
    M1, M2 = A > 0.5, ~(A <= 0.5)  # the same values, two mask nodes: gathered
    s = A[M1] + B[M2]
    same(s, X[m] + Y[m])
    T = la.array(Y) * 1.0
    T[M1] = B[M2] * 2.0
    assert gathers(T) > 0
    want = Y.copy()
    want[m] = Y[m] * 2.0
    same(T, want)
    assert m.sum() != (Y > 0.9).sum()
    with pytest.raises(ValueError):
        (A[A > 0.5] + B[B > 0.9]).compute()  # counts differ: NumPy's broadcast error
    T = la.array(Y) * 1.0
    T[B > 0.5] = A[B > 0.5] * 2.0 + (A[A > 0.5] * 0.0).sum()  # a reduction of another selection: a 0-d value
    want = Y.copy()
    want[Y > 0.5] = X[Y > 0.5] * 2.0
    same(T, want)


def test_integer_work_gathers_and_scatters():
    A, J = la.array(X), la.array(I)
    D = np.where(X > 0.5, I, 0)  # zero divisors only where the mask leaves the lanes out
    D[D == 0] = np.where(X > 0.5, 1, 0)[D == 0]
    K = la.array(I) * 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division by zero at lanes the mask leaves out
        K[A > 0.5] = J[A > 0.5] // la.array(D)[A > 0.5] + 1
        assert gathers(K) > 0  # integer work is not deferred: NumPy's per-element rules at the selected lanes
        got = np.asarray(K)
    want = I.copy()
    m = X > 0.5
    want[m] = I[m] // D[m] + 1
    same(got, want)
    K = la.array(I) * 1
    K[A > 0.5] = J[A > 0.5][::-1]  # (reversed: gathered) integers moved by the scatter
    want = I.copy()
    want[m] = I[m][::-1]
    same(K, want)
    K = la.array(I) * 1
    K[A > 0.5] = J[A > 0.5]  # no work: the where moves integers as they are
    assert gathers(K) == 0
    same(K, I)
    K = la.array(I) * 1
    K[A > 0.5] = A[A > 0.5] * 10.0  # a float value into integers: cast at the selected lanes only
    want = I.copy()
    want[m] = X[m] * 10.0
    same(K, want)


def test_a_complex_selection_into_a_real_array_warns_as_numpy():
    Z = la.array(C)
    T = la.array(X) * 1.0
    with pytest.warns(np.exceptions.ComplexWarning):
        T[Z.real > -1.0] = Z[Z.real > -1.0] * 2.0
    want = X.copy()
    with pytest.warns(np.exceptions.ComplexWarning):
        want[C.real > -1.0] = C[C.real > -1.0] * 2.0
    same(T, want)


def test_a_selection_keeps_the_values_of_its_line_after_the_mask_and_array_change():
    A = la.array(X) * 1.0
    M = A > 0.5
    s = A[M] * 2.0
    M &= A < 0.8   # the mask modified in place (rebound): s keeps the old mask
    A += 1.0       # the array too: s keeps the old values
    m = X > 0.5
    same(s, X[m] * 2.0)
    T = la.array(Y) * 1.0
    T[M] = A[M] - 1.0  # the new mask and the new A
    want = Y.copy()
    m2 = m & (X < 0.8)
    want[m2] = (X + 1.0)[m2] - 1.0
    same(T, want)


def test_writing_into_a_selection_gathers_it():
    A = la.array(X)
    s = A[A > 0.5] * 2.0
    s += 1.0
    s[0] = -1.0
    want = X[X > 0.5] * 2.0 + 1.0
    want[0] = -1.0
    same(s, want)


def test_lazy_mandelbrot_is_one_fused_kernel_with_numpys_answer():
    escape = mandelbrot(la.array(C), 4)
    assert gathers(escape) == 0 and len(plan([escape._node])) == 1
    same(escape, mandelbrot(C, 4))


def test_fused_mandelbrot_has_no_graph_break_and_one_kernel(parallel_threshold):
    parallel_threshold(16)
    f = la.fuse(mandelbrot)
    for _ in range(2):
        same(f(C, 4), mandelbrot(C, 4))
    assert f.cache_info().misses == 1 and f.cache_info().hits == 1  # (the second call replays the program)
    text = f.explain(C, 4)
    assert "0 graph break(s)" in text and "1 fused kernel(s)" in text and "parallel=True" in text


def test_fused_selections_with_a_traced_number_and_with_gathers():
    def scaled(x, y, k):
        x = x * 1.0
        x[x > 0.5] = x[x > 0.5] * k + y[x > 0.5]  # k: a traced number, a 0-d operand
        return x

    def mixed(x, y):
        s = x[x > 0.5] + 1.0
        return s.sum() + y[y > 0.5].sum(), s  # a reduction and a returned selection: gathered (breaks)

    f = la.fuse(scaled)
    for k in (2.0, 3.0):
        same(f(X, Y, k), scaled(X, Y, k))
    assert "0 graph break(s)" in f.explain(X, Y, 2.0)
    g = la.fuse(mixed)
    h = la.fuse(lambda x: x[x > 0.5] * 2.0)  # a deferred selection returned: gathered on the call's values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a data-dependent shape: the signature may run eagerly)
        for _ in range(2):
            got, want = g(X, Y), mixed(X, Y)
            assert got[0] == pytest.approx(want[0], rel=1e-14)
            same(got[1], want[1])
        for data in (X, Y, X):
            same(h(data), data[data > 0.5] * 2.0)


# --- (#15 s14) `x[m] op= v`: Python's `s = x[m]; s op= v; x[m] = s`, the selection rebound in place -----------
def _float_updates(a):
    b = a * 1
    b[b < 0.5] *= -2
    b[b > 0.5] **= 2
    b[b > 1.0] /= np.float64(3)  # a float64 scalar into a float32 array: cast back under 'same_kind'
    return b


def _int_updates(a):
    b = a * 1
    b[b < 0] *= -2
    b[b > 2] += b[b > 2] * 3
    b[b > 4] ^= 1
    return b


@pytest.mark.parametrize("values", [X, X.astype(np.float32), X + 1j * Y], ids=["float64", "float32", "complex128"])
def test_in_place_operators_on_a_selection_are_one_where_lazily_and_fused(values):
    f = _float_updates if values.dtype.kind == "f" else (lambda a: _float_updates(a.real) + 1j * a.imag)
    want = f(values)
    got = f(la.array(values))
    assert gathers(got) == 0 and len(plan([got._node])) == 1
    same(got, want)
    g = la.fuse(f)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no graph break, no eager fallback
        for _ in range(2):
            same(g(values), want)
    assert "0 graph break(s)" in g.explain(values)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.int16])
def test_in_place_integer_work_that_cannot_raise_stays_deferred(dtype):
    values = (I % 7).astype(dtype)
    want = _int_updates(values)
    got = _int_updates(la.array(values))
    assert gathers(got) == 0
    same(got, want)
    same(la.fuse(_int_updates)(values), want)


def test_in_place_on_a_selection_is_seen_by_its_alias_and_not_by_earlier_work():
    A = la.array(X)
    s = A[A > 0.5]
    alias, before = s, s + 0.0
    s *= 2.0
    assert type(s) is Selection and s is alias and s._source is not None
    same(alias, X[X > 0.5] * 2.0)
    same(before, X[X > 0.5])


def test_in_place_on_a_selection_with_a_numpy_mask_and_numpys_casting_errors():
    m = X > 0.5
    T = la.array(X) * 1.0
    T[m] *= 3.0  # a NumPy mask: the same private leaf for the read and the write
    assert gathers(T) == 0
    want = X.copy()
    want[m] *= 3.0
    same(T, want)
    K = la.array(I) * 1
    with pytest.raises(TypeError):  # NumPy: Cannot cast ufunc 'multiply' output from float64 to int64
        K[K > 0] *= 1.5
    Z = la.array(C) * 1
    with pytest.raises(TypeError):
        T2 = la.array(X) * 1.0
        T2[T2 > 0.5] *= Z[la.array(X) > 0.5]  # complex into float: refused as NumPy does (another mask: gathered)
    K = la.array(I) * 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        K[K > 0] //= la.array(np.where(I > 0, I, 0))[K > 0]  # integer division: gathered, no warning at lanes left out
    want = I.copy()
    want[I > 0] //= I[I > 0]
    same(K, want)
