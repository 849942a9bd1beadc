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

from dataclasses import dataclass, field

import numpy as np



@dataclass(frozen=True)
class Elementwise:
    name: str
    ufunc: np.ufunc | None              # NumPy's reference; None for ops that are not ufuncs (where, cast)
    nin: int
    render: str | None = None           # kernel template over {0}, {1}...; None: "np.<ufunc>(...)"
    render_for_kinds: tuple = ()        # ((loop dtype kinds, template), ...): overrides by first input kind
    numpy_for_kinds: str = ""           # loop kinds Numba lowers differently from NumPy: NumPy evaluates these
    # A vectorisable variant for float loops (``lazyarr.vecmath``): a template over the operand as float64
    # giving (value, ok); where ok is False the kernel recomputes with `template` (codegen's blocked loop).
    vector: str | None = None
    # Computes without a library call for real (non-complex) loops: a loop of such ops, plus the vector
    # variants above, is one LLVM can vectorise. One libm call (log1p, arctan, ...) keeps the whole loop
    # scalar, and then the vector variants are slower than libm's own scalar code (codegen checks this).
    inline: bool = False
    doc: str = ""

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
        _transcendental("power", render_for_kinds=((_INT, "S.int_power({0}, {1})"),)),
        _transcendental("float_power"),
        _ufunc("negative"), _ufunc("positive"), _ufunc("fabs"),
        _ufunc("absolute", render_for_kinds=((_C, "S.cabs({0})"),)),
        _ufunc("sign", render="S.sign({0})", numpy_for_kinds=_C),
        _ufunc("square", render_for_kinds=((_C, "S.cmul({0}, {0})"),)),
        _ufunc("reciprocal", render_for_kinds=(("u", "S.uint_reciprocal({0})"), (_C, "S.crecip({0})"))),
        _ufunc("conjugate"),
        _transcendental("sqrt"), _ufunc("cbrt"),
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
        _ufunc("arctan2"), _ufunc("hypot"),
        _transcendental("sinh", vector="V.sinh({0})"), _transcendental("cosh", vector="V.cosh({0})"), _transcendental("tanh", vector="V.tanh({0})"),
        _transcendental("arcsinh"), _transcendental("arccosh"), _transcendental("arctanh"),
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
        _ufunc("maximum", render_for_kinds=(("f", "S.float_maximum({0}, {1})"),)),
        _ufunc("minimum", render_for_kinds=(("f", "S.float_minimum({0}, {1})"),)), _ufunc("fmax"), _ufunc("fmin"),  # on +-0 ties NumPy's own result varies with length and dtype
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
                    doc="np.where(condition, x, y) with three arguments"),
        Elementwise("clip", np._core.umath.clip, 3, render="S.clip({0}, {1}, {2})", inline=True,
                    doc="np.clip(a, a_min, a_max)"),
        Elementwise("real", None, 1, render="{0}.real", inline=True, doc="real part"),
        Elementwise("imag", None, 1, render="{0}.imag", inline=True, doc="imaginary part"),
        Elementwise("copy", None, 1, render="{0}", inline=True, doc="np.copy: a fresh array with the same values"),
        Elementwise("cast", None, 1, render="{0}", inline=True, doc="astype: the cast is inserted by codegen"),
    ]
}

# NumPy ufuncs that are aliases of a table entry (np.abs is np.absolute, np.true_divide is np.divide, ...).
BY_UFUNC: dict[np.ufunc, Elementwise] = {op.ufunc: op for op in ELEMENTWISE.values() if op.ufunc is not None}

# Ufuncs NumPy has that lazyarr refuses, with the reason given to the user.
REFUSED_UFUNCS: dict[str, str] = {
    "frexp": "it has two outputs",
    "modf": "it has two outputs",
    "divmod": "it has two outputs; use // and % (both are fused)",
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

@dataclass(frozen=True)
class Reduction:
    """A reduction kernels compute directly. mean, var and std are built from these (see reductions.py).

    `update` folds a value `{v}` into the accumulator `{acc}`, per dtype kind of the accumulator; combining two
    partial accumulators is the same template with the second partial as `{v}`. `identity` starts the
    accumulator (None: NumPy refuses empty input). Arg-reductions track (value, index) pairs instead."""
    name: str
    numpy: object                   # the NumPy function: the dtype oracle and the interpreter's implementation
    ufunc: np.ufunc | None          # ufunc whose .reduce is this reduction (np.add.reduce is sum)
    identity: str | None
    update: tuple = ()              # ((accumulator kinds, template), ...)
    numpy_for_kinds: str = ""       # input kinds NumPy evaluates (complex ordering with NaN is NumPy's own)

    def template(self, acc_dtype: np.dtype) -> str:
        for kinds, template in self.update:
            if acc_dtype.kind in kinds:
                return template
        raise TypeError(f"lazyarr: {self.name} has no kernel for {acc_dtype}")


_ALL = "biufc"
REDUCTIONS: dict[str, Reduction] = {
    r.name: r
    for r in [
        # Integer accumulators wrap as NumPy's do (see scalar.wrapping_add: Python's + may not, in Numba).
        Reduction("sum", np.sum, np.add, "0", (("iu", "S.wrapping_add({acc}, {v})"), (_ALL, "{acc} + {v}"))),
        Reduction("prod", np.prod, np.multiply, "1", (("iu", "S.wrapping_mul({acc}, {v})"), (_ALL, "{acc} * {v}"))),
        Reduction("max", np.max, np.maximum, None,
                  (("f", "S.float_maximum({acc}, {v})"), ("biu", "max({acc}, {v})")), numpy_for_kinds="c"),
        Reduction("min", np.min, np.minimum, None,
                  (("f", "S.float_minimum({acc}, {v})"), ("biu", "min({acc}, {v})")), numpy_for_kinds="c"),
        Reduction("any", np.any, np.logical_or, "False", ((_ALL, "({acc} or ({v} != 0))"),)),
        Reduction("all", np.all, np.logical_and, "True", ((_ALL, "({acc} and ({v} != 0))"),)),
        Reduction("argmax", np.argmax, None, None, numpy_for_kinds="c"),
        Reduction("argmin", np.argmin, None, None, numpy_for_kinds="c"),
    ]
}
REDUCTION_BY_UFUNC = {r.ufunc: r for r in REDUCTIONS.values() if r.ufunc is not None}
