"""Images and signals: Mandelbrot with masks, image gradients, a separable blur, resampling with np.interp."""
from __future__ import annotations

import numpy as np

from bench.programs.program import Program


def mandelbrot(c, max_iter):
    """Escape iteration of every point of a complex grid; only points still bounded are updated (masks)."""
    z = np.zeros_like(c)
    escape = np.full(c.shape, max_iter, dtype=np.int64)
    active = np.ones(c.shape, dtype=bool)
    for i in range(max_iter):
        z[active] = z[active] ** 2 + c[active]
        escaped = active & (np.abs(z) > 2.0)
        escape[escaped] = i
        active &= ~escaped
    return escape


def _setup_mandelbrot(n):
    x = np.linspace(-2.0, 0.6, n)
    y = np.linspace(-1.2, 1.2, n)
    return x[None, :] + 1j * y[:, None], 30


def image_gradient(img):
    """Central-difference gradient, its magnitude and direction, and an edge mask above mean + 2 std."""
    gy, gx = np.gradient(img)
    magnitude = np.hypot(gx, gy)
    direction = np.arctan2(gy, gx)
    edges = magnitude > magnitude.mean() + 2.0 * magnitude.std()
    return magnitude, direction, edges


def _setup_image(n, seed):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:n, 0:n] / n
    smooth = 127.5 + 100.0 * np.sin(6.0 * x) * np.cos(4.0 * y)
    return np.clip(smooth + rng.normal(0.0, 12.0, (n, n)), 0, 255)


def blur(img, passes):
    """Separable 5-tap binomial blur of an 8-bit image with edge padding, rounded back to uint8."""
    out = img.astype(np.float64)
    for _ in range(passes):
        p = np.pad(out, 2, mode="edge")
        rows = (p[:, :-4] + 4.0 * p[:, 1:-3] + 6.0 * p[:, 2:-2] + 4.0 * p[:, 3:-1] + p[:, 4:]) / 16.0
        out = (rows[:-4] + 4.0 * rows[1:-3] + 6.0 * rows[2:-2] + 4.0 * rows[3:-1] + rows[4:]) / 16.0
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def interp_resample(t, signal, n_out):
    """Resample an irregularly sampled signal onto a uniform grid, taper it with a Hann window, and
    differentiate it."""
    t_new = np.linspace(t[0], t[-1], n_out)
    resampled = np.interp(t_new, t, signal)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n_out) / (n_out - 1))
    tapered = resampled * window
    return tapered, np.diff(tapered) / np.diff(t_new)


def _setup_interp_resample(n):
    rng = np.random.default_rng(604)
    t = np.cumsum(rng.uniform(0.5, 1.5, n))
    return t, np.sin(t / 50.0) + 0.1 * rng.standard_normal(n), 2 * n


PROGRAMS = [
    Program("mandelbrot", mandelbrot, _setup_mandelbrot, 500, 12, rtol=0.0,
            about="30 iterations of z[active] = z[active]**2 + c[active] on a complex grid, boolean masks"),
    Program("image_gradient", image_gradient, lambda n: (_setup_image(n, 602),), 1600, 12, rtol=1e-12,
            atol=1e-12, about="np.gradient, hypot, arctan2, edge mask from mean and std"),
    Program("blur", blur, lambda n: (_setup_image(n, 603).astype(np.uint8), 2), 1500, 12, rtol=0.0,
            about="2 passes of a separable 5-tap blur with np.pad, uint8 in and out"),
    Program("interp_resample", interp_resample, _setup_interp_resample, 1_000_000, 50, rtol=1e-10,
            atol=1e-12, about="np.interp onto np.linspace, Hann window, np.diff derivative"),
]
