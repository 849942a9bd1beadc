"""(s21) Random row and column programs: reductions along an axis broadcast back over the same array, as softmax,
standardisation and layer norm do, at sizes on both sides of the parallel threshold, run by NumPy, in lazy mode
and under ``@la.fuse``.

These programs take lazyarr's most specialised paths: row-fused kernels, strips and split loops over the strided
axis, blockwise reductions, the quick tier's row kernels, hoisted broadcast-invariant work. Each program is a few
statements over a 2-D ``x`` and ``y`` (one of four memory layouts), a row vector ``z`` of shape (C,) and a column
``w`` of shape (R, 1): elementwise functions, ``where``, reductions along either axis with and without
``keepdims`` and ``np.std``/``np.var``, in-place updates by a reduction (``t -= t.mean(axis=1, keepdims=True)``),
and a final reduction or full array. Values stay in [-2, 2] and functions keep magnitudes bounded (division by
``abs(...) + 1``, ``exp(-abs(...))``), so a tolerance relative to the result's scale separates summation order
(lazyarr's blockwise sums are not NumPy's pairwise ones) from a wrong answer. Integer programs use integer
operations only and must match NumPy bit for bit. ``LAZYARR_HYPOTHESIS_EXAMPLES`` sets the number of programs
(default 30, a third of them each for lazy and fuse runs per dtype).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lazyarr as la

EXAMPLES = int(os.environ.get("LAZYARR_HYPOTHESIS_EXAMPLES", "30"))
SETTINGS = settings(max_examples=max(3, EXAMPLES // 3), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Rows x columns: tiny, serial and parallel sizes (64 x 1000 and 257 x 130 are over 2**15 elements), and the
# degenerate axes of length 1.
ROWS = (1, 7, 64, 257)
COLS = (1, 3, 130, 1000)
LAYOUTS = ("C", "F", "reversed", "strided")

FLOAT_UNARY = ("np.abs({})", "np.tanh({})", "np.exp(-np.abs({}))", "np.sqrt(np.abs({}))", "(-{})", "({}) ** 2",
               "np.log1p(np.abs({}))", "np.sin({})")
INT_UNARY = ("np.abs({})", "(-{})", "({}) * 3", "np.square({})")
FLOAT_BINARY = ("({} + {})", "({} - {})", "({} * {})", "({} / (np.abs({}) + 1))", "np.maximum({}, {})",
                "np.minimum({}, {})")
INT_BINARY = ("({} + {})", "({} - {})", "({} * {})", "np.maximum({}, {})", "np.minimum({}, {})")
FLOAT_REDUCE = ("{e}.sum(axis={a}{k})", "{e}.max(axis={a}{k})", "{e}.min(axis={a}{k})", "{e}.mean(axis={a}{k})",
                "np.std({e}, axis={a}{k})", "np.var({e}, axis={a}{k})")
INT_REDUCE = ("{e}.sum(axis={a}{k})", "{e}.max(axis={a}{k})", "{e}.min(axis={a}{k})")


@st.composite
def reduced_back(draw, element, reductions):
    """A reduction of a full-shape expression along one axis, shaped to broadcast back over (R, C)."""
    axis = draw(st.integers(0, 1))
    form = draw(st.sampled_from(("keepdims", "index", "plain") if axis == 1 else ("keepdims", "plain")))
    text = draw(st.sampled_from(reductions)).format(e=f"({draw(element)})", a=axis,
                                                   k=", keepdims=True" if form == "keepdims" else "")
    if form == "index":
        return f"{text}[:, None]"
    if form == "plain":  # axis 0 without keepdims broadcasts as a row; axis 1 only keeps its shape as (R,)
        return text if axis == 0 else f"{text}.reshape(-1, 1)"
    return text


def full(names, unary, binary, reductions, depth=3):
    """Expressions of shape (R, C) over `names` (full-shape names), z (C,), w (R, 1) and reductions."""
    leaves = st.sampled_from(list(names) + ["z", "w"])

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(unary), children).map(lambda t: t[0].format(t[1])),
            st.tuples(st.sampled_from(binary), children, children).map(lambda t: t[0].format(t[1], t[2])),
            st.tuples(children, children, children).map(lambda t: f"np.where({t[0]} > 0, {t[1]}, {t[2]})"),
            st.tuples(st.sampled_from(binary), children, reduced_back(children, reductions))
            .map(lambda t: t[0].format(t[1], t[2])),
        )
    return st.recursive(leaves, extend, max_leaves=2 ** depth)


@st.composite
def programs(draw, integer: bool):
    unary, binary, reductions = (INT_UNARY, INT_BINARY, INT_REDUCE) if integer else \
        (FLOAT_UNARY, FLOAT_BINARY, FLOAT_REDUCE)
    names = ["x", "y"]
    lines = []
    for i in range(draw(st.integers(1, 3))):
        expr = draw(full(names, unary, binary, reductions))
        name = f"t{i}"
        lines.append(f"{name} = {expr} + x * 0")  # (+ x * 0: (R, C) even when the expression is z or w alone)
        if draw(st.booleans()):  # an in-place update by a reduction of itself, as softmax's `e /= e.sum(...)`
            op = draw(st.sampled_from(("-=", "+=") if integer else ("-=", "/=", "*=")))
            red = draw(reduced_back(st.just(name if op != "/=" else f"np.abs({name})"), reductions))
            lines.append(f"{name} {op} {red}" + (" + 1" if op == "/=" else ""))
        names.append(name)
    last = names[-1]
    final = draw(st.sampled_from(("full", "axis0", "axis1", "all")))
    if final == "full":
        result = last
    elif final == "all":
        whole = ("{}.sum()", "{}.max()", "{}.min()") + (() if integer else ("{}.mean()", "np.std({})"))
        result = draw(st.sampled_from(whole)).format(last)
    else:
        result = draw(st.sampled_from(reductions)).format(e=last, a=final[-1], k="")
    lines.append(f"return {result}, {names[2]}")
    return "def program(x, y, z, w):\n" + "\n".join("    " + ln for ln in lines)


def _function(source: str):
    names = {"np": np}
    exec(compile(source, "<random row program>", "exec"), names)
    return names["program"]


def _laid_out(a: np.ndarray, layout: str) -> np.ndarray:
    if layout == "F":
        return np.asfortranarray(a)
    if layout == "reversed":
        return np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    if layout == "strided":
        buffer = np.zeros((2 * a.shape[0], 2 * a.shape[1]), a.dtype)
        buffer[::2, ::2] = a
        return buffer[::2, ::2]
    return a


def _inputs(dtype, rows, cols, layout):
    rng = np.random.default_rng(rows * 10007 + cols)
    if np.dtype(dtype).kind == "f":
        draw = lambda shape: (rng.random(shape) * 4 - 2).astype(dtype)
    else:
        draw = lambda shape: rng.integers(-2, 3, shape).astype(dtype)
    return (_laid_out(draw((rows, cols)), layout), _laid_out(draw((rows, cols)), layout), draw((cols,)),
            draw((rows, 1)))


def _numpy(source, args):
    try:
        with np.errstate(all="ignore"):
            return [np.asarray(r) for r in _function(source)(*[a.copy() for a in args])], None
    except (TypeError, ValueError, IndexError) as exc:
        return None, exc


def _kind(exc: BaseException) -> type:
    """The builtin error class an error is (NumPy's AxisError is both an IndexError and a ValueError)."""
    return next(k for k in (IndexError, TypeError, ValueError) if isinstance(exc, k))


def _assert_close(got, want, dtype, what, source):
    for i, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        assert g.dtype == w.dtype and g.shape == w.shape, \
            f"{what}, result {i}: {g.dtype}{g.shape} != NumPy's {w.dtype}{w.shape}\n{source}"
        if w.dtype.kind in "iub":
            np.testing.assert_array_equal(g, w, err_msg=f"{what}, result {i}\n{source}")
            continue
        rtol = 1e-9 if w.dtype == np.float64 else 5e-4
        finite = w[np.isfinite(w)]
        scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * scale, err_msg=f"{what}, result {i}\n{source}")


def _check(dtype, source, shape, layout, mode):
    rows, cols = shape
    args = _inputs(dtype, rows, cols, layout)
    keep = [a.copy() for a in args]
    want, error = _numpy(source, args)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # (fallback and eager warnings: the answers are the test)
        if mode == "lazy":
            if error is not None:
                with pytest.raises(_kind(error)):
                    la.compute(*_function(source)(*[la.array(a) for a in args]))
                return
            _assert_close(la.compute(*_function(source)(*[la.array(a) for a in args])), want, dtype, "lazy",
                          source)
        else:
            fused = la.fuse(_function(source))
            for call in ("trace", "replay"):
                if error is not None:
                    with pytest.raises(_kind(error)):
                        fused(*args)
                    continue
                _assert_close(fused(*args), want, dtype, f"fuse ({call})", source)
    for a, k in zip(args, keep):
        np.testing.assert_array_equal(a, k, err_msg=f"{mode} wrote an argument\n{source}")


SHAPES = st.tuples(st.sampled_from(ROWS), st.sampled_from(COLS))


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@SETTINGS
@given(source=programs(integer=False), shape=SHAPES, layout=st.sampled_from(LAYOUTS))
def test_a_random_float_row_program_gives_numpys_answer(mode, dtype, source, shape, layout):
    _check(dtype, source, shape, layout, mode)


@pytest.mark.parametrize("mode", ["lazy", "fuse"])
@SETTINGS
@given(source=programs(integer=True), shape=SHAPES, layout=st.sampled_from(LAYOUTS))
def test_a_random_integer_row_program_gives_numpys_answer_bit_for_bit(mode, source, shape, layout):
    _check(np.int64, source, shape, layout, mode)
