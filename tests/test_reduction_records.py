"""(s18 bgbuild) A reduction replayed from its record (api/reduction_records.py) is the general path's node.

A record is made by one call (key: reduction, operand dtype and rank, axis, ddof, keepdims) and replayed by later
calls at any shape: each replay is compared with the general path (records switched off) on the same operand, over
every dtype, reductions with and without a composition (mean/var/std), axes (None, ints, negative, tuples),
keepdims, ddof, shapes of one rank but other lengths, and operands that are leaves or computed nodes. The node
must be the very same object (hash-consing makes equal nodes one); warnings and errors as the general path's.
Nothing here compiles a kernel but the pair test, which computes one small product.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import reduction_records
from values import ALL_DTYPES

NAMES = ["mean", "var", "std", "sum", "prod", "max", "min", "any", "all", "argmax"]
AXES = {1: [None, 0, -1, (0,)], 2: [None, 0, 1, -1, (0, 1), (-1, 0), (1,)], 3: [None, 2, (0, 2), -2]}
# per rank: the shape that records, then shapes that replay (other lengths, a length-1 axis, mixed)
SHAPES = {1: [(5,), (7,), (1,), (12,)], 2: [(3, 4), (5, 2), (4, 4), (1, 6), (6, 1)],
          3: [(2, 3, 4), (4, 3, 2), (3, 1, 5)]}


def _call(x, name, axis, keepdims, ddof):
    kwargs = {"axis": axis, "keepdims": keepdims}
    if ddof is not None:
        kwargs["ddof"] = ddof
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return getattr(x, name)(**kwargs)._node
        except (TypeError, ValueError, np.exceptions.AxisError) as exc:
            return type(exc), str(exc)


def _general(x, name, axis, keepdims, ddof, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(reduction_records, "replayed", lambda key, a: None)
        m.setattr(reduction_records, "remember", lambda key, a, result: None)
        return _call(x, name, axis, keepdims, ddof)


def _operands(dtype, shape, rng):
    data = (rng.random(shape) * 8 - 2).astype(dtype) if dtype.kind != "b" else rng.random(shape) > 0.5
    leaf = la.array(data)
    return [leaf, leaf * leaf if dtype.kind != "b" else ~leaf]


@pytest.fixture(autouse=True)
def _own_records(monkeypatch):
    """Each test starts with no record and no key met (a key is recorded at its second call)."""
    monkeypatch.setattr(reduction_records, "_RECORDS", {})
    monkeypatch.setattr(reduction_records, "_MET", set())


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_replays_are_the_general_paths_nodes(dtype, monkeypatch):
    replays = [0]
    original = reduction_records.replayed

    def counted(key, a):
        node = original(key, a)
        replays[0] += node is not None
        return node

    monkeypatch.setattr(reduction_records, "replayed", counted)
    rng = np.random.default_rng(18)
    for rank, shapes in SHAPES.items():
        for name in NAMES:
            for axis in AXES[rank]:
                for keepdims in (False, True):
                    for ddof in ([0, 1, 3] if name in ("var", "std") else [None]):
                        for shape in shapes:
                            for x in _operands(dtype, shape, rng):
                                got = _call(x, name, axis, keepdims, ddof)
                                want = _general(x, name, axis, keepdims, ddof, monkeypatch)
                                what = f"{dtype} {shape} {x._node.op}.{name}(axis={axis}, keepdims={keepdims}, " \
                                       f"ddof={ddof})"
                                if isinstance(want, tuple):
                                    assert got == want, what
                                else:
                                    assert got is want, what
    assert replays[0] > 100  # (the records were used, not only made)


def test_warnings_come_every_time(monkeypatch):
    """An empty slice or ddof >= the count warns at every call, as NumPy's does: such calls are never replayed."""
    x = la.array(np.ones((3, 4)))
    for _ in range(3):
        x.std(axis=1, ddof=0)  # records (3, 4) over axis 1: no warning
        with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
            x.std(axis=1, ddof=4)
        with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
            la.array(np.ones((3, 1))).std(axis=1, ddof=1)
        with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
            la.array(np.ones((3, 0))).mean(axis=1)
    assert reduction_records._RECORDS


def test_a_pair_is_found_after_a_record(monkeypatch):
    """``(A * h(A @ v)[:, None]).sum(0)`` is a gemv pair (api/gemv_pair.py) even where a plain ``sum(0)`` of the same
    dtype and rank was recorded first; its value is NumPy's."""
    rng = np.random.default_rng(5)
    a, v = rng.random((6, 4)), rng.random(4)
    A = la.array(a)
    la.array(rng.random((6, 4))).sum(axis=0)
    plain = la.array(rng.random((6, 4))).sum(axis=0)
    assert reduction_records._RECORDS and plain._node.op == "reduce"
    product = A * np.tanh(A @ v)[:, None]
    got = product.sum(axis=0)
    want = _general(product, "sum", 0, False, None, monkeypatch)
    assert got._node is want and got._node.op != "reduce"
    np.testing.assert_allclose(np.asarray(got), (a * np.tanh(a @ v)[:, None]).sum(0), rtol=1e-12)


def test_records_are_kept_by_rank_not_shape(monkeypatch):
    """One record serves every non-empty shape of its rank (what priming at import relies on); a key is recorded
    at its second call, or at its first under ``eager()``."""
    la.array(np.ones((3, 7))).std(axis=1, keepdims=True)
    assert not reduction_records._RECORDS
    with reduction_records.eager():
        la.array(np.ones((3, 7))).var(axis=0)
    assert len(reduction_records._RECORDS) == 1
    la.array(np.ones((3, 7))).std(axis=1, keepdims=True)
    assert len(reduction_records._RECORDS) == 2
    key = ("std", np.dtype(np.float64), 2, 1, 0, True)
    assert key in reduction_records._RECORDS
    x = la.array(np.ones((20, 50)))
    assert reduction_records.replayed(key, x) is not None
    assert len(reduction_records._RECORDS) == 2
