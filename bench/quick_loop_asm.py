"""Instruction counts of the quick tier's fast loop for one ufunc (#14, docs/vecmath.md "p32"): the kernel's IR as
the tier compiles it (``bench/quick_loop_variants.kernel_text``), optimised by ``llvm_glue.object_code`` and printed
as assembly by the tier's target machine; the largest basic block is the interleaved vector body.

    python bench/quick_loop_asm.py power_float32 [RANK] [--asm]  # counts by mnemonic; --asm also prints the assembly

RANK 1: the second largest block (float64 power's first fast pass is the second largest: session 17 pow64).
"""
from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's lazyarr

import llvmlite.binding as llvm  # noqa: E402

from bench.quick_loop_variants import kernel_text  # noqa: E402  (sets its own temporary kernel cache)
from lazyarr.kernels import llvm_glue  # noqa: E402

FMA = ("fmadd", "fmsub", "fnmadd", "fnmsub")


def body_counts(name: str, dtype: str, rank: int = 0) -> tuple[collections.Counter, int, str]:
    """(mnemonic counts of the largest basic block -- with `rank` 1 the second largest: float64 power has two fast
    passes, session 17 pow64 --, its stack references, the whole assembly)."""
    _, as_compiled = kernel_text(name, dtype)
    _, optimised = llvm_glue.object_code(as_compiled)
    asm = llvm_glue._target_machine().emit_assembly(llvm.parse_assembly(optimised))
    blocks, current = [], []
    for line in asm.splitlines():
        if re.match(r"^[.\w$]+:", line):
            blocks.append(current)
            current = []
        elif line.startswith("\t") and not line.strip().startswith((".", "#")):
            current.append(line)
    blocks.append(current)
    body = sorted(blocks, key=len, reverse=True)[rank]
    return collections.Counter(line.split()[0] for line in body), sum("rsp" in line for line in body), asm


def main() -> None:
    item = sys.argv[1]
    name, dtype = item.rsplit("_", 1)
    counts, stack, asm = body_counts(name, dtype, int(sys.argv[2]) if sys.argv[2:3] and sys.argv[2].isdigit() else 0)
    if "--asm" in sys.argv:
        print(asm)
    fma = sum(v for k, v in counts.items() if any(f in k for f in FMA))
    masks = sum(v for k, v in counts.items() if k.startswith("k"))
    print(f"{item}: {sum(counts.values())} instructions in the vector body, {fma} FMA-class, {masks} mask, "
          f"{stack} stack references")
    print("  " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))


if __name__ == "__main__":
    main()
