"""One program's lazy mode in spans: CPU per call of building the graph, of the compute, and of planning in it.

(s13 lazycall) Planning is the time in ``runtime/plans.steps_for`` (the structure walk, and a plan on a miss)
where the tree has it, else in ``evaluate.plan``. Run it once per tree, alternating trees, and compare CPU time.
Prints one line: the spans' means over the calls, the load average and the kept plans' counts.

    PYTHONPATH=. python bench/lazy_spans.py logistic_regression --calls 30
"""
from __future__ import annotations

import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program")
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # before NumPy loads OpenBLAS
    import numpy as np

    import lazyarr as la
    from bench.programs import PROGRAMS, modes
    from lazyarr.runtime import evaluate

    la.set_num_threads(1)
    spent = {"plan": 0.0}

    def timed(module, name):
        function = getattr(module, name)

        def span(*a, **k):
            start = time.process_time()
            try:
                return function(*a, **k)
            finally:
                spent["plan"] += time.process_time() - start
        setattr(module, name, span)

    try:
        from lazyarr.runtime import plans
        timed(plans, "steps_for")
    except ImportError:  # a tree before runtime/plans.py
        plans = None
        timed(evaluate, "plan")
    program = PROGRAMS[args.program]
    inputs = program.setup(program.default_size)

    def call():
        copies = modes.fresh_copies(inputs) if program.mutates else inputs
        start = time.process_time()
        result = program.function(*[la.array(a) if isinstance(a, np.ndarray) else a for a in copies])
        built = time.process_time()
        modes.materialise(result, la)
        return built - start, time.process_time() - built

    for _ in range(5):
        call()
    spent["plan"] = 0.0
    build = compute = 0.0
    for _ in range(args.calls):
        b, c = call()
        build, compute = build + b, compute + c
    per = 1e3 / args.calls
    print(f"{args.program}: build {build * per:.2f} ms, compute {compute * per:.2f} ms (planning "
          f"{spent['plan'] * per:.2f} ms) CPU per call; load {os.getloadavg()[0]:.2f}"
          + (f"; plans {plans.counts()}" if plans else ""))


if __name__ == "__main__":
    sys.exit(main())
