"""Everyday NumPy programs, run unchanged with ``@la.fuse`` (twice: traced, then replayed) and on ``la.array``
inputs, against NumPy (session 14's spot checks of the rule "a call NumPy accepts never fails on lazyarr").

Each function is small and plain NumPy: reductions, views and writes through them, masks, in-place operators,
loops with value-dependent exits, linalg/fft, scipy.special and scipy.stats, sorting and searching, odd
layouts and dtypes. A function lazyarr has no rule for may run through NumPy's fallback (with its warning):
what is asserted is NumPy's answer (dtype, shape, values) in every mode. What these found when written:
``x[mask] *= v`` made a fused function eager, ``np.histogram(a, bins=8)`` too, ``np.where(c)``, ``x.view(dt)``
and ``x.copy(order=)`` raised, ``np.divmod``/``np.modf``/``np.diag`` fell back, and a fused ``try: solve ...
except LinAlgError`` raised outside the function.
"""
import warnings

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as st

import lazyarr as la

rng = np.random.default_rng(5)
X = rng.standard_normal((50, 40))
Y = rng.standard_normal(40)
I8 = rng.integers(-5, 5, (50, 40)).astype(np.int8)
U = rng.integers(0, 10, 200)
F32 = rng.standard_normal((30, 7)).astype(np.float32)
BE = X.astype(">f8")
FO = np.asfortranarray(X)
SMALL = np.random.default_rng(7).standard_normal((12, 8))
Z = SMALL[:5, :4] + 1j * SMALL[5:10, 4:]
II = np.random.default_rng(7).integers(0, 12, 30)
R = np.random.default_rng(11).random((20, 6))
SQ = np.random.default_rng(31).standard_normal((8, 8))
SPD = SQ @ SQ.T + 8 * np.eye(8)
V16 = np.random.default_rng(31).standard_normal(16)
W = np.random.default_rng(21).standard_normal((6, 6))
x, y, i8, u, f32, be, fo, z, ii = X, Y, I8, U, F32, BE, FO, Z, II  # (the names the programs' bodies use)

# --- 30 programs ---
def p1(a): return np.cumsum(a, axis=0)[::2] - np.diff(a, axis=1).sum()
def p2(a, b): return np.clip(a @ b, -1, 1), np.linalg.norm(a, axis=0)
def p3(a):
    m = a.mean()
    if m > 0: return a - m
    return a + np.abs(m)
def p4(a):
    out = np.empty_like(a)
    for k in range(a.shape[0]):
        out[k] = np.sort(a[k])[::-1]
    return out
def p5(a): return np.percentile(a, [10, 50, 90], axis=0), np.median(a, axis=1)
def p6(a): return np.unique(np.round(a, 1)).size
def p7(a): return np.einsum("ij,ij->i", a, a) / np.einsum("ij->i", np.abs(a))
def p8(a): b = a.copy(); b[b < 0] *= -2; b[:, ::3] = 0; return b
def p9(u): return np.bincount(u, minlength=12), np.add.reduceat(u, [0, 50, 100])
def p10(a): return np.polyval([1.0, -2.0, 0.5], a) + np.hypot(a, 1.0)
def p11(a): return np.concatenate([a, a[::-1]], axis=0).std(axis=0, ddof=1)
def p12(a): idx = np.argsort(a[:, 0]); return a[idx][:5], np.take_along_axis(a, np.argsort(a, axis=1), axis=1)
def p13(a): x2, y2 = np.meshgrid(a[0], a[1]); return np.sqrt(x2**2 + y2**2).max()
def p14(a): return np.convolve(a[0], np.ones(5) / 5, mode="same")
def p15(a): return np.allclose(a, a + 1e-12), np.isclose(a, 0.0).sum()
def p16(i8): return (i8 * i8).astype(np.int16).sum(axis=0), (i8 // 3) % 4, i8 >> 1
def p17(a): h, edges = np.histogram(a, bins=8); return h, edges
def p18(a): b = a.copy(); np.add.at(b, (np.array([0, 0, 1]), np.array([1, 1, 2])), 1.0); return b
def p19(a): return [float(r.max()) for r in a[:4]]
def p20(f32): return np.exp(f32).astype(np.float64).sum(axis=0), np.tanh(f32) * np.float32(2)
def p21(a): return np.where(a > 0, np.log(np.abs(a) + 1), np.nan).argmax(axis=0)
def p22(a): return np.linalg.solve(a[:5, :5] + 5 * np.eye(5), a[:5, 0])
def p23(a): b = a.copy(); b.sort(axis=0); return b[-1] - b[0]
def p24(a): return np.interp(np.linspace(-3, 3, 17), np.sort(a[:, 0]), np.arange(50.0))
def p26(a):
    t = 0
    while a[t, 0] < 1.0 and t < 49: t += 1
    return t, a[t]
def p27(a): return np.nan_to_num(np.log(a)), np.nanmean(np.where(a > 0, a, np.nan), axis=0)
def p28(a): r = a.reshape(10, 5, 40).transpose(2, 0, 1); return np.ascontiguousarray(r).sum(axis=(1, 2))
def p29(a): a2 = a.T.copy(order="F"); a2[1:, :] += a2[:-1, :]; return a2
def p30(a): return np.round(a * 100).astype(np.int64) % 7, np.sign(a) * np.floor(np.abs(a))
# --- 30 programs ---
def q1(a): return np.linalg.inv(a @ a.T + np.eye(a.shape[0])), np.linalg.det(a[:4, :4])
def q2(a): w, V = np.linalg.eigh(a @ a.T); return w, np.abs(V[:, -1])
def q3(a): return np.linalg.svd(a, compute_uv=False), np.linalg.norm(a, ord=2), np.linalg.norm(a, "fro")
def q4(a): return np.fft.rfft(a, axis=0).real.sum()
def q5(a): return np.cross(a[:, :3], a[:, 3:6]), np.outer(a[0], a[1]), np.kron(a[:2, :2], np.eye(2))
def q6(a): return np.tril(a @ a.T), np.diag(a[:8]), np.trace(a[:8]), np.roll(a, 3, axis=1), np.flip(a, 0), np.rot90(a)
def q7(a): return np.tile(a[:2], (2, 1)), np.repeat(a[:, 0], 2), np.array_split(a, 5)[1], np.vstack([a, a]).shape
def q8(a): return np.pad(a, 1, mode="edge"), np.gradient(a, axis=0), np.cumprod(a[:, :3] * 0.5 + 1, axis=0)
def q9(a): return np.ptp(a, axis=0), np.average(a, axis=0, weights=np.arange(1.0, 13)), np.cov(a.T), np.corrcoef(a.T)
def q10(a): return np.isin(np.round(a), [0.0, 1.0]).sum(), np.any(a > 2, axis=0), np.count_nonzero(a > 0, axis=1)
def q11(a): return np.argmin(a, axis=1, keepdims=True), np.maximum.accumulate(a, axis=1), np.logaddexp(a, 0.0)
def q12(a): m, e = np.frexp(a); f, i = np.modf(a); q, r = np.divmod(a, 0.7); return np.ldexp(m, e), f, i, q, r, np.sinc(a), np.heaviside(a, 0.5)
def q13(zz): return np.angle(zz), np.conj(zz) * zz, np.abs(zz).argmax(), np.real_if_close(zz * zz.conj())
def q14(a, idx): b = np.zeros(12); np.add.at(b, idx, 1.0); c = a.copy(); c[idx % 12, 0] += 1.0; return b, c
def q15(a):
    total = 0.0
    for row in a:
        total += float(row.max())
    return total, len(a), a.shape[0] * 2
def q16(a):
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(a) / a
    return np.nan_to_num(r, nan=0.0, neginf=-1.0)
def q17(a):
    try:
        return np.linalg.solve(np.zeros((3, 3)), a[:3, 0])
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(a, a[:, 0], rcond=None)[0]
def q18(a): return a.tolist()[0][0] + a.sum().item(), a[..., None].shape, a[[0, 2], :][:, [1]]
def q19(a): b = a.copy(); b.T[1:3] = 7.0; b[::2, ::-1] *= 2; np.put(b, [0, 5, 9], [-1.0, -2.0, -3.0]); return b
def q20(a):
    err, it = 1.0, 0
    u = a.copy()
    while err > 1e-3 and it < 200:
        new = 0.5 * (u + np.roll(u, 1, axis=0))
        err = np.abs(new - u).max()
        u = new; it += 1
    return u, it
def q21(a): return np.sort(a, axis=None)[-3:], np.argsort(-a, axis=0, kind="stable")[:2], np.searchsorted(np.sort(a[:, 0]), 0.0)
def q22(a): s = np.linspace(0, 1, a.shape[1]); return np.trapezoid(a, s, axis=1), np.diff(a, n=2, axis=1)
def q23(a): u, c = np.unique(np.sign(a), return_counts=True); return u, c
def q24(a): return np.clip(a, a.min(axis=0), a.max(axis=0) * 0.5), np.where(a > 0)[0][:5]
def q25(a): return (a > 0).astype(np.uint8).view(np.int8).sum(), a.astype(np.float32).astype(np.int32) >> 1
def q26(a): return np.einsum("ij,kj->ik", a, a), np.tensordot(a, a, axes=([0], [0])), np.inner(a[0], a[1]), np.vdot(a[0], a[1])
def q27(a): m = np.ma.masked_less(a, 0); return m.sum()
def q28(a): b = np.empty_like(a); b[:] = a; b[b > 1] = np.nan; return np.nanmax(b, axis=0), np.nanargmin(b, axis=1), np.isnan(b).any()
def q29(a): return np.stack([a, -a], axis=-1).reshape(-1, 2).mean(0), np.concatenate((a, a), axis=None)[:3]
def q30(a): out = np.zeros(3); np.sum(a[:3], axis=1, out=out); np.multiply(out, 2, out=out); return out
# --- 9 programs ---
def r1(a): return st.norm.isf(a), st.norm.logpdf(a, loc=1.0, scale=2.0), sp.erfcx(a), sp.gammaln(a + 1)
def r2(a): return st.norm.ppf(a).sum(axis=0), sp.expit(a) * sp.logit(np.clip(a, 0.01, 0.99))
def r3(a): return sp.xlogy(a, a), sp.log_ndtr(a - 0.5), sp.i0e(a), sp.ndtri(a)
def r4(a): return st.t.cdf(a, df=3), st.gamma.pdf(a, 2.0), st.expon.sf(a)
def r5(a): return a.sum(), a.mean(axis=0), a.max(axis=1) if a.size else a.sum(axis=1), (a * 2).cumsum(axis=0)
def r6(a): return a + 1, np.sqrt(a), a.T @ a if a.ndim == 2 else a * a
def r7(a): return (a * a).sum(axis=0), a.astype(np.int16) * 300, np.abs(a), -a, a // 7, a % 5, a >> 2
def r8(a): return a & (a > 0), np.logical_xor(a, True), a.sum(), a.mean(), np.cumsum(a)
def r9(a): return np.std(a, axis=0, ddof=1), np.var(a), np.argmax(a, axis=0), np.prod(a + 1, axis=1)
# --- 28 programs ---
def w1(a): a = a.copy(); v = a[1:]; a[0] = 5; a[2] = 7; return v
def w2(a): a = a.copy(); v = a.T; a[0, 1] = 9; return v.sum(), v[1, 0]
def w3(a): a = a.copy(); r = a.reshape(-1); r[3] = 0; return a
def w4(a): a = a.copy(); d = np.diagonal(a); a[1, 1] = 7; return d * 1
def w5(a): a = a.copy(); b = a[::2]; b += 1; return a
def w6(a): a = a.copy(); a += a.T; return a
def w7(a): a = a.copy(); a[1:] = a[:-1]; return a
def w8(a): a = a.copy(); np.copyto(a[:, 0], a[:, 1]); return a
def w9(a): a = a.copy(); np.add(a, 1, out=a[...]); np.multiply(a[:2], 2, out=a[:2]); return a
def w10(a): a = a.copy(); a[[0, 0, 1]] += 1; return a
def w11(a): a = a.copy(); a[[0, 1]] = a[[1, 0]]; return a
def w12(a): a = a.copy(); v = a[1:][::2]; a[3] = -1; return v
def w13(a): a[1:3, 1:3] *= -1
def w14(a): a = a.copy(); v = a[:, ::-1]; v[0] = 0; s = a.sum(); a[0, 0] = s; return a, v
def w15(a): a = a.copy(); t = a.T; t += 1; t[0] = 0; return a
def w16(a): a = a.copy(); a[a > 0] = a[a < 0].sum(); return a
def w17(a): a = a.copy(); m = a > 0; a[m] = np.sqrt(a[m]); a[~m] = 0; return a
def w18(a): a = a.copy(); a.sort(axis=1); a[:, 0] = a[:, -1]; return a
def w19(a): a = a.copy(); a.fill(2.0); a[0] += np.arange(6); return a
def w20(a): a = a.copy(); r = a.ravel(); a[0, 0] = 100.0; return r[:3]
def w21(a): a = a.copy(); v = a[2]; v[:] = v[::-1]; return a
def w22(a): a = a.copy(); np.put(a, [0, 7, 7], [1.0, 2.0, 3.0]); np.place(a, a > 1.5, [9.0, 8.0]); np.putmask(a, a < -1, -a); return a
def w23(a): a = a.copy(); np.add.at(a, ([0, 0], [1, 1]), 1.0); np.negative.at(a, [2]); return a
def w24(a): a = a.copy(); a[..., 0] = a[..., 1] = a[..., 2]; return a
def w25(a): b = a.astype(np.int32); b[b > 0] += 1; b //= 2; b <<= 1; return b
def w26(a): b = a.astype(np.float32); b += a; b[0] = np.float64(1e40); return b
def w27(a):
    a = a.copy()
    for i in range(1, a.shape[0]):
        a[i] += a[i - 1] * 0.5
    return a
def w28(a):
    u = a.copy()
    for t in range(50):
        u[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    return u
# --- 25 programs ---
def e1(a): q, r = np.linalg.qr(a); return np.abs(np.diag(r)), np.linalg.matrix_power(a, 3), np.linalg.slogdet(a)[1]
def e2(a): return np.linalg.cholesky(a), np.linalg.pinv(a[:, :5]), np.linalg.eigvalsh(a)
def e3(u): return np.abs(np.fft.fft(u)), np.fft.ifft(np.fft.fft(u)).real, np.fft.fftshift(u), np.fft.fftfreq(u.size)
def e4(a): return np.apply_along_axis(lambda r: r.max() - r.min(), 1, a)
def e5(a): return np.vectorize(lambda t: t * 2 if t > 0 else -t)(a)
def e6(u): return np.lib.stride_tricks.sliding_window_view(u, 4).mean(axis=1), np.correlate(u, u[:4], "valid")
def e7(u): return np.polyfit(np.arange(u.size), u, 2), np.polyval(np.polyfit(np.arange(u.size), u, 1), 3.0)
def e8(a): return np.linalg.norm(a, axis=(0, 1)), np.block([[a[:2, :2], a[:2, 2:4]]]), np.r_[a[0], a[1]], np.c_[a[:, 0], a[:, 1]]
def e9(a): i, j = np.ix_([0, 2], [1, 3]); return a[i, j], np.indices((2, 3)).sum(), np.unravel_index(np.argmax(a), a.shape)
def e10(a): r, c = np.tril_indices(a.shape[0], -1); return a[r, c], a[np.triu_indices_from(a, 1)].sum()
def e11(a): return np.select([a < -1, a > 1], [a * 2, a / 2], default=0.0), np.piecewise(a, [a < 0, a >= 0], [lambda t: -t, lambda t: t * t])
def e12(a): return np.digitize(a, [-1.0, 0.0, 1.0]), np.nanstd(a), np.round(a, 2), np.isfinite(a).all(), np.ravel_multi_index(([0, 1], [2, 3]), a.shape)
def e13(a): return np.maximum.reduce(a, axis=0), np.add.reduce(a, axis=None), np.multiply.outer(a[0], a[1]).shape, np.minimum.accumulate(a[0])
def e14(a): return np.argpartition(a, 2, axis=1)[:, :2].shape, np.partition(a.ravel(), 5)[5], np.quantile(a, [0.25, 0.75]), np.median(a)
def e15(a): return np.exp2(a), np.log2(np.abs(a) + 1), np.cbrt(a), np.float_power(np.abs(a), 1.5), np.fmod(a, 0.3), np.copysign(1.0, a)
def e16(a): return np.trunc(a), np.rint(a), np.ceil(a), np.floor(a), np.spacing(a), np.nextafter(a, 0.0)
def e17(a): return np.deg2rad(a), np.hypot(a, a.T), np.arctan2(a, a.T), np.logaddexp2(a, 1.0), np.expm1(a), np.log1p(np.abs(a))
def e18(a): return np.gcd(np.arange(12), 8), np.lcm(np.arange(1, 6), 4), np.isnan(a).sum(), np.signbit(-a)
def e19(a): return np.count_nonzero(a), np.flatnonzero(a > 1), np.argwhere(a > 1.5), np.extract(a > 1, a)
def e20(a): return np.allclose(a @ np.linalg.inv(a), np.eye(8), atol=1e-8), np.array_equal(a, a.copy()), np.isclose(a, a + 1e-9).all()
def e21(a): return np.tensordot(a, a, 1).trace(), np.einsum("ii", a), np.einsum("ij,jk->ik", a, a), np.dot(a[0], a[1])
def e22(a): return np.cumsum(a[::-1], axis=1)[:, -1], np.cumprod(np.ones(5) * 1.1), np.nancumsum(a), np.diff(a, axis=0, prepend=0)
def e23(a): return np.sort(a, axis=0, kind="stable")[0], np.lexsort((a[:, 1], a[:, 0])), np.searchsorted(np.sort(a[0]), a[1])
def e24(a): return np.meshgrid(a[0], a[1], indexing="ij")[1].sum(), np.linspace(a.min(), a.max(), 5), np.arange(a.shape[0]) * a[0, 0]
def e25(a): return np.sum(a, where=a > 0), np.mean(a, axis=1, keepdims=True), np.max(a, initial=10.0), np.prod(a, axis=0, dtype=np.float32)


def _cases():
    c = [(p, (X,)) for p in (p1, p3, p4, p5, p6, p7, p8, p10, p11, p12, p13, p14, p15, p17, p18, p19, p21, p22, p23,
                             p24, p26, p27, p28, p29, p30)]
    c += [(p2, (X, Y)), (p9, (U,)), (p16, (I8,)), (p20, (F32,)), (p1, (BE,)), (p8, (FO,)), (p11, (BE[::-1],)),
          (p29, (FO,))]
    c += [(q, (SMALL,)) for q in (q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, q11, q12, q15, q16, q17, q18, q19, q20,
                                  q21, q22, q23, q24, q25, q26, q27, q28, q29, q30)]
    c += [(q13, (Z,)), (q14, (SMALL, II))]
    e, z0, st2, u8 = np.empty((0, 6)), np.array(0.5), R[::2, ::-1], (R * 255).astype(np.uint8)
    c += [(r1, (R,)), (r2, (R,)), (r3, (R,)), (r4, (R,)), (r5, (R,)), (r5, (e,)), (r5, (z0,)), (r5, (R.astype(">f8"),)),
          (r5, (R.astype(np.float32),)), (r5, (np.asfortranarray(R),)), (r5, (st2,)), (r6, (R,)), (r6, (e,)),
          (r6, (R.astype(np.float32),)), (r6, (st2,)), (r7, ((R * 200 - 100).astype(np.int8),)), (r7, (u8,)),
          (r8, (R > 0.5,)), (r9, (R,)), (r9, (R.astype(np.float32),)), (r9, (st2,))]
    c += [(w, (W,)) for w in (w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15, w16, w17, w18, w19,
                              w20, w21, w22, w23, w24, w25, w26, w27, w28)]
    c += [(e1, (SQ,)), (e2, (SPD,)), (e3, (V16,)), (e6, (V16,)), (e7, (V16,))]
    c += [(f, (SQ,)) for f in (e4, e5, e8, e9, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23,
                               e24, e25)]
    return c


CASES = _cases()
# Lazy mode computes a stage's value-dependent error when the value is computed, outside the function's
# try/except (docs/fuse.md, "Errors that depend on the values"): only @la.fuse can give NumPy's behaviour there.
NOT_LAZY = {"q17"}


def _same(got, want, rtol):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w, rtol)
        return
    if isinstance(got, la.LazyArray):
        got = got.compute()
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.shape == want_a.shape and got_a.dtype == want_a.dtype, (got_a.dtype, got_a.shape, want_a.dtype,
                                                                      want_a.shape)
    if want_a.dtype.kind in "fc":
        # float32 results (from float32 data or a dtype=float32 reduction): reductions accumulate in another
        # order than NumPy's (docs/reductions.md), a few float32 ULP
        rtol = max(rtol, 1e-5) if want_a.dtype.itemsize * (2 if want_a.dtype.kind == "f" else 1) <= 8 else rtol
        np.testing.assert_allclose(got_a, want_a, rtol=rtol, atol=rtol, equal_nan=True)
    else:
        np.testing.assert_array_equal(got_a, want_a)


def _rtol(args) -> float:
    """float32 data (or a program's float32 step) differs from NumPy's by a few float32 ULP in transcendentals."""
    return 1e-5 if any(getattr(a, "dtype", None) == np.float32 for a in args) else 1e-9


def _call(fn, args):
    """fn on copies of args; a function that returns None gives its (written) first argument."""
    copies = [a.copy() for a in args]
    result = fn(*copies)
    return copies[0] if result is None else result


@pytest.mark.parametrize("fn,args", CASES, ids=[f"{fn.__name__}-{args[0].dtype}{args[0].shape}" for fn, args in CASES])
def test_everyday_program_gives_numpys_answer_fused_and_lazily(fn, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (NumPy's own RuntimeWarnings, lazyarr's fallback notices)
        try:
            want = _call(fn, args)
        except Exception as exc:  # NumPy refuses the call: lazyarr raises an error of the same type
            with pytest.raises(type(exc)):
                _call(la.fuse(fn), args)
            with pytest.raises(type(exc)):
                _same(fn(*[la.array(a.copy()) for a in args]), None, 0.0)
            return
        fused = la.fuse(fn)
        for _ in range(2):  # traced, then replayed
            _same(_call(fused, args), want, _rtol(args))
        if fn.__name__ not in NOT_LAZY:
            lazy = [la.array(a.copy()) for a in args]
            result = fn(*lazy)
            _same(lazy[0] if result is None else result, want, _rtol(args))
