"""Python numbers as placeholders while ``@lazyarr.fuse`` traces: weak scalars (NEP 50), values bound per call.

A Python float, int or complex argument must act in the traced function exactly as that number acts in NumPy:
a *weak* scalar whose dtype the operation picks (``float32_array * 2.5`` stays float32), and arithmetic between
Python numbers stays Python arithmetic (``2 * sigma ** 2`` is still a weak Python float). So such an argument
is traced as a ``ScalarTracer``:

- Python arithmetic on tracers makes new tracers. Each records its operation, which is replayed on every call
  (Python semantics, Python errors), so ``k / 2`` is not baked in.
- Where a tracer meets an array it enters the graph as a weak constant whose value is a *sentinel*: a NaN with
  a private payload for floats (it survives conversion to float32/float16 and cannot equal a literal), a
  value of the same range class for ints. After planning, each typed constant made from a sentinel is found by
  its bits and receives the converted call value (``convert``) instead.
- A value class (``classify``) is everything graph building decides from a number's value: the exponents
  NumPy's power turns into other ufuncs (2, 0.5, -1, 1), and which integer dtypes an int fits (overflow
  checks, out-of-range comparisons). The class is part of the signature; numbers with a special class are
  passed in as plain values and become part of the signature themselves.
- Anything that needs the value itself (``if k > 0``, ``int(k)``, ``range(k)``, ``axis=k``, ``math.exp(k)``)
  gets it, and the argument becomes *static*: its value joins the signature, so the branch taken is never
  reused for another value.
"""
from __future__ import annotations

import functools
import operator
import sys
import struct

import numpy as np

from lazyarr.api import build
from lazyarr.graph import expr

# Exponents that graph building turns into other ufuncs (sqrt, square, ...), read from the builder itself.
POWER_SPECIAL = frozenset(complex(k) for k in build.SCALAR_POWERS)
FLOAT_SPECIAL = frozenset(float(k.real) for k in POWER_SPECIAL)
INT_SPECIAL = frozenset(range(-1, 3)) | frozenset(int(k.real) for k in POWER_SPECIAL if k.real == int(k.real))
_INT_LOW, _INT_HIGH = min(INT_SPECIAL), max(INT_SPECIAL)

# Integer range classes: a positive int by the bits it needs (fits int8, uint8, int16, ...), a negative one by
# the signed types it fits.
_POS_BITS = (7, 8, 15, 16, 31, 32, 63, 64)
_NEG_BITS = (7, 15, 31, 63)
_MAX_PAYLOAD = 511  # a float16 NaN keeps 9 payload bits below its quiet bit


def classify(value):
    """The value class of a Python number, or None when its value itself must be in the signature."""
    kind = type(value)
    if kind is float:
        return None if value in FLOAT_SPECIAL else "f"
    if kind is int:
        if _INT_LOW <= value <= _INT_HIGH and value in INT_SPECIAL:
            return None
        if value > 0:
            bits = value.bit_length()
            return next((("i", b) for b in _POS_BITS if bits <= b), None)
        bits = (-value - 1).bit_length()
        return next((("i", -b) for b in _NEG_BITS if bits <= b), None)
    if kind is complex:
        return None if value in POWER_SPECIAL else "c"
    return None


def _int_range(bits: int) -> tuple[int, int]:
    if bits > 0:
        previous = max((b for b in _POS_BITS if b < bits), default=None)
        low = (1 << previous) if previous is not None else _INT_HIGH + 1
        return low, (1 << bits) - 1
    previous = max((b for b in _NEG_BITS if b < -bits), default=None)
    high = -(1 << previous) - 1 if previous is not None else _INT_LOW - 1
    return -(1 << -bits), high


def _nan(payload: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000000 | (payload << 42)))[0]


def sentinel(cls, index: int, salt: int):
    """The stand-in value for tracer `index` of class `cls`; `salt` (0 or 1) gives a second, disjoint set."""
    if cls in ("f", "c"):
        payload = 2 * index + salt + 1
        if payload > _MAX_PAYLOAD:
            return None
        return _nan(payload) if cls == "f" else complex(_nan(payload), 0.0)
    low, high = _int_range(cls[1])
    span = high - low + 1
    start = span * (37 if salt == 0 else 61) // 100
    return low + (start + 7 * index) % span


def convert(value, dtype: np.dtype):
    """The typed constant graph building makes from the weak number `value` for an operation in `dtype`
    (``build._typed``)."""
    return converter(dtype)(value)


@functools.lru_cache(maxsize=None)
def converter(dtype: np.dtype):
    """``convert`` for one dtype, with its limits looked up once. An int that does not fit an integer dtype
    wraps (an overflow-checked operation refused it at trace time already); a float beyond a float dtype's
    range becomes inf silently, as NumPy does for a weak float."""
    make = np.float16 if dtype == np.float16 else dtype.type
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        low, high = int(info.min), int(info.max)

        def to_int(value):
            if type(value) is not int or low <= value <= high:
                return make(value)
            if value.bit_length() < 64:
                return np.array(value).astype(dtype)[()]
            return make(value % (1 << 64))

        return to_int
    if dtype.kind in "fc":
        limit = float(np.finfo(dtype).max)

        def to_float(value):
            if type(value) is not float or -limit <= value <= limit or value != value:
                return make(value)
            with np.errstate(over="ignore"):
                return make(value)

        return to_float
    return make


def const_bits(node) -> tuple:
    """A constant's dtype and exact bits (NaN payloads included)."""
    return node.dtype.str, np.asarray(node.data, dtype=node.dtype).tobytes()


class Static(Exception):
    """Raised when a trace finds that some scalar arguments must be static after all (their roots)."""

    def __init__(self, roots):
        super().__init__(sorted(roots))
        self.roots = frozenset(roots)


class Record:
    """One traced number: an argument (`arg` is its flat position) or an operation on earlier ones."""
    __slots__ = ("index", "arg", "op", "operands", "cls", "sentinel", "roots")

    def __init__(self, index, arg, op, operands, cls, sentinel_value, roots):
        self.index, self.arg, self.op, self.operands = index, arg, op, operands
        self.cls, self.sentinel, self.roots = cls, sentinel_value, roots


class ScalarTrace:
    """The numbers of one trace: records in creation order, and the arguments that turned static."""

    def __init__(self, salt: int):
        self.salt = salt
        self.records: list[Record] = []
        self.static: set[int] = set()

    def argument(self, arg: int, value):
        cls = classify(value)
        return value if cls is None else self._new(value, cls, arg, None, (), frozenset((arg,)))

    def _new(self, value, cls, arg, op, operands, roots):
        index = len(self.records)
        stand_in = sentinel(cls, index, self.salt)
        if stand_in is None:  # too many traced numbers for distinct sentinels: keep the value
            self.static |= roots
            return value
        self.records.append(Record(index, arg, op, operands, cls, stand_in, roots))
        return ScalarTracer(self, index, value)

    def derive(self, op, a, b=None):
        """Python arithmetic on traced numbers: the value now, a record to replay it per call."""
        operands = (a,) if b is None else (a, b)
        values = [x._value if type(x) is ScalarTracer else x for x in operands]
        result = op(*values)
        roots = frozenset().union(*[self.records[x._index].roots for x in operands if type(x) is ScalarTracer])
        cls = classify(result)
        if cls is None:
            self.static |= roots
            return result
        refs = tuple(("t", x._index) if type(x) is ScalarTracer else ("k", x) for x in operands)
        return self._new(result, cls, None, op, refs, roots)

    def concrete(self, tracer: "ScalarTracer"):
        """The value itself: the arguments it came from become static."""
        self.static |= self.records[tracer._index].roots
        return tracer._value


def replay(records: list, flat_args) -> list | None:
    """Each traced number's value for a new call, or None when one leaves its class (the trace does not hold)."""
    values: list = []
    for r in records:
        if r.arg is not None:
            values.append(flat_args[r.arg])
            continue
        args = [values[ref] if kind == "t" else ref for kind, ref in r.operands]
        value = r.op(*args)
        if classify(value) != r.cls:
            return None
        values.append(value)
    return values


def _binary(op, reflected: bool = False):
    def method(self, other):
        if type(other) is not ScalarTracer and not _is_number(other):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return self._trace.derive(op, a, b)

    return method


def _unary(op):
    def method(self):
        return self._trace.derive(op, self)

    return method


def _concrete(convert_to):
    def method(self, *args):
        return convert_to(self._trace.concrete(self), *args)

    return method


def _compare(op):
    def method(self, other):
        if type(other) is not ScalarTracer and not _is_number(other):
            return NotImplemented
        value = other._trace.concrete(other) if type(other) is ScalarTracer else other
        return op(self._trace.concrete(self), value)

    return method


def _is_number(x) -> bool:
    return isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic)


class ScalarTracer:
    """A Python number while its function is traced. Arithmetic with numbers gives tracers, with arrays graph
    nodes (weak, as NEP 50 says); anything else that needs the value gets it and makes the argument static."""

    __slots__ = ("_trace", "_index", "_value")

    def __init__(self, trace: ScalarTrace, index: int, value):
        self._trace, self._index, self._value = trace, index, value

    @property
    def _node(self):
        """What lazyarr's graph builder sees: a weak Python number (the sentinel)."""
        stand_in = self._trace.records[self._index].sentinel
        return expr.weak_scalar(stand_in, build.WEAK_DEFAULT[type(stand_in)])

    @property
    def __class__(self):
        """(s14) ``isinstance(k, complex)`` in the user's function sees the number's own class, as the untraced
        call does: a branch on it took the wrong side (``a if isinstance(k, complex) else a * 2`` returned a * 2, a
        silently wrong answer). The class is part of the signature (``classify``), so every call this trace serves
        has it. lazyarr's own code (and ``type()``) still sees a tracer."""
        if sys._getframe(1).f_globals.get("__name__", "").startswith("lazyarr."):
            return ScalarTracer
        return type(self._value)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from lazyarr.api.numpy_api import array_ufunc
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._trace.concrete(self), dtype=dtype)

    def __getattr__(self, name):
        if name.startswith("__"):  # NumPy and Python probe protocols: not a use of the value
            raise AttributeError(name)
        return getattr(self._trace.concrete(self), name)

    def __repr__(self) -> str:
        return f"<traced {type(self._value).__name__} argument of a @lazyarr.fuse function>"

    __hash__ = _concrete(hash)
    __bool__ = _concrete(bool)
    __int__ = _concrete(int)
    __float__ = _concrete(float)
    __complex__ = _concrete(complex)
    __index__ = _concrete(operator.index)
    __round__ = _concrete(round)
    __format__ = _concrete(format)
    __str__ = _concrete(str)

    def __trunc__(self):
        import math
        return math.trunc(self._trace.concrete(self))

    def __floor__(self):
        import math
        return math.floor(self._trace.concrete(self))

    def __ceil__(self):
        import math
        return math.ceil(self._trace.concrete(self))


for _name, _op in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv), ("mod", operator.mod),
                   ("pow", operator.pow), ("lshift", operator.lshift), ("rshift", operator.rshift),
                   ("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)]:
    setattr(ScalarTracer, f"__{_name}__", _binary(_op))
    setattr(ScalarTracer, f"__r{_name}__", _binary(_op, reflected=True))
for _name, _op in [("neg", operator.neg), ("pos", operator.pos), ("abs", operator.abs),
                   ("invert", operator.invert)]:
    setattr(ScalarTracer, f"__{_name}__", _unary(_op))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ScalarTracer, f"__{_name}__", _compare(getattr(operator, _name)))
