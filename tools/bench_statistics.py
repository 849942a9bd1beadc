"""Short benchmark: lazyarr vs NumPy, medians of 3 interleaved rounds (ratios within one run)."""
import time, warnings
import numpy as np, lazyarr as la
warnings.simplefilter("ignore", RuntimeWarning)
rng = np.random.default_rng(0)
x = rng.random((2000, 5000)); x[rng.random(x.shape) < 0.01] = np.nan
X = la.array(x)
cases = {
    "nansum(x*2+1)": (lambda: np.nansum(X * 2 + 1).compute(), lambda: np.nansum(x * 2 + 1)),
    "nanmean(x, axis=0)": (lambda: np.nanmean(X, axis=0).compute(), lambda: np.nanmean(x, axis=0)),
    "nanmax(x, axis=1)": (lambda: np.nanmax(X, axis=1).compute(), lambda: np.nanmax(x, axis=1)),
    "nanstd(x)": (lambda: np.nanstd(X).compute(), lambda: np.nanstd(x)),
    "cumsum(sin(x), axis=1)": (lambda: np.cumsum(np.sin(X), axis=1).compute(), lambda: np.cumsum(np.sin(x), axis=1)),
    "cumsum(sin(x), axis=0)": (lambda: np.cumsum(np.sin(X), axis=0).compute(), lambda: np.cumsum(np.sin(x), axis=0)),
    "nancumsum(x) (1-d)": (lambda: np.nancumsum(X).compute(), lambda: np.nancumsum(x)),
    "norm(x, axis=1)": (lambda: np.linalg.norm(np.nan_to_num(X), axis=1).compute(), lambda: np.linalg.norm(np.nan_to_num(x), axis=1)),
}
for name, (lazy, ref) in cases.items():
    lazy(); ref()
    tl, tn = [], []
    for _ in range(3):
        t = time.perf_counter(); lazy(); tl.append(time.perf_counter() - t)
        t = time.perf_counter(); ref(); tn.append(time.perf_counter() - t)
    print(f"{name:28s} lazyarr {np.median(tl)*1e3:8.1f} ms  numpy {np.median(tn)*1e3:8.1f} ms  ratio {np.median(tl)/np.median(tn):.2f}")
