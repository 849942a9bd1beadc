"""Finance: Black-Scholes prices and Monte Carlo pricing of an Asian option."""
from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from bench.programs.program import Program


def black_scholes(price, strike, t, rate, vol):
    """European call and put prices (put from put-call parity)."""
    sqrt_t = np.sqrt(t)
    d1 = (np.log(price / strike) + (rate + 0.5 * vol * vol) * t) / (vol * sqrt_t)
    d2 = d1 - vol * sqrt_t
    discounted_strike = strike * np.exp(-rate * t)
    call = price * ndtr(d1) - discounted_strike * ndtr(d2)
    put = call - price + discounted_strike
    return call, put


def _setup_black_scholes(n):
    rng = np.random.default_rng(301)
    return rng.uniform(5.0, 30.0, n), rng.uniform(1.0, 100.0, n), rng.uniform(0.25, 10.0, n), 0.02, 0.3


def monte_carlo_asian(z, s0, strike, rate, vol, dt):
    """Geometric Brownian motion paths from normal draws (paths x steps); the arithmetic-average call's price
    and its standard error."""
    increments = (rate - 0.5 * vol ** 2) * dt + vol * dt ** 0.5 * z
    paths = s0 * np.exp(np.cumsum(increments, axis=1))
    payoff = np.maximum(paths.mean(axis=1) - strike, 0.0)
    discount = np.exp(-rate * dt * z.shape[1])
    price = discount * payoff.mean()
    stderr = discount * payoff.std(ddof=1) / np.sqrt(z.shape[0])
    return price, stderr


def _setup_monte_carlo_asian(n):
    rng = np.random.default_rng(302)
    return rng.standard_normal((n, 252)), 100.0, 105.0, 0.03, 0.25, 1.0 / 252


PROGRAMS = [
    Program("black_scholes", black_scholes, _setup_black_scholes, 2_000_000, 100, rtol=1e-11, atol=1e-12,
            about="call and put prices with scipy.special.ndtr"),
    Program("monte_carlo_asian", monte_carlo_asian, _setup_monte_carlo_asian, 20_000, 20, rtol=1e-10,
            about="GBM paths by np.cumsum over time, Asian call price and its standard error"),
]
