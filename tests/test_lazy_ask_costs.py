"""The per-ask checks of a lazy loop (#15, branch s10/lazyover: api/bytes_equal.py, api/realise.py), checked by
counts and against NumPy, not by time:

- ``same_bytes`` answers "same shape, dtype and bytes" for small, large, strided arrays, NaN payloads and signed
  zeros (the rule every kept value and mask copy rests on);
- an ask that realises a written array walks its roots for the kept-value check once, resolving stand-ins as it
  goes: the same arrays and bytes as walking the rewritten graph, and one ``stand_ins`` rewrite per ask;
- ``_reached`` and ``_pure`` find what the full walks found.

complex128 and bool 6x7 grids (the mandelbrot kernels of tests/test_lazy_asks.py), float64 vectors.
"""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import realise
from lazyarr.api.bytes_equal import same_bytes
from lazyarr.graph import expr

from values import MANDELBROT_C as C, lazy_mandelbrot


@pytest.mark.parametrize("n", [7, 4096])  # the memcmp of small arrays, the 8-byte compare of large ones
def test_same_bytes_sees_one_changed_element(n):
    a = np.arange(n, dtype=np.float64)
    assert same_bytes(a, a.copy())
    for where in (0, n // 2, n - 1):
        b = a.copy()
        b[where] += 1.0
        assert not same_bytes(a, b)
    mask = np.arange(n * 8 + 3) % 3 == 0  # a length not a multiple of 8
    changed = mask.copy()
    changed[-1] = not changed[-1]
    assert same_bytes(mask, mask.copy()) and not same_bytes(mask, changed)


def test_same_bytes_compares_bytes_not_values():
    a = np.zeros(3000)
    negative = a.copy()
    negative[1234] = -0.0
    assert not same_bytes(a, negative)  # equal values, other bytes
    nan = np.full(3, np.nan)
    other_nan = nan.copy()
    other_nan.view(np.uint64)[0] ^= 1  # another NaN payload
    assert same_bytes(nan, nan.copy()) and not same_bytes(nan, other_nan)
    assert not same_bytes(a, a.astype(np.float32))  # other dtype
    assert not same_bytes(a, a.reshape(30, 100))     # other shape


def test_same_bytes_of_strided_views():
    big = np.arange(20000.0).reshape(100, 200)
    view = big[:, ::2]
    assert same_bytes(view, view.copy())
    changed = view.copy()
    changed[50, 50] = -1.0
    assert not same_bytes(view, changed)


@pytest.fixture
def rewrites(monkeypatch):
    """How many times an ask rewrote its graph with stand-ins (``realise.stand_ins``), as a one-element list."""
    count = [0]
    stand_ins = realise.stand_ins

    def counting(roots):
        count[0] += 1
        return stand_ins(roots)

    monkeypatch.setattr(realise, "stand_ins", counting)
    return count


def test_mandelbrots_asks_rewrite_once_each_and_give_numpys_values(rewrites):
    def counted(run):                            # the realising ask's walk resolves the stand-ins itself
        before = rewrites[0]
        run()
        assert rewrites[0] - before == 2         # one per ask (the realising ask made two before)

    lazy_mandelbrot(counted)


def test_the_realising_asks_walk_finds_what_the_rewritten_graph_reads():
    z = la.array(np.zeros_like(C))
    c = la.array(C)
    active = np.ones(C.shape, dtype=bool)
    z[active] = z[active] ** 2 + c[active]
    shared = la.array(active)  # read by reference (a bare NumPy operand would be a snapshot, read at the operation)
    escaped = shared & (np.abs(z) > 2.0)
    other = shared | (np.abs(z) > 3.0)  # built on z's old node too
    np.asarray(escaped)  # realises z: its old node now stands for z's leaf (and escaped is kept)
    assert realise._by_reference(escaped._node, resolve=True) is None  # a kept root: nothing to keep again
    root = other._node
    resolved = realise._by_reference(root, resolve=True)
    rewritten = realise._by_reference(realise.stand_ins([root])[0])
    assert resolved is not None and rewritten is not None
    assert resolved[1] == rewritten[1]
    assert sorted(map(id, resolved[0])) == sorted(map(id, rewritten[0]))
    assert [np.shares_memory(a, active) for a in resolved[0]] == [True]  # the user's active; z's leaf is lazyarr's
    assert z._node.op == expr.LEAF


def test_a_root_that_stands_for_a_leaf_is_not_kept_again():
    z = la.array(np.arange(6.0))
    z[np.arange(6) < 3] = 1.5
    history = z._node
    got = z.compute()
    np.testing.assert_array_equal(got, [1.5, 1.5, 1.5, 3.0, 4.0, 5.0])
    assert realise.stand_in(history) is not None
    assert realise._by_reference(history, resolve=True) is None


def test_reached_and_pure_agree_with_the_full_walk():
    a, b = np.arange(5.0), np.ones(5)
    x, y = la.array(a), la.array(b)
    e = (x * 2.0 + y) * (x - 1.0)
    nodes = expr.walk([e._node])
    wanted = {id(n) for n in nodes[::2]} | {12345}  # a few of its nodes and one id not in it
    assert realise._reached([e._node], wanted) == {id(n) for n in nodes[::2]}
    assert realise._reached([x._node], {id(e._node)}) == set()
    assert not realise._pure(e._node)  # reads the user's arrays
    pure = la.arange(5.0) * 2.0 + 1.0
    assert realise._pure(pure._node)
    np.testing.assert_array_equal(e.compute(), (a * 2.0 + b) * (a - 1.0))


def test_an_ask_when_lazyarr_owns_no_buffer_walks_nothing_to_keep(monkeypatch):
    import weakref
    walks = []
    by_reference = realise._by_reference
    monkeypatch.setattr(realise, "_by_reference", lambda *a, **k: walks.append(1) or by_reference(*a, **k))
    a, b = np.arange(1000.0), np.ones(1000)
    monkeypatch.setattr(realise, "_REALISED", weakref.WeakValueDictionary())  # no kept value, no realised array
    assert float((la.array(a) * la.array(b)).sum()) == float((a * b).sum())
    assert walks == []
    z = la.array(np.zeros_like(C))  # a realised array: asks walk again
    active = np.ones(C.shape, dtype=bool)
    z[active] = z[active] + la.array(C)[active]
    escaped = active & (np.abs(z) > 2.0)
    np.testing.assert_array_equal(np.asarray(escaped), np.abs(C) > 2.0)
    assert walks
