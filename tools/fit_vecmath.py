"""Coefficients of vecmath's arctan and arcsin polynomials: Chebyshev fits in 80-digit arithmetic (mpmath).

    python tools/fit_vecmath.py        # prints the float.hex coefficients pasted into lazyarr/kernels/vecmath.py

arctan(t) = t + t*z*A(z), z = t*t <= 0.4375**2 (the largest reduced argument);
arcsin(s) = s + s*z*B(z), z = s*s <= 0.25 (|x| > 0.5 is reduced to s = sqrt((1 - |x|)/2)).
A and B are smooth on their intervals, so their Chebyshev interpolants are within a few percent of the best
polynomial; the degrees are chosen so the fit's error relative to the whole result is below 2**-59.
"""
import mpmath as mp

mp.mp.dps = 80


def fit(g, hi, n):
    coeffs, err = mp.chebyfit(g, [mp.mpf(0), mp.mpf(hi)], n, error=True)
    return [float(c) for c in reversed(coeffs)], err  # ascending powers


def atan_g(z):
    t = mp.sqrt(z)
    return (mp.atan(t) - t) / (z * t)


def asin_g(z):
    s = mp.sqrt(z)
    return (mp.asin(s) - s) / (z * s)


if __name__ == "__main__":
    for name, g, hi, n in [("ATAN", atan_g, mp.mpf(7) / 16 * mp.mpf(7) / 16, 12), ("ASIN", asin_g, 0.25, 14)]:
        coeffs, err = fit(g, hi, n)
        print(f"# {name}: degree {n - 1} in z, max abs error of the fit {mp.nstr(err, 3)} "
              f"(relative to the result: below {mp.nstr(err * hi, 3)})")
        print(f"_{name} = (" + ", ".join(f'float.fromhex("{c.hex()}")' for c in coeffs) + ")")
