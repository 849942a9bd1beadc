"""Build nodes from user operands, with NumPy's dtype, shape and error for every operation.

This is where bad input is refused: shapes that do not broadcast, dtypes Numba cannot compile, ufuncs lazyarr
does not have. Every error names the operation and the operands, at build time.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from lazyarr.api import byte_order
from lazyarr.graph import dtypes
from lazyarr.graph import expr
from lazyarr.api import tracing
from lazyarr.api import scalar_fold  # (scalar overhead #15)
from lazyarr.graph.expr import Node
from lazyarr.graph.ops import BY_UFUNC, ELEMENTWISE, REFUSED_UFUNCS, StageParams, UfuncParams
from lazyarr.kernels import numba_glue
from lazyarr.graph.expr import CONST


# The dtype a weak Python scalar has when it stands alone (np.asarray's choice).
WEAK_DEFAULT = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64),
                 complex: np.dtype(np.complex128)}


def to_node(x, what: str = "operand") -> Node:
    """A node for anything a user may pass: LazyArray, ndarray, NumPy scalar, Python scalar, list."""
    kind = type(x)
    if kind in WEAK_DEFAULT:
        return expr.weak_scalar(x, WEAK_DEFAULT[kind])
    if kind is Node:
        return x
    node = getattr(x, "_node", None)
    if node is not None:
        return node
    if dtypes.is_python_scalar(x):  # subclasses of int/float
        return expr.weak_scalar(kind.__mro__[-2](x), WEAK_DEFAULT[kind.__mro__[-2]])
    if isinstance(x, np.generic):
        dt = dtypes.check_supported(x.dtype, what)
        return expr.const(dt.type(x), dt, weak=False)
    if isinstance(x, np.ndarray) and not tracing.tracing_threads:
        x = x if type(x) is np.ndarray else plain_ndarray(x, what)
        if may_change(x):
            return expr.leaf(as_input_array(read_now(x), what))
    return expr.leaf(as_input_array(x, what))


# (vadv #15) A NumPy array handed to an operation is read there, as NumPy reads it: a program that writes to its
# own scratch array after using it (``u[:, k] = c * (col - d); col[...] = ...``) must not see the later values
# when the expression is computed. Only ``la.array(x)``/``la.asarray(x)`` share by reference (docs/index.md,
# "When inputs are read"); an operand that nobody can write (read-only down to the memory's owner) is shared too.
# Inside @la.fuse the tracer snapshots the arrays that enter its graph itself (``tracing.entered``).
def may_change(x: np.ndarray) -> bool:
    """Whether anything can write `x`'s values after now: it, or an array whose memory it views, is writable."""
    while True:
        if x.flags.writeable:
            return True
        base = x.base
        if not isinstance(base, np.ndarray):
            # a read-only view of a buffer that is not an ndarray (bytes, a read-only mmap) stays as it is, but
            # a writable Python buffer (bytearray, array.array) does not
            return base is not None and not memoryview(base).readonly if _has_buffer(base) else False
        x = base


def _has_buffer(obj) -> bool:
    try:
        memoryview(obj)
    except TypeError:
        return False
    return True


def read_now(x: np.ndarray) -> np.ndarray:
    """A copy of `x`'s values as they are now. A broadcast axis (stride 0, as np.broadcast_to gives) stays one
    element wide in the copy and is broadcast again, so that a snapshot costs the memory `x` views, not its
    shape's."""
    if x.size == 0 or 0 not in x.strides:
        return x.copy(order="K")
    compact = x[tuple(slice(0, 1) if stride == 0 and n > 1 else slice(None)
                      for stride, n in zip(x.strides, x.shape))]
    return np.broadcast_to(compact.copy(order="K"), x.shape)


def as_input_array(x, what: str = "array", copy: bool | None = None) -> np.ndarray:
    """The array a leaf holds: native byte order (converted once, here), never writable by lazyarr.

    `copy` is NumPy 2's keyword: None shares `x` where it can (a leaf reads it when computed), True takes a
    snapshot now, False shares or raises ValueError where a copy cannot be avoided."""
    copied = False
    if type(x) is not np.ndarray:
        if hasattr(x, "__dask_graph__"):
            raise TypeError(f"lazyarr: {what} is a dask array; wrap it with lazyarr.array(...) first")
        if isinstance(x, np.ndarray):
            x = plain_ndarray(x, what)
        else:
            x = _asarray(x, what, copy)
            copied = bool(copy)
    dt = dtypes.supported_native(x.dtype)
    if dt is None:
        dtypes.check_supported(x.dtype, what)  # raises, naming `what`
    if x.dtype is not dt and x.dtype != dt:
        if copy is False:
            raise ValueError(f"lazyarr: {what} has dtype {x.dtype}, a non-native byte order, which lazyarr "
                             "converts (a copy) and copy=False forbids; pass copy=None, or convert it "
                             "yourself: x.astype(x.dtype.newbyteorder('='))")
        original = x.dtype
        x = x.astype(dt)  # non-native byte order: one conversion at the boundary
        byte_order.converted(x, original)  # (s16 sweepd) NumPy's results keep it where NumPy's would
    elif copy and not copied:
        x = x.copy(order="K")  # the snapshot copy=True asks for, in the layout np.array(x, copy=True) keeps
    arr = x.view()
    arr.flags.writeable = False  # a read-only view; the user's own array keeps its flags
    if tracing.tracing_threads:
        tracing.entered(arr)  # inside @la.fuse: snapshot it, in case the traced code writes to it later
    return arr


def plain_ndarray(x: np.ndarray, what: str) -> np.ndarray:
    """An ndarray subclass as a plain ndarray, or a TypeError: converting one to its base class drops what
    the subclass adds (a mask, matrix operators), and lazyarr computes with plain ndarray semantics only.
    np.memmap adds nothing to the values (only where they live), so it is taken as the ndarray it views."""
    if isinstance(x, np.memmap):
        return x.view(np.ndarray)  # shares the mapped memory: read when computed, like any array
    kind = f"{type(x).__module__}.{type(x).__qualname__}"
    if isinstance(x, np.ma.MaskedArray):
        hint = ("lazyarr has no masks, so the mask would be lost silently; pass x.filled(value) for the values "
                "with masked entries replaced, or np.asarray(x) for the raw data without the mask")
    elif isinstance(x, np.matrix):
        hint = ("np.matrix's operators (* is a matrix product, results stay 2-D) differ from ndarray's; "
                "pass np.asarray(x) to compute with ndarray semantics")
    else:
        hint = "lazyarr computes with plain ndarray semantics; pass np.asarray(x) to drop the subclass"
    raise TypeError(f"lazyarr: {what} is a {kind}, an ndarray subclass lazyarr does not take ({hint}; "
                    "np.memmap is accepted as a plain array)")


def _asarray(x, what: str, copy: bool | None) -> np.ndarray:
    """np.asarray for a non-ndarray input (a list, a scalar, an __array__ object), with NumPy 2's `copy`."""
    try:
        return np.asarray(x, copy=copy)
    except ValueError:
        if copy is not False:
            raise
        # (NumPy's own message is about migrating np.array(copy=False) calls: not this user's situation)
        raise ValueError(f"lazyarr: {what} (a {type(x).__name__}) needs a copy to become an array, which "
                         "copy=False forbids; pass copy=None to allow it") from None


def array_leaf(x: np.ndarray, copy: bool | None = None) -> Node:
    """The leaf for a user's ndarray: a read-only view of it, keyed by the array itself (the same array gives
    the same leaf), unless its byte order had to be converted or copy=True asked for a snapshot (a copy,
    which must not be reused: the user may write to their array before the next call)."""
    if copy:
        return expr.leaf(as_input_array(x, "lazyarr.array's input", copy=True))
    node = expr.source_leaf(x)  # (wrap asks first; this keeps array_leaf right for any caller)
    if node is not None:
        return node
    dt = dtypes.supported_native(x.dtype)
    if dt is None or x.dtype != dt:
        return expr.leaf(as_input_array(x, "lazyarr.array's input", copy))
    view = x.view()
    view.flags.writeable = False
    return expr.leaf(view, source=x)


@functools.lru_cache(maxsize=4096)
def broadcast_shapes(opname: str, *shapes: tuple) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = " ".join(str(s) for s in shapes)
        raise ValueError(f"lazyarr: {opname}: operands could not be broadcast together with shapes {listed}") \
            from None


def _describe(nodes) -> str:
    return ", ".join(f"{'scalar' if n.is_const else 'array'}({n.dtype}, shape={n.shape})" for n in nodes)


def _typed(node: Node, dtype: np.dtype, opname: str, check: bool = True) -> Node:
    """A weak Python scalar takes the dtype its operation chose (with NumPy's overflow check, which ufuncs
    make and np.where, an unsafe cast, does not)."""
    if not node.weak:
        return node
    value = node.data
    if type(value) is int:
        if check:
            dtypes.check_weak_int(value, dtype, opname)
        elif dtype.kind in "iu":
            value = np.array(value).astype(dtype)[()] if value.bit_length() < 64 else value % (1 << 64)
    if dtype.kind in "iub" or type(value) is not float or abs(value) <= _float_max(dtype) \
            or value != value or dtype.kind == "c":
        typed = dtype.type(value) if dtype != dtypes.HALF else np.float16(value)
    else:
        with np.errstate(over="ignore"):
            typed = dtype.type(value)  # NumPy rounds an out-of-range weak float to inf, silently
    return expr.const(typed, dtype, weak=False)


def resolve(ufunc, nodes, opname: str, out_dtype=None):
    """(loop input dtypes, output dtype) for a ufunc on these nodes, as NumPy resolves it."""
    operands = tuple([dtypes.operand_for_resolution(n.data) if n.weak else n.dtype for n in nodes])
    try:
        loop_in, out = dtypes.resolve_loop(ufunc, operands, np.dtype(out_dtype) if out_dtype else None)
    except TypeError as exc:  # NumPy's UFuncNoLoopError and friends
        message = f"lazyarr: {opname} is not defined for {_describe(nodes)}"
        if type(exc) is not TypeError:  # NumPy's own class (UFuncTypeError), so `except` clauses see it
            exc.add_note(message)
            raise
        raise TypeError(f"{message} ({exc})") from None
    return loop_in, out


def ufunc_node(ufunc, operands, opname: str | None = None, dtype=None) -> Node:
    """The node for ``ufunc(*operands)``: a table entry, or a scipy.special ufunc through the bridge."""
    if dtype is None:
        node = _common_case(ufunc, operands, opname)
        if node is not None:
            return scalar_fold.fold(node)  # (scalar overhead #15) 0-d constants computed now
    return scalar_fold.fold(general_ufunc_node(ufunc, operands, opname, dtype))


def general_ufunc_node(ufunc, operands, opname: str | None = None, dtype=None, operator: bool = False) -> Node:
    """ufunc_node without the common-case shortcut: every check and NumPy's value-dependent rules. `operator`:
    called for a Python operator (``x ** 0.5`` takes NumPy's scalar-power fast path for every float dtype,
    ``np.power`` for float32/float64 only)."""
    opname = opname or ufunc.__name__
    op = BY_UFUNC.get(ufunc)
    if op is None:
        if ufunc.__name__ in REFUSED_UFUNCS:
            raise TypeError(f"lazyarr: np.{ufunc.__name__} is not supported: {REFUSED_UFUNCS[ufunc.__name__]}")
        return special_node(ufunc, [to_node(x, f"{opname}'s operand") for x in operands], dtype)
    if op.name in _NONE_COMPARISONS and len(operands) == 2 and (operands[0] is None) != (operands[1] is None):
        return _compared_with_none(op.name, operands, opname)
    try:
        nodes = [to_node(x, f"{opname}'s operand") for x in operands]
    except TypeError as refused:  # an operand of a dtype lazyarr refuses (str, object)
        _numpy_error_on_probes(ufunc, operands, str(refused))
        raise
    if len(nodes) != op.nin:
        raise TypeError(f"lazyarr: {opname} takes {op.nin} operands, got {len(nodes)}")
    loop_in, out = resolve(ufunc, nodes, opname, dtype)
    shape = nodes[0].shape
    if len(nodes) > 1 and any(n.shape != shape for n in nodes):
        shape = broadcast_shapes(opname, *(n.shape for n in nodes))
    weak = [n.op == CONST and n.params.weak for n in nodes]
    if True in weak:
        if op.name in _COMPARISONS:
            decided = _comparison_out_of_range(ufunc, nodes, loop_in)
            if decided is not None:
                return full(shape, decided, np.dtype(bool))
        nodes = [_typed(n, dt, opname) if w else n for n, dt, w in zip(nodes, loop_in, weak)]
    if op.name == "power" and nodes[1].op == CONST:
        if loop_in[1].kind in "iu" and nodes[1].data < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        special = SCALAR_POWERS.get(complex(nodes[1].data)) if loop_in[0].kind in "iuf" else None
        if special is np.sqrt and loop_in[0].char == "e" and not operator:
            special = None  # (s15 sweep) np.power's float16 loop is pow: +0.0 at -0.0, +inf at -inf
        if special is not None and (loop_in[0].kind == "f" or special in (np.square, np.positive)):
            base = nodes[0] if nodes[0].dtype == loop_in[0] else cast(nodes[0], loop_in[0], opname)
            return ufunc_node(special, (base,), opname)
    engine = "numba" if _numba_can(op.name, loop_in, out) else "numpy"
    return expr.make(op.name, tuple(nodes), UfuncParams(loop_in, engine), shape, out)


def _numpy_error_on_probes(ufunc, operands, note: str) -> None:
    """(s15 sweep) NumPy's own error for these operands' dtypes (its UFuncTypeError for ``x + "a"``), raised by
    the ufunc on 0-d stand-ins, with lazyarr's reason as a note; returns where NumPy has a loop (an object
    operand), and the caller's error stands."""
    probes = []
    for x in operands:
        if is_lazy(x) or isinstance(x, np.ndarray):
            if x.dtype.kind == "O":  # NumPy's object loop takes any operands: lazyarr's refusal is the error
                return
            probes.append(np.zeros((), x.dtype))
        else:
            probes.append(x)
    with np.errstate(all="ignore"):
        try:
            ufunc(*probes)
        except TypeError as numpys:
            numpys.add_note(note)
            raise
        except Exception:  # noqa: BLE001 (an object's own error: not the one this call would give)
            return


_NONE_COMPARISONS = ("equal", "not_equal")


def _compared_with_none(name: str, operands, opname: str) -> Node:
    """``x == None`` / ``x != None``: NumPy compares each element with None through its object loop, and no
    number equals None, so the answer is all False (all True for !=) in x's shape, whatever x's dtype."""
    other = to_node(operands[1] if operands[0] is None else operands[0], f"{opname}'s operand")
    return full(other.shape, name == "not_equal", np.dtype(bool))


# --- the common case, fast ---------------------------------------------------------------------------------
# Rebuilding a small expression in a loop makes every node afresh, so building must cost little. The common
# case (lazy operands of known dtypes and plain Python int/float scalars, no value-dependent rule) skips the
# general path's checks: what it decides is memoised per (ufunc, operand dtypes or scalar types), and the
# typed constant of a recent scalar is reused. Anything else returns None and takes the general path, which
# gives the same node (hash-consing sees the same op, args and params) or the right error.

_lazy_types: tuple = ()  # LazyArray, registered by array.py (which imports this module)


def register_lazy_type(cls: type) -> None:
    """Called once by array.py: operands of this type carry their node in ``._node``."""
    global _lazy_types
    _lazy_types = (*_lazy_types, cls)


def is_lazy(x) -> bool:
    return type(x) in _lazy_types or (x is not None and isinstance(x, _lazy_types))


def lazy_types() -> tuple:
    """The LazyArray classes registered so far (``type(a) in build.lazy_types()``: a LazyArray, not a subclass
    of something else)."""
    return _lazy_types


_decisions: dict[tuple, tuple | None] = {}
_recent_consts: dict[tuple, Node] = {}
_RECENT_CONSTS = 512


def _common_case(ufunc, operands, opname: str | None = None):
    if len(operands) == 2:
        return common_binary(ufunc, *operands, opname)
    nodes, kinds = [], [ufunc]
    for x in operands:
        kind = type(x)
        if kind in _lazy_types:
            node = x._node
            kinds.append(node.dtype)
        elif kind is float or kind is int:
            node = x
            kinds.append(kind)
        else:
            return None
        nodes.append(node)
    decision = _decision(tuple(kinds))
    if decision is None:
        return None
    name, loop_in, out, params = decision
    for i, node in enumerate(nodes):
        if type(node) is not Node:
            node = typed_scalar(node, loop_in[i])
            if node is None:
                return None
            nodes[i] = node
    shape = nodes[0].shape
    if len(nodes) > 1 and any(n.shape != shape for n in nodes):
        shape = broadcast_shapes(name, *(n.shape for n in nodes))
    return expr.make(name, tuple(nodes), params, shape, out)


def common_binary(ufunc, x, y, opname: str | None = None):
    """_common_case for two operands, spelled out: this is every Python operator. `opname`: the name the
    general path gives in a NumPy operand's error (the ufunc's own by default)."""
    tx, ty = type(x), type(y)
    if tx in _lazy_types:
        x = x._node
        kx = x.dtype
    elif tx is float or tx is int:
        kx = tx
    elif tx is Node and x.op != CONST:  # (s15 build) api/products.py's nodes (a constant may be weak)
        kx = x.dtype
    elif tx is np.ndarray and dtypes.supported_native(x.dtype) is not None:  # (s15 build) the general path's
        x = to_node(x, f"{opname or ufunc.__name__}'s operand")              # leaf for a NumPy operand
        kx = x.dtype
    else:
        return None
    if ty in _lazy_types:
        y = y._node
        ky = y.dtype
    elif ty is float or ty is int:
        ky = ty
    elif ty is Node and y.op != CONST:  # (s15 build)
        ky = y.dtype
    elif ty is np.ndarray and dtypes.supported_native(y.dtype) is not None:  # (s15 build; a refused dtype:
        y = to_node(y, f"{opname or ufunc.__name__}'s operand")              # the general path's error)
        ky = y.dtype
    else:
        return None
    decision = _decisions.get((ufunc, kx, ky), False)
    if decision is False:
        decision = _decision((ufunc, kx, ky))
    if decision is None:
        return None
    name, loop_in, out, params = decision
    if kx is tx:
        x = typed_scalar(x, loop_in[0])
        if x is None:
            return None
    if ky is ty:
        y = typed_scalar(y, loop_in[1])
        if y is None:
            return None
    shape = x.shape
    if y.shape != shape:
        shape = broadcast_shapes(name, shape, y.shape)
    return expr.make(name, (x, y), params, shape, out)


def common_unary(ufunc, node: Node) -> Node | None:
    """(s15 build) _common_case for one node operand (``-x``, ``np.exp(x)``), or None for the general path."""
    decision = _decisions.get((ufunc, node.dtype), False)
    if decision is False:
        decision = _decision((ufunc, node.dtype))
    if decision is None:
        return None
    name, loop_in, out, params = decision
    return expr.make(name, (node,), params, node.shape, out)


# (s18 bgbuild) ``x ** 3``, ``x ** 1.5``: a float array to a Python int or float that is not one of SCALAR_POWERS takes
# the general path (the common case refuses weak exponents: NumPy's special scalar powers), ~20 us warm and ~55 cold,
# to make NumPy's power node over the exponent typed in the loop's dtype. Its loop is decided here once per (dtype,
# exponent type); tests/test_build_fast_paths.py's operator test compares it with the general path.
_power_loops: dict[tuple, tuple] = {}
_EXACT_INT = 2**53


def common_power(node: Node, exponent) -> Node | None:
    """The general path's node for ``node ** exponent`` (a float node, a Python int or float exponent outside
    SCALAR_POWERS), or None for the general path."""
    kind = type(exponent)
    if node.dtype.kind != "f" or not (kind is float or (kind is int and -_EXACT_INT < exponent < _EXACT_INT)) \
            or exponent in SCALAR_POWERS:
        return None
    decided = _power_loops.get((node.dtype, kind))
    if decided is None:
        try:
            loop_in, out = dtypes.resolve_loop(np.power, (node.dtype, dtypes.operand_for_resolution(kind(0))))
        except TypeError:
            return None
        engine = "numba" if _numba_can("power", loop_in, out) else "numpy"
        decided = _power_loops[(node.dtype, kind)] = (loop_in, out, UfuncParams(loop_in, engine))
    loop_in, out, params = decided
    if loop_in[0] != node.dtype:
        return None  # (the general path casts the base first)
    const = typed_scalar(exponent, loop_in[1])
    if const is None or const.data in SCALAR_POWERS:
        return None  # (``x32 ** 2.0000000001`` is float32's 2.0: the general path's square)
    return expr.make("power", (node, const), params, node.shape, out)


def _decision(key: tuple):
    decision = _decisions.get(key, False)
    if decision is False:
        decision = _decisions[key] = _decide(key[0], key[1:])
    return decision


def _decide(ufunc, kinds: tuple):
    """(op name, loop dtypes, result dtype, node params) for the common case, or None for the general path."""
    op = BY_UFUNC.get(ufunc)
    if op is None or len(kinds) != op.nin:
        return None
    weak = [k for k in kinds if not isinstance(k, np.dtype)]
    if weak and op.name == "power":
        return None  # scalar exponents have NumPy's special cases (see SCALAR_POWERS)
    operands = tuple(k if isinstance(k, np.dtype) else dtypes.operand_for_resolution(k(0)) for k in kinds)
    try:
        loop_in, out = dtypes.resolve_loop(ufunc, operands)
    except TypeError:
        return None
    engine = "numba" if _numba_can(op.name, loop_in, out) else "numpy"
    return op.name, loop_in, out, UfuncParams(loop_in, engine)


def typed_scalar(value, dtype: np.dtype):
    """The typed const a weak Python int/float becomes in a loop of `dtype`, or None for the general path
    (an int out of range: OverflowError, or a comparison NumPy answers without looking; a float that
    overflows the dtype)."""
    kind = type(value)
    key = (dtype, kind, value, kind is float and math.copysign(1.0, value) < 0)
    node = _recent_consts.get(key)
    if node is not None:
        return node
    if kind is int and dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            return None
    elif kind is float and dtype.kind in "f" and not abs(value) <= _float_max(dtype):
        if value == value:
            return None  # rounds to inf: the general path does it with NumPy's warnings silenced
    node = expr.const(dtype.type(value), dtype, weak=False)
    if len(_recent_consts) >= _RECENT_CONSTS:
        _recent_consts.clear()
    _recent_consts[key] = node
    return node


# (#14 bgfirst4) np.finfo(dtype).max of the float and complex dtypes: the same NumPy scalars (so a weak float is
# compared in the dtype, NumPy 2's rule, with its overflow warning), without a process's first np.finfo(float64),
# ~50 us while NumPy works out the type's limits, in the first expression with a float constant.
_FLOAT_MAX = {"e": np.float16(65504.0), "f": np.float32(3.4028234663852886e38),
              "d": np.float64(1.7976931348623157e308), "F": np.float32(3.4028234663852886e38),
              "D": np.float64(1.7976931348623157e308)}


def _float_max(dtype: np.dtype):
    found = _FLOAT_MAX.get(dtype.char)
    return found if found is not None else np.finfo(dtype).max


# NumPy's power loop treats these scalar exponents as other ufuncs (so (-inf) ** 0.5 is nan, as sqrt gives,
# not C pow's inf); they are also much faster than pow.
SCALAR_POWERS = {2: np.square, 0.5: np.sqrt, -1: np.reciprocal, 1: np.positive}

_COMPARISONS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal"}


def _comparison_out_of_range(ufunc, nodes, loop_in):
    """NumPy 2 compares an integer array with a Python int outside its range without error: every element
    compares the same way, so the answer is a constant (e.g. ``int8_array < 300`` is all True)."""
    import operator
    compare = {"equal": operator.eq, "not_equal": operator.ne, "less": operator.lt,
               "less_equal": operator.le, "greater": operator.gt, "greater_equal": operator.ge}[ufunc.__name__]
    for i, n in enumerate(nodes):
        other = nodes[1 - i]
        dt = loop_in[i]
        if n.weak and type(n.data) is int and dt.kind in "iu" and not other.weak and other.dtype == dt:
            info = np.iinfo(dt)
            if not info.min <= n.data <= info.max:
                probe = [info.min, info.min]
                probe[i] = n.data
                return compare(*probe)
    return None


@functools.lru_cache(maxsize=None)
def _numba_can(opname: str, loop_in, out) -> bool:
    op = ELEMENTWISE[opname]
    kind = loop_in[0].kind
    if kind in op.numpy_for_kinds:
        return False
    if op.template(loop_in[0]).startswith("S."):
        return True
    # float16 is computed in float32 and rounded after each op, so the float32 loop is the one Numba needs.
    as_carrier = [np.dtype(np.float32) if d == dtypes.HALF else d for d in loop_in]
    return _numba_has_loop(op.ufunc, as_carrier, np.dtype(np.float32) if out == dtypes.HALF else out)


def where(condition, x, y) -> Node:
    c, a, b = to_node(condition, "where's condition"), to_node(x, "where's x"), to_node(y, "where's y")
    operands = [n.data if n.weak else np.empty(0, n.dtype) for n in (a, b)]
    try:
        dt = np.result_type(*operands)
    except TypeError as exc:
        raise TypeError(f"lazyarr: where: no common dtype for {_describe([a, b])} ({exc})") from None
    dtypes.check_supported(dt, "where's result")
    c = cast(c, np.dtype(bool), "where") if c.dtype != np.bool_ else c
    a, b = _typed(a, dt, "where", check=False), _typed(b, dt, "where", check=False)
    shape = broadcast_shapes("where", c.shape, a.shape, b.shape)
    return expr.make("where", (c, a, b), UfuncParams((np.dtype(bool), dt, dt), "numba"), shape, dt)


def clip(a, a_min, a_max) -> Node:
    """np.clip as NumPy 2's ``_clip``: a Python int bound beyond an integer array's range is no bound (NEP 50:
    no value-based promotion), and no bound at all is ``positive(a)`` (a copy)."""
    a = to_node(a)  # once: a NumPy operand is copied where it is read (to_node), so not three times
    kind = a.dtype.kind
    if kind in "iu":
        info = np.iinfo(a.dtype)
        if type(a_min) is int and a_min <= info.min:
            a_min = None
        if type(a_max) is int and a_max >= info.max:
            a_max = None
    if a_min is None and a_max is None:
        return ufunc_node(np.positive, (a,), "clip")
    if a_max is None:
        return ufunc_node(np.maximum, (a, a_min), "clip")
    if a_min is None:
        return ufunc_node(np.minimum, (a, a_max), "clip")
    return ufunc_node(ELEMENTWISE["clip"].ufunc, (a, a_min, a_max), "clip")


def cast(node: Node, dtype, opname: str = "astype") -> Node:
    dt = dtypes.check_supported(np.dtype(dtype), f"{opname}'s target")
    if node.is_const:
        with np.errstate(all="ignore"):
            return expr.const(np.asarray(node.data).astype(dt)[()], dt, weak=False)
    return expr.make("cast", (node,), UfuncParams((node.dtype,), "numba"), node.shape, dt)


def unary(opname: str, node: Node) -> Node:
    """real, imag and copy: ops without a ufunc."""
    if opname in ("real", "imag"):
        if node.dtype.kind != "c":
            if opname == "real":
                return node
            return full(node.shape, 0, node.dtype)
        dt = np.dtype(f"f{node.dtype.itemsize // 2}")
        return expr.make(opname, (node,), UfuncParams((node.dtype,), "numba"), node.shape, dt)
    return expr.make(opname, (node,), UfuncParams((node.dtype,), "numba"), node.shape, node.dtype)


def full(shape: tuple, value, dtype) -> Node:
    """A fresh array of `shape` filled with `value`: a copy of a zero-stride view, so it costs no memory."""
    dt = dtypes.check_supported(np.dtype(dtype) if dtype is not None else np.asarray(value).dtype, "full")
    source = np.broadcast_to(np.asarray(value).astype(dt), shape)
    return unary("copy", expr.leaf(source))


def transpose(node: Node, axes: tuple[int, ...]) -> Node:
    """Permute axes by pushing the permutation down to the leaves (elementwise ops commute with it)."""
    if node.op == expr.LEAF:
        return expr.leaf(node.data.transpose(axes))
    if node.op == expr.CONST:
        return node
    if _undoes(node, axes):  # (#15 covcos) the transpose of a transpose stage is its operand
        return node.args[0]
    if not node.fusable:
        return numpy_stage("transpose", (node,), (("axes", axes),),
                           tuple(node.shape[a] for a in axes), node.dtype)
    args = []
    for a in node.args:
        # An operand of lower rank is aligned to the right, as broadcasting does; pad it first.
        pad = node.ndim - a.ndim
        if pad and not a.is_const:
            a = expand_leading(a, pad)
        args.append(a if a.is_const else transpose(a, axes))
    return expr.make(node.op, tuple(args), node.params, tuple(node.shape[a] for a in axes), node.dtype)


def _undoes(node: Node, axes: tuple[int, ...]) -> bool:
    """(#15 covcos) Whether `node` is a transpose stage that permuting by `axes` puts back in order."""
    if node.op != "numpy" or node.params.name != "transpose" or len(node.args) != 1:
        return False
    inner = dict(node.params.kwargs).get("axes")
    return inner is not None and len(inner) == len(axes) and all(inner[a] == i for i, a in enumerate(axes))


def expand_leading(node: Node, count: int) -> Node:
    """Add `count` leading length-1 axes."""
    if node.op == expr.LEAF:
        return expr.leaf(node.data.reshape((1,) * count + node.shape))
    if not node.fusable:
        return numpy_stage("reshape", (node,), (("shape", (1,) * count + node.shape),),
                           (1,) * count + node.shape, node.dtype)
    # Operands stay right-aligned under broadcasting, so only this node's own shape changes.
    return expr.make(node.op, node.args, node.params, (1,) * count + node.shape, node.dtype)


def reductions_axis(axis, ndim: int) -> int:
    """One axis argument, normalised as NumPy does (AxisError when out of range)."""
    import operator
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def numpy_stage(name: str, args: tuple, kwargs: tuple, shape: tuple, dtype) -> Node:
    """A node NumPy evaluates on its own: the STAGES entry `name` over `args` with `kwargs` (sorted pairs), a
    boundary between fused kernels."""
    if byte_order.seen:  # (s16 sweepd) a LazyArray's dtype may name NumPy's non-native order: nodes are native
        dtype = dtypes.native(np.dtype(dtype))
    return expr.make("numpy", tuple(args), StageParams(name, kwargs), shape, dtype)


# -- scipy.special ufuncs ---------------------------------------------------------------------------------
# A scipy.special ufunc is a NumPy ufunc, so its dtype resolution is NumPy's (``resolve_dtypes``, weak Python
# scalars included). The bridge says whether that exact loop can be called from a kernel; a loop it cannot
# call stays correct: the node is evaluated by SciPy itself as a stage, and ``explain()`` says so.

def is_scipy_special(ufunc) -> bool:
    from lazyarr.graph.expr import scipy_special_ufunc
    return scipy_special_ufunc(getattr(ufunc, "__name__", "")) is ufunc


def special_node(ufunc, nodes, dtype=None) -> Node:
    if not is_scipy_special(ufunc) or ufunc.nout != 1:
        what = f"scipy.special.{ufunc.__name__}" if is_scipy_special(ufunc) else f"ufunc {ufunc.__name__}"
        why = "it has several outputs" if ufunc.nout != 1 else "lazyarr has no kernel for it"
        raise TypeError(f"lazyarr: {what} is not supported on lazy arrays: {why}")
    opname = expr.SPECIAL + ufunc.__name__
    if len(nodes) != ufunc.nin:
        raise TypeError(f"lazyarr: {opname} takes {ufunc.nin} operands, got {len(nodes)}")
    loop_in, out = resolve(ufunc, nodes, opname, dtype)
    nodes = [_typed(n, dt, opname) for n, dt in zip(nodes, loop_in)]
    shape = broadcast_shapes(opname, *(n.shape for n in nodes))
    engine = "numba" if _bridged(ufunc, loop_in, out) else "numpy"
    return expr.make(opname, tuple(nodes), UfuncParams(loop_in, engine), shape, out)


def _bridged(ufunc, loop_in, out) -> bool:
    from lazyarr.kernels import scipy_bridge as sb  # imports scipy.special: only once such a ufunc is used
    if not sb.is_bridged(ufunc) or dtypes.HALF in loop_in:
        return False
    try:
        bridged_in, bridged_out = sb.resolve(ufunc, tuple(loop_in))
    except TypeError:
        return False
    return tuple(bridged_in) == tuple(loop_in) and bridged_out == out


def _numba_has_loop(ufunc: np.ufunc, loop_in: tuple, out: np.dtype) -> bool:
    """Whether Numba's ufunc database can lower this exact NumPy loop (e.g. 'ff->f')."""
    signature = "".join(d.char for d in loop_in) + "->" + out.char
    # #14 (background compilation's first answer): Numba's table holds every loop NumPy itself has over the
    # types Numba compiles, for every ufunc of the op table that asks here (tests/test_first_answer.py checks it
    # against the installed Numba). Answered from NumPy's list, the first graph of a process no longer fills
    # Numba's table: 10-50 ms of imports (numba.np.npyfuncs, npdatetime, mathimpl) that only a compile needs.
    if signature in ufunc.types and NUMBA_LOOP_CHARS.issuperset(signature.replace("->", "")):
        return True
    return signature in numba_glue.ufunc_loops(ufunc)


NUMBA_LOOP_CHARS = frozenset("?bBhHiIlLqQfd")  # the loop types Numba compiles (numba.np.numpy_support)


def make_complex(re: Node, im: Node) -> Node:
    """The complex whose parts are `re` and `im` (one real dtype). ``re + 1j*im`` would turn inf parts into
    NaN (0*inf), so the op table's ``complex`` entry builds it directly."""
    part = re.dtype
    dt = np.dtype(np.complex64) if part == np.float32 else np.dtype(np.complex128)
    shape = broadcast_shapes("complex", re.shape, im.shape)
    return expr.make("complex", (re, im), UfuncParams((part, part), "numba"), shape, dt)
