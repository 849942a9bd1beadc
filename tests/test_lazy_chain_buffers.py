"""A lazy loop of slice writes (jacobi_1d's ``B[1:-1] = f(A)``, asked once per call) keeps its buffers hot:
a written value that dies at the next write into it is written in place (runtime/evaluate.run_slice_write),
and a written LazyArray's realised value goes back to the scratch pool once nothing holds it
(runtime/scratch.lend). NumPy's answers throughout; inputs, results the user holds and live LazyArrays are
never written. docs/assign.md "Lazy loops of writes"."""
import sys

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import realise
from lazyarr.runtime import evaluate, scratch

N = 64


pytestmark = pytest.mark.usefixtures("small_scratch_pool")  # (tests/conftest.py)


@pytest.fixture
def copies(monkeypatch):
    """How many slice writes copied their old value (rather than writing into it)."""
    made = []
    real = evaluate.copy_outside

    def counting(x, key):
        made.append(x.shape)
        return real(x, key)
    monkeypatch.setattr(evaluate, "copy_outside", counting)
    return made


def jacobi(A, B, steps):
    for _ in range(steps):
        B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])
    return A, B


def _inputs(seed):
    rng = np.random.default_rng(seed)
    return rng.random(N), rng.random(N)


def test_a_written_value_that_dies_at_the_next_write_is_written_in_place(copies):
    a, b = _inputs(1)
    a0, b0 = a.copy(), b.copy()
    want = jacobi(a.copy(), b.copy(), 4)
    got = la.compute(*jacobi(la.array(a), la.array(b), 4))
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    # only the first write into each array copies (its old value is the user's input); the other six write
    # into the value they replace, which nothing reads afterwards
    assert len(copies) == 2
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


def test_a_write_whose_value_reads_the_old_array_copies_it(copies):
    x = np.random.default_rng(2).random(N)
    u, lazy = x.copy(), la.array(x)
    for _ in range(3):
        u[1:-1] = 0.5 * (u[:-2] + u[2:])
        lazy[1:-1] = 0.5 * (lazy[:-2] + lazy[2:])
    np.testing.assert_array_equal(lazy.compute(), u)
    # the first write's old value is the input; each later one's is read (through views) by the kernel that
    # writes its successor: never in place
    assert len(copies) == 3


def test_an_expression_on_the_old_value_keeps_it(copies):
    x, z = _inputs(3)
    y = la.array(x) + 1.0
    e = y[::-1] * 3.0                       # built on y's value before the write, asked with it
    y[1:-1] = la.array(z)[1:-1] * 2.0
    got_y, got_e = la.compute(y, e)
    want_y = x + 1.0
    want_e = want_y[::-1] * 3.0
    want_y[1:-1] = z[1:-1] * 2.0
    np.testing.assert_array_equal(got_y, want_y)
    np.testing.assert_array_equal(got_e, want_e)


def test_only_a_value_the_run_alone_holds_counts_as_dying_here():
    class Node:
        pass
    node = Node()
    env = {id(node): np.ones(N)}
    assert evaluate.dying_here_only(node, env)
    view = env[id(node)][1:]                # a view of it, alive: its base is the value
    assert not evaluate.dying_here_only(node, env)
    del view
    held = env[id(node)]                    # someone else holds it
    assert not evaluate.dying_here_only(node, env)
    del held
    env[id(node)] = np.ones(N)[::2]         # (s18) a view whose base it alone holds (a row kernel's output)
    assert evaluate.dying_here_only(node, env)
    base = env[id(node)].base                # a view of a base someone else holds
    assert not evaluate.dying_here_only(node, env)
    del base
    other = env[id(node)][1:]                # another view of the same base, alive
    assert not evaluate.dying_here_only(node, env)
    del other
    frozen = np.ones(N)
    frozen.flags.writeable = False
    env[id(node)] = frozen
    del frozen
    assert not evaluate.dying_here_only(node, env)


def test_a_loop_asked_once_per_call_takes_its_realised_buffers_back():
    results, reclaimed = [], scratch.counts["reclaimed"]
    for seed in range(4):
        a, b = _inputs(seed)
        results.append((jacobi(a.copy(), b.copy(), 3), la.compute(*jacobi(la.array(a), la.array(b), 3))))
    assert scratch.counts["reclaimed"] >= reclaimed + 2  # the arrays of one call die before the next: their values return
    for want, got in results:
        for w, g in zip(want, got):
            np.testing.assert_array_equal(g, w)  # no later call wrote into a result handed out before
    handed = [g for _, got in results for g in got]
    assert all(not np.shares_memory(p, q) for i, p in enumerate(handed) for q in handed[i + 1:])


def test_a_live_arrays_value_is_not_taken_back():
    a, b = _inputs(7)
    A, B = la.array(a), la.array(b)
    jacobi(A, B, 2)
    first = la.compute(A, B)                # A and B now stand for leaves of their values: lent, still held
    for seed in range(3):                   # other calls of the same shapes want buffers
        c, d = _inputs(10 + seed)
        la.compute(*jacobi(la.array(c), la.array(d), 2))
    np.testing.assert_array_equal(A.compute(), first[0])
    np.testing.assert_array_equal(B.compute(), first[1])
    A[0] = -1.0                             # and writes go on from the values they hold
    np.testing.assert_array_equal(A.compute(), np.r_[-1.0, first[0][1:]])


def test_a_taken_back_buffer_is_no_longer_realised():
    a, b = _inputs(5)
    A, B = jacobi(la.array(a), la.array(b), 1)
    la.compute(A, B)
    lent = [buffer for buffer, _ in scratch._lent]
    assert lent and all(realise._REALISED.get(id(buffer)) is buffer for buffer in lent)
    del A, B
    shape, dtype = lent[0].shape, lent[0].dtype
    address = lent[0].__array_interface__["data"][0]
    del lent
    reclaimed = scratch.counts["reclaimed"]
    again = scratch.empty(shape, dtype)
    assert again.__array_interface__["data"][0] == address and scratch.counts["reclaimed"] == reclaimed + 1
    assert realise._REALISED.get(id(again)) is not again  # a new value's buffer, not a kept one
    assert sys.getrefcount(again) == 2


# --- the same inside @la.fuse (tracer/program.py's slice write op) ----------------------------------------------
_fused_jacobi = la.fuse(jacobi)


def test_fused_writes_into_a_dead_intermediate_in_place(copies):
    for seed in range(3):
        a, b = _inputs(20 + seed)
        want = jacobi(a.copy(), b.copy(), 4)
        del copies[:]
        got = _fused_jacobi(a, b, 4)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        np.testing.assert_array_equal(a, want[0])  # (a fused function writes into its arguments, as NumPy)
    # from the second call on (the first traces): only the two writes whose old values are the arguments copy
    assert len(copies) == 2


def _own_stencil(x, steps):
    u = x * 1.0
    for _ in range(steps):
        u[1:-1] = 0.5 * (u[:-2] + u[2:])
    return u


def _view_kept_across_a_write(x):
    y = x * 2.0
    head = y[:5]                            # a NumPy view: it sees the write below
    mirror = y[::-1] * 1.0                  # a value computed from y before the write
    y[1:-1] = x[2:] + x[:-2]
    return y, head, mirror


@pytest.mark.parametrize("program, args", [(_own_stencil, (3,)), (_view_kept_across_a_write, ())])
def test_fused_writes_that_must_copy_give_numpys_answer(program, args):
    fused = la.fuse(program)
    for seed in range(3):
        x = np.random.default_rng(30 + seed).random(N)
        want = program(x.copy(), *args)
        got = fused(x, *args)
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_array_equal(g, w)


def _writes_and_returns(x, y):
    x[1:-1] = 0.5 * (y[:-2] + y[2:])
    y[1:-1] = x[1:-1] * 2.0
    return x, y * 1.0, x[::2]


def test_values_written_back_are_kept_for_the_next_call_only_when_dead():
    fused = la.fuse(_writes_and_returns)
    calls = []
    for seed in range(4):
        x, y = _inputs(40 + seed)
        want = _writes_and_returns(x.copy(), y.copy())
        got = fused(x, y)
        calls.append((want, got, [g.copy() for g in got]))
        assert got[0] is x
    for want, got, saved in calls:
        for w, g, s in zip(want, got, saved):
            np.testing.assert_array_equal(g, w)
            np.testing.assert_array_equal(g, s)  # no later call wrote into what an earlier one returned


KEYS_2D = [np.s_[1:-1, 1:-1], np.s_[::2, :], np.s_[:, ::-1], np.s_[3], np.s_[..., 2], np.s_[2:5, None, 1:4],
           np.s_[::-2, 1::3], np.s_[:]]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("key", KEYS_2D, ids=[str(i) for i in range(len(KEYS_2D))])
@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_writes_into_intermediates_of_every_key_and_layout(key, order, dtype):
    rng = np.random.default_rng(50)
    a = np.asarray(rng.integers(-9, 9, (9, 7)), dtype=dtype, order=order)
    b = rng.random((9, 7))

    def program(x, y):
        z = x * 3                              # an intermediate the first write may go into
        z[key] = y[key] * 2.0 + 1.0            # (cast to z's dtype as NumPy casts on assignment)
        w = z + 1
        w[key] = (z[key] - 1) * 2              # reads z's region: z is dead after it, w's kernel reads z
        return w

    want = program(a.copy(), b.copy())
    got_lazy = program(la.array(a), la.array(b)).compute()
    got_fused = la.fuse(program)(a, b)
    for got in (got_lazy, got_fused):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
