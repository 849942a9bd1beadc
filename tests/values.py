"""Input values per dtype for differential tests: edge values first, then random ones."""
from __future__ import annotations

import numpy as np

INT_DTYPES = [np.dtype(c) for c in ("i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8")]
FLOAT_DTYPES = [np.dtype("f4"), np.dtype("f8")]
COMPLEX_DTYPES = [np.dtype("c8"), np.dtype("c16")]
ALL_DTYPES = [np.dtype("?")] + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES


def edge_values(dt: np.dtype) -> list:
    if dt.kind == "b":
        return [False, True]
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = [0, 1, 2, 3, 7, info.max, info.max - 1, 100 % (info.max + 1)]
        if dt.kind == "i":
            vals += [-1, -2, -7, info.min, info.min + 1]
        return vals
    if dt.kind == "f":
        info = np.finfo(dt)
        return [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.nan, np.inf, -np.inf, info.tiny, info.max,
                -info.max, info.smallest_subnormal, 1e-3, 100.0, 0.75, -0.3]
    reals = edge_values(np.dtype(f"f{dt.itemsize // 2}"))
    return [complex(a, b) for a, b in zip(reals, reals[3:] + reals[:3])]


def sample(dt: np.dtype, n: int, seed: int = 0) -> np.ndarray:
    """`n` values of dtype `dt`: every edge value, then random ones in a range the dtype can hold."""
    rng = np.random.default_rng(seed)
    edges = edge_values(dt)
    if dt.kind == "b":
        rand = rng.random(n) < 0.5
    elif dt.kind in "iu":
        info = np.iinfo(dt)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        rand = rng.integers(lo, hi, n, endpoint=True)
    elif dt.kind == "f":
        rand = rng.normal(0, 3, n)
    else:
        rand = rng.normal(0, 3, n) + 1j * rng.normal(0, 3, n)
    with np.errstate(all="ignore"):
        values = np.concatenate([np.array(edges, dtype=dt), rand.astype(dt)])[:max(n, len(edges))]
    return rng.permutation(values) if seed else values


def seeded_rand(seed: int, *shape: int) -> np.ndarray:
    """`np.random.rand(*shape)` drawn from its own seed: the same values in any test order or xdist worker."""
    return np.random.default_rng(seed).random(shape)


# --- bench/programs' mandelbrot loop in lazy mode (tests/test_lazy_asks.py, test_lazy_recipes.py, test_lazy_ask_costs.py) ---
MANDELBROT_C = np.linspace(-2.0, 0.6, 7)[None, :] + 1j * np.linspace(-1.2, 1.2, 6)[:, None]


def lazy_mandelbrot(around_iteration, iterations: int = 6) -> None:
    """Mandelbrot's loop with `z` and `c` LazyArrays and `escape`/`active` NumPy arrays, beside NumPy's own loop.
    `around_iteration(run)` is called once per iteration with `run`, which does that iteration's lazy steps: the
    test reads its counters around it. escape and active are checked against NumPy after each iteration, z at
    the end."""
    import lazyarr as la
    z, c = la.array(np.zeros_like(MANDELBROT_C)), la.array(MANDELBROT_C)
    escape = np.full(MANDELBROT_C.shape, iterations, dtype=np.int64)
    active = np.ones(MANDELBROT_C.shape, dtype=bool)
    want_z, want_active, want_escape = np.zeros_like(MANDELBROT_C), active.copy(), escape.copy()
    for i in range(iterations):
        def run(i=i):
            nonlocal active
            z[active] = z[active] ** 2 + c[active]
            escaped = active & (np.abs(z) > 2.0)
            escape[escaped] = i                  # asks for escaped (and z's update: two roots, one kernel)
            active &= ~escaped                   # asks for ~escaped into the user's bool array

        around_iteration(run)
        want_z[want_active] = want_z[want_active] ** 2 + MANDELBROT_C[want_active]
        want_escaped = want_active & (np.abs(want_z) > 2.0)
        want_escape[want_escaped] = i
        want_active &= ~want_escaped
        np.testing.assert_array_equal(escape, want_escape)
        np.testing.assert_array_equal(active, want_active)
    np.testing.assert_array_equal(z.compute(), want_z)
