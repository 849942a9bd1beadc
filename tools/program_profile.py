"""Time one bench program in one mode in this process, and optionally profile it.

    python tools/program_profile.py NAME MODE [SORT]

NAME is a program of ``bench/programs`` (``wave_1d``, ``gemm``, ...), MODE ``numpy``, ``fuse`` or ``lazy``.
Eight warm-up calls, then ten timed calls (fresh argument copies made outside the timing for a program that
writes into its arguments): prints the minimum and median wall time. With SORT (a ``pstats`` key such as
``tottime`` or ``cumtime``), ten more calls run under cProfile and the 25 costliest functions are printed.
Run two trees alternately (``cd TREE && PYTHONPATH=$PWD python tools/program_profile.py ...``) to compare them:
times from separate runs on a shared machine are not comparable.
"""
from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time

sys.path.insert(0, os.getcwd())

import lazyarr as la  # noqa: E402
from bench.programs import PROGRAMS, modes  # noqa: E402


def main(argv: list[str]) -> None:
    name, mode = argv[0], argv[1]
    program = PROGRAMS[name]
    args = program.setup(program.default_size)
    call = modes.caller(program, mode, la)
    for _ in range(8):
        call(modes.fresh_copies(args))
    times = []
    for _ in range(10):
        fresh = modes.fresh_copies(args)
        start = time.perf_counter()
        call(fresh)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"{name} {mode}: min {times[0] * 1e3:.2f} ms, median {times[5] * 1e3:.2f} ms")
    if len(argv) > 2:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(10):
            call(modes.fresh_copies(args))
        profile.disable()
        pstats.Stats(profile).sort_stats(argv[2]).print_stats(25)


if __name__ == "__main__":
    main(sys.argv[1:])
