"""Writes the stage functions cover (lazyarr/api/assign_stages.py: np.fill_diagonal, np.put_along_axis) and
blank arrays a fused function makes itself (lazyarr/tracer/creation_calls.py), against NumPy.

Each write runs on a NumPy array and on a LazyArray over a copy of it (values, dtype, shape; the input
untouched), errors are NumPy's types; inside ``@la.fuse`` a write into an argument reaches the caller's array.
float64, int64 and bool, small arrays: kernels are shared.
"""
import threading
import warnings
import tracemalloc

import numpy as np
import pytest

import lazyarr as la
from test_assign import check, same  # (the assignment tests' oracle: NumPy's copy against a LazyArray's)

rng = np.random.default_rng(15)
F = rng.standard_normal((5, 4))
I = rng.integers(-9, 9, (5, 4))
CUBE = rng.standard_normal((3, 3, 3))
NUMPY_ZEROS, NUMPY_FULL = np.zeros, np.full
NUMPY_ORIGINALS = {"zeros": np.zeros, "full": np.full}  # (in a dict: a traced body's global names are routed)


def same_error(base, write):
    """NumPy raises; lazyarr raises the same type when the write is recorded (nothing computed)."""
    with pytest.raises(Exception) as numpy_error:
        write(base.copy())
    with pytest.raises(numpy_error.type):
        write(la.array(base.copy()))


# -- np.fill_diagonal -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("base", [F, F.T.copy(), I, CUBE, np.zeros((0, 3))], ids=["tall", "wide", "int", "3d", "empty"])
@pytest.mark.parametrize("wrap", [False, True])
@pytest.mark.parametrize("val", [7.5, [1.0, -2.0], np.array([3, 4, 5])], ids=["scalar", "cycled", "array"])
def test_fill_diagonal_gives_numpys_answer(base, wrap, val):
    check(base, lambda x: np.fill_diagonal(x, val, wrap=wrap))  # (7.5 into int64: NumPy's unsafe cast)


def test_fill_diagonal_takes_lazy_values_and_casts_them():
    values = rng.standard_normal(4)
    check(I, lambda x: np.fill_diagonal(x, la.array(values) * 3 if isinstance(x, la.LazyArray) else values * 3))
    check(F, lambda x: np.fill_diagonal(x, la.array(F[0]) if isinstance(x, la.LazyArray) else F[0]))


@pytest.mark.parametrize("base, val", [(np.zeros(4), 1.0), (np.zeros((2, 3, 3)), 1.0), (I, np.nan),
                                       (I, 2 ** 70)], ids=["1d", "unequal-3d", "nan-into-int", "too-big"])
def test_fill_diagonal_raises_numpys_errors(base, val):
    same_error(base, lambda x: np.fill_diagonal(x, val))


# -- np.put_along_axis ------------------------------------------------------------------------------------------

ARGMAX = np.argmax(F, axis=1, keepdims=True)
REPEATED = np.array([[0, 0, 3, 3]])  # duplicates: NumPy's last write wins


@pytest.mark.parametrize("indices, values, axis", [
    (ARGMAX, -1.0, 1),
    (ARGMAX, np.arange(5.0)[:, None], -1),
    (REPEATED, np.arange(4.0), 0),
    (np.argsort(F, axis=0), F[::-1], 0),
    (np.array([0, 3, 19]), 2.0, None),
], ids=["argmax", "column-values", "repeated", "full-permutation", "axis-none"])
def test_put_along_axis_gives_numpys_answer(indices, values, axis):
    check(F, lambda x: np.put_along_axis(x, indices, values, axis))


def test_put_along_axis_takes_lazy_indices_and_values():
    def write(x):
        indices = np.argmax(x, axis=1, keepdims=True)  # on a LazyArray: lazy indices
        values = x.max(axis=1, keepdims=True) * 2
        np.put_along_axis(x, indices, values, axis=1)
    check(F, write)
    check(I, lambda x: np.put_along_axis(x, la.array(ARGMAX) if isinstance(x, la.LazyArray) else ARGMAX, 2.9, 1))


@pytest.mark.parametrize("indices, values, axis", [
    (ARGMAX.astype(float), 1.0, 1),          # IndexError: not integers
    (ARGMAX[:, 0], 1.0, 1),                  # ValueError: not arr's number of axes
    (ARGMAX, 1.0, 2),                        # AxisError
    (np.array([[9]]), 1.0, 1),               # IndexError: out of bounds
    (ARGMAX, np.ones((5, 3)), 1),            # ValueError: values do not broadcast
    (np.zeros((2, 1), int), 1.0, 1),         # IndexError: indices do not broadcast against arr
    (ARGMAX, 1.0, None),                     # ValueError: axis=None needs 1-d indices
], ids=["float", "ndim", "axis", "bounds", "values", "shape", "none-2d"])
def test_put_along_axis_raises_numpys_errors(indices, values, axis):
    same_error(F, lambda x: np.put_along_axis(x, indices, values, axis))


# -- inside @la.fuse: write-back into arguments --------------------------------------------------------------------

def _unit_diagonal_with_max(m, idx):
    np.fill_diagonal(m, 1.0)
    np.put_along_axis(m, idx, m.max(axis=0, keepdims=True), axis=0)


def test_writes_into_arguments_reach_the_caller_inside_fuse():
    f = la.fuse(_unit_diagonal_with_max)
    idx = np.array([[3, 0, 1, 2]])
    want = F.copy()
    _unit_diagonal_with_max(want, idx)
    for _ in range(2):  # the trace, then the cached program
        got = F.copy()
        assert f(got, idx) is None
        same(got, want)


def test_a_traced_product_takes_its_unit_diagonal_inside_fuse():
    def correlation_like(data):
        corr = data.T @ data
        np.fill_diagonal(corr, 1.0)
        return corr

    for _ in range(2):
        same(la.fuse(correlation_like)(F), correlation_like(F))


# -- blank arrays a fused function makes are traced arrays --------------------------------------------------------

def _masked_iteration(c, steps):
    """Mandelbrot's shape: blank arrays made from a traced shape, then masked writes and in-place updates."""
    z = np.zeros(c.shape)
    count = np.full(c.shape, steps, dtype=np.int64)
    active = np.ones(c.shape, dtype=bool)
    scratch = np.empty(c.shape)
    for i in range(steps):
        z[active] = z[active] * 0.5 + c[active]  # one value per selected element (a graph break)
        scratch[...] = z * 2
        escaped = active & (scratch > 1.0)
        count[escaped] = i
        active &= ~escaped
    return count, z


def _gathered_iteration(c, steps):
    """(lanes #15) _masked_iteration with a value that needs the gathers (a reversed selection): ``z[active]``
    is a graph break each iteration (api/masked_lanes.py defers elementwise work on selections instead)."""
    z = np.zeros(c.shape)
    count = np.full(c.shape, steps, dtype=np.int64)
    active = np.ones(c.shape, dtype=bool)
    for i in range(steps):
        z[active] = z[active] * 0.5 + c[active][::-1]
        escaped = active & (z * 2 > 1.0)
        count[escaped] = i
        active &= ~escaped
    return count, z


@pytest.mark.filterwarnings("ignore::lazyarr.EagerWarning")  # (z[active]'s shape depends on data: eager)
def test_blank_arrays_the_body_makes_are_writable_in_fuse():
    c = np.linspace(0.0, 1.5, 12)
    f = la.fuse(_masked_iteration)
    for _ in range(2):
        got = f(c, 4)
        for g, w in zip(got, _masked_iteration(c, 4)):
            same(g, w)


def test_blank_arrays_fuse_without_breaks():
    def clipped(a):
        out = np.zeros(a.shape)
        out[a > 0] = 1.0  # a mask write of one value: a where
        out += a
        return out

    f = la.fuse(clipped)
    for _ in range(2):
        same(f(F), clipped(F))
    assert f.cache_info().traces == 1


def _numpy_zeros(shape):
    return np.zeros(shape)  # code the body calls: not routed, NumPy's ndarray


def test_only_the_traced_body_is_routed():
    seen = []

    def body(a):
        seen.append((type(np.zeros(2)), type(_numpy_zeros(2)), type(np.zeros(2, dtype=object)),
                     type(np.zeros(2, order="F"))))
        return a + 1

    la.fuse(body)(F)
    assert seen == [(la.LazyArray, np.ndarray, np.ndarray, np.ndarray)]
    assert np.zeros is NUMPY_ZEROS and np.full is NUMPY_FULL  # unpatched after the trace


def test_numpy_itself_is_never_patched_during_a_trace():
    # Numba compiles kernels during a trace (a graph break computes a reduction: its np.empty), and other code
    # imports numpy: both must see NumPy's functions; only the body's own global names are routed
    seen = []

    def body(a):
        import numpy
        seen.append(numpy.zeros is NUMPY_ORIGINALS["zeros"] and numpy.full is NUMPY_ORIGINALS["full"]
                    and type(np.zeros(2)) is la.LazyArray)
        if (a > 0.5).any():  # a graph break: the reduction compiles, if it must, inside the trace
            return a * 2
        return a

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "could not compile the kernel" would be one
        same(la.fuse(body)(F), F * 2 if (F > 0.5).any() else F)
    assert seen and all(seen)


def test_other_threads_keep_numpys_arrays_during_a_trace():
    seen, started, release = [], threading.Event(), threading.Event()

    def body(a):
        started.set()
        release.wait(5)
        return a + 1

    def other():
        started.wait(5)
        seen.append(type(np.zeros(2)))
        release.set()

    thread = threading.Thread(target=other)
    thread.start()
    la.fuse(body)(F)
    thread.join()
    assert seen == [np.ndarray]


# -- a loop of writes holds a few buffers, not one per step (tracer/program.py, runtime/evaluate.py) ------------

def _leapfrog(u, steps):
    for _ in range(steps):
        u_next = np.empty_like(u)
        u_next[1:-1] = 0.5 * (u[2:] + u[:-2])
        u_next[0] = 0.0
        u_next[-1] = 0.0
        u = u_next
    return u


@pytest.mark.parametrize("mode", ["fuse", "lazy"])
def test_a_loop_of_writes_drops_each_intermediate_after_its_last_use(mode):
    """12 steps of three writes each: holding every step's result peaked at 37 arrays (fuse); now 14 (fuse),
    under 10 (lazy)."""
    u = np.linspace(0.0, 1.0, 50_000)
    want = _leapfrog(u, 12)
    run = la.fuse(_leapfrog) if mode == "fuse" else lambda a, n: _leapfrog(la.array(a), n).compute()
    same(run(u, 12), want)  # (the trace and the compiles happen here)
    tracemalloc.start()
    try:
        got = run(u, 12)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    same(got, want)
    assert peak < 20 * u.nbytes, f"peak {peak / u.nbytes:.1f} arrays"


@pytest.mark.filterwarnings("ignore::lazyarr.EagerWarning")
def test_each_graph_break_of_a_masked_loop_evaluates_one_iteration(monkeypatch):
    """mandelbrot's shape: every break for ``z[active]`` rebinds the live arrays (the mask among them) to
    leaves, and the gather indexes the rebound ``z``, so no break evaluates earlier iterations again."""
    from lazyarr.runtime import evaluate
    c = np.linspace(0.0, 1.5, 12)
    f = la.fuse(_gathered_iteration)
    f(c, 8)  # (the trace)
    sizes, run = [], evaluate._run_steps
    monkeypatch.setattr(evaluate, "_run_steps", lambda steps, *a: sizes.append(len(steps)) or run(steps, *a))
    for g, w in zip(f(c, 8), _gathered_iteration(c, 8)):
        same(g, w)
    # (programs #15: z[active] = f(z[active], ...) is one fused where now, so a break may run 0 or 1 steps)
    assert len(sizes) >= 8 and max(sizes[-3:]) <= max(sizes[:3]), sizes
