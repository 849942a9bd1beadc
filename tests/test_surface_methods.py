"""ndarray methods and Python protocols on LazyArray (lazyarr/api/methods.py), against NumPy's."""
from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest

import lazyarr as la
from oracle import assert_same

F = np.array([[3.25, -1.5, np.nan], [2.0, 5.5, -0.0]])
I = np.array([[4, -2, 7], [0, 9, 1]], dtype=np.int64)
B = np.array([True, False, True])


@pytest.fixture(autouse=True)
def _quiet_fallback():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        yield


def value(x):
    return x.compute() if isinstance(x, la.LazyArray) else \
        type(x)(value(v) for v in x) if isinstance(x, tuple) else x


@pytest.mark.parametrize("a", [F, I, B], ids=["float64", "int64", "bool"])
@pytest.mark.parametrize("call", [
    lambda x: x.cumsum(), lambda x: x.cumsum(axis=-1), lambda x: x.cumprod(axis=0, dtype=np.float64),
    lambda x: x.nonzero(), lambda x: x.argsort(axis=0, kind="stable"), lambda x: x.argsort(axis=None),
    lambda x: x.repeat(2), lambda x: x.repeat([1, 2], axis=0) if x.ndim == 2 else x.repeat(2, axis=0),
    lambda x: x.take([0, -1]), lambda x: x.take([[1], [0]], axis=x.ndim - 1), lambda x: x.take(1, mode="clip"),
    lambda x: x.swapaxes(0, -1), lambda x: x.round(), lambda x: x.round(1), lambda x: x.round(-1),
], ids=["cumsum", "cumsum-1", "cumprod0", "nonzero", "argsort0", "argsortNone", "repeat", "repeat_axis",
        "take", "take_axis", "take_clip", "swapaxes", "round", "round1", "round-1"])
def test_delegating_methods(a, call):
    try:
        want = call(a.copy())
    except (TypeError, ValueError) as exc:  # (round(1) of bool: NumPy has no such loop)
        # NumPy's own subclasses (_UFuncOutputCastingError) are private: the public base is what is promised
        with pytest.raises(TypeError if isinstance(exc, TypeError) else ValueError):
            value(call(la.array(a.copy())))
        return
    got = value(call(la.array(a.copy())))
    if isinstance(want, tuple):
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w)
    else:
        assert_same(got, want)


def test_2d_only_methods():
    for a in (F, I):
        x = la.array(a)
        assert_same(x.diagonal().compute(), a.diagonal())
        assert_same(x.diagonal(1).compute(), a.diagonal(1))
        assert_same(x.trace().compute(), a.trace())  # (a fused sum since surface/reductions: lazy)
        assert_same(x.trace(offset=1, dtype=np.float32).compute(), a.trace(offset=1, dtype=np.float32))
    s = np.array([-3.0, 0.0, 2.5, np.nan])
    assert_same(la.array(s).searchsorted([2.5, -9.0, np.nan], side="right").compute(),
                s.searchsorted([2.5, -9.0, np.nan], side="right"))
    assert_same(la.array(s).searchsorted(1.0).compute(), s.searchsorted(1.0))  # (lazy: a 0-d stage)


def test_methods_raise_numpys_errors():
    x = la.array(F)
    with pytest.raises(ValueError):
        la.array(np.array(1.0)).nonzero()  # NumPy 2
    with pytest.raises(ValueError):
        x.diagonal(axis1=0, axis2=0)
    with pytest.raises(IndexError):
        x.take([10])
    with pytest.raises(np.exceptions.AxisError):
        x.swapaxes(0, 2)


def test_item_and_tolist():
    for a in (F, I, B):
        x = la.array(a)
        assert x.tolist() == a.tolist() or np.isnan(a).any()
        assert repr(x.tolist()) == repr(a.tolist())
        for args in [(0,), (a.size - 1,), ((0,) * a.ndim,), tuple([-1] * a.ndim)]:
            got, want = x.item(*args), a.item(*args)
            assert type(got) is type(want) and repr(got) == repr(want)
    assert la.array(np.array(2.5)).item() == 2.5 and la.array(np.array(7)).tolist() == 7
    assert type(la.array(I).sum().item()) is int
    with pytest.raises(ValueError, match="size 1"):
        la.array(F).item()
    with pytest.raises(IndexError):
        la.array(F).item(6)
    with pytest.raises(IndexError):
        la.array(F).item(2, 0)


def test_nbytes_itemsize():
    for a in (F, I.astype(np.int8), B, np.zeros((0, 3), np.complex64)):
        x = la.array(a)
        assert (x.nbytes, x.itemsize) == (a.nbytes, a.itemsize)
    assert (la.array(F) * 2).astype(np.float32).nbytes == F.astype(np.float32).nbytes


def test_format():
    x = la.array(F)
    s = np.nansum(F)
    assert f"{np.nansum(x):.3f}" == f"{s:.3f}" and f"{x[1, 1]:>8.2e}" == f"{F[1, 1]:>8.2e}"
    assert f"{la.array(np.array(5))}" == str(la.array(np.array(5)))
    assert f"{la.array(I).sum():d}" == f"{I.sum():d}"
    with pytest.raises(TypeError, match="format"):
        f"{x:.3f}"  # NumPy takes no format spec for n-d arrays
    with pytest.raises(TypeError, match="format"):
        format(F, ".3f")


def test_iteration_and_scalar_protocols():
    x = la.array(F)
    rows = list(x)
    assert len(rows) == 2 and all(isinstance(r, la.LazyArray) for r in rows)
    assert_same(rows[1].compute(), F[1])
    with pytest.raises(TypeError, match="0-d"):
        iter(la.array(np.array(1.0)))
    zero_d = la.array(np.array(2.75))
    assert float(zero_d) == 2.75 and int(zero_d) == 2 and complex(zero_d) == 2.75
    assert operator.index(la.array(np.array(3, np.int8))) == 3
    assert [10, 20, 30, 40][la.array(I)[1, 2] + 1] == 30
    for bad in (la.array(np.array(2.0)), la.array(np.array([1]))):
        with pytest.raises(TypeError, match="integer scalar arrays"):
            operator.index(bad)
        with pytest.raises(TypeError):
            [1, 2][bad]
    for conv in (float, int, complex):
        with pytest.raises(TypeError):
            conv(x)  # NumPy 2: only 0-d arrays convert
        with pytest.raises(TypeError):
            conv(F)


def test_astype_keywords_checked_as_numpy():
    x = la.array(F) * 1
    assert_same(x.astype(np.int32, casting="unsafe").compute(), (F * 1).astype(np.int32))
    assert_same(x.astype(np.float32, order="C").compute(), F.astype(np.float32, order="C"))
    assert_same(x.astype(np.float64, casting="safe", order="F", subok=False).compute(), F.copy())
    with pytest.raises(TypeError, match="according to the rule 'safe'"):
        x.astype(np.int32, casting="safe")
    with pytest.raises(TypeError, match="same_kind"):
        x.astype(np.int64, casting="same_kind")
    with pytest.raises(ValueError, match="order"):
        x.astype(np.float32, order="X")
    with pytest.raises(ValueError, match="casting"):
        x.astype(np.float32, casting="bogus")
    assert x.astype(np.float64, copy=False) is x
    assert x.astype(np.float32, copy=False) is not x
    assert_same(la.array(I).astype(np.int8, casting="same_value").compute(), I.astype(np.int8))
    with pytest.raises(ValueError):
        la.array(I * 100).astype(np.int8, casting="same_value").compute()


def test_in_place_methods_rebind():
    x = la.array(F.copy())
    x.sort()
    np.testing.assert_array_equal(np.asarray(x), np.sort(F))
    x.fill(0.0)
    np.testing.assert_array_equal(np.asarray(x), np.zeros_like(F))
    x = la.array(F)
    assert not hasattr(np.ones(1), "ptp") and not hasattr(x, "ptp")  # NumPy 2 has no ndarray.ptp
    assert_same(np.ptp(x, axis=1).compute(), np.ptp(F, axis=1))  # the function: through the fallback


def test_methods_inside_fuse_that_need_values_break_the_graph():
    """(#15) item(i) hands the whole array to NumPy's item, and argsort runs as NumPy: both make the
    signature eager, warned once (guarded breaks: tests/test_fuse_breaks.py)."""
    @la.fuse
    def f(a):
        return a.item(0)

    with pytest.warns(la.EagerWarning, match="item"):
        assert_same(f(F), F.item(0))

    @la.fuse
    def g(a):
        return a.nonzero()  # (argsort is a stage, traced; nonzero's shape needs values)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        warnings.simplefilter("ignore", la.EagerWarning)
        got, want = g(F), F.nonzero()
        assert len(got) == len(want) and all(np.array_equal(g_, w) for g_, w in zip(got, want))


# --- (s14) x.view(dtype): the same bytes read as another dtype, a view both ways ----------------------------
@pytest.mark.parametrize("src,dst", [(np.float64, np.int64), (np.float64, np.uint8), (np.float32, np.int16),
                                     (np.int8, np.uint8), (np.complex128, np.float64), (np.uint8, np.int64),
                                     (np.int16, np.int32), (np.float64, np.complex128)])
def test_view_rereads_the_bytes_with_numpys_shape_rule(src, dst):
    x = (np.random.default_rng(3).standard_normal((3, 8)) * 50).astype(src)
    try:
        want = x.view(dst)
    except ValueError:
        with pytest.raises(ValueError):
            la.array(x).view(dst)
        return
    got = (la.array(x) * 1).view(dst)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert_same(got.compute(), want)
    assert_same(la.fuse(lambda a: a.view(dst) == a.view(dst))(x), want == want)


def test_view_is_a_view_both_ways_and_refuses_what_numpy_refuses():
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    A = la.array(x.copy())
    bits = A.view(np.int64)
    bits[0, 0] = 0  # a write into the view reaches A
    A[1, 1] = 1.0   # a write into A reaches the view
    want_a = x.copy()
    want_bits = want_a.view(np.int64)
    want_bits[0, 0] = 0
    want_a[1, 1] = 1.0
    assert_same(A.compute(), want_a)
    assert_same(bits.compute(), want_bits)
    assert_same(A.view().compute(), want_a)
    assert type(A.view(np.ndarray)) is np.ndarray
    with pytest.raises(ValueError):
        la.array(np.ones(3)).view(np.complex128)  # 24 bytes do not hold whole 16-byte items (NumPy's error)
    with pytest.raises(ValueError):
        la.array(np.float64(1.0)).view(np.int32)  # 0-d: itemsize must not change (NumPy's error)
    with pytest.raises(TypeError, match="cannot compile"):
        la.array(np.ones(4)).view(np.dtype("U1"))


def test_tobytes_round_strides_flags_and_flat_as_numpys():
    """(s14) ndarray attributes a NumPy program reads: values asked for (tobytes, round of a scalar), the
    computed value's layout, and flat (reads lazy, writes through x.ravel() into x)."""
    x = np.arange(12.0).reshape(3, 4) * 1.3
    A = la.array(x) * 2
    want = x * 2
    assert A.tobytes() == want.tobytes() and A.tobytes("F") == want.tobytes("F")
    assert round(A[1, 2]) == round(want[1, 2]) and round(A.sum(), 1) == round(want.sum(), 1)
    with pytest.raises(TypeError):
        round(A)  # arrays have no __round__ in NumPy either
    assert A.strides == want.strides and A.flags["C_CONTIGUOUS"] and A.flags.writeable
    assert float(A.flat[5]) == want.flat[5] and list(A.flat) == list(want.flat) and len(A.flat) == want.size
    assert_same(A.flat[[0, 7]].compute(), want.flat[[0, 7]])
    B, y = la.array(x.copy()), x.copy()
    B.flat[4] = -1.0
    B.flat[1:3] = 7.0
    y.flat[4] = -1.0
    y.flat[1:3] = 7.0
    assert_same(B.compute(), y)


# --- (s20) every ndarray method and attribute, and out= of functions that are not ufuncs ---------------------------

def test_every_ndarray_method_and_attribute_exists():
    missing = {n for n in dir(np.ndarray) if not n.startswith("__")} - set(dir(la.LazyArray))
    assert not missing, sorted(missing)


def test_methods_that_write_in_place_rebind():
    x = la.array(F[0].copy())
    x.partition(1)
    want = F[0].copy()
    want.partition(1)
    assert_same(x.compute(), want)
    x = la.array(I.copy())
    x.put([0, 5, -1], [10, 20])
    want = I.copy()
    want.put([0, 5, -1], [10, 20])
    assert_same(x.compute(), want)
    x = la.array(np.zeros(3, np.int64))
    x.setfield(np.array([1, 2, 3], np.int32), np.int32, 4)
    want = np.zeros(3, np.int64)
    want.setfield(np.array([1, 2, 3], np.int32), np.int32, 4)
    assert_same(x.compute(), want)


@pytest.mark.parametrize("shape", [(2, 4), (5,), (2,), ()])
def test_resize_cuts_or_pads_with_zeros_in_place(shape):
    x = la.array(I.copy())
    x.resize(shape)
    want = I.copy()
    want.resize(shape)
    assert_same(x.compute(), want)


def test_resize_refuses_what_numpy_refuses():
    x = la.array(I.copy())
    view = x[0]
    with pytest.raises(ValueError, match="referenced"):
        x.resize(3)
    with pytest.raises(ValueError, match="own its data"):
        view.resize(2)
    x.resize(3, refcheck=False)
    assert x.shape == (3,)


def test_choose_clip_out_and_values_out(tmp_path):
    assert_same(la.array(np.array([0, 1, 1])).choose([I[0], I[1]]).compute(), np.array([0, 1, 1]).choose([I[0], I[1]]))
    buf = np.empty_like(I)
    assert la.array(I).clip(0, 5, out=buf) is buf
    assert_same(buf, I.clip(0, 5))
    path = tmp_path / "x.bin"
    la.array(F).tofile(path)
    assert_same(np.fromfile(path).reshape(F.shape), F)
    la.array(I).dump(tmp_path / "x.pkl")
    assert_same(np.load(tmp_path / "x.pkl", allow_pickle=True), I)
    import pickle
    assert_same(pickle.loads(la.array(I).dumps()), I)
    data = (la.array(I) + 1).data
    assert data.readonly and bytes(data) == (I + 1).tobytes()  # a write through it would be lost: refused
    assert la.array(I).ctypes.data != 0
    assert_same(la.array(I).getfield(np.int32, 0).compute(), I.getfield(np.int32, 0))


def test_base_is_the_array_a_view_views():
    x = la.array(F)
    assert x.base is None and (x + 1).base is None
    row = x[1]
    assert row.base is x and x.T.base is x


def test_setflags_write_false_refuses_writes_as_numpy():
    x = la.array(F.copy())
    x.setflags(write=False)
    assert not x.flags.writeable
    for write in (lambda: x.__setitem__(0, 1.0), lambda: x.__iadd__(1.0), lambda: x.fill(0.0)):
        with pytest.raises(ValueError, match="read-only"):
            write()
    view = x[1:]
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0
    with pytest.raises(ValueError, match="WRITEABLE"):
        view.setflags(write=True)  # a view of a read-only array stays read-only, as NumPy's
    assert_same(x.compute(), F)
    x.setflags(write=True)
    x[0, 0] = 7.0
    assert x.compute()[0, 0] == 7.0


OUT_CALLS = {  # name: (call(module, out), out's shape, dtype): out= of NumPy functions that are not ufuncs
    "cumsum": (lambda m, o: np.cumsum(m(F), axis=1, out=o), (2, 3), np.float32),
    "cumsum int": (lambda m, o: np.cumsum(m(np.abs(np.nan_to_num(F))), axis=1, out=o), (2, 3), np.int64),
    "sum int": (lambda m, o: np.sum(m(np.nan_to_num(F)), axis=0, out=o), (3,), np.int64),
    "nanmedian": (lambda m, o: np.nanmedian(m(F), axis=1, out=o), (2,), np.float64),
    "median int": (lambda m, o: np.median(m(np.nan_to_num(F)), out=o), (), np.int64),
    "percentile": (lambda m, o: np.percentile(m(I), 40, axis=0, out=o), (3,), np.float32),
    "concatenate": (lambda m, o: np.concatenate([m(I), m(I)], out=o), (4, 3), np.float64),
    "stack": (lambda m, o: np.stack([m(F), m(F)], out=o), (2, 2, 3), np.float32),
    "take": (lambda m, o: np.take(m(F), [0, 4, 2], out=o), (3,), np.float64),
    "take int": (lambda m, o: np.take(m(np.nan_to_num(F)), [0, 4], out=o), (2,), np.int64),
    "einsum": (lambda m, o: np.einsum("ij->j", m(I), out=o), (3,), np.int64),
    "multi_dot": (lambda m, o: np.linalg.multi_dot([m(I), m(I.T), m(I)], out=o), (2, 3), np.int64),
    "around": (lambda m, o: np.around(m(F), 1, out=o), (2, 3), np.float32),
    "outer": (lambda m, o: np.outer(m(I[0]), m(I[1]), out=o), (3, 3), np.float64),
    "divmod": (lambda m, o: np.divmod(m(I), 3, out=(o, np.empty_like(o)))[0], (2, 3), np.int64),
    "dot": (lambda m, o: np.dot(m(I), m(I[0]), out=o), (2,), np.int64),
    "add.reduceat": (lambda m, o: np.add.reduceat(m(I[0]), [0, 2], out=o), (2,), np.int64),
}


@pytest.mark.parametrize("name", list(OUT_CALLS))
@pytest.mark.parametrize("kind", ["ndarray out", "LazyArray out"])
def test_out_of_functions_that_are_not_ufuncs(name, kind):
    # (s20) these raised "out= is not supported on lazy arrays" or cast by the wrong rule; NumPy casts a
    # reduction's or a scan's result into out= unsafely, a join's same_kind, einsum's safely
    call, shape, dtype = OUT_CALLS[name]
    want = np.zeros(shape, dtype)
    with np.errstate(all="ignore"):
        call(np.asarray, want)
    buf = np.zeros(shape, dtype)
    out = buf if kind == "ndarray out" else la.array(buf)
    with np.errstate(all="ignore"):
        got = call(la.array, out)
    assert got is out
    assert_same(np.asarray(out) if kind == "LazyArray out" else buf, want)
    assert kind == "ndarray out" or not buf.any()  # a LazyArray out= is rebound; the array it wrapped is not written


def test_out_of_the_wrong_shape_or_dtype_is_refused_as_numpy_refuses_it():
    with pytest.raises(ValueError):
        np.cumsum(la.array(F), axis=1, out=np.empty((2, 2, 3)))
    with pytest.raises(ValueError):
        np.sum(la.array(F), axis=0, out=la.array(np.empty((1, 3))))
    with pytest.raises(TypeError):
        np.concatenate([la.array(F), la.array(F)], out=np.empty((4, 3), np.int64))  # same_kind
    with pytest.raises(TypeError):
        np.einsum("ij->j", la.array(F), out=np.empty(3, np.float32))  # safe
    with pytest.raises(ValueError):
        np.linalg.multi_dot([la.array(I), la.array(I.T)], out=np.empty((2, 2), np.float64))


def test_real_and_imag_are_views_that_writes_reach():
    # (s20) they were new LazyArrays: a write into them was lost silently
    x = np.arange(3.0)
    lazy = la.array(x.copy())
    lazy.real[0] = 5.0
    want = x.copy()
    want.real[0] = 5.0
    assert_same(lazy.compute(), want)
    with pytest.raises(ValueError, match="read-only"):
        lazy.imag[0] = 1.0  # a real array's imaginary part: read-only zeros, as NumPy's
    with pytest.raises(TypeError, match="imaginary part"):
        lazy.imag = 1.0
    lazy.real = 7.0
    assert_same(lazy.compute(), np.full(3, 7.0))
    c = np.array([1 + 2j, 3 + 4j], np.complex64)
    lazy, want = la.array(c.copy()), c.copy()
    for target in (lazy, want):
        target.real = [9, 8]
        target.imag[1] = 0
        np.imag(target)[0] = -1
    assert_same(lazy.compute(), want)
    lazy.imag = 5
    want.imag = 5
    assert_same(lazy.compute(), want)


def test_shape_assignment_reshapes_in_place():
    lazy, want = la.array(np.arange(6.0)), np.arange(6.0)
    lazy.shape = (2, 3)
    want.shape = (2, 3)
    assert_same(lazy.compute(), want)
    lazy.shape = -1
    assert lazy.shape == (6,)
    with pytest.raises(ValueError):
        lazy.shape = (4, 2)
    row = lazy[1:]
    with pytest.raises(AttributeError, match="reshape"):
        lazy.shape = (3, 2)  # x has a live view: refused with a clear error, x unchanged
    assert lazy.shape == (6,) and row.shape == (5,)


def test_dot_method_takes_out():
    out = np.empty(2)
    assert la.array(F).dot(np.ones(3), out=out) is out
    assert_same(out, np.nan_to_num(F, nan=np.nan).dot(np.ones(3)))


# --- (s21) found by NumPy's docstring examples on LazyArrays (tests/test_numpy_doc_examples.py) ------------------

def _flat_program(x):
    x.flat[[1, 4]] = 1
    x.flat[0] = 9
    x.T.flat[1] = 7  # x.T.ravel() is a copy: this write was lost
    x[:, ::2].flat[-1] = -3
    first = x.copy()
    x.flat = 3
    second = x.copy()
    x.flat = [1, 2, 5, 6]  # repeated in C order
    third = x.copy()
    x.flat = np.arange(6) * 1.5  # cast as an assignment casts
    x.flat = []  # no values: x as it is
    return [np.asarray(v) for v in (first, second, third, x)]


def test_writes_through_flat_and_setting_it_are_numpys():
    a = np.arange(1, 7).reshape(2, 3)
    for got, want in zip(_flat_program(la.array(a)), _flat_program(a.copy())):
        assert got.dtype == want.dtype and np.array_equal(got, want)


def test_flags_say_what_numpy_says_of_the_array():
    a = np.array([[3, 1, 7], [2, 0, 0], [8, 5, 9]])
    x = la.array(a)
    assert x.flags == a.flags and repr(x.flags) == repr(a.flags)  # writable, owning its data
    assert not x[:, 1:].flags.owndata and not x[:, 1:].flags["O"]
    x.setflags(write=False, align=False)
    b = a.copy()
    b.setflags(write=False, align=False)
    assert x.flags == b.flags and x.flags["W"] is False and x.flags.aligned is False
    x.flags.writeable = True  # setting the flag is setflags
    x[0, 0] = 4
    assert x.compute()[0, 0] == 4
    with pytest.raises(KeyError):
        x.flags["NOT_A_FLAG"]
    with pytest.raises(AttributeError):
        x.flags.c_contiguous = False


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(2, 1), (3, 3), (4,), ()])
def test_resize_takes_the_elements_in_memory_order(order, shape):
    a = np.array([[0, 1], [2, 3]], order=order)
    x = la.array(a.copy(order="K"))
    a.resize(shape, refcheck=False)
    x.resize(shape)
    assert x.shape == a.shape and np.array_equal(x.compute(), a)


def test_print_shows_the_values_and_repr_describes():
    x = la.array(np.arange(4.0))
    assert str(x + 1) == str(np.arange(4.0) + 1)
    assert f"{(x * 2).sum()} {x[1:3]}" == f"{(np.arange(4.0) * 2).sum()} {np.arange(4.0)[1:3]}"
    assert repr(x + 1).startswith("lazyarr.LazyArray(")  # (a debugger or a log line computes nothing)


def test_atleast_nd_of_an_array_with_enough_axes_is_itself():
    x = la.array(np.arange(3.0))
    assert np.atleast_1d(x) is x and np.atleast_2d(x) is not x
    v = np.atleast_2d(x)
    v[0, 1] = 9  # a view, as NumPy's
    assert x.compute()[1] == 9
