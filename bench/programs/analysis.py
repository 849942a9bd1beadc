"""Data analysis: covariance, correlation, histogramming, NaN-aware standardising, moving statistics."""
from __future__ import annotations

import numpy as np

from bench.programs.program import Program


def covariance(data):
    """Sample covariance of the columns: centre, then one BLAS product."""
    centred = data - data.mean(axis=0)
    return (centred.T @ centred) / (data.shape[0] - 1)


def correlation(data):
    """Pearson correlation of the columns, near-constant columns guarded as PolyBench does, unit diagonal."""
    n = data.shape[0]
    std = data.std(axis=0)
    std = np.where(std <= 0.1, 1.0, std)
    z = (data - data.mean(axis=0)) / (np.sqrt(n) * std)
    corr = z.T @ z
    np.fill_diagonal(corr, 1.0)
    return corr


def _setup_table(n, seed):
    rng = np.random.default_rng(seed)
    cols = max(4, n // 8)
    return (rng.standard_normal((n, cols)) * rng.uniform(0.05, 3.0, cols),)


def histogram(samples, weights, bins):
    """Counts of log-magnitudes in fixed bins, and the mean weight per bin."""
    values = np.log1p(np.abs(samples))
    counts, edges = np.histogram(values, bins=bins, range=(0.0, 4.0))
    totals = np.bincount(np.digitize(values, edges[1:-1]), weights=weights, minlength=bins)
    return counts, totals / np.maximum(counts, 1)


def _setup_histogram(n):
    rng = np.random.default_rng(203)
    return rng.standard_normal(n) * 4.0, rng.random(n), 64


def robust_standardize(x):
    """Column z-scores ignoring NaNs, clipped to +-3, missing values set to 0."""
    z = (x - np.nanmean(x, axis=0)) / np.nanstd(x, axis=0)
    z = np.clip(z, -3.0, 3.0)
    return np.where(np.isnan(z), 0.0, z)


def _setup_robust_standardize(n):
    rng = np.random.default_rng(204)
    x = rng.standard_normal((n, 50)) * 2.0 + 1.0
    x[rng.random(x.shape) < 0.02] = np.nan
    return (x,)


def moving_average(x, window):
    """Rolling mean and standard deviation over a window, from running sums."""
    c1 = np.cumsum(np.concatenate(([0.0], x)))
    c2 = np.cumsum(np.concatenate(([0.0], x * x)))
    mean = (c1[window:] - c1[:-window]) / window
    var = (c2[window:] - c2[:-window]) / window - mean ** 2
    return mean, np.sqrt(np.maximum(var, 0.0))


def _setup_moving_average(n):
    rng = np.random.default_rng(205)
    return np.cumsum(rng.standard_normal(n)) * 0.01 + 5.0, 25


PROGRAMS = [
    Program("covariance", covariance, lambda n: _setup_table(n, 201), 6000, 40, rtol=1e-10, atol=1e-12,
            about="centred columns, C.T @ C / (n - 1)"),
    Program("correlation", correlation, lambda n: _setup_table(n, 202), 6000, 40, rtol=1e-10, atol=1e-12,
            about="standardised columns, z.T @ z, np.fill_diagonal"),
    Program("histogram", histogram, _setup_histogram, 3_000_000, 200, rtol=1e-10,
            about="np.histogram of log1p(|x|), np.bincount of weights by np.digitize"),
    Program("robust_standardize", robust_standardize, _setup_robust_standardize, 100_000, 30, rtol=1e-12,
            atol=1e-12, about="nanmean/nanstd z-scores, clip, NaN -> 0"),
    Program("moving_average", moving_average, _setup_moving_average, 4_000_000, 100, rtol=1e-9, atol=1e-9,
            about="rolling mean and std from np.cumsum of a concatenation"),
]
