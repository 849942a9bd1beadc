"""Lazy write stages (``x[key] = scalar``, ``x[idx] -= v`` with index arrays, np.put, np.place, np.putmask,
ufunc.at, np.fill_diagonal: writes no kernel does) write into x's own buffer when x is a value the same compute
made, dead after the write and held by nothing else, as NumPy writes the elements (runtime/evaluate.run_write).
Before, every such write copied the whole of x into fresh pages: lazy wave_1d's two boundary writes a step were
half its time. NumPy's answers throughout; inputs, values still read later, views and results the user holds
are never written. docs/assign.md "Write stages in lazy mode"."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.graph import ops, reference
from lazyarr.runtime import evaluate

N = 64

pytestmark = pytest.mark.usefixtures("small_scratch_pool")  # (tests/conftest.py)


@pytest.fixture
def in_place(monkeypatch):
    """For each setitem stage run: whether it wrote into x's own buffer."""
    seen = []
    real = evaluate.run_write

    def watching(step, env, in_place=False):
        seen.append(in_place)
        return real(step, env, in_place)
    monkeypatch.setattr(evaluate, "run_write", watching)
    return seen


@pytest.fixture
def stage_copies(monkeypatch):
    """setitem stages NumPy's reference rule ran (it copies x whole)."""
    ran = []
    real = reference.apply

    def counting(node, args):
        if ops.write_stage(node) is not None:
            ran.append(node)
        return real(node, args)
    monkeypatch.setattr(reference, "apply", counting)
    return ran


def wave(u_prev, u, steps, empty_like=np.empty_like):
    for _ in range(steps):
        u_next = empty_like(u)
        u_next[1:-1] = 2.0 * u[1:-1] - u_prev[1:-1] + 0.25 * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u_next[0] = 0.0
        u_next[-1] = 0.0
        u_prev, u = u, u_next
    return u


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.complex128])
def test_boundary_writes_of_a_new_array_go_into_it(dtype, in_place, stage_copies):
    rng = np.random.default_rng(3)
    u0, u1 = (rng.random(N) * 10).astype(dtype), (rng.random(N) * 10).astype(dtype)
    keep0, keep1 = u0.copy(), u1.copy()
    want = wave(u0.copy(), u1.copy(), 5)
    got = wave(la.array(u0), la.array(u1), 5).compute()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert in_place and all(in_place)  # each boundary write went into the array the slice write made
    assert not stage_copies
    np.testing.assert_array_equal(u0, keep0)
    np.testing.assert_array_equal(u1, keep1)


def test_a_write_into_an_input_copies_it(in_place):
    x = np.arange(N, dtype=np.float64)
    keep = x.copy()
    lx = la.array(x)
    lx[3] = -1.0
    got = lx.compute()
    want = keep.copy()
    want[3] = -1.0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x, keep)  # the user's array is never written
    assert in_place == [False]


@pytest.mark.parametrize("order", ["written first", "reader first"])
def test_the_old_value_read_later_is_not_overwritten(order, in_place):
    x = np.linspace(0.0, 1.0, N)
    c = la.array(x) * 2.0
    e = c + 1.0  # reads c as it is before the write
    c[0] = 5.0
    got_c, got_e = la.compute(c, e) if order == "written first" else la.compute(e, c)[::-1]
    want_c = x * 2.0
    want_e = want_c + 1.0
    want_c[0] = 5.0
    np.testing.assert_array_equal(got_c, want_c)
    np.testing.assert_array_equal(got_e, want_e)


def test_a_view_taken_before_the_write_sees_it_as_numpy_views_do():
    x = np.linspace(0.0, 1.0, N)
    c = la.array(x) * 3.0
    tail = c[2:]
    c[3] = -7.0
    got_tail, got_c = la.compute(tail, c)
    want_c = x * 3.0
    want_tail = want_c[2:]
    want_c[3] = -7.0  # NumPy's view sees its base's write
    np.testing.assert_array_equal(got_c, want_c)
    np.testing.assert_array_equal(got_tail, want_tail)


def test_casting_and_0d_and_strided_targets():
    x = np.arange(24, dtype=np.int16).reshape(4, 6)
    for build in (lambda a: a * 2, lambda a: (a * 2).T, lambda a: (a * 2)[::2, ::-1]):
        want = build(x).copy()
        want[1, 1] = 300.7  # NumPy casts the float to int16 as setitem does
        c = build(la.array(x))
        c[1, 1] = 300.7
        got = c.compute()
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    s = la.array(np.float64(2.0)) * 3.0
    s[()] = 1.5
    assert s.compute() == 1.5


def _grad(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


WRITES = {
    "index arrays": lambda g, rows, cols: g.__setitem__((rows, cols), g[rows, cols] - 1.0),
    "mask": lambda g, rows, cols: g.__setitem__(g > 0.02, 0.5),
    "np.put": lambda g, rows, cols: np.put(g, cols, -2.0),
    "np.place": lambda g, rows, cols: np.place(g, g < 0.01, [7.0, 8.0]),
    "np.putmask": lambda g, rows, cols: np.putmask(g, g > 0.03, -g),
    "np.add.at": lambda g, rows, cols: np.add.at(g, (rows, cols), 1.0),
    "np.fill_diagonal": lambda g, rows, cols: np.fill_diagonal(g, 3.0),
}


def _gradient_program(how: str, seed: int):
    """(logits, a program: the softmax gradient of the logits, written into by `how`, divided by N)."""
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((N, 40))
    rows, cols = np.arange(N) % 40, rng.integers(0, 40, N)

    def program(x):
        g = _grad(x)
        WRITES[how](g, rows, cols)
        return g / N
    return logits, program


@pytest.mark.parametrize("how", list(WRITES))
def test_other_writes_into_a_value_the_compute_made(how, in_place):
    logits, program = _gradient_program(how, 5)
    keep = logits.copy()
    want = program(logits)
    got = program(la.array(logits))
    got = got.compute() if isinstance(got, la.LazyArray) else got
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(logits, keep)
    if how in ("mask", "np.putmask"):
        assert not in_place  # a mask write of a kernel's value is a where in the next kernel: no write stage
    else:
        assert in_place and all(in_place)  # the gradient is the compute's own and dies at the write


def test_a_write_whose_values_view_the_target_copies_it(in_place):
    x = np.linspace(0.0, 1.0, N)
    g = la.array(x) * 2.0
    g[1:] = g[:-1]  # NumPy's answer: the old values, shifted (the value is a view of the target)
    want = x * 2.0
    want[1:] = want[:-1].copy()
    np.testing.assert_array_equal(g.compute(), want)


@pytest.fixture
def write_copies(monkeypatch):
    """Write stages that copied their target (the rest wrote into it)."""
    made = []
    real = evaluate.copy_for_write

    def counting(x):
        made.append(x.shape)
        return real(x)
    monkeypatch.setattr(evaluate, "copy_for_write", counting)
    return made


@pytest.mark.parametrize("how", [h for h in WRITES if h not in ("mask", "np.putmask")])
def test_fused_writes_into_an_intermediate_go_into_it(how, write_copies, stage_copies):
    logits, program = _gradient_program(how, 6)
    keep = logits.copy()
    fused = la.fuse(program)
    want = program(logits)
    np.testing.assert_allclose(fused(logits), want, rtol=1e-15, atol=0)  # the trace (its values are held)
    write_copies.clear()
    stage_copies.clear()
    for _ in range(3):  # replays of the kept program
        np.testing.assert_allclose(fused(logits), want, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(logits, keep)
    assert not write_copies  # the gradient dies at the write, so each replay wrote into it
    assert not stage_copies  # (the stage's own rule copies x whole)


def test_a_fused_write_into_an_argument_reaches_the_caller(write_copies):
    def program(x, idx):
        np.add.at(x, idx, 1.0)
        return x.sum()
    fused = la.fuse(program)
    for seed in range(3):
        x = np.random.default_rng(seed).random(N)
        idx = np.array([0, 3, 3, 7])
        want_x = x.copy()
        want = program(want_x, idx)
        got = fused(x, idx)
        np.testing.assert_array_equal(x, want_x)  # NumPy's write into the argument
        assert got == want
