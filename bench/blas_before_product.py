"""(s16 blas) The step before a product: gemm's `T @ B` (1200^3) timed alone after a pause, right after a parallel Numba
kernel (TBB), right after lazyarr's quick-tier parallel map (its thread pool), right after a serial kernel, and
right after another product (OpenBLAS's worker still spinning). Wall and process CPU of the product alone (docs/after_blas.md, session 16).

    python bench/blas_before_product.py ROUNDS
"""
import sys, os, time, statistics as st
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr
import numpy as np, numba
from numba import njit, prange
import lazyarr as la
numba.set_num_threads(2); la.set_num_threads(2)
rounds = int(sys.argv[1])
rng = np.random.default_rng(702)
n = 1200
A, B = rng.random((n, n)), rng.random((n, n))
T = np.empty_like(A); P = np.empty_like(A)
@njit(parallel=True)
def scale_par(x, s, out):
    f = x.ravel(); o = out.ravel()
    for i in prange(f.size):
        o[i] = s * f[i]
@njit
def scale_ser(x, s, out):
    f = x.ravel(); o = out.ravel()
    for i in range(f.size):
        o[i] = s * f[i]
lzA = la.array(A)
def quick_par():
    (1.5 * lzA).compute(out=T)
scale_par(A, 1.5, T); scale_ser(A, 1.5, T); quick_par(); quick_par()
def prod():
    w0, c0 = time.perf_counter(), time.process_time()
    np.matmul(T, B, out=P)
    return (time.perf_counter() - w0) * 1e3, (time.process_time() - c0) * 1e3
cases = {
    "after a 50 ms pause": lambda: time.sleep(0.05),
    "after another product": lambda: np.matmul(T, B, out=P),
    "after Numba parallel (TBB)": lambda: scale_par(A, 1.5, T),
    "after lazyarr quick parallel": quick_par,
    "after Numba serial": lambda: scale_ser(A, 1.5, T),
    "after NumPy multiply": lambda: np.multiply(A, 1.5, out=T),
}
res = {k: [] for k in cases}
for r in range(rounds):
    for k, before in cases.items():
        time.sleep(0.05)
        before()
        res[k].append(prod())
print("load", [round(x, 2) for x in os.getloadavg()])
for k, v in res.items():
    w = sorted(x[0] for x in v); c = sorted(x[1] for x in v)
    print(f"  {k:30s} wall min {w[0]:6.2f} q25 {w[len(w)//4]:6.2f} med {st.median(w):6.2f}  cpu min {c[0]:6.2f} med {st.median(c):6.2f}")
