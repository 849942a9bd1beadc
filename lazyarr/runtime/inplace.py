"""Running a tuple of roots with some of them stored into buffers of their own inputs (s12 lazymandel, #15).

``api/realise.py`` decides that a written array's new value may overwrite the buffer of its last value (its
ownership rule); this module runs the ask that way when it can, and says nothing otherwise (the caller then
runs it as before). It can when the roots were planned before as one map kernel over terminals (a
``recipes.MultiRecipe``), that kernel is Numba's (the quick tier's kernels are left as they are), every array is
whole and C-contiguous (the flat layout), and the value has the buffer's dtype. The kernel is the recipe's with
those outputs stored into the inputs (``compiler/inplace.py``), found in memory, on disk, or compiled once from
the roots' plan (in the background where background compilation is on: the calls meanwhile run as before).
"""
from __future__ import annotations

import math

import numpy as np

from lazyarr import config
from lazyarr.compiler import llvm_tier
from lazyarr.compiler import source_map as codegen
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.compiler.inplace import TAG, aliased
from lazyarr.compiler.layout import map_layout
from lazyarr.compiler.schedule import MapKernel, plan
from lazyarr.runtime import launch, recipes

__all__ = ["run", "runs"]

_ran = [0]  # asks that stored a value into its input's buffer (tests: whether the path was taken)


def runs() -> int:
    """How many asks this process ran with a value stored into its input's buffer."""
    return _ran[0]


def run(roots: list, sig, into: dict) -> list | None:
    """The roots' values, root ``r``'s stored into ``into[r] = (leaf, buffer)``: `buffer` is the writable array
    over the memory of `leaf`, a terminal the roots read (its value for the kernel's loads, the root's value
    after its stores). None where this path does not apply (nothing was written)."""
    terms, key = sig
    recipe = recipes.multi_recipe(key)
    if recipe is None or recipe.blocked:  # (s18) a blocked loop's second pass would read the stored outputs
        return None
    shape = roots[0].shape
    arrays = [terms[i].data for i in recipe.inputs]
    layout, order = map_layout(arrays, shape)
    if layout != "flat" or order != "C" or math.prod(shape) == 0:
        return None
    pairs = _pairs(recipe, terms, into, shape)
    if not pairs:
        return None
    parallel = math.prod(shape) >= config.parallel_threshold() and not launch.one_thread()
    plain = launch.kept(recipe.kernels, recipe.structure, layout, len(shape), parallel, recipe.out_dtypes)
    if plain is None or isinstance(recipe.kernels[(layout, len(shape), parallel)][1], llvm_tier.QuickKernel):
        return None  # not run before at this size, or the quick tier's kernel: left as it is
    memo = recipe.stored_into.setdefault(pairs, {})
    structure = recipe.structure + ((TAG, *pairs),)
    kernel = launch.kept(memo, structure, layout, len(shape), parallel, recipe.out_dtypes)
    if kernel is None:
        kernel = _compiled(roots, recipe, pairs, parallel)
        if kernel is None:
            return None
    stored = dict(pairs)
    buffers = {j: into[recipe.roots_of[j]][1] for j in stored}
    inputs = list(arrays)
    for j, i in stored.items():
        inputs[i] = buffers[j]
    outs = [np.empty(shape, dt) for j, dt in enumerate(recipe.out_dtypes) if j not in stored]
    consts = [terms[i] for i in recipe.consts]
    kernel(*launch.arguments(inputs, outs, consts, layout, order, shape))
    values: list = [None] * len(roots)
    fresh = iter(outs)
    for j, r in enumerate(recipe.roots_of):
        values[r] = buffers[j] if j in stored else next(fresh)
    _ran[0] += 1
    return values


def _pairs(recipe, terms: list, into: dict, shape: tuple) -> tuple:
    """((output, input), ...) of the kernel for the roots `into` names, where its leaf is one of the kernel's
    inputs and the buffer is whole, C-contiguous and of the output's dtype."""
    pairs = []
    for j, r in enumerate(recipe.roots_of):
        if r not in into:
            continue
        leaf, buffer = into[r]
        at = [i for i, p in enumerate(recipe.inputs) if terms[p] is leaf]
        if (len(at) != 1 or buffer.shape != shape or buffer.dtype != recipe.out_dtypes[j]
                or not buffer.flags.c_contiguous or not buffer.flags.writeable):
            continue
        pairs.append((j, at[0]))
    return tuple(pairs)


def _compiled(roots: list, recipe, pairs: tuple, parallel: bool):
    """The launching callable of the recipe's kernel with `pairs` stored into inputs, compiled now (or queued:
    None meanwhile). The roots are planned again to get the kernel's nodes; the plan must be the recipe's."""
    steps = plan(roots)
    if len(steps) != 1 or type(steps[0]) is not MapKernel or steps[0].key != recipe.structure:
        return None
    k = aliased(steps[0], pairs)
    out_dtypes = recipe.out_dtypes

    def key_of(p: bool) -> tuple:
        return launch.map_key(k.key, "flat", 1, p, out_dtypes)

    def source_of(p: bool):
        return lambda: codegen.kernel_source(k, "flat", 1, p, out_dtypes, VERSION, comment=launch.describe(k))

    compiled, parallel = launch.pick_kernel(key_of, source_of, k, parallel)
    return None if compiled is None else launch.entry(compiled, parallel)
