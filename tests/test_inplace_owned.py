"""(s12 lazymandel, #15) A lazy loop's written array stored into the buffer of its last value (api/owned.py's
ownership rule, runtime/inplace.py, compiler/inplace.py), and every way an old value could be observed.

The loops mirror mandelbrot's: ``x[m] = f(x[m], y[m])`` (one ``where``), then an ask that computes x's update
with a value read from it (``np.asarray(m & big)``), then a NumPy update of the mask. NumPy runs the same
program beside them; every value a test keeps must stay NumPy's.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import owned
from lazyarr.compiler import source_map
from lazyarr.compiler.inplace import TAG, AliasedMapKernel, aliased, alias_of
from lazyarr.compiler.schedule import plan
from lazyarr.runtime import inplace

# 1 MiB of elements each: owned.MIN_BYTES, above lazyarr's remembered small graphs (which hold their nodes)
SHAPES = {np.complex128: (256, 256), np.complex64: (256, 512), np.float64: (256, 512),
          np.float32: (512, 512), np.bool_: (1024, 1024)}


def _data(dtype, seed):
    rng = np.random.default_rng(seed)
    shape = SHAPES[dtype]
    if dtype == np.bool_:
        return rng.random(shape) < 0.5, rng.random(shape) < 0.3
    x = rng.uniform(-1.0, 1.0, shape)
    y = rng.uniform(-0.6, 0.6, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1.0, 1.0, shape)
        y = y + 1j * rng.uniform(-0.6, 0.6, shape)
    return x.astype(dtype), y.astype(dtype)


def _step(x, y, m, dtype):
    """One iteration: the masked update, then an ask (lazy x: x realised) and the NumPy mask's update."""
    if dtype == np.bool_:
        x[m] = x[m] ^ y[m]
        hit = np.asarray(m & (x & ~y))  # (x keeps toggling where y holds: never hit there)
    else:
        x[m] = x[m] * x[m] + y[m]
        hit = np.asarray(m & (np.abs(x) > 2.0))
    m &= ~hit
    return hit


@pytest.fixture(params=[np.complex128, np.complex64, np.float64, np.float32, np.bool_],
                ids=lambda t: np.dtype(t).name)
def dtype(request, numba_tier):
    """Every dtype the masked update writes as one ``where``; maps through Numba (the path leaves the quick
    tier's kernels as they are, and those would take the real and bool loops)."""
    return request.param


def test_a_written_array_is_updated_in_its_own_buffer_with_numpys_values(dtype):
    x0, y = _data(dtype, 1)
    xn, mn = x0.copy(), np.ones(x0.shape, bool)
    x, ml = la.array(x0.copy()), np.ones(x0.shape, bool)
    before = inplace.runs()
    buffers = set()
    for i in range(8):
        hit_n = _step(xn, y, mn, dtype)
        hit_l = _step(x, la.array(y), ml, dtype)
        assert np.array_equal(hit_l, hit_n)
        if i >= 3:
            buffers.add(x._node.data.__array_interface__["data"][0])
    assert inplace.runs() - before >= 5  # the first asks plan, learn and compile; the later ones write in place
    assert len(buffers) == 1  # one buffer for all the later iterations
    assert np.array_equal(ml, mn)
    got = np.asarray(x)
    assert got.dtype == xn.dtype and np.array_equal(got, xn, equal_nan=dtype != np.bool_)


def test_old_values_handed_out_or_held_read_their_own_values(dtype):
    x0, y = _data(dtype, 2)
    xn, mn = x0.copy(), np.ones(x0.shape, bool)
    x, ml = la.array(x0.copy()), np.ones(x0.shape, bool)
    Y = la.array(y)
    kept = {}
    for i in range(9):
        _step(xn, y, mn, dtype)
        _step(x, Y, ml, dtype)
        if i == 3:  # (then 5 steps: an odd number, so the bool loop's toggles do not come back)
            seen = np.asarray(x)                # may be a read-only view of x's own buffer: held, it refuses
            kept["seen"] = seen.copy()
            handed = np.array(x)                # a value returned to the user, theirs to write ...
            handed_view = handed[::3]           # ... and a NumPy view of it
            older = x.copy()                    # an older LazyArray on the old value, not yet computed
            scaled = x ^ True if dtype == np.bool_ else x * 2
            kept["older"] = xn.copy()
            kept["scaled"] = xn ^ True if dtype == np.bool_ else xn * 2
        if i == 5:
            handed[...] = handed.flat[0]        # the user writes into their value: x is not theirs
    assert np.array_equal(seen, kept["seen"], equal_nan=True)
    assert np.array_equal(handed_view, np.full_like(handed_view, handed.flat[0]))
    assert np.array_equal(np.asarray(older), kept["older"], equal_nan=True)
    assert np.array_equal(np.asarray(scaled), kept["scaled"], equal_nan=True)
    assert np.array_equal(np.asarray(x), xn, equal_nan=dtype != np.bool_)
    assert np.array_equal(ml, mn)


def test_an_older_lazyarray_alive_refuses_the_write_then_allows_it_once_gone(numba_tier):
    x0, y = _data(np.complex128, 3)
    x, m, Y = la.array(x0.copy()), np.ones(x0.shape, bool), la.array(y)
    for _ in range(4):
        _step(x, Y, m, np.complex128)
    old = x.real * 1.0                           # reads x's leaf: its buffer must keep this value (x.real alone
    #                                              is a view of x since s20: it follows x's writes, as NumPy's)
    value = np.asarray(x).real.copy()
    runs = inplace.runs()
    _step(x, Y, m, np.complex128)
    assert inplace.runs() == runs                # refused: `old` holds the leaf
    assert np.array_equal(np.asarray(old), value)
    del old
    _step(x, Y, m, np.complex128)                # the last step's history is gone: its leaf is free again
    _step(x, Y, m, np.complex128)
    assert inplace.runs() > runs


def test_a_history_read_before_the_ask_stands_for_the_value(numba_tier):
    """An expression built on the written history (before the ask) reads the value the ask computed, also
    when a path outside ``compute()`` computes it (np.unique computes its operand in the runtime directly):
    the history itself is never computed again from the overwritten buffer."""
    x0, y = _data(np.complex128, 4)
    xn, mn = x0.copy(), np.ones(x0.shape, bool)
    x, ml, Y = la.array(x0.copy()), np.ones(x0.shape, bool), la.array(y)
    for _ in range(4):
        _step(xn, y, mn, np.complex128)
        _step(x, Y, ml, np.complex128)
    xn[mn] = xn[mn] * xn[mn] + y[mn]
    x[ml] = x[ml] * x[ml] + Y[ml]
    on_history = x.real * 1.0                    # built on x's written history, before the ask (not a view)
    expected = xn.real.copy()
    runs = inplace.runs()
    hit_n, hit_l = np.asarray(mn & (np.abs(xn) > 2.0)), np.asarray(ml & (np.abs(x) > 2.0))
    assert inplace.runs() == runs + 1 and np.array_equal(hit_l, hit_n)
    mn &= ~hit_n
    ml &= ~hit_l
    for _ in range(2):                           # later writes into the same buffer
        _step(xn, y, mn, np.complex128)
        _step(x, Y, ml, np.complex128)
    assert np.array_equal(np.unique(on_history), np.unique(expected))
    assert np.array_equal(np.asarray(on_history), expected)


def test_a_fused_functions_argument_keeps_its_value(numba_tier):
    x0, y = _data(np.complex128, 5)
    xn, mn = x0.copy(), np.ones(x0.shape, bool)
    x, ml, Y = la.array(x0.copy()), np.ones(x0.shape, bool), la.array(y)
    doubled = la.fuse(lambda a: a * 2.0)
    for i in range(7):
        _step(xn, y, mn, np.complex128)
        _step(x, Y, ml, np.complex128)
        if i == 3:
            lazy_result = doubled(x)             # a LazyArray reading x's leaf
            numpy_result = doubled(np.asarray(x))
            expected = xn * 2.0
    assert np.array_equal(np.asarray(lazy_result), expected)
    assert np.array_equal(numpy_result, expected)
    assert np.array_equal(np.asarray(x), xn)


def test_a_lazy_view_follows_its_base_as_numpy_views_do(numba_tier):
    x0, y = _data(np.complex128, 6)
    xn, mn = x0.copy(), np.ones(x0.shape, bool)
    x, ml, Y = la.array(x0.copy()), np.ones(x0.shape, bool), la.array(y)
    for _ in range(3):
        _step(xn, y, mn, np.complex128)
        _step(x, Y, ml, np.complex128)
    view_n, view_l = xn[5:9], x[5:9]
    for _ in range(3):
        _step(xn, y, mn, np.complex128)
        _step(x, Y, ml, np.complex128)
    assert np.array_equal(np.asarray(view_l), view_n)
    assert np.array_equal(np.asarray(x), xn)


def test_lazy_mandelbrot_gives_numpys_escape_with_the_update_in_place():
    from bench.programs.images import mandelbrot
    xs, ys = np.linspace(-2.0, 0.6, 256), np.linspace(-1.2, 1.2, 256)
    c = xs[None, :] + 1j * ys[:, None]
    expected = mandelbrot(c, 12)
    runs = inplace.runs()
    for _ in range(2):
        assert np.array_equal(np.asarray(mandelbrot(la.array(c), 12)), expected)
    assert inplace.runs() - runs >= 9


def test_small_arrays_and_other_histories_are_left_alone(numba_tier):
    x = la.array(np.linspace(0.0, 1.0, 1000) + 0j)  # below owned.MIN_BYTES
    m = np.ones(1000, bool)
    runs = inplace.runs()
    for _ in range(5):
        x[m] = x[m] * x[m] + 0.1
        m &= ~np.asarray(m & (np.abs(x) > 2.0))
    assert inplace.runs() == runs
    assert not owned._old_value((la.array(np.ones(1 << 18)) + 1.0)._node)  # not a where


def test_the_aliased_kernel_stores_into_its_input_and_takes_no_output_array():
    a = la.array(np.ones(4, complex))
    m = la.array(np.array([True, False, True, False]))
    h = la.where(m, a * a + 1.0, a)
    (k,) = plan([h._node, (m & (np.abs(h) > 1.0))._node])
    j = [n is h._node for n in k.outputs].index(True)
    i = [n is a._node for n in k.inputs].index(True)
    ak = aliased(k, ((j, i),))
    assert isinstance(ak, AliasedMapKernel) and alias_of(ak) == {j: i} and alias_of(k) == {}
    assert ak.key == k.key + ((TAG, (j, i)),)
    out_dtypes = tuple(n.dtype for n in k.outputs)
    text = source_map.kernel_source(ak, "flat", 1, False, out_dtypes, "v")
    plain = source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")
    assert f"out{j}" not in text.split("def kernel(")[1].split(")")[0]
    assert f"in{i}[np.uint64(i)] = " in text and f"out{j}[np.uint64(i)] = " in plain
    assert text.count("readonly=True") == plain.count("readonly=True") - 1
    with pytest.raises(ValueError):
        source_map.kernel_source(ak, "nd", 1, False, out_dtypes, "v")


@pytest.mark.parametrize("held_at", [2, 4])  # 2: its ask refused (a new buffer, a weak stand-in); 4: in place
def test_a_pure_history_written_again_and_held_keeps_numpys_values(numba_tier, held_at):
    """``x[x.real > 0] = x[x.real > 0] * 0.5 + 0.25`` reads nothing but x: once x is lazyarr's own, its history
    is pure (it stays interned and stands for its leaf weakly). The same write again must be a new graph (a new
    leaf for the overwritten buffer), and an expression held on a pure history must keep its value (its stand-in
    entry refuses the next write)."""
    rng = np.random.default_rng(7)
    x0 = rng.uniform(-1.0, 1.0, (256, 256)) + 1j * rng.uniform(-1.0, 1.0, (256, 256))
    xn, x = x0.copy(), la.array(x0.copy())
    runs = inplace.runs()
    held = {}
    for i in range(8):
        if i == held_at:  # an expression on x's last value: this ask computes a new buffer
            blocker, blocker_n = x * 2.0, xn * 2.0
        for a in (xn, x):
            a[a.real > 0] = a[a.real > 0] * 0.5 + 0.25
        if i == held_at:
            held["lazy"], held["numpy"] = x * 1.0, xn * 1.0  # built on the written (pure) history
        assert np.array_equal(np.asarray(np.abs(x) > 0.3), np.abs(xn) > 0.3)
        if i == held_at:
            assert np.array_equal(np.asarray(blocker), blocker_n)
            del blocker  # (the next ask's leaf is then held by nothing but the pure history's stand-in entry)
        assert np.array_equal(np.asarray(x), xn)
    assert inplace.runs() - runs >= 3
    assert np.array_equal(np.asarray(held["lazy"]), held["numpy"])


def test_quiet_blocks_skip_the_masked_work_and_the_store():
    """A kernel storing ``where(m, f, x)`` into x runs blocks whose guards (m, and the bool operand of an
    ``and``) are all False without f, without the ``and``'s other side and without storing into x; a kernel
    with no guard keeps the plain loop."""
    act = la.array(np.ones(64, bool))
    a, c = la.array(np.ones(64, complex)), la.array(np.ones(64, complex))
    m = la.array(np.arange(64) < 10)
    h = la.where(m, a * a + c, a)
    (k,) = plan([(act & (np.abs(h) > 2.0))._node, h._node])
    j = [n is h._node for n in k.outputs].index(True)
    i = [n is a._node for n in k.inputs].index(True)
    out_dtypes = tuple(n.dtype for n in k.outputs)
    text = source_map.kernel_source(aliased(k, ((j, i),)), "flat", 1, False, out_dtypes, "v")
    quiet = text.split("else:")[1]
    assert "loud = loud |" in text and f"{source_map.QUIET}" in text
    assert "cabs" not in quiet and "cmul" not in quiet and f"in{i}[" not in quiet
    assert f"out{1 - j}[np.uint64(i)] = False" in quiet
    f = a * a + c  # no bool input: no guard, the plain loop
    (k2,) = plan([f._node, (np.abs(a) + 1.0)._node])
    j2 = [n is f._node for n in k2.outputs].index(True)
    i2 = [n is a._node for n in k2.inputs].index(True)
    plain = source_map.kernel_source(aliased(k2, ((j2, i2),)), "flat", 1, False,
                                     tuple(n.dtype for n in k2.outputs), "v")
    assert "loud" not in plain and f"in{i2}[np.uint64(i)] = " in plain
