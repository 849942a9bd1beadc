"""Sweep every NumPy ufunc over the dtype matrix, edge values, mixed pairs, weak scalars and keywords, lazy
against NumPy. ``python tools/sweeps/sweep_ufuncs.py [part ...]`` prints the failures and the counts."""
from __future__ import annotations

import itertools
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from harness import Tally  # noqa: E402

DTYPES = [np.dtype(c) for c in "? i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8 c8 c16".split()]
TRANSCENDENTAL = 4


def edges(dt: np.dtype) -> np.ndarray:
    if dt.kind == "b":
        return np.array([False, True, True, False, True, False], dtype=dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = [0, 1, 2, 3, 7, info.max, info.max - 1, 5]
        vals += [-1, -2, -7, info.min, info.min + 1] if dt.kind == "i" else [info.max // 2, 100, 4, 9, 6]
        return np.array(vals, dtype=dt)
    if dt.kind == "f":
        info = np.finfo(dt)
        return np.array([0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.nan, np.inf, -np.inf, info.tiny, info.max,
                         -info.max, info.smallest_subnormal], dtype=dt)
    r = edges(np.dtype(f"f{dt.itemsize // 2}"))
    return (r + 1j * np.roll(r, 3)).astype(dt)


def ufuncs():
    return sorted({v for v in vars(np).values() if isinstance(v, np.ufunc)}, key=lambda u: u.__name__)


def exact(u) -> bool:
    return u.__name__ not in TRANSC


TRANSC = {"sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
          "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2", "power",
          "float_power", "cbrt", "hypot", "arctan2", "sqrt", "reciprocal", "true_divide", "divide"}


def ulp_of(u, dts) -> float:
    if u.__name__ in TRANSC:
        return TRANSCENDENTAL
    return 0


def pair(x: np.ndarray, y: np.ndarray):
    n = max(x.size, y.size)
    return np.resize(x, n), np.resize(y, n)[::-1].copy()


def sweep_unary(t: Tally):
    for u in ufuncs():
        if u.nin != 1:
            continue
        for dt in DTYPES:
            x = edges(dt)
            t.check(f"{u.__name__}({dt})", lambda a, u=u: u(a["x"]), {"x": x}, ulp_of(u, dt))


def sweep_binary_same(t: Tally):
    for u in ufuncs():
        if u.nin != 2:
            continue
        for dt in DTYPES:
            x, y = pair(edges(dt), edges(dt))
            t.check(f"{u.__name__}({dt},{dt})", lambda a, u=u: u(a["x"], a["y"]), {"x": x, "y": y}, ulp_of(u, dt))


MIXED_UFUNCS = ["add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "power", "maximum",
                "minimum", "equal", "less", "bitwise_and", "left_shift", "right_shift", "arctan2", "fmod",
                "logical_and", "copysign", "heaviside", "gcd"]


def sweep_binary_mixed(t: Tally, names=MIXED_UFUNCS):
    for name in names:
        u = getattr(np, name)
        for d1, d2 in itertools.permutations(DTYPES, 2):
            x, y = pair(edges(d1), edges(d2))
            t.check(f"{name}({d1},{d2})", lambda a, u=u: u(a["x"], a["y"]), {"x": x, "y": y}, ulp_of(u, d1))


SCALARS = [0, 1, -1, 127, 128, -129, 255, 256, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -2**63, -2**63 - 1,
           0.5, -0.0, float("nan"), float("inf"), 1e300, 2 + 3j, True, False,
           np.int8(-128), np.uint8(255), np.int64(-1), np.uint64(2**64 - 1), np.float32(0.1), np.float16(2),
           np.float64(-0.0), np.complex64(1 - 1j), np.bool_(True)]
SCALAR_UFUNCS = ["add", "multiply", "true_divide", "floor_divide", "power", "maximum", "equal", "less",
                 "bitwise_xor", "right_shift"]


def sweep_scalars(t: Tally, names=SCALAR_UFUNCS):
    """Array op scalar and scalar op array (NEP 50: Python numbers weak, NumPy scalars strong)."""
    for name in names:
        u = getattr(np, name)
        for dt in DTYPES:
            x = edges(dt)
            for s in SCALARS:
                t.check(f"{name}({dt},{s!r})", lambda a, u=u, s=s: u(a["x"], s), {"x": x}, ulp_of(u, dt))
                t.check(f"{name}({s!r},{dt})", lambda a, u=u, s=s: u(s, a["x"]), {"x": x}, ulp_of(u, dt))


OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b, "&": lambda a, b: a & b,
    "|": lambda a, b: a | b, "^": lambda a, b: a ^ b, "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "<": lambda a, b: a < b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b, ">=": lambda a, b: a >= b,
    "divmod": divmod, "@": lambda a, b: a @ b,
}
UNARY_OPERATORS = {"-": lambda a: -a, "+": lambda a: +a, "~": lambda a: ~a, "abs": abs}


def sweep_operators(t: Tally):
    """Operators, reflected with an ndarray or a scalar on the left."""
    for dt in DTYPES:
        x, y = pair(edges(dt), edges(dt))
        for sym, f in OPERATORS.items():
            t.check(f"x {sym} y ({dt})", lambda a, f=f: f(a["x"], a["y"]), {"x": x, "y": y}, 4)
            t.check(f"ndarray {sym} lazy ({dt})", lambda a, f=f, y=y: f(y, a["x"]), {"x": x}, 4)
            for s in (3, -2.5, np.int16(3), True):
                t.check(f"{s!r} {sym} x ({dt})", lambda a, f=f, s=s: f(s, a["x"]), {"x": x}, 4)
        for sym, f in UNARY_OPERATORS.items():
            t.check(f"{sym}x ({dt})", lambda a, f=f: f(a["x"]), {"x": x})
        t.check(f"x == None ({dt})", lambda a: a["x"] == None, {"x": x})  # noqa: E711
        t.check(f"x != None ({dt})", lambda a: a["x"] != None, {"x": x})  # noqa: E711


def sweep_keywords(t: Tally):
    """out= (ndarray), where=, dtype=, casting=, order= on a few ufuncs over the dtype matrix."""
    for name in ("add", "multiply", "true_divide", "negative", "sqrt", "maximum", "floor_divide", "exp"):
        u = getattr(np, name)
        for dt in DTYPES:
            x, y = pair(edges(dt), edges(dt))
            args = (lambda a: (a["x"],)) if u.nin == 1 else (lambda a: (a["x"], a["y"]))
            ulp = ulp_of(u, dt)
            mask = np.arange(x.size) % 3 == 0
            for odt in ("f8", "i8", "c16", "f4", "?"):
                def with_out(a, u=u, args=args, odt=odt, casting="same_kind"):
                    out = np.full(x.shape, 7, dtype=odt)
                    r = u(*args(a), out=out, casting=casting)
                    return r is out, out
                t.check(f"{name}({dt}) out={odt}", with_out, {"x": x, "y": y}, ulp)
                t.check(f"{name}({dt}) out={odt} unsafe",
                        lambda a, f=with_out: f(a, casting="unsafe"), {"x": x, "y": y}, ulp)
                t.check(f"{name}({dt}) dtype={odt}", lambda a, u=u, args=args, odt=odt: u(*args(a), dtype=odt),
                        {"x": x, "y": y}, ulp)
                t.check(f"{name}({dt}) dtype={odt} unsafe",
                        lambda a, u=u, args=args, odt=odt: u(*args(a), dtype=odt, casting="unsafe"),
                        {"x": x, "y": y}, ulp)

            def with_where(a, u=u, args=args):
                out = np.full(x.shape, 5, dtype=u.resolve_dtypes((x.dtype,) * u.nin + (None,))[-1]
                              if hasattr(u, "resolve_dtypes") else x.dtype)
                return u(*args(a), out=out, where=mask)
            t.check(f"{name}({dt}) where=mask out=", with_where, {"x": x, "y": y}, ulp)
            t.check(f"{name}({dt}) where=lazy mask out=",
                    lambda a, f=with_where: f(a), {"x": x, "y": y, "m": mask}, ulp)
            t.check(f"{name}({dt}) casting=no", lambda a, u=u, args=args: u(*args(a), casting="no"),
                    {"x": x, "y": y}, ulp)
            t.check(f"{name}({dt}) out=(ndarray,) tuple",
                    lambda a, u=u, args=args: u(*args(a), out=(np.zeros(x.shape, "c16"),)), {"x": x, "y": y}, ulp)


def sweep_zero_d(t: Tally):
    """Every ufunc on 0-d arrays of each edge value (lazyarr computes 0-d constant work at build time,
    api/scalar_fold.py: a path of its own), and on elements read from a wrapped array (NumPy scalars)."""
    for u in ufuncs():
        if u.nin > 2 or u.nout != 1:
            continue
        for dt in DTYPES:
            values = edges(dt)
            for k, v in enumerate(values):
                w = values[(k + 3) % values.size]
                inputs = {"x": np.array(v), "y": np.array(w), "v": values}
                if u.nin == 1:
                    t.check(f"{u.__name__}(0-d {dt} {v!r})", lambda a, u=u: u(a["x"]), inputs, ulp_of(u, dt))
                    t.check(f"{u.__name__}(v[{k}] {dt})", lambda a, u=u, k=k: u(a["v"][k]), inputs, ulp_of(u, dt))
                else:
                    t.check(f"{u.__name__}(0-d {dt} {v!r}, {w!r})", lambda a, u=u: u(a["x"], a["y"]), inputs,
                            ulp_of(u, dt))
                    t.check(f"{u.__name__}(v[{k}], 2) {dt}", lambda a, u=u, k=k: u(a["v"][k], 2), inputs,
                            ulp_of(u, dt))


METHOD_UFUNCS = ["add", "multiply", "maximum", "minimum", "fmax", "logical_and", "logical_or", "bitwise_or",
                 "bitwise_xor", "subtract", "true_divide", "power", "hypot", "logaddexp"]


def _at(u):
    def call(a):
        y = a["x"].copy()
        u.at(y, [0, 0, 2], a["x"][1])
        return y
    return call


def sweep_methods(t: Tally):
    """ufunc.reduce / accumulate / outer / reduceat / at over the dtype matrix (edge values), 2-D for reduce."""
    for name in METHOD_UFUNCS:
        u = getattr(np, name)
        for dt in DTYPES:
            x = edges(dt)
            x = x[: x.size - x.size % 2]
            calls = {"reduce": lambda a, u=u: u.reduce(a["x"]), "reduce 2-D axis1": lambda a, u=u: u.reduce(
                         a["x"].reshape(2, -1), axis=1), "reduce keepdims": lambda a, u=u: u.reduce(
                         a["x"].reshape(2, -1), axis=0, keepdims=True),
                     "accumulate": lambda a, u=u: u.accumulate(a["x"]), "outer": lambda a, u=u: u.outer(
                         a["x"][:4], a["x"][-3:]), "reduceat": lambda a, u=u: u.reduceat(a["x"], [0, 2, 1, 5]),
                     "at": _at(u), "reduce dtype": lambda a, u=u: u.reduce(a["x"], dtype=np.float64)}
            for cname, call in calls.items():
                t.check(f"{name}.{cname} [{dt}]", call, {"x": x}, 8 if name in ("add", "multiply", "logaddexp",
                                                                                 "hypot", "power", "true_divide",
                                                                                 "subtract") else 0)


PARTS = {"zerod": sweep_zero_d, "methods": sweep_methods, "unary": sweep_unary, "binary": sweep_binary_same, "mixed": sweep_binary_mixed,
         "scalars": sweep_scalars, "operators": sweep_operators, "keywords": sweep_keywords}

if __name__ == "__main__":
    for part in sys.argv[1:] or PARTS:
        t, t0 = Tally(), time.time()
        with np.errstate(all="ignore"):
            PARTS[part](t)
        print(t.report(f"{part} ({time.time() - t0:.0f} s)"), flush=True)
