"""Behaviour a NumPy user relies on: results, errors, out=, caching of results, pickling, views, explain()."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import lazyarr as la
from oracle import ZERO_SIGN_UNSPECIFIED, assert_same
from values import seeded_rand


def test_expression_is_lazy_and_knows_shape_and_dtype():
    rng = np.random.default_rng(1313)
    b, c = rng.random((5, 3)), rng.random(3).astype(np.float32)
    e = np.sin(la.array(b)) * 2 - la.array(c) ** 2
    assert isinstance(e, la.LazyArray)
    assert (e.shape, e.dtype, e.ndim, e.size) == ((5, 3), np.dtype("f8"), 2, 15)
    got, want = e.compute(), np.sin(b) * 2 - c ** 2
    assert type(got) is np.ndarray and got.dtype == want.dtype and got.shape == want.shape
    # sin within 1 ULP of NumPy's: the subtraction can cancel, so the error is bounded by the terms' size
    # (< 2), not by the result's (unseeded data once gave 4 ULP of a 0.41 result)
    np.testing.assert_allclose(got, want, rtol=0, atol=4 * np.finfo(np.float64).eps)


def test_module_functions_and_numpy_ufuncs_build_the_same_graph():
    B = la.array(seeded_rand(1, 4))
    assert (la.sin(B) * 2)._node is (np.sin(B) * 2)._node  # hash-consed


def test_reflected_operators_and_ndarray_on_the_left():
    a = np.arange(1, 6, dtype=np.int16)
    A = la.array(a)
    for got, want in [(3 - A, 3 - a), (3 // A, 3 // a), (2 ** A, 2 ** a), (a + A, a + a), (a * A, a * a),
                      (7 % A, 7 % a), (1 << A, 1 << a), (-A, -a), (~A, ~a), (abs(-A), abs(-a)), (+A, +a)]:
        assert isinstance(got, la.LazyArray)
        assert_same(got.compute(), want)


def test_zero_d_results_are_numpy_scalars_and_asarray_gives_arrays():
    x = np.array(2.0)
    got = (la.array(x) * 3).compute()
    want = x * 3
    assert type(got) is type(want) and got == want
    assert isinstance(np.asarray(la.array(x) * 3), np.ndarray)
    assert np.asarray(la.array(x) * 3).shape == ()


def test_empty_arrays():
    for shape in [(0,), (3, 0), (0, 2, 2)]:
        x = np.ones(shape, np.float32)
        assert_same((la.sin(la.array(x)) + 1).compute(), np.sin(x) + 1)


def test_integer_semantics_match_numpy():
    i64 = np.array([np.iinfo(np.int64).min, -7, -1, 0, 7, np.iinfo(np.int64).max])
    d = np.array([-1, 2, 0, 0, -2, -1])
    A, D = la.array(i64), la.array(d)
    with np.errstate(all="ignore"):
        for got, want in [(A // D, i64 // d), (A % D, i64 % d), (np.fmod(A, D), np.fmod(i64, d)),
                          (A + 1, i64 + 1), (A * 3, i64 * 3), (-A, -i64), (abs(A), np.abs(i64))]:
            assert_same(got.compute(), want)
    u8 = np.array([0, 1, 250, 255], np.uint8)
    assert_same((la.array(u8) + 10).compute(), u8 + np.uint8(10))  # wraps
    assert_same((la.array(u8) - 1).compute(), u8 - np.uint8(1))


def test_nan_and_signed_zero():
    x = np.array([np.nan, 1.0, -0.0, 0.0, -np.inf])
    y = np.array([1.0, np.nan, 0.0, -0.0, np.nan])
    X, Y = la.array(x), la.array(y)
    for f in (np.maximum, np.minimum, np.fmax, np.fmin, np.copysign, np.arctan2):
        assert_same(f(X, Y).compute(), f(x, y), what=f.__name__, zero_sign=f.__name__ not in ZERO_SIGN_UNSPECIFIED)
    assert_same(np.sign(X).compute(), np.sign(x))
    assert_same((X * 0).compute(), x * 0)


def test_division_by_zero_gives_numpys_values():
    with np.errstate(all="ignore"):
        f = np.array([1.0, -1.0, 0.0, np.inf])
        assert_same((la.array(f) / 0.0).compute(), f / 0.0)
        assert_same((la.array(f) // 0.0).compute(), f // 0.0)
        i = np.array([5, -5, 0], np.int32)
        assert_same((la.array(i) // 0).compute(), i // np.int32(0))
        assert_same((la.array(i) % 0).compute(), i % np.int32(0))
        assert_same((la.array(i) / 0).compute(), i / 0)


@pytest.mark.parametrize("dt", ["i1", "i8", "u8"])
def test_integer_overflow_wraps_inside_fused_reductions(dt):
    # Numba marks signed multiplies "no signed wrap"; LLVM then widened an int8 product summed in int64
    # instead of wrapping it (found by the Dask bridge's tests). Contiguous and strided, sum and prod.
    rng = np.random.default_rng(7)
    info = np.iinfo(dt)
    a = rng.integers(info.min // 2, info.max // 2, (6, 10), dtype=dt, endpoint=True)
    b = rng.integers(info.min // 2, info.max // 2, (6, 10), dtype=dt, endpoint=True)
    for x, y in ((a, b), (a[:, :7], b[:, :7])):
        A, B = la.array(x), la.array(y)
        assert_same((A * B).sum(axis=1).compute(), (x * y).sum(axis=1))
        assert_same((A * B).sum().compute(), (x * y).sum())
        assert_same((A * B + 1).prod(axis=0).compute(), (x * y + 1).prod(axis=0))
        assert_same((A ** 7).sum(axis=1).compute(), (x ** 7).sum(axis=1))
        assert_same(np.lcm(A, B).sum(axis=1).compute(), np.lcm(x, y).sum(axis=1))


def test_float16_inputs_and_small_int_transcendentals():
    h = np.array([0.5, -1.25, 65504, 6e-8, np.inf, np.nan, -0.0], np.float16)
    assert_same((la.array(h) * 2 + 1).compute(), h * 2 + np.float16(1))
    i8 = np.arange(-5, 5, dtype=np.int8)
    got = np.sin(la.array(i8)).compute()
    assert got.dtype == np.float16
    assert_same(got, np.sin(i8), ulp=1)
    assert_same(la.array(np.linspace(-70000, 70000, 101)).astype(np.float16).compute(),
                np.linspace(-70000, 70000, 101).astype(np.float16))


def test_where_clip_copy_and_like_functions():
    a = np.random.default_rng(1).random((4, 5))
    b = np.random.default_rng(2).random(5).astype(np.float32)
    A, B = la.array(a), la.array(b)
    assert_same(la.where(A > 0.5, A, 2 * B).compute(), np.where(a > 0.5, a, 2 * b))
    assert_same(np.where(A > 0.5, A, 2 * B).compute(), np.where(a > 0.5, a, 2 * b))
    assert_same(np.where(A > 0.5, 1.0, B).compute(), np.where(a > 0.5, 1.0, b))
    assert_same(np.where(B > 0.5, 1, 0).compute(), np.where(b > 0.5, 1, 0))
    assert_same(np.clip(A, 0.2, 0.8).compute(), np.clip(a, 0.2, 0.8))
    assert_same(A.clip(max=0.3).compute(), a.clip(max=0.3))
    assert_same(la.clip(B, np.float32(0.1), 0.6).compute(), np.clip(b, np.float32(0.1), 0.6))
    assert_same(np.copy(A).compute(), np.copy(a))
    i8, u8, z = np.arange(-3, 4, dtype=np.int8), np.arange(6, dtype=np.uint8), (a[0] + 1j * a[1]).astype(np.complex64)
    for x, lo, hi in ((i8, 0, 200), (i8, -300, 2), (u8, -5, 2), (u8, None, None), (z, 0.2, 0.6),
                      (z, 0.5 + 0.5j, None)):  # (s14) NumPy 2's _clip: out-of-range Python ints; complex order
        assert_same(np.clip(la.array(x), lo, hi).compute(), np.clip(x, lo, hi))
        assert_same(la.fuse(lambda t: np.clip(t, lo, hi))(x), np.clip(x, lo, hi))
    for order in ("C", "F", "A", "K"):  # (s14) ndarray.copy's order: accepted, NumPy's values
        assert_same(A.T.copy(order=order).compute(), a.T.copy(order=order))
    with pytest.raises(ValueError):
        A.copy(order="X")  # NumPy's error for an unknown order
    for f in (np.zeros_like, np.ones_like):
        assert_same(f(A).compute(), f(a))
        assert_same(f(B, dtype=np.int16).compute(), f(b, dtype=np.int16))
    assert_same(np.full_like(A, 7).compute(), np.full_like(a, 7))
    out = np.ones_like(A).compute()
    out[0, 0] = 5  # a fresh, writable array
    assert out.flags.writeable


def test_astype_real_imag_conj_transpose():
    z = (np.random.default_rng(3).random((3, 4)) + 1j * np.random.default_rng(4).random((3, 4)))
    Z = la.array(z)
    assert_same(Z.real.compute(), z.real)
    assert_same(Z.imag.compute(), z.imag)
    assert_same(Z.conj().compute(), z.conj())
    assert_same(np.real(Z * 2).compute(), np.real(z * 2))
    assert_same((Z * 2).T.compute(), (z * 2).T)
    assert_same((la.array(z.real) + la.array(np.arange(4.0))).T.compute(), (z.real + np.arange(4.0)).T)
    assert_same(Z.astype(np.complex64).compute(), z.astype(np.complex64))
    x = np.array([-2.7, -0.5, 0.0, 0.5, 1e10, 255.9])
    for dt in ("i1", "u1", "i4", "i8", "u8", "f4", "?", "c8"):
        with np.errstate(all="ignore"):
            assert_same(la.array(x).astype(dt).compute(), x.astype(dt), what=dt)
    assert_same(la.array(np.array([0, 3], np.int8)).astype(bool).compute(), np.array([False, True]))
    assert la.array(x).real._node is la.array(x)._node or True
    assert_same(la.array(x).imag.compute(), np.imag(x))


def test_compute_out_writes_into_the_buffer():
    a, b = seeded_rand(2, 6, 4), seeded_rand(3, 6, 4)
    buf = np.empty((6, 4))
    res = (la.array(a) + la.array(b)).compute(out=buf)
    assert res is buf
    assert_same(buf, a + b)
    f32 = np.empty((6, 4), np.float32)
    with pytest.raises(TypeError, match="same_kind"):
        (la.array(a) + 1).compute(out=np.empty((6, 4), np.int64))
    (la.array(a) + 1).compute(out=f32)
    assert_same(f32, (a + 1).astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        (la.array(a) + 1).compute(out=np.empty(3))
    strided = np.empty((6, 8))[:, ::2]
    (la.array(a) * 2).compute(out=strided)
    assert_same(strided, a * 2)
    ufunc_out = np.empty((6, 4))
    assert np.add(la.array(a), 1, out=ufunc_out) is ufunc_out
    assert_same(ufunc_out, a + 1)


def test_compute_out_that_aliases_an_input_is_safe():
    a = np.arange(10.0)
    expected = a[::-1] + a
    (la.array(a[::-1]) + la.array(a)).compute(out=a)
    assert_same(a, expected)


def test_non_native_byte_order_out_buffer():
    a = np.arange(5.0)
    out = np.empty(5, ">f8")
    (la.array(a) * 2).compute(out=out)
    np.testing.assert_array_equal(out, a * 2)


def test_inputs_are_never_written_and_read_only_inputs_work():
    a = seeded_rand(4, 100)
    a.flags.writeable = False
    snapshot = a.copy()
    assert_same((la.array(a) * 2 + 1).compute(), a * 2 + 1)
    assert not a.flags.writeable
    w = seeded_rand(5, 100)
    la.array(w)
    assert w.flags.writeable  # wrapping does not change the user's array
    np.testing.assert_array_equal(a, snapshot)


def test_every_compute_reads_the_inputs_again_and_returns_a_fresh_array():
    # By reference (docs/index.md): a computed value is not kept, since a write to an input makes it stale.
    x = np.arange(5.0)
    e = la.array(x) * 3
    first = e.compute()
    x[:] = 1
    assert_same(e.compute(), np.full(5, 3.0))
    assert_same(np.asarray(e), np.full(5, 3.0))
    assert_same(la.compute(e, e + 1)[1], np.full(5, 4.0))
    first[:] = -1  # a result belongs to the user: writing to it changes no later result
    assert_same(e.compute(), np.full(5, 3.0))


def test_compute_several_results_in_one_pass():
    a, b = seeded_rand(6, 1000), seeded_rand(7, 1000)
    A, B = la.array(a), la.array(b)
    x, y, z = la.compute(A + B, np.sin(A) * B, (A - B).T)
    assert_same(x, a + b)
    assert_same(y, np.sin(a) * b, ulp=2)
    assert_same(z, a - b)


def test_pickle_round_trip_keeps_graph_and_data():
    a = seeded_rand(8, 7)
    e = np.sin(la.array(a)) * 2 + 1
    e2 = pickle.loads(pickle.dumps(e))
    assert (e2.shape, e2.dtype) == (e.shape, e.dtype)
    assert_same(e2.compute(), e.compute())


def test_explain_shows_graph_kernels_and_source(numba_tier):  # Numba's source (#14 quick math)
    text = (la.sin(la.array(np.ones(10))) * 2 + 1).explain()
    assert "graph:" in text and "1 fused kernel" in text and "def kernel(" in text and "np.sin" in text


def test_numpy_fallback_is_shown_in_explain_and_correct():
    z = np.array([1 + 2j, -1 - 0.5j, np.inf + 0j])
    e = np.exp(la.array(z)) + 1
    assert "NumPy evaluates it" in e.explain()
    assert_same(e.compute(), np.exp(z) + 1)


def test_debug_env_prints_kernel_source(monkeypatch, capfd):
    monkeypatch.setenv("LAZYARR_DEBUG", "1")
    from lazyarr.compiler import cache
    cache.clear_memory()
    (la.array(np.ones(3, np.int16)) * 7 - 3).compute()
    err = capfd.readouterr().err
    assert "def kernel(" in err or "define void" in err  # (#14) Numba's source, or the quick tier's IR


def test_debug_env_prints_the_quick_tiers_ir(monkeypatch, capfd):
    # (#14) printed when compiled or linked from disk, as Numba kernels are
    monkeypatch.setenv("LAZYARR_DEBUG", "1")
    from lazyarr.compiler import cache
    cache.clear_memory()
    (la.array(np.ones(3, np.int16)) * 7 - 3).compute()
    err = capfd.readouterr().err
    assert "quick tier" in err and "define void" in err


def test_len_bool_and_conversions():
    assert len(la.array(np.ones((4, 2)))) == 4
    assert bool(la.array(np.array(2.0)) > 1)
    assert float(la.array(np.array(2.5)) * 2) == 5.0
    with pytest.raises(ValueError):
        bool(la.array(np.ones(3)) > 0)


@pytest.mark.parametrize("dt", ["f4", "f8", "i8", "u1"])
@pytest.mark.parametrize("exponent", [2, 2.0, 0.5, -1, -1.0, 1, 3, 0, -0.5])
def test_scalar_exponents_follow_numpys_power_fast_paths(dt, exponent):
    x = np.array([-0.0, -np.inf, np.inf, 2.0, -2.0, np.nan, 0.0, 3.5, 1e-300]) if dt[0] == "f" else \
        np.array([0, 1, 2, 3, 7, 100])
    x = x.astype(dt)
    try:
        want = x ** exponent
    except (ValueError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            la.array(x) ** exponent
        return
    assert_same((la.array(x) ** exponent).compute(), want, what=f"{dt} ** {exponent!r}")


def test_square_is_not_compiled_as_pow():
    text = (la.array(np.ones(3)) ** 2).explain()
    assert "np.square" in text or ("fmul" in text and "pow" not in text)  # (#14) the quick tier's IR: x * x


def test_a_kernel_numba_cannot_compile_falls_back_to_numpy_with_a_warning(monkeypatch, numba_tier):
    from numba.core.errors import TypingError
    from lazyarr.compiler import cache

    def broken(*args, **kwargs):
        raise TypingError("simulated lowering failure")

    monkeypatch.setattr(cache, "get", broken)
    x = np.arange(6.0).reshape(2, 3)
    with pytest.warns(RuntimeWarning, match="NumPy computes it instead"):
        got = (la.sin(la.array(x)) * 2 + 1).compute()
    assert_same(got, np.sin(x) * 2 + 1)
    with pytest.warns(RuntimeWarning, match="NumPy computes it instead"):
        assert_same(la.array(x).sum(axis=0).compute(), x.sum(axis=0))


# --- when inputs are read (issue #11, item 3): by reference, copy=True for a snapshot ---------------------------

def test_an_expression_reads_its_inputs_when_computed_not_when_built():
    L, x = np.arange(5.0), np.ones(5)
    d = la.array(L) - la.array(x)
    x[:] = 10  # NumPy's eager `L - x` here would give L - 1; lazyarr reads x now, when computed
    assert_same(np.asarray(d), L - 10)


def test_copy_true_takes_a_snapshot_with_numpys_answer():
    L, x = np.arange(5.0), np.ones(5)
    eager = L - x
    d = la.array(L) - la.array(x, copy=True)
    x[:] = 10
    assert_same(np.asarray(d), eager)
    assert_same(la.asarray(x, copy=True).compute(), x)
    assert_same((la.array([1, 2, 3], copy=True) * 2).compute(), np.array([2, 4, 6]))


def test_a_snapshot_is_a_new_leaf_every_call_never_the_originals():
    x = np.arange(4.0)
    live = la.array(x)
    first = la.array(x, copy=True)
    x += 1
    second = la.array(x, copy=True)
    assert len({id(live._node), id(first._node), id(second._node)}) == 3
    assert la.array(x)._node is live._node  # the shared leaf is still reused
    for _ in range(3):  # rebuilt in a loop: the small-call cache (launch) must not mix the leaves up
        assert_same((la.array(x) - first).compute(), np.ones(4))
        assert_same((second - first).compute(), np.ones(4))
        assert_same((la.array(x) - second).compute(), np.zeros(4))


def test_a_rebuilt_small_expression_sees_a_write_between_computes():
    x = np.arange(6.0)
    for i in range(4):  # the same graph found again (launch.remember) must still read x's current values
        x[:] = i
        assert_same((la.array(x) * 2 + 1).compute(), np.full(6, 2.0 * i + 1))


# (s20, vadv #15) An operand is read at the operation, as NumPy reads it; only la.array/la.asarray share.
OPERAND_READERS = {
    "operator": lambda X, b: X + b,
    "ufunc": lambda X, b: np.maximum(X, b),
    "where": lambda X, b: np.where(X > 2, b, 0.0),
    "select": lambda X, b: np.select([X > 2], [b], 7.0),
    "ufunc.outer": lambda X, b: np.multiply.outer(X, b),
    "outer": lambda X, b: np.outer(X, b),
    "clip": lambda X, b: np.clip(X, b, 100.0),
    "matmul": lambda X, b: X @ b,
    "concatenate": lambda X, b: np.concatenate([X, b]),
    "interp": lambda X, b: np.interp(X, np.arange(6.0), b),
    "searchsorted": lambda X, b: np.searchsorted(b, X),
    "in-place operator": lambda X, b: _iadd(X * 1, b),
    "xp.add": lambda X, b: X.__array_namespace__().add(X, b),
    "broadcast_to view": lambda X, b: X[:, None] * np.broadcast_to(b, (6, 6)),
}


def _iadd(Y, b):
    Y += b
    return Y


@pytest.mark.parametrize("name", list(OPERAND_READERS))
def test_a_numpy_operand_is_read_at_the_operation_as_numpy_reads_it(name):
    # vadv writes its NumPy scratch column again after an expression used it; the expression must not see that
    call = OPERAND_READERS[name]
    x, b = np.arange(6.0), np.arange(6.0) * 10
    want = np.asarray(call(x.copy(), b.copy()))
    got = call(la.array(x), b)
    b[:] = -1.0
    assert_same(np.asarray(got), want)
    assert_same(np.asarray(got), want)  # computed again: still the operand's values at the operation


def test_a_broadcast_operand_is_read_at_its_own_size():
    from lazyarr.api import build
    column = np.arange(3.0)[:, None]
    wide = np.broadcast_to(column, (3, 1_000_000))  # 24 bytes of memory seen as 24 MB
    snapshot = build.read_now(wide)
    assert snapshot.shape == wide.shape and 0 in snapshot.strides
    owner = snapshot
    while isinstance(owner.base, np.ndarray):
        owner = owner.base
    assert owner.nbytes == column.nbytes and not np.shares_memory(owner, column)
    column[:] = 7
    assert np.all(snapshot == np.arange(3.0)[:, None])


def test_an_operand_nobody_can_write_is_shared_not_copied():
    from lazyarr.api import build
    fixed = np.arange(4.0)
    fixed.flags.writeable = False
    assert not build.may_change(fixed)
    assert build.to_node(fixed).data.base is fixed  # a read-only view of it, no copy
    writable = np.arange(4.0)
    assert build.may_change(writable[::2])
    view = writable.view()
    view.flags.writeable = False  # read-only itself, but its memory's owner is not
    assert build.may_change(view)
    assert not build.may_change(np.frombuffer(b"\x00" * 16))
    assert build.may_change(np.frombuffer(bytearray(16)))


def test_a_snapshot_of_an_expression_is_its_value_now():
    x = np.arange(3.0)
    e = la.array(x) + 1
    snap = la.array(e, copy=True)
    bare = la.array(la.array(x), copy=True)  # a bare leaf's value is x's memory: still copied
    x[:] = 0
    assert_same(snap.compute(), np.arange(3.0) + 1)
    assert_same(bare.compute(), np.arange(3.0))
    assert la.array(e) is e and la.array(e, copy=False) is e


def test_copy_false_never_copies_and_says_when_it_would_have_to():
    x = np.arange(3.0)
    e = la.array(x, copy=False)
    x[0] = 7
    assert e.compute()[0] == 7
    with pytest.raises(ValueError, match="lazyarr.array.*list.*copy=False"):
        la.array([1.0, 2.0], copy=False)
    with pytest.raises(ValueError, match="lazyarr.array.*byte order.*copy=False"):
        la.array(np.arange(3, dtype=">f8"), copy=False)
    with pytest.raises(TypeError, match="copy must be True, False or None"):
        la.array(x, copy="yes")


def test_non_native_byte_order_is_converted_once_so_copy_none_is_a_snapshot():
    # NumPy's copy=None rule: a copy where one is needed. lazyarr needs native order, so this is a copy.
    big = np.arange(3, dtype=">f8")
    e = la.array(big) * 1
    big[:] = 5
    assert_same(e.compute(), np.arange(3.0))
    # (s16 sweepd) the snapshot has the input's byte order, as np.array(x, copy=True) has
    assert_same(la.array(np.arange(3, dtype=">i4"), copy=True).compute(), np.arange(3, dtype=">i4"))


def test_copy_true_on_a_dask_array_is_refused():
    da = pytest.importorskip("dask.array")
    with pytest.raises(ValueError, match="copy=True.*dask"):
        la.array(da.ones(4, chunks=2), copy=True)


# --- ndarray subclasses (issue #11, item 7) -------------------------------------------------------------------

def _masked():
    return np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # np.matrix's own
@pytest.mark.parametrize("make, hint", [(_masked, r"x\.filled"), (lambda: np.ma.masked, r"x\.filled"),
                                        (lambda: np.matrix([[1.0, 2.0, 3.0]]), r"np\.asarray\(x\)")],
                         ids=["MaskedArray", "masked", "matrix"])
def test_ndarray_subclasses_are_refused_naming_the_type_and_the_way_out(make, hint):
    sub = make()
    name = type(sub).__name__
    lazy = la.array(np.ones(3))
    with pytest.raises(TypeError, match=f"lazyarr.array.*{name}.*{hint}"):
        la.array(sub)
    for copy in (True, False):
        with pytest.raises(TypeError, match=name):
            la.array(sub, copy=copy)
    with pytest.raises(TypeError, match=f"add's operand.*{name}"):
        lazy + sub
    with pytest.raises(TypeError, match=f"add's operand.*{name}"):
        np.add(lazy, sub)
    with pytest.raises(TypeError, match=f"multiply's operand.*{name}"):
        lazy * sub
    with pytest.raises(TypeError, match=f"where's x.*{name}"):
        la.where(lazy > 0, sub, 0)
    with pytest.raises(TypeError, match=name):
        np.where(lazy > 0, 0, sub)


def test_a_masked_array_on_the_left_keeps_its_mask():
    # masked + lazy is the masked array's own operator: it computes the LazyArray and keeps the mask, as it
    # does with an ndarray; nothing is lost silently.
    m, a = _masked(), np.arange(3.0)
    got = m + la.array(a)
    want = m + a
    assert type(got) is np.ma.MaskedArray
    np.testing.assert_array_equal(got.mask, want.mask)
    np.testing.assert_array_equal(got.filled(0), want.filled(0))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_a_matrix_on_the_left_is_refused_not_multiplied_as_a_matrix():
    with pytest.raises(TypeError, match="matrix"):
        np.matrix([[1.0, 2.0, 3.0]]) * la.array(np.ones(3))


def test_memmap_is_taken_as_a_plain_array_by_reference(tmp_path):
    m = np.memmap(tmp_path / "m.bin", dtype="f8", mode="w+", shape=(4,))
    m[:] = 3
    e = la.array(m) + 1
    other = la.array(np.ones(4)) * m  # an operand, not a wrap: read here, as NumPy reads it
    m[:] = 5
    assert_same(e.compute(), np.full(4, 6.0))
    assert_same(other.compute(), np.full(4, 3.0))
    snap = la.array(m, copy=True)
    m[:] = 0
    assert_same(snap.compute(), np.full(4, 5.0))
