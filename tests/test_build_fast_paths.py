"""(s15 build) The build's shortcuts and memos give what the full path gives: the same node, or the same error.

- ``LazyArray``'s operators and a plain ``np.<ufunc>(lazy, ...)`` call go straight to build's common case
  (``array._direct_call``, ``build.common_unary``, ``build.common_binary`` on nodes);
- a reduction's axes, result dtype and params are kept per (reduction, axis, dtype, operand dtype, shape)
  (``reductions._PLAIN``);
- ``A.T @ g(A @ v)``'s region is replayed from a record kept by the root's structure id (``gemv_pair._REGIONS``).

Each is compared with the path it shortens (switched off with monkeypatch) over many dtypes, Python scalars
(NEP 50's weak scalars, out-of-range ints, float overflow) and shapes: the node must be the very same object
(hash-consing makes equal nodes one) and an error the same type and message. Nothing here compiles a kernel but
the last test, which computes one small pair.
"""
from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import array as array_module
from lazyarr.api import build, gemv_pair, reductions
from lazyarr.graph import expr
from values import ALL_DTYPES

BINARY = [np.add, np.subtract, np.multiply, np.divide, np.floor_divide, np.remainder, np.power, np.maximum,
          np.minimum, np.less, np.greater_equal, np.equal, np.not_equal, np.bitwise_and, np.bitwise_xor,
          np.left_shift, np.right_shift, np.arctan2, np.logaddexp, np.hypot, np.logical_and, np.copysign,
          np.fmod, np.nextafter]
UNARY = [np.negative, np.positive, np.absolute, np.sin, np.exp, np.log1p, np.sqrt, np.square, np.floor,
         np.invert, np.logical_not, np.isnan, np.sign, np.cbrt, np.reciprocal, np.conjugate, np.rint]
OPERATORS = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y,
             "/": lambda x, y: x / y, "//": lambda x, y: x // y, "%": lambda x, y: x % y,
             "**": lambda x, y: x ** y, "<": lambda x, y: x < y, "==": lambda x, y: x == y,
             "&": lambda x, y: x & y, "<<": lambda x, y: x << y}
SCALARS = [True, False, 0, 1, -1, 2, 127, 128, 255, 256, 300, -129, 2**31, 2**63 - 1, 2**63, -(2**63), 2**64,
           0.5, 1.5, -0.0, 2.0, 1e300, -1e300, float("inf"), float("nan"),
           3, -2, 2**53 - 1, 2**53, -0.5, 1.0, -1.0, 3.0, 2.0000000001, 0.5 + 1e-12]  # (s18 bgbuild: powers outside
# SCALAR_POWERS, their edges, and floats that only float32 rounds to one of them)


def _off(monkeypatch):
    """Every s15 shortcut off: the protocol's and operators' full paths, build's general ufunc path."""
    monkeypatch.setattr(array_module, "_direct_call", lambda ufunc, inputs: None)
    monkeypatch.setattr(build, "common_unary", lambda ufunc, node: None)
    monkeypatch.setattr(build, "common_binary", lambda ufunc, x, y, opname=None: None)
    monkeypatch.setattr(build, "common_power", lambda node, exponent: None)  # (s18 bgbuild)


def _outcome(func):
    """The result's node, or (exception type, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()._node
    except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
        return type(exc), str(exc)


def _equivalent(p: expr.Node, q: expr.Node) -> bool:
    """The same node, or (a fill such as ``int8 < 300``'s makes a new leaf each time) the same graph over leaves
    of equal data."""
    if p is q:
        return True
    if (p.op, p.params, p.dtype, p.shape, len(p.args)) != (q.op, q.params, q.dtype, q.shape, len(q.args)):
        return False
    if p.op == expr.LEAF:
        return p.data.dtype == q.data.dtype and np.array_equal(p.data, q.data)
    return p.op != expr.LEAF and all(_equivalent(a, b) for a, b in zip(p.args, q.args))


def _same(got, want, what, fresh_leaves=False):
    if isinstance(want, expr.Node):
        assert isinstance(got, expr.Node) and _equivalent(got, want), f"{what}: {got!r}, the full path {want!r}"
        if want.op != "copy" and not fresh_leaves:  # (anything but a fill or a NumPy operand's leaf: the very node)
            assert got is want, f"{what}: {got!r} is not the full path's {want!r}"
    else:
        assert got == want, f"{what}: {got} != {want}"


def _outcomes(monkeypatch, cases):
    """[(fast outcome, full outcome)] for each case (a function of no arguments); every result is kept alive
    until both are made, so the full path's node is the fast path's when they agree."""
    fast = [_outcome(case) for case in cases]
    with monkeypatch.context() as m:
        _off(m)
        full = [_outcome(case) for case in cases]
    return list(zip(fast, full))


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_binary_ufunc_calls_match_the_full_path(ufunc, monkeypatch):
    arrays = {dt: la.array(np.ones(3, dt)) for dt in ALL_DTYPES}
    cases, names = [], []
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        cases.append(lambda x=arrays[d1], y=arrays[d2]: ufunc(x, y))
        names.append(f"{ufunc.__name__}({d1}, {d2})")
    for dt, scalar in itertools.product(ALL_DTYPES, SCALARS):
        cases.append(lambda x=arrays[dt], s=scalar: ufunc(x, s))
        cases.append(lambda x=arrays[dt], s=scalar: ufunc(s, x))
        names += [f"{ufunc.__name__}({dt}, {scalar!r})", f"{ufunc.__name__}({scalar!r}, {dt})"]
    for (got, want), name in zip(_outcomes(monkeypatch, cases), names):
        _same(got, want, name)


UNSUPPORTED = [np.array([1], object), np.array(["a"]), np.array(["2020-01-01"], "datetime64[D]"),
               np.ones(1, ">f8"), np.ones(2, np.float64)]  # (the last two: a conversion, a shape mismatch)


@pytest.mark.parametrize("ufunc", BINARY, ids=lambda u: u.__name__)
def test_numpy_array_operands_match_the_full_path(ufunc, monkeypatch):
    """(s15 build) ``ufunc(lazy, ndarray)``, ``ufunc(ndarray, lazy)`` and the operators with a NumPy operand:
    the same graph (a NumPy operand becomes a new leaf each time, on both paths), or the same error naming the
    operand; ``la.<name>`` keeps its own name in that error."""
    arrays = {dt: la.array(np.ones(3, dt)) for dt in ALL_DTYPES}
    plain = {dt: np.ones(3, dt) for dt in ALL_DTYPES}
    cases, names = [], []
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        cases.append(lambda x=arrays[d1], y=plain[d2]: ufunc(x, y))
        cases.append(lambda x=plain[d1], y=arrays[d2]: ufunc(x, y))
        names += [f"{ufunc.__name__}(lazy {d1}, numpy {d2})", f"{ufunc.__name__}(numpy {d1}, lazy {d2})"]
    for bad in UNSUPPORTED:
        cases += [lambda y=bad: ufunc(arrays[np.dtype(np.float64)], y), lambda y=bad: ufunc(y, arrays[np.dtype("i4")])]
        names += [f"{ufunc.__name__}(lazy, {bad.dtype})", f"{ufunc.__name__}({bad.dtype}, lazy)"]
    if ufunc is np.add:
        cases += [lambda: arrays[np.dtype(np.float64)] + plain[np.dtype(np.int8)],
                  lambda: plain[np.dtype(np.int8)] - arrays[np.dtype(np.float32)],
                  lambda: la.true_divide(arrays[np.dtype(np.float64)], UNSUPPORTED[0])]
        names += ["lazy + numpy", "numpy - lazy", "la.true_divide(lazy, object array)"]
    outcomes = _outcomes(monkeypatch, cases)
    for (got, want), name in zip(outcomes, names):
        _same(got, want, name, fresh_leaves=True)
    if ufunc is np.add:
        assert "true_divide's operand" in outcomes[-1][0][1]


@pytest.mark.parametrize("symbol", list(OPERATORS), ids=repr)
def test_operators_match_the_full_path(symbol, monkeypatch):
    op = OPERATORS[symbol]
    arrays = {dt: la.array(np.ones((2, 3), dt)) for dt in ALL_DTYPES}
    row = {dt: la.array(np.ones(3, dt)) for dt in ALL_DTYPES}  # broadcast against (2, 3)
    cases, names = [], []
    for d1, d2 in itertools.product(ALL_DTYPES, repeat=2):
        cases.append(lambda x=arrays[d1], y=row[d2]: op(x, y))
        names.append(f"{d1} {symbol} {d2}")
    for dt, scalar in itertools.product(ALL_DTYPES, SCALARS):
        cases.append(lambda x=arrays[dt], s=scalar: op(x, s))
        cases.append(lambda x=arrays[dt], s=scalar: op(s, x))
        names += [f"{dt} {symbol} {scalar!r}", f"{scalar!r} {symbol} {dt}"]
    for (got, want), name in zip(_outcomes(monkeypatch, cases), names):
        _same(got, want, name)


@pytest.mark.parametrize("ufunc", UNARY, ids=lambda u: u.__name__)
def test_unary_calls_and_operators_match_the_full_path(ufunc, monkeypatch):
    arrays = {dt: la.array(np.ones((2, 3), dt)) for dt in ALL_DTYPES}
    cases = [lambda x=arrays[dt]: ufunc(x) for dt in ALL_DTYPES]
    cases += [lambda x=arrays[dt]: -x for dt in ALL_DTYPES] + [lambda x=arrays[dt]: ~x for dt in ALL_DTYPES]
    cases += [lambda x=arrays[dt]: abs(x) for dt in ALL_DTYPES]
    for i, (got, want) in enumerate(_outcomes(monkeypatch, cases)):
        _same(got, want, f"{ufunc.__name__} case {i} ({ALL_DTYPES[i % len(ALL_DTYPES)]})")


def test_weak_scalar_rules_reach_numpy_through_the_fast_path():
    """The shortcuts keep NumPy 2's answers where the value matters (they hand such cases to the full path)."""
    u8 = la.array(np.arange(4, dtype=np.uint8))
    with pytest.raises(OverflowError):
        u8 + 300
    with pytest.raises(OverflowError):
        np.add(u8, -1)
    assert (u8 < 300).dtype == np.bool_ and bool(np.all(np.asarray(u8 < 300)))  # NumPy: every element True
    assert (la.array(np.ones(2, np.float32)) * 1e300).dtype == np.float32  # weak float: float32 (inf)
    assert (la.array(np.ones(2, np.int8)) * 2.5).dtype == np.float64
    assert (u8 ** 2)._node.op == "square" and (la.array(np.ones(2)) ** 0.5)._node.op == "sqrt"
    with pytest.raises(ValueError, match="negative integer powers"):
        u8.astype(np.int64) ** -1
    with pytest.raises(ValueError, match="broadcast"):
        la.array(np.ones(3)) + la.array(np.ones(4))
    with pytest.raises(TypeError):
        np.bitwise_and(la.array(np.ones(3)), la.array(np.ones(3)))


def test_constant_operands_still_fold():
    """A LazyArray holding a constant takes the folding path (NumPy's scalar call), not the shortcut."""
    c = np.exp(la.array(np.ones((2, 2)))[0, 0] * 1)  # a NumPy scalar: an element read of plain data
    assert isinstance(c, np.generic)
    k = la.LazyArray(expr.value_const(np.float32(2.0)))
    folded = np.add(k, 1)
    assert folded._node.op == expr.CONST and folded._node.data == np.float32(3.0)
    assert folded.dtype == np.float32 and (k * 3)._node.op == expr.CONST and (-k)._node.data == np.float32(-2.0)


REDUCTIONS = ["sum", "prod", "min", "max", "any", "all", "argmin", "argmax"]
AXES = [None, 0, 1, -1, -2, 2, (0,), (0, 1), (1, 0), (), (0, 0)]


def _reduction_outcomes(shape):
    out = []
    for name, dt, axis in itertools.product(REDUCTIONS, ALL_DTYPES, AXES):
        node = expr.leaf(np.ones(shape, dt))
        for dtype in ((None, np.float64, "i4") if name in ("sum", "prod") else (None,)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    got = reductions.reduce(node, name, axis, False, dtype)
                    kept = reductions.reduce(node, name, axis, True, dtype)
                out.append((name, dt, axis, dtype, got, kept, node))
            except (TypeError, ValueError, OverflowError, np.exceptions.AxisError) as exc:
                out.append((name, dt, axis, dtype, type(exc), str(exc), node))
    return out


class _Forgetful(dict):
    """A memo that keeps nothing."""

    def __setitem__(self, key, value):
        pass


@pytest.mark.parametrize("shape", [(3, 4), (0, 4), (3, 0)], ids=str)
def test_reduction_memo_matches_fresh_answers(shape, monkeypatch):
    """Kept answers (asked twice, so the second is a hit) equal fresh ones: nodes, dtypes and errors (an empty
    max, a bad axis, a duplicate axis, a tuple for argmax) raised every time."""
    monkeypatch.setattr(reductions, "_PLAIN", {})
    first = _reduction_outcomes(shape)
    second = _reduction_outcomes(shape)
    assert reductions._PLAIN  # answers were kept
    monkeypatch.setattr(reductions, "_PLAIN", _Forgetful())
    fresh = _reduction_outcomes(shape)
    for a, b, c in zip(first, second, fresh):
        assert a[:4] == b[:4] == c[:4]
        what = f"{a[0]}({a[1]}, axis={a[2]}, dtype={a[3]}) of {shape}"
        if isinstance(c[4], expr.Node):
            for x in (a, b):  # (each row built over its own leaf: compare what the nodes are)
                assert (x[4].op, x[4].params, x[4].shape, x[4].dtype) == (c[4].op, c[4].params, c[4].shape,
                                                                          c[4].dtype), what
                assert (x[5].shape, x[5].dtype) == (c[5].shape, c[5].dtype), what
        else:
            assert a[4:6] == b[4:6] == c[4:6], what


def _pair_spec(node: expr.Node):
    stages = [n for n in expr.walk([node]) if n.op == "numpy" and n.params.name == "gemv_pair"]
    return [dict(n.params.kwargs)["spec"] for n in stages], stages


def test_region_replay_tells_a_tree_from_a_dag_of_one_structure(monkeypatch):
    """``X.T @ (d * y1 + d * y2)`` over two rows arrays and over one (y1 is y2) have one structure id, but the
    second shares ``d * y``: its region has fewer nodes and another spec. Replayed from the first's record, the
    links meet one node twice, so the second walks, and both specs equal the ones a walk gives."""
    monkeypatch.setattr(gemv_pair, "_REGIONS", {})
    rng = np.random.default_rng(1515)
    X = rng.standard_normal((50, 4))
    Xl, wl = la.array(X), la.array(rng.standard_normal(4))
    y1, y2 = la.array(rng.random(50)), la.array(rng.random(50))
    pairs = ((y1, y2), (y1, y1), (y2, y1), (y2, y2))
    built, roots = [], []
    for a, b in pairs:
        d = Xl @ wl
        roots.append(d * a + d * b)
        built.append(Xl.T @ roots[-1])
    assert len({r._node.sid for r in roots}) == 1  # one structure id, two sharings
    specs = [_pair_spec(g._node)[0] for g in built]
    monkeypatch.setattr(gemv_pair, "_REGIONS", _Forgetful())
    walked = []
    for a, b in pairs:
        d = Xl @ wl
        walked.append(Xl.T @ (d * a + d * b))
    assert specs == [_pair_spec(g._node)[0] for g in walked]
    assert all(len(s) == 1 for s in specs) and specs[0] != specs[1] and specs[0] == specs[2]
    assert specs[1] == specs[3]
    for replayed, fresh in zip(built, walked):
        assert replayed._node is fresh._node


def test_region_replay_finds_the_dot_of_the_matrix_asked(monkeypatch):
    """One g with two row dots, ``(X @ w) * (Z @ w)``: ``X.T @ g`` and ``Z.T @ g`` replay one region but take
    different dots (so different operands and specs); a matrix that is neither's is no pair; values are NumPy's."""
    monkeypatch.setattr(gemv_pair, "_REGIONS", {})
    rng = np.random.default_rng(1516)
    X, Z, W = (rng.standard_normal((40, 3)) for _ in range(3))
    w = rng.standard_normal(3)
    Xl, Zl, Wl, wl = la.array(X), la.array(Z), la.array(W), la.array(w)
    g = (Xl @ wl) * (Zl @ wl) - 1.0
    via_x, via_z, via_w = Xl.T @ g, Zl.T @ g, Wl.T @ g
    got = [_pair_spec(e._node) for e in (via_x, via_z, via_w)]
    assert len(got[0][0]) == 1 and len(got[1][0]) == 1 and got[2][0] == []  # W's transpose: no row dot of W
    assert got[0][1][0].args[0].data.base is X and got[1][1][0].args[0].data.base is Z  # each stage's matrix
    monkeypatch.setattr(gemv_pair, "_REGIONS", _Forgetful())
    assert got[0][0] == _pair_spec((Xl.T @ g)._node)[0] and got[1][0] == _pair_spec((Zl.T @ g)._node)[0]
    gn = (X @ w) * (Z @ w) - 1.0
    np.testing.assert_allclose(via_x.compute(), X.T @ gn, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(via_z.compute(), Z.T @ gn, rtol=1e-12, atol=1e-12)


# --- keys of ints, int-bounded slices, None and Ellipsis (indexing.plain_key) ------------------------------------

BOUNDS = [None, -7, -2, -1, 0, 1, 2, 10]
STEPS = [None, 1, 2, -1, -3, 0]  # (a zero step is NumPy's ValueError, raised every time)
SHAPES = [(), (5,), (3, 4), (0, 3), (2, 3, 4)]


def _keys():
    slices = [slice(a, b, c) for a in BOUNDS[::2] for b in BOUNDS[1::2] for c in STEPS]
    ints = [0, -1, 2, 3, 5, -6, 2**70]
    keys = slices + ints
    keys += [(s, i) for s in slices[::5] for i in ints] + [(i, s) for s in slices[::7] for i in ints[:4]]
    keys += [(slices[3], slices[10], slices[20]), (0, 0, 0, 0), (slice(None), 1)]
    # (s18 bgbuild) None and Ellipsis entries: ``m[:, None]`` (two Ellipses: NumPy's IndexError, every time)
    keys += [None, Ellipsis, (slice(None), None), (None, slice(None)), (Ellipsis, None), (None, Ellipsis),
             (None, None), (0, None), (None, 0, Ellipsis), (Ellipsis, Ellipsis), (slices[3], None, -1),
             (Ellipsis, 0), (None, slices[10], Ellipsis, 2), (2**70, None), slice(None), (slice(None),) * 2,
             (slice(None),) * 4, (slice(None), slice(None), None), (None, Ellipsis, slice(None)),
             (slice(None), Ellipsis, None, slice(None)), (Ellipsis, slice(None), Ellipsis), (None, None, Ellipsis, None)]
    return keys


def _index_outcome(node, key):
    from lazyarr.api import indexing
    try:
        return indexing.index(node, key)
    except (IndexError, TypeError, ValueError) as exc:
        return type(exc), str(exc)


def _update_outcome(node, key, value):
    from lazyarr.api import assign
    try:
        return assign.updated(node, key, value)
    except (IndexError, TypeError, ValueError) as exc:
        return type(exc), str(exc)


def test_plain_keys_index_and_assign_as_parsed_keys(monkeypatch):
    """Every key read and written through the kept parse (twice: a miss, then a hit) against a fresh parse:
    the same node (or the same graph over equal data), the same 0-d flag, the same error; shapes one after
    another with one memo, so a key kept for one shape is asked again of the others."""
    from lazyarr.api import indexing
    monkeypatch.setattr(indexing, "_PLAIN_KEYS", {})
    for shape in SHAPES:
        _check_plain_keys(shape, monkeypatch)
    assert indexing._PLAIN_KEYS


def _check_plain_keys(shape, monkeypatch):
    from lazyarr.api import indexing
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    leaf = la.array(data)._node
    computed = build.ufunc_node(np.multiply, (la.array(data), 2.0))  # a node indexing pushes down to its leaves
    keys = _keys()
    for node in (leaf, computed):
        value = la.array(np.float32(7.0))
        kept = [[_index_outcome(node, k) for k in keys] for _ in range(2)]
        written = [[_update_outcome(node, k, value) for k in keys] for _ in range(2)]
        with monkeypatch.context() as m:
            m.setattr(indexing, "plain_key", lambda node, key: None)
            fresh = [_index_outcome(node, k) for k in keys]
            fresh_written = [_update_outcome(node, k, value) for k in keys]
        for i, key in enumerate(keys):
            what = f"{shape}[{key!r}] of a {node.op}"
            for got in (kept[0][i], kept[1][i]):
                if isinstance(fresh[i][0], expr.Node):
                    assert isinstance(got[0], expr.Node) and _equivalent(got[0], fresh[i][0]), what
                    assert got[1] == fresh[i][1], what
                else:
                    assert got == fresh[i], what
            for got in (written[0][i], written[1][i]):
                if isinstance(fresh_written[i], expr.Node):
                    assert isinstance(got, expr.Node) and _equivalent(got, fresh_written[i]), what + " = 7"
                else:
                    assert got == fresh_written[i], what + " = 7"


def test_element_reads_are_numpys_scalars():
    """(s15 build) ``x[i, j]`` of plain data through LazyArray.__getitem__'s inline read: NumPy's scalar (type and
    bits), NumPy's IndexError out of range; other keys (an empty tuple, NumPy ints, bools, a slice) as before."""
    data = np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5
    x = la.array(data)
    for key in [(0, 0), (2, 3), (-1, -4), (1, -2), (np.int64(1), 2), (1, np.intp(-1))]:
        got, want = x[key], data[key]
        assert type(got) is type(want) and got.tobytes() == want.tobytes(), key
    for key in [(3, 0), (0, -5), (2**70, 0)]:
        with pytest.raises(IndexError):
            x[key]
        with pytest.raises(IndexError):
            data[key]
    assert isinstance(x[(0,)], la.LazyArray) and x[(0,)].shape == (4,)
    np.testing.assert_array_equal(np.asarray(x[True, 0]), data[True, 0])  # a bool is a mask, not an index
    zero_d = la.array(np.float64(2.5) * np.ones(()))
    assert np.asarray(zero_d[()]) == 2.5 and zero_d[()].shape == ()
    with la.num_threads(1):
        computed = x * 2  # not a leaf: built as a node, NumPy's value when computed
        assert isinstance(computed[1, 1], la.LazyArray) and computed[1, 1].compute() == data[1, 1] * 2


def test_reduction_memo_never_answers_for_an_equal_argument_of_another_type(monkeypatch):
    """``1.0 == 1`` and ``(0, 1.0) == (0, 1)``, but NumPy refuses float axes: kept answers for int axes must not
    answer them (nor a NumPy integer axis, which NumPy takes, differently from a kept int's entry)."""
    monkeypatch.setattr(reductions, "_PLAIN", {})
    x = la.array(np.ones((3, 4)))
    assert x.sum(axis=1).shape == (3,) and x.sum(axis=(0, 1)).shape == ()
    for axis in (1.0, (0, 1.0), np.float64(1)):
        with pytest.raises(TypeError):
            x.sum(axis=axis)
        with pytest.raises(TypeError):
            np.ones((3, 4)).sum(axis=axis)
    assert x.sum(axis=np.int64(1)).shape == (3,) and x.sum(axis=1, dtype=np.float32).dtype == np.float32
    assert x.sum(axis=1, dtype="f4").dtype == np.float32 and x.sum(axis=1).dtype == np.float64
