"""Kernels in the style of the PolyBench and NPBench NumPy suites, written here from each kernel's mathematical
description as plain NumPy functions (loop-heavy where those suites are: nested ``for`` over rows with slice
updates, in-place writes into arguments, scalar reads). ``sweep_kernels.py`` runs each one as NumPy, under
``@la.fuse`` and in lazy mode; tests/test_kernel_suite_sweep.py runs them at tiny sizes.

Each ``Kernel`` has ``make(rng, n, dtype) -> args`` (``n`` scales the problem), the dtypes it is swept over, the
test and tool sizes, and ``tol``: ``0`` means every value must equal NumPy's bits (integer or exact elementwise
arithmetic), otherwise the allowed max-norm error in units of ``eps(dtype) * max|NumPy's answer|`` (BLAS
products and reductions sum in other orders than NumPy's; transcendental functions differ by a few ULP).
"""
from __future__ import annotations

import collections

import numpy as np

Kernel = collections.namedtuple("Kernel", "name fn make dtypes test_n tool_n tol")
KERNELS: list = []
F = ("float64", "float32")


def kernel(dtypes=F, test_n=(8, 11), tool_n=(200, 150), tol=256):
    """Register fn with its input maker ``make_<name>`` (defined right after it, found by name)."""
    def deco(fn):
        KERNELS.append(Kernel(fn.__name__, fn, None, dtypes, test_n, tool_n, tol))
        return fn
    return deco


def maker(fn):
    """Attach an input maker to the kernel registered last."""
    k = KERNELS[-1]
    KERNELS[-1] = k._replace(make=fn)
    return fn


def _r(rng, dtype, *shape):
    return rng.random(shape).astype(dtype)


# --- PolyBench: linear algebra kernels ----------------------------------------------------------------------

@kernel(tool_n=(2000, 1500))
def atax(A, x):
    return (A @ x) @ A


@maker
def _(rng, n, dt):
    return _r(rng, dt, n, n + 3), _r(rng, dt, n + 3)


@kernel(tool_n=(2000, 1500))
def bicg(A, p, r):
    return r @ A, A @ p


@maker
def _(rng, n, dt):
    return _r(rng, dt, n + 2, n), _r(rng, dt, n), _r(rng, dt, n + 2)


@kernel(tool_n=(2000, 1500))
def mvt(x1, x2, y_1, y_2, A):
    x1 += A @ y_1
    x2 += y_2 @ A


@maker
def _(rng, n, dt):
    return _r(rng, dt, n), _r(rng, dt, n), _r(rng, dt, n), _r(rng, dt, n), _r(rng, dt, n, n)


@kernel(tool_n=(1500, 1000))
def gemver(alpha, beta, A, u1, v1, u2, v2, w, x, y, z):
    A += np.outer(u1, v1) + np.outer(u2, v2)
    x += beta * y @ A + z
    w += alpha * A @ x


@maker
def _(rng, n, dt):
    return (1.5, 1.2, _r(rng, dt, n, n)) + tuple(_r(rng, dt, n) for _ in range(8))


@kernel(tool_n=(2000, 1500))
def gesummv(alpha, beta, A, B, x):
    return alpha * A @ x + beta * B @ x


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n), _r(rng, dt, n, n), _r(rng, dt, n)


@kernel()
def gemm(alpha, beta, C, A, B):
    C[:] = alpha * A @ B + beta * C


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n + 2), _r(rng, dt, n, n + 1), _r(rng, dt, n + 1, n + 2)


@kernel(tool_n=(400, 300))
def k2mm(alpha, beta, A, B, C, D):
    D[:] = alpha * A @ B @ C + beta * D


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n + 1), _r(rng, dt, n + 1, n + 2), _r(rng, dt, n + 2, n), _r(rng, dt, n, n)


@kernel(tool_n=(400, 300))
def k3mm(A, B, C, D):
    return A @ B @ (C @ D)


@maker
def _(rng, n, dt):
    return _r(rng, dt, n, n + 1), _r(rng, dt, n + 1, n), _r(rng, dt, n, n + 2), _r(rng, dt, n + 2, n)


@kernel(test_n=(4, 5), tool_n=(80, 60))
def doitgen(NR, NQ, NP, A, C4):
    for r in range(NR):
        A[r, :, :] = np.reshape(np.reshape(A[r], (NQ, NP)) @ C4, (NQ, NP))


@maker
def _(rng, n, dt):
    return n, n + 1, n + 2, _r(rng, dt, n, n + 1, n + 2), _r(rng, dt, n + 2, n + 2)


@kernel()
def symm(alpha, beta, C, A, B):
    for i in range(C.shape[0]):
        temp2 = B[:i, :].T @ A[i, :i]
        C[:i, :] += alpha * np.outer(A[i, :i], B[i, :])
        C[i, :] = beta * C[i, :] + alpha * B[i, :] * A[i, i] + alpha * temp2


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n + 2), _r(rng, dt, n, n), _r(rng, dt, n, n + 2)


@kernel()
def syrk(alpha, beta, C, A):
    for i in range(A.shape[0]):
        C[i, :i + 1] *= beta
        for k in range(A.shape[1]):
            C[i, :i + 1] += alpha * A[i, k] * A[:i + 1, k]


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n), _r(rng, dt, n, 3)


@kernel()
def syr2k(alpha, beta, C, A, B):
    for i in range(A.shape[0]):
        C[i, :i + 1] *= beta
        C[i, :i + 1] += A[:i + 1, :] @ (alpha * B[i, :]) + B[:i + 1, :] @ (alpha * A[i, :])


@maker
def _(rng, n, dt):
    return 1.5, 1.2, _r(rng, dt, n, n), _r(rng, dt, n, n + 1), _r(rng, dt, n, n + 1)


@kernel()
def trmm(alpha, A, B):
    for i in range(B.shape[0]):
        B[i, :] = alpha * (B[i, :] + A[i + 1:, i] @ B[i + 1:, :])


@maker
def _(rng, n, dt):
    return 1.5, _r(rng, dt, n, n), _r(rng, dt, n, n + 2)


@kernel(tol=4096, test_n=(8, 11), tool_n=(400, 300))
def trisolv(L, x, b):
    for i in range(x.shape[0]):
        x[i] = (b[i] - L[i, :i] @ x[:i]) / L[i, i]


@maker
def _(rng, n, dt):
    return _r(rng, dt, n, n) + np.eye(n, dtype=dt) * n, np.zeros(n, dt), _r(rng, dt, n)


def _spd(rng, dt, n):
    a = rng.random((n, n))
    return (a @ a.T + n * np.eye(n)).astype(dt)


@kernel(tol=4096, test_n=(8, 11), tool_n=(60, 45))
def cholesky(A):
    for i in range(A.shape[0]):
        for j in range(i):
            A[i, j] -= A[i, :j] @ A[j, :j]
            A[i, j] /= A[j, j]
        A[i, i] -= A[i, :i] @ A[i, :i]
        A[i, i] = np.sqrt(A[i, i])


@maker
def _(rng, n, dt):
    return (_spd(rng, dt, n),)


@kernel(tol=4096, test_n=(8, 11), tool_n=(60, 45))
def lu(A):
    for i in range(A.shape[0]):
        for j in range(i):
            A[i, j] -= A[i, :j] @ A[:j, j]
            A[i, j] /= A[j, j]
        A[i, i:] -= A[i, :i] @ A[:i, i:]


@maker
def _(rng, n, dt):
    return (_spd(rng, dt, n),)


@kernel(tol=4096, test_n=(8, 11), tool_n=(60, 45))
def ludcmp(A, b):
    n = A.shape[0]
    x, y = np.zeros_like(b), np.zeros_like(b)
    for i in range(n):
        for j in range(i):
            A[i, j] -= A[i, :j] @ A[:j, j]
            A[i, j] /= A[j, j]
        A[i, i:] -= A[i, :i] @ A[:i, i:]
    for i in range(n):
        y[i] = b[i] - A[i, :i] @ y[:i]
    for i in range(n - 1, -1, -1):
        x[i] = (y[i] - A[i, i + 1:] @ x[i + 1:]) / A[i, i]
    return x, y


@maker
def _(rng, n, dt):
    return _spd(rng, dt, n), _r(rng, dt, n)


@kernel(tol=4096, test_n=(8, 11), tool_n=(400, 300))
def durbin(r):
    n = r.shape[0]
    y, z = np.empty_like(r), np.empty_like(r)
    alpha, beta = -r[0], 1.0
    y[0] = -r[0]
    for k in range(1, n):
        beta *= 1.0 - alpha * alpha
        alpha = -(r[k] + np.dot(np.flip(r[:k]), y[:k])) / beta
        z[:k] = y[:k] + alpha * np.flip(y[:k])
        y[:k] = z[:k]
        y[k] = alpha
    return y


@maker
def _(rng, n, dt):
    return ((0.5 ** np.arange(1, n + 1)).astype(dt),)


# (tool size 30: lazy mode's time grows as ~n^4 here, docs/fuse.md "Kernel-suite sweep")
@kernel(tol=4096, test_n=(8, 11), tool_n=(30, 20))
def gramschmidt(A):
    m, n = A.shape
    Q, R = np.zeros_like(A), np.zeros((n, n), dtype=A.dtype)
    for k in range(n):
        nrm = A[:, k] @ A[:, k]
        R[k, k] = np.sqrt(nrm)
        Q[:, k] = A[:, k] / R[k, k]
        for j in range(k + 1, n):
            R[k, j] = Q[:, k] @ A[:, j]
            A[:, j] -= Q[:, k] * R[k, j]
    return Q, R


@maker
def _(rng, n, dt):
    return (_r(rng, dt, n + 2, n) + np.eye(n + 2, n, dtype=dt),)


# --- PolyBench: data mining ------------------------------------------------------------------------------------

@kernel(tol=1024)
def correlation(float_n, data):
    mean = np.mean(data, axis=0)
    stddev = np.std(data, axis=0)
    stddev[stddev <= 0.1] = 1.0
    data -= mean
    data /= np.sqrt(float_n) * stddev
    corr = np.eye(data.shape[1], dtype=data.dtype)
    for i in range(data.shape[1] - 1):
        corr[i + 1:, i] = corr[i, i + 1:] = data[:, i] @ data[:, i + 1:]
    return corr


@maker
def _(rng, n, dt):
    return float(n + 3), _r(rng, dt, n + 3, n)


@kernel(tol=1024)
def covariance(float_n, data):
    mean = np.mean(data, axis=0)
    data -= mean
    cov = np.zeros((data.shape[1], data.shape[1]), dtype=data.dtype)
    for i in range(data.shape[1]):
        cov[i:, i] = cov[i, i:] = data[:, i] @ data[:, i:] / (float_n - 1.0)
    return cov


@maker
def _(rng, n, dt):
    return float(n + 3), _r(rng, dt, n + 3, n)


# --- PolyBench: medley -------------------------------------------------------------------------------------------

@kernel(tol=0)
def floyd_warshall(path):
    for k in range(path.shape[0]):
        path[:] = np.minimum(path[:], np.add.outer(path[:, k], path[k, :]))


@maker
def _(rng, n, dt):
    return (rng.integers(1, 100, (n, n)).astype(dt),)


KERNELS[-1] = KERNELS[-1]._replace(dtypes=("int32", "int64", "float64"))


# (tool size 10: every max() of traced scalars is a graph break and the fused first call grows steeply with n:
# n = 20 and 60 did not finish in minutes; docs/fuse.md)
@kernel(dtypes=("int32",), test_n=(7, 9), tool_n=(10, 8), tol=0)
def nussinov(N, seq):
    table = np.zeros((N, N), np.int32)
    for i in range(N - 1, -1, -1):
        for j in range(i + 1, N):
            if j - 1 >= 0:
                table[i, j] = max(table[i, j], table[i, j - 1])
            if i + 1 < N:
                table[i, j] = max(table[i, j], table[i + 1, j])
            if j - 1 >= 0 and i + 1 < N:
                if i < j - 1:
                    table[i, j] = max(table[i, j], table[i + 1, j - 1] + int(seq[i] + seq[j] == 3))
                else:
                    table[i, j] = max(table[i, j], table[i + 1, j - 1])
            for k in range(i + 1, j):
                table[i, j] = max(table[i, j], table[i, k] + table[k + 1, j])
    return table


@maker
def _(rng, n, dt):
    return n, rng.integers(0, 4, n).astype(dt)


# --- PolyBench: stencils ---------------------------------------------------------------------------------------

@kernel(tol=4096, test_n=(8, 10), tool_n=(120, 90))
def deriche(alpha, imgIn):
    k = (1.0 - np.exp(-alpha)) ** 2 / (1.0 + 2.0 * alpha * np.exp(-alpha) - np.exp(2.0 * alpha))
    a1 = a5 = k
    a2 = a6 = k * np.exp(-alpha) * (alpha - 1.0)
    a3 = a7 = k * np.exp(-alpha) * (alpha + 1.0)
    a4 = a8 = -k * np.exp(-2.0 * alpha)
    b1, b2, c1 = 2.0 ** (-alpha), -np.exp(-2.0 * alpha), 1.0
    H, W = imgIn.shape
    y1, y2 = np.empty_like(imgIn), np.empty_like(imgIn)
    ym1 = ym2 = xm1 = np.zeros(H, dtype=imgIn.dtype)
    for j in range(W):
        y1[:, j] = a1 * imgIn[:, j] + a2 * xm1 + b1 * ym1 + b2 * ym2
        xm1, ym2, ym1 = imgIn[:, j], ym1, y1[:, j]
    yp1 = yp2 = xp1 = xp2 = np.zeros(H, dtype=imgIn.dtype)
    for j in range(W - 1, -1, -1):
        y2[:, j] = a3 * xp1 + a4 * xp2 + b1 * yp1 + b2 * yp2
        xp2, xp1, yp2, yp1 = xp1, imgIn[:, j], yp1, y2[:, j]
    imgOut = c1 * (y1 + y2)
    tm1 = ym1 = ym2 = np.zeros(W, dtype=imgIn.dtype)
    for i in range(H):
        y1[i, :] = a5 * imgOut[i, :] + a6 * tm1 + b1 * ym1 + b2 * ym2
        tm1, ym2, ym1 = imgOut[i, :], ym1, y1[i, :]
    tp1 = tp2 = yp1 = yp2 = np.zeros(W, dtype=imgIn.dtype)
    for i in range(H - 1, -1, -1):
        y2[i, :] = a7 * tp1 + a8 * tp2 + b1 * yp1 + b2 * yp2
        tp2, tp1, yp2, yp1 = tp1, imgOut[i, :], yp1, y2[i, :]
    return c1 * (y1 + y2)


@maker
def _(rng, n, dt):
    return 0.25, _r(rng, dt, n, n + 3)


@kernel(tol=0, test_n=(8, 10), tool_n=(250, 200))
def fdtd_2d(TMAX, ex, ey, hz, _fict_):
    for t in range(TMAX):
        ey[0, :] = _fict_[t]
        ey[1:, :] -= 0.5 * (hz[1:, :] - hz[:-1, :])
        ex[:, 1:] -= 0.5 * (hz[:, 1:] - hz[:, :-1])
        hz[:-1, :-1] -= 0.7 * (ex[:-1, 1:] - ex[:-1, :-1] + ey[1:, :-1] - ey[:-1, :-1])


@maker
def _(rng, n, dt):
    return 4, _r(rng, dt, n, n + 2), _r(rng, dt, n, n + 2), _r(rng, dt, n, n + 2), _r(rng, dt, 4)


@kernel(tol=0, test_n=(6, 7), tool_n=(40, 30))
def heat_3d(TSTEPS, A, B):
    for t in range(1, TSTEPS):
        B[1:-1, 1:-1, 1:-1] = (
            0.125 * (A[2:, 1:-1, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[:-2, 1:-1, 1:-1])
            + 0.125 * (A[1:-1, 2:, 1:-1] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, :-2, 1:-1])
            + 0.125 * (A[1:-1, 1:-1, 2:] - 2.0 * A[1:-1, 1:-1, 1:-1] + A[1:-1, 1:-1, 0:-2])
            + A[1:-1, 1:-1, 1:-1])
        A[1:-1, 1:-1, 1:-1] = (
            0.125 * (B[2:, 1:-1, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[:-2, 1:-1, 1:-1])
            + 0.125 * (B[1:-1, 2:, 1:-1] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, :-2, 1:-1])
            + 0.125 * (B[1:-1, 1:-1, 2:] - 2.0 * B[1:-1, 1:-1, 1:-1] + B[1:-1, 1:-1, 0:-2])
            + B[1:-1, 1:-1, 1:-1])


@maker
def _(rng, n, dt):
    return 4, _r(rng, dt, n, n, n), _r(rng, dt, n, n, n)


@kernel(tol=0, test_n=(12, 17), tool_n=(100000, 70000))
def jacobi_1d(TSTEPS, A, B):
    for t in range(1, TSTEPS):
        B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])


@maker
def _(rng, n, dt):
    return 10, _r(rng, dt, n), _r(rng, dt, n)


@kernel(tol=0, test_n=(8, 11), tool_n=(300, 250))
def jacobi_2d(TSTEPS, A, B):
    for t in range(1, TSTEPS):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])


@maker
def _(rng, n, dt):
    return 6, _r(rng, dt, n, n), _r(rng, dt, n, n)


@kernel(tol=0, test_n=(6, 7), tool_n=(40, 30))
def seidel_2d(TSTEPS, N, A):
    for t in range(TSTEPS):
        for i in range(1, N - 1):
            A[i, 1:-1] += (A[i - 1, :-2] + A[i - 1, 1:-1] + A[i - 1, 2:] + A[i, 2:]
                           + A[i + 1, :-2] + A[i + 1, 1:-1] + A[i + 1, 2:])
            for j in range(1, N - 1):
                A[i, j] += A[i, j - 1]
                A[i, j] /= 9.0


@maker
def _(rng, n, dt):
    return 2, n, _r(rng, dt, n, n)


@kernel(tol=4096, test_n=(6, 8), tool_n=(60, 45))
def adi(TSTEPS, N, u):
    v, p, q = np.empty_like(u), np.empty_like(u), np.empty_like(u)
    DX, DY, DT = 1.0 / N, 1.0 / N, 1.0 / TSTEPS
    B1, B2 = 2.0, 1.0
    mul1, mul2 = B1 * DT / (DX * DX), B2 * DT / (DY * DY)
    a, b, c = -mul1 / 2.0, 1.0 + mul1, -mul1 / 2.0
    d, e, f = -mul2 / 2.0, 1.0 + mul2, -mul2 / 2.0
    for t in range(TSTEPS):
        v[0, 1:-1] = 1.0
        p[1:-1, 0] = 0.0
        q[1:-1, 0] = v[0, 1:-1]
        for j in range(1, N - 1):
            p[1:-1, j] = -c / (a * p[1:-1, j - 1] + b)
            q[1:-1, j] = (-d * u[j, :-2] + (1.0 + 2.0 * d) * u[j, 1:-1] - f * u[j, 2:]
                          - a * q[1:-1, j - 1]) / (a * p[1:-1, j - 1] + b)
        v[-1, 1:-1] = 1.0
        for j in range(N - 2, 0, -1):
            v[j, 1:-1] = p[1:-1, j] * v[j + 1, 1:-1] + q[1:-1, j]
        u[1:-1, 0] = 1.0
        p[1:-1, 0] = 0.0
        q[1:-1, 0] = u[1:-1, 0]
        for j in range(1, N - 1):
            p[1:-1, j] = -f / (d * p[1:-1, j - 1] + e)
            q[1:-1, j] = (-a * v[:-2, j] + (1.0 + 2.0 * a) * v[1:-1, j] - c * v[2:, j]
                          - d * q[1:-1, j - 1]) / (d * p[1:-1, j - 1] + e)
        u[1:-1, -1] = 1.0
        for j in range(N - 2, 0, -1):
            u[1:-1, j] = p[1:-1, j] * u[1:-1, j + 1] + q[1:-1, j]


@maker
def _(rng, n, dt):
    return 2, n, _r(rng, dt, n, n)


# --- NPBench-style extras ----------------------------------------------------------------------------------------

@kernel(tol=16, test_n=(30, 41), tool_n=(400000, 300000))
def arc_distance(theta_1, phi_1, theta_2, phi_2):
    temp = (np.sin((theta_2 - theta_1) / 2) ** 2
            + np.cos(theta_1) * np.cos(theta_2) * np.sin((phi_2 - phi_1) / 2) ** 2)
    return 2 * np.arctan2(np.sqrt(temp), np.sqrt(1 - temp))


@maker
def _(rng, n, dt):
    return tuple(_r(rng, dt, n) for _ in range(4))


@kernel(tol=1024, test_n=(40, 53), tool_n=(200000, 150000))
def azimint_naive(data, radius, npt):
    rmax = radius.max()
    res = np.zeros(npt, dtype=np.float64)
    for i in range(npt):
        r1 = rmax * i / npt
        r2 = rmax * (i + 1) / npt
        mask_r12 = np.logical_and((r1 <= radius), (radius < r2))
        values_r12 = data[mask_r12]
        res[i] = values_r12.mean()
    return res


@maker
def _(rng, n, dt):
    return _r(rng, dt, n), _r(rng, dt, n), 6


@kernel(tol=1024, test_n=(40, 53), tool_n=(200000, 150000))
def azimint_hist(data, radius, npt):
    histu = np.histogram(radius, npt)[0]
    histw = np.histogram(radius, npt, weights=data)[0]
    return histw / histu


@maker
def _(rng, n, dt):
    return _r(rng, dt, n), _r(rng, dt, n), 6


def _build_up_b(b, rho, dt, u, v, dx, dy):
    b[1:-1, 1:-1] = (rho * (1 / dt * ((u[1:-1, 2:] - u[1:-1, 0:-2]) / (2 * dx) + (v[2:, 1:-1] - v[0:-2, 1:-1]) / (2 * dy))
                            - ((u[1:-1, 2:] - u[1:-1, 0:-2]) / (2 * dx)) ** 2
                            - 2 * ((u[2:, 1:-1] - u[0:-2, 1:-1]) / (2 * dy) * (v[1:-1, 2:] - v[1:-1, 0:-2]) / (2 * dx))
                            - ((v[2:, 1:-1] - v[0:-2, 1:-1]) / (2 * dy)) ** 2))


def _pressure_poisson(nit, p, dx, dy, b):
    pn = np.empty_like(p)
    for q in range(nit):
        pn = p.copy()
        p[1:-1, 1:-1] = (((pn[1:-1, 2:] + pn[1:-1, 0:-2]) * dy ** 2 + (pn[2:, 1:-1] + pn[0:-2, 1:-1]) * dx ** 2)
                         / (2 * (dx ** 2 + dy ** 2))
                         - dx ** 2 * dy ** 2 / (2 * (dx ** 2 + dy ** 2)) * b[1:-1, 1:-1])
        p[:, -1] = p[:, -2]
        p[0, :] = p[1, :]
        p[:, 0] = p[:, 1]
        p[-1, :] = 0


@kernel(tol=4096, test_n=(8, 10), tool_n=(80, 60))
def cavity_flow(nx, ny, nt, nit, u, v, dt, dx, dy, p, rho, nu):
    b = np.zeros((ny, nx), dtype=u.dtype)
    for n in range(nt):
        un = u.copy()
        vn = v.copy()
        _build_up_b(b, rho, dt, u, v, dx, dy)
        _pressure_poisson(nit, p, dx, dy, b)
        u[1:-1, 1:-1] = (un[1:-1, 1:-1] - un[1:-1, 1:-1] * dt / dx * (un[1:-1, 1:-1] - un[1:-1, 0:-2])
                         - vn[1:-1, 1:-1] * dt / dy * (un[1:-1, 1:-1] - un[0:-2, 1:-1])
                         - dt / (2 * rho * dx) * (p[1:-1, 2:] - p[1:-1, 0:-2])
                         + nu * (dt / dx ** 2 * (un[1:-1, 2:] - 2 * un[1:-1, 1:-1] + un[1:-1, 0:-2])
                                 + dt / dy ** 2 * (un[2:, 1:-1] - 2 * un[1:-1, 1:-1] + un[0:-2, 1:-1])))
        v[1:-1, 1:-1] = (vn[1:-1, 1:-1] - un[1:-1, 1:-1] * dt / dx * (vn[1:-1, 1:-1] - vn[1:-1, 0:-2])
                         - vn[1:-1, 1:-1] * dt / dy * (vn[1:-1, 1:-1] - vn[0:-2, 1:-1])
                         - dt / (2 * rho * dy) * (p[2:, 1:-1] - p[0:-2, 1:-1])
                         + nu * (dt / dx ** 2 * (vn[1:-1, 2:] - 2 * vn[1:-1, 1:-1] + vn[1:-1, 0:-2])
                                 + dt / dy ** 2 * (vn[2:, 1:-1] - 2 * vn[1:-1, 1:-1] + vn[0:-2, 1:-1])))
        u[0, :] = 0
        u[:, 0] = 0
        u[:, -1] = 0
        u[-1, :] = 1
        v[0, :] = 0
        v[-1, :] = 0
        v[:, 0] = 0
        v[:, -1] = 0


@maker
def _(rng, n, dt):
    return (n, n, 3, 5, np.zeros((n, n), dt), np.zeros((n, n), dt), 0.001, 2.0 / (n - 1), 2.0 / (n - 1),
            np.zeros((n, n), dt), 1.0, 0.1)


@kernel(tol=4096, test_n=(8, 10), tool_n=(60, 45))
def channel_flow(nit, u, v, dt, dx, dy, p, rho, nu, F):
    udiff, stepcount = 1.0, 0
    b = np.zeros_like(u)
    while udiff > 0.001 and stepcount < 5:
        un, vn = u.copy(), v.copy()
        b[1:-1, 1:-1] = rho * (1 / dt * ((u[1:-1, 2:] - u[1:-1, :-2]) / (2 * dx)
                                         + (v[2:, 1:-1] - v[:-2, 1:-1]) / (2 * dy))
                               - ((u[1:-1, 2:] - u[1:-1, :-2]) / (2 * dx)) ** 2)
        b[1:-1, -1] = rho * (1 / dt * ((u[1:-1, 0] - u[1:-1, -2]) / (2 * dx)
                                       + (v[2:, -1] - v[:-2, -1]) / (2 * dy)))
        b[1:-1, 0] = rho * (1 / dt * ((u[1:-1, 1] - u[1:-1, -1]) / (2 * dx)
                                      + (v[2:, 0] - v[:-2, 0]) / (2 * dy)))
        for q in range(nit):
            pn = p.copy()
            p[1:-1, 1:-1] = (((pn[1:-1, 2:] + pn[1:-1, :-2]) * dy ** 2 + (pn[2:, 1:-1] + pn[:-2, 1:-1]) * dx ** 2)
                             / (2 * (dx ** 2 + dy ** 2)) - dx ** 2 * dy ** 2 / (2 * (dx ** 2 + dy ** 2)) * b[1:-1, 1:-1])
            p[1:-1, -1] = (((pn[1:-1, 0] + pn[1:-1, -2]) * dy ** 2 + (pn[2:, -1] + pn[:-2, -1]) * dx ** 2)
                           / (2 * (dx ** 2 + dy ** 2)) - dx ** 2 * dy ** 2 / (2 * (dx ** 2 + dy ** 2)) * b[1:-1, -1])
            p[1:-1, 0] = (((pn[1:-1, 1] + pn[1:-1, -1]) * dy ** 2 + (pn[2:, 0] + pn[:-2, 0]) * dx ** 2)
                          / (2 * (dx ** 2 + dy ** 2)) - dx ** 2 * dy ** 2 / (2 * (dx ** 2 + dy ** 2)) * b[1:-1, 0])
            p[-1, :] = p[-2, :]
            p[0, :] = p[1, :]
        u[1:-1, 1:-1] = (un[1:-1, 1:-1] - un[1:-1, 1:-1] * dt / dx * (un[1:-1, 1:-1] - un[1:-1, :-2])
                         - vn[1:-1, 1:-1] * dt / dy * (un[1:-1, 1:-1] - un[:-2, 1:-1])
                         - dt / (2 * rho * dx) * (p[1:-1, 2:] - p[1:-1, :-2])
                         + nu * (dt / dx ** 2 * (un[1:-1, 2:] - 2 * un[1:-1, 1:-1] + un[1:-1, :-2])
                                 + dt / dy ** 2 * (un[2:, 1:-1] - 2 * un[1:-1, 1:-1] + un[:-2, 1:-1])) + F * dt)
        v[1:-1, 1:-1] = (vn[1:-1, 1:-1] - un[1:-1, 1:-1] * dt / dx * (vn[1:-1, 1:-1] - vn[1:-1, :-2])
                         - vn[1:-1, 1:-1] * dt / dy * (vn[1:-1, 1:-1] - vn[:-2, 1:-1])
                         - dt / (2 * rho * dy) * (p[2:, 1:-1] - p[:-2, 1:-1])
                         + nu * (dt / dx ** 2 * (vn[1:-1, 2:] - 2 * vn[1:-1, 1:-1] + vn[1:-1, :-2])
                                 + dt / dy ** 2 * (vn[2:, 1:-1] - 2 * vn[1:-1, 1:-1] + vn[:-2, 1:-1])))
        u[0, :] = 0
        u[-1, :] = 0
        v[0, :] = 0
        v[-1, :] = 0
        udiff = (np.sum(u) - np.sum(un)) / np.sum(u)
        stepcount += 1
    return stepcount


@maker
def _(rng, n, dt):
    return (5, np.zeros((n, n), dt), np.zeros((n, n), dt), 0.01, 2.0 / (n - 1), 2.0 / (n - 1),
            np.zeros((n, n), dt), 1.0, 0.1, 1.0)


@kernel(tol=1024, test_n=(6, 7), tool_n=(40, 30))
def conv2d(inp, weights):
    K = weights.shape[0]
    H_out, W_out = inp.shape[1] - K + 1, inp.shape[2] - K + 1
    output = np.empty((inp.shape[0], H_out, W_out, weights.shape[3]), dtype=inp.dtype)
    for i in range(H_out):
        for j in range(W_out):
            output[:, i, j, :] = np.sum(inp[:, i:i + K, j:j + K, :, np.newaxis] * weights[np.newaxis, :, :, :],
                                        axis=(1, 2, 3))
    return output


@maker
def _(rng, n, dt):
    return _r(rng, dt, 2, n, n, 3), _r(rng, dt, 3, 3, 3, 4)


@kernel(tol=1024, test_n=(6, 7), tool_n=(40, 30))
def resnet_basic(inp, w1, w2):
    K = w1.shape[0]

    def conv_relu(x, w):
        H_out, W_out = x.shape[1] - K + 1, x.shape[2] - K + 1
        out = np.empty((x.shape[0], H_out, W_out, w.shape[3]), dtype=x.dtype)
        for i in range(H_out):
            for j in range(W_out):
                out[:, i, j, :] = np.sum(x[:, i:i + K, j:j + K, :, np.newaxis] * w[np.newaxis], axis=(1, 2, 3))
        return np.maximum(out, 0)

    padded = np.zeros((inp.shape[0], inp.shape[1] + 2, inp.shape[2] + 2, inp.shape[3]), dtype=inp.dtype)
    padded[:, 1:-1, 1:-1, :] = inp
    x = conv_relu(padded, w1)
    padded[:, 1:-1, 1:-1, :] = x
    x = conv_relu(padded, w2)
    return np.maximum(x + inp, 0)


@maker
def _(rng, n, dt):
    return _r(rng, dt, 2, n, n, 3), _r(rng, dt, 3, 3, 3, 3) - 0.5, _r(rng, dt, 3, 3, 3, 3) - 0.5


@kernel(dtypes=("uint8",), test_n=(6, 9), tool_n=(600, 450), tol=0)
def crc16(data, poly=0x8408):
    crc = 0xFFFF
    for b in data:
        cur_byte = 0xFF & b
        for _ in range(8):
            if (crc & 0x0001) ^ (cur_byte & 0x0001):
                crc = (crc >> 1) ^ poly
            else:
                crc >>= 1
            cur_byte >>= 1
    crc = ~crc & 0xFFFF
    crc = (crc << 8) | ((crc >> 8) & 0xFF)
    return crc & 0xFFFF


@maker
def _(rng, n, dt):
    return (rng.integers(0, 256, n).astype(dt),)


@kernel(dtypes=("int64", "int32"), test_n=(30, 41), tool_n=(1000, 800), tol=0)
def compute(array_1, array_2, a, b, c):
    return np.clip(array_1, 2, 10) * a + array_2 * b + c


@maker
def _(rng, n, dt):
    return rng.integers(0, 20, (n, n)).astype(dt), rng.integers(0, 20, (n, n)).astype(dt), 4, 3, 9


@kernel(tol=0, test_n=(8, 10), tool_n=(128, 96))
def hdiff(in_field, out_field, coeff):
    I, J = out_field.shape[0], out_field.shape[1]
    lap_field = 4.0 * in_field[1:I + 3, 1:J + 3, :] - (
        in_field[2:I + 4, 1:J + 3, :] + in_field[0:I + 2, 1:J + 3, :]
        + in_field[1:I + 3, 2:J + 4, :] + in_field[1:I + 3, 0:J + 2, :])
    res = lap_field[1:, 1:J + 1, :] - lap_field[:-1, 1:J + 1, :]
    flx_field = np.where((res * (in_field[2:I + 3, 2:J + 2, :] - in_field[1:I + 2, 2:J + 2, :])) > 0, 0, res)
    res = lap_field[1:I + 1, 1:, :] - lap_field[1:I + 1, :-1, :]
    fly_field = np.where((res * (in_field[2:I + 2, 2:J + 3, :] - in_field[2:I + 2, 1:J + 2, :])) > 0, 0, res)
    out_field[:, :, :] = in_field[2:I + 2, 2:J + 2, :] - coeff[:, :, :] * (
        flx_field[1:, :, :] - flx_field[:-1, :, :] + fly_field[:, 1:, :] - fly_field[:, :-1, :])


@maker
def _(rng, n, dt):
    return _r(rng, dt, n + 4, n + 4, 5), np.zeros((n, n, 5), dt), _r(rng, dt, n, n, 5)


@kernel(tol=4096, test_n=(5, 6), tool_n=(64, 48))
def vadv(utens_stage, u_stage, wcon, u_pos, utens, dtr_stage):
    # implicit vertical advection: a tridiagonal system per column, solved by the Thomas algorithm over k
    I, J, K = utens_stage.shape
    BET_M, BET_P = 0.5, 0.5
    ccol = np.empty((I, J, K), dtype=utens_stage.dtype)
    dcol = np.empty((I, J, K), dtype=utens_stage.dtype)
    data_col = np.empty((I, J), dtype=utens_stage.dtype)
    for k in range(K):
        gcv = 0.25 * (wcon[1:, :, k + 1] + wcon[:-1, :, k + 1]) if k < K - 1 else 0.0
        gav = -0.25 * (wcon[1:, :, k] + wcon[:-1, :, k]) if k > 0 else 0.0
        as_ = gav * BET_M
        cs = gcv * BET_M
        acol = gav * BET_P
        bcol = dtr_stage - acol - gcv * BET_P
        ccol[:, :, k] = gcv * BET_P
        correction = 0.0
        if k > 0:
            correction -= as_ * (u_stage[:, :, k - 1] - u_stage[:, :, k])
        if k < K - 1:
            correction -= cs * (u_stage[:, :, k + 1] - u_stage[:, :, k])
        dcol[:, :, k] = dtr_stage * u_pos[:, :, k] + utens[:, :, k] + utens_stage[:, :, k] + correction
        if k > 0:
            divided = 1.0 / (bcol - ccol[:, :, k - 1] * acol)
            ccol[:, :, k] = ccol[:, :, k] * divided
            dcol[:, :, k] = (dcol[:, :, k] - dcol[:, :, k - 1] * acol) * divided
        else:
            divided = 1.0 / bcol
            ccol[:, :, k] = ccol[:, :, k] * divided
            dcol[:, :, k] = dcol[:, :, k] * divided
    for k in range(K - 1, -1, -1):
        if k == K - 1:
            data_col[:] = dcol[:, :, k]
        else:
            data_col[:] = dcol[:, :, k] - ccol[:, :, k] * data_col
        utens_stage[:, :, k] = dtr_stage * (data_col - u_pos[:, :, k])


@maker
def _(rng, n, dt):
    I, J, K = n, n + 1, 6
    return (_r(rng, dt, I, J, K), _r(rng, dt, I, J, K), _r(rng, dt, I + 1, J, K + 1), _r(rng, dt, I, J, K),
            _r(rng, dt, I, J, K), 3.0)


def _acc(pos, mass, G, softening):
    x, y, z = pos[:, 0:1], pos[:, 1:2], pos[:, 2:3]
    dx, dy, dz = x.T - x, y.T - y, z.T - z
    inv_r3 = dx ** 2 + dy ** 2 + dz ** 2 + softening ** 2
    inv_r3[inv_r3 > 0] = inv_r3[inv_r3 > 0] ** (-1.5)
    return np.hstack((G * (dx * inv_r3) @ mass, G * (dy * inv_r3) @ mass, G * (dz * inv_r3) @ mass))


def _energy(pos, vel, mass, G):
    KE = 0.5 * np.sum(mass * vel ** 2)
    x, y, z = pos[:, 0:1], pos[:, 1:2], pos[:, 2:3]
    dx, dy, dz = x.T - x, y.T - y, z.T - z
    inv_r = np.sqrt(dx ** 2 + dy ** 2 + dz ** 2)
    inv_r[inv_r > 0] = 1.0 / inv_r[inv_r > 0]
    PE = G * np.sum(np.triu(-(mass * mass.T) * inv_r, 1))
    return KE, PE


@kernel(tol=4096, test_n=(6, 8), tool_n=(200, 150))
def nbody(mass, pos, vel, Nt, dt, G, softening):
    vel -= np.mean(mass * vel, 0) / np.mean(mass)
    acc = _acc(pos, mass, G, softening)
    KE, PE = np.empty(Nt + 1, pos.dtype), np.empty(Nt + 1, pos.dtype)
    KE[0], PE[0] = _energy(pos, vel, mass, G)
    for i in range(Nt):
        vel += acc * dt / 2.0
        pos += vel * dt
        acc = _acc(pos, mass, G, softening)
        vel += acc * dt / 2.0
        KE[i + 1], PE[i + 1] = _energy(pos, vel, mass, G)
    return KE, PE


@maker
def _(rng, n, dt):
    return (20.0 * np.ones((n, 1), dt) / n, _r(rng, dt, n, 3), _r(rng, dt, n, 3), 3, 0.01, 1.0, 0.1)


@kernel(tol=1024, test_n=(10, 13), tool_n=(3000, 2000))
def spmv(A_row, A_col, A_val, x):
    y = np.empty(A_row.size - 1, A_val.dtype)
    for i in range(A_row.size - 1):
        cols = A_col[A_row[i]:A_row[i + 1]]
        vals = A_val[A_row[i]:A_row[i + 1]]
        y[i] = vals @ x[cols]
    return y


@maker
def _(rng, n, dt):
    counts = rng.integers(0, 6, n)
    row = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    col = np.concatenate([np.sort(rng.choice(n, c, replace=False)) for c in counts]).astype(np.int64)
    return row, col, _r(rng, dt, row[-1]), _r(rng, dt, n)


@kernel(dtypes=("complex128", "complex64"), tol=0, test_n=(10, 13), tool_n=(300, 200))
def mandelbrot(xmin, xmax, ymin, ymax, xn, yn, C_dtype, maxiter, horizon=2.0):
    X = np.linspace(xmin, xmax, xn, dtype=np.float64)
    Y = np.linspace(ymin, ymax, yn, dtype=np.float64)
    C = (X + Y[:, None] * 1j).astype(C_dtype)
    N = np.zeros(C.shape, dtype=np.int64)
    Z = np.zeros(C.shape, dtype=C_dtype)
    for n in range(maxiter):
        I = np.less(abs(Z), horizon)
        N[I] = n
        Z[I] = Z[I] ** 2 + C[I]
    N[N == maxiter - 1] = 0
    return Z, N


@maker
def _(rng, n, dt):
    return -2.25, 0.75, -1.25, 1.25, n, n + 1, np.dtype(dt), 8


@kernel(tol=16, test_n=(6, 7), tool_n=(300, 250))
def softmax(x):
    tmp_max = np.max(x, axis=-1, keepdims=True)
    tmp_out = np.exp(x - tmp_max)
    tmp_sum = np.sum(tmp_out, axis=-1, keepdims=True)
    return tmp_out / tmp_sum


@maker
def _(rng, n, dt):
    return (_r(rng, dt, 4, n, n + 5) * 10,)


@kernel(tol=1024, test_n=(6, 7), tool_n=(400, 300))
def mlp(inp, w1, b1, w2, b2, w3, b3):
    x = np.maximum(inp @ w1 + b1, 0)
    x = np.maximum(x @ w2 + b2, 0)
    x = x @ w3 + b3
    x = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return x / np.sum(x, axis=-1, keepdims=True)


@maker
def _(rng, n, dt):
    return (_r(rng, dt, n, 16), _r(rng, dt, 16, 32) - 0.5, _r(rng, dt, 32), _r(rng, dt, 32, 24) - 0.5,
            _r(rng, dt, 24), _r(rng, dt, 24, 10) - 0.5, _r(rng, dt, 10))


@kernel(dtypes=("complex128", "complex64"), tol=4096, test_n=(2, 3), tool_n=(6, 5))
def scattering_self_energies(neigh_idx, dH, G, D, Sigma):
    # Sigma[k, E, a] += sum over neighbours b, phonon momenta q and modes w of
    #   dH[a, b, i] @ G[k - q, E - w, neigh(a, b)] @ dH[a, b, j] * D[q, w, a, b, i, j]
    Nkz, NE, Nqz, Nw, N3D, NA, NB, Norb = (G.shape[0], G.shape[1], D.shape[0], D.shape[1], D.shape[4],
                                           dH.shape[0], dH.shape[1], dH.shape[3])
    for k in range(Nkz):
        for E in range(NE):
            for q in range(Nqz):
                for w in range(Nw):
                    for i in range(N3D):
                        for j in range(N3D):
                            for a in range(NA):
                                for b in range(NB):
                                    if E - w >= 0:
                                        dHG = G[k - q, E - w, neigh_idx[a, b]] @ dH[a, b, i]
                                        dHD = dH[a, b, j] * D[q, w, a, b, i, j]
                                        Sigma[k, E, a] += dHG @ dHD


@maker
def _(rng, n, dt):
    cx = lambda *s: (rng.random(s) + 1j * rng.random(s)).astype(dt)  # noqa: E731
    NA, NB, N3D, Norb = n, 2, 2, 2
    return (rng.integers(0, NA, (NA, NB)), cx(NA, NB, N3D, Norb, Norb), cx(2, 2, NA, Norb, Norb),
            cx(2, 2, NA, NB, N3D, N3D), np.zeros((2, 2, NA, Norb, Norb), dt))


@kernel(dtypes=("complex128", "complex64"), tol=1 << 16, test_n=(4, 5), tool_n=(60, 50))
def contour_integral(NR, NM, slab_per_bc, Ham, int_pts, Y):
    P0 = np.zeros((NR, NM), dtype=Ham.dtype)
    P1 = np.zeros((NR, NM), dtype=Ham.dtype)
    for z in int_pts:
        Tz = np.zeros((NR, NR), dtype=Ham.dtype)
        for n in range(slab_per_bc + 1):
            zz = np.power(z, slab_per_bc / 2 - n)
            Tz += zz * Ham[n]
        if NR == NM:
            X = np.linalg.inv(Tz)
        else:
            X = np.linalg.solve(Tz, Y)
        if abs(z) < 1.0:
            X = -X
        P0 += X
        P1 += z * X
    return P0, P1


@maker
def _(rng, n, dt):
    cx = lambda *s: (rng.random(s) + 1j * rng.random(s)).astype(dt)  # noqa: E731
    Ham = cx(3, n, n) + 4 * np.eye(n, dtype=dt)
    pts = (np.exp(2j * np.pi * np.arange(5) / 5) * np.array([0.5, 1.5, 0.8, 1.2, 2.0])).astype(dt)
    return n, n - 1, 2, Ham, pts, cx(n, n - 1)


@kernel(dtypes=("complex128", "complex64"), tol=4096, test_n=(16, 32), tool_n=(1 << 16, 1 << 15))
def stockham_fft(x):
    # radix-2 Stockham: a DFT of the 2-point blocks, then log2(N) - 1 butterfly passes whose output is
    # written in natural order (each pass reads X as (L, N / L) and writes (2L, N / 2L))
    N = x.shape[0]
    n = np.arange(2)
    X = np.exp(-2j * np.pi * np.outer(n, n) / 2).astype(x.dtype) @ x.reshape((2, -1))
    while X.shape[0] < N:
        half = X.shape[1] // 2
        even, odd = X[:, :half], X[:, half:]
        twiddle = np.exp(-1j * np.pi * np.arange(X.shape[0]) / X.shape[0]).astype(x.dtype)[:, None]
        X = np.vstack([even + twiddle * odd, even - twiddle * odd])
    return X.ravel()


@maker
def _(rng, n, dt):
    return ((rng.random(n) + 1j * rng.random(n)).astype(dt),)


@kernel(tol=16, test_n=(8, 11), tool_n=(800, 600))
def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


@maker
def _(rng, n, dt):
    return (_r(rng, dt, n, n),)


BY_NAME = {k.name: k for k in KERNELS}
