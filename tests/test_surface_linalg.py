"""Linear algebra, FFTs, einsum and friends (lazyarr/api/linalg.py) against NumPy: lazy, with NumPy's dtype and
shape known when built, NumPy's result types (SVDResult, EighResult, ...) and values, NumPy's error types.

The stages are NumPy's own calls, so values agree to rounding (the elementwise work around them is compiled);
elementwise einsum contractions are fused (one reduction kernel). Small float64 matrices throughout.
"""
from __future__ import annotations

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler.schedule import ReduceKernel, Stage, plan
from oracle import assert_same

RNG = np.random.default_rng(7)
A = RNG.random((4, 4)) + 4 * np.eye(4)
B = RNG.random((4, 3))
V = RNG.random(4)
S = A @ A.T
C = RNG.random((2, 3, 3)) + 3 * np.eye(3)  # a stack of matrices


def close(got, want, what=""):
    """Same container (NumPy's namedtuple or tuple), each part lazy with NumPy's dtype, shape and values."""
    if isinstance(want, tuple):
        assert type(got).__name__ == type(want).__name__ and len(got) == len(want), what
        for g, w in zip(got, want):
            close(g, w, what)
        return
    assert isinstance(got, la.LazyArray), f"{what}: not lazy: {type(got).__name__}"
    assert got.dtype == np.asarray(want).dtype and got.shape == np.shape(want), what  # known before computing
    value = got.compute()
    assert value.dtype == np.asarray(want).dtype and value.shape == np.shape(want), what
    np.testing.assert_allclose(value, want, rtol=1e-10, atol=1e-12, err_msg=what)


def lazy(x):
    return la.array(x)


CASES = {
    "inv": lambda m, L: m.linalg.inv(L(A)),
    "inv stack": lambda m, L: m.linalg.inv(L(C)),
    "solve": lambda m, L: m.linalg.solve(L(A), L(B)),
    "solve vector": lambda m, L: m.linalg.solve(L(A), V),
    "det": lambda m, L: m.linalg.det(L(C)),
    "slogdet": lambda m, L: m.linalg.slogdet(L(A)),
    "eigh": lambda m, L: m.linalg.eigh(L(S)).eigenvalues,
    "eigvalsh": lambda m, L: m.linalg.eigvalsh(L(S)),
    "svd values": lambda m, L: m.linalg.svd(L(B), compute_uv=False),
    "svd reconstructs": lambda m, L: (lambda u, s, vh: (u * s) @ vh)(*m.linalg.svd(L(B), full_matrices=False)),
    "qr reconstructs": lambda m, L: (lambda q, r: q @ r)(*m.linalg.qr(L(B))),
    "qr r": lambda m, L: np.abs(m.linalg.qr(L(B), mode="r")),
    "cholesky": lambda m, L: m.linalg.cholesky(L(S)),
    "pinv": lambda m, L: m.linalg.pinv(L(B)),
    "matrix_power": lambda m, L: m.linalg.matrix_power(L(A), 3),
    "matrix_rank": lambda m, L: m.linalg.matrix_rank(L(B)),
    "cond": lambda m, L: m.linalg.cond(L(A)),
    "multi_dot": lambda m, L: m.linalg.multi_dot([L(A), L(B), np.ones(3)]),
    "kron": lambda m, L: m.kron(L(B), V),
    "inner": lambda m, L: m.inner(L(B).T, V),
    "vdot": lambda m, L: m.vdot(L(A), A),
    "cross": lambda m, L: m.cross(L(B), B[::-1]),
    "convolve": lambda m, L: m.convolve(L(V), np.ones(3), mode="same"),
    "correlate": lambda m, L: m.correlate(L(V), np.ones(2)),
    "fft": lambda m, L: m.fft.fft(L(B), n=6, axis=0),
    "rfft": lambda m, L: m.fft.rfft(L(V)),
    "irfft": lambda m, L: m.fft.irfft(L(V)),
    "fft2": lambda m, L: m.fft.fft2(L(B)),
    "rfftn": lambda m, L: m.fft.rfftn(L(B), s=(3, 5), axes=(0, 1)),
    "irfftn": lambda m, L: m.fft.irfftn(L(B)),
    "fftshift": lambda m, L: m.fft.fftshift(L(B)),
    "einsum ij,ij->i": lambda m, L: m.einsum("ij,ij->i", L(B), B),
    "einsum i,i": lambda m, L: m.einsum("i,i", L(V), V),
    "einsum ij->j": lambda m, L: m.einsum("ij->j", L(B)),
    "einsum ij,i->j": lambda m, L: m.einsum("ij,i->j", L(B), V),
    "einsum ij->ji": lambda m, L: m.einsum("ij->ji", L(B)),
    "einsum matmul": lambda m, L: m.einsum("ij,jk->ik", L(A), B, optimize=True),
    "einsum ellipsis": lambda m, L: m.einsum("...j,...j->...", L(B), B),
    "einsum trace": lambda m, L: m.einsum("ii", L(A)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lazy_as_numpy(name):
    close(CASES[name](la, lazy), CASES[name](np, np.asarray), name)


@pytest.mark.parametrize("name", ["inv", "solve", "slogdet", "kron", "fft", "einsum matmul", "einsum ij,ij->i"])
def test_numpy_functions_on_lazy_arrays_dispatch(name):
    close(CASES[name](np, lazy), CASES[name](np, np.asarray), name)


def test_multi_output_results_are_numpys_namedtuples():
    for got, want in [(np.linalg.eigh(lazy(S)), np.linalg.eigh(S)), (np.linalg.slogdet(lazy(A)), np.linalg.slogdet(A)),
                      (la.linalg.svd(lazy(B)), np.linalg.svd(B)), (la.linalg.qr(lazy(B)), np.linalg.qr(B))]:
        assert type(got).__name__ == type(want).__name__ and got._fields == want._fields
        assert [g.shape for g in got] == [np.shape(w) for w in want]
        assert [g.dtype for g in got] == [np.asarray(w).dtype for w in want]


def test_value_dependent_results_are_computed_and_wrapped():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])  # complex eigenvalues: NumPy's dtype depends on them
    for m in (rotation, S):
        got, want = la.linalg.eigvals(lazy(m)), np.linalg.eigvals(m)
        assert isinstance(got, la.LazyArray) and got.dtype == want.dtype
        np.testing.assert_allclose(np.sort_complex(got.compute()), np.sort_complex(want))
    x, residuals, rank, sv = la.linalg.lstsq(lazy(B), V)
    np.testing.assert_allclose(x.compute(), np.linalg.lstsq(B, V)[0])


def test_elementwise_einsum_is_one_fused_reduction():
    e = np.einsum("ij,ij->i", lazy(B) * 2, lazy(B))
    steps = plan([e._node])
    assert len(steps) == 1 and isinstance(steps[0], ReduceKernel)
    assert_same(e.compute(), np.einsum("ij,ij->i", B * 2, B), ulp=2)


def test_stages_fuse_with_their_neighbours():
    e = np.exp(la.linalg.inv(lazy(A) * 2)) + 1
    kinds = [type(s).__name__ for s in plan([e._node])]
    assert kinds == ["MapKernel", "Stage", "MapKernel"]  # kernel, NumPy's inv, kernel
    assert "library" in e.explain()
    np.testing.assert_allclose(e.compute(), np.exp(np.linalg.inv(A * 2)) + 1, rtol=1e-12)


def test_fftfreq_is_generated():
    for got, want in [(la.fft.fftfreq(7, 0.5), np.fft.fftfreq(7, 0.5)), (la.fft.fftfreq(8), np.fft.fftfreq(8)),
                      (la.fft.rfftfreq(8, 0.1), np.fft.rfftfreq(8, 0.1))]:
        assert_same(got.compute(), want)


@pytest.mark.parametrize("call", [
    lambda m, L: m.linalg.inv(L(B)), lambda m, L: m.linalg.det(L(V)), lambda m, L: m.linalg.solve(L(A), np.ones(3)),
    lambda m, L: m.inner(L(B), V), lambda m, L: m.vdot(L(A), V), lambda m, L: m.convolve(L(V), np.ones(0)),
    lambda m, L: m.einsum("ij,jk", L(A), V), lambda m, L: m.cross(L(B), np.ones((4, 4))),
    lambda m, L: m.fft.fft(L(V), n=0), lambda m, L: m.linalg.qr(L(B), mode="bad"),
], ids=["inv not square", "det 1-d", "solve misaligned", "inner misaligned", "vdot lengths", "convolve empty",
        "einsum misaligned", "cross dimension", "fft n=0", "qr mode"])
def test_errors_are_numpys_when_built(call):
    with pytest.raises(Exception) as want:
        call(np, np.asarray)
    with pytest.raises(type(want.value), match="lazyarr"):
        call(la, lazy)
