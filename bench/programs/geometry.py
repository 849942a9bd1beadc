"""Geometry and physics: pairwise distances, n-body accelerations, great-circle distances."""
from __future__ import annotations

import numpy as np

from bench.programs.program import Program


def pairwise_distances(x, y):
    """Euclidean distance between every row of x and every row of y, by broadcasting (n, 1, d) - (1, m, d)."""
    diff = x[:, None, :] - y[None, :, :]
    return np.sqrt((diff * diff).sum(axis=-1))


def _setup_pairwise_distances(n):
    rng = np.random.default_rng(501)
    return rng.random((n, 3)), rng.random((2 * n, 3))


def nbody_accelerations(pos, mass, G, softening):
    """Softened gravitational accelerations of every body, and the system's potential energy."""
    dx = pos[None, :, 0] - pos[:, None, 0]
    dy = pos[None, :, 1] - pos[:, None, 1]
    dz = pos[None, :, 2] - pos[:, None, 2]
    r2 = dx ** 2 + dy ** 2 + dz ** 2 + softening ** 2
    inv_r3 = r2 ** -1.5
    acc = G * np.stack([(dx * inv_r3 * mass).sum(axis=1), (dy * inv_r3 * mass).sum(axis=1),
                        (dz * inv_r3 * mass).sum(axis=1)], axis=1)
    pair_energy = np.triu(-(mass[:, None] * mass[None, :]) / np.sqrt(r2), 1)
    return acc, G * pair_energy.sum()


def _setup_nbody(n):
    rng = np.random.default_rng(502)
    return rng.standard_normal((n, 3)), rng.uniform(0.5, 1.5, n), 1.0, 0.1


def arc_distance(theta_1, phi_1, theta_2, phi_2):
    """Great-circle distance between point pairs (haversine formula, arctan2 form)."""
    h = (np.sin((theta_2 - theta_1) / 2) ** 2
         + np.cos(theta_1) * np.cos(theta_2) * np.sin((phi_2 - phi_1) / 2) ** 2)
    return 2 * np.arctan2(np.sqrt(h), np.sqrt(1 - h))


def _setup_arc_distance(n):
    rng = np.random.default_rng(503)
    return tuple(rng.uniform(-np.pi / 2, np.pi / 2, n) for _ in range(4))


PROGRAMS = [
    Program("pairwise_distances", pairwise_distances, _setup_pairwise_distances, 1000, 10, rtol=1e-12,
            about="(n,1,3) - (1,2n,3) broadcast, squared, summed over the last axis, sqrt"),
    Program("nbody_accelerations", nbody_accelerations, _setup_nbody, 1500, 12, rtol=1e-10, atol=1e-10,
            about="pairwise softened r^-3 weights, three row sums, potential energy via np.triu"),
    Program("arc_distance", arc_distance, _setup_arc_distance, 2_000_000, 100, rtol=1e-12,
            about="haversine with arctan2 on four 1-D arrays"),
]
