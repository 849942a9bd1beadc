"""The fast path for an expression computed again and again: skip planning, go straight to the kernel.

A loop that rebuilds ``(2 * la.array(a) + la.array(b) * la.array(c)).compute()`` on small arrays makes a
fresh graph each time (new leaves, so new nodes), and planning that graph (``schedule.plan``: a walk, a key,
the kernel's argument order) costs more than running a kernel on a thousand elements. But the plan of a
purely elementwise graph is a function of two things only:

- the root's structure id, which fixes every op, dtype and rank in the tree, and
- the *pattern* of its terminals (leaves and constants) read in a fixed order: which occurrences are the
  same node. Hash-consing makes equal subtrees over the same terminals one node, so the pattern also fixes
  the interior sharing, i.e. the common subexpressions the kernel computes once.

So ``signature`` reads the terminals with one cheap walk, and a graph whose (structure, pattern) was planned
before reuses that plan's argument order and kernel key: a ``Recipe``. Recipes hold positions and keys, never
nodes or arrays, so they keep no user data alive. The kernel itself still comes from ``cache``, keyed
exactly as the full path keys it (a miss there, a new layout, an empty array, anything unusual: the full path
runs and the recipe learns from it).
"""
from __future__ import annotations

import functools
import math
import threading
import weakref
from collections import OrderedDict

import numpy as np

from lazyarr import config
from lazyarr.graph.dtypes import HALF
from lazyarr.graph.expr import LEAF, Node
from lazyarr.compiler.layout import layout_of
from lazyarr.compiler import cache
from lazyarr.compiler.llvm_math_map import may_run_blocks  # (s18) a kernel that runs blocks twice
from lazyarr.compiler.layout import map_layout  # (#15)
from lazyarr.runtime import launch
from lazyarr.runtime import scratch  # (s16 watch)
from lazyarr.compiler.schedule import MapKernel

# A walk longer than this is not a "small expression": the full path plans it (and the walk, which visits a
# shared subtree once per use, can never blow up on a deeply shared graph).
MAX_WALK = 64
MAX_RECIPES = 1024


class Recipe:
    """How to call the kernel for one (structure, pattern): which terminals are its array inputs and
    constants, in the kernel's argument order, its structure key, and the kernels already looked up for it
    (``launch.kept``'s memo)."""
    __slots__ = ("inputs", "consts", "structure", "out_dtypes", "plain", "kernels", "blocked")

    def __init__(self, inputs: tuple, consts: tuple, structure: tuple, out_dtype: np.dtype, plain: bool,
                 blocked: bool = False):
        self.inputs, self.consts, self.structure, self.out_dtypes = inputs, consts, structure, (out_dtype,)
        self.plain = plain  # no float16 anywhere: arrays and constants go to the kernel as they are
        self.kernels: dict[tuple, tuple] = {}
        self.blocked = blocked  # (s18) its kernel runs blocks twice: ``narrow_alias``'s `blocked`


_recipes: "OrderedDict[tuple, Recipe]" = OrderedDict()
_lock = threading.Lock()


# What ``signature`` found for a root, which may be computed again (``remember``): id(root) -> (a weak
# reference to the root, the signature or False when it is not eligible). Kept here, not on the node (nodes
# carry no runtime state); the weak reference's callback drops the entry when the root dies, and the identity
# check guards against a new node at a reused id meanwhile.
_signatures: dict[int, tuple] = {}


def _forget_signature(key: int, ref: weakref.ref) -> None:
    if _signatures.get(key, (None,))[0] is ref:
        del _signatures[key]


def signature(root: Node):
    """(terminals in first-seen order, (structure id, pattern)) for a small purely elementwise graph, or
    None when the full path must plan it."""
    found = _signatures.get(id(root))
    if found is not None and found[0]() is root:
        return found[1] or None  # False: walked before and not eligible
    if not root.fusable:
        return None
    sig = _signature(root)
    key = id(root)
    ref = weakref.ref(root, functools.partial(_forget_signature, key))
    _signatures[key] = (ref, False if sig is None else sig)
    return sig


def _signature(root: Node):
    terms: list[Node] = []
    seen: dict[int, int] = {}
    pattern: list[int] = []
    stack = [root]
    walked = 0
    while stack:
        node = stack.pop()
        args = node.args
        if args:
            walked += 1
            if walked > MAX_WALK or not node.fusable:
                return None
            stack.extend(args)
            continue
        position = seen.get(id(node))
        if position is None:
            position = seen[id(node)] = len(terms)
            terms.append(node)
        pattern.append(position)
    return terms, (root.sid, tuple(pattern))


def run(root: Node, sig, out: np.ndarray | None = None) -> np.ndarray | None:
    """The root's value through its recipe (into `out` when given and the kernel can write it directly), or
    None if the full path must run (and `learn` afterwards)."""
    ready = _ready.get(id(root))
    if ready is not None and ready[0] is root:
        value = _run_ready(ready, out)
        if value is not None:
            return value
    terms, key = sig
    recipe = _recipes.get(key)
    if recipe is None:
        return None
    shape = root.shape
    arrays = [terms[i].data for i in recipe.inputs]
    if len(shape) == 1 and recipe.plain:
        # 1-D, the commonest small call: flat exactly when every input is whole and contiguous.
        for a in arrays:
            if a.shape != shape or not a.flags.c_contiguous:
                layout, order = layout_of(arrays, shape)
                break
        else:
            layout, order = "flat", "C"
        size = shape[0]
    else:
        layout, order = map_layout(arrays, shape)  # (#15) as run_map chooses it: windows as offsets
        size = math.prod(shape)
    if size == 0:
        return None
    parallel = size >= config.parallel_threshold() and not launch.one_thread()  # #14: one thread runs serially
    kernel = launch.kept(recipe.kernels, recipe.structure, layout, len(shape), parallel, recipe.out_dtypes)
    if kernel is None:
        return None
    into = None
    if out is not None and narrow_alias(out, arrays, recipe.blocked):  # (mandel2 #15) computed aside, then copied
        into, out = out, None
    fresh = out is None
    if fresh:  # (s16 watch) a dropped big result of an earlier call, if any, else NumPy's allocator
        out = scratch.empty(shape, recipe.out_dtypes[0], order)
    elif not _writes_directly(out, recipe.out_dtypes[0], layout, order, arrays):
        return None
    if recipe.plain and layout == "flat" and len(shape) == 1:
        args = arrays + [terms[i].data for i in recipe.consts]  # no float16: nothing to convert
        args.append(out)
        kernel(*args)
    else:
        kernel(*launch.arguments(arrays, [out], [terms[i] for i in recipe.consts], layout, order, shape))
        args = None
    if id(root) not in _remembered:
        remember(root, sig)
    elif args is not None and not parallel:  # (again after a stale one: a kernel left memory meanwhile)
        get_ready(root, recipe, layout, args[:-1], len(arrays))
    if into is not None:  # (mandel2 #15)
        np.copyto(into, out, casting="same_kind")
        return into
    if fresh and out.nbytes >= scratch.WATCH_MIN_BYTES:
        scratch.watch(out)  # (s16 watch) once the caller drops it, the next call's kernel writes into it
    return out


def _writes_directly(out: np.ndarray, dtype: np.dtype, layout: str, order: str, arrays: list) -> bool:
    """Whether the recipe's flat kernel can write `out` itself: the result's dtype, contiguous in the kernel's
    order, no input it could change before reading (anything else: the full path, which casts or copies)."""
    flags = out.flags  # (#14 small calls) one flags object, not three
    contiguous = flags.c_contiguous if order == "C" else flags.f_contiguous
    return (layout == "flat" and out.dtype == dtype and contiguous and flags.aligned
            and not launch.overlaps(out, arrays))


def learn(root: Node, sig, steps: list) -> None:
    """Remember the plan the full path just ran for `root`, if it was one map kernel computing the root."""
    if len(steps) != 1 or type(steps[0]) is not MapKernel or steps[0].outputs != (root,):
        return
    k = steps[0]
    terms, key = sig
    position = {id(t): i for i, t in enumerate(terms)}
    try:
        inputs = tuple(position[id(n)] for n in k.inputs)
        consts = tuple(position[id(n)] for n in k.consts)
    except KeyError:  # an input that is not a terminal of the walk: not a graph this path handles
        return
    plain = all(t.dtype != HALF for t in terms) and root.dtype != HALF
    recipe = Recipe(inputs, consts, k.key, root.dtype, plain, may_run_blocks(k))
    with _lock:
        _recipes[key] = recipe
        if len(_recipes) > MAX_RECIPES:
            _recipes.popitem(last=False)


# --- remembering small graphs --------------------------------------------------------------------------------
# The nodes of a graph die with its last LazyArray, so a loop that rebuilds an expression would make every node
# afresh. Keeping the last few small graphs alive lets the rebuild find them instead (hash-consing: the same
# op on the same operands is the same node; leaves of the same user array are the same leaf), and their
# signatures with them. The price is that those arrays stay alive a little longer: at most REMEMBER_GRAPHS
# graphs whose leaves hold REMEMBER_BYTES in all, only graphs of arrays no bigger than REMEMBER_LEAF_BYTES.
REMEMBER_GRAPHS = 32
REMEMBER_BYTES = 4 << 20
REMEMBER_LEAF_BYTES = 256 << 10

_remembered: "OrderedDict[int, tuple[Node, int]]" = OrderedDict()
_remembered_bytes = 0


def remember(root: Node, sig) -> None:
    global _remembered_bytes
    size = 0
    for t in sig[0]:
        if t.op == LEAF:
            nbytes = held_bytes(t.data)
            if nbytes > REMEMBER_LEAF_BYTES:
                return
            size += nbytes
    with _lock:
        if id(root) in _remembered:
            return
        _remembered[id(root)] = (root, size)
        _remembered_bytes += size
        while len(_remembered) > REMEMBER_GRAPHS or _remembered_bytes > REMEMBER_BYTES:
            dropped, (_, old) = _remembered.popitem(last=False)
            _remembered_bytes -= old
            _ready.pop(dropped, None)


# --- (#14 small calls) ready launches of remembered graphs ------------------------------------------------
# A remembered graph computed again (the loop that rebuilds the same small expression on the same arrays) has
# the same kernel, arrays and constants every call: its launch is kept ready (id(root) -> (root, the kernel
# memo's generation, the kernel, its arguments but the output, how many are arrays, the result's dtype and
# shape, the arrays whose buffers hold the inputs: ``launch.owner_of``, or None; the recipe's ``blocked``, s18), so the call checks the inputs' layout and launches, without the recipe lookup, the argument lists
# and the kernel memo. Only serial 1-D flat launches of plain dtypes; dropped with the remembered graph.
_ready: dict[int, tuple] = {}


def get_ready(root: Node, recipe: Recipe, layout: str, args: list, n_arrays: int) -> None:
    generation = recipe.kernels.get((layout, 1, False), (None,))[0]
    if generation is None:
        return
    kernel = recipe.kernels[(layout, 1, False)][2]
    owners = tuple(launch.owner_of(a) for a in args[:n_arrays])  # fixed for these arrays (None: not known)
    with _lock:
        if id(root) in _remembered:
            _ready[id(root)] = (root, generation, kernel, tuple(args), n_arrays, recipe.out_dtypes[0], root.shape,
                                None if any(o is None for o in owners) else owners, recipe.blocked)


def _run_ready(ready: tuple, out: np.ndarray | None) -> np.ndarray | None:
    """The ready launch's value, or None when anything it assumed has changed (the full checks then run)."""
    _, generation, kernel, args, n_arrays, dtype, shape, owners, blocked = ready
    if generation != cache.generation() or shape[0] >= config.parallel_threshold():
        return None
    arrays = args[:n_arrays]
    for a in arrays:
        if a.shape != shape or not a.flags.c_contiguous:
            return None
    if out is None:
        out = np.empty(shape, dtype)
    else:
        ready = _writes_ready(out, dtype, arrays, owners)
        if not ready or ready is _SAME_ALLOCATION and narrow_alias(out, arrays, blocked):  # (mandel2 #15)
            return None
    kernel(*args, out)
    cache.count_hit()
    return out


_SAME_ALLOCATION = 2  # (s21) truthy: ready, but `out` may be one of the inputs (``narrow_alias`` decides)


def _writes_ready(out: np.ndarray, dtype: np.dtype, arrays: tuple, owners: tuple | None) -> int:
    """``_writes_directly`` for a ready launch, whose inputs' buffer owners were found once: one flags read.
    0: not ready; 1: ready, `out` in an allocation no input uses; ``_SAME_ALLOCATION``: ready, but an input's
    buffer is out's (s21: only then is ``narrow_alias``'s address test, 3.3 us a call, asked)."""
    flags = out.flags
    if out.dtype != dtype or not (flags.c_contiguous and flags.aligned):
        return 0
    owner = out if flags.owndata else launch.owner_of(out)
    if owners is not None and owner is not None:
        for o in owners:
            if o is owner:
                break
        else:
            return 1  # different allocations: no overlap (see launch.overlaps)
    return 0 if launch.overlaps(out, list(arrays)) else _SAME_ALLOCATION


def held_bytes(a: np.ndarray) -> int:
    """The memory a leaf keeps alive: a view (``x[:10]``, ``broadcast_to``) holds its whole base array."""
    base = a.base
    return base.nbytes if type(base) is np.ndarray else a.nbytes


def forget() -> None:
    """Drop every recipe and remembered graph (recipes hold no kernels: ``clear_cache`` need not call it)."""
    global _remembered_bytes
    with _lock:
        _recipes.clear()
        _multi.clear()  # (mandel2 #15)
        _remembered.clear()
        _ready.clear()
        _remembered_bytes = 0


# --- (mandel2 #15) several roots, one kernel: the plan of a lazy loop's ask reused --------------------------
# A lazy loop asks for the same graph every iteration on new data: mandelbrot's ``escape[escaped] = i`` computes
# ``escaped`` together with z's written update (api/realise.py computes written arrays on the way), two roots of
# one map kernel, from z's new leaf each time. ``signature`` is per root; planning the pair again cost ~20% of
# the iteration's Python (a walk, row fusion's search, the region, the key). The same reasoning holds for a
# tuple of roots: the roots' structure ids and the pattern of their terminals, read in one walk with shared
# positions, fix the graph up to its terminals, so a tuple planned before as one MapKernel over terminals
# reuses that kernel's argument order and key (``MultiRecipe``: positions and keys only, as ``Recipe``).
class MultiRecipe:
    """How to call the one map kernel of a tuple of roots: terminal positions of its inputs and constants, its
    structure key and output dtypes, which root each output is, and the kernels found for it."""
    __slots__ = ("inputs", "consts", "structure", "out_dtypes", "roots_of", "kernels", "stored_into", "blocked")

    def __init__(self, inputs: tuple, consts: tuple, structure: tuple, out_dtypes: tuple, roots_of: tuple,
                 blocked: bool = False):
        self.inputs, self.consts, self.structure, self.out_dtypes = inputs, consts, structure, out_dtypes
        self.roots_of = roots_of  # roots_of[j]: the position in the roots of the kernel's j-th output
        self.kernels: dict[tuple, tuple] = {}
        self.stored_into: dict[tuple, dict] = {}  # (s12 lazymandel) runtime/inplace.py's kernels, by their pairs
        self.blocked = blocked  # (s18) its kernel runs blocks twice: never stored into its inputs (runtime/inplace)


_multi: "OrderedDict[tuple, MultiRecipe]" = OrderedDict()


def multi_recipe(key: tuple) -> MultiRecipe | None:
    """(s12 lazymandel) The recipe of a tuple of roots' signature key, if learnt (runtime/inplace.py)."""
    return _multi.get(key)


def signature_of(roots: list[Node]):
    """(terminals, key) of a tuple of distinct small fusable roots of one shape, or None."""
    if len(roots) < 2 or len({id(r) for r in roots}) != len(roots):
        return None
    shape = roots[0].shape
    terms: list[Node] = []
    seen: dict[int, int] = {}
    pattern: list[int] = []
    walked = 0
    for root in roots:
        if not root.args or root.shape != shape or not root.fusable:
            return None
        stack = [root]
        while stack:
            node = stack.pop()
            if node.args:
                walked += 1
                if walked > MAX_WALK or not node.fusable:
                    return None
                stack.extend(node.args)
                continue
            position = seen.get(id(node))
            if position is None:
                position = seen[id(node)] = len(terms)
                terms.append(node)
            pattern.append(position)
        pattern.append(-1)  # where one root's terminals end
    return terms, (tuple(r.sid for r in roots), tuple(pattern))


def run_many(roots: list[Node], sig) -> list[np.ndarray] | None:
    """The roots' values through their recipe, or None if the full path must run (and `learn_many`)."""
    terms, key = sig
    recipe = _multi.get(key)
    if recipe is None:
        return None
    shape = roots[0].shape
    size = math.prod(shape)
    if size == 0:
        return None
    arrays = [terms[i].data for i in recipe.inputs]
    layout, order = map_layout(arrays, shape)
    parallel = size >= config.parallel_threshold() and not launch.one_thread()
    kernel = launch.kept(recipe.kernels, recipe.structure, layout, len(shape), parallel, recipe.out_dtypes)
    if kernel is None:
        return None
    outs = [np.empty(shape, dt, order=order) for dt in recipe.out_dtypes]
    kernel(*launch.arguments(arrays, outs, [terms[i] for i in recipe.consts], layout, order, shape))
    values: list = [None] * len(roots)
    for j, o in zip(recipe.roots_of, outs):
        values[j] = o
    return values


def learn_many(roots: list[Node], sig, steps: list) -> None:
    """Remember the plan the full path just ran for `roots`, if it was one map kernel computing them all."""
    if len(steps) != 1 or type(steps[0]) is not MapKernel or len(steps[0].outputs) != len(roots):
        return
    k = steps[0]
    terms, key = sig
    at_root = {id(r): j for j, r in enumerate(roots)}
    position = {id(t): i for i, t in enumerate(terms)}
    try:
        roots_of = tuple(at_root[id(n)] for n in k.outputs)
        inputs = tuple(position[id(n)] for n in k.inputs)
        consts = tuple(position[id(n)] for n in k.consts)
    except KeyError:  # an output that is not a root, an input that is not a terminal
        return
    out_dtypes = tuple(n.dtype for n in k.outputs)
    if HALF in out_dtypes or any(t.dtype == HALF for t in terms):
        return  # float16 is carried as its bits: the full path converts it
    with _lock:
        _multi[key] = MultiRecipe(inputs, consts, k.key, out_dtypes, roots_of, may_run_blocks(k))
        if len(_multi) > MAX_RECIPES:
            _multi.popitem(last=False)


# An in-place update (``active &= ~escaped``: `out` is the very array the kernel reads) is safe elementwise, but
# the kernel's loop, which LLVM vectorises behind a check that its output overlaps none of its inputs, then runs
# its scalar version. For 8-byte elements that costs little (the loop is bound by memory either way); for bool
# and other 1-2 byte elements, 16-32 of which fill a vector, the scalar loop took 3.5-4x as long (a 500x500
# bool ``a &= lazy``: ~450 us against ~140 us into another array, measured in one process). Such a call
# computes into a new buffer and copies the result into `out` (a copy of a quarter of a megabyte: ~15 us).
# (s18 f32mem) A kernel with vector math (``source_map.uses_vector_ops``: the blocked loop of either tier) runs a
# block again with the C library when some element's fast value was not ok (a NaN, an argument out of the fast
# range): by then its fast pass has stored the block's outputs, so where `out` is one of the inputs the second pass
# read its own results (``tanh(z).compute(out=z)`` with a NaN in z gave tanh(tanh(z)) for the NaN's whole block, in
# both tiers). Such a call, at any element size (`blocked`: ``llvm_math_map.may_run_blocks``), computes aside.
def narrow_alias(out: np.ndarray, arrays: list, blocked=False) -> bool:
    """Whether `out` is exactly one of `arrays` (same memory and strides) and has elements of at most 2 bytes, or
    its kernel is `blocked`: a bool, or a function giving it, asked only when `out` is one of `arrays` (s19: a lazy
    loop's every map step walked the kernel's body for ``may_run_blocks``, also for outputs that alias nothing;
    cProfile counted the walks at 10% of lazy durbin, though alternated timings showed no measurable change)."""
    if not _same_memory_as_one_of(out, arrays):
        return False
    if out.dtype.itemsize <= 2:
        return True
    return bool(blocked()) if callable(blocked) else bool(blocked)


def _same_memory_as_one_of(out: np.ndarray, arrays: list) -> bool:
    start = None
    for a in arrays:
        if a is out:
            return True
        if a.shape == out.shape and a.strides == out.strides and a.dtype.itemsize == out.dtype.itemsize:
            if start is None:
                start = out.__array_interface__["data"][0]
            if a.__array_interface__["data"][0] == start:
                return True
    return False
# --- end mandel2 ---
