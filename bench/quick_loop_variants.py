"""The quick tier's blocked math kernel of one ufunc, compiled with different loop hints for LLVM: time per
element (#14 on AVX-512; docs/vecmath.md).

The kernel's IR is the tier's own (``la.<f>(...)`` compiled in a fresh cache, its text caught on the way to
``llvm_glue.object_code``); each variant replaces the fast loop's ``!llvm.loop`` ID (``llvm_math_map``'s
interleave request) by another, or by none ("llvm": LLVM's own choice). Every variant must give the same
bits. Each is called through ctypes on 4,096 elements (L1/L2) drawn from ``bench_ufuncs.DOMAINS``: CPU time
per element, minimum of ROUNDS interleaved rounds of 2,000 calls.

    python bench/quick_loop_variants.py [ROUNDS] [NAME_DTYPE ...]     # e.g. power_float32 sin_float64

``NUMBA_CPU_NAME=haswell`` compiles AVX2 code instead of the host's (it still runs here). ``LOOP_VARIANTS_N`` sets the
elements per call (65,536: in L2, where the ctypes call no longer counts, ~0.07 ns per element at 4,096; 4*10**6: the
bench rows' size); ``LOOP_VARIANTS_NUMPY=1`` also times NumPy's own loop (``np.<f>(..., out=)``) on the same arrays in
the same rounds (session 15 vm3); ``LOOP_VARIANTS_ONLY=tier`` (a comma list) compiles and times only those variants
(session 16 pow32b: old and new trees alternated in short processes).
"""
from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr
os.environ["LAZYARR_CACHE_DIR"] = tempfile.mkdtemp(prefix="lazyarr-loop-variants-")  # compile, never load
atexit.register(shutil.rmtree, os.environ["LAZYARR_CACHE_DIR"], True)

import lazyarr as la  # noqa: E402
from bench.bench_ufuncs import DOMAINS  # noqa: E402
from lazyarr.kernels import llvm_glue  # noqa: E402

N = int(os.environ.get("LOOP_VARIANTS_N", 4096))  # elements per call (4*10**6: the bench rows' size)
CALLS = max(1, 2000 * 4096 // N)
# name -> (vectorize width or None, interleave count) of the fast loop; None: no hint at all; "tier": the tier's own
VARIANTS = {"llvm": None, "ic4": (None, 4), "vf16_ic4": (16, 4), "vf16_ic3": (16, 3), "vf16_ic2": (16, 2),
            "vf8_ic4": (8, 4), "tier": "tier"}
if os.environ.get("LOOP_VARIANTS_MORE"):  # wider and deeper (float32 power, p32)
    VARIANTS.update({"vf16_ic6": (16, 6), "vf16_ic8": (16, 8), "vf32_ic2": (32, 2), "vf32_ic3": (32, 3),
                     "vf8_ic8": (8, 8)})
if os.environ.get("LOOP_VARIANTS_ONLY"):  # e.g. "tier": one variant, so two trees alternate in short processes (pow32b)
    VARIANTS = {label: VARIANTS[label] for label in os.environ["LOOP_VARIANTS_ONLY"].split(",")}


def kernel_text(name: str, dtype: str) -> str:
    """The IR text the quick tier compiles for ``la.<name>`` of `dtype` arrays, without its loop hints."""
    caught = []
    real = llvm_glue.object_code

    def catch(text, optimise=True):
        caught.append(text)
        return real(text, optimise)

    llvm_glue.object_code = catch
    try:
        args = [la.array(np.linspace(0.5, 0.9, N).astype(dtype)) for _ in DOMAINS[name]]
        getattr(la, name)(*args).compute()
    finally:
        llvm_glue.object_code = real
    text = caught[-1]
    text = re.sub(r", !llvm\.loop !\d+", "", text)
    return re.sub(r"^!\d+ = .*$", "", text, flags=re.M), caught[-1]


def with_hint(text: str, hint) -> str:
    if hint is None:
        return text
    width, count = hint
    options = [f'!{{!"llvm.loop.interleave.count", i32 {count}}}']
    if width:
        options += [f'!{{!"llvm.loop.vectorize.width", i32 {width}}}', '!{!"llvm.loop.vectorize.enable", i1 true}']
    text = text.replace('label %"fast", label %"checked"', 'label %"fast", label %"checked", !llvm.loop !900')
    ids = ", ".join(f"!{901 + i}" for i in range(len(options)))
    return text + f"\n!900 = distinct !{{!900, {ids}}}\n" + "".join(
        f"!{901 + i} = {option}\n" for i, option in enumerate(options))


def measure(name: str, dtype: str, rounds: int) -> dict:
    base, as_compiled = kernel_text(name, dtype)
    symbol = re.search(r'define void @"([^"]+)"', base).group(1)
    rng = np.random.default_rng(0)
    inputs = [rng.uniform(lo, hi, N).astype(dtype) for lo, hi in DOMAINS[name]]
    calls, outs = {}, {}
    for i, (label, hint) in enumerate(VARIANTS.items()):
        text = (as_compiled if hint == "tier" else with_hint(base, hint)).replace(symbol, f"{symbol}_v{i}")
        llvm_glue.load_object(llvm_glue.object_code(text)[0])
        proto = ctypes.CFUNCTYPE(None, *[ctypes.c_void_p] * (len(inputs) + 1), ctypes.c_int64, ctypes.c_int64)
        fn = proto(llvm_glue.function_address(f"{symbol}_v{i}"))
        outs[label] = np.empty(N, dtype)
        calls[label] = (fn, [a.ctypes.data for a in inputs] + [outs[label].ctypes.data, 0, N])
        fn(*calls[label][1])
    first = next(iter(outs.values()))
    for label, out in outs.items():
        assert out.tobytes() == first.tobytes(), f"{name} {dtype}: {label} changed the bits"
    if os.environ.get("LOOP_VARIANTS_NUMPY"):
        function, out = getattr(np, name), np.empty(N, dtype)
        calls["numpy"] = (lambda *_: function(*inputs, out=out), [])
    best = {label: float("inf") for label in calls}
    for _ in range(rounds):
        for label, (fn, args) in calls.items():
            start = time.process_time()
            for _ in range(CALLS):
                fn(*args)
            best[label] = min(best[label], (time.process_time() - start) / (CALLS * N) * 1e9)
    return best


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    names = sys.argv[2:] or [f"{n}_{d}" for d in ("float32", "float64") for n in DOMAINS if n not in ("cbrt", "sqrt")]
    print(f"ns per element, min of {rounds} (CPU {os.environ.get('NUMBA_CPU_NAME', 'host')}, load "
          f"{os.getloadavg()[0]:.1f})")
    for item in names:
        name, dtype = item.rsplit("_", 1)
        best = measure(name, dtype, rounds)
        print(f"  {item:18s}" + "  ".join(f"{label} {t:.3f}" for label, t in best.items()))


if __name__ == "__main__":
    main()
