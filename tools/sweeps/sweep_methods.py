"""Sweep the methods and functions a NumPy user calls on arrays (reductions, scans, sorting, joins, indexing,
conversions, ...) over dtypes and memory layouts, lazy against NumPy.
``python tools/sweeps/sweep_methods.py [layouts|dtypes|vectors|scalars|indexing|protocols] ...``"""
from __future__ import annotations

import copy
import pickle
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import Tally  # noqa: E402

RNG = np.random.default_rng(15)
BASE = np.array([[3.5, -1.0, 0.25, 2.0], [0.0, 7.25, -2.5, 2.0], [1.0, 1.0, 4.0, -0.5]])
SUMS = 8  # float sums and means: NumPy's pairwise order against lazyarr's lanes (README "NumPy's answer means")

# (name, call, ulp): `a["x"]` a 2-D array (any layout, possibly empty), `a["m"]` a bool mask of its shape
MATRIX_CALLS = [
    ("sum", lambda a: a["x"].sum(), SUMS), ("sum0", lambda a: a["x"].sum(axis=0), SUMS),
    ("sum(-1,keepdims)", lambda a: a["x"].sum(axis=-1, keepdims=True), SUMS),
    ("sum((0,1))", lambda a: np.sum(a["x"], axis=(0, 1)), SUMS), ("sum((1,0))", lambda a: np.sum(a["x"], axis=(1, 0)), SUMS),
    ("sum dtype=f4", lambda a: a["x"].sum(axis=0, dtype=np.float32), SUMS),
    ("sum dtype=i8", lambda a: a["x"].sum(axis=1, dtype=np.int64)),
    ("sum initial", lambda a: a["x"].sum(axis=0, initial=10)),
    ("sum where", lambda a: a["x"].sum(axis=1, where=a["m"]), SUMS),
    ("prod", lambda a: a["x"].prod(axis=0)), ("prod all", lambda a: a["x"].prod(), SUMS),
    ("min", lambda a: a["x"].min(axis=1)), ("max", lambda a: a["x"].max()),
    ("min initial", lambda a: a["x"].min(initial=0)), ("max where", lambda a: np.max(a["x"], axis=0, where=a["m"], initial=-5)),
    ("mean", lambda a: a["x"].mean(axis=0), SUMS), ("mean all", lambda a: a["x"].mean(), SUMS),
    ("mean dtype f4", lambda a: a["x"].mean(dtype=np.float32), SUMS),
    ("std", lambda a: a["x"].std(axis=1), SUMS), ("var ddof", lambda a: a["x"].var(ddof=1), SUMS),
    ("any", lambda a: a["x"].any(axis=0)), ("all", lambda a: a["x"].all()),
    ("argmax", lambda a: a["x"].argmax()), ("argmin0", lambda a: a["x"].argmin(axis=0)),
    ("argmax keepdims", lambda a: np.argmax(a["x"], axis=1, keepdims=True)),
    ("cumsum", lambda a: a["x"].cumsum()), ("cumsum0", lambda a: np.cumsum(a["x"], axis=0)),
    ("cumprod1", lambda a: a["x"].cumprod(axis=1)), ("cumsum dtype", lambda a: a["x"].cumsum(axis=1, dtype=np.float64)),
    ("nansum", lambda a: np.nansum(a["x"], axis=0), SUMS), ("nanmax", lambda a: np.nanmax(a["x"], axis=1)),
    ("nanmean", lambda a: np.nanmean(a["x"]), SUMS), ("nanargmin", lambda a: np.nanargmin(a["x"], axis=0)),
    ("nancumsum", lambda a: np.nancumsum(a["x"], axis=1)), ("nanstd", lambda a: np.nanstd(a["x"], axis=0), SUMS),
    ("median", lambda a: np.median(a["x"], axis=0)), ("percentile", lambda a: np.percentile(a["x"], 30, axis=1)),
    ("quantile", lambda a: np.quantile(a["x"], [0.1, 0.9])),
    ("ptp", lambda a: np.ptp(a["x"], axis=0)), ("count_nonzero", lambda a: np.count_nonzero(a["x"], axis=1)),
    ("sort", lambda a: np.sort(a["x"])), ("sort0", lambda a: np.sort(a["x"], axis=0)),
    ("sort None", lambda a: np.sort(a["x"], axis=None)), ("argsort", lambda a: np.argsort(a["x"], kind="stable")),
    ("partition", lambda a: np.partition(a["x"], 1, axis=0)[1]),
    ("take", lambda a: np.take(a["x"], [0, -1, 2])), ("take axis", lambda a: a["x"].take([2, 0], axis=1)),
    ("take clip", lambda a: np.take(a["x"], [-9, 99], mode="clip")), ("take wrap", lambda a: np.take(a["x"], [-9, 99], mode="wrap")),
    ("compress", lambda a: np.compress([True, False, True], a["x"], axis=0)),
    ("repeat", lambda a: np.repeat(a["x"], 2, axis=1)), ("repeat list", lambda a: a["x"].repeat([1, 0, 2], axis=0)),
    ("tile", lambda a: np.tile(a["x"], (2, 1))), ("roll", lambda a: np.roll(a["x"], 1)),
    ("roll axis", lambda a: np.roll(a["x"], -1, axis=1)), ("flip", lambda a: np.flip(a["x"])),
    ("fliplr", lambda a: np.fliplr(a["x"])), ("rot90", lambda a: np.rot90(a["x"])),
    ("concatenate", lambda a: np.concatenate([a["x"], a["x"]], axis=1)),
    ("concatenate None", lambda a: np.concatenate([a["x"], a["x"]], axis=None)),
    ("stack", lambda a: np.stack([a["x"], a["x"]], axis=-1)), ("vstack", lambda a: np.vstack([a["x"], a["x"][:1]])),
    ("hstack", lambda a: np.hstack([a["x"], a["x"]])), ("split", lambda a: np.split(a["x"], 2, axis=1)),
    ("array_split", lambda a: np.array_split(a["x"], 2)),
    ("where", lambda a: np.where(a["m"], a["x"], 0)), ("where xy", lambda a: np.where(a["m"], a["x"], a["x"][::-1])),
    ("select", lambda a: np.select([a["m"]], [a["x"]], default=a["x"][0])),
    ("clip", lambda a: np.clip(a["x"], 0, 2)), ("clip None", lambda a: a["x"].clip(max=1)),
    ("round", lambda a: np.round(a["x"], 1)), ("around -1", lambda a: np.around(a["x"], -1)),
    ("astype i8", lambda a: a["x"].astype(np.int64)), ("astype f4", lambda a: a["x"].astype("f4")),
    ("astype ?", lambda a: a["x"].astype(bool)), ("astype c8", lambda a: a["x"].astype(np.complex64)),
    ("astype u1 unsafe", lambda a: a["x"].astype(np.uint8, casting="unsafe")),
    ("astype same_kind", lambda a: a["x"].astype(np.float32, casting="same_kind")),
    ("astype safe", lambda a: a["x"].astype(np.float64, casting="safe")),
    ("astype i1 safe", lambda a: a["x"].astype(np.int8, casting="safe")),
    ("astype no", lambda a: a["x"].astype(a["x"].dtype.newbyteorder("=") if a["x"].dtype.byteorder != "|" else a["x"].dtype, casting="no")),
    ("astype F", lambda a: a["x"].astype(np.float64, order="F")),
    ("isclose", lambda a: np.isclose(a["x"], a["x"][::-1])), ("allclose", lambda a: np.allclose(a["x"], a["x"])),
    ("array_equal", lambda a: np.array_equal(a["x"], a["x"])),
    ("unique", lambda a: np.unique(a["x"])), ("unique counts", lambda a: np.unique(a["x"], return_counts=True)),
    ("searchsorted", lambda a: np.searchsorted(np.sort(a["x"].ravel()), [0, 1, 2])),
    ("transpose", lambda a: a["x"].T), ("reshape", lambda a: a["x"].reshape(-1)), ("ravel F", lambda a: a["x"].ravel("F")),
    ("flatten", lambda a: a["x"].flatten()), ("squeeze", lambda a: a["x"][:1].squeeze()),
    ("swapaxes", lambda a: a["x"].swapaxes(0, 1)), ("diagonal", lambda a: a["x"].diagonal()),
    ("trace", lambda a: a["x"].trace()), ("nonzero", lambda a: a["x"].nonzero()),
    ("argwhere", lambda a: np.argwhere(a["x"])), ("diff", lambda a: np.diff(a["x"], axis=0)),
    ("matmul T", lambda a: a["x"] @ a["x"].T), ("dot", lambda a: np.dot(a["x"].T, a["x"])),
    ("tensordot", lambda a: np.tensordot(a["x"], a["x"], axes=([0, 1], [0, 1]))),
    ("outer", lambda a: np.outer(a["x"][0], a["x"][:, 0])), ("inner", lambda a: np.inner(a["x"], a["x"])),
    ("einsum", lambda a: np.einsum("ij,ij->j", a["x"], a["x"])), ("einsum trace", lambda a: np.einsum("ij->", a["x"])),
    ("tolist", lambda a: a["x"].tolist()), ("len", lambda a: len(a["x"])),
    ("iter", lambda a: [np.asarray(r) for r in a["x"]]), ("copy", lambda a: a["x"].copy()),
    ("copy.copy", lambda a: copy.copy(a["x"])), ("deepcopy", lambda a: copy.deepcopy(a["x"])),
    ("pickle", lambda a: pickle.loads(pickle.dumps(a["x"]))), ("size ndim shape", lambda a: (a["x"].size, a["x"].ndim, a["x"].shape)),
    ("nbytes itemsize", lambda a: (a["x"].nbytes, a["x"].itemsize)), ("real imag", lambda a: (a["x"].real, a["x"].imag)),
    ("conj", lambda a: a["x"].conj()), ("abs", lambda a: abs(a["x"])), ("neg", lambda a: -a["x"]),
    ("x[m]", lambda a: a["x"][a["m"]]), ("x[0]", lambda a: a["x"][0]), ("x[-1, -1]", lambda a: a["x"][-1, -1]),
    ("x[..., 1]", lambda a: a["x"][..., 1]), ("x[::-1, None]", lambda a: a["x"][::-1, None]),
    ("x[[0, -1]]", lambda a: a["x"][[0, -1]]), ("x[:, [1, 1]]", lambda a: a["x"][:, [1, 1]]),
    ("x[[0,1],[1,2]]", lambda a: a["x"][[0, 1], [1, 2]]), ("x[5]", lambda a: a["x"][5]),
    ("x[-4]", lambda a: a["x"][-4]), ("x[0, 9]", lambda a: a["x"][0, 9]), ("x[[0, 7]]", lambda a: a["x"][[0, 7]]),
    ("x[1.0]", lambda a: a["x"][1.0]), ("x[m[0]]", lambda a: a["x"][a["m"][0]]),
    ("x[np.int64(1)]", lambda a: a["x"][np.int64(1)]), ("x[True]", lambda a: a["x"][True]),
    ("x[()]", lambda a: a["x"][()]), ("x[:, ::-2]", lambda a: a["x"][:, ::-2]),
    ("x[[]]", lambda a: a["x"][[]]), ("x[np.array([], int)]", lambda a: a["x"][np.array([], int)]),
    ("1.5 in x", lambda a: 1.5 in a["x"]), ("0 in x", lambda a: 0 in a["x"]),
    ("bool(x)", lambda a: bool(a["x"])), ("float(x)", lambda a: float(a["x"])),
    ("put", lambda a: _put(a["x"])), ("choose", lambda a: np.choose(a["m"].astype(int), [a["x"], -a["x"]])),
    ("bincount", lambda a: np.bincount(np.abs(a["x"].ravel()).astype(np.int64))),
    ("piecewise", lambda a: np.piecewise(a["x"], [a["m"]], [lambda v: v * 2, 7])),
    ("fill_diagonal", lambda a: _fill_diagonal(a["x"])),
    ("maximum.reduce", lambda a: np.maximum.reduce(a["x"], axis=0)),
    ("add.accumulate", lambda a: np.add.accumulate(a["x"], axis=1)),
    ("multiply.outer", lambda a: np.multiply.outer(a["x"][0], a["x"][0])),
]


def _put(x):
    y = x.copy()
    np.put(y, [0, -1], [9, 8])
    return y


def _fill_diagonal(x):
    y = x.copy()
    np.fill_diagonal(y, 5)
    return y


def layouts(base: np.ndarray):
    """(name, array) in every layout a user may hand in, all 2-D."""
    be = base.dtype.newbyteorder(">") if base.dtype.itemsize > 1 and base.dtype.byteorder != "|" else base.dtype
    ro = base.copy()
    ro.flags.writeable = False
    big = np.zeros((6, 8), base.dtype)
    big[::2, 1::2] = base
    return [("C", base), ("F", np.asfortranarray(base)), ("strided", big[::2, 1::2]),
            ("reversed", base[::-1, ::-1]), ("big-endian", base.astype(be)), ("read-only", ro),
            ("view of view", big[::2][:, 1:][:, ::2]), ("empty (0,4)", base[:0]), ("empty (3,0)", base[:, :0]),
            ("broadcast", np.broadcast_to(base[:1], base.shape))]


def matrix(dt) -> np.ndarray:
    dt = np.dtype(dt)
    if dt.kind in "fc":
        return BASE.astype(dt)
    if dt.kind == "b":
        return BASE > 0.5
    return np.abs(BASE * 2).astype(dt) if dt.kind == "u" else (BASE * 2).astype(dt)


def sweep_calls(t: Tally, dts, which_layouts):
    for dt in dts:
        for lname, x in layouts(matrix(dt)):
            if lname not in which_layouts:
                continue
            m = np.resize(np.array([True, False, True, True, False]), x.size).reshape(x.shape)
            for name, call, *ulp in MATRIX_CALLS:
                t.check(f"{name} [{np.dtype(dt)}, {lname}]", call, {"x": x, "m": m}, ulp[0] if ulp else 0)


ALL_LAYOUTS = [name for name, _ in layouts(BASE)]
PARTS = {
    "layouts": lambda t: sweep_calls(t, ["f8"], ALL_LAYOUTS),
    "dtypes": lambda t: sweep_calls(t, ["?", "i1", "i8", "u8", "f2", "f4", "c16"], ["C"]),
    "dtypes2": lambda t: sweep_calls(t, ["i2", "i4", "u1", "u2", "u4", "c8"], ["C"]),
    "layouts2": lambda t: sweep_calls(t, ["i8", "f4", "?"], ["strided", "big-endian", "empty (3,0)", "F"]),
}



# (name, call, ulp): `a["v"]` a 1-D float vector with a NaN, `a["z"]` a 0-d array, `a["s"]` a size-1 array,
# `a["i"]` an int vector, `a["e"]` an empty vector
SMALL_CALLS = [
    ("int(z)", lambda a: int(a["z"]), 0), ("float(z)", lambda a: float(a["z"]), 0), ("bool(z)", lambda a: bool(a["z"]), 0),
    ("complex(z)", lambda a: complex(a["z"]), 0), ("int(s)", lambda a: int(a["s"]), 0), ("float(s)", lambda a: float(a["s"]), 0),
    ("bool(s)", lambda a: bool(a["s"]), 0), ("bool(e)", lambda a: bool(a["e"]), 0), ("bool(v)", lambda a: bool(a["v"]), 0),
    ("int(v)", lambda a: int(a["v"]), 0), ("operator.index(z)", lambda a: __import__("operator").index(a["iz"]), 0),
    ("range(iz)", lambda a: list(range(a["iz"])), 0), ("len(z)", lambda a: len(a["z"]), 0), ("iter(z)", lambda a: list(a["z"]), 0),
    ("z.item()", lambda a: a["z"].item(), 0), ("v.item(2)", lambda a: a["v"].item(2), 0), ("v.item(-1)", lambda a: a["v"].item(-1), 0),
    ("v.item(99)", lambda a: a["v"].item(99), 0), ("v.item()", lambda a: a["v"].item(), 0),
    ("v.tolist()", lambda a: a["v"].tolist(), 0), ("z.tolist()", lambda a: a["z"].tolist(), 0),
    ("v[-1]", lambda a: a["v"][-1], 0), ("v[-6]", lambda a: a["v"][-6], 0), ("v[5]", lambda a: a["v"][5], 0),
    ("v[99:]", lambda a: a["v"][99:], 0), ("v[-99:2]", lambda a: a["v"][-99:2], 0), ("v[::-3]", lambda a: a["v"][::-3], 0),
    ("v[i]", lambda a: a["v"][a["i"]], 0), ("v[-i]", lambda a: a["v"][-a["i"]], 0), ("v[i+5]", lambda a: a["v"][a["i"] + 5], 0),
    ("v[[True]*5]", lambda a: a["v"][[True, False, True, False, True]], 0), ("v[[True]]", lambda a: a["v"][[True]], 0),
    ("v[v>0]", lambda a: a["v"][a["v"] > 0], 0), ("z[()]", lambda a: a["z"][()], 0), ("z[...]", lambda a: a["z"][...], 0),
    ("z[None]", lambda a: a["z"][None], 0), ("z[0]", lambda a: a["z"][0], 0), ("e[0]", lambda a: a["e"][0], 0),
    ("v['a']", lambda a: a["v"]["a"], 0), ("v[1.5]", lambda a: a["v"][1.5], 0), ("v[None, :, None]", lambda a: a["v"][None, :, None], 0),
    ("v[np.uint8(1)]", lambda a: a["v"][np.uint8(1)], 0), ("v[i.astype(u8)]", lambda a: a["v"][a["i"].astype(np.uint64)], 0),
    ("v[i.astype(f8)]", lambda a: a["v"][a["i"].astype(np.float64)], 0), ("v[(1,)]", lambda a: a["v"][(1,)], 0),
    ("v[[[0, 1]]]", lambda a: a["v"][[[0, 1]]], 0), ("v[1, 2]", lambda a: a["v"][1, 2], 0),
    ("nan in v", lambda a: np.nan in a["v"], 0), ("2.0 in v", lambda a: 2.0 in a["v"], 0), ("'a' in v", lambda a: "a" in a["v"], 0),
    ("v == None", lambda a: a["v"] == None, 0), ("v < None", lambda a: a["v"] < None, 0),  # noqa: E711
    ("v == 'a'", lambda a: a["v"] == "a", 0), ("v + 'a'", lambda a: a["v"] + "a", 0), ("v + [1]", lambda a: a["v"] + [1], 0),
    ("v + (1, 2)", lambda a: a["v"] + (1, 2), 0), ("v + [1]*5", lambda a: a["v"] + [1, 2, 3, 4, 5], 0),
    ("v * True", lambda a: a["v"] * True, 0), ("v + 1j", lambda a: a["v"] + 1j, 0),
    ("i + 2**63", lambda a: a["i"] + 2**63, 0), ("i + 2**64", lambda a: a["i"] + 2**64, 0),
    ("i8 + 300", lambda a: a["i"].astype(np.int8) + 300, 0), ("i8 + np.int16(300)", lambda a: a["i"].astype(np.int8) + np.int16(300), 0),
    ("u8 - 1", lambda a: a["i"].astype(np.uint8) - 1, 0), ("u8 < -1", lambda a: a["i"].astype(np.uint8) < -1, 0),
    ("u8 == 256", lambda a: a["i"].astype(np.uint8) == 256, 0), ("u64 + i64", lambda a: a["i"].astype(np.uint64) + a["i"], 0),
    ("u64 + -1", lambda a: a["i"].astype(np.uint64) + -1, 0), ("i8 * 1.5", lambda a: a["i"].astype(np.int8) * 1.5, 0),
    ("f4 + 1e300", lambda a: a["v"].astype(np.float32) + 1e300, 0), ("f2 + 70000", lambda a: a["v"].astype(np.float16) + 70000, 0),
    ("f4 * np.float64(2)", lambda a: a["v"].astype(np.float32) * np.float64(2), 0), ("z + v", lambda a: a["z"] + a["v"], 0),
    ("z * 2", lambda a: a["z"] * 2, 0), ("z ** 2", lambda a: a["z"] ** 2, 0), ("z > 1", lambda a: a["z"] > 1, 0),
    ("v ** 2", lambda a: a["v"] ** 2, 0), ("v ** 0.5", lambda a: a["v"] ** 0.5, 0), ("v ** -1", lambda a: a["v"] ** -1, 0),
    ("i ** 2", lambda a: a["i"] ** 2, 0), ("i ** -1", lambda a: a["i"] ** -1, 0), ("i ** i", lambda a: a["i"] ** a["i"], 0),
    ("2 ** i", lambda a: 2 ** a["i"], 0), ("i // 0", lambda a: a["i"] // 0, 0), ("i % 0", lambda a: a["i"] % 0, 0),
    ("divmod(i, -3)", lambda a: divmod(a["i"], -3), 0), ("i / 0", lambda a: a["i"] / 0, 0),
    ("sum(e)", lambda a: a["e"].sum(), 0), ("max(e)", lambda a: a["e"].max(), 0), ("argmax(e)", lambda a: a["e"].argmax(), 0),
    ("mean(e)", lambda a: a["e"].mean(), 0), ("max(e, initial)", lambda a: a["e"].max(initial=3.0), 0),
    ("sum(z)", lambda a: a["z"].sum(), 0), ("argmax(z)", lambda a: a["z"].argmax(), 0), ("cumsum(z)", lambda a: np.cumsum(a["z"]), 0),
    ("sort(z)", lambda a: np.sort(a["z"]), 0), ("v.max(axis=1)", lambda a: a["v"].max(axis=1), 0),
    ("v.sum(axis=(0, 0))", lambda a: a["v"].sum(axis=(0, 0)), 0), ("v.sum(axis=-2)", lambda a: a["v"].sum(axis=-2), 0),
    ("v.sum(axis=1.0)", lambda a: a["v"].sum(axis=1.0), 0), ("nanargmax(all nan)", lambda a: np.nanargmax(a["v"] * np.nan), 0),
    ("nanmax(all nan)", lambda a: np.nanmax(a["v"] * np.nan), 0), ("nanmean(e)", lambda a: np.nanmean(a["e"]), 0),
    ("nanmedian", lambda a: np.nanmedian(a["v"]), 0), ("max nan", lambda a: a["v"].max(), 0), ("argmin nan", lambda a: a["v"].argmin(), 0),
    ("sort nan", lambda a: np.sort(a["v"]), 0), ("argsort nan", lambda a: np.argsort(a["v"]), 0), ("unique nan", lambda a: np.unique(a["v"]), 0),
    ("unique equal_nan", lambda a: np.unique(a["v"] * np.nan, equal_nan=False), 0),
    ("searchsorted side", lambda a: np.searchsorted([0.0, 1.0, 2.0], a["v"], side="right"), 0),
    ("searchsorted sorter", lambda a: np.searchsorted(a["v"], 1.0, sorter=np.argsort(a["v"])), 0),
    ("bincount weights", lambda a: np.bincount(a["i"], weights=a["v"]), 0), ("bincount minlength", lambda a: np.bincount(a["i"], minlength=9), 0),
    ("bincount neg", lambda a: np.bincount(a["i"] - 3), 0), ("bincount e", lambda a: np.bincount(a["i"][:0]), 0),
    ("reshape bad", lambda a: a["v"].reshape(3, 2), 0), ("reshape -1 -1", lambda a: a["v"].reshape(-1, -1), 0),
    ("concatenate mismatch", lambda a: np.concatenate([a["v"], a["v"][None]]), 0), ("stack mismatch", lambda a: np.stack([a["v"], a["i"][:3]]), 0),
    ("split bad", lambda a: np.split(a["v"], 2), 0), ("v @ v", lambda a: a["v"] @ a["v"], 0), ("i @ i", lambda a: a["i"] @ a["i"], 0),
    ("b @ b", lambda a: (a["i"] > 1) @ (a["i"] > 1), 0), ("dot ints", lambda a: np.dot(a["i"], a["i"]), 0),
    ("outer ints", lambda a: np.outer(a["i"], a["i"]), 0), ("inner bools", lambda a: np.inner(a["i"] > 1, a["i"] > 0), 0),
    ("v @ z", lambda a: a["v"] @ a["z"], 0), ("i8 @ i8", lambda a: a["i"].astype(np.int8) @ a["i"].astype(np.int8), 0),
    ("matmul mismatch", lambda a: a["v"] @ a["i"][:3], 0), ("einsum ints", lambda a: np.einsum("i,i->", a["i"], a["i"]), 0),
    ("tensordot ints", lambda a: np.tensordot(a["i"], a["i"], axes=1), 0),
    ("clip ints float", lambda a: np.clip(a["i"], 0.5, 2.5), 0), ("clip reversed", lambda a: np.clip(a["v"], 2, 0), 0),
    ("round ints", lambda a: np.round(a["i"], -1), 0), ("round f4", lambda a: np.round(a["v"].astype(np.float32), 2), 0),
    ("isclose ints", lambda a: np.isclose(a["i"], a["i"] + 1, atol=1), 0), ("allclose nan", lambda a: np.allclose(a["v"], a["v"], equal_nan=True), 0),
    ("allclose shapes", lambda a: np.allclose(a["v"], a["i"][:2]), 0),
    ("where scalar", lambda a: np.where(a["v"] > 0, 1, 0), 0), ("where weak", lambda a: np.where(a["i"] > 1, a["i"].astype(np.int8), 300), 0),
    ("where 1-arg", lambda a: np.where(a["v"] > 0), 0), ("select ints", lambda a: np.select([a["i"] > 1], [a["i"]], 0.5), 0),
    ("repr", lambda a: repr(np.asarray(a["v"]).dtype), 0), ("str z", lambda a: str(np.asarray(a["z"])), 0),
    ("format z", lambda a: f"{a['z']:.2f}", 0), ("round(z)", lambda a: round(a["z"]), 0), ("round(z, 1)", lambda a: round(a["z"], 1), 0),
    ("hash", lambda a: hash(a["v"]), 0), ("sorted(v)", lambda a: [float(x) for x in sorted(a["i"])], 0),
    ("max(v) builtin", lambda a: max(a["i"]), 0), ("sum(v) builtin", lambda a: sum(a["i"]), 0),
    ("list(v)", lambda a: [np.asarray(x) for x in a["v"]], 0), ("tuple(z.shape)", lambda a: a["z"].shape, 0),
    ("v.T", lambda a: a["v"].T, 0), ("z.T", lambda a: a["z"].T, 0), ("v.fill", lambda a: _fill(a["v"]), 0),
    ("v.sort", lambda a: _sort(a["v"]), 0), ("partition", lambda a: np.partition(a["i"], 2)[2], 0),
    ("partition bad", lambda a: np.partition(a["i"], 9), 0), ("argpartition", lambda a: a["i"][np.argpartition(a["i"], 1)[1]], 0),
    ("take oob", lambda a: np.take(a["v"], [9]), 0), ("put oob", lambda a: _put_oob(a["v"]), 0),
    ("choose oob", lambda a: np.choose(a["i"], [a["v"], a["v"]]), 0), ("repeat neg", lambda a: np.repeat(a["v"], -1), 0),
    ("tile 0", lambda a: np.tile(a["v"], 0), 0), ("roll big", lambda a: np.roll(a["v"], 13), 0), ("roll e", lambda a: np.roll(a["e"], 1), 0),
    ("compress long", lambda a: np.compress([True] * 9, a["v"]), 0), ("cumsum i8", lambda a: np.cumsum(a["i"].astype(np.int8)), 0),
    ("cumprod u1", lambda a: np.cumprod(a["i"].astype(np.uint8) + 200), 0), ("cumsum ?", lambda a: np.cumsum(a["i"] > 1), 0),
    ("sum ?", lambda a: (a["i"] > 1).sum(), 0), ("sum i1", lambda a: a["i"].astype(np.int8).sum(), 0),
    ("sum u4", lambda a: a["i"].astype(np.uint32).sum(), 0), ("prod i1", lambda a: (a["i"].astype(np.int8) + 100).prod(), 0),
    ("mean ints", lambda a: a["i"].mean(), 0), ("mean f2", lambda a: a["v"].astype(np.float16).mean(), 2),
    ("sum f2", lambda a: a["v"].astype(np.float16).sum(), 2), ("std f2", lambda a: a["v"].astype(np.float16).std(), 2),
    ("var c16", lambda a: (a["v"] + 1j).var(), 2), ("max c16", lambda a: (a["v"] * 1j + 1).max(), 0),
    ("argmax c16", lambda a: (a["v"] * 1j + a["v"]).argmax(), 0), ("sort c16", lambda a: np.sort(a["v"] * 1j + 1), 0),
    ("np.asarray dtype", lambda a: np.asarray(a["v"], dtype=np.float32), 0), ("np.array", lambda a: np.array(a["v"]), 0),
    ("np.array copy=False", lambda a: np.array(a["v"] * 2, copy=False), 0), ("np.asarray i8", lambda a: np.asarray(a["i"], dtype="i1"), 0),
    ("float(2-D size 1)", lambda a: float(a["s"].reshape(1, 1)), 0), ("int(f)", lambda a: int(a["z"] * 1.9), 0),
    ("index(f)", lambda a: __import__("operator").index(a["z"]), 0), ("bool(nan z)", lambda a: bool(a["z"] * np.nan), 0),
    ("np.float64(z)", lambda a: np.float64(a["z"]), 0), ("np.int8(iz)", lambda a: np.int8(a["iz"]), 0),
    ("list(z)", lambda a: list(a["z"]), 0), ("v.astype(str)", lambda a: a["v"].astype(str), 0),
    ("v.astype(object)", lambda a: a["v"].astype(object), 0), ("v.view(i8)", lambda a: a["v"].view(np.int64), 0),
    ("v.byteswap", lambda a: a["v"].byteswap(), 0), ("v.newbyteorder", lambda a: a["v"].view(a["v"].dtype.newbyteorder()), 0),
    ("v.tobytes", lambda a: a["v"].tobytes(), 0), ("v.dtype.type", lambda a: a["v"].dtype.type, 0),
    ("v.sum(out=z)", lambda a: a["v"].sum(out=np.zeros(())), 0), ("max(keepdims) z", lambda a: a["z"].max(keepdims=True), 0),
    ("v.clip(v, v)", lambda a: a["v"].clip(a["v"], a["v"]), 0), ("v.round(out)", lambda a: a["v"].round(out=np.zeros(5)), 0),
    ("np.isnan(v).any()", lambda a: np.isnan(a["v"]).any(), 0), ("np.nonzero(z)", lambda a: np.nonzero(a["iz"] > 0), 0),
    ("argwhere z", lambda a: np.argwhere(a["z"]), 0), ("atleast_2d z", lambda a: np.atleast_2d(a["z"]), 0),
    ("min ?", lambda a: (a["i"] > 1).min(), 0), ("argmin ?", lambda a: (a["i"] > 1).argmin(), 0), ("ptp ?", lambda a: np.ptp(a["i"] > 1), 0),
]


def _fill(v):
    v = v.copy()
    v.fill(3)
    return v


def _sort(v):
    v = v.copy()
    v.sort()
    return v


def _put_oob(v):
    v = v.copy()
    np.put(v, [99], [1.0])
    return v


def sweep_small(t: Tally):
    inputs = {"v": np.array([1.5, -2.0, np.nan, 0.0, 3.25]), "z": np.array(2.5), "s": np.array([7.0]),
              "i": np.array([0, 3, 1, 1, 4]), "e": np.zeros(0), "iz": np.array(3)}
    for name, call, ulp in SMALL_CALLS:
        t.check(name, call, inputs, ulp)


PARTS["small"] = sweep_small


def _updated(fn):
    """A call that writes: into a copy (NumPy's or the LazyArray's), which it returns."""
    def call(a):
        y = a["x"].copy()
        fn(y, a)
        return y
    return call


def _iadd(y, a): y += a["w"]
def _isub_int(y, a): y -= 1
def _imul_float(y, a): y *= 1.5
def _itruediv(y, a): y /= 2
def _ifloordiv(y, a): y //= 2
def _ipow(y, a): y **= 2
def _iand(y, a): y &= 1
def _ilshift(y, a): y <<= 1
def _imatmul(y, a): y @= np.eye(y.shape[-1], dtype=y.dtype)
def _set_neg(y, a): y[-1] = 7
def _set_oob(y, a): y[9] = 7
def _set_slice(y, a): y[1:3] = a["w"][1:3]
def _set_mask(y, a): y[y > 1] = 0
def _set_fancy_dup(y, a): y[[0, 0, 1]] = [5, 6, 7]
def _set_float_into_int(y, a): y[0] = 2.7
def _set_big_int(y, a): y[0] = 300
def _set_nan_into_int(y, a): y[0] = np.nan
def _set_broadcast_bad(y, a): y[:2] = [1, 2, 3, 4, 5, 6, 7]
def _set_lazy_index(y, a): y[a["i"]] = -1
def _add_out(y, a): np.add(y, 1, out=y)
def _add_at(y, a): np.add.at(y, [0, 0, 1], 1)
def _copyto(y, a): np.copyto(y, a["w"], casting="unsafe")
def _fill(y, a): y.fill(2)
def _put_clip(y, a): np.put(y, [-1, 99], [3, 4], mode="clip")
def _place(y, a): np.place(y, y > 1, [9, 8])
def _putmask(y, a): np.putmask(y, y > 1, 0)
def _sort_inplace(y, a): y.sort()
def _clip_out(y, a): np.clip(y, 0, 1, out=y)


UPDATES = [(f.__name__.lstrip("_"), _updated(f)) for f in (
    _iadd, _isub_int, _imul_float, _itruediv, _ifloordiv, _ipow, _iand, _ilshift, _imatmul, _set_neg, _set_oob,
    _set_slice, _set_mask, _set_fancy_dup, _set_float_into_int, _set_big_int, _set_nan_into_int,
    _set_broadcast_bad, _set_lazy_index, _add_out, _add_at, _copyto, _fill, _put_clip, _place, _putmask,
    _sort_inplace, _clip_out)]


def sweep_updates(t: Tally):
    for dt in ["?", "i1", "i8", "u1", "u8", "f2", "f4", "f8", "c16"]:
        x = sweep_vector(dt)
        w = sweep_vector(dt)[::-1].copy()
        for name, call in UPDATES:
            t.check(f"{name} [{np.dtype(dt)}]", call, {"x": x, "w": w, "i": np.array([0, 2])})


def sweep_vector(dt) -> np.ndarray:
    return matrix(dt)[1].copy()


PARTS["updates"] = sweep_updates


EDGE_CALLS = [
    ("sum", lambda a: a["x"].sum(), SUMS), ("prod", lambda a: a["x"].prod(), SUMS), ("min", lambda a: a["x"].min(), 0),
    ("max", lambda a: a["x"].max(), 0), ("argmin", lambda a: a["x"].argmin(), 0), ("argmax", lambda a: a["x"].argmax(), 0),
    ("mean", lambda a: a["x"].mean(), SUMS), ("any", lambda a: a["x"].any(), 0), ("all", lambda a: a["x"].all(), 0),
    ("cumsum", lambda a: a["x"].cumsum(), 0), ("cumprod", lambda a: a["x"].cumprod(), 0), ("ptp", lambda a: np.ptp(a["x"]), 0),
    ("sort", lambda a: np.sort(a["x"]), 0), ("argsort", lambda a: np.argsort(a["x"], kind="stable"), 0),
    ("unique", lambda a: np.unique(a["x"]), 0), ("nanmin", lambda a: np.nanmin(a["x"]), 0),
    ("nanmax", lambda a: np.nanmax(a["x"]), 0), ("nansum", lambda a: np.nansum(a["x"]), SUMS),
    ("nanargmax", lambda a: np.nanargmax(a["x"]), 0), ("count_nonzero", lambda a: np.count_nonzero(a["x"]), 0),
    ("sum 2-D axis0", lambda a: a["x"].reshape(2, -1).sum(axis=0), SUMS),
    ("max 2-D axis1", lambda a: a["x"].reshape(2, -1).max(axis=1), 0),
    ("argmax 2-D axis0", lambda a: a["x"].reshape(2, -1).argmax(axis=0), 0),
    ("min where", lambda a: a["x"].min(where=a["x"] != a["x"][0], initial=a["x"][1]), 0),
    ("abs", lambda a: np.abs(a["x"]), 0), ("negative", lambda a: -a["x"], 0),
    ("astype every", lambda a: tuple(a["x"].astype(d) for d in "? i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8 c8 c16".split()), 0),
    ("clip", lambda a: np.clip(a["x"], a["x"][2], a["x"][3]), 0), ("round 1", lambda a: np.round(a["x"], 1), 0),
    ("isclose", lambda a: np.isclose(a["x"], a["x"][::-1]), 0), ("searchsorted", lambda a: np.searchsorted(np.sort(a["x"]), a["x"]), 0),
    ("bincount", lambda a: np.bincount(np.abs(a["x"].astype(np.int64)) % 7), 0),
    ("x[x.argmax()]", lambda a: a["x"][a["x"].argmax()], 0), ("x == x.max()", lambda a: a["x"] == a["x"].max(), 0),
]


def sweep_edges(t: Tally):
    from sweep_ufuncs import DTYPES, edges
    for dt in DTYPES:
        x = edges(dt)
        x = x[: x.size - x.size % 2]
        for name, call, ulp in EDGE_CALLS:
            t.check(f"{name} [{dt}]", call, {"x": x}, ulp)


PARTS["edges"] = sweep_edges


def sweep_axes(t: Tally, dts=("f8", "i1")):
    """Reductions of a 3-D array (C and transposed) over every axis form, keepdims both ways."""
    names = ["sum", "prod", "min", "max", "mean", "std", "any", "all", "argmax"]
    for dt in dts:
        base = (np.arange(24).reshape(2, 3, 4) % 7 - 3).astype(dt)
        for lname, x in (("C", base), ("T", base.transpose(2, 0, 1))):
            for name in names:
                for axis in (None, 0, 1, 2, -1, (0, 2), (2, 0), (0, 1, 2)):
                    if name == "argmax" and isinstance(axis, tuple):
                        continue
                    for keepdims in (False, True):
                        t.check(f"{name}(axis={axis}, keepdims={keepdims}) [{dt}, {lname}]",
                                lambda a, n=name, ax=axis, k=keepdims: getattr(a["x"], n)(axis=ax, keepdims=k),
                                {"x": x}, SUMS)


PARTS["axes"] = sweep_axes


if __name__ == "__main__":
    for part in sys.argv[1:] or PARTS:
        t, t0 = Tally(), time.time()
        with np.errstate(all="ignore"):
            PARTS[part](t)
        print(t.report(f"{part} ({time.time() - t0:.0f} s)"), flush=True)
