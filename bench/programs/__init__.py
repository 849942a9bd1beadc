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

# Why each pair fails today, for pairs that do not give NumPy's answer. Delete an entry when its pair gives NumPy's
# answer. Empty since 2026-11-29 (#15: np.fill_diagonal into LazyArrays, blank arrays made inside @la.fuse traced).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}

__all__ = ["KNOWN_FAILURES", "MODES", "PROGRAMS", "Program"]
