"""One program in numpy, fuse and lazy modes, interleaved in one process: median wall and CPU time.

For A/B runs on a shared machine (s13 logreg): run it once per version (``PYTHONPATH`` = each checkout),
alternating versions, and compare CPU time as well as wall time. ``--threads 1`` sets OpenBLAS and lazyarr to
one thread each, the fair comparison when the machine is loaded: OpenBLAS's spinning worker makes NumPy at 2
threads many times slower on a busy machine. Prints one JSON line: the load average, each mode's medians and
the speed-ups over NumPy (wall). The answers are checked against NumPy's with the program's tolerances first.

    PYTHONPATH=. python bench/ab_program.py logistic_regression --threads 1 --rounds 7
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program")
    parser.add_argument("--threads", type=int, default=0, help="1: OpenBLAS and lazyarr on one thread each")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.threads == 1:
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy loads OpenBLAS
    import numpy as np

    import lazyarr as la
    from bench.programs import PROGRAMS, modes

    if args.threads:
        la.set_num_threads(args.threads)
    program = PROGRAMS[args.program]
    inputs = program.setup(program.default_size)
    calls = {mode: modes.caller(program, mode, la) for mode in modes.ALL_MODES}
    want = calls["numpy"](modes.fresh_copies(inputs))
    for mode in ("fuse", "lazy"):
        for _ in range(3):  # the trace, compiles, loads
            got = calls[mode](modes.fresh_copies(inputs))
        for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
            np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=program.rtol, atol=program.atol)
    times: dict[str, list] = {mode: [] for mode in calls}
    for _ in range(args.rounds):
        for mode, call in calls.items():
            copies = modes.fresh_copies(inputs) if program.mutates else inputs
            wall, cpu = time.perf_counter(), time.process_time()
            call(copies)
            times[mode].append((time.perf_counter() - wall, time.process_time() - cpu))
    median = {mode: np.median(np.array(t), axis=0) * 1e3 for mode, t in times.items()}
    print(json.dumps({
        "tag": args.tag, "program": args.program, "threads": args.threads or la.get_num_threads(),
        "load": round(os.getloadavg()[0], 2),
        **{mode: f"wall {m[0]:.1f} cpu {m[1]:.1f} ms" for mode, m in median.items()},
        **{f"{mode}_x": round(median["numpy"][0] / median[mode][0], 2) for mode in ("fuse", "lazy")},
    }))


if __name__ == "__main__":
    sys.exit(main())
