"""@lazyarr.fuse against NumPy: the decorated function must give what the undecorated one gives, and trace and
compile only when its signature says so."""
import operator
import threading
import warnings
from collections import namedtuple

import numpy as np
import pytest
import scipy.special as sp

import lazyarr as la
from lazyarr.compiler import cache
from oracle import assert_same


def same(got, want, ulp=0):
    """assert_same through tuples, lists and dicts."""
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w, ulp)
    elif isinstance(want, dict):
        assert type(got) is dict and list(got) == list(want)
        for k in want:
            same(got[k], want[k], ulp)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert_same(got, want, ulp=ulp)
    else:
        assert type(got) is type(want) and (got == want or got != got and want != want), (got, want)


def close(got, want):
    """Reductions: NumPy's type, dtype and shape; values within summation error (NumPy sums pairwise)."""
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            close(g, w)
        return
    assert type(got) is type(want) and got.dtype == want.dtype and np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def check(fn, *args, ulp=0, calls=2, reduction=False, **kwargs):
    """Call fn fused (`calls` times: the first traces, the next replay) and compare with NumPy's answer."""
    f = la.fuse(fn)
    want = fn(*args, **kwargs)
    for _ in range(calls):
        got = f(*args, **kwargs)
        close(got, want) if reduction else same(got, want, ulp)
    return f


def loads():
    """Kernels brought into memory so far (compiled, or loaded from Numba's disk cache)."""
    info = la.cache_info()
    return info.compiles + info.disk_hits


def poly(a, b, k):
    return 2 * a + b * k - a * a


def waves(a, b):
    return np.sin(a) * np.exp(b) / 2  # products only: no cancellation to magnify ULP differences


RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fresh_rng():
    """Every test draws the same data whatever ran before it in this worker (xdist orders tests freely)."""
    RNG.bit_generator.state = np.random.default_rng(0).bit_generator.state


def _values(shape, dtype):
    if np.dtype(dtype).kind == "c":
        return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)
    if np.dtype(dtype).kind in "iu":
        return RNG.integers(-20, 20, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


LAYOUTS = {
    "1d": lambda d: (_values(37, d), _values(37, d)),
    "2d-C": lambda d: (_values((6, 7), d), _values((6, 7), d)),
    "fortran": lambda d: (np.asfortranarray(_values((6, 7), d)), np.asfortranarray(_values((6, 7), d))),
    "strided": lambda d: (_values((6, 14), d)[:, ::2], _values((6, 7), d)),
    "reversed": lambda d: (_values(37, d)[::-1], _values(37, d)),
    "broadcast": lambda d: (_values((6, 7), d), _values(7, d)),
    "0-d": lambda d: (_values((), d), _values((), d)),
    "empty": lambda d: (_values((0, 7), d), _values(7, d)),
    "big-endian": lambda d: (_values(37, d).astype(np.dtype(d).newbyteorder(">")), _values(37, d)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "int16", "complex128"])
def test_matches_numpy_over_layouts_and_dtypes(layout, dtype):
    a, b = LAYOUTS[layout](dtype)
    # NumPy's complex scalars multiply without FMA, its complex array loop with it (a*a differs by an ULP
    # between np.complex128 and a 1-element array); lazyarr computes as the array loop does.
    ulp = 1 if layout == "0-d" and dtype.startswith("complex") else 0
    check(poly, a, b, 1.25, ulp=ulp)  # a Python float: weak, so float32 stays float32 and int16 becomes float64
    check(poly, a, b, 3, ulp=ulp)     # a Python int: int16 stays int16


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_transcendental_and_scipy_special(dtype):
    a, b = _values((5, 8), dtype), _values((5, 8), dtype)
    check(waves, a, b, ulp=4)
    check(lambda x: sp.expit(x) * sp.erfc(x), a, ulp=4)


def test_results_are_numpy_and_scalars_as_numpy_gives():
    a = _values((3, 4), "float64")
    f = check(lambda x: (x + 1, (x * 2).sum(), x.max()), a, reduction=True)
    out = f(a)
    assert type(out[0]) is np.ndarray and type(out[1]) is np.float64 and type(out[2]) is np.float64


def test_reductions():
    x = _values((5, 6), "float64")
    check(lambda a: a.sum(), x, reduction=True)
    check(lambda a, ax: a.sum(axis=ax), x, 0, reduction=True)
    check(lambda a, ax: a.mean(axis=ax, keepdims=True), x, 1, reduction=True)
    check(lambda a: (a - a.mean(axis=0)) / a.std(axis=0), x, reduction=True)
    f = check(lambda a, k: ((a - k) ** 2).sum(axis=0), x, 0.3, reduction=True)
    for k in (0.45, 0.3, 2.5):
        close(f(x, k), ((x - k) ** 2).sum(axis=0))
    assert f.cache_info().traces == 1  # k is a placeholder in the reduction's fused producer too
    check(lambda a: (a > 0).any(axis=1), x)
    check(lambda a: np.argmax(a * a, axis=0), x)


def test_output_structures():
    Pair = namedtuple("Pair", "total product")
    a, b = _values(5, "float64"), _values(5, "float64")
    check(lambda x, y: (x + y, x * y), a, b)
    check(lambda x, y: [x + y, 3, "label"], a, b)
    check(lambda x, y: {"s": x + y, "nested": (x - y, None)}, a, b)
    check(lambda x, y: Pair(x + y, x * y), a, b)
    check(lambda x: x, a)  # an input returned as it is


def test_returning_the_argument_itself():
    a = _values(5, "float64")
    f = la.fuse(lambda x, y: (x, y * 2))
    assert f(a, a)[0] is a


def test_keywords_and_defaults():
    @la.fuse
    def f(a, b=None, *, scale=1.5, shift=0.0):
        """Scale and shift."""
        return a * scale + shift if b is None else (a + b) * scale + shift

    a, b = _values(6, "float32"), _values(6, "float32")
    same(f(a), a * 1.5 + 0.0)
    same(f(a, shift=2.5), a * 1.5 + 2.5)
    same(f(a, b, scale=0.25), (a + b) * 0.25 + 0.0)
    same(f(a, b=b, scale=0.75, shift=-1.25), (a + b) * 0.75 - 1.25)
    assert f.__name__ == "f" and f.__doc__ == "Scale and shift."
    assert f.cache_info().traces == 2  # b given or not; scale and shift values are placeholders
    with pytest.raises(TypeError, match="unexpected keyword"):
        f(a, scaling=2.0)


def test_variable_arguments():
    @la.fuse
    def total(*arrays, weight=1.0):
        return sum(arrays) * weight

    a, b, c = _values(4, "float64"), _values(4, "float64"), _values(4, "float64")
    same(total(a, b), (a + b) * 1.0)
    same(total(a, b, c, weight=0.25), (a + b + c) * 0.25)
    same(total(a, b, c, weight=0.75), (a + b + c) * 0.75)
    assert total.cache_info().traces == 2


def test_containers_of_arrays_as_arguments():
    a, b = _values(4, "float64"), _values(4, "float64")
    check(lambda pair, k: pair[0] * k + pair[1], (a, b), 2.5)
    check(lambda d: d["x"] - d["y"], {"x": a, "y": b})


def test_numpy_scalars_are_strong_python_numbers_weak():
    a = _values(9, "float32")
    f = check(lambda x, k: x * k, a, 2.5)
    assert f(a, 2.5).dtype == np.float32
    g = check(lambda x, k: x * k, a, np.float64(2.5))
    assert g(a, np.float64(2.5)).dtype == np.float64
    i8 = np.arange(-4, 5, dtype=np.int8)
    check(lambda x, k: x * k, i8, np.int16(3))
    check(lambda x, k: x + k, i8, 100)
    check(lambda x, k: x < k, i8, 1000)  # out of int8's range: NumPy compares without error


def test_arithmetic_on_python_numbers_stays_weak():
    a = _values(9, "float32")

    def gauss(x, sigma, mu=0.0):
        return np.exp(-(x - mu) ** 2 / (2 * sigma ** 2))

    f = check(gauss, a, 0.7, ulp=2)
    same(f(a, 1.9, 0.45), gauss(a, 1.9, 0.45), ulp=2)
    assert f.cache_info().traces == 1


def test_power_exponents_numpy_special_cases():
    x = np.array([-np.inf, -4.0, -0.0, 0.0, 2.0, np.inf, np.nan])
    f = la.fuse(lambda a, k: a ** k)
    for k in (0.5, 2.0, -1.0, 1.0, 3.0, 0.25, 2, 3, np.float64(0.5), np.float32(2.0), np.float64(3.0)):
        same(f(x, k), x ** k)


def test_overflowing_python_int_raises_like_numpy():
    i8 = np.arange(-4, 5, dtype=np.int8)
    f = la.fuse(lambda x, k: x + (k + 1))
    same(f(i8, 100), i8 + 101)
    with pytest.raises(OverflowError, match="128"):
        f(i8, 127)
    with pytest.raises(OverflowError, match="300"):
        la.fuse(lambda x, k: x + k)(i8, 300)


def test_numbers_returned_and_used_in_python():
    @la.fuse
    def f(x, k):
        return x * k, k * 2, k

    a = _values(3, "float64")
    same(f(a, 1.5), (a * 1.5, 3.0, 1.5))
    same(f(a, 2.25), (a * 2.25, 4.5, 2.25))
    same(f(a, 1 + 2j), (a * (1 + 2j), 2 + 4j, 1 + 2j))
    assert f.cache_info().traces == 2  # float, then complex


def test_python_branch_on_a_number_argument_specialises():
    @la.fuse
    def f(x, k):
        if k > 0:
            return x * k
        return x - k

    a = _values(5, "float64")
    same(f(a, 3.5), a * 3.5)
    same(f(a, -3.5), a + 3.5)
    same(f(a, 3.5), a * 3.5)
    assert f.cache_info().hits == 1


def test_new_size_and_new_value_compile_nothing_new_dtype_compiles_once():
    def g(a, b, k):
        return np.hypot(a, b) * k + np.arctan2(b, a) ** 2  # no cancellation: float32 stays within a few ULP

    f = la.fuse(g)
    # Data of its own (the module's RNG state depends on which tests ran before, under xdist too). arctan2 is
    # within 1 ULP of NumPy's, its square within 2, and the sum adds a rounding: 4 ULP.
    x, y = np.random.default_rng(243).standard_normal((2, 40))
    same(f(x, y, 0.3), g(x, y, 0.3), ulp=4)
    before, traces = la.cache_info(), f.cache_info().traces
    same(f(x[:17].copy(), y[:17].copy(), 0.3), g(x[:17], y[:17], 0.3), ulp=4)
    same(f(x, y, 7.25), g(x, y, 7.25), ulp=4)
    after = la.cache_info()
    assert (after.misses, after.compiles) == (before.misses, before.compiles)
    assert f.cache_info().traces == traces + 1  # the new size traced again; the new value did not

    cache.clear_memory()
    start = loads()
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    same(f(x32, y32, 0.3), g(x32, y32, 0.3), ulp=3)
    same(f(x32, y32, 1.5), g(x32, y32, 1.5), ulp=3)
    assert loads() - start == 1


def test_axis_argument_retraces():
    f = la.fuse(lambda a, axis: a.sum(axis=axis))
    x = _values((3, 4, 5), "float64")
    for axis in (0, 1, 2, -1, 0, 2, (0, 2)):
        close(f(x, axis), x.sum(axis=axis))
    assert f.cache_info().misses == 5  # 2 and -1 mean the same axis, but NumPy is asked as called


def test_bools_strings_and_none_are_part_of_the_signature():
    @la.fuse
    def f(x, squared=False, how="add", extra=None):
        y = x * x if squared else x
        y = y + 1 if how == "add" else y - 1
        return y if extra is None else y * extra

    a = _values(5, "float64")
    for args in [(), (True,), (False, "sub"), (True, "sub", a)]:
        same(f(a, *args), f.__wrapped__(a, *args))
    assert f.cache_info().traces == 4


def test_nested_fused_functions():
    @la.fuse
    def inner(a, k):
        return a * k + 1

    @la.fuse
    def outer(a, b, k):
        return inner(a, k) - inner(b, 2 * k)

    a, b = _values(6, "float64"), _values(6, "float64")
    same(outer(a, b, 1.5), (a * 1.5 + 1) - (b * 3.0 + 1))
    assert inner.cache_info().misses == 0  # inlined into outer's graph
    same(inner(a, 2.0), a * 2.0 + 1)


def test_lazy_arguments_stay_lazy():
    f = la.fuse(lambda a, b: np.sqrt(a * a + b))
    a, b = _values(5, "float64") ** 2, _values(5, "float64") ** 2
    out = f(la.array(a), b)
    assert isinstance(out, la.LazyArray)
    same(out.compute(), np.sqrt(a * a + b))
    assert f.cache_info().traces == 0


def test_python_control_flow_on_arrays_breaks_the_graph_instead_of_failing():
    """(#15) A value asked for inside a trace is computed at a graph break (tests/test_fuse_breaks.py)."""
    @la.fuse
    def f(a):
        if a.sum() > 0:
            return a
        return -a

    x = _values(4, "float64")
    same(f(x), f.__wrapped__(x))
    same(f(-x), f.__wrapped__(-x))
    assert f.cache_info().currsize == 2  # one variant per branch


@pytest.mark.parametrize("use", [float, int, lambda a: a.compute(), np.asarray, lambda a: a.max() if a.max() else 0])
def test_every_way_to_ask_for_a_value_gets_numpys_value(use):
    f = la.fuse(lambda a: use(a.sum()))
    x = _values(4, "float64")
    got, want = f(x), use(la.array(x).sum())  # what the same call gives on a LazyArray
    want = want.compute() if isinstance(want, la.LazyArray) else want
    assert type(got) is type(want) and got == want


def test_unsupported_numpy_function_runs_eagerly_with_warnings():
    x = _values(4, "float64")
    with pytest.warns(la.fuse.EagerWarning, match="unique"):
        same(la.fuse(lambda a: np.unique(a) * 2)(x), np.unique(x) * 2)
    with pytest.warns(la.fuse.EagerWarning, match="nonzero"):
        same(la.fuse(lambda a: np.nonzero(a)[0])(x), np.nonzero(x)[0])  # (argsort is a stage: traced)


def test_numpy_stages_inside_a_fused_function():
    a = _values(7, "float64")
    check(lambda x: np.sort(x) * 2 + 1, a)
    check(lambda x: np.cumsum(x * x) - x, a, reduction=True)


def test_unsupported_arguments():
    # (s15) a dtype kernels cannot take runs the function as plain NumPy (docs/fuse.md, "Session 15 sweep"):
    # NumPy's answer, or NumPy's own error
    objects = np.array([1, 2.5], dtype=object)
    with pytest.warns(la.EagerWarning, match="dtype object"):
        got = la.fuse(lambda a: a + 1)(objects)
    assert got.dtype == object and got.tolist() == [2, 3.5]
    with pytest.raises(TypeError, match="str"), warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        la.fuse(lambda a: a + 1)(np.array([1, "x"], dtype=object))
    # (s15) an unhashable option (a set) too: the plain function, one warning (tests/test_fuse_foreign_arguments.py)
    with pytest.warns(la.fuse.EagerWarning, match="set"):
        np.testing.assert_array_equal(la.fuse(lambda a, s: a + len(s))(np.ones(3), {1, 2}), np.full(3, 3.0))


def test_closure_arrays_and_eager_numpy_inside():
    table = _values(6, "float64")
    check(lambda a: a * table + np.sin(table), _values(6, "float64"), ulp=2)


def test_transposes_of_arguments():
    x = _values((4, 6), "float64")
    check(lambda a, b: a.T * 2 + b, x, _values((6, 4), "float64"))
    check(lambda a: a.T + a.T * a.T, x[::-1, ::2])


def test_methods_and_explicit_maxsize():
    class Model:
        def __init__(self, k):
            self.k = k

        @la.fuse
        def apply(self, x):
            return x * self.k

        __hash__ = object.__hash__

    a = _values(3, "float64")
    same(Model(2.0).apply(a), a * 2.0)
    same(Model(3.0).apply(a), a * 3.0)

    f = la.fuse(maxsize=2)(lambda a: a + 1)
    for n in (3, 4, 5):
        same(f(np.ones(n)), np.ones(n) + 1)
    assert f.cache_info().currsize == 2
    f.cache_clear()
    assert f.cache_info() == (0, 0, 0, 0, 2)


def test_threads_share_programs():
    f = la.fuse(lambda a, b, k: a * k - b)
    arrays = [(_values(n, "float64"), _values(n, "float64")) for n in (50, 60)]
    errors = []

    def work(i):
        try:
            with np.errstate(all="ignore"):  # the oracle's bit arithmetic; errstate is per thread
                for j in range(30):
                    a, b = arrays[j % 2]
                    same(f(a, b, i + j / 7), a * (i + j / 7) - b)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_large_arrays_run_in_parallel_kernels():
    a, b = _values(100_000, "float64"), _values(100_000, "float64")
    check(lambda x, y, k: np.sqrt(x * x + y * y) * k, a, b, 0.75)


def test_programs_outlive_the_kernel_caches_memory():
    import gc

    f = la.fuse(lambda a, b, k: np.sin(a) * k - b)
    a, b = _values(50, "float64"), _values(50, "float64")
    first = f(a, b, 0.3)
    cache.clear_memory()  # the kernel's module leaves sys.modules; the program still holds its dispatcher
    gc.collect()
    same(f(a, b, 0.3), first)
    assert f.cache_info().hits == 1


# --- views of arguments: indexing and reshaping -------------------------------------------------------------

VIEW_LAYOUTS = {
    "1d": lambda: _values(37, "float64"),
    "reversed": lambda: _values(40, "float64")[::-2],
    "2d-C": lambda: _values((6, 7), "float64"),
    "fortran": lambda: np.asfortranarray(_values((6, 7), "float64")),
    "strided-reversed": lambda: _values((6, 14), "float64")[::-1, 1::2],
}


def check_new_data(fn, make, ulp=0):
    """fn fused, called on several arrays of one signature: one trace, NumPy's answers on each call's data."""
    f = la.fuse(fn)
    for _ in range(3):
        x = make()
        same(f(x), fn(x), ulp)
    assert f.cache_info().traces == 1
    return f


@pytest.mark.parametrize("layout", sorted(VIEW_LAYOUTS))
def test_offset_views_of_arguments_replay_on_new_data(layout):
    make = VIEW_LAYOUTS[layout]
    check_new_data(lambda a: a[1:] - a[:-1], make)
    check_new_data(lambda a: a[::-3][:2] * 2 + a[1::3][:2], make)
    if make().ndim == 2:
        check_new_data(lambda a: a[1:, ::-1] * a[:-1, 2:3] + a[1:, -1, None], make)
        check_new_data(lambda a: a[2, 1:4] - a[..., 3][2] + a[-1, -1], make)
    else:
        check_new_data(lambda a: a[5] * a - a[-1], make)


def test_reshaped_arguments_views_and_copies():
    c = lambda: _values((6, 4), "float64")  # noqa: E731
    f = lambda: np.asfortranarray(_values((6, 4), "float64"))  # noqa: E731
    check_new_data(lambda a: a.reshape(-1, 3) * 2, c)            # a view of the argument
    check_new_data(lambda a: a.reshape(-1, 3) * 2, f)            # NumPy copies: a reshape stage
    check_new_data(lambda a: a.ravel()[5:] + a.T.reshape(-1)[:-5], c)
    check_new_data(lambda a: np.expand_dims(a, 1)[:, :, ::2] + np.squeeze(a[None, :1, ::2]), f)
    check_new_data(lambda a: np.broadcast_to(a[0], (3, 4)) * a[1:4], c)


def test_indexing_inside_fuse_gathers_and_zero_d_arrays():
    index, mask = np.array([4, 0, 2, 2]), np.array([True, False, True, False, True, True])
    check_new_data(lambda a: a[index, ::-1] * 2 + a[mask, 1:][-1, 0], lambda: _values((6, 3), "float64"))
    check_new_data(lambda a: a[..., 0], lambda: _values(5, "float64"))  # NumPy gives a 0-d array
    check_new_data(lambda a: a[0] + 1, lambda: _values(5, "float64"))   # ... and here a scalar
    g = la.fuse(lambda a, k: a[1:] * k + a[:-1])  # int numbers are traced twice and the graphs compared
    for k in (3, 5):
        x = _values(9, "int32")
        same(g(x, k), x[1:] * k + x[:-1])
    assert g.cache_info().traces == 2
    x = _values(5, "float64")
    with pytest.warns(la.EagerWarning, match="index"):  # (#15) a mask's values decide the shape: a break
        same(la.fuse(lambda a: a[a > 0])(x), x[x > 0])


# -- issue #11: fresh outputs, writes into arguments and NumPy arrays, NumPy arrays read as NumPy reads them ------

def test_every_call_returns_fresh_outputs():
    """A result the caller writes into changes neither the next call's result nor the program."""
    zeros = la.fuse(lambda n: np.zeros(n))  # depends on no array argument
    first = zeros(3)
    first[0] = 5
    second = zeros(3)
    same(second, np.zeros(3))
    assert second is not first

    x = np.round(_values(4, "float64") * 8) / 8  # eighths: every sum exact, in any order (lazyarr's sums are
    # compensated, NumPy's pairwise: on arbitrary data they can differ in the last bit)

    @la.fuse
    def made(a):
        y = a * 2
        c = np.ones(4)
        return y, y, c, c, np.asarray(2.0), a, a[1:], a.sum()

    for _ in range(3):  # the first call, then the cached program
        y, y2, c, c2, zero_d, arg, view, total = made(x)
        assert y is y2 and c is c2  # one object returned twice within a call, as NumPy returns it
        same(c, np.ones(4))
        same(zero_d, np.asarray(2.0))
        assert arg is x and np.shares_memory(view, x)  # arguments and their views alias them, as in NumPy
        same(total, x.sum())
        for result in (y, c, zero_d):
            result[...] = 7  # must not reach the next call
    again = made(x)
    assert again[0] is not y and again[2] is not c and again[4] is not zero_d


def _write_into_argument(write):
    """A fused function whose second line writes into its argument `x` (the line the error must name)."""
    def f(x, y):
        write(x, y)
        return x
    return f


@pytest.mark.parametrize("write", [
    operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ifloordiv, operator.imod,
    operator.ipow, operator.iand, operator.ior, operator.ixor, operator.ilshift, operator.irshift,
    operator.imatmul,
    lambda x, y: x.__setitem__(0, 1),
    lambda x, y: x.__setitem__(y > 0, y),
    lambda x, y: x[1:].__iadd__(1),         # x[1:] += 1: a view of the argument
    lambda x, y: x.T.__setitem__(0, 1),
    lambda x, y: np.add(x, y, out=x),
    lambda x, y: x.fill(3),
    lambda x, y: np.copyto(x, y),
    lambda x, y: np.putmask(x, y > 0, y),
], ids=lambda w: getattr(w, "__name__", "?"))
def test_writes_into_arguments_reach_the_caller_as_in_numpy(write):
    plain = _write_into_argument(write)
    f = la.fuse(plain)
    x, y = np.arange(1, 5, dtype=np.int64), np.arange(4, 8, dtype=np.int64)
    if write is operator.imatmul:
        x, y = x.reshape(2, 2), y.reshape(2, 2)
    if write in (operator.itruediv,):  # NumPy refuses a float64 result into int64: the same error
        with pytest.raises(TypeError):
            plain(x.copy(), y)
        with pytest.raises(TypeError):
            f(x.copy(), y)
        return
    expected = x.copy()
    plain(expected, y)
    for _ in range(2):  # the trace, then the cached program
        got = x.copy()
        assert f(got, y) is got  # the argument returned is the caller's array
        same(got, expected)


def test_in_place_operators_still_rebind_what_is_not_an_argument():
    @la.fuse
    def f(x, k):
        acc = x * 0
        acc += x  # a traced value the function made: rebound, as outside a trace
        k *= 2    # a NumPy scalar argument is immutable in NumPy too: rebound
        return acc * k

    x = _values(5, "float64")
    same(f(x, np.float64(1.5)), x * 3.0)
    acc = la.array(x)
    acc += 1  # outside a trace: unchanged (a functional update)
    same(acc.compute(), x + 1)


def _numpy_zeros(shape):
    """A NumPy array made by code the fused function calls (not routed to a traced array)."""
    return np.zeros(shape)


@pytest.mark.parametrize("write", [
    lambda R, t: np.copyto(R, t),
    lambda R, t: R.__iadd__(t),
    lambda R, t: np.add(R, t, out=R),
])
def test_writing_a_traced_value_into_a_numpy_array_names_the_line(write):
    @la.fuse
    def f(a):
        R = _numpy_zeros((2, 2))  # (a blank array the body makes itself is traced: tests/test_assign_stages.py)
        write(R, a * 2)
        return R

    with pytest.raises(la.fuse.TracingError) as info:
        f(np.ones((2, 2)))
    message = str(info.value)
    assert "Writing a traced value into a NumPy array" in message and "not supported yet" in message
    assert "test_fuse.py:" in message and "lambda R, t:" in message, message  # the line that writes


@pytest.mark.filterwarnings("ignore::lazyarr.EagerWarning")
@pytest.mark.parametrize("write", [
    lambda R, t: R.__setitem__((0, 0), np.sqrt(t.sum())),  # NumPy asks float(): a guarded graph break
    lambda R, t: R.__setitem__(slice(None), t),            # NumPy asks np.asarray(): the signature runs eagerly
])
def test_numpy_storing_a_traced_value_asks_for_it_at_a_graph_break(write):
    def f(a):
        R = _numpy_zeros((2, 2))
        write(R, a * 2)
        return R

    fused = la.fuse(f)
    for x in (np.ones((2, 2)), np.full((2, 2), 3.0), np.ones((2, 2))):
        same(fused(x), f(x))


G = np.ones(3)


def test_numpy_arrays_are_read_as_numpy_reads_them():
    """Arrays from outside the function are read on every call; one the traced code writes to after using
    it is read as it was when it was used."""
    @la.fuse
    def written_after_use(a):
        b, c = np.ones(3), np.ones((2, 3))
        d, e = a + b, a + c
        b[:] = 10
        c[:] = 10
        return d, a + b, e.T  # (lazyarr pushes .T down to c's leaf: a view of c made after the write)

    a = np.arange(3.0)
    for _ in range(2):
        d, e, t = written_after_use(a)
        same(d, a + 1)
        same(e, a + 10)
        same(t, (a + np.ones((2, 3))).T)

    from_module = la.fuse(lambda a: a * G)
    same(from_module(a), a)
    G[:] = 5
    try:
        same(from_module(a), a * 5)
    finally:
        G[:] = 1


def test_a_masked_argument_keeps_its_mask():
    """The mask must not be lost silently (#11.7): la.array refuses a masked array; a fused function (s15) runs
    the plain function on it, as NumPy would, mask and all (tests/test_fuse_foreign_arguments.py)."""
    f = la.fuse(lambda a: a * 2)
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    with pytest.warns(la.fuse.EagerWarning, match="MaskedArray"):
        result = f(masked)
    assert isinstance(result, np.ma.MaskedArray)
    np.testing.assert_array_equal(result.mask, [False, True, False])
    np.testing.assert_array_equal(result.data[[0, 2]], [2.0, 6.0])


def test_a_memmap_argument_is_a_plain_array(tmp_path):
    f = la.fuse(lambda a: a * 2)
    m = np.memmap(tmp_path / "m.dat", dtype=np.float64, mode="w+", shape=(4,))
    m[:] = [1, 2, 3, 4]
    np.testing.assert_array_equal(f(m), np.array([2.0, 4, 6, 8]))
    np.testing.assert_array_equal(f(m), np.array([2.0, 4, 6, 8]))  # the cached call too
