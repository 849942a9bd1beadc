"""Views and index maps (lazyarr/api/views.py) against NumPy: np.f(lazy) and la.f(lazy) give NumPy's dtype, shape,
values and error type; the affine maps add no kernel of their own.

Compile time dominates: the inputs are a few small arrays of float64, int64 and bool, most views of a plain
input compute no kernel at all, and the fused cases share one expression structure.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, Stage, plan
from lazyarr.graph.expr import LEAF
from oracle import assert_same

DTYPES = [np.dtype(np.float64), np.dtype(np.int64), np.dtype(bool)]
RNG = np.random.default_rng(5)


def values(shape, dtype) -> np.ndarray:
    x = RNG.normal(size=shape) * 4
    if dtype.kind == "f" and x.size > 2:
        x.flat[1] = np.nan  # NaN moves with its element
    return (x > 0) if dtype.kind == "b" else x.astype(dtype)


def same(got, want, what=""):
    """A lazyarr result (LazyArray, or a tuple/list of them) equals NumPy's, container type included."""
    if isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want), f"{what}: {type(got)} != {type(want)}"
        for g, w in zip(got, want):
            same(g, w, what)
        return
    assert isinstance(got, la.LazyArray), f"{what}: {type(got).__name__} is not a LazyArray"
    assert_same(got.compute(), want, what=what)


def steps(e) -> list:
    return plan([e._node])


def kernels(e) -> list:
    return [s for s in steps(e) if isinstance(s, (MapKernel, ReduceKernel))]


def stage_names(e) -> list:
    return [s.node.params.name for s in steps(e) if isinstance(s, Stage)]


# (name, call): call(module, x) with module numpy or lazyarr; every axis, negative ones too
CASES = [
    ("flip", lambda m, x: m.flip(x)), ("flip0", lambda m, x: m.flip(x, 0)), ("flip-1", lambda m, x: m.flip(x, -1)),
    ("flip(0,2)", lambda m, x: m.flip(x, (0, 2))), ("fliplr", lambda m, x: m.fliplr(x)),
    ("flipud", lambda m, x: m.flipud(x)),
    *[(f"rot90 k={k}", lambda m, x, k=k: m.rot90(x, k)) for k in (-3, -1, 0, 1, 2, 3, 5)],
    ("rot90 axes", lambda m, x: m.rot90(x, 1, (2, 0))), ("rot90 -axes", lambda m, x: m.rot90(x, 3, (-1, -2))),
    ("swapaxes", lambda m, x: m.swapaxes(x, 0, -1)), ("swapaxes same", lambda m, x: m.swapaxes(x, 1, 1)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1)), ("moveaxis tuple", lambda m, x: m.moveaxis(x, (0, 1), (2, 0))),
    ("rollaxis", lambda m, x: m.rollaxis(x, 2, 1)),
    ("transpose", lambda m, x: m.transpose(x, (1, -1, 0))), ("transpose None", lambda m, x: m.transpose(x)),
    ("diagonal", lambda m, x: m.diagonal(x)), ("diagonal off", lambda m, x: m.diagonal(x, 1, 2, 0)),
    ("diagonal neg", lambda m, x: m.diagonal(x, -2, -1, -2)), ("diagonal far", lambda m, x: m.diagonal(x, 9)),
    ("diff", lambda m, x: m.diff(x)), ("diff n=2 axis 0", lambda m, x: m.diff(x, 2, 0)),
    ("diff n=9", lambda m, x: m.diff(x, 9, 1)), ("diff n=0", lambda m, x: m.diff(x, 0)),
    ("diff prepend", lambda m, x: m.diff(x, axis=1, prepend=0)),
    ("diff append", lambda m, x: m.diff(x, axis=-1, append=x[..., :2], prepend=x[..., -1:])),
    ("roll", lambda m, x: m.roll(x, 2)), ("roll axis", lambda m, x: m.roll(x, -1, 1)),
    ("roll tuple", lambda m, x: m.roll(x, (1, 7), (0, -1))),
    ("tile", lambda m, x: m.tile(x, 2)), ("tile 4d", lambda m, x: m.tile(x, (2, 1, 1, 2))),
    ("repeat", lambda m, x: m.repeat(x, 2)), ("repeat axis", lambda m, x: m.repeat(x, [1, 0, 3], axis=1)),
    ("pad", lambda m, x: m.pad(x, 1)), ("pad constant", lambda m, x: m.pad(x, ((1, 0), (0, 2), (1, 1)),
                                                                       constant_values=1)),
    *[(f"pad {mode}", lambda m, x, mode=mode: m.pad(x, (2, 3), mode=mode))
      for mode in ("edge", "reflect", "wrap", "symmetric")],
    ("pad reflect odd", lambda m, x: m.pad(x, 5, mode="reflect", reflect_type="odd")),
    ("concatenate", lambda m, x: m.concatenate([x, x[:1]])),
    ("concatenate -1", lambda m, x: m.concatenate([x, x], axis=-1)),
    ("concatenate None", lambda m, x: m.concatenate([x, x[0]], axis=None)),
    ("stack", lambda m, x: m.stack([x, x], axis=-1)), ("vstack", lambda m, x: m.vstack([x, x[:1]])),
    ("hstack", lambda m, x: m.hstack([x, x])), ("dstack", lambda m, x: m.dstack([x, x])),
    ("column_stack", lambda m, x: m.column_stack([x[0], x[0, :, 0]])),
    ("append", lambda m, x: m.append(x, x[0])), ("append axis", lambda m, x: m.append(x, x[:, :1], axis=1)),
    ("split", lambda m, x: m.split(x, 2, axis=2 - 2)), ("split idx", lambda m, x: m.split(x, [1, -1, 9], axis=-1)),
    ("array_split", lambda m, x: m.array_split(x, 3, axis=2)),
    ("array_split idx", lambda m, x: m.array_split(x, [3, 1], axis=1)),
    ("atleast_1d", lambda m, x: m.atleast_1d(x)), ("atleast_3d many", lambda m, x: m.atleast_3d(x, x[0], x[0, 0])),
    ("atleast_2d many", lambda m, x: m.atleast_2d(x[0, 0, 0], x[0, 0], x[0])),
    ("broadcast_arrays", lambda m, x: m.broadcast_arrays(x, x[0, :1], x[:, :, :1])),
    ("meshgrid", lambda m, x: m.meshgrid(x[0, 0], x[1, :, 1])),
    ("meshgrid ij sparse", lambda m, x: m.meshgrid(x[0, 0], x[1, :, 1], x[0], indexing="ij", sparse=True)),
    ("meshgrid nocopy", lambda m, x: m.meshgrid(x[0, 0], x[1, 1], copy=False)),
    ("take", lambda m, x: m.take(x, [3, -1, 0])), ("take axis", lambda m, x: m.take(x, [[0, 1], [2, 2]], axis=1)),
    ("take scalar", lambda m, x: m.take(x, 7)), ("take scalar axis", lambda m, x: m.take(x, -1, axis=0)),
    ("take wrap", lambda m, x: m.take(x, [7, -9], axis=2, mode="wrap")),
    ("take clip", lambda m, x: m.take(x, [7, -9], axis=-1, mode="clip")),
    ("take floats", lambda m, x: m.take(x, [1.7, -1.5, True])),
    ("take_along_axis", lambda m, x: m.take_along_axis(x, np.argsort(np.asarray(x), axis=1), axis=1)),
    ("take_along_axis None", lambda m, x: m.take_along_axis(x, np.array([5, 0, 2]), axis=None)),
]
SHAPE = (4, 3, 5)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_views_and_index_maps_are_numpys(dtype):
    x = values(SHAPE, dtype)
    before = x.copy()
    X = la.array(x)
    for name, call in CASES:
        want = call(np, x)
        same(call(np, X), want, f"np.{name}")
        same(call(la, X), want, f"la.{name}")
    assert_same(x, before)  # inputs are never modified


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_gradient_is_numpys(dtype):
    """Every spacing form NumPy takes (none, one scalar, per axis, coordinates), both edge orders; int input
    is computed in float64, bool input is NumPy's TypeError where NumPy subtracts."""
    x = values(SHAPE, dtype)
    X = la.array(x)
    coordinates = np.array([0.0, 1.0, 3.0, 3.5, 7.0])
    calls = [
        lambda m, a: m.gradient(a), lambda m, a: m.gradient(a, edge_order=2),
        lambda m, a: m.gradient(a, 2.0, axis=-1), lambda m, a: m.gradient(a, np.float32(0.5), axis=(0, 2)),
        lambda m, a: m.gradient(a, 3, edge_order=2, axis=1),
        lambda m, a: m.gradient(a, coordinates, axis=2), lambda m, a: m.gradient(a, coordinates, axis=2, edge_order=2),
        lambda m, a: m.gradient(a, 1.0, np.arange(3), coordinates),
    ]
    for i, call in enumerate(calls):
        try:
            want = call(np, x)
        except TypeError:  # booleans: NumPy subtracts them (an error) unless every formula only multiplies
            assert dtype.kind == "b"
            with pytest.raises(TypeError):
                call(np, X)
            continue
        same(call(np, X), want, f"gradient case {i}")
    f32 = values((6,), np.dtype(np.float32))
    for spacing in ((), (2.0,), (np.float64(2.0),)):  # a weak spacing keeps float32, a strong one computes in f64
        same(np.gradient(la.array(f32), *spacing, edge_order=2), np.gradient(f32, *spacing, edge_order=2))


def test_zero_d_and_empty_inputs():
    z, e = np.full((), 2.5), np.zeros((0, 3))  # a 0-d array (np.float64(2.5) * np.ones(()) is a scalar)
    Z, E = la.array(z), la.array(e)
    for name, call in [("flip", lambda m, a: m.flip(a)), ("atleast_1d", lambda m, a: m.atleast_1d(a)),
                       ("atleast_2d", lambda m, a: m.atleast_2d(a)), ("atleast_3d", lambda m, a: m.atleast_3d(a)),
                       ("tile", lambda m, a: m.tile(a, 3)), ("repeat", lambda m, a: m.repeat(a, 2)),
                       ("pad", lambda m, a: m.pad(a, 2)), ("roll", lambda m, a: m.roll(a, 1)),
                       ("take", lambda m, a: m.take(a, 0)), ("append", lambda m, a: m.append(a, a)),
                       ("transpose", lambda m, a: m.transpose(a)), ("gradient", lambda m, a: m.gradient(a)),
                       ("broadcast_arrays", lambda m, a: m.broadcast_arrays(a, np.ones(2)))]:
        same(call(np, Z), call(np, z), f"0-d {name}")
    for name, call in [("flip", lambda m, a: m.flip(a)), ("diff", lambda m, a: m.diff(a, axis=0)),
                       ("diff 1", lambda m, a: m.diff(a)), ("rot90", lambda m, a: m.rot90(a)),
                       ("diagonal", lambda m, a: m.diagonal(a)), ("pad", lambda m, a: m.pad(a, 1)),
                       ("concatenate", lambda m, a: m.concatenate([a, a])), ("split", lambda m, a: m.split(a, 3, 1)),
                       ("array_split", lambda m, a: m.array_split(a, 2)), ("take", lambda m, a: m.take(a, [], 1)),
                       ("repeat", lambda m, a: m.repeat(a, 2, 1)), ("tile", lambda m, a: m.tile(a, 2)),
                       ("roll", lambda m, a: m.roll(a, 1, 1)), ("moveaxis", lambda m, a: m.moveaxis(a, 0, 1))]:
        same(call(np, E), call(np, e), f"empty {name}")


# Calls NumPy refuses: lazyarr refuses them too, with the same error type, when the expression is built.
ERRORS = [
    lambda m, x: m.fliplr(x[0, 0]), lambda m, x: m.flipud(x[0, 0, 0]), lambda m, x: m.flip(x, 3),
    lambda m, x: m.flip(x, (0, 0)), lambda m, x: m.rot90(x, 1, (0, 0)), lambda m, x: m.rot90(x, 1, (0,)),
    lambda m, x: m.rot90(x, 1, (0, 3)), lambda m, x: m.rot90(x[0, 0]), lambda m, x: m.swapaxes(x, 0, 3),
    lambda m, x: m.moveaxis(x, (0, 0), (1, 2)), lambda m, x: m.moveaxis(x, 0, -4),
    lambda m, x: m.transpose(x, (0, 1)), lambda m, x: m.transpose(x, (0, 0, 1)), lambda m, x: m.transpose(x, (0, 1, 3)),
    lambda m, x: x.transpose(2, 1, 5), lambda m, x: m.diagonal(x[0, 0]), lambda m, x: m.diagonal(x, 0, 1, 1),
    lambda m, x: m.diagonal(x, 0, 0, 3), lambda m, x: m.diff(x, -1), lambda m, x: m.diff(x[0, 0, 0]),
    lambda m, x: m.diff(x, axis=3), lambda m, x: m.diff(x, 1.5), lambda m, x: m.diff(x, prepend=x[0]),
    lambda m, x: m.gradient(x, edge_order=3), lambda m, x: m.gradient(x[:2], edge_order=2, axis=0),
    lambda m, x: m.gradient(x, 1.0, 2.0), lambda m, x: m.gradient(x, np.ones((2, 2)), axis=0),
    lambda m, x: m.gradient(x, np.ones(3), axis=0), lambda m, x: m.gradient(x, axis=(0, 0)),
    lambda m, x: m.roll(x, 1, 3), lambda m, x: m.roll(x, (1, 2, 3), (0, 1)), lambda m, x: m.tile(x, 1.5),
    lambda m, x: m.repeat(x, -1), lambda m, x: m.repeat(x, [1, 2], axis=0), lambda m, x: m.repeat(x, 2, axis=3),
    lambda m, x: m.pad(x, -1), lambda m, x: m.pad(x, 1, mode="nope"), lambda m, x: m.pad(x, 1, mode="edge", foo=1),
    lambda m, x: m.pad(x[:0], 1, mode="reflect"), lambda m, x: m.pad(x, ((1, 2), (3, 4))),
    lambda m, x: m.concatenate([]), lambda m, x: m.concatenate([x, x[0]]), lambda m, x: m.concatenate([x[0, 0, 0]]),
    lambda m, x: m.concatenate([x, x], axis=3), lambda m, x: m.concatenate([x, x.astype(np.int8)], dtype=np.int8),
    lambda m, x: m.stack([x, x[0]]), lambda m, x: m.stack([]), lambda m, x: m.stack([x, x], axis=4),
    lambda m, x: m.vstack([x, x[0, 0]]), lambda m, x: m.hstack([]), lambda m, x: m.split(x, 3),
    lambda m, x: m.split(x, 2, axis=3), lambda m, x: m.array_split(x, 0), lambda m, x: m.array_split(x[0, 0, 0], 2),
    lambda m, x: m.broadcast_arrays(x, x[:2]), lambda m, x: m.meshgrid(x[0, 0], indexing="xx"),
    lambda m, x: m.take(x, [12, 60]), lambda m, x: m.take(x, 3, axis=1), lambda m, x: m.take(x, [0], axis=3),
    lambda m, x: m.take(x, [1 + 1j]), lambda m, x: m.take(x, [np.nan]), lambda m, x: m.take(x, [1], mode="bad"),
    lambda m, x: m.take(x[:0], [1], 0, mode="wrap"), lambda m, x: m.take_along_axis(x, np.zeros((1, 1), np.intp), 0),
    lambda m, x: m.take_along_axis(x, np.zeros((1, 1, 1)), 0),
    lambda m, x: m.take_along_axis(x, np.zeros((1, 1, 1), np.intp), axis=None),
    lambda m, x: m.take_along_axis(x, np.full((1, 1, 1), 9), 0),
    lambda m, x: m.take_along_axis(x, np.zeros((1, 1, 1), int), 3),
]


def test_errors_are_numpys():
    x = values(SHAPE, np.dtype(np.float64))
    X = la.array(x)
    for i, call in enumerate(ERRORS):
        with pytest.raises(Exception) as numpy_error:
            call(np, x)
        for module in (np, la):
            try:
                result = call(module, X)
                if isinstance(result, la.LazyArray):
                    result.compute()  # (a refusal must come when built; computing shows a silent difference)
            except Exception as exc:  # noqa: BLE001 - the type is the point
                assert isinstance(exc, numpy_error.type), f"case {i} ({module.__name__}): {exc!r} is not " \
                    f"NumPy's {numpy_error.value!r}"
            else:
                raise AssertionError(f"case {i} ({module.__name__}): no error, NumPy raised {numpy_error.value!r}")


# --- structure: the affine maps add no kernel -------------------------------------------------------------------

def test_views_of_an_input_compute_nothing():
    x = values(SHAPE, np.dtype(np.float64))
    X = la.array(x)
    for e in (np.flip(X, 1), np.rot90(X, 3), np.swapaxes(X, 0, 2), np.moveaxis(X, 0, -1), np.diagonal(X, 1),
              np.atleast_3d(X[0]), *np.split(X, [1, 3]), *np.broadcast_arrays(X, X[0]), np.diagonal(X[::-1], -1)):
        assert e._node.op == LEAF and not steps(e)
        assert np.shares_memory(e._node.data, x)


def test_views_of_an_expression_stay_one_kernel():
    a, b = values(SHAPE, np.dtype(np.float64)), values(SHAPE[1:], np.dtype(np.float64))
    A, B = la.array(a), la.array(b)
    for name, call in [("flip", lambda m, u: m.flip(u, (0, 2))), ("rot90", lambda m, u: m.rot90(u, 1, (1, 2))),
                       ("moveaxis", lambda m, u: m.moveaxis(u, 0, -1)),
                       ("diagonal", lambda m, u: m.diagonal(u, 1, 2, 1)),
                       ("diagonal broadcast", lambda m, u: m.diagonal(u, 0, 0, 2)),
                       ("diff", lambda m, u: m.diff(u, 2, axis=1)), ("split", lambda m, u: m.split(u, [2], 2)[1])]:
        e = np.sqrt(call(np, A * 2 + B)) - 1
        assert len(kernels(e)) == 1 and not stage_names(e), name
        assert_same(e.compute(), np.sqrt(call(np, a * 2 + b)) - 1, what=name)


def test_squared_diff_sum_is_one_kernel():
    x = values((50,), np.dtype(np.float64))
    e = (np.diff(la.array(x)) ** 2).sum()
    assert len(steps(e)) == 1 and isinstance(steps(e)[0], ReduceKernel)
    assert_same(e.compute(), (np.diff(x) ** 2).sum(), ulp=2)


def test_gradient_is_fused_pieces_joined_once():
    x = values((6, 7), np.dtype(np.float64))
    e = np.gradient(la.array(x) * 3, axis=1)
    assert stage_names(e) == ["concatenate"]
    same(e, np.gradient(x * 3, axis=1))


def test_stages_where_the_map_is_not_affine():
    """roll, tile, repeat and pad are NumPy stages over the fused work on each side, and explain() says so."""
    x = values(SHAPE, np.dtype(np.int64))
    X = la.array(x)
    for name, call in [("roll", lambda m, u: m.roll(u, 1, 0)), ("tile", lambda m, u: m.tile(u, 2)),
                       ("repeat", lambda m, u: m.repeat(u, 2, 1)), ("pad", lambda m, u: m.pad(u, 1, mode="wrap"))]:
        e = call(np, X * 3) + 1
        assert stage_names(e) == [name] and len(kernels(e)) == 2
        assert f"np.{name} is not fused" in e.explain()
        assert_same(e.compute(), call(np, x * 3) + 1, what=name)


def test_diagonal_of_a_computed_value_is_a_view_stage():
    x = values((4, 4), np.dtype(np.float64))
    e = np.diagonal(np.cumsum(la.array(x), axis=0), 1) * 2
    assert stage_names(e) == ["diagonal"]  # (cumsum is a scan kernel: surface/reductions)
    assert_same(e.compute(), np.diagonal(np.cumsum(x, axis=0), 1) * 2)


@pytest.mark.parametrize("k", [0, 2, -1, 7])
@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.complex64, np.bool_])
def test_diag_of_a_matrix_is_its_diagonal_and_of_a_vector_a_stage(k, dtype):
    """(s14) np.diag: a matrix's k-th diagonal is pushed to the leaves (no stage); a vector's matrix is a stage."""
    m, v = values((4, 5), np.dtype(dtype)), values((3,), np.dtype(dtype))
    assert_same(np.diag(la.array(m) + la.array(m), k).compute(), np.diag(m + m, k))
    assert stage_names(np.diag(la.array(m), k) * 1) == []
    e = np.diag(la.array(v), k)
    assert stage_names(e) == ["diag"]
    assert_same(e.compute(), np.diag(v, k))
    assert_same(la.fuse(lambda a: np.diag(a, k))(v), np.diag(v, k))
    with pytest.raises(ValueError, match="1- or 2-d"):
        np.diag(la.array(np.ones((2, 2, 2), dtype)))


def test_index_arrays_are_snapshots():
    """take and take_along_axis read their index arrays when the expression is built, as indexing does."""
    x = values((5, 3), np.dtype(np.float64))
    idx = np.array([4, 0])
    e = np.take(la.array(x), idx, axis=0)
    order = np.argsort(x, axis=0)
    f = np.take_along_axis(la.array(x), order, axis=0)
    want_e, want_f = np.take(x, idx, axis=0), np.take_along_axis(x, order, axis=0)
    idx[:] = 1
    order[:] = 0
    same(e, want_e)
    same(f, want_f)


def test_views_inside_fuse():
    @la.fuse
    def f(a):
        return np.diff(np.flip(a, 0), axis=0) + np.diagonal(a)[None, :2]

    a = values((3, 2), np.dtype(np.float64))
    assert_same(f(a), np.diff(np.flip(a, 0), axis=0) + np.diagonal(a)[None, :2])
    b = values((3, 2), np.dtype(np.float64))
    assert_same(f(b), np.diff(np.flip(b, 0), axis=0) + np.diagonal(b)[None, :2])


EINSUM_VIEW_PROGRAMS = {
    "diagonal set": ("np.einsum('ii->i', a)[:] = 1", (3, 3)),
    "transpose row": ("np.einsum('ij->ji', a)[1] = -1", (3, 4)),
    "3-d diagonal, strided += then a base write read through the view":
        ("d = np.einsum('iij->ji', a); d[0, ::2] += 100; a[0, 0, 0] = -5; r = d * 1", (3, 3, 4)),
    "implicit output": ("np.einsum('ji', a)[0, 1] = 7", (2, 3)),
    "ellipsis": ("np.einsum('...ii->...i', a)[..., 0] = 9", (2, 3, 3)),
}


@pytest.mark.parametrize("name", sorted(EINSUM_VIEW_PROGRAMS))
def test_einsum_of_one_operand_without_a_sum_is_a_writable_view(name):
    """(s21, found by running NumPy's docstring examples on LazyArrays) ``np.einsum('ii->i', a)[:] = 1`` sets
    a's diagonal in NumPy; lazyarr had returned a copy, and the write was lost silently."""
    source, shape = EINSUM_VIEW_PROGRAMS[name]
    program = "def program(a):\n    r = None\n    " + source.replace("; ", "\n    ") + "\n    return a, r\n"
    names = {"np": np}
    exec(program, names)
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    want = names["program"](a.copy())
    lazy = names["program"](la.array(a))
    fused = la.fuse(names["program"])
    for got in (lazy, fused(a.copy()), fused(a.copy())):
        for g, w in zip(got, want):
            if w is None:
                assert g is None
            else:
                assert_same(np.asarray(g.compute() if isinstance(g, la.LazyArray) else g), w)


def test_einsum_with_a_sum_is_not_a_view():
    a = la.array(np.eye(3))
    t = np.einsum("ii->", a)
    s = np.einsum("ij->i", a)
    s[0] = 5  # a new array, as NumPy's: a is unchanged
    assert float(t) == 3.0
    assert_same(a.compute(), np.eye(3))


@pytest.mark.parametrize("pad_width", [{1: (1, 2)}, {-1: 2}, {0: (3, 0)}, {0: (3, 0), 1: 2}])
def test_pad_takes_a_dict_of_widths(pad_width):
    """(s21) NumPy 2.3's ``np.pad(a, {axis: width})`` (unhashable dict before)."""
    a = np.arange(6).reshape(2, 3)
    same(np.pad(la.array(a), pad_width), np.pad(a, pad_width))


def test_pad_dict_errors_are_numpys():
    a = np.arange(6).reshape(2, 3)
    for bad, kind in (({2: 1}, IndexError), ({0: "x"}, AssertionError)):  # (NumPy's own kinds, as it raises them)
        with pytest.raises(kind):
            np.pad(a, bad)
        with pytest.raises(kind):
            np.pad(la.array(a), bad)


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1), (1,)])
def test_size_along_an_axis_or_a_tuple_of_them(axis):
    a = np.zeros((2, 3))
    assert np.size(la.array(a), axis=axis) == np.size(a, axis=axis)


def test_size_refuses_a_repeated_axis_as_numpy():
    with pytest.raises(ValueError):
        np.size(la.array(np.zeros((2, 3))), axis=(0, 0))
