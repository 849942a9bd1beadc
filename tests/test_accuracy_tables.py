"""Transcendental accuracy on the reference tables NumPy's wheel ships (umath-validation-set-*.csv):
correctly rounded results for hard inputs (denormals, huge arguments, near-poles), with a ULP budget per row."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import lazyarr as la
from oracle import ulp_distance

DATA_DIR = os.path.join(os.path.dirname(np.__file__), "_core", "tests", "data")
FILES = sorted(glob.glob(os.path.join(DATA_DIR, "umath-validation-set-*.csv")))
# The tables' own per-row budget is NumPy's documented maximum error. Every function with a table is lazyarr's
# own vector code in contiguous kernels, float64 (kernels/vecmath.py) and float32 (kernels/vecmath32.py), and
# each row is held to that budget exactly, float32 rows included (measured: at most 2 ULP, most 0 or 1).
EXTRA_ULP = 0


def read_table(path: str):
    rows = {}
    with open(path) as f:
        for line in f:
            if line.startswith(("#", "dtype")) or not line.strip():
                continue
            dtype, inp, out, tol = line.strip().split(",")
            rows.setdefault(dtype, []).append((int(inp, 16), int(out, 16), int(tol)))
    return rows


@pytest.mark.skipif(not FILES, reason="this NumPy wheel ships no umath validation tables")
@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.basename(p)[len("umath-validation-set-"):-4])
def test_transcendental_accuracy_on_numpys_reference_tables(path):
    name = os.path.basename(path)[len("umath-validation-set-"):-4]
    func = getattr(la, name)
    for dtype_name, rows in read_table(path).items():
        dt = np.dtype(dtype_name.replace("np.", ""))
        bits = np.dtype(f"u{dt.itemsize}")
        x = np.array([r[0] for r in rows], dtype=bits).view(dt)
        want = np.array([r[1] for r in rows], dtype=bits).view(dt)
        budget = np.array([r[2] for r in rows]) + EXTRA_ULP
        got = func(la.array(x)).compute()
        assert got.dtype == dt
        dist = ulp_distance(got, want)
        bad = dist > budget
        assert not bad.any(), (
            f"{name}({dt}): {bad.sum()} of {len(rows)} rows beyond budget; worst {dist.max()} ULP at "
            f"x={x[np.argmax(dist)]!r}: got {got[np.argmax(dist)]!r}, reference {want[np.argmax(dist)]!r}")
