"""``@lazyarr.fuse``: trace a NumPy function once per signature, then call its fused kernels directly.

    @la.fuse
    def f(a, b, k=2.0):
        return np.sin(a) * k + b

    f(x, y)          # first call of a signature: trace on placeholders, plan, compile (or load) the kernels
    f(x, y, k=3.0)   # cached: check the arguments, allocate, call the kernel entry point

The signature of a call is what can change the traced graph: each array's dtype, shape and strides; each
Python number's value class (``_trace_scalar.classify``); the value of everything else (bools, strings,
None, an ``axis``). A number that the function uses as a value (``if k > 0``, ``axis=k``, ``range(n)``) joins
the signature by value on its own. Sizes are part of the trace key because graph building reads them
(``x.mean()`` divides by a size, ``len(x)`` is a Python int): a new size traces again but compiles nothing,
since kernels are cached by structure, not size. See docs/fuse.md.
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import time
from typing import NamedTuple

import numpy as np

from lazyarr import config
from lazyarr.graph import dtypes
from lazyarr.graph import expr
from lazyarr.api import byte_order
from lazyarr.api import tracing
from lazyarr.api.build import plain_ndarray
from lazyarr.api.tracing import TracingError
from lazyarr.tracer.signature import ForeignArgument, dataclass_fields, flatten, key_of, plain_structure, \
    special_numpy_scalar, state_key, static_key, unflatten
from lazyarr.tracer.traced import Traced, equivalent, placeholder, same_bytes, snapshot
from lazyarr.tracer.program import MISS, build
from lazyarr.tracer.scalars import ScalarTrace, ScalarTracer, Static, classify, replay
from lazyarr.api.array import LazyArray, wrap
# (graph breaks) segments, guards and eager runs
from lazyarr.tracer import creation_calls, scipy_calls, segments
from lazyarr.tracer import fp_errors, numpy_scalars, read_globals, rng_states, routes
from lazyarr.tracer import speed_probe  # (s17) a signature slower fused than as NumPy runs as NumPy
from lazyarr.runtime import external, scratch

__all__ = ["fuse", "FuseInfo", "TracingError"]


NO_READS = ((), ())  # (s15) a function that reads no watched global or closure value


class FuseInfo(NamedTuple):
    """``f.cache_info()`` of a fused function."""
    hits: int       # calls served by a cached program
    misses: int     # calls that had to trace
    traces: int     # runs of the Python function on placeholders
    currsize: int   # cached programs (one per signature)
    maxsize: int


def fuse(fn=None, *, maxsize: int = 128):
    """Decorator: trace `fn` once per signature into one plan of fused kernels, and call those directly.

    Call it with NumPy arrays and scalars: it returns what `fn` returns, with NumPy arrays (NumPy scalars for
    0-d results) in place of lazy ones. Called with LazyArrays (or from inside another fused function), it
    runs `fn` on them and returns lazy results. ``f.cache_info()`` and ``f.cache_clear()`` are as in
    functools; `maxsize` bounds the number of cached signatures.
    """
    if fn is None:
        return lambda f: fuse(f, maxsize=maxsize)
    state = _Fused(fn, maxsize)
    programs = state.programs
    numpy_faster = state.numpy_faster
    nparams, defaults = state.nparams, state.defaults
    fewest = nparams - len(defaults)

    @functools.wraps(fn)
    def fused(*args, **kwargs):
        if tracing.tracing_threads and tracing.active():  # (s15) inside another trace: inlined (``_lazy``)
            return state.call(args, kwargs)
        if kwargs or len(args) != nparams:
            if kwargs or not fewest <= len(args) < nparams:
                return state.call(args, kwargs)
            args += defaults[len(args) - fewest:]
        try:
            key = key_of(args)
        except ForeignArgument:
            return state.call(args, kwargs)
        if key is None:
            return state.call(args, kwargs)
        if state.reads is not NO_READS:  # (s15) globals and closure values the function reads
            key += state.reads_key()
        found = programs.get(key)
        if found is None and key in numpy_faster:  # (s17) the function itself was faster: every route is plain
            state.hits += 1
            return fn(*args)
        if found is not None and not fp_errors.caller_asks():
            run = found[0].fast
            if run is not None:
                if key in state.writes and must_run_as_numpy(args, state.writes[key]):
                    return state.as_numpy_for_writes(args, None)
                try:
                    result = run(args)
                except Exception as exc:
                    if key in state.writes:
                        raise
                    return state.as_numpy(args, None, exc)
                if result is not MISS:
                    state.hits += 1
                    return result
        return state.dispatch(args, key, None)

    fused.cache_info = state.cache_info
    fused.cache_clear = state.cache_clear
    fused.explain = state.explain  # (graph breaks)
    return fused


fuse.TracingError = TracingError
fuse.EagerWarning = segments.EagerWarning  # (graph breaks)


# -- one fused function -----------------------------------------------------------------------------------

class _Fused:
    def __init__(self, fn, maxsize: int):
        self.fn = fn
        self.name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        simple = all(p.kind in positional for p in params)
        self.nparams = len(params) if simple else -1
        self.defaults = tuple(p.default for p in params if p.default is not p.empty) if simple else ()
        if any(p.default is p.empty for p in params[len(params) - len(self.defaults):]):
            self.defaults = ()  # not trailing (cannot happen for positional parameters, but be safe)
        self.param_names = [p.name for p in params]
        self.programs: dict[tuple, list] = {}
        self.static_hints: dict[tuple, frozenset] = {}  # numbers found static for a key: traced plain next time
        self.maxsize = maxsize
        self.lock = threading.Lock()
        self.hits = self.misses = self.traces = 0
        # (graph breaks) signatures that run eagerly (key -> why), and what explain() shows per signature
        self.eager: dict[tuple, str] = {}
        self.explained: dict[tuple, list] = {}
        self.warned_eager = False
        # (s14) signatures whose function writes into array arguments (a failed run may have written some)
        self.writes: dict = {}  # signature key -> the flat arguments its function writes into
        self.warned_numpy = False
        self.warned_aliases = False
        self.warned_foreign = False
        # (s15) signatures that run as plain NumPy (key -> why): the function asks for floating-point errors
        self.numpy_keys: dict[tuple, str] = {}
        self.warned_fp = False
        self.local = threading.local()  # .caller: the arguments of the general path's call on this thread
        self.reads = None  # (s15) (global names, closure cells) whose values join the key: read_globals.watched
        self.scalars_static = numpy_scalars.calls_type(fn)  # (s16) ``type(k)``: NumPy scalars by value
        # (s17) tracer/speed_probe.py: signatures being timed, fused against NumPy; the verdicts (key -> what was
        # measured); and the signatures that run as plain NumPy because that was faster
        self.probing: dict[tuple, speed_probe.Probe] = {}
        self.probed: dict[tuple, str] = {}
        self.numpy_faster: set = set()

    def reads_key(self) -> tuple:
        """(s15) The values of the globals and closure cells the function reads (tracer/read_globals.py), as one
        key item; () for a function that reads none (decided at its first call)."""
        if self.reads is None:
            found = read_globals.watched(self.fn)
            self.reads = NO_READS if found == NO_READS else found
        if self.reads is NO_READS:
            return ()
        return (read_globals.key(self.fn, *self.reads, state_key),)

    def cache_info(self) -> FuseInfo:
        return FuseInfo(self.hits, self.misses, self.traces, sum(map(len, list(self.programs.values()))),
                        self.maxsize)

    def cache_clear(self) -> None:
        with self.lock:
            self.programs.clear()
            self.static_hints.clear()
            self.eager.clear()
            self.explained.clear()
            self.numpy_keys.clear()
            self.probing.clear()
            self.probed.clear()
            self.numpy_faster.clear()
            self.hits = self.misses = self.traces = 0

    # -- calls ------------------------------------------------------------------------------------------
    def call(self, args: tuple, kwargs: dict):
        """The general path: keyword arguments, defaults, containers, lazy arguments."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{self.name}() {exc}") from None
        bound.apply_defaults()
        positional, keywords = bound.args, bound.kwargs
        leaves: list = []
        structure = flatten((positional, keywords), leaves)
        if any(isinstance(x, (LazyArray, ScalarTracer)) for x in leaves) or \
                (tracing.tracing_threads and tracing.active()):
            # (s15) inside another fused function's trace the body is inlined even when the traced values are out of
            # sight (``self.a`` of an object argument): a program of its own read the outer placeholders' zeros
            return self._lazy(structure, leaves)
        flat = tuple(leaves)
        try:
            key = key_of(flat)
        except ForeignArgument as exc:
            return self.foreign(structure, leaves, exc.value)
        key += self.reads_key()
        if structure == plain_structure(len(flat)):
            return self.dispatch(flat, key, None)
        outer = getattr(self.local, "caller", None)
        self.local.caller = (positional, keywords)  # (s15) a plain NumPy run gets the caller's own containers
        try:
            return self.dispatch(flat, (structure,) + key, structure)
        finally:
            self.local.caller = outer

    def dispatch(self, flat: tuple, key: tuple, structure):
        if key in self.writes and must_run_as_numpy(flat, self.writes[key]):
            return self.as_numpy_for_writes(flat, structure)
        if key in self.numpy_keys or fp_errors.caller_asks():
            return self.numpy_route(flat, structure, self.numpy_keys.get(key) or "it is called under np.errstate "
                                    "asking for floating-point errors, which fused kernels do not report")
        if key in self.numpy_faster:  # (s17) the function itself was clearly faster than its fused program
            self.hits += 1
            return self.plain_run(flat, structure)
        probe = self.probing.get(key)
        if probe is not None:
            return self._probed(probe, flat, key, structure)
        return self._run_fused(flat, key, structure)

    def _probed(self, probe, flat: tuple, key: tuple, structure):
        """(s17) One call of a signature being probed (tracer/speed_probe.py): a timed fused run, or a timed run
        of the function as plain NumPy; the verdict once both are measured."""
        if probe.runs_numpy_next():
            start = time.perf_counter()
            result = self.plain_run(flat, structure)
            probe.add_numpy(time.perf_counter() - start)
            self.hits += 1
        else:
            misses, start = self.misses, time.perf_counter()
            result = self._run_fused(flat, key, structure)
            if self.misses == misses and key in self.probing:  # a call that traced (a guard flipped) says nothing
                probe.add_fused(time.perf_counter() - start)
        verdict = probe.verdict()
        if verdict is not None:
            self._decide(key, probe, verdict)
        return result

    def _decide(self, key: tuple, probe, as_numpy: bool) -> None:
        with self.lock:
            if self.probing.pop(key, None) is None:
                return
            self.probed[key] = probe.describe()
            while len(self.probed) > self.maxsize:
                del self.probed[next(iter(self.probed))]
            self.numpy_faster.intersection_update(self.probed)  # (in place: fuse's fast path holds this set)
            if as_numpy:
                self.numpy_faster.add(key)
                self.programs.pop(key, None)  # its fast entries stay off: calls reach the dispatcher
                self.eager.pop(key, None)
            else:
                probe.release()

    def _probe(self, key: tuple, program) -> None:
        """(s17) Start timing signature `key` (once per signature), or hold a new variant's fast entry while it
        is timed."""
        probe = self.probing.get(key)
        if probe is None:
            if key in self.probed or not config.fuse_probe():
                return
            probe = self.probing[key] = speed_probe.Probe()
            while len(self.probing) > self.maxsize:
                del self.probing[next(iter(self.probing))]
        if program is not None:
            probe.hold(program)

    def _run_fused(self, flat: tuple, key: tuple, structure):
        """The signature's fused program (or its eager run on LazyArrays); a trace if none matches."""
        if key in self.eager:  # (graph breaks) no replayable trace for this signature
            self.hits += 1
            try:
                return self._eager(flat, structure)
            except Exception as exc:
                if key in self.writes:
                    raise
                return self.as_numpy(flat, structure, exc)
        found = self.programs.get(key, ())
        for program in found:
            if program.static_args and \
                    tuple(static_key(flat[i]) for i in program.static_args) != program.static_values:
                continue
            try:
                result = program.run(flat)
            except Exception as exc:
                if key in self.writes:
                    raise
                return self.as_numpy(flat, structure, exc)
            if result is not MISS:
                self.hits += 1
                return result
        return self._miss(flat, key, structure)

    def _lazy(self, structure, leaves):
        """Lazy arguments: run the function on them (tracing rules apply) and return its lazy results."""
        leaves = [wrap(x) if isinstance(x, np.ndarray) or external.handler_for(x) is not None else x
                  for x in leaves]  # (s15) dask arrays too: la.array(dask_array)
        positional, keywords = unflatten(structure, leaves)
        # (graph breaks) at top level a value asked for is computed, as on any LazyArray; inside a trace, the
        # trace's own handler (or its refusal) applies
        breaks = None if tracing.active() else segments.EagerBreaks(self.fn, materialise=False)
        # (blank arrays made by the body of a function inlined into a trace are traced: creation_calls.py)
        fn = creation_calls.routed(self.fn) if breaks is None else self.fn
        # ((s16) scipy.stats' methods take the lazy arguments as lazyarr's, as in a trace: scipy_calls.py)
        with tracing.tracing(), tracing.breaking(breaks) if breaks is not None else contextlib.nullcontext(), \
                scipy_calls.intercepting():
            return fn(*positional, **keywords)

    def foreign(self, structure, leaves: list, value):
        """(s15) An argument no trace takes (``signature.ForeignArgument``): decorating a working NumPy function
        must not break it. Dask arrays (with in-memory arrays and numbers beside them) run the function lazily
        over ``la.array(dask_array)``, so each dask block gets fused kernels, and the results come back as dask
        arrays, as the plain function on dask arrays returns them. Anything else (a masked array, np.matrix,
        a pandas object) runs the plain function on the caller's arguments, with one warning per function."""
        if all(not isinstance(x, np.ndarray) or type(x) is np.ndarray for x in leaves) \
                and external.handler_for(value) is not None:
            result = self._lazy(structure if structure is not None else plain_structure(len(leaves)), leaves)
            parts: list = []
            shape = flatten(result, parts)
            return unflatten(shape, [x.to_dask() if isinstance(x, LazyArray) and external.involved([x._node])
                                     else np.asarray(x) if isinstance(x, LazyArray) else x for x in parts])
        if not self.warned_foreign:
            self.warned_foreign = True
            segments.warn_foreign(self.name, value)
        if structure is None:
            return self.fn(*leaves)
        positional, keywords = unflatten(structure, leaves)
        return self.fn(*positional, **keywords)

    def plain_run(self, flat: tuple, structure):
        """The function itself, as NumPy runs it, on the caller's arguments (the caller's own containers where
        the general path kept them: a list the function changes is the caller's list)."""
        if structure is None:
            return self.fn(*flat)
        positional, keywords = getattr(self.local, "caller", None) or unflatten(structure, list(flat))
        return self.fn(*positional, **keywords)

    def as_numpy(self, flat: tuple, structure, exc: Exception):
        """(s14) A compiled or eager run of the function raised (a stage's error that depends on the values:
        ``np.linalg.solve`` of a singular matrix, a histogram of NaN). In NumPy the function itself raises it
        on its line, where its own ``try``/``except`` may catch it; a fused run raises it later, outside. So
        this call runs the function as plain NumPy on the caller's arrays: NumPy's behaviour, whether the
        function catches the error or NumPy raises it. Only for a function that writes into no argument
        (the failed run may have written some); one warning per function."""
        if not self.warned_numpy:
            self.warned_numpy = True
            segments.warn_numpy_run(self.name, exc)
        return self.plain_run(flat, structure)

    def as_numpy_for_writes(self, flat: tuple, structure):
        """A call a writing program cannot make as NumPy would (``must_run_as_numpy``): arguments sharing memory
        (below), or a read-only array the function writes into, where NumPy raises its ValueError on the
        function's own line (a compiled program would have written into it, or raised after the run)."""
        if shares_memory(flat):
            return self.as_numpy_for_aliases(flat, structure)
        return self.plain_run(flat, structure)

    def as_numpy_for_aliases(self, flat: tuple, structure):
        """(s14) Array arguments that share memory, passed to a function that writes into its arguments
        (``f(a, a)``, ``f(a[1:], a[:-1])``): in NumPy a write through one is seen through the other; a fused
        program reads each argument as a separate array, so it would read values the function has already
        overwritten (or not yet). Such a call runs the function as plain NumPy: NumPy's answer. One warning per
        function; calls without shared memory still run the fused program."""
        if not self.warned_aliases:
            self.warned_aliases = True
            segments.warn_aliases(self.name)
        return self.plain_run(flat, structure)

    def numpy_route(self, flat: tuple, structure, why: str, key: tuple | None = None):
        """(s15) A call fused kernels cannot answer as NumPy does runs as plain NumPy: the function asks for
        floating-point errors (``np.errstate(all="raise")`` inside it, or around the call: tracer/fp_errors.py),
        which kernels do not report, so ``FloatingPointError`` comes from the function's own line; or it changes a
        list or dict argument (``xs.append(...)``), which a program would not do to the caller's. `key`: remember
        the signature (a trace found it). One warning per function."""
        if key is not None:
            self._remember_numpy_route(key, why)
        self._warn_numpy_route(why)
        return self.plain_run(flat, structure)

    def _remember_numpy_route(self, key: tuple, why: str) -> None:
        """Signature `key` runs as plain NumPy from now on (at most `maxsize` such signatures kept)."""
        with self.lock:
            self.numpy_keys[key] = why
            self.programs.pop(key, None)
            while len(self.numpy_keys) > self.maxsize:
                del self.numpy_keys[next(iter(self.numpy_keys))]

    def _warn_numpy_route(self, why: str) -> None:
        if not self.warned_fp:
            self.warned_fp = True
            segments.warn_numpy_route(self.name, why)

    def after_failed_trace(self, flat: tuple, structure, key: tuple, exc: Exception):
        """(s15) The trace raised where the function itself may not (NumPy code that needs a real array:
        ``rng.random(out=np.empty_like(x))``; anything lazyarr gets wrong): the call runs as plain NumPy. If NumPy
        raises too, that is the function's own error, raised as NumPy raises it (the next call traces again);
        otherwise the signature runs as plain NumPy from now on, with one warning. (Python side effects of the
        function body happen twice on this call: the trace's, then NumPy's run.)"""
        result = self.plain_run(flat, structure)
        why = f"its trace raised {type(exc).__name__} ({exc}) where NumPy's run does not"
        self._remember_numpy_route(key, why)
        self._warn_numpy_route(why)
        return result

    # -- graph breaks: eager runs and explain() ---------------------------------------------------------
    def _eager(self, flat: tuple, structure):
        if structure is None:
            return segments.run_eager(self.fn, flat, {})
        positional, keywords = unflatten(structure, list(flat))
        return segments.run_eager(self.fn, positional, keywords)

    def _go_eager(self, key: tuple, why: str) -> None:
        with self.lock:
            self.eager[key] = why
            self.programs.pop(key, None)
            while len(self.eager) > self.maxsize:
                del self.eager[next(iter(self.eager))]
            self._probe(key, None)  # (s17) an eager run on LazyArrays may be slower than NumPy's too
        if not self.warned_eager:
            self.warned_eager = True
            segments.warn_eager(self.name, why)

    def _explained(self, key: tuple, text: str) -> None:
        with self.lock:
            found = self.explained.setdefault(key, [])
            found.append(text)
            del found[:-segments.MAX_VARIANTS - 1]
            while len(self.explained) > self.maxsize:
                del self.explained[next(iter(self.explained))]

    def explain(self, *args, **kwargs) -> str:
        """``f.explain(*args)``: for these arguments' signature, each traced variant's segments, graph breaks
        (line, why, guard) and kernels; traces first (by calling f) if the signature has not been seen."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        leaves: list = []
        structure = flatten((bound.args, bound.kwargs), leaves)
        flat = tuple(leaves)
        key = key_of(flat)
        if key is not None:
            key += self.reads_key()
        if key is not None and structure != plain_structure(len(flat)):
            key = (structure,) + key
        if key is None:
            return f"lazyarr.fuse: {self.name} called with LazyArrays runs lazily: explain its results instead"
        if key not in self.explained and key not in self.eager and key not in self.numpy_keys:
            try:
                self.call(args, kwargs)
            except Exception:
                if key not in self.numpy_keys:  # (s15) a NumPy run's own error: the route is what to explain
                    raise
        head = f"lazyarr.fuse: {self.name}"
        if key in self.numpy_keys:
            head += f": runs as plain NumPy for this signature ({self.numpy_keys[key]})"
        if key in self.eager:
            head += f": runs eagerly on LazyArrays each call of this signature ({self.eager[key]})"
        if key in self.probed:  # (s17) tracer/speed_probe.py
            verdict = "runs as plain NumPy, which was faster" if key in self.numpy_faster else "keeps its fused program"
            head += f"\n  speed probe: {verdict} ({self.probed[key]})"
        elif key in self.probing:
            head += "\n  speed probe: timing its first calls against the function run as NumPy"
        texts = self.explained.get(key, [])
        return "\n\n".join([head] + [f"== variant {i} ==\n{t}" for i, t in enumerate(texts, 1)])

    # -- tracing ----------------------------------------------------------------------------------------
    def _miss(self, flat: tuple, key: tuple, structure):
        self.misses += 1
        try:
            kinds, prepared, prepare = self._arguments(flat, named=structure is None)
        except dtypes.UnsupportedDtype as exc:  # (s15) object, str, datetime, longdouble: NumPy's function
            return self.numpy_route(flat, structure, f"{exc} (kernels take numeric dtypes)", key)
        slots = {i: placeholder(prepared[i]) for i, kind in enumerate(kinds) if kind == "array"}
        for i in slots:  # (s16 sweepd) a non-native argument's placeholder stands for its dtype (``a.dtype``, results
            if getattr(flat[i], "dtype", None) is not None and byte_order.is_non_native(flat[i].dtype):
                for owner in (slots[i][0], slots[i][0].base):  # (the base: a strided one's views see that)
                    if owner is not None:
                        byte_order.converted(owner, flat[i].dtype)  # that keep its order: _in_numpys_order)
        numbers = [i for i, kind in enumerate(kinds) if kind == "number"]
        static: set[int] = set(self.static_hints.get(key, ()))
        if self.scalars_static:  # (s16) NumPy scalars themselves (``type(k)``), their values guarded per call
            static |= {i for i, a in enumerate(flat) if kinds[i] == "static" and isinstance(a, np.generic)}
        rngs = rng_states.capture(flat, read_globals.read_values(self.fn))  # (s15) random states it may draw from
        while True:
            breaks = segments.Segmenter(self.fn, flat, prepared, prepare)  # (graph breaks)
            watch = fp_errors.Watch()  # (s15) does the function ask for floating-point errors?
            try:
                with watch:
                    traced = self._trace(flat, kinds, slots, static, structure, salt=0, breaks=breaks)
            except Exception as exc:
                if watch.why is not None:
                    return self.numpy_route(flat, structure, routes.fp_why(watch), key)
                if static.issuperset(numbers):
                    if isinstance(exc, (TracingError, Static)):  # (documented refusals: docs/fuse.md)
                        raise
                    return self.after_failed_trace(flat, structure, key, exc)
                static.update(numbers)  # let the error show the call's own numbers, not stand-ins
                continue
            if watch.why is not None:
                return self.numpy_route(flat, structure, routes.fp_why(watch), key)
            if traced.opaque is not None:  # (s15) a result fuse cannot rebuild per call holds traced values
                return self.numpy_route(flat, structure, f"it returns {traced.opaque} holding traced values", key)
            if traced.changed_containers:  # (s15) NumPy's run changes the caller's list or dict; a program cannot
                return self.numpy_route(flat, structure, "it changes a list or dict argument", key)
            if rng_states.advanced(rngs):  # (s15) a replay would repeat the trace's draws: run the body every call
                rng_states.restore(rngs)
                self._go_eager(key, "it draws random numbers (a NumPy Generator or RandomState, or np.random's "
                                    "global state), which a replayed program would repeat")
                return self.dispatch(flat, key, structure)
            if traced.scalars.static - static:
                static |= traced.scalars.static
                continue
            leaked = traced.leaked_stand_ins() - static  # (s14) a stand-in baked into an array: static after all
            if leaked:
                static |= leaked
                continue
            if traced.has_int_tracers():
                # Ints have no NaN to hide in: trace again with other stand-ins and compare the graphs.
                try:
                    second = self._trace(flat, kinds, slots, static, structure, salt=1)
                    agree = not second.scalars.static - static and equivalent(traced, second)
                except Exception:
                    agree = False
                if not agree:
                    records = traced.scalars.records
                    static |= frozenset().union(*[r.roots for r in records if type(r.sentinel) is int])
                    continue
            first_numbers = replay(traced.scalars.records, flat)
            static_args = tuple(sorted(static))
            static_values = tuple(static_key(flat[i]) for i in static_args)
            if traced.written:
                self.writes[key] = tuple(sorted({*self.writes.get(key, ()), *(i for i, _ in traced.written)}))
                if must_run_as_numpy(flat, self.writes[key]):
                    return self.as_numpy_for_writes(flat, structure)
            try:
                program, result = breaks.build(traced, first_numbers, static_args, static_values)
            except Static as need:
                static |= need.roots
                continue
            except Exception as exc:
                if traced.written:
                    raise
                return self.as_numpy(flat, structure, exc)
            if traced.written:  # (assignment and writes) the caller's arrays get what the function wrote
                box, result = [result], None  # (_written_back takes it out: its values' holders are its names)
                result = _written_back(traced.written, flat, box)
                _write_back_each_call(program.final if type(program) is segments.Variant else program,
                                      traced.written)
            # (graph breaks) what explain() shows; a trace no guard can stand for, or one variant too many,
            # makes the signature eager
            _note_traced_numbers(traced)
            self._explained(key, breaks.describe(traced.roots) + _program_notes(program))
            if program is None:
                self._go_eager(key, breaks.why_eager())
                return result
            if type(program) is segments.Variant and \
                    sum(type(p) is segments.Variant for p in self.programs.get(key, ())) >= segments.MAX_VARIANTS:
                self._go_eager(key, f"more than {segments.MAX_VARIANTS} variants (guard outcomes) were traced")
                return result
            self._store(key, program)
            with self.lock:
                self._probe(key, program)  # (s17)
            if static:
                self.static_hints[key] = frozenset(static)
            return result

    def _store(self, key: tuple, program) -> None:
        with self.lock:
            found = self.programs.setdefault(key, [])
            if program.static_args:
                found.append(program)
            else:
                found.insert(0, program)
            while sum(map(len, self.programs.values())) > self.maxsize:
                oldest = next(iter(self.programs))
                if len(self.programs[oldest]) > 1:
                    self.programs[oldest].pop()
                else:
                    del self.programs[oldest]
                    self.static_hints.pop(oldest, None)

    def _arguments(self, flat: tuple, named: bool):
        """Each flat argument's kind ("array", "number", "static"), the first call's prepared values, and
        the per-call preparation (native byte order, NumPy scalars as 0-d arrays)."""
        kinds, prepared, prepare = [], [], []
        for i, a in enumerate(flat):
            if isinstance(a, np.ndarray) or (isinstance(a, np.generic) and not special_numpy_scalar(a)
                                             and not self.scalars_static):
                dtypes.check_supported(a.dtype, f"{self.name}'s argument {self._name(i, named)}")
                value = _as_input(a)
                if value is not a:
                    prepare.append((i, _as_input))
                kinds.append("array")
                prepared.append(value)
            elif type(a) in (int, float, complex) and classify(a) is not None:
                kinds.append("number")
                prepared.append(a)
            else:
                kinds.append("static")
                prepared.append(a)
        return kinds, prepared, prepare

    def _name(self, i: int, named: bool) -> str:
        """How errors name flat argument `i`: its parameter, or its position among the flattened arguments."""
        return repr(self.param_names[i]) if named and i < len(self.param_names) else f"#{i}"

    def _trace(self, flat, kinds, slots, static, structure, salt: int, breaks=None) -> Traced:
        """Run the function once on placeholders."""
        self.traces += 1
        scalars = ScalarTrace(salt)
        leaves, extents, traced_args, arg_leaves = {}, {}, [], {}
        for i, (a, kind) in enumerate(zip(flat, kinds)):
            if kind == "array":
                array, extent = slots[i]
                leaf = expr.leaf(array)
                leaves[id(leaf)] = i
                arg_leaves[i] = leaf
                extents[i] = (array, extent)
                if isinstance(a, np.generic):  # (s15) a NumPy scalar: what user code sees is a scalar
                    traced_args.append(numpy_scalars.ScalarArgument(leaf, type(a)))
                else:
                    traced_args.append(LazyArray(leaf, array0=leaf.shape == ()))  # a 0-d argument is a 0-d array
            elif kind == "number" and i not in static:
                traced_args.append(scalars.argument(i, a))
            else:
                traced_args.append(a)
        if structure is None:
            positional, keywords = traced_args, {}
        else:
            positional, keywords = unflatten(structure, traced_args)
        recorder = Recorder([(self._name(i, structure is None), extents[i][1]) for i, a in enumerate(flat)
                              if kinds[i] == "array" and isinstance(a, np.ndarray)])  # NumPy scalars are immutable
        if breaks is not None:  # (graph breaks) values asked for are computed from the call's arguments
            breaks.start(leaves, extents, recorder, scalars)
        try:
            body = creation_calls.routed(self.fn)  # (blank arrays the body makes are traced: creation_calls.py)
            with tracing.tracing(recorder), tracing.breaking(breaks), scipy_calls.intercepting():
                result = body(*positional, **keywords)
                _gather_deferred(result)  # (lanes #15) while the trace is on: see the function
        except Exception as exc:
            error = _unswallowed(exc)
            if not isinstance(error, Static):
                error.add_note(f"(while lazyarr.fuse traced {self.name})")
            if error is not exc:
                raise error from None
            raise
        roots: list = []
        # (assignment and writes) arguments the function wrote into (rebound LazyArrays): their final values
        # are extra outputs, written back into the caller's arrays after each call (``_with_write_back``).
        written = [i for i, (a, kind) in enumerate(zip(flat, kinds)) if kind == "array"
                   and isinstance(a, np.ndarray) and traced_args[i]._node is not arg_leaves[i]]
        args = {id(traced_args[i]): i for i, kind in enumerate(kinds) if kind == "array"}
        tree = _outputs(result, roots, {}, args)
        if written:
            tree = ("seq", tuple, [tree, ("seq", tuple, [_outputs(traced_args[i], roots, {}, {})
                                                         for i in written])])
        roots += routes.dropped(recorder.checked, roots)  # (s15) computed, not returned: their errors reach fn
        traced = Traced(roots, tree, scalars, leaves, extents, recorder.frozen())
        traced.changed_containers = structure is not None and \
            routes.changed(structure, positional, keywords, traced_args)
        traced.opaque = routes.opaque_result(tree)
        traced.written = tuple((i, traced_args[i]._node) for i in written)  # (lifetimes.written_in_place)
        return traced


class Recorder:
    """What a trace of NumPy arguments watches (``tracing.refuse_write``, ``tracing.entered``): which traced
    arrays are the arguments (or views of them), and the NumPy arrays that entered the graph, with a snapshot
    of each taken as it entered."""

    def __init__(self, arguments: list):
        self.arguments = arguments  # (name, address range of its placeholder) per array argument
        self.entries: list = []
        self.checked: list = []  # (s15) stage nodes that raise for some values (tracing.note_checked)

    def argument(self, node) -> str | None:
        """The name of the argument a traced array is (or views), else None."""
        if node.op != expr.LEAF:
            return None
        address = node.data.__array_interface__["data"][0]
        for name, (start, stop) in self.arguments:
            if start <= address < stop:
                return name
        return None

    def entered(self, array: np.ndarray) -> None:
        self.entries.append((array, snapshot(array)))

    def frozen(self) -> list:
        """(array, snapshot) per array that entered the graph; the snapshot None (freed) unless the traced code
        wrote to the array afterwards."""
        return [(a, None if same_bytes(a, copy) else copy) for a, copy in self.entries]


def must_run_as_numpy(flat: tuple, written: tuple) -> bool:
    """(s15) A writing program's call that must run as plain NumPy: an argument it writes into is read-only
    (NumPy raises; the program's kernel would have written into it silently), or arguments share memory."""
    for i in written:
        if not flat[i].flags.writeable:
            return True
    return shares_memory(flat)


def shares_memory(flat: tuple) -> bool:
    """(s14) Whether two array arguments may share memory (NumPy's bounds check: two interleaved views count too,
    which only costs a NumPy run)."""
    arrays = [a for a in flat if type(a) is np.ndarray and a.size]
    if len(arrays) < 2:
        return False
    for i in range(1, len(arrays)):
        for j in range(i):
            if np.may_share_memory(arrays[i], arrays[j]):
                return True
    return False


def _written_back(written: tuple, flat: tuple, box: list):
    """(assignment and writes) A program's result for a function that writes into its arguments is (its own
    result, the written arguments' final values): each value is copied into the caller's array (unless the
    kernel that computed it wrote it into the argument itself: lifetimes.written_in_place), and the function's
    own result is returned."""
    value, new_values = box.pop()  # (the names here are the values' only holders now)
    new = None
    for (i, _), new in zip(written, new_values):
        if new is not flat[i]:  # (a kernel that wrote into the argument itself: nothing to copy)
            np.copyto(flat[i], new, casting="unsafe")
    # a value copied back is dead unless the function's result holds it too: the scratch pool keeps it for the
    # next call's allocation of its shape (a stencil's first write into each argument copies it), which
    # ``recycle`` takes only if nothing but this list refers to it
    dead = list(new_values)
    del new_values, new
    scratch.recycle(dead)
    return value


def _write_back_each_call(program, written: tuple) -> None:
    """Make every later call of `program` (a Program; a Variant's final program) write back as the first did."""
    if program is None:  # (a signature that runs eagerly: segments.run_eager writes back itself)
        return

    def wrap(run):
        if run is None:
            return None

        def call(flat):
            box = [run(flat)]
            if box[0] is MISS:
                return MISS
            return _written_back(written, flat, box)  # (it takes the result out: no name here holds the values)
        return call

    program.run, program.fast = wrap(program.run), wrap(program.fast)


def _program_notes(program) -> str:
    """(s13 gofast) How the program runs steps of the plan above otherwise than one by one (scalar loops)."""
    final = program.final if type(program) is segments.Variant else program
    notes = getattr(final, "notes", None)
    return "".join(f"\nprogram: {note}" for note in notes) if notes else ""


def _as_input(a):
    """An argument as kernels read it: an ndarray in native byte order (a masked array or other subclass is
    refused as la.array refuses it: its mask would be lost)."""
    if type(a) is not np.ndarray:
        a = plain_ndarray(a, "a fused function's argument") if isinstance(a, np.ndarray) else np.asarray(a)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    return a


def _in_numpys_order(result: LazyArray, tree: tuple) -> tuple:
    """(s16 sweepd) An output NumPy gives in a non-native byte order (a view, copy or astype of a non-native
    argument: api/byte_order.py) is converted to it per call; kernels compute in native order."""
    if byte_order.seen and byte_order.is_non_native(result.dtype):
        return ("byteorder", tree, result.dtype)
    return tree


def _outputs(result, roots: list, seen: dict, args: dict):
    """The structure of what the traced function returned; LazyArray nodes are collected into `roots`. An
    argument returned as itself (`args`: id(traced argument) -> its index) is the caller's array, as in NumPy."""
    if id(result) in args:
        return ("arg", args[id(result)])
    if isinstance(result, LazyArray):
        node = result._node
        if id(node) not in seen:
            seen[id(node)] = (len(roots), id(result))
            roots.append(node)
        index, first = seen[id(node)]
        if first != id(result):
            # (s15) two LazyArray objects of one value (``return a + 1, a + 1``: hash-consing made them one node)
            # are two arrays in NumPy: a write into one must not show in the other
            return _in_numpys_order(result, ("copy", ("node", index, result._array0)))
        return _in_numpys_order(result, ("node", index, result._array0))
    if type(result) is ScalarTracer:
        return ("number", result._index)
    kind = type(result)
    if kind is tuple or kind is list or (isinstance(result, tuple) and hasattr(result, "_fields")):
        return ("seq", kind, [_outputs(x, roots, seen, args) for x in result])
    if kind is dict:
        return ("dict", tuple(result), [_outputs(x, roots, seen, args) for x in result.values()])
    names = dataclass_fields(result)
    if names:  # (s15) a dataclass: its fields are results (its LazyArrays leaked, uncomputed)
        return ("obj", (result, names), [_outputs(getattr(result, n), roots, seen, args) for n in names])
    return ("const", result)


def _gather_deferred(result) -> None:
    """(lanes #15) A deferred selection the function returns (``x[lazy_mask]``, api/masked_lanes.py) builds its
    gather here, while the trace is on: the mask's values then come from a graph break on the call's arrays;
    built later, by ``_outputs``, they would be read from the zero-filled placeholders."""
    kind = type(result)
    if kind is tuple or kind is list or isinstance(result, tuple):
        for x in result:
            _gather_deferred(x)
    elif kind is dict:
        for x in result.values():
            _gather_deferred(x)
    elif dataclass_fields(result):
        for name in dataclass_fields(result):
            _gather_deferred(getattr(result, name))
    elif isinstance(result, LazyArray) and type(result) is not LazyArray:
        result._node  # noqa: B018 (reading it builds the gather)


def _unswallowed(exc: BaseException) -> BaseException:
    """The error to show for one raised in a traced function. NumPy storing an object into an element calls
    float() (or int(), complex()) on it and replaces any error with "setting an array element with a sequence"
    (a LazyArray is a sequence): the TracingError it hid, as a write into a NumPy array."""
    cause = exc.__cause__
    if isinstance(exc, ValueError) and isinstance(cause, TracingError) and cause.where is not None:
        return tracing.traced_error("lazyarr.fuse: an item assignment stores a traced array into a NumPy array at "
                      f"{cause.where}" + tracing.WRITE_INTO_NUMPY, cause.where)
    return exc


def _note_traced_numbers(traced: Traced) -> None:
    """explain() names the constants made from traced Python numbers (bound per call) instead of showing their
    stand-in values."""
    from lazyarr.runtime import explain
    records = traced.scalars.records
    for node in expr.walk(traced.roots):
        index = traced.const_map.get(id(node))
        if index is not None:
            record = records[index]
            source = (f"argument {record.arg}" if record.op is None
                      else "computed in Python from argument(s) " + ", ".join(map(str, sorted(record.roots))))
            explain.note(node, f"traced number ({source}), bound per call")
