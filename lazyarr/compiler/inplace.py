"""Map kernels that write an output into one of their own inputs (s12 lazymandel, #15).

A lazy loop's written array (mandelbrot's ``z[active] = z[active] ** 2 + c[active]``, an elementwise
``where(active, z*z + c, z)``) is computed at each ask into a new buffer, while the buffer of its last value
(a leaf lazyarr realised and owns) dies an iteration later. Writing the new value into that buffer instead
keeps one buffer of the array hot in the cache instead of three in rotation, and needs no new one: measured on
mandelbrot's kernel at 500x500 (thread CPU per iteration, ``docs/fuse_programs.md``, s12) 0.27-0.30 ms with the
rotation, 0.17 ms in place.

Elementwise, that is safe: each element's inputs are loaded before its outputs are stored, at the same index
(a flat loop, every array of the output's shape). But the kernel must be compiled *knowing* that the output is
the input: passed as two arrays over one buffer, LLVM's vectorised loop sits behind a runtime check that no
output overlaps an input, the check fails and the scalar loop runs (slower than a new buffer: s11's
measurement). So an ``AliasedMapKernel`` names, for each such output, the input whose array it is stored into;
the kernel takes that input writable and no array for the output (``source_map.kernel_source``), and its cache
key says so. Whether a buffer may be overwritten is the caller's rule (``api/realise.py``'s ownership rule):
this module only describes the kernel.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from lazyarr.compiler.schedule import MapKernel

__all__ = ["AliasedMapKernel", "aliased"]

TAG = "stored-into-input"  # in the kernel's key: (TAG, (output, input), ...)


@dataclass(frozen=True, eq=False)
class AliasedMapKernel(MapKernel):
    """A flat map kernel whose output ``j`` is stored into input ``i`` for each ``(j, i)`` of `alias`."""
    alias: tuple = ()
    why: str = "elementwise nodes fused into one loop, a written array's new value stored into its own buffer"


def aliased(k: MapKernel, pairs: tuple) -> AliasedMapKernel:
    """`k` with output ``j`` stored into input ``i`` for each ``(j, i)`` of `pairs` (same dtype and shape:
    the caller checks)."""
    pairs = tuple(sorted(pairs))
    fields = {f: getattr(k, f) for f in ("outputs", "inputs", "consts", "body", "shape")}
    return AliasedMapKernel(**fields, key=k.key + ((TAG, *pairs),), alias=pairs)


def alias_of(k) -> dict:
    """{output index: input index} of the outputs `k` stores into its inputs (empty for any other kernel)."""
    return dict(getattr(k, "alias", ()))
