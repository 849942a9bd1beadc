"""Tests for lazyarr.scipy_bridge: the contract, bit-equality with SciPy for every bridged loop,
and a Numba disk-cache hit in a second process."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zlib
from pathlib import Path

import numba
import numpy as np
import pytest
import scipy
import scipy.special as sp

import lazyarr.kernels.scipy_bridge as SB
from lazyarr.kernels import scipy_capi as capi

REPO = Path(__file__).resolve().parents[1]
BRIDGED = [(name, loop) for name, loops in sorted(capi.LOOPS.items())
           for loop in loops if loop.cfunc is not None]

# --- inputs -------------------------------------------------------------------------------------

REAL_EDGES = np.array([
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 3.0, -2.5, 10.0, 30.0, 100.0, 1e5,
    np.inf, -np.inf, np.nan, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-10, 1e300,
    1.7976931348623157e308, -1e300,
])
# Beyond C int on purpose: SciPy's 'l' loops must see the C long, not a truncated int.
INT_EDGES = np.array([-2**63, -2**31 - 1, -100, -1, 0, 1, 2, 3, 5, 10, 50,
                      2**31 - 1, 2**31, 2**31 + 5, 2**63 - 1], dtype=np.int64)
_PARTS = np.array([0.0, 1.0, -1.0, 0.5, -2.5, 10.0, np.inf, -np.inf, np.nan, 1e-300, 1e300])
COMPLEX_EDGES = np.empty(_PARTS.size ** 2, complex)
COMPLEX_EDGES.real = np.repeat(_PARTS, _PARTS.size)
COMPLEX_EDGES.imag = np.tile(_PARTS, _PARTS.size)

# Functions whose running time grows with an argument's size (polynomial degree, recurrences,
# series or root-finding iterations): SciPy itself takes minutes or hangs on, say, yn(2**63 - 1, x)
# or hyp1f1(0.8, 8.2, inf) in float32, and pro_cv crashes on huge degrees. Their inputs stay
# within these bounds (nan kept, inf dropped).
MODERATE = {
    **{name: 1e4 for name in capi.LOOPS if name.startswith("eval_")},
    **dict.fromkeys(["chndtrix", "hyp1f1", "hyp2f1", "hyperu", "lpmv", "mathieu_a", "mathieu_b",
                     "ncfdtr", "nctdtrinc", "nctdtrit", "smirnovi", "yn"], 1e3),
    **dict.fromkeys(["obl_cv", "pro_cv"], 100.0),
    "bdtrik": 1e300,  # bdtrik(0.08, 1.8e308, 0.75) does not return
}
# Rows on which SciPy does not return or crashes, whatever their size: name -> predicate on the
# arguments.
AVOID = {
    "nctdtrinc": lambda df, p, t: df < 1e-3,  # nctdtrinc(1e-10, 0, 30)
    "pro_cv": lambda m, n, c: np.isnan(c),  # pro_cv(0, 10, nan) crashes
}


def _edges(char: str) -> np.ndarray:
    return {"l": INT_EDGES, "D": COMPLEX_EDGES, "F": COMPLEX_EDGES}.get(char, REAL_EDGES)


def _random(char: str, rng, n: int) -> np.ndarray:
    if char == "l":
        return rng.integers(-5, 60, n)
    real = np.choose(rng.integers(0, 3, n), [
        rng.uniform(-10, 10, n), rng.uniform(0, 1, n),
        rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-30, 30, n)])
    if char in "FD":
        return real + 1j * np.choose(rng.integers(0, 3, n), [
            rng.uniform(-10, 10, n), rng.uniform(0, 1, n), np.zeros(n)])
    return real


def loop_inputs(name: str, in_chars: str, n_random: int = 300) -> list[np.ndarray]:
    """Each argument runs through all its edge values while the others are random; then rows of
    edge values only; then random rows; then SciPy's own reference-table inputs."""
    rng = np.random.default_rng(zlib.crc32(f"{name} {in_chars}".encode()))
    columns: list[list[np.ndarray]] = [[] for _ in in_chars]
    for k, char in enumerate(in_chars):
        edges = _edges(char)
        for j, other in enumerate(in_chars):
            columns[j].append(edges if j == k else _random(other, rng, edges.size))
    for j, char in enumerate(in_chars):
        columns[j] += [rng.choice(_edges(char), n_random), _random(char, rng, n_random)]
    data = reference_inputs(name, len(in_chars))
    for j in range(len(in_chars)):
        columns[j] += [d[j] for d in data]
    with np.errstate(all="ignore"):
        xs = [np.concatenate(c).astype(ch) for c, ch in zip(columns, in_chars)]
    limit = MODERATE.get(name)
    if limit is not None:
        # via complex: np.abs of int64 -2**63 overflows to a negative number
        keep = np.logical_and.reduce([np.isnan(x) | (np.abs(x.astype(complex)) <= limit)
                                      for x in xs])
        xs = [x[keep] for x in xs]
    if name in AVOID:
        keep = ~AVOID[name](*xs)
        xs = [x[keep] for x in xs]
    return xs


# SciPy's reference tables as extra inputs: ufunc name -> [(file, dataset, argument columns)].
# Only the inputs are used; the bridge is compared with SciPy, not with the tabled values.
REFERENCE_DATA = {
    "beta": [("boost", "beta_exp_data_ipp-beta_exp_data", (0, 1)),
             ("boost", "beta_med_data_ipp-beta_med_data", (0, 1))],
    "betainc": [("boost", f"ibeta_{s}_ipp-ibeta_{s}", (0, 1, 2))
                for s in ("small_data", "data", "int_data", "large_data")],
    "betaincinv": [("boost", "ibeta_inv_data_ipp-ibeta_inv_data", (0, 1, 2))],
    "btdtria": [("boost", "ibeta_inva_data_ipp-ibeta_inva_data", (2, 0, 1))],
    "btdtrib": [("boost", "ibeta_inva_data_ipp-ibeta_inva_data", (0, 2, 1))],
    "binom": [("boost", "binomial_data_ipp-binomial_data", (0, 1)),
              ("boost", "binomial_large_data_ipp-binomial_large_data", (0, 1))],
    "bdtrik": [("boost", "binomial_quantile_ipp-binomial_quantile_data", (2, 0, 1))],
    "nbdtrik": [("boost", "negative_binomial_quantile_ipp-negative_binomial_quantile_data",
                 (2, 0, 1))],
    "cbrt": [("boost", "cbrt_data_ipp-cbrt_data", (1,))],
    "psi": [("boost", f"digamma_{s}_ipp-digamma_{s}", (0,))
            for s in ("data", "neg_data", "root_data", "small_data")],
    "ellipk": [("boost", "ellint_k_data_ipp-ellint_k_data", (0,))],
    "ellipe": [("boost", "ellint_e_data_ipp-ellint_e_data", (0,))],
    "ellipkinc": [("boost", "ellint_f_data_ipp-ellint_f_data", (0, 1)),
                  ("local", "ellipkinc_neg_m", (0, 1))],
    "ellipeinc": [("boost", "ellint_e2_data_ipp-ellint_e2_data", (0, 1)),
                  ("local", "ellipeinc_neg_m", (0, 1))],
    "ellipkm1": [("local", "ellipkm1", (0,))],
    "erf": [("boost", f"erf_{s}_ipp-erf_{s}", (0,)) for s in ("data", "large_data", "small_data")],
    "erfc": [("boost", f"erf_{s}_ipp-erf_{s}", (0,)) for s in ("data", "large_data", "small_data")],
    "erfinv": [("boost", "erf_inv_data_ipp-erf_inv_data", (0,))],
    "erfcinv": [("boost", "erfc_inv_data_ipp-erfc_inv_data", (0,)),
                ("boost", "erfc_inv_big_data_ipp-erfc_inv_big_data", (0,))],
    "exp1": [("boost", "expint_1_data_ipp-expint_1_data", (1,))],
    "expi": [("boost", f"expinti_{s}_ipp-expinti_{s}", (0,))
             for s in ("data", "data_double", "data_long")],
    "expn": [("boost", "expint_small_data_ipp-expint_small_data", (0, 1)),
             ("boost", "expint_data_ipp-expint_data", (0, 1))],
    "gamma": [("boost", f"test_gamma_data_ipp-{s}", (0,))
              for s in ("near_0", "near_1", "near_2", "near_m10", "near_m55", "factorials")],
    "gammaln": [("boost", f"test_gamma_data_ipp-{s}", (0,))
                for s in ("near_0", "near_1", "near_2", "near_m10", "near_m55", "factorials")],
    "gammainc": [("boost", f"igamma_{s}_data_ipp-igamma_{s}_data", (0, 1))
                 for s in ("small", "med", "int", "big")] + [("local", "gammainc", (0, 1))],
    "gammaincc": [("boost", f"igamma_{s}_data_ipp-igamma_{s}_data", (0, 1))
                  for s in ("small", "med", "int", "big")] + [("local", "gammaincc", (0, 1))],
    "gammaincinv": [("boost", f"gamma_inv_{s}data_ipp-gamma_inv_{s}data", (0, 1))
                    for s in ("small_", "", "big_")],
    "gammainccinv": [("boost", f"gamma_inv_{s}data_ipp-gamma_inv_{s}data", (0, 1))
                     for s in ("small_", "", "big_")],
    "poch": [("boost", f"tgamma_delta_ratio_{s}_ipp-tgamma_delta_ratio_{s}", (0, 1))
             for s in ("data", "int", "int2")],
    "eval_hermite": [("boost", "hermite_ipp-hermite", (0, 1))],
    "eval_laguerre": [("boost", "laguerre2_ipp-laguerre2", (0, 1))],
    "eval_genlaguerre": [("boost", "laguerre3_ipp-laguerre3", (0, 1, 2))],
    "eval_legendre": [("boost", "legendre_p_ipp-legendre_p", (0, 1)),
                      ("boost", "legendre_p_large_ipp-legendre_p_large", (0, 1))],
    "log1p": [("boost", "log1p_expm1_data_ipp-log1p_expm1_data", (0,))],
    "expm1": [("boost", "log1p_expm1_data_ipp-log1p_expm1_data", (0,))],
    "iv": [("boost", "bessel_i_data_ipp-bessel_i_data", (0, 1)),
           ("boost", "bessel_i_int_data_ipp-bessel_i_int_data", (0, 1))],
    "jv": [("boost", f"bessel_j_{s}_ipp-bessel_j_{s}", (0, 1))
           for s in ("int_data", "data", "large_data")],
    "kn": [("boost", "bessel_k_int_data_ipp-bessel_k_int_data", (0, 1))],
    "kv": [("boost", "bessel_k_int_data_ipp-bessel_k_int_data", (0, 1)),
           ("boost", "bessel_k_data_ipp-bessel_k_data", (0, 1))],
    "yn": [("boost", "bessel_y01_data_ipp-bessel_y01_data", (0, 1)),
           ("boost", "bessel_yn_data_ipp-bessel_yn_data", (0, 1))],
    "yv": [("boost", "bessel_yn_data_ipp-bessel_yn_data", (0, 1)),
           ("boost", "bessel_yv_data_ipp-bessel_yv_data", (0, 1))],
    "zetac": [("boost", "zeta_data_ipp-zeta_data", (0,)),
              ("boost", "zeta_neg_data_ipp-zeta_neg_data", (0,))],
    "chndtr": [("boost", "nccs_ipp-nccs", (2, 0, 1)), ("boost", "nccs_big_ipp-nccs_big", (2, 0, 1))],
    "owens_t": [("boost", "owens_t_ipp-owens_t", (0, 1)),
                ("boost", "owens_t_large_data_ipp-owens_t_large_data", (0, 1))],
    "elliprc": [("boost", "ellint_rc_data_ipp-ellint_rc_data", (0, 1))],
    "elliprd": [("boost", f"ellint_rd_{s}_ipp-ellint_rd_{s}", (0, 1, 2))
                for s in ("data", "0xy", "0yy", "xxx", "xxz", "xyy")],
    "elliprf": [("boost", f"ellint_rf_{s}_ipp-ellint_rf_{s}", (0, 1, 2))
                for s in ("data", "xxx", "xyy", "xy0", "0yy")],
    "elliprg": [("boost", "ellint_rg_ipp-ellint_rg", (0, 1, 2))]
    + [("boost", f"ellint_rg_{s}_ipp-ellint_rg_{s}", (0, 1, 2)) for s in ("xxx", "xyy", "xy0", "00x")],
    "elliprj": [("boost", "ellint_rj_data_ipp-ellint_rj_data", (0, 1, 2, 3))],
    "mathieu_a": [("gsl", "mathieu_ab", (0, 1))],
    "mathieu_b": [("gsl", "mathieu_ab", (0, 1))],
    "wright_bessel": [("local", "wright_bessel", (0, 1, 2))],
}


@functools.cache
def _table(file: str):
    path = Path(scipy.__file__).parent / "special" / "tests" / "data" / f"{file}.npz"
    return np.load(path) if path.exists() else None


def reference_inputs(name: str, nin: int) -> list[list[np.ndarray]]:
    out = []
    for file, dataset, cols in REFERENCE_DATA.get(name, []):
        table = _table(file)
        if table is not None and dataset in table.files and len(cols) == nin:
            out.append([table[dataset][:, c] for c in cols])
    return out


# --- comparison ---------------------------------------------------------------------------------

def assert_bit_equal(got: np.ndarray, ref: np.ndarray, inputs, label: str) -> None:
    """Same bits, except that any NaN equals any NaN (payloads may differ)."""
    assert got.dtype == ref.dtype, (label, got.dtype, ref.dtype)
    parts = [(got.real, ref.real), (got.imag, ref.imag)] if got.dtype.kind == "c" else [(got, ref)]
    bad = np.zeros(got.shape, bool)
    for g, r in parts:
        g, r = np.ascontiguousarray(g), np.ascontiguousarray(r)
        uint = f"u{g.dtype.itemsize}"
        bad |= (g.view(uint) != r.view(uint)) & ~(np.isnan(g) & np.isnan(r))
    if bad.any():
        rows = np.flatnonzero(bad)[:5]
        shown = [(tuple(x[i] for x in inputs), got[i], ref[i]) for i in rows]
        raise AssertionError(f"{label}: {bad.sum()} of {bad.size} differ, e.g. {shown}")


def scipy_reference(name: str, loop: capi.Loop, xs) -> np.ndarray:
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return capi.UFUNCS[name](*xs, signature=loop.types)


# One small kernel per (function, loop). It reaches the impl as `SB.<attr>`, exactly as the
# generated kernels will, so Numba's global resolution goes through the module __getattr__.
_KERNEL = """
def kernel(out, {params}):
    for i in range(out.size):
        out[i] = SB.{attr}({items})
"""


def compile_loop_kernel(attr: str, nin: int):
    params = ", ".join(f"x{j}" for j in range(nin))
    items = ", ".join(f"x{j}[i]" for j in range(nin))
    namespace = {"SB": SB}
    exec(_KERNEL.format(params=params, attr=attr, items=items), namespace)
    return numba.njit(namespace["kernel"])


# --- every bridged loop, bit for bit ------------------------------------------------------------

# hyp0f1's Cython code reports an internal ZeroDivisionError as "Exception ignored", in SciPy's
# ufunc and in the kernel alike.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("name,loop", BRIDGED, ids=[f"{n}-{lp.types}" for n, lp in BRIDGED])
def test_loop_bit_equal_to_scipy(name, loop):
    attr = SB.impl_attr(capi.UFUNCS[name], loop.in_dtypes)
    xs = loop_inputs(name, loop.in_chars)
    ref = scipy_reference(name, loop, xs)
    out = np.empty(xs[0].size, loop.out_chars)
    with warnings.catch_warnings():
        # The legacy float-for-int loops (yn(2.5, x), bdtr(k, 3.0, p)) warn from C, as SciPy does.
        warnings.simplefilter("ignore")
        compile_loop_kernel(attr, len(xs))(out, *xs)
    assert_bit_equal(out, ref, xs, f"{name} {loop.types}")


def test_yn_long_argument_beyond_c_int():
    """yn is in MODERATE (yn(2**31 - 1, x) recurses for minutes), so its C long handling gets
    its own check: SciPy's 'ld->d' loop passes n as a C long and the C code truncates it."""
    n = np.array([2**31 + 5, -2**31 - 7, 2**32 + 3, 2**40, -2**40, 7], dtype=np.int64)
    x = np.array([0.75, 1.5, 2.0, 0.75, 3.0, 2.5])
    loop = next(lp for lp in capi.LOOPS["yn"] if lp.types == "ld->d")
    out = np.empty(n.size)
    compile_loop_kernel("yn__ld", 2)(out, n, x)
    assert_bit_equal(out, scipy_reference("yn", loop, [n, x]), [n, x], "yn ld->d")


# SciPy's own float32 loops for these do not return on ordinary inputs: nothing to compare.
HANGS_IN_SCIPY = {("obl_cv", "fff->f"), ("pro_cv", "fff->f")}


@pytest.mark.parametrize("name,types", sorted(capi.SINGLE_PRECISION_ONLY - HANGS_IN_SCIPY))
def test_single_precision_loops_really_differ(name, types):
    """Each loop left out as single-precision-only still differs from "double, then round", so
    the table in _scipy_capi is not stale (pure NumPy, no compiling). The widened loops that
    are bridged get compared with SciPy in test_loop_bit_equal_to_scipy."""
    loop = capi.Loop(types, None)
    xs = loop_inputs(name, loop.in_chars)
    narrow = scipy_reference(name, loop, xs)
    wide = scipy_reference(name, capi.Loop(types.translate(str.maketrans("fF", "dD")), None), xs)
    with np.errstate(all="ignore"):
        wide = wide.astype(narrow.dtype)
    assert not ((narrow == wide) | (np.isnan(narrow) & np.isnan(wide))).all()


# --- the contract -------------------------------------------------------------------------------

def test_bridged_names():
    names = SB.bridged_names()
    assert names == sorted(names)
    assert {"erf", "ndtri", "gammaln", "jv", "jn", "psi", "digamma", "hyp2f1", "eval_jacobi",
            "yn", "betainc", "wofz", "elliprj"} <= set(names)
    assert not {"sici", "fresnel", "ellipj", "airy", "kelvin", "pbdv"} & set(names)
    assert all(isinstance(getattr(sp, n), np.ufunc) for n in names)


def test_is_bridged():
    assert SB.is_bridged(sp.erf) and SB.is_bridged(sp.digamma)
    assert not SB.is_bridged(sp.sici)
    assert not SB.is_bridged(np.log1p)  # same name as scipy.special.log1p, other object
    assert not SB.is_bridged(None) and not SB.is_bridged(sp.erf_zeros)


DTYPES = [np.dtype(c) for c in "?bBhHilqLQefdFD"]


def test_resolve_matches_what_the_ufunc_returns():
    """For each bridged ufunc and input dtype, resolve() agrees with calling the ufunc: the same
    output dtype, or TypeError when SciPy has no loop or its loop is not bridged."""
    for name in SB.bridged_names():
        ufunc = getattr(sp, name)
        for dt in DTYPES:
            dtypes = (dt,) * ufunc.nin
            try:  # empty inputs: the loop is chosen but never run (float32 obl_cv would hang)
                expected = ufunc(*[np.empty(0, d) for d in dtypes]).dtype
            except TypeError:
                expected = None
            picked = ufunc.resolve_dtypes(dtypes + (None,)) if expected is not None else None
            bridged = expected is not None and any(
                loop.cfunc is not None and loop.in_dtypes == picked[:ufunc.nin]
                for loop in capi.LOOPS[ufunc.__name__])
            if bridged:
                loop_in, out = SB.resolve(ufunc, dtypes)
                assert out == expected and loop_in == picked[:ufunc.nin], (name, dt)
            else:
                with pytest.raises(TypeError, match=ufunc.__name__):
                    SB.resolve(ufunc, dtypes)


def test_resolve_examples():
    f4, f8, i4 = np.dtype("f4"), np.dtype("f8"), np.dtype("i4")
    assert SB.resolve(sp.erf, (i4,)) == ((f8,), f8)
    assert SB.resolve(sp.ndtri, (np.dtype("i1"),)) == ((f4,), f4)
    assert SB.resolve(sp.yn, (i4, f4)) == ((np.dtype("l"), f8), f8)
    assert SB.resolve(sp.erf, (np.dtype(">f8"),)) == ((f8,), f8)
    assert SB.resolve(sp.hyp2f1, (f4, f4, f4, np.dtype("c8"))) == ((f4, f4, f4, np.dtype("c8")),
                                                                   np.dtype("c8"))
    for ufunc, dtypes, message in [
        (sp.erfinv, ("c16",), "no loop"),
        (sp.expit, ("g",), "long double"),
        (sp.bei, ("f4",), "single precision"),
        (sp.sici, ("f8",), "several outputs"),
        (sp.erf, ("f8", "f8"), "takes 1 inputs"),
        (np.log1p, ("f8",), "not a scipy.special ufunc"),
    ]:
        with pytest.raises(TypeError, match=message):
            SB.resolve(ufunc, [np.dtype(d) for d in dtypes])


def test_impl_attr_and_getattr():
    assert SB.impl_attr(sp.erf, (np.dtype("f8"),)) == "erf__d"
    assert SB.impl_attr(sp.digamma, (np.dtype("c8"),)) == "psi__F"
    assert SB.impl_attr(sp.eval_chebyt, (np.dtype("l"), np.dtype("f8"))) == "eval_chebyt__ld"
    with pytest.raises(TypeError, match="bei"):
        SB.impl_attr(sp.bei, (np.dtype("f4"),))
    with pytest.raises(TypeError):
        SB.impl_attr(sp.erf, (np.dtype("i4"),))  # not a loop; resolve() first
    assert isinstance(SB.ndtri__d, numba.core.registry.CPUDispatcher)
    assert SB.ndtri__d(0.975) == sp.ndtri(0.975)
    assert SB.erf__F(np.complex64(1 + 1j)) == sp.erf(np.complex64(1 + 1j))
    for missing in ("bei__f", "sici__d", "erf__i", "nonsense__d", "__path__"):
        assert not hasattr(SB, missing)
    assert "erf__d" in dir(SB)


def test_cache_token_names_scipy_version():
    assert SB.cache_token().startswith(f"scipy-{scipy.__version__}-")


# --- the disk cache across processes ------------------------------------------------------------

_CACHED_KERNEL = '''
import json, warnings
import numba, numpy as np, scipy.special as sp
import lazyarr.kernels.scipy_bridge as SB

@numba.njit(cache=True, parallel=True)
def kernel(x, n):
    out = np.empty((4, x.size))
    z = np.empty(x.size, np.complex128)
    for i in numba.prange(x.size):
        out[0, i] = SB.ndtri__d(x[i])
        out[1, i] = SB.erf__f(np.float32(x[i]))
        out[2, i] = SB.yn__ld(n[i], 10.0 * x[i])
        # A legacy float-for-int loop: the C code takes the GIL to warn, from worker threads.
        out[3, i] = SB.yn__dd(n[i] + 0.5, 10.0 * x[i])
        z[i] = SB.hyp2f1__dddD(0.5, 1.5, 2.5, x[i] + 0.25j)
    return out, z

if __name__ == "__main__":
    x = np.linspace(1e-6, 1 - 1e-6, 2001)
    n = np.arange(x.size) % 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, z = kernel(x, n)
        ref = [sp.ndtri(x), sp.erf(x.astype(np.float32)), sp.yn(n, 10 * x), sp.yn(n + 0.5, 10 * x)]
        zref = sp.hyp2f1(0.5, 1.5, 2.5, x + 0.25j)
    same = all(np.array_equal(a, np.asarray(b, a.dtype)) for a, b in zip(out, ref))
    same = same and np.array_equal(z, zref) and ref[1].dtype == np.float32
    print(json.dumps({
        "hits": sum(kernel.stats.cache_hits.values()),
        "misses": sum(kernel.stats.cache_misses.values()),
        "impls_built": sorted(a for a in vars(SB) if "__" in a and not a.startswith("_")),
        "same": bool(same),
    }))
'''


def test_kernel_is_disk_cached_across_processes(tmp_path):
    (tmp_path / "cached_kernel.py").write_text(_CACHED_KERNEL)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(REPO), str(tmp_path)]))

    def run() -> dict:
        done = subprocess.run([sys.executable, str(tmp_path / "cached_kernel.py")], env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    first = run()
    assert first["same"] and first["misses"] == 1 and first["hits"] == 0
    assert any((tmp_path / "cache").rglob("*.nbi")), "Numba wrote no cache index"
    second = run()
    assert second["same"], "cached kernel disagrees with SciPy in a new process"
    assert second["hits"] == 1 and second["misses"] == 0
    # Nothing was compiled: not even the bridge's own njit functions were built.
    assert second["impls_built"] == []


def test_docs_list_every_unbridged_function():
    """docs/scipy_bridge.md names every scipy.special ufunc the bridge leaves out entirely."""
    text = (REPO / "docs" / "scipy_bridge.md").read_text()
    for name, loops in capi.LOOPS.items():
        if all(loop.cfunc is None for loop in loops):
            assert f"`{name}`" in text, name
