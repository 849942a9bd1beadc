"""(s13 blasprog) cosine_similarity's argmax right after its product: two row blocks (the 48 MiB budget, before)
against one block on the calling thread (``after_blas.SMALL_READ_BYTES``, after), interleaved in one process with
NumPy; the whole call's wall and process CPU, and the argmax step's own (``numpy_rows.run`` timed in place).

    python bench/ab_argmax_budget.py ROUNDS
"""
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr and bench

import lazyarr as la  # noqa: E402
from lazyarr.runtime import after_blas, numpy_rows  # noqa: E402
from bench.programs import PROGRAMS  # noqa: E402
from bench.programs.modes import caller  # noqa: E402

AFTER = after_blas.SMALL_READ_BYTES
_run, _steps = numpy_rows.run, []


def _timed_run(k, a, result, one_block=False):
    w, c = time.perf_counter(), time.process_time()
    _run(k, a, result, one_block)
    _steps.append((time.perf_counter() - w, time.process_time() - c))


def main(rounds: int) -> None:
    la.set_num_threads(2)
    numpy_rows.run = _timed_run
    program = PROGRAMS["cosine_similarity"]
    args = program.setup(program.default_size)
    calls = {"numpy": (True, caller(program, "numpy", la))}
    for mode in ("lazy", "fuse"):
        for after in (False, True):
            calls[f"{mode} {'after' if after else 'before'}"] = (after, caller(program, mode, la))
    for after, call in calls.values():
        after_blas.SMALL_READ_BYTES = AFTER if after else after_blas.SMALL_BYTES
        call(args)
    whole = {k: [] for k in calls}
    step = {k: [] for k in calls}
    for _ in range(rounds):
        for name, (after, call) in calls.items():
            after_blas.SMALL_READ_BYTES = AFTER if after else after_blas.SMALL_BYTES
            _steps.clear()
            gc.collect()
            gc.disable()
            w, c = time.perf_counter(), time.process_time()
            call(args)
            whole[name].append((time.perf_counter() - w, time.process_time() - c))
            gc.enable()
            step[name] += _steps
    after_blas.SMALL_READ_BYTES = AFTER
    med = lambda xs, i: statistics.median(x[i] for x in xs) * 1e3  # noqa: E731
    for name, xs in whole.items():
        line = f"{name:12s} call wall {med(xs, 0):7.1f} cpu {med(xs, 1):7.1f} ms (medians)"
        if step[name]:
            line += f" | argmax step wall {med(step[name], 0):6.2f} cpu {med(step[name], 1):6.2f} ms"
        print(line)


if __name__ == "__main__":
    main(int(sys.argv[1]))
