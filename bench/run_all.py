"""Run every benchmark suite, one after the other, in one process.

    python bench/run_all.py                  # full sizes -> bench/results/<suite>.json
    python bench/run_all.py --quick          # smoke test -> bench/results/quick/<suite>.json
    python bench/run_all.py --suites reductions --threads 1

Options are those of each suite (see ``--help``), except that ``--out`` names a
directory that receives one ``<suite>.json`` per suite.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import (bench_compilers, bench_dask, bench_elementwise, bench_fuse, bench_programs, bench_reductions,
                   bench_runtime, bench_special, bench_surface, bench_ufuncs, harness)

SUITES = {mod.SUITE: mod for mod in (bench_elementwise, bench_reductions, bench_special, bench_fuse,
                                      bench_runtime, bench_dask, bench_compilers, bench_ufuncs, bench_surface,
                                      bench_programs)}


def main(argv=None) -> dict:
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("--suites", nargs="+", choices=sorted(SUITES), default=list(SUITES),
                   help="which suites to run (default: all)")
    args = p.parse_args(argv)
    base = harness.config_from_args(args)
    results = {}
    for name in args.suites:
        cfg = dataclasses.replace(base, out=base.out / f"{name}.json" if base.out else None)
        if hasattr(SUITES[name], "run_suite"):  # a suite that measures more than timed calls (runtime)
            results[name] = SUITES[name].run_suite(cfg)
        else:
            results[name] = harness.run_suite(name, SUITES[name].build, cfg)
        print()
    return results


if __name__ == "__main__":
    main()
