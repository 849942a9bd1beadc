"""scipy.special ufuncs and scipy.stats.norm inside fused kernels, against SciPy."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import lazyarr as la
from lazyarr.kernels import scipy_bridge
from oracle import assert_same
from values import seeded_rand

EDGES = np.array([0.0, -0.0, 1.0, -1.0, 0.5, 2.5, -3.7, 1e-300, 5e-324, 1e300, -1e300, np.inf, -np.inf, np.nan,
                  20.0, 100.0, 0.999, 1e-8])


def inputs(dt, n_random=40, extreme=True):
    """Edge and random values. Multi-argument functions get moderate values and only the tame edges:
    SciPy itself takes minutes on some of them with arguments like 1e300 (hyp1f1, betaincinv)."""
    rng = np.random.default_rng(13)
    edges = EDGES if extreme else np.array([0.0, 1.0, 0.5, 2.5, np.nan, np.inf, -1.0])
    values = np.concatenate([edges, rng.normal(0, 3, n_random), rng.random(n_random) * 5])
    return values.astype(dt)


# Every bridged function and loop is checked bit for bit by tests/test_scipy_bridge.py with small kernels.
# Here: a sample of each arity through the lazy path, fused with arithmetic, in kernels of at most 12 calls
# (LLVM's compile time grows faster than linearly with kernel size).
SAMPLE = {
    1: ["ndtri", "ndtr", "erf", "erfc", "erfinv", "gammaln", "expit", "logit", "psi", "i0", "j0", "y1",
        "log_ndtr", "erfcx", "spence", "entr", "cosdg", "expm1", "dawsn", "kolmogorov", "ndtri_exp"],
    2: ["xlogy", "xlog1py", "gammainc", "gammaincc", "beta", "betaln", "jv", "kv", "hyp0f1", "rel_entr",
        "powm1", "binom", "poch", "chdtr", "boxcox", "zeta", "stdtridf"],
    3: ["betainc", "betaincinv", "bdtr", "fdtr", "nbdtr", "gdtr", "lpmv", "obl_cv"],
    4: ["hyp2f1", "elliprj"],
}
GROUP = 12  # (hyp1f1 is left out: SciPy itself does not return for some moderate arguments)


def _sample(nin):
    names = [n for n in SAMPLE[nin] if scipy_bridge.is_bridged(getattr(sp, n, None))
             and getattr(sp, n).nin == nin]
    return [getattr(sp, n) for n in names]


@pytest.mark.parametrize("dt", ["f8", "f4"])
@pytest.mark.parametrize("nin,group", [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (4, 0)])
def test_bridged_functions_fused_with_arithmetic_match_scipy(nin, group, dt):
    rng = np.random.default_rng(nin)
    args = [inputs(dt, extreme=nin == 1)] + [rng.permutation(inputs(dt, extreme=False)) for _ in range(nin - 1)]
    exprs, wants, names = [], [], []
    for f in _sample(nin)[group * GROUP:(group + 1) * GROUP]:
        with np.errstate(all="ignore"):
            try:
                want = f(*args)
            except TypeError:
                continue  # no loop for these dtypes (e.g. integer-only arguments): SciPy refuses, so do we
        want = want * 2 + 1
        got = f(*[la.array(a) for a in args]) * 2 + 1  # fused with the arithmetic around it
        exprs.append(got)
        wants.append(want)
        names.append(f.__name__)
    assert exprs or group > 0, "no bridged functions of this arity"
    failures = []
    for name, got, want in zip(names, la.compute(*exprs), wants):
        try:
            assert_same(got, want, what=f"{name}({dt})")  # the same C code: bit for bit
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_integer_argument_functions():
    n = np.arange(0, 12)
    x = np.linspace(0.1, 5, 12)
    for f in (sp.eval_legendre, sp.eval_chebyt, sp.yn, sp.kn, sp.expn):
        if "eval_" in f.__name__:
            want, got = f(n, x / 5), f(la.array(n), la.array(x / 5))
        else:
            want, got = f(n, x), f(la.array(n), la.array(x))
        assert_same(got.compute(), want, what=f.__name__)


def test_complex_variants():
    z = (np.linspace(-2, 2, 15) + 1j * np.linspace(1, -1, 15))
    for f in (sp.erf, sp.wofz, sp.expi, sp.loggamma, sp.gamma, sp.log1p):
        if not scipy_bridge.is_bridged(f):
            continue
        assert_same(f(la.array(z)).compute(), f(z), what=f.__name__)


def test_la_special_namespace_and_explain():
    x = np.linspace(0.05, 0.95, 11)
    assert_same(la.special.ndtri(x).compute(), sp.ndtri(x))
    assert_same(la.special.xlogy(la.array(x), 3.0).compute(), sp.xlogy(x, 3.0))
    e = sp.ndtri(la.array(x)) * 2
    assert "SB.ndtri" in e.explain() and "1 fused kernel" in e.explain()


def test_float32_loops_give_float32_like_scipy():
    x = np.linspace(0.1, 0.9, 9, dtype=np.float32)
    for f in (sp.ndtri, sp.erf, sp.expit, sp.gammaln):
        got = f(la.array(x)).compute()
        assert got.dtype == f(x).dtype == np.float32
        assert_same(got, f(x))


def test_multi_output_scipy_functions_run_as_scipy():
    """No kernel for several outputs: scipy computes them (the NumPy fallback, with its warning)."""
    x = np.linspace(0.5, 2.0, 5)
    with pytest.warns(la.NumPyFallbackWarning, match="sici"):
        si, ci = sp.sici(la.array(x))
    want_si, want_ci = sp.sici(x)
    np.testing.assert_array_equal(np.asarray(si), want_si)
    np.testing.assert_array_equal(np.asarray(ci), want_ci)


Q = np.array([0.0, 1.0, 0.5, 0.1, 0.9, -0.1, 1.5, np.nan, 1e-300, 1 - 1e-16, 0.025, 0.975])
X = np.array([-np.inf, -40.0, -1.0, -0.0, 0.0, 1.5, 40.0, np.inf, np.nan, 1e-8, -7.5, 38.0])
PARAMS = [(0.0, 1.0), (2.0, 3.0), (-1.5, 0.25), (0.0, -1.0), (0.0, 0.0), (np.nan, 1.0), (1.0, np.nan)]


@pytest.mark.parametrize("method", ["ppf", "isf", "cdf", "sf", "logcdf", "logsf", "pdf", "logpdf"])
@pytest.mark.parametrize("loc,scale", PARAMS)
def test_norm_matches_scipy_stats_exactly(method, loc, scale):
    arg = Q if method in ("ppf", "isf") else X
    with np.errstate(all="ignore"):
        want = getattr(st.norm, method)(arg, loc, scale)
    got = getattr(la.stats.norm, method)(la.array(arg), loc, scale).compute()
    assert_same(got, want, what=f"norm.{method}(loc={loc}, scale={scale})")


def test_norm_with_array_loc_scale_and_float32_input():
    rng = np.random.default_rng(14)
    q = rng.random((4, 5)).astype(np.float32)
    loc, scale = rng.normal(size=5), np.abs(rng.normal(size=(4, 1))) + 0.1
    for method in ("isf", "ppf"):
        assert_same(getattr(la.stats.norm, method)(la.array(q), la.array(loc), scale).compute(),
                    getattr(st.norm, method)(q, loc, scale), what=method)
    x = rng.normal(size=(4, 5))
    assert_same(la.stats.norm.cdf(la.array(x), loc, la.array(scale)).compute(), st.norm.cdf(x, loc, scale))


def test_norm_isf_is_one_fused_kernel():
    e = la.stats.norm.isf(la.array(seeded_rand(1, 100)))
    assert e.explain().count("def kernel(") == 1
