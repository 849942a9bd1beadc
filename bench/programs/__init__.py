"""About 30 complete NumPy programs, each run unchanged by NumPy, by ``@la.fuse`` and on ``la.array`` inputs.

``PROGRAMS`` maps each name to its :class:`~bench.programs.program.Program`. ``KNOWN_FAILURES`` lists the
(program, mode) pairs that do not give NumPy's answer today, with the reason; ``tests/test_programs.py`` marks
them ``xfail(strict=True)``, so a pair that starts working fails the test until its entry is deleted here.
Modes: ``"fuse"`` (``la.fuse(f)(*args)``) and ``"lazy"`` (``f(*[la.array(a) ...])``, results computed).
"""
from __future__ import annotations

from bench.programs import analysis, classics, finance, geometry, images, learning, stencils
from bench.programs.program import Program

PROGRAMS: dict[str, Program] = {
    p.name: p for module in (stencils, analysis, finance, learning, geometry, images, classics)
    for p in module.PROGRAMS
}

MODES = ("fuse", "lazy")

# Why each pair fails today (2026-11-29, main at 01d59cb). Delete an entry when its pair gives NumPy's answer.
_SLICE_WRITE_FUSE = "fuse: item assignment into an argument (A[1:-1] = ...) is refused (TracingError)"
_SLICE_WRITE_LAZY = "lazy: item assignment into a LazyArray (A[1:-1] = ...) is refused (TypeError)"
_NEW_ARRAY_WRITE = "item assignment into an array the program made (np.empty_like/zeros_like) is refused (TypeError)"
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("jacobi_1d", "fuse"): _SLICE_WRITE_FUSE,
    ("jacobi_1d", "lazy"): _SLICE_WRITE_LAZY,
    ("jacobi_2d", "fuse"): _SLICE_WRITE_FUSE,
    ("jacobi_2d", "lazy"): _SLICE_WRITE_LAZY,
    ("heat_3d", "fuse"): _SLICE_WRITE_FUSE,
    ("heat_3d", "lazy"): _SLICE_WRITE_LAZY,
    ("laplace_2d", "fuse"): _SLICE_WRITE_FUSE,
    ("laplace_2d", "lazy"): _SLICE_WRITE_LAZY,
    ("wave_1d", "fuse"): _NEW_ARRAY_WRITE + ": u_next[1:-1] = ...",
    ("wave_1d", "lazy"): _NEW_ARRAY_WRITE + ": u_next[1:-1] = ...",
    ("correlation", "fuse"): "np.fill_diagonal into the traced z.T @ z is refused (TypeError: in place)",
    ("correlation", "lazy"): "np.fill_diagonal into a LazyArray is refused (TypeError: in place)",
    ("cross_entropy", "fuse"): "np.take_along_axis has no rule: the fallback needs values (TracingError naming "
                               "np.asarray); then grad[rows, labels] -= 1 on a traced array",
    ("cross_entropy", "lazy"): "grad[np.arange(n), labels] -= 1.0: a LazyArray (labels) as an index is refused "
                               "(TypeError)",
    ("mandelbrot", "fuse"): _NEW_ARRAY_WRITE + ": z[active] = ... (boolean-mask assignment)",
    ("mandelbrot", "lazy"): _NEW_ARRAY_WRITE + ": z[active] = ... (boolean-mask assignment)",
    ("gemm", "fuse"): _SLICE_WRITE_FUSE.replace("A[1:-1]", "C[:]"),
    ("gemm", "lazy"): _SLICE_WRITE_LAZY.replace("A[1:-1]", "C[:]"),
}

__all__ = ["KNOWN_FAILURES", "MODES", "PROGRAMS", "Program"]
