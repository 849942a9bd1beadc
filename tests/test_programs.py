"""The benchmark programs of bench/programs/ (complete NumPy programs, run unchanged) give NumPy's answer in both
lazyarr modes: ``la.fuse(program)`` with NumPy arguments, and the program on ``la.array`` arguments.

Pairs that fail today are listed in ``bench.programs.KNOWN_FAILURES`` and marked ``xfail(strict=True)``: when
one starts working its test fails, and the entry is deleted. Small sizes only: each program compiles its own
kernels, and that is most of this file's time.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the repository root: bench/

import lazyarr as la
from bench.programs import KNOWN_FAILURES, MODES, PROGRAMS
from bench.programs import modes


def _cases():
    for name in PROGRAMS:
        for mode in MODES:
            why = KNOWN_FAILURES.get((name, mode))
            marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
            yield pytest.param(name, mode, marks=marks, id=f"{name}-{mode}")


@pytest.mark.filterwarnings("ignore::lazyarr.NumPyFallbackWarning")
@pytest.mark.parametrize("name, mode", list(_cases()))
def test_program_gives_numpys_answer(name, mode):
    program = PROGRAMS[name]
    args = program.setup(program.small_size)
    originals = modes.fresh_copies(args)
    [expected], _ = modes.run(program, "numpy", args)
    results, _ = modes.run(program, mode, args, la, calls=2)  # fuse: the trace, then the cached program
    for which, got in zip(("first call", "second call"), results):
        problem = modes.mismatch(got, expected, program.rtol, program.atol)
        assert problem is None, f"{name} ({mode}, {which}): {problem}"
    for i, (now, before) in enumerate(zip(args, originals)):  # fresh copies are run where the program writes
        if isinstance(before, np.ndarray):
            assert np.array_equal(now, before, equal_nan=True), f"{name} ({mode}) modified argument {i}"


def test_known_failures_name_real_programs_and_modes():
    for (name, mode), why in KNOWN_FAILURES.items():
        assert name in PROGRAMS and mode in MODES and why.strip(), (name, mode, why)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_setup_is_deterministic_and_flags_writes(name):
    """The same size gives the same inputs; a program not marked ``mutates`` leaves its arguments alone in NumPy
    (else the modes would see each other's writes)."""
    program = PROGRAMS[name]
    first, second = program.setup(program.small_size), program.setup(program.small_size)
    for a, b in zip(first, second):
        assert type(a) is type(b) and np.array_equal(a, b, equal_nan=True)
    if not program.mutates:
        program.function(*first)
        for a, b in zip(first, second):
            assert np.array_equal(a, b, equal_nan=True), f"{name} writes into its arguments: mark it mutates=True"
