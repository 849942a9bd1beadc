"""The continuous distributions of scipy.stats as one table: each entry is SciPy's own standard form.

An entry holds what ``scipy.stats.<name>_gen`` defines: the shape parameters, the support ``[a, b]`` of the
standard (loc=0, scale=1) distribution, and the methods SciPy writes as expressions (``_pdf``, ``_logpdf``,
``_cdf``, ``_logcdf``, ``_sf``, ``_logsf``, ``_ppf``, ``_isf``): SciPy 1.17's formulas (scipy/stats/
_continuous_distns.py), written with the same operations in the same order, so the same NumPy/SciPy functions
give the same bits.
A method SciPy does not define is ``None``: ``api/continuous.py`` derives it the way rv_continuous does
(``logpdf = log(pdf)``, ``sf = 1 - cdf``, ``isf = ppf(1 - q)``, logcdf/logsf split at the median). The
functions take NumPy values or LazyArrays alike: on LazyArrays every NumPy ufunc and scipy.special ufunc is a
graph node (``__array_ufunc__``), so the whole method becomes part of one fused kernel.

The argument check is SciPy's default for all of them (every shape parameter > 0), so the table has no column
for it; the supports do not depend on the shapes. The four private ufuncs SciPy calls (``_beta_pdf``,
``_beta_ppf``, ``_cauchy_ppf``, ``_cauchy_isf``, Boost/xsf code not in ``scipy.special.cython_special``) cannot be
called from a kernel: they run as SciPy stages between kernels (``explain()`` shows them).
"""
from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
import scipy.special as sc
from scipy.special import _ufuncs as scu

_norm_pdf_C = np.sqrt(2 * np.pi)       # scipy.stats' own constants, computed as SciPy computes them
_norm_pdf_logC = np.log(_norm_pdf_C)
_LOG_PI = 1.1447298858494002           # scipy.stats._constants._LOG_PI


class Distribution(NamedTuple):
    name: str
    shapes: tuple[str, ...]
    a: float                        # support of the standard form (SciPy's ``self.a``, ``self.b``)
    b: float
    pdf: Callable | None = None
    logpdf: Callable | None = None
    cdf: Callable | None = None
    logcdf: Callable | None = None
    sf: Callable | None = None
    logsf: Callable | None = None
    ppf: Callable | None = None
    isf: Callable | None = None
    open_density: bool = False      # pdf/logpdf on the open support (SciPy's ``_support_mask = _open_support_mask``)
    # The standard ppf/isf give SciPy's fills themselves (the support's ends at q = 0 and 1, nan outside [0, 1]
    # and for nan: ndtri, logit do): with valid concrete parameters the kernel needs no selects around them.
    quantile_edges: bool = False
    # (s16) what SciPy's class overrides besides the methods: its own ``_argcheck`` (None: every shape > 0),
    # ``_get_support`` (the support's ends from the shapes; None: ``a``, ``b``), an extra condition of its
    # ``_support_mask`` for pdf/logpdf (powerlaw's x = 0 only for a >= 1), and the methods SciPy computes
    # numerically or with in-place code around private ufuncs: those run as SciPy's own (``api/continuous.py``).
    argcheck: Callable | None = None
    support: Callable | None = None
    density_mask: Callable | None = None
    scipy_own: frozenset = frozenset()


def apply_where(cond, args, f1, f2=None, fill_value=None):
    """``scipy._lib.array_api_extra.apply_where``: f1 where cond, else f2 (or fill_value). SciPy evaluates each
    function on its half only; elementwise functions give the same values evaluated everywhere."""
    other = f2(*args) if f2 is not None else fill_value
    if not hasattr(cond, "_node") and np.ndim(cond) == 0:
        return f1(*args) if cond else other  # a concrete 0-d condition picks one side (no where node)
    return np.where(cond, f1(*args), other)


def norm_logpdf(x):
    return -x**2 / 2.0 - _norm_pdf_logC


def norm_pdf(x):
    return np.exp(-x**2/2.0) / _norm_pdf_C


def _lognorm_logpdf(x, s):
    return apply_where(x != 0, (x, s),
                       lambda x, s: (-np.log(x)**2 / (2 * s**2) - np.log(s * x * np.sqrt(2 * np.pi))),
                       fill_value=-np.inf)


def _t_logpdf(x, df):
    def t_logpdf(x, df):
        return (np.log(sc.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi))
                - (df + 1)/2*np.log1p(x * x/df))
    return apply_where(df == np.inf, (x, df), lambda x, df: norm_logpdf(x), t_logpdf)


def _laplace_cdf(x):
    return np.where(x > 0, 1.0 - 0.5*np.exp(-x), 0.5*np.exp(x))


def _laplace_ppf(q):
    return np.where(q > 0.5, -np.log(2*(1-q)), np.log(2*q))


def _logistic_logpdf(x):
    y = -np.abs(x)
    return y - 2. * sc.log1p(np.exp(y))


def _cauchy_logpdf(x):
    absx = np.abs(x)
    return apply_where(absx < 1, (absx,),
                       lambda absx: -_LOG_PI - np.log1p(absx**2),
                       lambda absx: (-_LOG_PI - (2*np.log(absx) + np.log1p((1/absx)**2))))


def off_ends(q):
    """Boost's Cauchy quantile raises OverflowError at q = 0 and 1. SciPy never asks there (rv_continuous.ppf
    places the support's ends at those q), but a SciPy stage between kernels is evaluated on every element:
    those two values are replaced by 0.5 first (the wrapper discards what comes back for them)."""
    return np.where((q == 0) | (q == 1), 0.5, q)


def _beta_logpdf(x, a, b):
    lPx = sc.xlog1py(b - 1.0, -x) + sc.xlogy(a - 1.0, x)
    return lPx - sc.betaln(a, b)


def _gamma_logpdf(x, a):
    return sc.xlogy(a-1.0, x) - x - sc.gammaln(a)


def _chi2_logpdf(x, df):
    return sc.xlogy(df/2.-1, x) - x/2. - sc.gammaln(df/2.) - (np.log(2)*df)/2.


def _f_logpdf(x, dfn, dfd):
    n = 1.0 * dfn
    m = 1.0 * dfd
    return (m/2 * np.log(m) + n/2 * np.log(n) + sc.xlogy(n/2 - 1, x)
            - (((n+m)/2) * np.log(m + n*x) + sc.betaln(n/2, m/2)))


def _gumbel_r_logpdf(x):
    return -x - np.exp(-x)


INF = math.inf
TABLE = {d.name: d for d in (
    Distribution("norm", (), -INF, INF,
                 pdf=norm_pdf, logpdf=norm_logpdf, cdf=sc.ndtr, logcdf=sc.log_ndtr,
                 sf=lambda x: sc.ndtr(-x), logsf=lambda x: sc.log_ndtr(-x),
                 ppf=sc.ndtri, isf=lambda q: -sc.ndtri(q), quantile_edges=True),
    Distribution("expon", (), 0.0, INF,
                 pdf=lambda x: np.exp(-x), logpdf=lambda x: -x, cdf=lambda x: -sc.expm1(-x),
                 sf=lambda x: np.exp(-x), logsf=lambda x: -x,
                 ppf=lambda q: -sc.log1p(-q), isf=lambda q: -np.log(q)),
    Distribution("logistic", (), -INF, INF,
                 pdf=lambda x: np.exp(_logistic_logpdf(x)), logpdf=_logistic_logpdf,
                 cdf=sc.expit, logcdf=sc.log_expit, sf=lambda x: sc.expit(-x), logsf=lambda x: sc.log_expit(-x),
                 ppf=sc.logit, isf=lambda q: -sc.logit(q), quantile_edges=True),
    Distribution("laplace", (), -INF, INF,
                 pdf=lambda x: 0.5*np.exp(-abs(x)), cdf=_laplace_cdf, sf=lambda x: _laplace_cdf(-x),
                 ppf=_laplace_ppf, isf=lambda q: -_laplace_ppf(q)),
    Distribution("cauchy", (), -INF, INF,
                 pdf=lambda x: 1.0/np.pi/(1.0+x*x), logpdf=_cauchy_logpdf,
                 cdf=lambda x: np.arctan2(1, -x)/np.pi, sf=lambda x: np.arctan2(1, x)/np.pi,
                 ppf=lambda q: scu._cauchy_ppf(off_ends(q), 0, 1), isf=lambda q: scu._cauchy_isf(off_ends(q), 0, 1)),
    Distribution("uniform", (), 0.0, 1.0,
                 pdf=lambda x: 1.0*(x == x), cdf=lambda x: x, ppf=lambda q: q),
    Distribution("lognorm", ("s",), 0.0, INF,
                 pdf=lambda x, s: np.exp(_lognorm_logpdf(x, s)), logpdf=_lognorm_logpdf,
                 cdf=lambda x, s: sc.ndtr(np.log(x) / s), logcdf=lambda x, s: sc.log_ndtr(np.log(x) / s),
                 sf=lambda x, s: sc.ndtr(-(np.log(x) / s)), logsf=lambda x, s: sc.log_ndtr(-(np.log(x) / s)),
                 ppf=lambda q, s: np.exp(s * sc.ndtri(q)), isf=lambda q, s: np.exp(s * -sc.ndtri(q)),
                 open_density=True, quantile_edges=True),
    Distribution("gamma", ("a",), 0.0, INF,
                 pdf=lambda x, a: np.exp(_gamma_logpdf(x, a)), logpdf=_gamma_logpdf,
                 cdf=lambda x, a: sc.gammainc(a, x), sf=lambda x, a: sc.gammaincc(a, x),
                 ppf=lambda q, a: sc.gammaincinv(a, q), isf=lambda q, a: sc.gammainccinv(a, q)),
    Distribution("beta", ("a", "b"), 0.0, 1.0,
                 pdf=lambda x, a, b: scu._beta_pdf(x, a, b), logpdf=_beta_logpdf,
                 cdf=lambda x, a, b: sc.betainc(a, b, x), sf=lambda x, a, b: sc.betaincc(a, b, x),
                 ppf=lambda q, a, b: scu._beta_ppf(q, a, b), isf=lambda q, a, b: sc.betainccinv(a, b, q)),
    Distribution("t", ("df",), -INF, INF,
                 pdf=lambda x, df: apply_where(df == np.inf, (x, df), lambda x, df: norm_pdf(x),
                                               lambda x, df: np.exp(_t_logpdf(x, df))),
                 logpdf=_t_logpdf,
                 cdf=lambda x, df: sc.stdtr(df, x), sf=lambda x, df: sc.stdtr(df, -x),
                 ppf=lambda q, df: sc.stdtrit(df, q), isf=lambda q, df: -sc.stdtrit(df, q)),
    Distribution("chi2", ("df",), 0.0, INF,
                 pdf=lambda x, df: np.exp(_chi2_logpdf(x, df)), logpdf=_chi2_logpdf,
                 cdf=lambda x, df: sc.chdtr(df, x), sf=lambda x, df: sc.chdtrc(df, x),
                 ppf=lambda p, df: 2*sc.gammaincinv(df/2, p), isf=lambda p, df: sc.chdtri(df, p)),
    Distribution("f", ("dfn", "dfd"), 0.0, INF,
                 pdf=lambda x, dfn, dfd: np.exp(_f_logpdf(x, dfn, dfd)), logpdf=_f_logpdf,
                 cdf=lambda x, dfn, dfd: sc.fdtr(dfn, dfd, x), sf=lambda x, dfn, dfd: sc.fdtrc(dfn, dfd, x),
                 ppf=lambda q, dfn, dfd: sc.fdtri(dfn, dfd, q)),
    Distribution("weibull_min", ("c",), 0.0, INF,
                 pdf=lambda x, c: c*pow(x, c-1)*np.exp(-pow(x, c)),
                 logpdf=lambda x, c: np.log(c) + sc.xlogy(c - 1, x) - pow(x, c),
                 cdf=lambda x, c: -sc.expm1(-pow(x, c)), sf=lambda x, c: np.exp(-pow(x, c)),
                 logsf=lambda x, c: -pow(x, c),
                 ppf=lambda q, c: pow(-sc.log1p(-q), 1.0/c), isf=lambda q, c: (-np.log(q))**(1/c)),
    Distribution("gumbel_r", (), -INF, INF,
                 pdf=lambda x: np.exp(_gumbel_r_logpdf(x)), logpdf=_gumbel_r_logpdf,
                 cdf=lambda x: np.exp(-np.exp(-x)), logcdf=lambda x: -np.exp(-x),
                 sf=lambda x: -sc.expm1(-np.exp(-x)),
                 ppf=lambda q: -np.log(-np.log(q)), isf=lambda p: -np.log(-np.log1p(-p))),
    Distribution("pareto", ("b",), 1.0, INF,
                 pdf=lambda x, b: b * x**(-b-1), cdf=lambda x, b: 1 - x**(-b), sf=lambda x, b: x**(-b),
                 ppf=lambda q, b: pow(1-q, -1.0/b), isf=lambda q, b: np.power(q, -1.0 / b)),
)}


# -- discrete (rv_discrete): SciPy's standard forms of poisson and binom ---------------------------------------
class DiscreteDistribution(NamedTuple):
    name: str
    shapes: tuple[str, ...]
    a: float                        # lower end of the support
    upper: Callable                 # the upper end from the shapes (binom's is n)
    argcheck: Callable              # the distribution's own ``_argcheck``
    pmf: Callable
    logpmf: Callable | None         # (s16) None: rv_discrete's generic one (log(pmf); sf = 1 - cdf; ...)
    cdf: Callable | None
    sf: Callable | None
    ppf: Callable | None
    # (s16) the lower end from the shapes (randint's low, hypergeom's), rv_generic's logcdf, logsf, isf, and the
    # methods SciPy computes by summation or loops (rv_discrete's _cdfvec/_ppfvec): SciPy's own (api/discrete.py)
    lower: Callable | None = None
    logcdf: Callable | None = None
    logsf: Callable | None = None
    isf: Callable | None = None
    scipy_own: frozenset = frozenset()


def _poisson_logpmf(k, mu):
    return sc.xlogy(k, mu) - sc.gammaln(k + 1) - mu


def _poisson_ppf(q, mu):
    vals = np.ceil(sc.pdtrik(q, mu))
    vals1 = np.maximum(vals - 1, 0)
    temp = sc.pdtr(vals1, mu)
    return np.where(temp >= q, vals1, vals)


def _binom_logpmf(x, n, p):
    k = np.floor(x)
    combiln = (sc.gammaln(n+1) - (sc.gammaln(k+1) + sc.gammaln(n-k+1)))
    return combiln + sc.xlogy(k, p) + sc.xlog1py(n-k, -p)


DISCRETE = {d.name: d for d in (
    DiscreteDistribution("poisson", ("mu",), 0, lambda mu: np.inf, lambda mu: mu >= 0,
                         pmf=lambda k, mu: np.exp(_poisson_logpmf(k, mu)), logpmf=_poisson_logpmf,
                         cdf=lambda x, mu: sc.pdtr(np.floor(x), mu), sf=lambda x, mu: sc.pdtrc(np.floor(x), mu),
                         ppf=_poisson_ppf),
    DiscreteDistribution("binom", ("n", "p"), 0, lambda n, p: n,
                         lambda n, p: (n >= 0) & (n == np.round(n)) & (p >= 0) & (p <= 1),
                         pmf=lambda x, n, p: scu._binom_pmf(x, n, p), logpmf=_binom_logpmf,
                         cdf=lambda x, n, p: scu._binom_cdf(np.floor(x), n, p),
                         sf=lambda x, n, p: scu._binom_sf(np.floor(x), n, p),
                         ppf=lambda q, n, p: scu._binom_ppf(q, n, p), isf=lambda q, n, p: scu._binom_isf(off_ends(q), n, p)),
)}
