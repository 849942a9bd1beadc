"""Stencils and time stepping: Jacobi 1-D/2-D, heat 3-D, Laplace, a 1-D wave, horizontal diffusion.

Each update writes into slices of arrays, as PolyBench-style NumPy codes do.
"""
from __future__ import annotations

import numpy as np

from bench.programs.program import Program


def jacobi_1d(A, B, tsteps):
    """Alternating three-point averages, each written into the interior of the other array."""
    for _ in range(1, tsteps):
        B[1:-1] = 0.33333 * (A[:-2] + A[1:-1] + A[2:])
        A[1:-1] = 0.33333 * (B[:-2] + B[1:-1] + B[2:])
    return A, B


def _setup_jacobi_1d(n):
    rng = np.random.default_rng(101)
    return rng.random(n), rng.random(n), 10


def jacobi_2d(A, B, tsteps):
    """Five-point averages, alternating between two grids."""
    for _ in range(1, tsteps):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] + B[2:, 1:-1] + B[:-2, 1:-1])
    return A, B


def _setup_jacobi_2d(n):
    rng = np.random.default_rng(102)
    return rng.random((n, n)), rng.random((n, n)), 8


def _heat_interior(X):
    """One explicit heat-equation step of the interior of X (the seven-point Laplacian)."""
    return (0.125 * (X[2:, 1:-1, 1:-1] - 2.0 * X[1:-1, 1:-1, 1:-1] + X[:-2, 1:-1, 1:-1])
            + 0.125 * (X[1:-1, 2:, 1:-1] - 2.0 * X[1:-1, 1:-1, 1:-1] + X[1:-1, :-2, 1:-1])
            + 0.125 * (X[1:-1, 1:-1, 2:] - 2.0 * X[1:-1, 1:-1, 1:-1] + X[1:-1, 1:-1, :-2])
            + X[1:-1, 1:-1, 1:-1])


def heat_3d(A, B, tsteps):
    """Heat diffusion on a cube, ping-ponging between two grids."""
    for _ in range(1, tsteps):
        B[1:-1, 1:-1, 1:-1] = _heat_interior(A)
        A[1:-1, 1:-1, 1:-1] = _heat_interior(B)
    return A, B


def _setup_heat_3d(n):
    rng = np.random.default_rng(103)
    return rng.random((n, n, n)), rng.random((n, n, n)), 6


def laplace_2d(u, iterations):
    """Jacobi iterations for Laplace's equation with fixed boundaries; returns the grid and the last change."""
    change = 0.0
    for _ in range(iterations):
        interior = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
        change = np.abs(interior - u[1:-1, 1:-1]).max()
        u[1:-1, 1:-1] = interior
    return u, change


def _setup_laplace_2d(n):
    u = np.zeros((n, n))
    u[0, :] = np.sin(np.linspace(0.0, np.pi, n))  # a warm top edge, the other edges held at zero
    return u, 10


def wave_1d(u_prev, u, c2, steps):
    """Leapfrog steps of the 1-D wave equation with fixed ends; a new array per step, buffers rotated."""
    for _ in range(steps):
        u_next = np.empty_like(u)
        u_next[1:-1] = 2.0 * u[1:-1] - u_prev[1:-1] + c2 * (u[2:] - 2.0 * u[1:-1] + u[:-2])
        u_next[0] = 0.0
        u_next[-1] = 0.0
        u_prev, u = u, u_next
    return u


def _setup_wave_1d(n):
    x = np.linspace(0.0, 1.0, n)
    pulse = np.exp(-((x - 0.3) / 0.05) ** 2)
    return pulse, pulse.copy(), 0.25, 12


def hdiff(field, coeff):
    """Horizontal diffusion with a flux limiter (a weather-model stencil): 4-point Laplacian, fluxes zeroed
    where they would steepen the field, then their divergence."""
    lap = 4.0 * field[1:-1, 1:-1, :] - (field[2:, 1:-1, :] + field[:-2, 1:-1, :]
                                        + field[1:-1, 2:, :] + field[1:-1, :-2, :])
    flx = lap[1:, 1:-1, :] - lap[:-1, 1:-1, :]
    flx = np.where(flx * (field[2:-1, 2:-2, :] - field[1:-2, 2:-2, :]) > 0, 0.0, flx)
    fly = lap[1:-1, 1:, :] - lap[1:-1, :-1, :]
    fly = np.where(fly * (field[2:-2, 2:-1, :] - field[2:-2, 1:-2, :]) > 0, 0.0, fly)
    return field[2:-2, 2:-2, :] - coeff * (flx[1:, :, :] - flx[:-1, :, :] + fly[:, 1:, :] - fly[:, :-1, :])


def _setup_hdiff(n):
    rng = np.random.default_rng(106)
    depth = max(4, n // 4)
    return rng.random((n + 4, n + 4, depth)), 0.025 * rng.random((n, n, depth))


PROGRAMS = [
    Program("jacobi_1d", jacobi_1d, _setup_jacobi_1d, 1_000_000, 50, rtol=1e-13, mutates=True,
            about="9 steps (range(1, 10)) of two 3-point averages written into slices"),
    Program("jacobi_2d", jacobi_2d, _setup_jacobi_2d, 1000, 12, rtol=1e-13, mutates=True,
            about="7 steps of two 5-point averages written into slices"),
    Program("heat_3d", heat_3d, _setup_heat_3d, 90, 8, rtol=1e-13, mutates=True,
            about="5 steps of a 7-point heat stencil on a cube, written into slices"),
    Program("laplace_2d", laplace_2d, _setup_laplace_2d, 1000, 12, rtol=1e-13, mutates=True,
            about="10 Jacobi sweeps for Laplace's equation, with the largest change"),
    Program("wave_1d", wave_1d, _setup_wave_1d, 1_000_000, 40, rtol=1e-12, atol=1e-15,
            about="12 leapfrog steps into np.empty_like buffers, rotated"),
    Program("hdiff", hdiff, _setup_hdiff, 200, 8, rtol=1e-12, atol=1e-15,
            about="flux-limited horizontal diffusion on a 3-D field (np.where)"),
]
