"""(s15 sweep, lazy mode) NumPy calls on `la.array` inputs against the same calls on the NumPy arrays: the cases
the session-15 sweep (tools/sweeps/) found wrong, each pinned, and a compile-light slice of the sweep itself
(one expression per dtype: the kernels are shared). docs/numpy_surface.md says what was swept and found."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import lazyarr as la

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "sweeps"))
from harness import compare  # noqa: E402
import sweep_methods  # noqa: E402

SIGNED = ["i1", "i2", "i4", "i8"]
UNSIGNED = ["u1", "u2", "u4", "u8"]
DTYPES = ["?"] + SIGNED + UNSIGNED + ["f2", "f4", "f8", "c8", "c16"]


def same_as_numpy(fn, inputs, ulp=0):
    outcome = compare(fn, inputs, ulp)
    assert outcome.kind == "ok", f"{outcome.kind}: {outcome.detail}"


# --- integer edge values in kernels -----------------------------------------------------------------------------

@pytest.mark.parametrize("dt", SIGNED)
def test_integer_reciprocal_of_zero_and_of_the_minimum_is_numpys(dt):
    # NumPy: 1.0 / x converted; 1/0 = inf converts to 0 for int8/int16 and to the minimum for int32/int64
    # (lazyarr gave int16's -32768 for reciprocal(0))
    info = np.iinfo(dt)
    x = np.array([0, 1, -1, 2, -2, info.min, info.max, 0], dtype=dt)
    same_as_numpy(lambda a: np.reciprocal(a["x"]), {"x": x})


@pytest.mark.parametrize("op", [np.right_shift, np.left_shift])
def test_uint64_shifts_above_2_53_are_exact(op):
    # right_shift's out-of-range branch made Numba type the function float64 (uint64 - int64 literal), which
    # rounded every uint64 shift above 2**53: (2**64 - 1) >> 5 gave 2**59
    x = np.array([2**64 - 1, 2**64 - 2, 2**63 + 12345, 5, 2**53 + 1], dtype=np.uint64)
    y = np.array([5, 8, 1, 70, 0], dtype=np.uint64)
    same_as_numpy(lambda a: op(a["x"], a["y"]), {"x": x, "y": y})
    same_as_numpy(lambda a: a["x"] >> 3, {"x": x})


# --- comparisons with None -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [lambda x: x == None, lambda x: x != None, lambda x: None == x,  # noqa: E711
                                  lambda x: np.equal(x, None), lambda x: np.not_equal(None, x)],
                         ids=["==", "!=", "None ==", "np.equal", "np.not_equal"])
@pytest.mark.parametrize("dt", ["f8", "i4", "?"])
def test_comparison_with_none_is_elementwise_as_numpys(call, dt):
    # NumPy compares each element with None (all False for ==); lazyarr refused the object operand
    same_as_numpy(lambda a: call(a["x"]), {"x": np.array([[0, 1, 2], [3, 4, 5]], dtype=dt)})


# --- exception classes --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [lambda a: np.gcd(a["f"], a["f"]), lambda a: np.positive(a["b"]),
                                  lambda a: +a["b"], lambda a: np.sign(a["b"]),
                                  lambda a: np.exp(a["c"], out=np.zeros(3, "f4")),
                                  lambda a: np.add(a["f"], 1, out=np.zeros(3, "i8")),
                                  lambda a: np.negative(a["f"], dtype="i8")],
                         ids=["gcd float", "positive bool", "+bool", "sign bool", "exp out=f4", "add out=i8",
                              "negative dtype=i8"])
def test_ufunc_type_errors_are_numpys_class(call):
    # NumPy raises UFuncTypeError (a TypeError subclass); lazyarr raised a plain TypeError
    arrays = {"f": np.array([1.5, 2.0, 3.0]), "b": np.array([True, False, True]),
              "c": np.array([1 + 1j, 2, 3], dtype="c16")}
    with pytest.raises(TypeError) as numpys:
        call(arrays)
    with pytest.raises(TypeError) as ours:
        call({k: la.array(v) for k, v in arrays.items()})
    assert type(ours.value) is type(numpys.value)


@pytest.mark.parametrize("call", [lambda v: v + "a", lambda v: np.equal(v, "a"), lambda v: v * np.array(["a"])],
                         ids=["+ str", "np.equal str", "* str array"])
def test_a_string_operand_raises_numpys_error(call):
    # lazyarr refused the str operand with its own TypeError before NumPy could say UFuncNoLoopError
    v = np.array([1.5, 2.0])
    with pytest.raises(TypeError) as numpys:
        call(v)
    with pytest.raises(TypeError) as ours:
        call(la.array(v))
    assert type(ours.value) is type(numpys.value)


@pytest.mark.parametrize("call", [lambda a: a["v"] == "a", lambda a: a["v"] != "a", lambda a: "a" in a["v"],
                                  lambda a: a["v"] == np.array(["a", "b"])],
                         ids=["== str", "!= str", "str in", "== str array"])
def test_equality_operators_with_strings_are_elementwise_false(call):
    # ndarray's == and != answer all False / all True where np.equal has no loop; lazyarr raised TypeError
    same_as_numpy(call, {"v": np.array([[1.5, 2.0], [0.0, -1.0]])})


# --- 0-d results: arrays where NumPy gives arrays -------------------------------------------------------------

@pytest.mark.parametrize("call", [lambda a: a["z"].T, lambda a: a["z"].transpose(),
                                  lambda a: np.tensordot(a["i"], a["i"], axes=1),
                                  lambda a: np.tensordot(a["v"], a["v"], axes=([0], [0])),
                                  lambda a: a["z"].sum().T],
                         ids=["0-d .T", "0-d transpose()", "tensordot ints", "tensordot axes lists", "scalar .T"])
def test_zero_d_results_are_arrays_or_scalars_as_numpys(call):
    # a 0-d array's .T and a 0-d tensordot are 0-d arrays in NumPy; lazyarr gave scalars
    same_as_numpy(call, {"z": np.array(2.5), "i": np.array([0, 3, 1]), "v": np.array([1.5, -2.0, 0.5])})


@pytest.mark.parametrize("op", [np.maximum, np.minimum])
def test_float16_maximum_and_minimum_on_zero_ties_give_numpys_operand(op):
    # NumPy's float16 loop keeps the first operand on a tie (+0.0 vs -0.0), its float32/64 loops the second;
    # lazyarr gave the second for float16 too
    a = np.array([0.0, -0.0, np.nan, 1.0, -0.0, 2.0], dtype=np.float16)
    b = np.array([-0.0, 0.0, 1.0, np.nan, -0.0, -3.0], dtype=np.float16)
    same_as_numpy(lambda x: op(x["a"], x["b"]), {"a": a, "b": b})
    same_as_numpy(lambda x: op(x["a"], x["b"].astype(bool)), {"a": a, "b": b})


def test_conj_of_a_real_array_is_the_array_itself():
    # ndarray.conj() of a non-complex array returns it (bool stays bool); lazyarr gave np.conjugate's int8
    same_as_numpy(lambda a: a["x"].conj(), {"x": np.array([True, False])})
    same_as_numpy(lambda a: a["x"].conjugate(), {"x": np.array([1, 2], dtype=np.uint8)})
    x = la.array(np.arange(3.0))
    assert x.conj() is x


def test_round_of_bool_with_decimals_raises_numpys_class():
    with pytest.raises(TypeError) as numpys:
        np.round(np.array([True]), 1)
    with pytest.raises(TypeError) as ours:
        np.round(la.array(np.array([True])), 1)
    assert type(ours.value) is type(numpys.value)


def _clip_into_itself(a):
    y = a["x"].copy()
    r = np.clip(y, 0, 2, out=y)
    return y, r


@pytest.mark.parametrize("dt", ["i8", "f8", "f4"])
def test_clip_out_a_lazy_array_updates_it(dt):
    # np.clip(y, lo, hi, out=y) on a LazyArray raised "out must be a numpy.ndarray"
    same_as_numpy(_clip_into_itself, {"x": np.array([-1.5, 0.5, 3.0, 2.0]).astype(dt)})


@pytest.mark.parametrize("call", [lambda y: np.add(y, 1, out=y), lambda y: np.clip(y, 0, 1, out=y),
                                  lambda y: np.multiply(y, 1.5, out=y)], ids=["add", "clip", "multiply"])
def test_out_a_lazy_array_of_a_narrower_kind_raises_numpys_class(call):
    x = np.array([True, False, True])
    with pytest.raises(TypeError) as numpys:
        call(x.copy())
    with pytest.raises(TypeError) as ours:
        call(la.array(x).copy())
    assert type(ours.value) is type(numpys.value)


def test_float16_np_power_one_half_is_pow_and_the_operator_sqrt():
    # np.power(x, 0.5) is sqrt for float32/float64 but pow for float16 (+0.0 at -0.0, +inf at -inf), while the
    # ** operator is sqrt for every float dtype; lazyarr gave sqrt for np.power on float16
    x = np.array([0.0, -0.0, 4.0, -np.inf, np.inf, -1.0, 2.0], dtype=np.float16)
    same_as_numpy(lambda a: np.power(a["x"], 0.5), {"x": x})
    same_as_numpy(lambda a: a["x"] ** 0.5, {"x": x})
    same_as_numpy(lambda a: np.power(a["x"].astype(np.float32), 0.5), {"x": x})

    def power_in_place(a):
        y = a["x"].copy()
        y **= 0.5
        return y
    same_as_numpy(power_in_place, {"x": x})


def _byteswapped_in_place(a):
    y = a["x"].copy()
    r = y.byteswap(inplace=True)
    return y, r


@pytest.mark.parametrize("dt", ["i2", "u8", "f4", "c16", "?"])
def test_byteswap_reverses_each_elements_bytes(dt):
    # LazyArray had no byteswap (AttributeError)
    x = sweep_methods.matrix(dt)
    same_as_numpy(lambda a: a["x"].byteswap(), {"x": x})
    same_as_numpy(lambda a: a["x"][:, ::2].byteswap() + a["x"][:, ::2], {"x": x})
    same_as_numpy(_byteswapped_in_place, {"x": x})


@pytest.mark.parametrize("name", ["fmax", "subtract", "divide", "power", "hypot", "bitwise_or", "logaddexp"])
def test_accumulate_of_a_ufunc_without_a_scan_kernel_is_numpys(name):
    # the reference evaluator looked the ufunc up in the scan table only: KeyError at compute
    u = getattr(np, name)
    x = np.array([3, 1, 4, 1, 5, 9, 2], dtype=np.int64 if name in ("bitwise_or", "power") else np.float64)
    same_as_numpy(lambda a: u.accumulate(a["x"]), {"x": x}, 2)
    same_as_numpy(lambda a: u.accumulate(a["x"].reshape(1, -1), axis=1), {"x": x}, 2)


def test_power_accumulate_with_negative_integer_exponents_raises_numpys_error():
    same_as_numpy(lambda a: np.power.accumulate(a["x"]), {"x": np.array([2, -1, 3])})


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum])
@pytest.mark.parametrize("dt", ["?", "i1", "u8", "f4", "c16"])
def test_maximum_reduce_with_a_dtype_reduces_in_that_dtype(ufunc, dt):
    # np.maximum.reduce(x, dtype=...) raised "max takes no dtype" (np.max has none; the ufunc method has)
    x = sweep_methods.matrix(dt)
    for target in (np.float64, np.int16, np.complex64):
        same_as_numpy(lambda a: ufunc.reduce(a["x"], axis=1, dtype=target), {"x": x})


# --- a compile-light slice of the sweep: calls x layouts (float64) and calls x dtypes (C order) ----------------
# Most of these calls are NumPy stages or views (no kernel); the reductions and maps share one kernel per
# (call, dtype, layout class). tools/sweeps/sweep_methods.py runs the whole list.

_SLICE = ["sum0", "sum((1,0))", "sum where", "max where", "mean", "argmax", "argmin0", "cumsum0", "nanmax",
          "median", "sort0", "take clip", "repeat list", "roll axis", "rot90", "concatenate None", "split",
          "where xy", "clip None", "round", "astype i8", "astype u1 unsafe", "astype i1 safe", "isclose",
          "unique counts", "ravel F", "diagonal", "matmul T", "tensordot", "einsum", "tolist", "iter", "pickle",
          "deepcopy", "x[m]", "x[-1, -1]", "x[[0,1],[1,2]]", "x[5]", "x[0, 9]", "x[1.0]", "x[True]", "0 in x",
          "bool(x)", "put", "choose", "add.accumulate"]
_CALLS = {name: (call, ulp[0] if ulp else 0) for name, call, *ulp in sweep_methods.MATRIX_CALLS}


def _inputs(x):
    return {"x": x, "m": np.resize(np.array([True, False, True, True, False]), x.size).reshape(x.shape)}


@pytest.mark.parametrize("layout", [name for name, _ in sweep_methods.layouts(sweep_methods.BASE)
                                    if name != "big-endian"])
def test_everyday_calls_on_every_layout(layout):
    x = dict(sweep_methods.layouts(sweep_methods.BASE))[layout]
    failures = [f"{name}: {o.kind} {o.detail}" for name in _SLICE
                for o in [compare(_CALLS[name][0], _inputs(x), _CALLS[name][1])] if o.kind != "ok"]
    assert not failures, "\n".join(failures)


def test_big_endian_inputs_give_numpys_values_in_native_order():
    # (by design, docs/numpy_surface.md) a non-native input is made native once: the same values, native dtype
    x = dict(sweep_methods.layouts(sweep_methods.BASE))["big-endian"]
    failures = [f"{name}: {o.kind} {o.detail}" for name in _SLICE
                for o in [compare(_CALLS[name][0], _inputs(x), _CALLS[name][1])]
                if o.kind not in ("ok", "byteorder") and "byteorder" not in o.detail]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("dt", DTYPES)
def test_everyday_calls_on_every_dtype(dt):
    x = sweep_methods.matrix(dt)
    failures = [f"{name}: {o.kind} {o.detail}" for name in _SLICE
                for o in [compare(_CALLS[name][0], _inputs(x), _CALLS[name][1])] if o.kind != "ok"]
    assert not failures, "\n".join(failures)
