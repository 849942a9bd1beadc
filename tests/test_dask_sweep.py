"""lazyarr over dask arrays against NumPy (s16 sweepd): the fixes the sweep found, pinned, and a slice of the
sweep (tools/sweeps/sweep_dask.py) over several chunkings; byte orders (lazy, fused and over dask).

The slice shares kernels with the other sweeps' tests (small 1-D and 2-D float64/int arrays); every lazy result is
computed by compute() and by to_dask().compute(), which must agree (sweep_dask.concrete).
"""
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import lazyarr as la  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools" / "sweeps"))
import sweep_dask  # noqa: E402
import sweep_methods  # noqa: E402
import sweep_ufuncs  # noqa: E402
from harness import Tally  # noqa: E402

X = np.arange(12.0).reshape(3, 4) - 4.5


def dask_lazy(x, chunks):
    return la.array(da.from_array(x, chunks=chunks))


# --- fixes found by the sweep --------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda a: a.max(axis=0), lambda a: a.min(), lambda a: a.argmax(), lambda a: a.argmin(axis=0),
    lambda a: np.ptp(a, axis=1), lambda a: np.nanmax(a, axis=1), lambda a: np.maximum.reduce(a, axis=0),
    lambda a: a.repeat([1, 0, 2], axis=0), lambda a: np.linalg.norm(a, ord=np.inf, axis=1),
])
def test_empty_dask_chunks_give_numpys_answer(call):
    # dask allows chunks of length 0; a min/max chunk step over an empty block raised NumPy's "zero-size array"
    # ValueError (dask's own da.max fails there too); lazyarr merges empty blocks away before per-block work
    D = dask_lazy(X, ((0, 1, 0, 2), (2, 0, 2)))
    got, want = call(D), call(X)
    np.testing.assert_array_equal(np.asarray(got.compute()), want)
    assert np.asarray(got.to_dask().compute()).dtype == np.asarray(want).dtype


def test_zero_d_dask_array_is_a_zero_d_array():
    # as a wrapped 0-d ndarray: round() refuses (arrays have no __round__), .T computes to a 0-d array
    z = dask_lazy(np.array(2.5), ())
    with pytest.raises(TypeError, match="__round__"):
        round(z)
    assert type(z.T.compute()) is np.ndarray and z.T.compute().shape == ()
    assert type(z.sum().compute()) is np.float64  # a reduction is NumPy's scalar, as before


def test_complex_reduction_to_a_real_dtype_warns_at_every_call():
    # the reduction memos (s15 build) kept the dtype answer and with it dropped NumPy's ComplexWarning after
    # the first call of a process
    x = X.astype(complex)
    for _ in range(3):
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            la.array(x).sum(axis=0, dtype=np.float32)
            la.array(x).mean(dtype=np.float32)
        assert sum(issubclass(w.category, np.exceptions.ComplexWarning) for w in records) == 2


@pytest.mark.parametrize("quick", [None, False])
def test_power_of_one_to_a_huge_exponent(quick):
    # float64 power made the exp's index from y * 16/ln 2, inf for |y| > 7.8e306, and inf * log(1) = NaN:
    # 1.0 ** 1.8e308 was NaN (NumPy: 1.0); both tiers run the same vector math
    from lazyarr import config
    config.set_quick_tier(quick)
    try:
        big = np.finfo(np.float64).max
        # every lane +-1 (a block with one lane the vector code leaves to the C library is recomputed whole)
        x = np.array([1.0, -1.0, 1.0, 1.0, -1.0] * 8)
        y = np.array([big, big, -big, 2.0**1000, 8e306] * 8)
        np.testing.assert_array_equal(np.power(la.array(x), la.array(y)).compute(), np.power(x, y))
        x = np.array([1.0, -1.0, 2.0, 0.5, 1.0 + 2**-52, 1.0] * 5)  # beside lanes that overflow
        y = np.array([big, big, big, -big, big, 7.9e306] * 5)
        with np.errstate(all="ignore"):
            want = np.power(x, y)
        np.testing.assert_array_equal(np.power(la.array(x), la.array(y)).compute(), want)
    finally:
        config.set_quick_tier(None)


# --- byte orders -------------------------------------------------------------------------------------------

BIG = X.astype(">f8")
MASK = BIG > 0
BYTE_ORDER_CALLS = {
    "T": lambda a: a.T, "x[0]": lambda a: a[0], "slice": lambda a: a[1:, ::2], "copy": lambda a: a.copy(),
    "np.copy": lambda a: np.copy(a), "flatten": lambda a: a.flatten(), "reshape": lambda a: a.reshape(-1),
    "sort": lambda a: np.sort(a, axis=0), "take": lambda a: np.take(a, [0, 5]), "x[mask]": lambda a: a[MASK],
    "x[[2, 0]]": lambda a: a[[2, 0]], "repeat": lambda a: a.repeat(2), "tile": lambda a: np.tile(a, 2),
    "roll": lambda a: np.roll(a, 1), "pad": lambda a: np.pad(a, 1), "partition": lambda a: np.partition(a, 1),
    "unique": lambda a: np.unique(a), "compress": lambda a: np.compress([1, 0, 1], a, axis=0),
    "astype >f8": lambda a: a.astype(">f8"), "astype <f8": lambda a: a.astype("<f8"),
    "astype >i4": lambda a: a.astype(">i4"), "astype >c16": lambda a: a.astype(">c16"),
    "astype f4": lambda a: a.astype(np.float32), "asarray >f8": lambda a: np.asarray(a, dtype=">f8"),
    "np.array": lambda a: np.array(a), "view <f8": lambda a: a.view("<f8"), "view >i8": lambda a: a.view(">i8"),
    "view <i8": lambda a: a.view("<i8"), "byteswap": lambda a: a.byteswap(),
    "astype no": lambda a: a.astype("<f8", casting="no"), "astype equiv": lambda a: a.astype("<f8", casting="equiv"),
    "astype > no": lambda a: a.astype(">f8", casting="no"),
    # native results: ufuncs, reductions, concatenation
    "add": lambda a: a + 1, "negative": lambda a: -a, "sum": lambda a: a.sum(axis=0), "max": lambda a: a.max(),
    "cumsum": lambda a: np.cumsum(a), "concatenate": lambda a: np.concatenate([a, a]), "where": lambda a: np.where(MASK, a, 0),
    "element": lambda a: a[1, 2], "astype >f4 + 1": lambda a: a.astype(">f4") + 1,
    "x[lazy mask]": lambda a: a[a > 0], "x[[]]": lambda a: a[[]], "x[2:1]": lambda a: a[2:1],
    "deepcopy": lambda a: __import__("copy").deepcopy(a), "pickle": lambda a: pickle.loads(pickle.dumps(a)),
}


def _same_as_numpy(got, want):
    if isinstance(want, Exception):
        assert isinstance(got, type(want)), got
        return
    value = got.compute() if isinstance(got, la.LazyArray) else got
    assert type(value) is type(want)
    assert np.asarray(value).dtype == np.asarray(want).dtype  # the byte order too
    if isinstance(got, la.LazyArray):
        assert got.dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(value, want)


def _call(fn, x):
    try:
        return fn(x)
    except Exception as exc:  # NumPy's answer may be its exception
        return exc


@pytest.mark.parametrize("name", list(BYTE_ORDER_CALLS))
def test_byte_order_of_lazy_results_is_numpys(name):
    fn = BYTE_ORDER_CALLS[name]
    _same_as_numpy(_call(fn, la.array(BIG)), _call(fn, BIG))


@pytest.mark.parametrize("name", ["T", "copy", "sort", "take", "x[[2, 0]]", "astype >f8", "astype <f8",
                                  "astype no", "astype > no", "add", "sum", "concatenate"])
def test_byte_order_over_dask(name):
    fn = BYTE_ORDER_CALLS[name]
    got, want = _call(fn, dask_lazy(BIG, ((2, 1), (3, 1)))), _call(fn, BIG)
    _same_as_numpy(got, want)
    if isinstance(got, la.LazyArray):
        assert got.to_dask().dtype == want.dtype


@pytest.mark.parametrize("dt", [">i4", ">c16", ">f4", ">u2"])
def test_other_big_endian_dtypes_keep_their_order_through_copies(dt):
    x = (X * 2).astype(dt)
    for fn in (lambda a: a.T.copy(), lambda a: np.sort(a, axis=1), lambda a: a * 2):
        _same_as_numpy(fn(la.array(x)), fn(x))


@pytest.mark.parametrize("dt", [">f8", ">i8", ">f2"])
def test_writes_into_a_big_endian_array_keep_its_byte_order(dt):
    # a write never changes an array's dtype (NumPy): in-place operators, item assignment, put, fill, sort ...
    # on a copy of a big-endian input are big-endian, with NumPy's values
    t = Tally()
    x = sweep_methods.sweep_vector(dt[1:]).astype(dt)
    w = x[::-1].copy()
    with np.errstate(all="ignore"):
        for name, call in sweep_methods.UPDATES:
            t.check(f"{name} [{dt}]", call, {"x": x, "w": w, "i": np.array([0, 2])})
    assert t.kinds["ok"] == len(sweep_methods.UPDATES), t.report("updates")


def test_fused_function_results_keep_numpys_byte_order():
    def f(a):
        return a.T.copy(), a * 2, np.sort(a, axis=0), a.astype(">i4"), a[1:]
    fused = la.fuse(f)
    for got, want in zip(fused(BIG), f(BIG)):
        assert type(got) is np.ndarray and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


# --- a slice of the sweep ------------------------------------------------------------------------------------

# Differences the sweep reports that are documented (docs/dask.md, docs/numpy_surface.md), not bugs of the bridge:
# dtypes Numba cannot compile are refused, as on the NumPy path; a fused call with dask arguments returns values
# computed at the call (no dask leaf under them: np.unique, x[mask], np.nonzero ...) as ndarrays
KNOWN = ("v.astype(str)", "v.astype(object)") + tuple(f"fuse {n}" for n in sweep_dask.FUSE_COMPUTED_AT_THE_CALL)


def _failures(t: Tally) -> list[str]:
    return [f for f in t.failures if not any(f"{k} <" in f for k in KNOWN)]


def test_sweep_slice_methods():
    t = Tally()
    calls = sweep_methods.MATRIX_CALLS[::3]
    sweep_dask.sweep_methods(t, ("f8",), ["uneven every axis", "empty chunks"], calls)
    sweep_dask.sweep_methods(t, ("i8", "c16"), ["chunks of 1"], calls[::2])
    assert sum(t.kinds.values()) > 150
    assert not _failures(t), t.report("methods")


def test_sweep_slice_reductions_over_every_axis_form():
    t = Tally()
    sweep_dask.sweep_axes(t, ("f8",), ["empty chunks"])
    assert not _failures(t), t.report("axes")


def test_sweep_slice_small_calls_and_updates():
    t = Tally()
    sweep_dask.sweep_small(t, ["uneven every axis"], sweep_methods.SMALL_CALLS[::2])
    sweep_dask.sweep_updates(t, ("f8",), ["chunks of 1"])
    assert not _failures(t), t.report("small, updates")


def test_sweep_slice_ufuncs():
    t = Tally()
    for u in sweep_ufuncs.ufuncs()[::4]:
        for dt in (np.dtype("f8"), np.dtype("i4"), np.dtype("c8")):
            x = sweep_ufuncs.edges(dt)
            if u.nin == 1:
                sweep_dask.check(t, f"{u.__name__}({dt})", lambda a, u=u: u(a["x"]), {"x": x},
                                 sweep_ufuncs.ulp_of(u, dt), ["chunks of 1"])
            elif u.nin == 2:
                x, y = sweep_ufuncs.pair(x, x)
                sweep_dask.check(t, f"{u.__name__}({dt},{dt})", lambda a, u=u: u(a["x"], a["y"]), {"x": x, "y": y},
                                 sweep_ufuncs.ulp_of(u, dt), ["empty chunks"])
    assert sum(t.kinds.values()) > 40
    assert not _failures(t), t.report("ufuncs")


def test_sweep_slice_fused_calls_with_dask_arguments():
    t = Tally()
    sweep_dask.sweep_fuse(t, ["uneven every axis"], sweep_methods.MATRIX_CALLS[::3])
    assert sum(t.kinds.values()) > 30
    assert not _failures(t), t.report("fuse")


def test_sweep_slice_linalg_special_stats():
    t = Tally()
    sweep_dask.sweep_linalg(t, ["uneven every axis"])
    scipy = pytest.importorskip("scipy.special")
    for name in ("erf", "ndtri", "gammaln", "expit", "xlogy", "i0e"):
        uf = getattr(scipy, name)
        x = np.array([-2.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.5, np.nan, np.inf])
        inputs = {f"x{k}": (x if k == 0 else np.abs(x[::-1])) for k in range(uf.nin)}
        sweep_dask.check(t, f"special.{name}", lambda a, uf=uf: uf(*a.values()), inputs, 4, ["uneven first axis"])
    assert not _failures(t), t.report("linalg, special")

