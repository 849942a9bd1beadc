"""(s16 lazyerr) NumPy's floating-point error state in lazy mode (issue #15: a NumPy program's behaviour unchanged).

lazyarr's kernels report no floating-point flags (they run as under ``np.errstate(all="ignore")``), and the
flags of one fused operation cannot be told apart from its neighbours' or from the branch-free lanes of the
vector math and masked updates (docs/fuse.md, "Error state in lazy mode"). So an operation built while
NumPy's error state asks for a *visible* mode - ``raise``, ``call``, ``log`` or ``print``, for any category,
through ``np.errstate`` (a ``with`` block or a decorator) or ``np.seterr`` - is not recorded: it runs now as
NumPy on its computed operands, under that state, so NumPy raises its ``FloatingPointError`` (or calls the
callback, writes the log) at the user's line with NumPy's message, and NumPy's result becomes a new leaf of
the expression. That is NumPy's own semantics: the state of the line that does an operation decides. An
operation built under NumPy's default state stays lazy and is silent when computed later, whatever state
``compute()`` is called under, as NumPy's operation at its own line was (its RuntimeWarning aside).

The check is on the path of every node built, so it is one context-variable read and an identity test
against the last state object seen not to ask, at first NumPy's default one (``state() is not QUIET``,
~10 ns); only another state object asks NumPy's dict for it, once per object (``asks``). NumPy keeps the
state per thread and per context, so a thread that did not enter the block is unaffected, as NumPy's is.

Not here: inside a ``@la.fuse`` trace (tracer/fp_errors.py routes such a signature to NumPy whole), and graphs
over dask arrays (dask computes later on its workers, under their own error state, as dask does).
"""
from __future__ import annotations

import contextvars
import operator

import numpy as np
from numpy._core import _ufunc_config

from lazyarr.api import assign, build, tracing
from lazyarr.graph import dtypes, expr
from lazyarr.graph.expr import LEAF
from lazyarr.runtime import explain, external

state = _ufunc_config._extobj_contextvar.get  # call sites: ``if state() is not errstate.QUIET and asks(): ...``
# The last state object seen not to ask (read by attribute at each call site): first NumPy's default object
# (divide/over/invalid "warn", under "ignore"), then whichever quiet state ``asks`` met last, so a program
# that called ``np.seterr(all="ignore")`` once, or builds inside one ``np.errstate(all="ignore")`` block, keeps
# the ~10 ns test too.
QUIET = contextvars.Context().run(state)
VISIBLE = frozenset({"raise", "call", "log", "print"})
_CATEGORIES = ("divide", "over", "under", "invalid")

_last = (QUIET, False)  # (the state object checked last, whether it asks): a block's operations see one object
_lazy_type: list = []  # LazyArray, registered by api/array.py (which imports this module)


def register_lazy_type(cls: type) -> None:
    _lazy_type.append(cls)


def asks() -> bool:
    """Whether the calling thread's error state (an object other than ``QUIET``) asks for a visible mode, and
    lazy mode must honour it now (not while this thread traces a fused function). A state that does not ask
    becomes ``QUIET``, so the call sites' identity test answers for it next time."""
    global _last, QUIET
    current = state()
    last = _last
    if current is last[0]:
        asked = last[1]
    else:
        modes = _ufunc_config._get_extobj_dict()
        asked = any(modes[name] in VISIBLE for name in _CATEGORIES)
        _last = (current, asked)
    if not asked:
        QUIET = current
    return asked and not tracing.active()


_described = (None, "")  # (the state object described last, its text)


def describe() -> str:
    """The current state's visible modes, for explain(): ``np.errstate(divide='raise')``."""
    global _described
    current = state()
    if _described[0] is not current:
        modes = _ufunc_config._get_extobj_dict()
        shown = ", ".join(f"{name}={modes[name]!r}" for name in _CATEGORIES if modes[name] in VISIBLE)
        _described = (current, f"computed as NumPy under np.errstate({shown})")
    return _described[1]


# --- operands in, results out --------------------------------------------------------------------------------
def _is_lazy(x) -> bool:
    return build.is_lazy(x)


def _lazy_in(items) -> list:
    """The LazyArrays among `items`, and inside their lists, tuples and dicts one level down."""
    found = []
    for x in items:
        if _is_lazy(x):
            found.append(x)
        elif type(x) in (list, tuple):
            found.extend(v for v in x if _is_lazy(v))
        elif type(x) is dict:
            found.extend(v for v in x.values() if _is_lazy(v))
    return found


def over_dask(*groups) -> bool:
    """Whether an operand's graph reads a dask array (those stay lazy: module docstring)."""
    if not external.loaded:  # (no dask array was ever wrapped: nothing to look for)
        return False
    lazy = [x for group in groups for x in _lazy_in(group)]
    return bool(lazy) and external.involved([x._node for x in lazy]) is not None


def _value(x, values: dict):
    """x with its LazyArrays replaced by their values, as compute() gives them (a NumPy scalar for a 0-d
    result NumPy holds as a scalar, so NumPy's scalar operations and messages follow)."""
    if _is_lazy(x):
        return values[id(x)]
    if type(x) in (list, tuple):
        return type(x)(_value(v, values) for v in x)
    if type(x) is dict:
        return {k: _value(v, values) for k, v in x.items()}
    return x


def _computed(lazy: list) -> dict:
    """Each LazyArray's value, computed as lazy mode computes (silently: they were built under a state that
    did not ask, or they would be values already). A leaf's value is its data, read at once (an earlier
    eager result, a user's array); anything else is computed inside a quiet state, so lazyarr's own NumPy
    work on the way (stages, first answers) cannot raise under the user's."""
    values, rest = {}, []
    for x in lazy:
        node = x._node
        if node.op == LEAF:  # (a LazyArray with pending writes or viewing a written base has another node)
            values[id(x)] = x._result(node.data)
        else:
            rest.append(x)
    if rest:
        with np.errstate(all="ignore"):
            values.update((id(x), x.compute()) for x in rest)
    return values


def _wrap(result, what: str):
    """NumPy's result as a LazyArray again (a leaf of NumPy's result array itself); anything that is not an
    array (a bool, a list) as NumPy gives it."""
    if type(result) is tuple:
        return tuple(_wrap(r, what) for r in result)
    if type(result) is np.ndarray and dtypes.supported_native(result.dtype) is not None:
        return _lazy_type[0](_leaf(result, f"{what} {describe()}"), array0=result.ndim == 0)
    if isinstance(result, np.generic) and result.dtype.kind in "biufc":
        return _lazy_type[0](expr.value_const(result))
    return result


def _leaf(value: np.ndarray, text: str):
    """A leaf holding NumPy's own result array (no copy, writable): ``compute()`` gives that array, as
    ``np.asarray`` of NumPy's result is the result itself; nothing else holds it."""
    node = expr.leaf(value)
    explain.note(node, text)
    return node


def _leaf_value(value: np.ndarray, what: str):
    return _leaf(value, f"written by {what} {describe()}")


# --- NumPy's call at the user's line ---------------------------------------------------------------------------
_AT_LINE: dict = {}  # (file, line) -> the code object of ``__f(*__a, **__k)`` compiled at that line (bounded)


def _numpy(func, args: tuple, kwargs: dict):
    """``func(*args, **kwargs)`` called from a code object compiled at the user's file and line, run in the
    user's module globals: the RuntimeWarnings NumPy gives on the way (another category's "warn", "Mean of
    empty slice") point at the user's line and go through that module's warning registry, as NumPy's do
    (they name the innermost Python frame; here it would be this module's). `func` is a C callable (a ufunc,
    an operator, a bound method, ``operator.methodcaller``) or NumPy's own function, so no frame of lazyarr
    lies between that code and NumPy."""
    frame = tracing.user_frame()
    if frame is None or not frame.f_lineno:  # (no user frame, or a line CPython cannot tell: NumPy's call as is)
        return func(*args, **kwargs)
    where = (frame.f_code.co_filename, frame.f_lineno)
    code = _AT_LINE.get(where)
    if code is None:
        if len(_AT_LINE) >= 256:
            _AT_LINE.clear()
        code = _AT_LINE[where] = compile("\n" * (where[1] - 1) + "__f(*__a, **__k)", where[0], "eval")
    return eval(code, frame.f_globals, {"__f": func, "__a": args, "__k": kwargs})  # noqa: S307 (our own code)


# --- the routes ------------------------------------------------------------------------------------------------
def run(func, args: tuple, kwargs: dict, what: str):
    """``func(*args, **kwargs)`` as NumPy, now, on the LazyArrays' values; LazyArrays given as ``out=`` are
    written (functionally: rebound to what NumPy wrote, also when NumPy raises after writing, as NumPy's
    ``out`` holds the values then)."""
    out = kwargs.get("out")
    targets = [t for t in _as_tuple(out) if _is_lazy(t)]
    values = _computed(_lazy_in(args) + _lazy_in(kwargs.values()))
    args, kwargs = _value(args, values), _value(kwargs, values)
    if not targets:
        return _wrap(_numpy(func, args, kwargs), what)
    mine = {id(t): _private(values[id(t)]) for t in targets}
    written = tuple(mine[id(t)] if _is_lazy(t) else v for t, v in zip(_as_tuple(out), _as_tuple(kwargs["out"])))
    kwargs["out"] = written if type(out) is tuple else written[0]
    try:
        result = _numpy(func, args, kwargs)
    finally:
        for t in targets:
            assign.rebind(t, _leaf_value(mine[id(t)], what), what)
    by_buffer = {id(mine[id(t)]): t for t in targets}
    if type(result) is tuple:
        return tuple(by_buffer[id(r)] if id(r) in by_buffer else _wrap(r, what) for r in result)
    return by_buffer[id(result)] if id(result) in by_buffer else _wrap(result, what)


def _as_tuple(x) -> tuple:
    return x if type(x) is tuple else (x,)


def _private(value) -> np.ndarray:
    """A writable copy of a target's value: lazyarr's writes are functional updates, never into the user's array."""
    return np.array(value, copy=True)


def write(array, call, what: str, value=None):
    """NumPy's write into a private copy ``v`` of the LazyArray's value (``x op= y``, ``x[k] = v``,
    ``ufunc.at``; `value`: that value when computed already): ``call(v)`` gives (func, args, kwargs); `array`
    is rebound to the copy, also when NumPy raises after writing (NumPy's array holds the written values
    then). Returns what NumPy returns."""
    mine = _private(_computed([array])[id(array)] if value is None else value)
    try:
        return _numpy(*call(mine))
    finally:
        assign.rebind(array, _leaf_value(mine, what), what)


def write_call(func, args: tuple, kwargs: dict, target, what: str):
    """A NumPy function that writes into the LazyArray `target` (``np.copyto(x, v)``, ``np.place``, ...), as NumPy."""
    values = _computed([x for x in _lazy_in(args) + _lazy_in(kwargs.values()) if x is not target])

    def call(mine):
        values[id(target)] = mine
        return func, _value(args, values), _value(kwargs, values)

    return write(target, call, what)


_INPLACE = {"add": operator.iadd, "sub": operator.isub, "mul": operator.imul, "truediv": operator.itruediv,
            "floordiv": operator.ifloordiv, "mod": operator.imod, "pow": operator.ipow, "and": operator.iand,
            "or": operator.ior, "xor": operator.ixor, "lshift": operator.ilshift, "rshift": operator.irshift,
            "matmul": operator.imatmul}


def inplace(array, py: str, other, symbol: str):
    """``array op= other`` as NumPy: into the array (a functional update), or, for a 0-d value NumPy holds as an
    immutable scalar, ``array = array op other``."""
    what = f"{symbol}="
    values = _computed([array, *_lazy_in((other,))])
    if not isinstance(values[id(array)], np.ndarray):  # a NumPy scalar: Python rebinds the name to a new value
        return _wrap(_numpy(_INPLACE[py], (values[id(array)], _value(other, values)), {}), what)
    other = _value(other, values)
    write(array, lambda mine: (_INPLACE[py], (mine, other), {}), what, values[id(array)])
    return array


def cast_may_flag(target: np.dtype, value) -> bool:
    """Whether ``x[key] = value`` casts in a way NumPy checks for floating-point errors: float or complex
    values into integers or bools ("invalid value encountered in cast"), or into a narrower float or complex
    ("overflow encountered in cast"). Other writes cannot raise, and stay lazy: ``x[i] = v`` in a loop must
    not copy x each time."""
    source = getattr(value, "dtype", None)
    if source is None:
        kind = type(value)
        if kind is float:
            source = np.dtype(np.float64)
        elif kind is complex:
            source = np.dtype(np.complex128)
        elif kind in (int, bool):
            return False
        else:
            try:
                source = np.asarray(value).dtype
            except Exception:  # noqa: BLE001 (NumPy's own setitem gives its error)
                return True
    if source.kind not in "fc":
        return False
    return target.kind not in "fc" or source.itemsize > target.itemsize or (source.kind == "c" != target.kind)


def setitem(array, key, value) -> None:
    """``array[key] = value`` as NumPy (its casts raise under ``invalid="raise"``), a functional update."""
    values = _computed(_lazy_in((key, value)))
    key, value = _value(key, values), _value(value, values)
    write(array, lambda mine: (operator.setitem, (mine, key, value), {}), "item assignment")


def ufunc(func: np.ufunc, method: str, inputs: tuple, kwargs: dict):
    """A ufunc's ``__call__``, ``reduce``, ``accumulate``, ``outer``, ``reduceat`` or ``at`` as NumPy."""
    what = f"numpy.{func.__name__}" + ("" if method == "__call__" else f".{method}")
    if method == "at" and _is_lazy(inputs[0]):
        values = _computed(_lazy_in(inputs[1:]))
        rest = _value(inputs[1:], values)
        write(inputs[0], lambda mine: (func.at, (mine, *rest), kwargs), what)
        return None
    return run(getattr(func, method), inputs, kwargs, what)


def honouring(cls: type, names) -> None:
    """(la.stats) Each method `name` of the distribution class `cls` (``la.stats.gamma.pdf(x, a)``) runs as
    scipy.stats' own under a visible state: SciPy's checks and fill values compute every lane, and which of
    them report a flag is SciPy's code's business (``gamma.pdf(inf, 2.5)`` raises there)."""
    for name in names:
        setattr(cls, name, _scipy_method(getattr(cls, name), name))


def _scipy_method(plain, name: str):
    def method(self, x, *args, **kwds):
        if state() is not QUIET and asks() and not over_dask((x, *args), kwds.values()):
            import scipy.stats  # (only where a visible state meets la.stats: SciPy is imported by then)
            return run(getattr(getattr(scipy.stats, self.name), name), (x, *args), kwds,
                       f"scipy.stats.{self.name}.{name}")
        return plain(self, x, *args, **kwds)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = plain.__doc__
    return method
