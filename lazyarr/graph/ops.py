"""The op table: every operation lazyarr knows, in one place.

An entry says what the op is called, how many inputs it takes, what its NumPy reference is (the dtype oracle,
the interpreter's implementation and the tests' oracle at once) and how it renders in a kernel. Everything
else - ``la.<name>`` functions, operator methods, ``__array_ufunc__``, codegen, the NumPy interpreter, the
docs table and the differential tests - is generated from this table. Adding a function is one entry.

Rendering: by default a ufunc renders as ``np.<name>(x, y)`` on scalars already cast to the loop dtypes, which
Numba lowers with its own ufunc database. Where Numba's lowering differs from NumPy for some dtype kinds the
entry names a replacement from ``lazyarr.scalar`` (``S.``) for those kinds; each such override exists because a
differential test found the difference.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

# --- node params ------------------------------------------------------------------------------------------
# What a node needs beyond its op and operands, as named fields. They are tuples (NamedTuple), so they hash and
# compare as the plain tuples they replace: hash-consing and structure ids see them unchanged.

class UfuncParams(NamedTuple):
    """An elementwise node (table entries, casts, scipy.special ufuncs)."""
    loop: tuple   # the loop's input dtypes, as NumPy resolved them; operands are cast to these
    engine: str   # "numba": compiled into a kernel; "numpy": NumPy evaluates it as a stage


class ReductionParams(NamedTuple):
    """A ``reduce`` node."""
    name: str           # the REDUCTIONS entry
    axes: tuple         # the reduced axes, sorted
    axis: tuple | None  # NumPy's axis argument: `axes`, or None for an arg-reduction over the flattened input
    engine: str         # "numba" or "numpy", as for UfuncParams


class StageParams(NamedTuple):
    """A ``numpy`` node: a STAGES entry applied to the node's operands."""
    name: str
    kwargs: tuple  # sorted (keyword, value) pairs for the entry's NumPy function



@dataclass(frozen=True)
class Elementwise:
    name: str
    ufunc: np.ufunc | None              # NumPy's reference; None for ops that are not ufuncs (where, cast)
    nin: int
    render: str | None = None           # kernel template over {0}, {1}...; None: "np.<ufunc>(...)"
    render_for_kinds: tuple = ()        # ((loop dtype kinds, template), ...): overrides by first input kind
    numpy_for_kinds: str = ""           # loop kinds Numba lowers differently from NumPy: NumPy evaluates these
    # A vectorisable variant for float loops: a template "V.<name>(...)" giving (value, ok); float32 loops call
    # ``kernels/vecmath32`` where it has <name>, other float loops ``kernels/vecmath`` on float64 operands where
    # it has <name> (source_map.vector_module). Where ok is False the kernel recomputes with `template`.
    vector: str | None = None
    # Computes without a library call for real (non-complex) loops: a loop of such ops, plus the vector
    # variants above, is one LLVM can vectorise. One libm call (log1p, arctan, ...) keeps the whole loop
    # scalar, and then the vector variants are slower than libm's own scalar code (codegen checks this).
    inline: bool = False
    doc: str = ""
    # The reference of an op that is not a ufunc (the interpreter casts its result to the node's dtype).
    numpy: Callable | None = None

    def template(self, loop_dtype: np.dtype) -> str:
        """The kernel template for this loop: "e" in a kinds string matches float16 alone."""
        for kinds, template in self.render_for_kinds:
            if loop_dtype.kind in kinds or (loop_dtype.char == "e" and "e" in kinds):
                return template
        if self.render is not None:
            return self.render
        args = ", ".join("{%d}" % i for i in range(self.nin))
        return f"np.{self.ufunc.__name__}({args})"


def vector_template(op: "Elementwise", loop_dtype: np.dtype) -> str | None:
    """The op's vectorisable (value, ok) template for this loop, if it has one (float loops only)."""
    return op.vector if op.vector is not None and loop_dtype.kind == "f" else None


# Ufuncs that compile to straight-line code (LLVM instructions, or intrinsics with vector forms) for real loops;
# the table's non-ufunc entries say it themselves.
_INLINE = {
    "add", "subtract", "multiply", "divide", "negative", "positive", "fabs", "absolute", "square", "reciprocal",
    "conjugate", "sqrt", "floor", "ceil", "trunc", "rint", "copysign", "signbit", "isfinite", "isinf", "isnan",
    "maximum", "minimum", "fmax", "fmin", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "invert", "deg2rad", "rad2deg", "degrees", "radians",
}


def _ufunc(name: str, **kw) -> Elementwise:
    uf = getattr(np, name)
    return Elementwise(name=name, ufunc=uf, nin=uf.nin, inline=name in _INLINE, **kw)


_INT = "iu"
# Numba's complex transcendental functions get special values (inf, nan) and large magnitudes wrong.
_C = "c"


def _transcendental(name: str, **kw) -> Elementwise:
    return _ufunc(name, numpy_for_kinds=_C, **kw)


ELEMENTWISE: dict[str, Elementwise] = {
    op.name: op
    for op in [
        # arithmetic
        _ufunc("add"), _ufunc("subtract"),
        _ufunc("multiply", render_for_kinds=((_C, "S.cmul({0}, {1})"), (_INT, "S.wrapping_mul({0}, {1})"))),
        _ufunc("divide", render_for_kinds=((_C, "S.cdiv({0}, {1})"),)),
        _ufunc("floor_divide", render_for_kinds=((_INT, "S.int_floor_divide({0}, {1})"),
                                                 ("f", "S.float_floor_divide({0}, {1})"))),
        _ufunc("remainder", render_for_kinds=((_INT, "S.int_remainder({0}, {1})"),
                                              ("f", "S.float_remainder({0}, {1})"))),
        _ufunc("fmod", render_for_kinds=((_INT, "S.int_fmod({0}, {1})"),)),
        _transcendental("power", render_for_kinds=((_INT, "S.int_power({0}, {1})"),), vector="V.power({0}, {1})"),
        _transcendental("float_power"),
        _ufunc("negative"), _ufunc("positive"), _ufunc("fabs"),
        _ufunc("absolute", render_for_kinds=((_C, "S.cabs({0})"),)),
        _ufunc("sign", render="S.sign({0})", numpy_for_kinds=_C),
        _ufunc("square", render_for_kinds=((_C, "S.cmul({0}, {0})"),)),
        _ufunc("reciprocal", render_for_kinds=(("u", "S.uint_reciprocal({0})"), ("i", "S.int_reciprocal({0})"),
                                               (_C, "S.crecip({0})"))),
        _ufunc("conjugate"),
        _transcendental("sqrt"), _ufunc("cbrt", vector="V.cbrt({0})"),
        _ufunc("gcd"), _ufunc("lcm", render="S.lcm({0}, {1})"),
        _ufunc("heaviside", render="S.heaviside({0}, {1})"),
        # exponents and logarithms
        _transcendental("exp", vector="V.exp({0})"), _transcendental("exp2", vector="V.exp2({0})"), _transcendental("expm1", vector="V.expm1({0})"),
        _transcendental("log", vector="V.log({0})"), _transcendental("log2", vector="V.log2({0})"), _transcendental("log10", vector="V.log10({0})"),
        _transcendental("log1p", vector="V.log1p({0})"),
        _ufunc("logaddexp"), _ufunc("logaddexp2"),
        # trigonometric and hyperbolic
        _transcendental("sin", vector="V.sin({0})"), _transcendental("cos", vector="V.cos({0})"),
        _transcendental("tan", vector="V.tan({0})"),
        _transcendental("arcsin", vector="V.arcsin({0})"), _transcendental("arccos", vector="V.arccos({0})"), _transcendental("arctan", vector="V.arctan({0})"),
        _ufunc("arctan2", vector="V.arctan2({0}, {1})"), _ufunc("hypot", vector="V.hypot({0}, {1})"),
        _transcendental("sinh", vector="V.sinh({0})"), _transcendental("cosh", vector="V.cosh({0})"), _transcendental("tanh", vector="V.tanh({0})"),
        _transcendental("arcsinh", vector="V.arcsinh({0})"), _transcendental("arccosh", vector="V.arccosh({0})"), _transcendental("arctanh", vector="V.arctanh({0})"),
        _ufunc("deg2rad", render_for_kinds=(("f", "S.deg2rad({0})"),)),
        _ufunc("rad2deg", render_for_kinds=(("f", "S.rad2deg({0})"),)),
        _ufunc("degrees", render_for_kinds=(("f", "S.rad2deg({0})"),)),
        _ufunc("radians", render_for_kinds=(("f", "S.deg2rad({0})"),)),
        # rounding and floating-point functions
        _ufunc("floor"), _ufunc("ceil"), _ufunc("trunc"), _ufunc("rint"),
        _ufunc("copysign"),
        _ufunc("nextafter", render_for_kinds=(("e", "S.half_nextafter({0}, {1})"),)),
        _ufunc("spacing", render_for_kinds=(("e", "S.half_spacing({0})"), ("f", "S.spacing({0})"))), _ufunc("ldexp", render="S.ldexp({0}, {1})"),
        _ufunc("signbit"), _ufunc("isfinite"), _ufunc("isinf"), _ufunc("isnan"),
        _ufunc("maximum", render_for_kinds=(("e", "S.half_maximum({0}, {1})"), ("f", "S.float_maximum({0}, {1})"))),
        _ufunc("minimum", render_for_kinds=(("e", "S.half_minimum({0}, {1})"), ("f", "S.float_minimum({0}, {1})"))), _ufunc("fmax"), _ufunc("fmin"),  # on +-0 ties NumPy's own result varies with length and dtype
        # comparison and logic
        _ufunc("equal"), _ufunc("not_equal"), _ufunc("less"), _ufunc("less_equal"),
        _ufunc("greater"), _ufunc("greater_equal"),
        _ufunc("logical_and"), _ufunc("logical_or"), _ufunc("logical_xor"), _ufunc("logical_not"),
        # bitwise
        _ufunc("bitwise_and"), _ufunc("bitwise_or"), _ufunc("bitwise_xor"), _ufunc("invert"),
        _ufunc("left_shift", render_for_kinds=((_INT, "S.left_shift({0}, {1})"),)),
        _ufunc("right_shift", render_for_kinds=((_INT, "S.right_shift({0}, {1})"),)),
        _ufunc("bitwise_count", render="S.bitwise_count({0})"),
        # not ufuncs: dtype rules live in array.py, rendering here
        Elementwise("where", None, 3, render="({1} if {0} else {2})", inline=True,
                    doc="np.where(condition, x, y) with three arguments", numpy=np.where),
        Elementwise("clip", np._core.umath.clip, 3, render="S.clip({0}, {1}, {2})", inline=True,
                    doc="np.clip(a, a_min, a_max)", numpy_for_kinds=_C),  # (s14) complex order: NumPy's own
        Elementwise("real", None, 1, render="{0}.real", inline=True, doc="real part", numpy=np.real),
        Elementwise("imag", None, 1, render="{0}.imag", inline=True, doc="imaginary part", numpy=np.imag),
        Elementwise("copy", None, 1, render="{0}", inline=True, doc="np.copy: a fresh array with the same values",
                    numpy=np.copy),
        # (a copy first: a cast to the operand's own dtype must not hand back the operand itself)
        Elementwise("cast", None, 1, render="{0}", inline=True, doc="astype: the cast is inserted by codegen",
                    numpy=np.copy),
    ]
}

# --- surface/elementwise: primitives of api/elementwise.py -------------------------------------------------

def _complex_from_parts(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    """complex(re, im) exactly (``re + 1j * im`` would make NaN of an inf part: 0 * inf)."""
    out = np.empty(np.broadcast_shapes(re.shape, im.shape), np.result_type(re.dtype, im.dtype, np.complex64))
    out.real, out.imag = re, im
    return out


ELEMENTWISE["complex"] = Elementwise(
    "complex", None, 2, render="complex({0}, {1})",
    doc="the complex with real part {0} and imaginary part {1} (round and nan_to_num of complex input)",
    numpy=_complex_from_parts)
# --- end surface/elementwise ---------------------------------------------------------------------------------

# --- surface/creation: generator nodes (api/creation.py) ------------------------------------------------------
# A generator node has no operands: its value is a function of the element's position, so a kernel computes it
# from the loop index and reads no memory for it (``la.arange(n)`` is ``start + iota * step``). It is not
# elementwise (indexing or reshaping it changes its values, so nothing is pushed through it): the scheduler
# generates it inside a 1-d kernel of its own length, and elsewhere evaluates it with NumPy as a stage.
GENERATORS: dict[str, str] = {
    "iota": "the position along the one axis, as int64 (np.arange(n))",
}


def generate(op: str, shape: tuple) -> np.ndarray:
    """NumPy's value of the generator `op` of `shape` (the interpreter's and the stage's reference)."""
    if op == "iota":
        return np.arange(shape[0], dtype=np.int64)
    raise KeyError(op)
# --- end surface/creation ---------------------------------------------------------------------------------------

SPECIAL = "scipy.special."  # prefix of the ops that apply a scipy.special ufunc (compiled through scipy_bridge)


def is_elementwise(op: str) -> bool:
    """Whether a node's value at an index needs its operands' values at that index only (whether compiled or
    evaluated by NumPy): such nodes fuse, commute with indexing and reshaping, and run per dask block."""
    return op in ELEMENTWISE or op.startswith(SPECIAL)


# NumPy ufuncs that are aliases of a table entry (np.abs is np.absolute, np.true_divide is np.divide, ...).
BY_UFUNC: dict[np.ufunc, Elementwise] = {op.ufunc: op for op in ELEMENTWISE.values() if op.ufunc is not None}

# Ufuncs NumPy has that lazyarr refuses, with the reason given to the user.
REFUSED_UFUNCS: dict[str, str] = {
    "frexp": "it has two outputs",
    "modf": "it has two outputs: as one op (np.modf on a LazyArray gives both, fused: api/numpy_api.TWO_OUTPUTS)",
    "divmod": "it has two outputs: as one op (np.divmod on a LazyArray is // and %, both fused)",
    "isnat": "datetime dtypes are not supported",
    "matmul": "it is not elementwise; use the @ operator, which lazyarr treats as a BLAS boundary",
    "vecdot": "it is not elementwise", "matvec": "it is not elementwise", "vecmat": "it is not elementwise",
}

# Python operators -> op names; reflected forms swap operands.
BINARY_OPERATORS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "floordiv": "floor_divide",
    "mod": "remainder", "pow": "power", "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "left_shift", "rshift": "right_shift",
    "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal", "ne": "not_equal",
}
UNARY_OPERATORS = {"neg": "negative", "pos": "positive", "invert": "invert", "abs": "absolute"}


# --- reductions -------------------------------------------------------------------------------------------

def _wide(value: np.dtype, result: np.dtype) -> np.dtype:
    """Sums and products of floats accumulate in float64 (complex128), of integers in the result dtype."""
    if result.kind == "f":
        return np.dtype(np.float64)
    if result.kind == "c":
        return np.dtype(np.complex128)
    return result


def _truth(value: np.dtype, result: np.dtype) -> np.dtype:
    return np.dtype(bool)


def _compared(value: np.dtype, result: np.dtype) -> np.dtype:
    """min, max, argmin and argmax compare values of the producer's dtype."""
    return value


@dataclass(frozen=True)
class Reduction:
    """A reduction kernels compute directly. mean, var and std are built from these (see reductions.py).

    `update` folds a value `{v}` into the accumulator `{acc}`, per dtype kind of the accumulator; combining two
    partial accumulators is the same template with the second partial as `{v}`. `identity` starts the
    accumulator (None: NumPy refuses empty input, and the accumulator starts from the far end of the dtype's
    range). Arg-reductions track (value, index) pairs instead (``S.<name>_update``)."""
    name: str
    numpy: object                   # the NumPy function: the dtype oracle and the interpreter's implementation
    ufunc: np.ufunc | None          # ufunc whose .reduce is this reduction (np.add.reduce is sum)
    identity: str | None
    accumulator: Callable           # (producer dtype, result dtype) -> the dtype the kernel accumulates in
    doc: str
    update: tuple = ()              # ((accumulator kinds, template), ...)
    numpy_for_kinds: str = ""       # input kinds NumPy evaluates, and why (explain() says it)
    numpy_why: str = ""
    arg: bool = False               # returns the index of the winner, not a value
    maximises: bool = False         # without identity: start from the lowest value (max), not the highest (min)
    takes_dtype: bool = False       # NumPy's function takes dtype= (the node's dtype is passed)
    compensated: bool = False       # float accumulators add with Kahan compensation
    combine: str | None = None      # the dask.array reduction over blocks' partials (None: ArgCombine)
    # surface/gathers: the first value of a float accumulator without identity, instead of the far end
    # (nanmax/nanmin: NaN, which the first number replaces: a slice of NaN alone stays NaN, as NumPy's)
    float_start: str | None = None

    def template(self, acc_dtype: np.dtype) -> str:
        for kinds, template in self.update:
            if acc_dtype.kind in kinds:
                return template
        raise TypeError(f"lazyarr: {self.name} has no kernel for {acc_dtype}")


_ALL = "biufc"
_COMPLEX_ORDER = "complex ordering with NaN is NumPy's"
REDUCTIONS: dict[str, Reduction] = {
    r.name: r
    for r in [
        # Integer accumulators wrap as NumPy's do (see scalar.wrapping_add: Python's + may not, in Numba).
        Reduction("sum", np.sum, np.add, "0", _wide, "np.sum",
                  (("iu", "S.wrapping_add({acc}, {v})"), (_ALL, "{acc} + {v}")),
                  takes_dtype=True, compensated=True, combine="sum"),
        Reduction("prod", np.prod, np.multiply, "1", _wide, "np.prod",
                  (("iu", "S.wrapping_mul({acc}, {v})"), (_ALL, "{acc} * {v}")), takes_dtype=True, combine="prod"),
        Reduction("max", np.max, np.maximum, None, _compared, "np.max",
                  (("f", "S.float_maximum({acc}, {v})"), ("biu", "max({acc}, {v})")),
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, maximises=True, combine="max"),
        Reduction("min", np.min, np.minimum, None, _compared, "np.min",
                  (("f", "S.float_minimum({acc}, {v})"), ("biu", "min({acc}, {v})")),
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, combine="min"),
        # surface/gathers: NumPy's fmax/fmin reduction, one pass (no separate "any number?" pass): NaN is
        # skipped by a select LLVM vectorises, and a slice without a number keeps the NaN it started from
        Reduction("nanmax", np.nanmax, None, None, _compared, "np.nanmax: the largest value, NaN skipped",
                  (("f", "{v} if ({v} > {acc}) or ({acc} != {acc}) else {acc}"), ("biu", "max({acc}, {v})")),
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, maximises=True, combine="nanmax",
                  float_start="np.nan"),
        Reduction("nanmin", np.nanmin, None, None, _compared, "np.nanmin: the smallest value, NaN skipped",
                  (("f", "{v} if ({v} < {acc}) or ({acc} != {acc}) else {acc}"), ("biu", "min({acc}, {v})")),
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, combine="nanmin", float_start="np.nan"),
        Reduction("any", np.any, np.logical_or, "False", _truth, "np.any",
                  ((_ALL, "({acc} or ({v} != 0))"),), combine="any"),
        Reduction("all", np.all, np.logical_and, "True", _truth, "np.all",
                  ((_ALL, "({acc} and ({v} != 0))"),), combine="all"),
        Reduction("argmax", np.argmax, None, None, _compared, "np.argmax: the first index of the largest value",
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, arg=True, maximises=True),
        Reduction("argmin", np.argmin, None, None, _compared, "np.argmin: the first index of the smallest value",
                  numpy_for_kinds="c", numpy_why=_COMPLEX_ORDER, arg=True),
    ]
}
REDUCTION_BY_UFUNC = {r.ufunc: r for r in REDUCTIONS.values() if r.ufunc is not None}


# --- surface/reductions: scans (cumsum, cumprod, ufunc.accumulate), compiled by compiler/source_scan.py -------

class ScanParams(NamedTuple):
    """A ``scan`` node: a running reduction along one axis, the result the operand's shape."""
    name: str      # the SCANS entry
    axes: tuple    # (the scanned axis,)
    engine: str    # "numba" or "numpy", as for UfuncParams


@dataclass(frozen=True)
class Scan:
    """A running ``ufunc.accumulate`` kernels compute: `update` folds the next value `{v}` into the running
    value `{acc}` (per dtype kind of the result, which is also the accumulator: NumPy accumulates in the
    result dtype, so a float scan in NumPy's order is bit-equal). The first element starts the scan as is."""
    name: str
    ufunc: np.ufunc
    update: tuple   # ((result kinds, template), ...); kinds without a template are evaluated by NumPy
    doc: str

    def template(self, dtype: np.dtype) -> str | None:
        for kinds, template in self.update:
            if dtype.kind in kinds and dtype.char != "e":
                return template
        return None


SCANS: dict[str, Scan] = {
    s.name: s
    for s in [
        Scan("add", np.add, (("iu", "S.wrapping_add({acc}, {v})"), ("f", "{acc} + {v}")), "np.cumsum"),
        Scan("multiply", np.multiply, (("iu", "S.wrapping_mul({acc}, {v})"), ("f", "{acc} * {v}")), "np.cumprod"),
        Scan("maximum", np.maximum, (("f", "S.float_maximum({acc}, {v})"), ("biu", "max({acc}, {v})")),
             "np.maximum.accumulate"),
        Scan("minimum", np.minimum, (("f", "S.float_minimum({acc}, {v})"), ("biu", "min({acc}, {v})")),
             "np.minimum.accumulate"),
        Scan("logical_and", np.logical_and, (("b", "({acc} and {v})"),), "np.logical_and.accumulate"),
        Scan("logical_or", np.logical_or, (("b", "({acc} or {v})"),), "np.logical_or.accumulate"),
        Scan("logical_xor", np.logical_xor, (("b", "({acc} != {v})"),), "np.logical_xor.accumulate"),
    ]
}
# --- end surface/reductions (scans) ----------------------------------------------------------------------------


def is_arg_reduction(name: str) -> bool:
    """Whether the reduction `name` returns an index (argmin, argmax) rather than a value."""
    return REDUCTIONS[name].arg


# --- NumPy stages -----------------------------------------------------------------------------------------
# Nodes NumPy evaluates on its own (op "numpy", StageParams): boundaries between fused kernels. An entry gives
# the function the interpreter calls as ``numpy(*operands, **kwargs)``, the reason explain() gives for the cut,
# and the dask lowering: ``dask(dask operands, kwargs)`` builds the dask array (the NumPy operands of a stage
# over dask arrays are dask arrays too); None refuses the stage over dask arrays. Builders (api/) decide shapes
# and dtypes; tests/test_op_table.py checks every entry's dask lowering against NumPy.

@dataclass(frozen=True)
class Stage:
    name: str
    numpy: Callable
    dask: Callable | None
    reason: str
    doc: str


# Canonical indexing keys (see api/indexing.py): a basic key holds ints, None and (start, count, step) triples;
# an advanced key's template holds (ARRAY, i) for the i-th index array and ("slice", start, stop, step).
ARRAY = "array"


def realise(key: tuple) -> tuple:
    """A canonical key as a NumPy key (with a trailing Ellipsis: an all-int key gives a 0-d array)."""
    out = []
    for e in key:
        if type(e) is tuple:
            start, count, step = e
            stop = start + count * step
            out.append(slice(start, stop if stop >= 0 else None, step))
        else:
            out.append(e)
    out.append(Ellipsis)
    return tuple(out)


def getitem(x, key: tuple):
    """The ``getitem`` stage: a canonical basic key applied to a computed array (a view)."""
    return x[realise(key)]


def advanced_key(template: tuple, arrays) -> tuple:
    """The NumPy key of an ``advanced_index`` stage, from its template and its index arrays."""
    out = []
    for e in template:
        if type(e) is tuple and e[0] == ARRAY:
            out.append(arrays[e[1]])
        elif type(e) is tuple:
            out.append(slice(*e[1:]))
        else:
            out.append(e)
    return tuple(out)


def advanced_getitem(x: np.ndarray, *arrays, key: tuple) -> np.ndarray:
    try:
        return x[advanced_key(key, arrays)]
    except IndexError as exc:  # (an index computed lazily is checked only here: say what was indexed)
        raise IndexError(f"lazyarr: gathering from an array of shape {x.shape} with index arrays: {exc}") from None


def _concatenate(*arrays, **kwargs):
    return np.concatenate(arrays, **kwargs)


def _stack(*arrays, **kwargs):
    return np.stack(arrays, **kwargs)


def _dask_own(name: str) -> Callable:
    """dask.array's `name`, which takes NumPy's arguments."""
    def lower(args, kwargs):
        import dask.array as da
        return getattr(da, name)(*args, **kwargs)
    return lower


def _view_as(a, *, dtype):
    """``a.view(dtype)`` of a C-contiguous copy where `a` is not (NumPy views its bytes in memory order; a
    lazy value is its elements in C order)."""
    a = np.asarray(a)
    return (a if a.flags.c_contiguous else np.array(a, order="C")).view(dtype)


def _dask_view(args, kwargs):
    return args[0].view(kwargs["dtype"])  # dask views per block (the last axis rescaled as NumPy's)


def _dask_getitem(args, kwargs):
    return getitem(args[0], **kwargs)  # dask slices as NumPy does


def _dask_reshape(args, kwargs):
    """dask's reshape only merges or splits axes: any other C-order reshape merges all of them, then splits."""
    import dask.array as da
    x, shape = args[0], kwargs["shape"]
    try:
        return da.reshape(x, shape)
    except NotImplementedError:
        return da.reshape(da.reshape(x, (-1,)), shape)


def _dask_advanced_index(args, kwargs):
    """A gather with NumPy index arrays: dask's own indexing where it is NumPy's (one 1-d integer or boolean
    array among basic entries), else one task that gathers from the whole array."""
    import dask
    import dask.array as da
    x, arrays, template = args[0], args[1:], kwargs["key"]
    expected = advanced_getitem(np.empty(x.shape, dtype=[]), *arrays, key=template).shape
    one = [a for a in arrays if a.ndim == 1 and a.dtype.kind in "biu"]
    if len(arrays) == 1 and one and sum(1 for e in template if type(e) is tuple and e[0] == ARRAY) == 1:
        try:
            result = x[advanced_key(template, arrays)]
        except (NotImplementedError, IndexError, ValueError):
            result = None
        if result is not None and result.shape == expected:
            return result
    delayed = dask.delayed(advanced_getitem, pure=True)(x, *arrays, key=template)
    return da.from_delayed(delayed, expected, dtype=x.dtype, meta=np.empty((0,) * len(expected), x.dtype))


def _dask_concatenate(args, kwargs):
    import dask.array as da
    if kwargs["axis"] is None:
        return da.concatenate([a.reshape(-1) for a in args])
    return da.concatenate(args, axis=kwargs["axis"])


def _dask_stack(args, kwargs):
    import dask.array as da
    return da.stack(args, axis=kwargs["axis"])  # (dtype and casting: the result is cast to the node's dtype)


# views and index maps (surface/views)
def _dask_repeat(args, kwargs):
    """np.repeat as a gather along the axis (dask's own repeat takes one count for every element)."""
    import dask.array as da
    x, axis = args[0], kwargs["axis"]
    if axis is None:
        x, axis = x.reshape(-1), 0
    return da.take(x, np.repeat(np.arange(x.shape[axis]), kwargs["repeats"]), axis=axis)


def _not_fused(name: str) -> str:
    return f"np.{name} is not fused: NumPy evaluates it"


# --- surface/creation: library calls (api/linalg.py) ----------------------------------------------------------
def _library_function(function: str) -> Callable:
    """``np.linalg.svd`` from "linalg.svd": a NumPy function named by its path under ``numpy``."""
    target = np
    for part in function.split("."):
        target = getattr(target, part)
    return target


def library_call(*arrays, function: str, kwargs: tuple, output: int, shape: tuple, dtype: str) -> np.ndarray:
    """The ``library`` stage: NumPy's `function` on the operands (a list of them where `output` is below -1:
    multi_dot), output `output` of a tuple result (negative: the whole result). `shape`/`dtype` are the builder's
    promise, checked here so a rule that disagrees with NumPy fails loudly instead of returning a wrong array."""
    func, kwargs = _library_function(function), dict(kwargs)
    leading = kwargs.pop("leading", ())  # positional arguments before the arrays (einsum's subscripts)
    result = func(list(arrays), **kwargs) if output < -1 else func(*leading, *arrays, **kwargs)
    result = np.asarray(result if output < 0 else result[output])
    if result.shape != shape or result.dtype != np.dtype(dtype):
        raise AssertionError(f"lazyarr: np.{function} gave {result.dtype} {result.shape}, the expression was built "
                             f"for {dtype} {shape}: please report this")
    return result


# surface/gathers: a decomposition's outputs computed once (svd, qr, eigh, slogdet: api/linalg.py) --------------
# A node has one value, so the whole result tuple is one ``library_outputs`` stage whose value packs every
# output's bytes into one uint8 buffer; each output is a ``library_output`` stage that unpacks its part. Every
# output shares the one call, so ``la.compute(u, s, vt)`` and @la.fuse run the decomposition once.
PACK_ALIGN = 64  # each part starts at a multiple of this: its view is aligned for every dtype


def packed_layout(shapes: tuple, dtypes: tuple) -> tuple[tuple, int]:
    """(byte offset of each output, total bytes) of a packed result."""
    offsets, end = [], 0
    for shape, dt in zip(shapes, dtypes):
        offsets.append(end)
        nbytes = math.prod(shape) * np.dtype(dt).itemsize
        end += -(-nbytes // PACK_ALIGN) * PACK_ALIGN
    return tuple(offsets), end


def library_outputs(*arrays, function: str, kwargs: tuple, shapes: tuple, dtypes: tuple) -> np.ndarray:
    """The ``library_outputs`` stage: NumPy's `function` once, every output of its tuple packed into one buffer
    (each checked against the builder's shape and dtype, as ``library_call`` checks its one output)."""
    func, kw = _library_function(function), dict(kwargs)
    result = func(*arrays, **kw)
    offsets, total = packed_layout(shapes, dtypes)
    buffer = np.empty(total, np.uint8)
    for value, offset, shape, dt in zip(result, offsets, shapes, dtypes):
        value = np.asarray(value)
        if value.shape != shape or value.dtype != np.dtype(dt):
            raise AssertionError(f"lazyarr: np.{function} gave {value.dtype} {value.shape}, the expression was "
                                 f"built for {dt} {shape}: please report this")
        _part(buffer, offset, shape, dt)[...] = value
    return buffer


def _part(buffer: np.ndarray, offset: int, shape: tuple, dtype: str) -> np.ndarray:
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    return buffer[offset:offset + nbytes].view(np.dtype(dtype)).reshape(shape)


def library_output(buffer, *, offset: int, shape: tuple, dtype: str) -> np.ndarray:
    """The ``library_output`` stage: one output of a packed result, as an array of its own (a copy: the
    user may write to it; the copy is O(size), the decomposition more)."""
    return _part(buffer, offset, shape, dtype).copy()


def _dask_library_outputs(args, kwargs):
    import dask
    import dask.array as da
    total = packed_layout(kwargs["shapes"], kwargs["dtypes"])[1]
    delayed = dask.delayed(library_outputs, pure=True)(*args, **kwargs)
    return da.from_delayed(delayed, (total,), dtype=np.uint8, meta=np.empty((0,), np.uint8))


def _dask_library_output(args, kwargs):
    import dask
    import dask.array as da
    shape, dtype = kwargs["shape"], np.dtype(kwargs["dtype"])
    delayed = dask.delayed(library_output, pure=True)(args[0], **kwargs)
    return da.from_delayed(delayed, shape, dtype=dtype, meta=np.empty((0,) * len(shape), dtype))
# --- end surface/gathers ---------------------------------------------------------------------------------------


def _dask_sort(args, kwargs):
    """dask has no sort: the sorted axis is made one chunk and each block sorted by NumPy (the other axes keep
    their chunks, so blocks still sort in parallel); axis=None sorts the flattened array in one chunk."""
    x, kwargs = args[0], dict(kwargs)
    axis = kwargs.pop("axis")
    if axis is None:
        x, axis = x.reshape(-1).rechunk(-1), 0
    axis = axis % x.ndim
    return x.rechunk({axis: -1}).map_blocks(np.sort, axis=axis, **kwargs, dtype=x.dtype)


def _dask_library_call(args, kwargs):
    """One dask task that runs the call on the whole operands (these functions are not blockwise)."""
    import dask
    import dask.array as da
    shape, dtype = kwargs["shape"], np.dtype(kwargs["dtype"])
    delayed = dask.delayed(library_call, pure=True)(*args, **kwargs)
    return da.from_delayed(delayed, shape, dtype=dtype, meta=np.empty((0,) * len(shape), dtype))
# --- end surface/creation ---------------------------------------------------------------------------------------


STAGES: dict[str, Stage] = {
    s.name: s
    for s in [
        Stage("getitem", getitem, _dask_getitem,
              "indexing a value that is not elementwise: NumPy takes the view of the computed array",
              "basic indexing of a computed value"),
        Stage("advanced_index", advanced_getitem, _dask_advanced_index,
              "indexing with index arrays (a gather): NumPy evaluates it", "indexing with index arrays"),
        Stage("reshape", np.reshape, _dask_reshape,
              "np.reshape of a value computed whole (or of an input NumPy cannot reshape without a copy)",
              "np.reshape (and keepdims of a reduction)"),
        Stage("broadcast_to", np.broadcast_to, _dask_own("broadcast_to"),
              "np.broadcast_to of a value that is not elementwise: a view of the computed array", "np.broadcast_to"),
        Stage("transpose", np.transpose, _dask_own("transpose"), _not_fused("transpose"), "np.transpose"),
        Stage("matmul", np.matmul, _dask_own("matmul"), _not_fused("matmul"), "np.matmul (BLAS)"),
        Stage("dot", np.dot, _dask_own("dot"), _not_fused("dot"), "np.dot (BLAS)"),
        Stage("tensordot", np.tensordot, _dask_own("tensordot"), _not_fused("tensordot"), "np.tensordot"),
        Stage("concatenate", _concatenate, _dask_concatenate, _not_fused("concatenate"), "np.concatenate"),
        Stage("stack", _stack, _dask_stack, _not_fused("stack"), "np.stack"),
        Stage("sort", np.sort, _dask_sort, _not_fused("sort"), "np.sort"),
        # views and index maps (surface/views: lazyarr/api/views.py)
        Stage("diagonal", np.diagonal, _dask_own("diagonal"),
              "np.diagonal of a value that is not elementwise: a view of the computed array", "np.diagonal"),
        Stage("view", _view_as, _dask_view, _not_fused("view"), "ndarray.view(dtype)"),  # (s14) the bytes reread
        Stage("diag", np.diag, _dask_own("diag"), _not_fused("diag"), "np.diag (of a vector)"),  # (s14)
        Stage("roll", np.roll, _dask_own("roll"), _not_fused("roll"), "np.roll"),
        Stage("tile", np.tile, _dask_own("tile"), _not_fused("tile"), "np.tile"),
        Stage("repeat", np.repeat, _dask_repeat, _not_fused("repeat"), "np.repeat"),
        Stage("pad", np.pad, _dask_own("pad"), _not_fused("pad"), "np.pad"),
        # surface/creation: linalg, fft, einsum, kron, ... (api/linalg.py)
        Stage("library", library_call, _dask_library_call,
              "a NumPy library routine (linear algebra, FFT, contraction): NumPy evaluates it",
              "np.linalg.*, np.fft.*, einsum, kron, cross, inner, vdot, convolve, correlate"),
        # surface/gathers: an integer gather a fused kernel computes in its loop (compiler/schedule.py)
        Stage("gather", advanced_getitem, _dask_advanced_index,
              "indexing with one integer array per axis: a gather inside the kernel that reads it",
              "x[i0, i1, ...] with integer index arrays (fused where a kernel reads it)"),
        # surface/gathers: a multi-output routine once, its outputs unpacked (svd, qr, eigh, slogdet)
        Stage("library_outputs", library_outputs, _dask_library_outputs,
              "a NumPy routine with several outputs: called once, its outputs packed into one buffer",
              "np.linalg.svd, qr, eigh, slogdet (every output at once)"),
        Stage("library_output", library_output, _dask_library_output,
              "one output of a multi-output NumPy routine, unpacked from its call's buffer",
              "one output of np.linalg.svd, qr, eigh, slogdet"),
    ]
}

# --- surface/search: searching, counting, sorting and order statistics (lazyarr/api/searching.py) -----------
# searchsorted, interp and histogram counts have parallel kernels (kernels/counting.py). graph/ cannot import
# kernels/, so api/searching.py registers its drivers here; without a registration NumPy evaluates the stage.
ACCELERATED: dict[str, Callable] = {}


def register_accelerated(name: str, driver: Callable) -> None:
    """`driver(*operands, **kwargs)` runs the stage `name` instead of NumPy (it falls back to NumPy itself)."""
    ACCELERATED[name] = driver


def _accelerated(name: str, reference: Callable) -> Callable:
    def run(*args, **kwargs):
        return ACCELERATED.get(name, reference)(*args, **kwargs)
    run.__name__ = name
    run.reference = reference  # the NumPy reference, for the tests and for drivers that decline
    return run


def _searchsorted(a, v, *sorter, side):
    return np.searchsorted(a, v, side=side, sorter=sorter[0] if sorter else None)


def _interp(x, xp, fp, *, left, right, period):
    return np.interp(x, xp, fp, left=left, right=right, period=period)


def _histogram(a, edges, *weights, uniform, density):
    """np.histogram's counts; `uniform` is the (bins, range) NumPy was given for equal bins, else None."""
    bins, range_ = (edges, None) if uniform is None else uniform
    return np.histogram(a, bins=bins, range=range_, weights=weights[0] if weights else None, density=density)[0]


def _histogram_bin_edges(a, *, bins, range):
    """(#15 s14) np.histogram's edges for a count of bins: from the values' min and max when no range is given."""
    return np.histogram_bin_edges(a, bins=bins, range=range)


def _lexsort(*keys, axis):
    return np.lexsort(keys, axis=axis)


def _order_statistic(func: Callable) -> Callable:
    """median and the quantile family with NumPy 2's keywords; `operands` names the operands after `a` (an
    array q, weights). A Python-number q stays a keyword: NumPy promotes it weakly (float32 data, float32 result)."""
    def run(a, *arrays, operands=(), **kwargs):
        return func(a, **dict(zip(operands, arrays)), **kwargs)
    run.__name__ = func.__name__
    return run


def _dask_whole(func: Callable) -> Callable:
    """A stage dask has no equivalent for: one task applies the NumPy function to the whole operands. The
    result's shape and dtype come from the function on zero arrays of the operands' shapes (dask checks the
    shape against the node's afterwards)."""
    def lower(args, kwargs):
        import dask
        import dask.array as da
        meta = np.asarray(func(*[np.zeros(a.shape, a.dtype) for a in args], **kwargs))
        delayed = dask.delayed(lambda *values: np.asarray(func(*values, **kwargs)), pure=True)(*args)
        return da.from_delayed(delayed, meta.shape, dtype=meta.dtype)
    return lower


for _name, _func in {"searchsorted": _accelerated("searchsorted", _searchsorted),
                     "interp": _accelerated("interp", _interp),
                     "histogram": _accelerated("histogram", _histogram),
                     "histogram_bin_edges": _histogram_bin_edges,
                     "argsort": np.argsort, "partition": np.partition, "argpartition": np.argpartition,
                     "lexsort": _lexsort,
                     **{n: _order_statistic(getattr(np, n)) for n in
                        ("median", "percentile", "quantile", "nanmedian", "nanpercentile", "nanquantile")},
                     }.items():
    STAGES[_name] = Stage(_name, _func, _dask_whole(_func), _not_fused(_name), f"np.{_name}")
# --- end surface/search ---------------------------------------------------------------------------------------


# (assignment and writes: lazyarr/api/assign.py) functional updates of a target: NumPy writes into a copy of
# the target (the graph stays immutable), in NumPy's order, so duplicates and overlaps give NumPy's answer.
def _updated(write: Callable) -> Callable:
    def numpy(x, *args, **kwargs):
        out = np.array(x, copy=True, order="K")
        write(out, *args, **kwargs)
        return out
    numpy.__name__ = write.__name__
    numpy.write = write  # (s18) the runtime writes into x itself where x dies at the write (evaluate.run_write)
    return numpy


def write_stage(node) -> Callable | None:
    """(s18) The in-place write ``write(out, *args, **kwargs)`` of a write stage node (``x[key] = v``, np.put,
    ufunc.at, ...: NumPy's write into a copy of x), or None for any other node."""
    if node.op != "numpy":
        return None
    stage = STAGES.get(node.params.name)
    return getattr(stage.numpy, "write", None) if stage is not None else None


def _write_setitem(out, value, key):
    out[realise(key)] = value


def _write_advanced(out, value, *arrays, key):
    out[advanced_key(key, arrays)] = value


def _write_put(out, value, indices, mode):
    np.put(out, indices, value, mode=mode)


def _write_place(out, mask, values):
    np.place(out, mask, values)


def _write_putmask(out, mask, values):
    np.putmask(out, mask, values)


def _write_ufunc_at(out, *operands, key, ufunc, has_b):
    arrays = operands[:-1] if has_b else operands
    getattr(np, ufunc).at(out, advanced_key(key, arrays), *operands[-1:] if has_b else ())


def _dask_write_whole(numpy: Callable) -> Callable:
    """A stage over dask arrays as one task on the whole arrays (a write anywhere reads the whole target)."""
    def lower(args, kwargs):
        import dask
        import dask.array as da
        x = args[0]
        delayed = dask.delayed(numpy, pure=True)(*args, **kwargs)
        return da.from_delayed(delayed, x.shape, dtype=x.dtype, meta=np.empty((0,) * x.ndim, x.dtype))
    return lower


_WRITE_STAGES = [
    Stage(name, _updated(write), _dask_write_whole(_updated(write)),
          f"{what} into a copy of the target: NumPy writes it (a functional update)", what)
    for name, write, what in [("setitem", _write_setitem, "x[key] = v with a basic key"),
                              ("advanced_setitem", _write_advanced, "x[key] = v with index arrays or a mask"),
                              ("put", _write_put, "np.put"), ("place", _write_place, "np.place"),
                              ("putmask", _write_putmask, "np.putmask"), ("ufunc_at", _write_ufunc_at, "ufunc.at")]
]
STAGES.update((s.name, s) for s in _WRITE_STAGES)


# --- (assignment stages: lazyarr/api/assign_stages.py) np.fill_diagonal and np.put_along_axis on a copy ---
def _write_fill_diagonal(out, values, wrap):
    np.fill_diagonal(out, values, wrap=wrap)


def _write_put_along_axis(out, indices, values, axis):
    np.put_along_axis(out, indices, values, axis)


STAGES.update((name, Stage(name, _updated(write), _dask_write_whole(_updated(write)),
                           f"{what} into a copy of the target: NumPy writes it (a functional update)", what))
              for name, write, what in [("fill_diagonal", _write_fill_diagonal, "np.fill_diagonal"),
                                        ("put_along_axis", _write_put_along_axis, "np.put_along_axis")])
# --- end assignment stages ---


def outside(key: tuple, shape: tuple) -> list[tuple] | None:
    """(assignment and writes) NumPy keys of boxes that cover every element of `shape` outside the region a
    canonical basic key selects, or None when the region has a step (then copy the whole array). A region
    written by a kernel needs only the rest copied from the old value: two elements for ``u[1:-1] = ...``."""
    spans = []
    for e in key:
        if e is None:
            continue
        start, count, step = (e, 1, 1) if type(e) is int else e
        if step != 1 and count > 1:
            return None
        spans.append((start, start + count))
    boxes = []
    for axis, (start, stop) in enumerate(spans):
        inside = tuple(slice(a, b) for a, b in spans[:axis])
        rest = (Ellipsis,)
        if start > 0:
            boxes.append(inside + (slice(0, start),) + rest)
        if stop < shape[axis]:
            boxes.append(inside + (slice(stop, None),) + rest)
    return boxes

# --- surface/reductions: stages of api/statistics.py ---------------------------------------------------------

_CHECK_ERRORS = {"RuntimeWarning": None, "ValueError": ValueError, "ZeroDivisionError": ZeroDivisionError}


def check(values, bad, *, error: str, message: str):
    """`values` unchanged; where any of `bad` holds, NumPy's warning or error for it (all-NaN slices, empty
    means, weights summing to zero: facts only the values tell)."""
    if np.any(bad):
        if _CHECK_ERRORS[error] is None:
            import warnings
            warnings.warn(message, RuntimeWarning, stacklevel=2)
        else:
            raise _CHECK_ERRORS[error](message)
    return values


def _dask_check(args, kwargs):
    import dask.array as da
    values, bad = args
    return da.map_blocks(lambda v, b: check(v, b, **kwargs), values, bad, dtype=values.dtype)


def _norm(x, **kwargs):
    return np.linalg.norm(x, **kwargs)


def dask_scan(x, ufunc_name: str, axis: int, dtype):
    """A ``scan`` node over a dask array, with NumPy's bits: block after block along the axis, each block's
    accumulate starting from the previous block's last values (``_scan_on``), so every element is the same
    chain of operations NumPy's one accumulate makes. (dask's cumreduction adds a carried total to each block's
    own scan, another association: float sums differed in the last bits.) Blocks along the other axes still run
    in parallel; along the axis they wait for each other, as NumPy's loop does."""
    import dask.array as da
    from dask.highlevelgraph import HighLevelGraph
    name = f"lazyarr-{ufunc_name}-accumulate-{x.name}-{axis}-{np.dtype(dtype).str}"
    carry, tasks = name + "-carry", {}
    for index in np.ndindex(*x.numblocks):
        before = (carry, *index[:axis], index[axis] - 1, *index[axis + 1:]) if index[axis] else None
        tasks[(name, *index)] = (_scan_on, before, (x.name, *index), ufunc_name, axis, np.dtype(dtype).str)
        tasks[(carry, *index)] = (_carry_after, (name, *index), before, axis)
    graph = HighLevelGraph.from_collections(name, tasks, dependencies=[x])
    return da.Array(graph, name, x.chunks, dtype=dtype)


def _scan_on(carried, block, ufunc_name: str, axis: int, dtype: str):
    """One block of an accumulate along `axis`, continuing from `carried` (the last values before this block,
    length 1 along the axis, or None for the first). The loop runs in `dtype` (NumPy's accumulate casts its
    input to the loop's dtype), so the block is cast first and the carried values joined in front unchanged."""
    ufunc = getattr(np, ufunc_name)
    block = np.asarray(block).astype(dtype, copy=False)
    if carried is None:
        return ufunc.accumulate(block, axis=axis, dtype=dtype)
    joined = np.concatenate([carried, block], axis=axis)
    return np.delete(ufunc.accumulate(joined, axis=axis, dtype=dtype), 0, axis=axis)


def _carry_after(result, before, axis: int):
    """The last values of the accumulate so far: the block's own last, or what came before an empty block."""
    return np.take(result, [-1], axis=axis) if result.shape[axis] else before


STAGES.update({s.name: s for s in [
    Stage("check", check, _dask_check, "NumPy's warnings and errors that depend on values (all-NaN slices, empty "
          "means) are checked on the reduced result", "a value check (warns or raises as NumPy does)"),
    Stage("norm", _norm, _dask_whole(_norm), "np.linalg.norm with ord 2, -2 or 'nuc' needs singular values: NumPy computes it",
          "np.linalg.norm (matrix 2, -2, 'nuc')"),
]})
# --- end surface/reductions ------------------------------------------------------------------------------------


# --- (#15 logreg4) ``A.T @ g(A @ v)`` in one pass over A (api/gemv_pair.py, runtime/gemv_pair.py) -------------
# The stage's operands are (A, v, *operands of g); its keywords describe g (``spec``: elementwise entries over
# the row dots and the operands) and the result's shape and dtype. graph/ cannot build kernels nor rebuild g's
# nodes (that needs graph/reference), so api/gemv_pair.py registers the driver, which falls back to NumPy itself.
def _gemv_pair_unregistered(*operands, **kwargs):
    raise RuntimeError("lazyarr: the gemv_pair stage runs through api/gemv_pair.py's driver, which is not "
                       "registered: please report this")


def _dask_gemv_pair(args, kwargs):
    """One dask task over the whole operands: g needs every row's dot, and the result sums over every row."""
    import dask
    import dask.array as da
    shape, dtype = kwargs["shape"], np.dtype(kwargs["dtype"])
    delayed = dask.delayed(STAGES["gemv_pair"].numpy, pure=True)(*args, **kwargs)
    return da.from_delayed(delayed, shape, dtype=dtype, meta=np.empty((0,) * len(shape), dtype))


STAGES.update({s.name: s for s in [
    Stage("gemv_pair", _accelerated("gemv_pair", _gemv_pair_unregistered), _dask_gemv_pair,
          "A.T @ g(A @ v): the row dots, g and the weighted sum of A's rows in one pass over A",
          "X.T @ g(X @ w) with g elementwise (a logistic regression's gradient)"),
]})
# --- end (#15 logreg4) -----------------------------------------------------------------------------------------
