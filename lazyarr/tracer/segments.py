"""Graph breaks inside ``@lazyarr.fuse``: a traced value asked for its data is computed, and the trace goes on.

While a function is traced on placeholders, ``if err.max() < tol``, ``float(s)``, ``.item()``, ``np.asarray(x)``
or a NumPy function without a lazy rule needs a real value. The ``Segmenter`` (installed with
``tracing.breaking`` for the trace) answers it:

1. The graph recorded so far that the value needs is a *segment*: it is planned and compiled like any traced
   graph (``program.build``), run on the call's real arguments, and kept as a program for later calls.
2. The LazyArrays alive in the user's frames (the loop variables of a ``while`` loop) are computed in the
   same pass and become new placeholder leaves, fed on later calls by the segment's program: so the graph
   after a break starts from them instead of growing from the arguments on every iteration.
3. Python gets the value, and the break keeps a guard (``guards.py``) of what Python saw.

The traced function becomes a ``Variant``: its segments, their guards, and the final program. A later call of
the signature replays the segments, checks each guard, and runs the final program; a failed guard tries the
next variant, then traces again (a bounded number of variants per signature). A value no guard can stand for
(an array handed to code lazyarr cannot see) makes the trace unreplayable: the fused function then runs its
Python body on LazyArrays on every call of the signature (``run_eager``), which is still fused per segment.
"""
from __future__ import annotations

import warnings

import numpy as np

from lazyarr.api import tracing
from lazyarr.api.notices import user_stacklevel as _user_stacklevel  # (the user line a warning points at)
from lazyarr.api.array import LazyArray, wrap
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF
from lazyarr.runtime import evaluate as runtime
from lazyarr.tracer import creation_calls, scipy_calls
from lazyarr.tracer.guards import guard_for
from lazyarr.tracer.program import MISS, build
from lazyarr.tracer.scalars import ScalarTrace, Static
from lazyarr.tracer.signature import flatten, unflatten
from lazyarr.tracer.traced import Traced, placeholder

MAX_VARIANTS = 8      # replayable variants kept per signature before it runs eagerly
_MAX_FRAMES = 64      # how far up from the break to look for the traced function's frame


class EagerWarning(UserWarning):
    """A fused function runs its Python body on LazyArrays on every call of a signature (still fused per
    segment, but traced every call): shown once per fused function."""


class Break:
    """One graph break, for ``explain()``: the user's line, why a value was needed, the guard, the segment."""

    __slots__ = ("where", "reason", "guard", "roots")

    def __init__(self, where: str, reason: str, guard, roots: list):
        self.where, self.reason, self.guard, self.roots = where, reason, guard, roots


class Segment:
    """A compiled segment: its program, its guard, which outputs feed later segments, and their strides."""

    __slots__ = ("program", "guard", "live", "strides")

    def __init__(self, program, guard, live: list, strides: list):
        self.program, self.guard, self.live, self.strides = program, guard, live, strides


class Segmenter:
    """The graph-break handler of one trace (``tracing.breaking``): ``note`` hears why a value will be asked,
    ``value`` computes it from the call's real arguments and records the segment and its guard."""

    def __init__(self, fn, flat: tuple, prepared: list, prepare: list):
        self.code = getattr(fn, "__code__", None)
        self.flat = list(flat)           # the call's arguments, then each segment's live outputs
        self.prepared = list(prepared)   # the same, as kernels read them
        self.prepare = prepare
        self.pending: dict[int, str] = {}
        self.segments: list[Segment] = []
        self.breaks: list[Break] = []
        self.replayable = True
        self.keep: list = []             # the placeholder leaves made here (their ids key `leaves`)
        self.need_static = None          # numbers that must be plain values (raised again if code caught it)

    def start(self, leaves: dict, extents: dict, recorder, scalars: ScalarTrace) -> None:
        """The trace's placeholder tables (shared: segment leaves are added to them), recorder and numbers."""
        self.leaves, self.extents, self.recorder, self.scalars = leaves, extents, recorder, scalars

    def note(self, array, what: str) -> None:
        """Why the value of `array` is about to be asked (``bool()`` asks through ``compute()``)."""
        node = getattr(array, "_node", None)
        if node is not None:
            self.pending[id(node)] = what

    def value(self, array, what: str) -> np.ndarray:
        """The value of a traced LazyArray for this call: a break."""
        node = array._node
        reason = self.pending.get(id(node), what)
        self.pending.clear()  # a reason only covers the call that follows it at once
        if self.scalars.records:
            # Traced numbers would reach Python through the value: trace again with them as plain values.
            self.need_static = frozenset().union(*[r.roots for r in self.scalars.records])
            raise Static(self.need_static)
        live = _live_arrays(self.code, self._owned)
        roots, index = [node], {id(node): 0}
        for a in live:
            if id(a._node) not in index:
                index[id(a._node)] = len(roots)
                roots.append(a._node)
        frozen = self.recorder.frozen() if self.recorder is not None else []
        out_tree = ("seq", tuple, [("node", i, True) for i in range(len(roots))])
        traced = Traced(roots, out_tree, ScalarTrace(0), self.leaves, self.extents, frozen)
        program, values = build(traced, tuple(self.flat), list(self.prepared), self.prepare, [], (), ())
        value = np.asarray(values[0])
        guard = guard_for(value, reason)
        if guard is None:
            self.replayable = False
        positions, strides = self._materialise(live, index, values)
        self.segments.append(Segment(program, guard, positions, strides))
        self.breaks.append(Break(tracing.user_line(), reason, guard, roots))
        return value.copy()  # the caller may write into it: the segment's outputs feed later segments

    def _owned(self, leaf) -> bool:
        """Whether a leaf is one of this trace's placeholders (an argument, a view of one, a segment value)."""
        if id(leaf) in self.leaves:
            return True
        address = leaf.data.__array_interface__["data"][0]
        return any(start <= address < stop for _, (start, stop) in self.extents.values())

    def _materialise(self, live: list, index: dict, values) -> tuple[list, list]:
        """Point each live LazyArray at a new placeholder leaf standing for its computed value (an input of
        the segments after this one); their positions among the outputs and strides, checked on replay."""
        positions, strides, made = [], [], {}
        for a in live:
            i = index[id(a._node)]
            if i not in made:
                computed = values[i]
                array, extent = placeholder(computed)
                leaf = expr.leaf(array)
                slot = len(self.flat)
                self.flat.append(computed)
                self.prepared.append(computed)
                self.leaves[id(leaf)] = slot
                self.extents[slot] = (array, extent)
                self.keep.append(leaf)
                made[i] = leaf
                positions.append(i)
                strides.append(computed.strides)
            a._node = made[i]
        return positions, strides

    def build(self, traced: Traced, first_numbers: list, static_args: tuple, static_values: tuple):
        """(program or Variant, the call's result) for the finished trace; None for the program when a break
        cannot be guarded (the signature then runs eagerly)."""
        if self.need_static is not None:  # the traced code caught the Static a break raised
            raise Static(self.need_static)
        program, result = build(traced, tuple(self.flat), list(self.prepared), self.prepare, first_numbers,
                                static_args, static_values)
        if not self.segments:
            return program, result
        if not self.replayable:
            return None, result
        return Variant(self.segments, program, static_args, static_values), result

    def why_eager(self) -> str:
        found = next((b for b in self.breaks if b.guard is None), None)
        if found is None:
            return ""
        return f"{found.reason} handed an array's values to Python at {found.where.splitlines()[0].rstrip(':')}"

    def describe(self, final_roots: list) -> str:
        """What ``f.explain(...)`` shows for this trace: segments, breaks (line, why, guard) and kernels."""
        from lazyarr.runtime.explain import explain
        lines = [f"{len(self.breaks) + 1} segment(s), {len(self.breaks)} graph break(s)"
                 + ("" if self.replayable else "; not replayable: runs eagerly on LazyArrays each call")]
        for i, b in enumerate(self.breaks, 1):
            guard = b.guard.describe() if b.guard is not None else "none (an array's values reached Python)"
            lines += [f"-- segment {i}, ending in a graph break: {b.reason} at {b.where.rstrip()}",
                      f"   guard: {guard}", explain(b.roots)]
        lines += [f"-- segment {len(self.breaks) + 1} (final)", explain(final_roots) if final_roots else
                  "   (no array results)"]
        return "\n".join(lines)


class Variant:
    """A traced function with graph breaks, replayable: each segment's program, then its guard, then the
    final program. MISS when a guard fails (another variant, or a new trace, serves the call)."""

    __slots__ = ("segments", "final", "static_args", "static_values", "fast")

    def __init__(self, segments: list, final, static_args: tuple, static_values: tuple):
        self.segments, self.final = segments, final
        self.static_args, self.static_values = static_args, static_values
        self.fast = None  # served by the dispatcher, which tries variants in turn

    def run(self, flat: tuple):
        values = list(flat)
        for seg in self.segments:
            out = seg.program.run(tuple(values))
            if out is MISS or not seg.guard.holds(out[0]):
                return MISS
            for i, strides in zip(seg.live, seg.strides):
                if out[i].strides != strides:  # the next segments were planned for the traced layout
                    return MISS
                values.append(out[i])
        return self.final.run(tuple(values))


def _live_arrays(code, owned) -> list[LazyArray]:
    """The LazyArrays with pending work in the user's frames, from the break up to the traced function's,
    that this trace made: those whose graph reads a leaf `owned(leaf)` accepts (the trace's own). A
    LazyArray made before the call (a global the function reads) is left alone: it outlives the trace."""
    frame, frames = tracing.user_frame(), []
    while frame is not None and len(frames) < _MAX_FRAMES:
        frames.append(frame)
        if frame.f_code is code:
            break
        frame = frame.f_back
    else:
        frames = frames[:1]  # the traced function's frame was not found: only the innermost user frame
    found, seen = [], set()
    for f in frames:
        for value in list(f.f_locals.values()):
            if type(value) is LazyArray and id(value) not in seen and value._node.op not in (LEAF, CONST):
                seen.add(id(value))
                found.append(value)
    reads: dict[int, bool] = {}
    return [a for a in found if _reads_owned(a._node, owned, reads)]


def _reads_owned(root, owned, memo: dict) -> bool:
    """Whether `root`'s graph reads a leaf `owned` accepts (memoised by node id across calls)."""
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in memo:
            stack.pop()
            continue
        pending = [a for a in node.args if id(a) not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        memo[id(node)] = owned(node) if node.op == LEAF else any(memo[id(a)] for a in node.args)
    return memo[id(root)]


# -- eager runs ------------------------------------------------------------------------------------------

class EagerBreaks:
    """The break handler of an eager run: values are computed on the real arrays; with `materialise`, the
    live LazyArrays of the user's frames become leaves of their values (a loop's graph does not grow)."""

    def __init__(self, fn, materialise: bool, owned: dict | None = None):
        self.code = getattr(fn, "__code__", None)
        self.materialise = materialise
        self.owned = owned if owned is not None else {}  # ids of the run's own leaves (arguments, values)

    def note(self, array, what: str) -> None:
        pass

    def value(self, array, what: str) -> np.ndarray:
        live = _live_arrays(self.code, lambda leaf: id(leaf) in self.owned) if self.materialise else []
        # (programs #15) the asked array itself is rebound too when it is live: a mask updated in a loop
        # (mandelbrot's ``active &= ~escaped``) otherwise kept its whole history, evaluated at every break
        others = [a for a in live if a._node is not array._node]
        values = runtime.evaluate([array._node] + [a._node for a in others])
        for a in live:
            if a._node is array._node:
                a._node = expr.leaf(values[0])
                self.owned[id(a._node)] = a._node
        for a, v in zip(others, values[1:]):
            a._node = expr.leaf(v)
            self.owned[id(a._node)] = a._node
        return values[0]


def run_eager(fn, positional, keywords):
    """Run `fn` on LazyArrays over the call's NumPy arrays, graph breaks computed on the spot, and return its
    results computed (NumPy arrays; NumPy scalars for 0-d results). An argument the function wrote into
    (assignment and writes: its LazyArray now names another value) gets that value, as NumPy's would."""
    arguments = []  # (the caller's array, its LazyArray, the node it started as)

    def wrapped(x):
        if not isinstance(x, np.ndarray):
            return x
        lazy = wrap(x)
        arguments.append((x, lazy, lazy._node))
        return lazy

    positional = [wrapped(x) for x in positional]
    keywords = {k: wrapped(x) for k, x in keywords.items()}
    owned = {id(x._node): x._node for x in (*positional, *keywords.values()) if isinstance(x, LazyArray)}
    handler = EagerBreaks(fn, materialise=True, owned=owned)
    body = creation_calls.routed(fn)  # (blank arrays the body makes are lazy: creation_calls.py)
    with tracing.tracing(), tracing.breaking(handler), scipy_calls.intercepting():
        result = body(*positional, **keywords)
    leaves: list = []
    structure = flatten(result, leaves, objects=True)
    written = [(a, x) for a, x, node in arguments if x._node is not node]
    lazy = [x for x in leaves if isinstance(x, LazyArray)] + [x for _, x in written]
    if lazy:
        from lazyarr.api.functions import compute
        values, made = {}, set()
        for x, value in zip(lazy, compute(*lazy)):
            if id(value) in made and isinstance(value, np.ndarray):
                value = value.copy()  # (s15) two LazyArray objects of one value are two arrays, as in NumPy
            made.add(id(value))
            values[id(x)] = value
        for target, x in written:  # every value is computed before the first write reaches a caller's array
            np.copyto(target, values[id(x)], casting="unsafe")
        for target, x, _ in arguments:  # (s15) an argument returned is the caller's array, as in NumPy
            if id(x) in values:
                values[id(x)] = target
        leaves = [values[id(x)] if isinstance(x, LazyArray) else x for x in leaves]
    return unflatten(structure, leaves)


def warn_eager(name: str, why: str) -> None:
    """The one warning a fused function gives when a signature of it runs eagerly."""
    warnings.warn(f"lazyarr.fuse: {name} runs its Python body on LazyArrays on every call of this signature "
                  f"(still fused and parallel per segment, but traced each call): {why}. See "
                  "f.explain(*args) and docs/fuse.md, 'Graph breaks'.", EagerWarning, stacklevel=_user_stacklevel())


def warn_numpy_run(name: str, exc: Exception) -> None:
    """(s14) The one warning a fused function gives when a call of it ran as plain NumPy after a fused run raised
    (``decorator._Fused.as_numpy``)."""
    warnings.warn(f"lazyarr.fuse: {name}: a fused call raised {type(exc).__name__} ({exc}); the call ran as plain "
                  "NumPy instead, so the function sees the error on its own line, as in NumPy (see docs/fuse.md, "
                  "'Errors that depend on the values')", EagerWarning, stacklevel=_user_stacklevel())


def warn_numpy_route(name: str, why: str) -> None:
    """(s15) The one warning a fused function gives when calls of it run as plain NumPy because of what it does
    (``decorator._Fused.numpy_route``: it asks for floating-point errors, changes a container argument, or its
    trace failed where NumPy's run does not)."""
    warnings.warn(f"lazyarr.fuse: {name}: {why}; such calls run as plain NumPy (see docs/fuse.md, 'Session 15 "
                  "sweep (fuse)')", EagerWarning, stacklevel=_user_stacklevel())


def warn_aliases(name: str) -> None:
    """(s14) The one warning a fused function gives when a call ran as NumPy because its written arguments share
    memory with other arguments (``decorator._Fused.as_numpy_for_aliases``)."""
    warnings.warn(f"lazyarr.fuse: {name} writes into its arguments and was called with arguments that share memory; "
                  "such calls run as plain NumPy (a fused program reads each argument as a separate array). See "
                  "docs/fuse.md, 'Writes into arguments'.", EagerWarning, stacklevel=_user_stacklevel())


def warn_foreign(name: str, value) -> None:
    """(s15) The one warning a fused function gives when a call ran as the plain function because an argument is
    of a kind no trace takes (``decorator._Fused.foreign``)."""
    kind = type(value)
    warnings.warn(f"lazyarr.fuse: {name} was called with a {kind.__module__}.{kind.__qualname__} argument, which a "
                  "trace does not take (lazyarr computes plain ndarrays); such calls run the plain function, as "
                  "NumPy would. See docs/fuse.md, 'Arguments'.", EagerWarning, stacklevel=_user_stacklevel())
