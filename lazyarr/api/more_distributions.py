"""(s16 stats2) More of scipy.stats' continuous distributions for the table of ``api/distributions.py``.

Each record is SciPy 1.17's ``<name>_gen`` (scipy/stats/_continuous_distns.py): its ``_pdf``, ``_logpdf``,
``_cdf``, ... written with the same operations in the same order, and what the class overrides besides them
(``_argcheck``, ``_get_support``, ``_support_mask``). A method SciPy computes numerically (rv_continuous's
root finding for a missing ``_ppf``) or with in-place code around its private ufuncs (invgauss's ``_ppf``,
skewnorm's ``_cdf``) is named in ``scipy_own``: lazyarr runs SciPy's own method for it (``api/continuous.py``),
so the answer is SciPy's, not fused.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.special as sc
from scipy.special import _ufuncs as scu

from lazyarr.api.distributions import DiscreteDistribution, Distribution, norm_logpdf, norm_pdf, off_ends, apply_where

_SQRT_2_OVER_PI = 0.7978845608028654        # scipy.stats._constants
_LOG_SQRT_2_OVER_PI = -0.22579135264472744
INF = math.inf


def _norm_sf(x):
    return sc.ndtr(-x)


def _norm_isf(q):
    return -sc.ndtri(q)


def _norm_logsf(x):
    return sc.log_ndtr(-x)


# -- burr with d = 1 (fisk) -----------------------------------------------------------------------------------
def _burr_pdf(x, c, d):
    return apply_where(x == 0, (x, c, d),
                       lambda x_, c_, d_: c_ * d_ * (x_**(c_*d_-1)) / (1 + x_**c_),
                       lambda x_, c_, d_: (c_ * d_ * (x_ ** (-c_ - 1.0)) / ((1 + x_ ** (-c_)) ** (d_ + 1.0))))


def _burr_logpdf(x, c, d):
    return apply_where(x == 0, (x, c, d),
                       lambda x_, c_, d_: (np.log(c_) + np.log(d_) + sc.xlogy(c_*d_ - 1, x_)
                                           - (d_+1) * sc.log1p(x_**(c_))),
                       lambda x_, c_, d_: (np.log(c_) + np.log(d_) + sc.xlogy(-c_ - 1, x_)
                                           - sc.xlog1py(d_+1, x_**(-c_))))


def _burr_logsf(x, c, d):
    return np.log1p(- (1 + x**(-c))**(-d))


def _burr_isf(q, c, d):
    _q = sc.xlog1py(-1.0 / d, -q)
    return sc.expm1(_q) ** (-1.0 / c)


# -- others ---------------------------------------------------------------------------------------------------
def _pow1pm1(x, y):
    return np.expm1(sc.xlog1py(y, x))


def _exponweib_logpdf(x, a, c):
    negxc = -x**c
    exm1c = -sc.expm1(negxc)
    return (np.log(a) + np.log(c) + sc.xlogy(a - 1.0, exm1c) + negxc + sc.xlogy(c - 1.0, x))


def _gennorm_logpdf(x, beta):
    return np.log(0.5*beta) - sc.gammaln(1.0/beta) - abs(x)**beta


def _gennorm_cdf(x, beta):
    c = 0.5 * np.sign(x)
    return (0.5 + c) - c * sc.gammaincc(1.0/beta, abs(x)**beta)


def _gennorm_ppf(x, beta):
    c = np.sign(x - 0.5)
    return c * sc.gammainccinv(1.0/beta, (1.0 + c) - 2.0*c*x)**(1.0/beta)


def _dweibull_cdf(x, c):
    Cx1 = 0.5 * np.exp(-abs(x)**c)
    return np.where(x > 0, 1 - Cx1, Cx1)


def _dweibull_sf(x, c):
    half_weibull_min_sf = 0.5 * np.exp(-pow(np.abs(x), c))    # weibull_min._sf
    return np.where(x > 0, half_weibull_min_sf, 1 - half_weibull_min_sf)


def _dweibull_ppf(q, c):
    fac = 2. * np.where(q <= 0.5, q, 1. - q)
    fac = np.power(-np.log(fac), 1.0 / c)
    return np.where(q > 0.5, fac, -fac)


def _dweibull_isf(q, c):
    double_q = 2. * np.where(q <= 0.5, q, 1. - q)
    weibull_min_isf = (-np.log(double_q))**(1/c)               # weibull_min._isf
    return np.where(q > 0.5, -weibull_min_isf, weibull_min_isf)


def _lazyselect(conditions, choices, x, c):
    """scipy._lib._util._lazyselect: each choice placed where its condition holds, in order (a later one
    overwrites an earlier one), 0 where none does."""
    out = 0.0
    for cond, choice in zip(conditions, choices):
        out = np.where(cond, choice(x, c), out)
    return out


def _triang_pdf(x, c):
    return _lazyselect([c == 0, x < c, (x >= c) & (c != 1), c == 1],
                       [lambda x, c: 2 - 2 * x, lambda x, c: 2 * x / c,
                        lambda x, c: 2 * (1 - x) / (1 - c), lambda x, c: 2 * x], x, c)


def _triang_cdf(x, c):
    return _lazyselect([c == 0, x < c, (x >= c) & (c != 1), c == 1],
                       [lambda x, c: 2*x - x*x, lambda x, c: x * x / c,
                        lambda x, c: (x*x - 2*x + c) / (c-1), lambda x, c: x * x], x, c)


def _invgauss_logcdf(x, mu):
    fac = 1 / np.sqrt(x)
    a = sc.log_ndtr(fac * (x/mu - 1))
    b = 2 / mu + sc.log_ndtr(-fac * (x/mu + 1))
    return a + np.log1p(np.exp(b - a))


def _invgauss_logsf(x, mu):
    fac = 1 / np.sqrt(x)
    a = _norm_logsf(fac * (x/mu - 1))
    b = 2 / mu + sc.log_ndtr(-fac * (x/mu + 1))
    return a + np.log1p(-np.exp(b - a))


def _invgauss_pdf(x, mu):
    return 1.0/np.sqrt(2*np.pi*x**3.0)*np.exp(-1.0/(2*x)*(x/mu - 1)**2)


def _invgauss_logpdf(x, mu):
    return -0.5*np.log(2*np.pi) - 1.5*np.log(x) - (x/mu - 1)**2/(2*x)


def _genpareto_logpdf(x, c):
    return apply_where((x == x) & (c != 0), (x, c), lambda x, c: -sc.xlog1py(c + 1., c*x) / c, fill_value=-x)


def _genpareto_logsf(x, c):
    return apply_where((x == x) & (c != 0), (x, c), lambda x, c: -sc.log1p(c*x) / c, fill_value=-x)


def _genpareto_support(c):
    return 0.0 * (c == c), apply_where(c < 0, (c,), lambda c: -1. / c, fill_value=np.inf)


def _skewnorm_pdf(x, a):
    return apply_where(a == 0, (x, a), lambda x, a: norm_pdf(x), lambda x, a: 2.*norm_pdf(x)*sc.ndtr(a*x))


def _skewnorm_logpdf(x, a):
    return apply_where(a == 0, (x, a), lambda x, a: norm_logpdf(x),
                       lambda x, a: np.log(2)+norm_logpdf(x)+sc.log_ndtr(a*x))


_NUMERICAL_QUANTILES = frozenset({"ppf", "isf", "logcdf", "logsf"})  # (logcdf/logsf: their median is ppf(0.5))
_FINITE = np.isfinite

MORE = (
    Distribution("rayleigh", (), 0.0, INF,
                 pdf=lambda r: np.exp(np.log(r) - 0.5 * r * r), logpdf=lambda r: np.log(r) - 0.5 * r * r,
                 cdf=lambda r: -sc.expm1(-0.5 * r**2), sf=lambda r: np.exp(-0.5 * r * r),
                 logsf=lambda r: -0.5 * r * r,
                 ppf=lambda q: np.sqrt(-2 * sc.log1p(-q)), isf=lambda q: np.sqrt(-2 * np.log(q)),
                 open_density=True),
    Distribution("halfnorm", (), 0.0, INF,
                 pdf=lambda x: np.sqrt(2.0/np.pi)*np.exp(-x*x/2.0),
                 logpdf=lambda x: 0.5 * np.log(2.0/np.pi) - x*x/2.0,
                 cdf=lambda x: sc.erf(x / np.sqrt(2)), sf=lambda x: 2 * _norm_sf(x),
                 ppf=lambda q: sc.ndtri((1+q)/2.0), isf=lambda p: _norm_isf(p/2)),
    Distribution("foldnorm", ("c",), 0.0, INF,
                 pdf=lambda x, c: norm_pdf(x + c) + norm_pdf(x-c),
                 cdf=lambda x, c: 0.5 * (sc.erf((x - c)/np.sqrt(2)) + sc.erf((x + c)/np.sqrt(2))),
                 sf=lambda x, c: _norm_sf(x - c) + _norm_sf(x + c),
                 argcheck=lambda c: c >= 0, scipy_own=_NUMERICAL_QUANTILES),
    Distribution("invgamma", ("a",), 0.0, INF,
                 pdf=lambda x, a: np.exp(-(a+1) * np.log(x) - sc.gammaln(a) - 1.0/x),
                 logpdf=lambda x, a: -(a+1) * np.log(x) - sc.gammaln(a) - 1.0/x,
                 cdf=lambda x, a: sc.gammaincc(a, 1.0 / x), sf=lambda x, a: sc.gammainc(a, 1.0 / x),
                 ppf=lambda q, a: 1.0 / sc.gammainccinv(a, q), isf=lambda q, a: 1.0 / sc.gammaincinv(a, q),
                 open_density=True),
    Distribution("lomax", ("c",), 0.0, INF,
                 pdf=lambda x, c: c*1.0/(1.0+x)**(c+1.0), logpdf=lambda x, c: np.log(c) - (c+1)*sc.log1p(x),
                 cdf=lambda x, c: -sc.expm1(-c*sc.log1p(x)), sf=lambda x, c: np.exp(-c*sc.log1p(x)),
                 logsf=lambda x, c: -c*sc.log1p(x),
                 ppf=lambda q, c: sc.expm1(-sc.log1p(-q)/c), isf=lambda q, c: q**(-1.0 / c) - 1),
    Distribution("fisk", ("c",), 0.0, INF,
                 pdf=lambda x, c: _burr_pdf(x, c, 1.0), logpdf=lambda x, c: _burr_logpdf(x, c, 1.0),
                 cdf=lambda x, c: (1 + x**(-c))**(-1.0), logcdf=lambda x, c: sc.log1p(x**(-c)) * (-1.0),
                 sf=lambda x, c: np.exp(_burr_logsf(x, c, 1.0)), logsf=lambda x, c: _burr_logsf(x, c, 1.0),
                 ppf=lambda q, c: (q**(-1.0/1.0) - 1)**(-1.0/c), isf=lambda q, c: _burr_isf(q, c, 1.0)),
    Distribution("maxwell", (), 0.0, INF,
                 pdf=lambda x: _SQRT_2_OVER_PI*x*x*np.exp(-x*x/2.0),
                 logpdf=lambda x: _LOG_SQRT_2_OVER_PI + 2*np.log(x) - 0.5*x*x,
                 cdf=lambda x: sc.gammainc(1.5, x*x/2.0), sf=lambda x: sc.gammaincc(1.5, x*x/2.0),
                 ppf=lambda q: np.sqrt(2*sc.gammaincinv(1.5, q)), isf=lambda q: np.sqrt(2*sc.gammainccinv(1.5, q))),
    Distribution("levy", (), 0.0, INF,
                 pdf=lambda x: 1 / np.sqrt(2*np.pi*x) / x * np.exp(-1/(2*x)),
                 cdf=lambda x: sc.erfc(np.sqrt(0.5 / x)), sf=lambda x: sc.erf(np.sqrt(0.5 / x)),
                 ppf=lambda q: 1.0 / (_norm_isf(q/2) * _norm_isf(q/2)), isf=lambda p: 1/(2*sc.erfinv(p)**2),
                 open_density=True),
    Distribution("powerlaw", ("a",), 0.0, 1.0,
                 pdf=lambda x, a: a*x**(a-1.0), logpdf=lambda x, a: np.log(a) + sc.xlogy(a - 1, x),
                 cdf=lambda x, a: x**(a*1.0), logcdf=lambda x, a: a*np.log(x), sf=lambda p, a: -sc.powm1(p, a),
                 ppf=lambda q, a: pow(q, 1.0/a),
                 density_mask=lambda x, a: (x != 0) | (a >= 1)),
    Distribution("exponweib", ("a", "c"), 0.0, INF,
                 pdf=lambda x, a, c: np.exp(_exponweib_logpdf(x, a, c)), logpdf=_exponweib_logpdf,
                 cdf=lambda x, a, c: (-sc.expm1(-x**c))**a, sf=lambda x, a, c: -_pow1pm1(-np.exp(-x**c), a),
                 ppf=lambda q, a, c: (-sc.log1p(-q**(1.0/a)))**(1.0/c),
                 isf=lambda p, a, c: (-np.log(-_pow1pm1(-p, 1/a)))**(1/c)),
    Distribution("gompertz", ("c",), 0.0, INF,
                 pdf=lambda x, c: np.exp(np.log(c) + x - c * sc.expm1(x)),
                 logpdf=lambda x, c: np.log(c) + x - c * sc.expm1(x),
                 cdf=lambda x, c: -sc.expm1(-c * sc.expm1(x)), sf=lambda x, c: np.exp(-c * sc.expm1(x)),
                 ppf=lambda q, c: sc.log1p(-1.0 / c * sc.log1p(-q)), isf=lambda p, c: sc.log1p(-np.log(p)/c)),
    Distribution("gennorm", ("beta",), -INF, INF,
                 pdf=lambda x, beta: np.exp(_gennorm_logpdf(x, beta)), logpdf=_gennorm_logpdf,
                 cdf=_gennorm_cdf, sf=lambda x, beta: _gennorm_cdf(-x, beta),
                 ppf=_gennorm_ppf, isf=lambda x, beta: -_gennorm_ppf(x, beta)),
    Distribution("dweibull", ("c",), -INF, INF,
                 pdf=lambda x, c: c / 2.0 * abs(x)**(c-1.0) * np.exp(-abs(x)**c),
                 logpdf=lambda x, c: np.log(c) - np.log(2.0) + sc.xlogy(c - 1.0, abs(x)) - abs(x)**c,
                 cdf=_dweibull_cdf, sf=_dweibull_sf, ppf=_dweibull_ppf, isf=_dweibull_isf),
    Distribution("triang", ("c",), 0.0, 1.0,
                 pdf=_triang_pdf, cdf=_triang_cdf,
                 ppf=lambda q, c: np.where(q < c, np.sqrt(c * q), 1-np.sqrt((1-c) * (1-q))),
                 argcheck=lambda c: (c >= 0) & (c <= 1)),
    Distribution("truncexpon", ("b",), 0.0, INF,
                 pdf=lambda x, b: np.exp(-x)/(-sc.expm1(-b)), logpdf=lambda x, b: -x - np.log(-sc.expm1(-b)),
                 cdf=lambda x, b: sc.expm1(-x)/sc.expm1(-b), sf=lambda x, b: (np.exp(-b) - np.exp(-x))/sc.expm1(-b),
                 ppf=lambda q, b: -sc.log1p(q*sc.expm1(-b)), isf=lambda q, b: -np.log(np.exp(-b) - q * sc.expm1(-b)),
                 support=lambda b: (0.0, b)),
    Distribution("genpareto", ("c",), 0.0, INF,
                 pdf=lambda x, c: np.exp(_genpareto_logpdf(x, c)), logpdf=_genpareto_logpdf,
                 cdf=lambda x, c: -sc.inv_boxcox1p(-x, -c), sf=lambda x, c: sc.inv_boxcox(-x, -c),
                 logsf=_genpareto_logsf,
                 ppf=lambda q, c: -sc.boxcox1p(-q, -c), isf=lambda q, c: -sc.boxcox(q, -c),
                 argcheck=_FINITE, support=_genpareto_support),
    Distribution("invgauss", ("mu",), 0.0, INF,
                 pdf=_invgauss_pdf, logpdf=_invgauss_logpdf,
                 cdf=lambda x, mu: np.exp(_invgauss_logcdf(x, mu)), logcdf=_invgauss_logcdf,
                 sf=lambda x, mu: np.exp(_invgauss_logsf(x, mu)), logsf=_invgauss_logsf,
                 open_density=True, scipy_own=frozenset({"ppf", "isf"})),
    Distribution("wald", (), 0.0, INF,
                 pdf=lambda x: _invgauss_pdf(x, 1.0), logpdf=lambda x: _invgauss_logpdf(x, 1.0),
                 cdf=lambda x: np.exp(_invgauss_logcdf(x, 1.0)), logcdf=lambda x: _invgauss_logcdf(x, 1.0),
                 sf=lambda x: np.exp(_invgauss_logsf(x, 1.0)), logsf=lambda x: _invgauss_logsf(x, 1.0),
                 open_density=True, scipy_own=frozenset({"ppf", "isf"})),
    Distribution("skewnorm", ("a",), -INF, INF,
                 pdf=_skewnorm_pdf, logpdf=_skewnorm_logpdf,
                 argcheck=_FINITE, scipy_own=frozenset({"cdf", "sf", "ppf", "isf", "logcdf", "logsf"})),
    Distribution("nakagami", ("nu",), 0.0, INF,
                 pdf=lambda x, nu: np.exp(np.log(2) + sc.xlogy(nu, nu) - sc.gammaln(nu) + sc.xlogy(2*nu - 1, x)
                                          - nu*x**2),
                 logpdf=lambda x, nu: (np.log(2) + sc.xlogy(nu, nu) - sc.gammaln(nu) + sc.xlogy(2*nu - 1, x)
                                       - nu*x**2),
                 cdf=lambda x, nu: sc.gammainc(nu, nu*x*x), sf=lambda x, nu: sc.gammaincc(nu, nu*x*x),
                 ppf=lambda q, nu: np.sqrt(1.0/nu*sc.gammaincinv(nu, q)),
                 isf=lambda p, nu: np.sqrt(1/nu * sc.gammainccinv(nu, p))),
    Distribution("rice", ("b",), 0.0, INF,
                 pdf=lambda x, b: x * np.exp(-(x-b)*(x-b)/2.0) * sc.i0e(x*b),
                 cdf=lambda x, b: sc.chndtr(np.square(x), 2, np.square(b)),
                 ppf=lambda q, b: np.sqrt(sc.chndtrix(q, 2, np.square(b))),
                 argcheck=lambda b: b >= 0),
)


# -- discrete (scipy/stats/_discrete_distns.py) ---------------------------------------------------------------
def _geom_cdf(x, p):
    k = np.floor(x)
    return -sc.expm1(sc.log1p(-p)*k)


def _geom_logsf(x, p):
    k = np.floor(x)
    return k*sc.log1p(-p)


def _geom_ppf(q, p):
    vals = np.ceil(sc.log1p(-q) / sc.log1p(-p))
    temp = _geom_cdf(vals-1, p)
    return np.where((temp >= q) & (vals > 0), vals-1, vals)


def _in_domain(p, ok, fill):
    """Boost's quantiles raise for parameters outside their domain (nbinom's p = 0: OverflowError). SciPy never
    asks there (its argcheck fails), but a SciPy stage is evaluated on every element: those are replaced by
    `fill` first (the wrapper discards what comes back for them)."""
    if not hasattr(p, "_node"):
        return p if np.all(ok(p)) else type(p)(fill) if isinstance(p, np.generic) else fill
    return np.where(ok(p), p, fill)


def _nbinom_quantile(f, q, n, p):
    return f(off_ends(q), _in_domain(n, lambda n: n > 0, 1.0), _in_domain(p, lambda p: (p > 0) & (p <= 1), 0.5))


def _nbinom_logpmf(x, n, p):
    coeff = sc.gammaln(n+x) - sc.gammaln(x+1) - sc.gammaln(n)
    return coeff + n*np.log(p) + sc.xlog1py(x, -p)


def _nbinom_logcdf(x, n, p):
    """nbinom._logcdf: log1p(-betainc(k + 1, n, 1 - p)) where the cdf is above 1/2, log(cdf) elsewhere (SciPy
    writes the two into its cdf array in place)."""
    k = np.floor(x)
    cdf = scu._nbinom_cdf(k, n, p)
    return np.where(cdf > 0.5, np.log1p(-sc.betainc(k + 1, n, 1 - p)), np.log(cdf))


def _binom_logpmf_n1(x, p):
    k = np.floor(x)
    combiln = (sc.gammaln(1+1) - (sc.gammaln(k+1) + sc.gammaln(1-k+1)))
    return combiln + sc.xlogy(k, p) + sc.xlog1py(1-k, -p)


def _isintegral(x):
    return x == np.round(x)


def _as_int64(v):
    """``np.asarray(high, dtype=np.int64)``: a cast (truncating), of a node or of a value."""
    return v.astype(np.int64) if hasattr(v, "_node") else np.asarray(v, dtype=np.int64)


def _randint_pmf(k, low, high):
    p = np.ones_like(k) / (_as_int64(high) - low)
    return np.where((k >= low) & (k < high), p, 0.)


def _randint_cdf(x, low, high):
    k = np.floor(x)
    return (k - low + 1.) / (high - low)


def _randint_ppf(q, low, high):
    vals = np.ceil(q * (high - low) + low) - 1
    vals1 = np.clip(vals - 1, low, high)
    temp = _randint_cdf(vals1, low, high)
    return np.where(temp >= q, vals1, vals)


def _hypergeom_argcheck(M, n, N):
    cond = (M > 0) & (n >= 0) & (N >= 0)
    cond = cond & (n <= M) & (N <= M)
    return cond & _isintegral(M) & _isintegral(n) & _isintegral(N)


def _hypergeom_logpmf(k, M, n, N):
    tot, good = M, n
    bad = tot - good
    return (sc.betaln(good+1, 1) + sc.betaln(bad+1, 1) + sc.betaln(tot-N+1, N+1) -
            sc.betaln(k+1, good-k+1) - sc.betaln(N-k+1, bad-N+k+1) - sc.betaln(tot+1, 1))


def _dlaplace_cdf(x, a):
    k = np.floor(x)
    return apply_where(k >= 0, (k, a), lambda k, a: 1.0 - np.exp(-a * k) / (np.exp(a) + 1),
                       lambda k, a: np.exp(a * (k + 1)) / (np.exp(a) + 1))


def _dlaplace_ppf(q, a):
    const = 1 + np.exp(a)
    vals = np.ceil(np.where(q < 1.0 / (1 + np.exp(-a)), np.log(q*const) / a - 1, -np.log((1-q) * const) / a))
    vals1 = vals - 1
    return np.where(_dlaplace_cdf(vals1, a) >= q, vals1, vals)


_TINY = 1e-100  # logser._sf's


MORE_DISCRETE = (
    DiscreteDistribution("geom", ("p",), 1, lambda p: np.inf, lambda p: (p <= 1) & (p > 0),
                         pmf=lambda k, p: np.power(1-p, k-1) * p,
                         logpmf=lambda k, p: sc.xlog1py(k - 1, -p) + np.log(p),
                         cdf=_geom_cdf, sf=lambda x, p: np.exp(_geom_logsf(x, p)), logsf=_geom_logsf,
                         ppf=_geom_ppf),
    DiscreteDistribution("nbinom", ("n", "p"), 0, lambda n, p: np.inf, lambda n, p: (n > 0) & (p > 0) & (p <= 1),
                         pmf=lambda x, n, p: scu._nbinom_pmf(x, n, p), logpmf=_nbinom_logpmf,
                         cdf=lambda x, n, p: scu._nbinom_cdf(np.floor(x), n, p), logcdf=_nbinom_logcdf,
                         sf=lambda x, n, p: scu._nbinom_sf(np.floor(x), n, p),
                         ppf=lambda q, n, p: _nbinom_quantile(scu._nbinom_ppf, q, n, p),
                         isf=lambda q, n, p: _nbinom_quantile(scu._nbinom_isf, q, n, p)),
    DiscreteDistribution("bernoulli", ("p",), 0, lambda p: 1, lambda p: (p >= 0) & (p <= 1),
                         pmf=lambda x, p: scu._binom_pmf(x, 1, p), logpmf=_binom_logpmf_n1,
                         cdf=lambda x, p: scu._binom_cdf(np.floor(x), 1, p),
                         sf=lambda x, p: scu._binom_sf(np.floor(x), 1, p),
                         ppf=lambda q, p: scu._binom_ppf(off_ends(q), 1, p), isf=lambda q, p: scu._binom_isf(off_ends(q), 1, p)),
    DiscreteDistribution("randint", ("low", "high"), 0, lambda low, high: high - 1,
                         lambda low, high: (high > low) & _isintegral(low) & _isintegral(high),
                         pmf=_randint_pmf, logpmf=None, cdf=_randint_cdf, sf=None, ppf=_randint_ppf,
                         lower=lambda low, high: low),
    DiscreteDistribution("hypergeom", ("M", "n", "N"), 0, lambda M, n, N: np.minimum(n, N), _hypergeom_argcheck,
                         pmf=lambda k, M, n, N: scu._hypergeom_pmf(k, n, N, M), logpmf=_hypergeom_logpmf,
                         cdf=lambda k, M, n, N: scu._hypergeom_cdf(k, n, N, M),
                         sf=lambda k, M, n, N: scu._hypergeom_sf(k, n, N, M), ppf=None,
                         lower=lambda M, n, N: np.maximum(N-(M-n), 0),
                         scipy_own=frozenset({"logcdf", "logsf", "ppf", "isf"})),
    DiscreteDistribution("logser", ("p",), 1, lambda p: np.inf, lambda p: (p > 0) & (p < 1),
                         pmf=lambda k, p: -np.power(p, k) * 1.0 / k / sc.log1p(-p), logpmf=None,
                         cdf=None, ppf=None,
                         sf=lambda k, p: -sc.betainc(k+1, _TINY, p) * sc.beta(k+1, _TINY) / np.log1p(-p),
                         scipy_own=frozenset({"cdf", "logcdf", "ppf", "isf"})),
    DiscreteDistribution("dlaplace", ("a",), -INF, lambda a: np.inf, lambda a: a > 0,
                         pmf=lambda k, a: np.tanh(a/2.0) * np.exp(-a * abs(k)), logpmf=None,
                         cdf=_dlaplace_cdf, sf=None, ppf=_dlaplace_ppf),
)
