"""Small and 0-d LazyArray work (api/scalar_fold.py): element reads of plain data are NumPy's scalars, and
arithmetic on 0-d constants (``la.positive(np.float64(...))``, ``la.tanh`` of a scalar) is computed now, with
NumPy's dtypes, values, weak-scalar rules and errors; everything else is recorded as before. Mostly NumPy's
evaluator: only the two tests that add a scalar to an array compile a kernel."""
import warnings

import numpy as np
import pytest

import lazyarr as la

rng = np.random.default_rng(1507)
F64 = rng.standard_normal((3, 4))
I64 = rng.integers(-50, 50, (3, 4))
I8 = np.array([[100, -7, 3], [127, -128, 0]], dtype=np.int8)
F32 = rng.standard_normal((2, 3)).astype(np.float32)


def same(lazy, expected):
    """`lazy` (a LazyArray, computed, or a value) is NumPy's `expected`: type (scalar or array), dtype and value
    (bit for bit)."""
    got = lazy.compute() if isinstance(lazy, la.LazyArray) else lazy
    assert type(got) is type(expected), (type(got), type(expected))
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    np.testing.assert_array_equal(got, expected, strict=True)


class Consts:
    """Element reads as 0-d LazyArray constants (``la.positive`` of NumPy's scalar: a constant computed now), so
    the arithmetic below runs through lazyarr's 0-d folding and not through NumPy's scalars alone."""

    def __init__(self, x):
        self.x = la.array(x)

    def __getitem__(self, key):
        return la.positive(self.x[key])


# -- element reads ---------------------------------------------------------------------------------------------

def test_element_reads_of_plain_data_are_numpys_scalars():
    a = la.array(F64)
    for key in [(1, 2), (-1, -1), (np.int64(2), np.intp(0)), (np.int8(0), 3)]:
        assert not isinstance(a[key], la.LazyArray)  # the scalar itself, not a wrapper of it
        same(a[key], F64[key])
    same(a[1][2], F64[1][2])                      # an element of a row view
    same(a.T[3, 2], F64.T[3, 2])
    same(a[1:][0, 1], F64[1:][0, 1])
    same(la.array(F64[::-1, ::2])[0, 1], F64[::-1, ::2][0, 1])
    same(la.array(I64)[2, 3], I64[2, 3])
    same(la.array(np.arange(5))[3], np.arange(5)[3])


def test_element_reads_that_numpy_gives_as_arrays_stay_arrays():
    a = la.array(F64)
    same(a[1, 2, ...], F64[1, 2, ...])                   # 0-d arrays, not scalars
    same(a[1, 2, None], F64[1, 2, None])
    same(a[1], F64[1])
    same(a[np.array(1), 2], F64[np.array(1), 2])
    b = la.array(np.array([True, False]))
    same(b[True], np.array([True, False])[True])         # a bool is a mask, not the index 1


def test_element_reads_out_of_bounds_raise_numpys_error():
    a = la.array(F64)
    with pytest.raises(IndexError, match="out of bounds"):
        a[3, 0]
    with pytest.raises(IndexError):
        a[0, -5]


def test_an_element_read_is_a_copy_as_numpys_scalar_is():
    x = F64.copy()
    a = la.array(x)
    element = a[1, 1]
    whole = a + 0.0
    expected_element, expected_whole = x[1, 1], x + 0.0
    x[1, 1] = 99.0
    same(element, expected_element)              # NumPy's x[1, 1] read before the write is the old value
    np.testing.assert_array_equal(whole.compute(), x + 0.0)  # expressions still read x when computed


def test_element_reads_see_pending_writes_and_views_of_written_arrays():
    x = la.array(F64.copy())
    ref = F64.copy()
    view = x[1:]
    x[2, 0] = 7.5
    ref[2, 0] = 7.5
    same(x[2, 0], ref[2, 0])
    same(view[1, 0], ref[1:][1, 0])              # the view follows its base's write
    view[0, 3] += 1.0
    ref[1:][0, 3] += 1.0
    same(x[1, 3], ref[1, 3])
    same((x * 2.0)[1, 3], (ref * 2.0)[1, 3])     # an element of an expression
    np.testing.assert_array_equal(x.compute(), ref)


# -- 0-d arithmetic ---------------------------------------------------------------------------------------------

def _chain(xp, a, b):
    """The same scalar program on NumPy scalars and on element reads (x and y: float64, k: int64)."""
    x, y, k = a[0, 1], a[2, 3], b[1, 2]
    r = np.tanh(x) + 1.5 * y - x / 3
    r = r + k // 4 - (k % 7) * 2
    r = np.maximum(r, np.nan if xp == "nan" else -1e300) + np.sqrt(np.abs(y)) ** 2
    return r, -k + 3, x > y, (k & 6) | 1, np.exp(x) * 0.5, 1 / (x - x), k ** 2, x ** 0.5


def test_zero_d_chains_match_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # NumPy's scalars warn for 1 / 0; lazy compute does not
        expected = _chain("", F64, I64) + _chain("nan", F64, I64)[:1]
    got = _chain("", Consts(F64), Consts(I64)) + _chain("nan", Consts(F64), Consts(I64))[:1]
    for lazy, want in zip(got, expected):
        assert isinstance(lazy, la.LazyArray)
        same(lazy, want)


def test_weak_python_scalars_follow_numpy_2_with_small_dtypes():
    i8, f32 = Consts(I8), Consts(F32)
    for make in [lambda a, f: a[0, 0] + 100, lambda a, f: a[1, 1] - 1, lambda a, f: a[0, 1] * 2,
                 lambda a, f: a[1, 0] // 3, lambda a, f: a[0, 0] * 2.5, lambda a, f: a[0, 0] < 300,
                 lambda a, f: a[1, 1] == -129, lambda a, f: f[0, 1] * 2.5, lambda a, f: f[1, 2] + 1e300,
                 lambda a, f: f[0, 0] + a[0, 1], lambda a, f: np.float32(2) * f[1, 1],
                 lambda a, f: f[0, 2] + 1j, lambda a, f: 3 - a[0, 2], lambda a, f: a[0, 1] * np.int16(300),
                 lambda a, f: np.add(a[1, 2], np.uint8(200))]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's scalars warn on overflow
            expected = make(I8, F32)
        same(make(i8, f32), expected)


def test_zero_d_errors_are_numpys():
    i8, i64 = Consts(I8), Consts(I64)
    with pytest.raises(OverflowError):
        i8[0, 0] + 300                           # NumPy 2: a Python int out of int8's range
    with pytest.raises(TypeError):
        i64[0, 0] & 1.5
    with pytest.raises(ValueError):
        i64[0, 0] ** -1                          # integers to negative integer powers
    with pytest.raises(TypeError):
        np.bitwise_or(Consts(F64)[0, 0], 1)


def test_zero_d_work_is_silent_and_leaves_its_inputs_alone():
    x = F64.copy()
    a = Consts(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        z = a[0, 0] / 0.0 + np.log(a[0, 0] - a[0, 0])
        assert np.isnan(z.compute()) or np.isinf(z.compute())
    np.testing.assert_array_equal(x, F64)


def test_in_place_updates_of_zero_d_values():
    # A 0-d constant is a NumPy scalar: `t op= y` is `t = t op y`, NumPy's scalar promotion, no cast back.
    f32 = Consts(F32)
    t = f32[0, 0]
    t += 1.5
    t *= f32[1, 1]
    want = F32[0, 0]
    want += 1.5
    want *= F32[1, 1]
    same(t, want)
    s = f32[0, 1]
    s += Consts(F64)[0, 0]                       # float32 scalar + float64 scalar: a float64 scalar
    want = F32[0, 1]
    want += F64[0, 0]
    same(s, want)
    k = Consts(I64)[0, 0]
    k += 0.5                                     # an int64 scalar becomes a float64 one
    want = I64[0, 0]
    want += 0.5
    same(k, want)
    # A 0-d array is updated in place: NumPy's out= cast rules.
    z = la.zeros((), np.int64)
    with pytest.raises(TypeError):
        z += 0.5                                 # same_kind: float64 into int64


def test_an_alias_of_a_scalar_keeps_its_value_and_an_alias_of_a_0d_array_sees_writes():
    whole = np.round(F64 * 1024)  # integers: any order of addition gives NumPy's bits
    x = la.array(whole)
    t = x.sum()
    mid = t
    t += 1.0
    u = la.zeros(())
    alias = u
    u += 2.0
    u += 1.0
    v = la.array(np.zeros(()))
    seen = v
    v -= 4.0
    want_t = whole.sum()
    want_mid = want_t
    want_t += 1.0
    same(t, want_t)
    same(mid, want_mid)
    same(alias, np.array(3.0))
    same(seen, np.array(-4.0))


def _go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


def test_a_scalar_loop_keeps_no_graph_and_gives_numpys_answer():
    square = rng.standard_normal((6, 6))
    lazy = la.array(square)
    trace = 0.0
    for i in range(6):
        trace += np.tanh(lazy[i, i])
        assert type(trace) is np.float64        # NumPy's own scalar work: no LazyArray, no graph
    folded = 0.0
    for i in range(6):
        folded += la.tanh(lazy[i, i])           # lazyarr's function of a scalar: a constant computed now
        assert folded._node.args == ()          # a value, not a growing chain of nodes
    assert folded.compute() == trace
    np.testing.assert_array_equal(_go_fast(la.array(square)).compute(), _go_fast(square))


def test_fused_functions_still_read_each_calls_elements():
    fused = la.fuse(_go_fast)
    for _ in range(2):                           # the second call replays the traced program on new data
        square = rng.standard_normal((6, 6))
        np.testing.assert_allclose(fused(square), _go_fast(square), rtol=1e-14)


def _aliases(a):
    s = a[1, 1]
    old = s
    s += a[2, 2]
    u = np.zeros(())
    alias = u
    u += s
    return s, old, alias


def test_aliases_under_fuse_are_numpys():
    got, want = la.fuse(_aliases)(F64), _aliases(F64)
    for g, w in zip(got, want):
        assert type(g) is type(w) and g.dtype == w.dtype and g == w, (g, w)
