"""(s20) Random NumPy programs with writes, run by NumPy, in lazy mode and under ``@la.fuse``: same answers.

Each program is a few statements over two arguments ``x`` and ``y`` (float64 or int64, 8 elements), a NumPy
scratch array ``s`` it makes itself and a view ``v`` of ``x``: slice, mask, index and overlapping assignments,
in-place operators, ``np.copyto``/``np.putmask``/``ufunc.at``/``fill``/``sort``, a view read after writes to its
base, the scratch written again after an expression used it (PolyBench vadv's pattern), rebinding, and a branch
on a value. Every statement is NumPy's, run unchanged; each program returns what it collected plus ``x``, ``y``
and ``s``. Integer programs must match NumPy bit for bit, float programs too (only + - * and comparisons).

Lazy mode gets ``la.array`` arguments (writes rebind the LazyArrays; the caller's arrays are not written, as
``la.array`` shares but never writes); fuse gets NumPy arguments, and its writes into them must reach the
caller's arrays as NumPy's do. ``LAZYARR_HYPOTHESIS_EXAMPLES`` sets the number of programs (default 30).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lazyarr as la

N = 8
SETTINGS = settings(max_examples=int(os.environ.get("LAZYARR_HYPOTHESIS_EXAMPLES", "30")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

small = st.integers(-3, 3)
position = st.integers(0, N)


@st.composite
def two_slices(draw):
    """``a:b`` and ``c:d`` of the same length, possibly overlapping (for ``x[a:b] = x[c:d]``)."""
    length = draw(st.integers(0, N))
    a, c = draw(st.integers(0, N - length)), draw(st.integers(0, N - length))
    return a, a + length, c, c + length


@st.composite
def one_slice(draw):
    a = draw(position)
    return a, draw(st.integers(a, N))


@st.composite
def statement(draw) -> str:
    kind = draw(st.sampled_from(sorted(STATEMENTS)))
    return STATEMENTS[kind](draw)


STATEMENTS = {
    "copy slice from y": lambda d: "x[{}:{}] = y[{}:{}]".format(*d(two_slices())),
    "overlapping slice": lambda d: "x[{}:{}] = x[{}:{}]".format(*d(two_slices())),
    "strided overlap": lambda d: "x[::2] = x[1::2]" if d(st.booleans()) else "x[1::2] = x[::2][::-1]",
    "reversed from y": lambda d: "x[::-1] = y",
    "slice in place": lambda d: "x[{}:{}] *= {}".format(*d(one_slice()), d(small)),
    "in-place add": lambda d: f"x += y * {d(small)}",
    "in-place subtract scratch": lambda d: "x -= s",
    "mask assign": lambda d: f"x[x > {d(small)}] = {d(small)}",
    "mask from y": lambda d: f"m = y < {d(small)}; x[m] = y[m]",
    "index assign": lambda d: f"x[np.array({d(st.lists(st.integers(-N, N - 1), max_size=4))}, dtype=np.intp)] = {d(small)}",
    "ufunc.at": lambda d: f"np.add.at(x, np.array({d(st.lists(st.integers(0, N - 1), max_size=5))}, dtype=np.intp), {d(small)})",
    "copyto where": lambda d: f"np.copyto(x, y, where=y > {d(small)})",
    "putmask": lambda d: f"np.putmask(x, x < {d(small)}, y)",
    "fill": lambda d: f"x[{d(position)}:].fill({d(small)})" if d(st.booleans()) else f"v.fill({d(small)})",
    "sort": lambda d: "x.sort()",
    "take a view": lambda d: "v = x[{}:{}]".format(*d(one_slice())),
    "write through the view": lambda d: f"v *= {d(small)}" if d(st.booleans()) else f"v[...] = {d(small)}",
    "read the view": lambda d: "out.append(v * 1)",
    "read x": lambda d: "out.append(x * 1)",
    "reduce": lambda d: "out.append(x.sum())" if d(st.booleans()) else "out.append(x.max())",
    "scratch from x": lambda d: "s[...] = x",
    "scratch written after use": lambda d: f"t = x + s; s[{d(position)}:] += {d(small)}; out.append(t)",
    "scratch in place": lambda d: "s[{}:{}] += {}".format(*d(one_slice()), d(small)),
    "rebind y": lambda d: f"y = y * {d(small)} - x",
    "rebind x with where": lambda d: f"x = np.where(x > {d(small)}, x, y)",
    "branch on a value": lambda d: f"if x.sum() > {d(small) * 4}:\n    x *= 2",
    "cast on assignment": lambda d: "x[{}:{}] = {} * 0.75".format(*d(one_slice()), d(small)),
    "overlapping in place": lambda d: "x[1:] += x[:-1]" if d(st.booleans()) else "x[::-1] -= x",
    "duplicate indices in place": lambda d: f"x[np.array([1, 1, {d(st.integers(0, N - 1))}])] += {d(small)}",
    "mask in place": lambda d: f"x[x > {d(small)}] += {d(small)}",
    "out= an argument": lambda d: "np.add(x, y, out=x)" if d(st.booleans()) else "np.subtract(y, x, out=y)",
    "out= the scratch": lambda d: f"np.multiply(x, {d(small)}, out=s)",
    "overlapping out=": lambda d: "np.negative(x[2:6], out=x[0:4])",
    "place": lambda d: f"np.place(x, x < {d(small)}, np.array([7, 8]))",
    "put": lambda d: f"np.put(x, np.array({d(st.lists(st.integers(-N, N - 1), min_size=1, max_size=3))}), y[:1])",
    "partition": lambda d: f"x.partition({d(st.integers(0, N - 1))})",
    "put method": lambda d: f"x.put([{d(st.integers(-N, N - 1))}], {d(small)})",
    "take into x": lambda d: "np.take(y, np.arange(N)[::-1], out=x)".replace("N", str(N)),
    "concatenate into x": lambda d: "np.concatenate([y[4:], y[:4]], out=x)",
    "cumsum into the scratch": lambda d: "np.cumsum(x, out=s)",
    "divmod into x and s": lambda d: "np.divmod(x, 3, out=(x, s))",
    # (s21) NumPy functions between the writes: rebinding to their results, and results of a data-dependent shape
    "rebind to a scan": lambda d: "x = np.cumsum(x)" if d(st.booleans()) else "x = np.maximum.accumulate(x)",
    "rebind to a roll": lambda d: f"x = np.roll(x, {d(small)})",
    "rebind to a clip": lambda d: f"x = np.clip(x, {d(small)}, {d(small) + 3})",
    "rebind to a sorted copy": lambda d: "x = np.sort(y)" if d(st.booleans()) else "x = np.sort(x)[::-1]",
    "rebind to a join": lambda d: "x = np.concatenate([x[{0}:], x[:{0}]])".format(d(position)),
    "rebind to a flip view": lambda d: "x = np.flip(x)",
    "rebind to a strided copy": lambda d: "x = np.repeat(x, 2)[::2]",
    "write through a flipped view": lambda d: f"v = np.flip(x); v[{d(st.integers(0, N - 1))}] = {d(small)}",
    "mask read": lambda d: f"out.append(x[x > {d(small)}])",
    "difference": lambda d: "out.append(np.diff(x))",
    "arg reductions": lambda d: "out.append(np.argmax(x))" if d(st.booleans()) else "out.append(np.argmin(y))",
    "unique": lambda d: "out.append(np.unique(x))",
    "count": lambda d: f"out.append(np.count_nonzero(x > {d(small)}))",
    "search": lambda d: "out.append(np.searchsorted(np.sort(x), y))",
    "median": lambda d: "out.append(np.median(x))",
    "nonzero": lambda d: "out.append(np.nonzero(x)[0])",
    "gather": lambda d: f"out.append(x[np.array({d(st.lists(st.integers(-N, N - 1), max_size=4))}, dtype=np.intp)])",
    "integer division": lambda d: f"x = x // {d(st.integers(1, 3))}" if d(st.booleans()) else f"x %= {d(st.integers(1, 3))}",
    "astype round trip": lambda d: "x = x.astype(np.int16).astype(x.dtype)",
}


# 2-D programs: x and y of shape (R, C); rows, columns, transposes, reshapes, axis reductions
R, C = 3, 4
row, col = st.integers(0, R - 1), st.integers(0, C - 1)

STATEMENTS_2D = {
    "row from y": lambda d: f"x[{d(row)}] = y[{d(row)}]",
    "column in place": lambda d: f"x[:, {d(col)}] += x[:, {d(col)}]",
    "overlapping rows": lambda d: "x[1:, :] -= x[:-1, :]" if d(st.booleans()) else "x[:-1] = x[1:]",
    "reversed columns": lambda d: "x[:, ::-1] = x",
    "write through the transpose": lambda d: f"x.T[{d(col)}] = {d(small)}",
    "view the transpose": lambda d: "v = x.T",
    "view a row": lambda d: f"v = x[{d(row)}]",
    "view reshaped": lambda d: "v = x.reshape(-1)",
    "write through the view": lambda d: f"v[{d(st.integers(0, 2))}] = {d(small)}" if d(st.booleans()) else "v *= 2",
    "read the view": lambda d: "out.append(v * 1)",
    "element": lambda d: f"x[{d(row)}, {d(col)}] = {d(small)}",
    "mask from y": lambda d: f"m = y > {d(small)}; x[m] = y[m]",
    "subtract column sums": lambda d: "x -= x.sum(axis=0)",
    "subtract row maxima": lambda d: "x -= x.max(axis=1, keepdims=True)",
    "index rows": lambda d: f"x[[0, {d(row)}]] = y[[{d(row)}, 1]]",
    "index columns in place": lambda d: f"x[:, [1, {d(col)}]] *= {d(small)}",
    "fill the diagonal": lambda d: f"np.fill_diagonal(x, {d(small)})",
    "sort along an axis": lambda d: f"x.sort(axis={d(st.integers(0, 1))})",
    "cumulative sum into x": lambda d: "np.cumsum(x, axis=1, out=x)",
    "flip into x": lambda d: "x[...] = np.flip(x, 1)",
    "product": lambda d: "out.append(x @ y.T)",
    "scratch from x": lambda d: "s[...] = x",
    "scratch written after use": lambda d: f"t = x * s; s[{d(row)}] += {d(small)}; out.append(t)",
    "rebind y": lambda d: f"y = y + x * {d(small)}",
    "read x": lambda d: "out.append(x * 1)",
    "reduce": lambda d: f"out.append(x.sum(axis={d(st.integers(0, 1))}))",
    "branch on a value": lambda d: f"if x[0, 0] > {d(small)}:\n    x[1] += 1",
    # (s21) NumPy functions along an axis between the writes
    "centre the rows": lambda d: "x = x - x.min(axis=1, keepdims=True)",
    "roll along an axis": lambda d: f"x = np.roll(x, {d(small)}, axis={d(st.integers(0, 1))})",
    "scan along an axis": lambda d: f"out.append(x.cumsum(axis={d(st.integers(0, 1))}))",
    "column from row sums": lambda d: f"x[:, {d(col)}] = x.sum(axis=1)",
    "argsort rows": lambda d: "out.append(np.argsort(x, axis=1, kind='stable'))",
    "join rows": lambda d: "x = np.concatenate([x[1:], x[:1]])",
    "stack and reduce": lambda d: "out.append(np.stack([x, y]).max(axis=0))",
    "mask read": lambda d: f"out.append(x[x > {d(small)}])",
    "where along columns": lambda d: "x = np.where(x.sum(axis=0) > 0, x, -x)",
    "outer": lambda d: "out.append(np.outer(x[0], y[:, 1]))",
}


@st.composite
def statement_2d(draw) -> str:
    return STATEMENTS_2D[draw(st.sampled_from(sorted(STATEMENTS_2D)))](draw)


@st.composite
def programs_2d(draw) -> str:
    body = draw(st.lists(statement_2d(), min_size=1, max_size=7))
    lines = ["s = np.zeros(x.shape, x.dtype)", "v = x[1]", "out = []", *body, "return tuple(out) + (x, y, s)"]
    return "def program(x, y):\n" + "\n".join("    " + ln.replace("\n", "\n    ") for ln in lines)


@st.composite
def programs(draw) -> str:
    body = draw(st.lists(statement(), min_size=1, max_size=7))
    lines = ["s = np.zeros(x.shape, x.dtype)", "v = x[2:5]", "out = []"]  # s: NumPy's own array in lazy mode
    lines += body
    lines.append("return tuple(out) + (x, y, s)")
    return "def program(x, y):\n" + "\n".join("    " + ln.replace("\n", "\n    ") for ln in lines)


def _function(source: str):
    names = {"np": np}
    exec(compile(source, "<random program>", "exec"), names)
    return names["program"]


LAYOUTS = ("C", "F", "reversed", "strided")


def _laid_out(a: np.ndarray, layout: str) -> np.ndarray:
    """`a`'s values in an array of another memory layout (the arguments NumPy programs get: transposed data,
    reversed views, every other element of a bigger buffer)."""
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "reversed":
        return np.ascontiguousarray(a[(slice(None, None, -1),) * a.ndim])[(slice(None, None, -1),) * a.ndim]
    if layout == "strided":
        buffer = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        view = buffer[(slice(None, None, 2),) * a.ndim]
        view[...] = a
        return view
    return a


def _inputs(dtype, source="", layout="C"):
    rng = np.random.default_rng(20)
    shape = (R, C) if "x[1]" in source.splitlines()[2] else (N,)
    return (_laid_out(rng.integers(-4, 5, shape).astype(dtype), layout),
            _laid_out(rng.integers(-4, 5, shape).astype(dtype), layout))


def _numpy(source, dtype, layout="C"):
    """NumPy's results and final arguments, or (the kind of error NumPy raised, None)."""
    x, y = _inputs(dtype, source, layout)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (ComplexWarning-like notes NumPy gives; the values are the test)
            result = _function(source)(x, y)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        return _kind(exc), None
    return [np.asarray(r) for r in result], (x, y)


def _kind(exc: BaseException) -> type:
    """The builtin error class an error is (NumPy's UFuncTypeError is a TypeError, AxisError an IndexError)."""
    return next(k for k in (OverflowError, IndexError, TypeError, ValueError) if isinstance(exc, k))


DTYPES = [np.int64, np.float64, np.int8, np.uint8, np.float32, np.bool_]


def _assert_equal(got, want, what, source):
    assert len(got) == len(want), f"{what}: {len(got)} results, NumPy's {len(want)}\n{source}"
    for i, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape, \
            f"{what}, result {i}: {g.dtype}{g.shape} != NumPy's {w.dtype}{w.shape}\n{source}"
        np.testing.assert_array_equal(g, w, err_msg=f"{what}, result {i}\n{source}")


def _lazy_run(source, x, y):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # (NumPyFallbackWarning once per process: answers are the test)
        result = _function(source)(la.array(x), la.array(y))
        lazy = [r for r in result if isinstance(r, la.LazyArray)]
        values = iter(la.compute(*lazy)) if lazy else iter(())
        return [next(values) if isinstance(r, la.LazyArray) else r for r in result]


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(source=st.one_of(programs(), programs_2d()), layout=st.sampled_from(LAYOUTS))
def test_a_random_program_in_lazy_mode_gives_numpys_answer(dtype, source, layout):
    want, after = _numpy(source, dtype, layout)
    x, y = _inputs(dtype, source, layout)
    keep = x.copy(), y.copy()
    if after is None:  # NumPy raised: so must lazyarr, an error of the same kind
        with pytest.raises(want):
            _lazy_run(source, x, y)
        return
    got = _lazy_run(source, x, y)
    _assert_equal(got, want, "lazy", source)
    np.testing.assert_array_equal(x, keep[0], err_msg=f"lazy mode wrote the caller's x\n{source}")
    np.testing.assert_array_equal(y, keep[1], err_msg=f"lazy mode wrote the caller's y\n{source}")


@pytest.mark.parametrize("dtype", DTYPES)
@SETTINGS
@given(source=st.one_of(programs(), programs_2d()), layout=st.sampled_from(LAYOUTS))
def test_a_random_program_under_fuse_gives_numpys_answer_and_writes(dtype, source, layout):
    want, after = _numpy(source, dtype, layout)
    fused = la.fuse(_function(source))
    for call in ("trace", "replay"):
        x, y = _inputs(dtype, source, layout)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")  # (EagerWarning, NumPyFallbackWarning: answers are the test)
            if after is None:  # NumPy raised: so must the fused function, an error of the same kind
                with pytest.raises(want):
                    fused(x, y)
                continue
            got = fused(x, y)
        x_after, y_after = after
        _assert_equal(list(got), want, f"fuse ({call})", source)
        np.testing.assert_array_equal(x, x_after, err_msg=f"fuse ({call}): the caller's x\n{source}")
        np.testing.assert_array_equal(y, y_after, err_msg=f"fuse ({call}): the caller's y\n{source}")


# --- what the random programs found (session 20), kept as plain tests --------------------------------------------

def _copy_into_blank_then_write_argument(x):
    s = np.zeros(x.shape, x.dtype)
    s[...] = x          # NumPy: s holds x's values now
    x[2:5] = 0          # ... and keeps them when x is written afterwards
    return s


def _copy_through_a_view_then_write(x):
    s = np.empty_like(x)
    v = x[2:5]
    s[:] = x
    v *= 0              # a write into x through its view
    return s


def _copyto_then_write(x):
    s = np.zeros(x.shape, x.dtype)
    np.copyto(s, x[::-1])
    x += 1
    return s


@pytest.mark.parametrize("function", [_copy_into_blank_then_write_argument, _copy_through_a_view_then_write,
                                      _copyto_then_write])
def test_fuse_a_copy_of_an_argument_keeps_its_values_and_is_its_own_array(function):
    # The whole-array assignment made s's value the argument's leaf, the argument's memory: the program then wrote
    # x in place and s, returned as the caller's x itself, showed the new values (and aliased x).
    want_x = np.arange(8.0)
    want = function(want_x)
    fused = la.fuse(function)
    for _ in range(2):
        x = np.arange(8.0)
        got = fused(x)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(x, want_x)
        assert not np.shares_memory(got, x)


def _write_into_a_reversed_view_then_read_a_row(x):
    x[1] += 1
    x[...] = np.flip(x, 1)  # x's new value: a reversed view of the previous one's buffer
    x[0] = 7.0              # written in place on replays: the reversed view stays reversed
    return x[1] * 1         # a flat kernel laid out on the first call's (copied, forward) row


def test_fuse_a_write_in_place_keeps_the_layout_later_kernels_were_made_for():
    # The replay wrote into the reversed view where the first call had written into a forward copy, and the
    # kernel of x[1] * 1, laid out on the first call, read the reversed row forward: [8, 8, 9, 10] for [8, 7, 6, 5].
    want_x = np.arange(12.0).reshape(3, 4)
    want = _write_into_a_reversed_view_then_read_a_row(want_x)
    fused = la.fuse(_write_into_a_reversed_view_then_read_a_row)
    for _ in range(3):
        x = np.arange(12.0).reshape(3, 4)
        np.testing.assert_array_equal(fused(x), want)
        np.testing.assert_array_equal(x, want_x)


def _written_then_reshaped(x):
    x[1] += 1
    v = x.reshape(-1)  # NumPy: a copy when x is held in Fortran order (a view when in C order)
    v *= 2
    return x, v


def _computed_then_reshaped(x):
    y = x + 1  # NumPy: Fortran-ordered when x is
    v = y.reshape(-1)
    v *= 2
    return y, v


def _copied_then_reshaped(x):
    y = x.copy()  # NumPy: C order whatever x's, so the reshape is a view
    v = y.reshape(-1)
    v *= 2
    return y, v


@pytest.mark.parametrize("program", [_written_then_reshaped, _computed_then_reshaped, _copied_then_reshaped])
@pytest.mark.parametrize("order", ["C", "F"])
def test_reshape_is_a_view_exactly_where_numpys_is_after_writes_and_for_fortran_results(program, order):
    """(s21, found here) An array held in Fortran order and written in place, or an elementwise result of such
    arrays, is Fortran-ordered in NumPy, so its C-order reshape is a copy; lazyarr took any computed value for
    C-contiguous, linked the reshape as a view, and ``v *= 2`` doubled x too."""
    a = np.arange(12.0).reshape(3, 4)
    a = np.asfortranarray(a) if order == "F" else a
    want = program(a.copy(order="K"))
    for got in (la.compute(*program(la.array(a.copy(order="K")))), la.fuse(program)(a.copy(order="K")),
                la.fuse(program)(a.copy(order="K"))):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np.asarray(g), w)


def test_a_layout_kept_across_writes_is_dropped_when_the_shape_changes():
    """(s21) The layout kept from before a Fortran array's first write is of its shape then: after ``resize`` a
    reshape asked NumPy's probe with strides of the old shape (ValueError: mismatch in length of strides)."""
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    x = la.array(a.copy(order="K"))
    x[0] = 1
    x.resize((6,))
    want = a.copy(order="K")
    want[0] = 1
    want.resize((6,), refcheck=False)
    np.testing.assert_array_equal(x.reshape(2, 3).compute(), want.reshape(2, 3))
