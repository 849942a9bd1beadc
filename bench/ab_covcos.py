"""#15 covcos: covariance, correlation and cosine_similarity with this session's changes switched off and on in
one process, interleaved with NumPy (2 threads, gc off), medians per contender.

    python bench/ab_covcos.py ROUNDS NAME     # NAME: covariance | correlation | cosine_similarity

"before" is the code with the changes off: `rows.loop_of` picking `strips` (no `split` loop), and for
cosine_similarity `stages._natural_order` the identity and `numpy_rows.applies` False. Fused functions are
traced under their own setting; the lazy mode applies it per call.
"""
import gc
import statistics
import sys
import time

sys.path.insert(0, ".")
import lazyarr as la  # noqa: E402
from lazyarr.api import stages  # noqa: E402
from lazyarr.runtime import numpy_rows, rows  # noqa: E402
from bench.programs import PROGRAMS, modes  # noqa: E402

ORIGINAL = (rows.loop_of, stages._natural_order, numpy_rows.applies)


def setting(on: bool) -> None:
    if on:
        rows.loop_of, stages._natural_order, numpy_rows.applies = ORIGINAL
    else:
        rows.loop_of = lambda k, views: rows.mode_of(views)
        stages._natural_order = lambda y: y
        numpy_rows.applies = lambda *args, **kwargs: False


def main(rounds: int, name: str) -> None:
    la.set_num_threads(2)
    program = PROGRAMS[name]
    args = program.setup(program.default_size)
    calls = {}
    for on in (False, True):
        setting(on)
        fused = la.fuse(program.function)
        fused(*args)
        side = "after" if on else "before"
        calls[f"fuse {side}"] = (on, lambda f=fused: modes.materialise(f(*args), la))
        calls[f"lazy {side}"] = (on, lambda: modes.materialise(
            program.function(*[la.array(a) if hasattr(a, "shape") else a for a in args]), la))
    calls["numpy"] = (True, lambda: program.function(*args))
    times = {k: [] for k in calls}
    gc.disable()
    for _ in range(rounds):
        for k, (on, call) in calls.items():
            setting(on)
            t0 = time.perf_counter()
            call()
            times[k].append(time.perf_counter() - t0)
    setting(True)
    base = statistics.median(times["numpy"])
    for k, ts in times.items():
        med = statistics.median(ts)
        print(f"{k:12s} min {min(ts) * 1e3:7.1f} med {med * 1e3:7.1f} ms  speed-up (median) {base / med:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
