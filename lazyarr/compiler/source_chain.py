"""(s13 gofast) Source of a *chain kernel*: one 0-d map kernel's body run as a sequential loop.

A Python loop of scalar work (``trace += np.tanh(a[i, i])`` over 4,000 elements) plans into a chain of 0-d
map kernels: the scheduler cuts it into chunks of ~30 iterations (``schedule.MAX_KERNEL_ARGS``), every chunk but
the first and the last of one structure, each reading the previous chunk's result (the *carry*) and its own
elements. The chain kernel runs that one chunk's body `n` times in order: the carry is a local variable, every
other input ``j`` is a 1-D array whose row ``r`` is that input of the chain's ``r``-th chunk (the program
gathers them per call, ``tracer/scalar_chains.py``), and out0[0] receives the last chunk's result.

Why the values are the chunks' own: the body's lines are the 0-d kernel's (``source_map.value_lines`` without
vector variants, as ``kernel_source`` writes a 0-d kernel: the C library's functions, the same casts), evaluated
on the same values in the same order, so every operation and rounding is the one the chunk kernels did.
"""
from __future__ import annotations

import numpy as np

from lazyarr.compiler.blocks import as_comment
from lazyarr.compiler.schedule import MapKernel
from lazyarr.compiler.source_map import MODULE_TEMPLATE, array_type, scalar_type, store, value_lines


def chain_source(k: MapKernel, carry: int, out_dtype: np.dtype, version: str, comment: str = "",
                 vector_math: bool = False, varying: tuple = ()) -> str:
    """The module text of the chain kernel of chunk kernel `k`, whose input `carry` is the previous chunk's
    result (of `k`'s output dtype). `vector_math`: the chunks ran on the quick tier, whose math functions are
    the vector ones (``vecmath``: a value, and whether it is exact, else the C library's): each row then
    computes them so too, and again with the C library's where one was not ok, as a blocked Numba loop's two
    passes do. Otherwise the C library's throughout, as Numba's 0-d kernel. `varying`: the constants whose
    value differs between chunks (a loop's ``i * x``): each a 1-D array ``c{j}s``, row ``r`` the r-th chunk's."""
    n_in = len(k.inputs)
    carried = f"x{carry}"
    flags: list = []
    fast, names = value_lines(k, "r", flags=flags if vector_math else None)
    exact, _ = value_lines(k, "r")
    loads = [line for line in fast[:n_in] if not line.startswith(f"{carried} = ")]  # the carry: not per row
    rows = [*[f"c{j} = c{j}s[np.uint64(r)]" for j in varying], *loads, *fast[n_in:]]
    if flags:
        rows += [f"if not ({' and '.join(flags)}):", *[f"    {line}" for line in exact[n_in:]]]
    result = names[id(k.outputs[0])]
    first = next(j for j in range(n_in) if j != carry)
    body = [f"    {carried} = in{carry}[0]",
            f"    for r in range(in{first}.shape[0]):",
            *[f"        {line}" for line in rows],
            f"        {carried} = {result}",
            f"    out0[0] = {store(carried, k.outputs[0].dtype, out_dtype)}"]
    params = ([f"in{j}" for j in range(n_in)] + [f"c{j}s" if j in varying else f"c{j}" for j in range(len(k.consts))]
              + ["out0"])
    consts = [array_type(n.dtype, 1, "C", True) if j in varying else scalar_type(n.dtype)
              for j, n in enumerate(k.consts)]
    sig = [array_type(n.dtype, 1, "C", True) for n in k.inputs] + consts + [array_type(out_dtype, 1, "C", False)]
    text = "\n".join(body)
    extra = "import lazyarr.kernels.scipy_bridge as SB\n" if "SB." in text else ""
    extra += "import lazyarr.kernels.vecmath as V\n" if "V." in text else ""
    extra += "import lazyarr.kernels.vecmath32 as V32\n" if "V32." in text else ""
    return MODULE_TEMPLATE.format(version=version, comment=as_comment(comment) if comment else "#",
                                  extra_imports=extra, signature=", ".join(sig), parallel=False,
                                  params=", ".join(params), body=text)
