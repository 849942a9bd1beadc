"""Coefficients of float64 power's log and exp polynomials (lazyarr/kernels/vecmath.py, `_pow_log`, `_pow_exp`):
Chebyshev fits in 60-digit arithmetic (mpmath), session 14 (docs/vecmath.md, "Session 14: power").

    python tools/fit_pow.py        # prints the float.hex coefficients pasted into vecmath.py

log: log1p(r) = r - r*r/2 + r**3/3 + r**4 P(r) on |r| <= 0.0437011... (the largest reduced argument of the 16-entry
table, kernels/vecmath_tables.py), P of degree 10: 2**-79 absolute, where the Taylor series to r**15 it replaces
(degree 11) reached 2**-76.
exp: exp(r) = 1 + r + r*r*Q(r) on |r| <= ln(2)/32 (+1e-9 for the rounding of n and r's low part), Q of degree 5:
2**-64 relative to exp(r), where Taylor to r**8 (degree 6) reached 2**-68: one FMA less, 0.002 ULP of power.
float32 power's log (lazyarr/kernels/vecmath32.py, `_pow_log_d`): log1p(r) = r + r*r*P(r) on the same |r|, P of
degree 7: 2**-55.4 absolute, where the Taylor series to r**10 (degree 8) reached 2**-53.1.
float32 power's exp (`_pow_exp_d`, p32): exp(q) = 1 + q + q*q*Q(q) on |q| <= ln(2)/32, Q of degree 3: 2**-45.7 of
exp(q), where Taylor to q**6 (degree 4, one FMA more) reached 2**-51 (degree 2 would be 2**-36.5: too far for a
correctly rounded float32).
"""
import sys
from pathlib import Path

import mpmath as mp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lazyarr.kernels import vecmath_tables as T  # noqa: E402
from tools.fit_vecmath import fit  # noqa: E402

mp.mp.dps = 60


def log_r_max():
    """The largest |z/c - 1| over the table's subintervals (their ends)."""
    worst = mp.mpf(0)
    for i in range(T.LOG_N):
        for j in (i, i + 1):
            z = float(np.int64(T.LOG_OFF_BITS + (j << T.LOG_SHIFT)).view(np.float64))
            worst = max(worst, abs(mp.mpf(z) * mp.mpf(float(T.LOG_INVC[i])) - 1))
    return worst


def log_p(r):
    return mp.mpf(-1) / 4 if r == 0 else (mp.log1p(r) - r + r * r / 2 - r ** 3 / 3) / r ** 4


def log1p_p(r):
    return mp.mpf(-1) / 2 if r == 0 else (mp.log1p(r) - r) / (r * r)


def exp_q(r):
    return mp.mpf(1) / 2 if r == 0 else (mp.exp(r) - 1 - r) / (r * r)


def worst(coeffs, h, g, weight, points=2001):
    """max |weight(r) (poly(r) - g(r))| over [-h, h], the polynomial with the double coefficients `coeffs`."""
    w = mp.mpf(0)
    for i in range(points):
        r = -h + 2 * h * i / (points - 1)
        w = max(w, abs(weight(r) * (sum(mp.mpf(c) * r ** j for j, c in enumerate(coeffs)) - g(r))))
    return w


def report(what: str, g, h, n: int, weight, error_of: str, names: str) -> None:
    """Fit g on [-h, h] with n coefficients; print the worst weighted error and the coefficients as hex."""
    coeffs, _ = fit(g, h, n, lo=-h)
    print(f"# {what} within 2**{mp.nstr(mp.log(worst(coeffs, h, g, weight), 2), 4)}{error_of}")
    print(f"{names} = (" + ", ".join(f'"{c.hex()}"' for c in coeffs) + ")")


if __name__ == "__main__":
    log_h = log_r_max() * (1 + mp.mpf("1e-9"))
    exp_h = mp.log(2) / 32 + mp.mpf("1e-9")
    report(f"POW_LOG: P of degree 10 on |r| <= {mp.nstr(log_h, 8)}, r**4 P(r)", log_p, log_h, 11,
           lambda r: r ** 4, " absolute", "_PG")
    report("POW_EXP: Q of degree 5, r*r Q(r)", exp_q, exp_h, 6, lambda r: r * r, " of exp(r) - 1 - r", "_PQ")
    report("POW32_LOG: P of degree 7, r*r P(r)", log1p_p, log_h, 8, lambda r: r * r, " absolute", "_PL2 .. _PL9")
    report("POW32_EXP: Q of degree 3, q*q Q(q)", exp_q, exp_h, 4, lambda r: r * r, " of exp(q) - 1 - q", "_PE2 .. _PE5")
