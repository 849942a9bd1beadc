"""lazyarr's vector math on the quick tier (#14): ``kernels/vecmath.py`` and ``kernels/vecmath32.py`` translated
from their Python source to LLVM IR, so a map with ``sin``/``exp``/``log``... compiles without Numba and gives
the Numba kernel's bits.

There is one source of truth: the vecmath functions themselves. This module reads each one's source
(``inspect.getsource`` of the undecorated function), parses it with ``ast`` and emits, instruction for
instruction, what Numba's lowering of the same code emits (docs/quick_tier.md, "Vector math"):

- float arithmetic as IEEE instructions without fast-math flags, ``-x`` as ``-0.0 - x``, comparisons ordered
  (``!=`` unordered), ``abs`` as ``llvm.fabs``, ``fma`` as ``llvm.fma``, ``np.rint``/``np.sqrt`` as
  ``llvm.rint``/``llvm.sqrt`` (both exact by IEEE), ``min``/``max`` as Python's (``v > acc`` selects v);
- integers as Numba types them (every integer operation in int64, ``>>`` arithmetic), the bit casts of
  ``_as_float64``/``_as_int64``/``_as_float32``/``_as_int32`` as ``bitcast``;
- ``a if c else b`` as a ``select`` (the functions are straight-line: both sides are safe to compute);
- module-level constants (floats, ints, ``np.float32``/``np.int32``, tuples of them) as constants, calls of
  other vecmath functions expanded in place (LLVM would inline them anyway: Numba's are ``forceinline``).

Types follow Numba's rules for the constructs used: an operation on two float32 is float32, float32 with a
float64 or any integer is float64, integers of any width give int64. Anything the translator does not know
raises ``Untranslatable``, and the kernel compiles through Numba as before (``llvm_map.Unsupported``).

The exact functions (the second pass of a block whose ok flags were not all True) are the calls Numba's ufunc
lowering makes: ``llvm.sin``/``llvm.cos``/``llvm.exp``/``llvm.exp2``/``llvm.log``/``llvm.log2``/``llvm.log10``/
``llvm.pow`` intrinsics, which LLVM lowers to the C library's ``sin``... calls, and the C library's ``tan``,
``asin``, ``expm1``, ``atan2``, ``hypot``... (``tanf``... for float32) by name, resolved in this process by the
same dynamic linker that resolves Numba's: the same libm, the same bits.
"""
from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import operator
import textwrap
from dataclasses import dataclass

import numpy as np
from llvmlite import ir

from lazyarr.kernels import llvm_glue

__all__ = ["Untranslatable", "exact_call", "vector_call"]

_F64, _F32 = ir.DoubleType(), ir.FloatType()
_I64, _I32, _I1 = ir.IntType(64), ir.IntType(32), ir.IntType(1)
_TYPES = {"f64": _F64, "f32": _F32, "i64": _I64, "i32": _I32, "b": _I1}


class Untranslatable(Exception):
    """The vecmath source has something this translator does not emit exactly as Numba does."""


@dataclass(frozen=True)
class Val:
    """An LLVM value and its Numba type: "f64", "f32", "i64", "i32" or "b" (boolean)."""
    value: object
    kind: str


# --- the exact functions: what Numba's ufunc lowering calls (numba/np/npyfuncs.py, numba/cpython/mathimpl.py) --
_INTRINSIC = {"sin": "llvm.sin", "cos": "llvm.cos", "exp": "llvm.exp", "exp2": "llvm.exp2", "log": "llvm.log",
              "log2": "llvm.log2", "log10": "llvm.log10", "power": "llvm.pow"}
_LIBM = {"tan": "tan", "expm1": "expm1", "log1p": "log1p", "arcsin": "asin", "arccos": "acos", "arctan": "atan",
         "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "arcsinh": "asinh", "arccosh": "acosh",
         "arctanh": "atanh", "arctan2": "atan2", "hypot": "hypot"}
_BINARY = {"power", "arctan2", "hypot"}


def has_exact(op: str, nin: int) -> bool:
    """Whether ``exact_call`` computes the ufunc `op` of `nin` operands."""
    return (op in _INTRINSIC or op in _LIBM or op == "cbrt") and nin == (2 if op in _BINARY else 1)


def exact_call(b: ir.IRBuilder, op: str, args: list):
    """The ufunc `op` of the float values `args` as Numba's kernel computes it (the C library, through LLVM)."""
    t = args[0].type
    if op in _INTRINSIC:
        return b.call(b.module.declare_intrinsic(_INTRINSIC[op], [t]), args)
    if op == "cbrt":
        return _cbrt_exact(b, args[0])
    if op not in _LIBM:
        raise Untranslatable(op)
    name = _LIBM[op] + ("f" if t == _F32 else "")
    function = b.module.globals.get(name)
    if function is None:  # declared as Numba declares it (cgutils.insert_pure_function): readonly, nounwind
        function = ir.Function(b.module, ir.FunctionType(t, [t] * len(args)), name)
        function.attributes.add("readonly")
        function.attributes.add("nounwind")
    return b.call(function, args)


def _cbrt_exact(b: ir.IRBuilder, x):
    """np.cbrt as Numba lowers it (numba/np/npyfuncs.np_real_cbrt_impl, #14 tancbrt): NaN for a NaN, else
    -pow(-x, 1/3) below zero and pow(x, 1/3) otherwise, in float64 (a float32 x extended, the result rounded), with
    fast-math flags under which LLVM turns the pow into the C library's ``cbrt`` (Numba's machine code calls
    ``cbrt``): emitted here as that call."""
    function = b.module.globals.get("cbrt")
    if function is None:
        function = ir.Function(b.module, ir.FunctionType(_F64, [_F64]), "cbrt")
        function.attributes.add("readonly")
        function.attributes.add("nounwind")
    negative = b.fcmp_ordered("<", x, ir.Constant(x.type, 0.0))
    argument = b.select(negative, b.fsub(ir.Constant(x.type, -0.0), x), x)
    if x.type == _F32:
        argument = b.fpext(argument, _F64)
    root = b.call(function, [argument])
    root = b.select(negative, b.fsub(ir.Constant(_F64, -0.0), root), root)
    if x.type == _F32:
        root = b.fptrunc(root, _F32)
    return b.select(b.fcmp_unordered("uno", x, x), ir.Constant(x.type, float("nan")), root)


# --- the vector functions ----------------------------------------------------------------------------------

def vector_call(b: ir.IRBuilder, module: str, name: str, args: list) -> tuple:
    """(value, ok) of ``V.<name>`` (module "V": vecmath, float64 operands) or ``V32.<name>`` (vecmath32) for
    the LLVM values `args`, emitted at `b`'s position."""
    function = _module(module).__dict__.get(name)
    if function is None:
        raise Untranslatable(f"{module}.{name}")
    kind = "f64" if module == "V" else "f32"
    translator = _Translator(b)
    result = translator.call(function, [Val(a, kind) for a in args])
    if not (isinstance(result, tuple) and len(result) == 2):
        raise Untranslatable(f"{module}.{name} does not return (value, ok)")
    value, ok = (translator.as_value(r) for r in result)
    if value.kind != kind or ok.kind != "b":
        raise Untranslatable(f"{module}.{name} returns ({value.kind}, {ok.kind})")
    return value.value, ok.value


def _module(name: str):
    # imported when the first transcendental quick kernel is made: vecmath imports Numba's extension API (~70 ms),
    # never Numba's compiler
    from lazyarr.kernels import vecmath, vecmath32
    return vecmath if name == "V" else vecmath32


@functools.lru_cache(maxsize=None)
def _definition(function) -> ast.FunctionDef:
    """The parsed source of a vecmath function (its decorators are ignored: the body is the source of truth)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    if not isinstance(definition, ast.FunctionDef) or definition.args.vararg or definition.args.kwarg \
            or definition.args.defaults or definition.args.kwonlyargs:
        raise Untranslatable(getattr(function, "__name__", "?"))
    return definition


def _intrinsics():
    """The Numba intrinsics the vecmath functions call, by identity: name -> (source kind, target kind)."""
    from lazyarr.kernels import numpy_scalar, vecmath, vecmath32
    table = {id(vecmath.__dict__["_as_float64"]): ("i64", "f64"), id(vecmath.__dict__["_as_int64"]): ("f64", "i64"),
             id(vecmath32.__dict__["_as_float32"]): ("i32", "f32"),
             id(vecmath32.__dict__["_as_int32"]): ("f32", "i32")}
    return table, id(numpy_scalar.fma), id(vecmath.lookup16)


_FLOAT_RANK = {"f32": 1, "f64": 2}


class _Translator:
    """Emits one call of a vecmath function (and, expanded in place, the functions it calls) at a builder."""

    def __init__(self, b: ir.IRBuilder):
        self.b = b
        self.bitcasts, self.fma_id, self.lookup_id = _intrinsics()

    # --- constants and types ---
    def as_value(self, x) -> Val:
        """A Val for `x`: Vals as they are, Python and NumPy scalars as Numba types them."""
        if isinstance(x, Val):
            return x
        if isinstance(x, (bool, np.bool_)):
            return Val(ir.Constant(_I1, int(bool(x))), "b")
        if isinstance(x, np.float32):
            return Val(ir.Constant(_F32, float(x)), "f32")
        if isinstance(x, (float, np.float64)):
            return Val(ir.Constant(_F64, float(x)), "f64")
        if isinstance(x, np.int32):
            return Val(ir.Constant(_I32, int(x)), "i32")
        if isinstance(x, (int, np.int64)) and -2 ** 63 <= int(x) < 2 ** 63:
            return Val(ir.Constant(_I64, int(x)), "i64")
        raise Untranslatable(f"constant {x!r}")

    def convert(self, v: Val, kind: str) -> Val:
        """Numba's conversion of `v` to `kind` (int <-> float as C converts, ints by sign extension)."""
        b = self.b
        if v.kind == kind:
            return v
        target = _TYPES[kind]
        if v.kind == "b":
            value = b.zext(v.value, target) if kind[0] == "i" else b.uitofp(v.value, target)
        elif v.kind[0] == "i" and kind[0] == "i":
            value = b.sext(v.value, target) if target.width > v.value.type.width else b.trunc(v.value, target)
        elif v.kind[0] == "i":
            value = b.sitofp(v.value, target)
        elif kind[0] == "i":
            value = b.fptosi(v.value, target)
        elif kind == "b":
            raise Untranslatable("float -> bool")
        else:
            value = b.fpext(v.value, target) if kind == "f64" else b.fptrunc(v.value, target)
        return Val(value, kind)

    @staticmethod
    def unify(x: Val, y: Val) -> str:
        """Numba's common type of a binary operation's operands (for arithmetic and comparisons)."""
        kinds = {x.kind, y.kind}
        if kinds == {"b"}:
            return "b"
        if "b" in kinds:
            raise Untranslatable("bool mixed with a number")
        if kinds <= {"i64", "i32"}:
            return "i64"  # Numba computes integer arithmetic at least at machine width
        if kinds == {"f32"}:
            return "f32"
        return "f64"  # float32 with float64 or with any integer: float64, as NumPy promotes

    def truth(self, v: Val):
        b = self.b
        if v.kind == "b":
            return v.value
        if v.kind[0] == "i":
            return b.icmp_signed("!=", v.value, ir.Constant(v.value.type, 0))
        return b.fcmp_unordered("!=", v.value, ir.Constant(v.value.type, 0.0))

    # --- functions ---
    def call(self, function, args: list):
        """Expand `function` (a vecmath function, decorated or not) with `args` in place; its return value."""
        python = getattr(function, "py_func", function)
        definition = _definition(python)
        params = [a.arg for a in definition.args.args]
        if len(params) != len(args):
            raise Untranslatable(f"{python.__name__}: {len(args)} arguments")
        scope = _Scope(python.__globals__, dict(zip(params, args)))
        for statement in definition.body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                continue  # the docstring
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                self.assign(scope, statement.targets[0], self.expr(scope, statement.value))
            elif isinstance(statement, ast.Return) and statement is definition.body[-1] and statement.value:
                return self.expr(scope, statement.value)
            else:
                raise Untranslatable(f"{python.__name__}: {ast.unparse(statement)}")
        raise Untranslatable(f"{python.__name__}: no return at the end")

    def assign(self, scope, target, value) -> None:
        if isinstance(target, ast.Name):
            scope.local[target.id] = value
        elif isinstance(target, ast.Tuple) and isinstance(value, tuple) and len(target.elts) == len(value):
            for element, part in zip(target.elts, value):
                self.assign(scope, element, part)
        else:
            raise Untranslatable(ast.unparse(target))

    # --- expressions ---
    def expr(self, scope, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise Untranslatable(ast.unparse(node))
        return method(scope, node)

    def _Constant(self, scope, node):
        if isinstance(node.value, (bool, int, float)):
            return node.value
        raise Untranslatable(repr(node.value))

    def _Name(self, scope, node):
        return scope.lookup(node.id)

    def _Attribute(self, scope, node):
        base = self.expr(scope, node.value)
        if not inspect.ismodule(base):
            raise Untranslatable(ast.unparse(node))
        return getattr(base, node.attr)

    def _Tuple(self, scope, node):
        return tuple(self.expr(scope, e) for e in node.elts)

    def _Subscript(self, scope, node):
        base = self.expr(scope, node.value)
        index = self.expr(scope, node.slice)
        if isinstance(base, tuple) and type(index) is int:
            return base[index]
        raise Untranslatable(ast.unparse(node))

    def table_load(self, table: np.ndarray, index: Val, text: str) -> Val:
        """``table[index]`` (``vecmath.lookup16``'s value, which Numba computes by a tree of selects) as a load
        from a constant global of the module, named by the table's contents (so the IR text, and the disk cache's
        hash, follow a change of the table), with Numba's wrap of a negative index (``i + n`` where ``i < 0``);
        or, for a table of at most 16 float64/int64 on AVX-512, a call that the vectoriser replaces by an
        in-register lookup (``_lookup_function``). Every path picks the same entry: the same bits (docs/vecmath.md,
        "#14 tables")."""
        kind = _TABLE_KINDS.get(table.dtype.str.lstrip("<=")) if table.ndim == 1 else None
        if kind is None or index.kind not in ("i64", "i32") or not table.flags.c_contiguous or len(table) == 0:
            raise Untranslatable(text)
        b = self.b
        name = "lazyarr_table_" + hashlib.sha1(table.dtype.str.encode() + table.tobytes()).hexdigest()[:20]
        variable = _table_global(b.module, name, table, kind)
        i = self.convert(index, "i64").value
        i = b.select(b.icmp_signed("<", i, ir.Constant(_I64, 0)), b.add(i, ir.Constant(_I64, len(table))), i)
        if len(table) <= _PERMUTE_ENTRIES and kind in ("f64", "i64") and llvm_glue.has_avx512():
            return Val(b.call(_lookup_function(b.module, name, variable, table, kind), [i]), kind)
        return Val(b.load(b.gep(variable, [ir.Constant(_I64, 0), i], inbounds=True)), kind)

    def _UnaryOp(self, scope, node):
        operand = self.expr(scope, node.operand)
        if not isinstance(node.op, ast.USub):
            raise Untranslatable(ast.unparse(node))
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return -operand  # as CPython folds it
        v = self.as_value(operand)
        if v.kind[0] == "f":  # numba mathimpl.negate_real
            return Val(self.b.fsub(ir.Constant(v.value.type, -0.0), v.value), v.kind)
        if v.kind[0] == "i":
            return Val(self.b.neg(self.convert(v, "i64").value), "i64")
        raise Untranslatable(ast.unparse(node))

    _FLOAT_OPS = {ast.Add: "fadd", ast.Sub: "fsub", ast.Mult: "fmul", ast.Div: "fdiv"}
    _INT_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.BitAnd: "and_", ast.BitOr: "or_",
                ast.LShift: "shl", ast.RShift: "ashr"}
    _BOOL_OPS = {ast.BitAnd: "and_", ast.BitOr: "or_"}

    def _BinOp(self, scope, node):
        x, y = self.expr(scope, node.left), self.expr(scope, node.right)
        if _plain_number(x) and _plain_number(y):
            return _fold(node, x, y)  # CPython folds constant expressions before Numba sees them
        x, y = self.as_value(x), self.as_value(y)
        kind = self.unify(x, y)
        op = type(node.op)
        if kind == "b":
            name = self._BOOL_OPS.get(op)
        elif kind[0] == "i":
            name = self._INT_OPS.get(op)
        else:
            name = self._FLOAT_OPS.get(op)
        if name is None:
            raise Untranslatable(f"{ast.unparse(node)} on {kind}")
        x, y = self.convert(x, kind), self.convert(y, kind)
        return Val(getattr(self.b, name)(x.value, y.value), kind)

    _SYMBOLS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}

    def _Compare(self, scope, node):
        if len(node.ops) != 1:
            raise Untranslatable(ast.unparse(node))
        return self.compare(self.expr(scope, node.left), self.expr(scope, node.comparators[0]),
                            self._SYMBOLS[type(node.ops[0])])

    def compare(self, x, y, symbol: str) -> Val:
        x, y = self.as_value(x), self.as_value(y)
        kind = self.unify(x, y)
        x, y = self.convert(x, kind), self.convert(y, kind)
        if kind[0] == "f":  # numba's real comparisons: ordered, but != unordered (true for NaN)
            compare = self.b.fcmp_unordered if symbol == "!=" else self.b.fcmp_ordered
        elif kind == "b":
            compare = self.b.icmp_unsigned
        else:
            compare = self.b.icmp_signed
        return Val(compare(symbol, x.value, y.value), "b")

    def _IfExp(self, scope, node):
        condition = self.truth(self.as_value(self.expr(scope, node.test)))
        x, y = self.expr(scope, node.body), self.expr(scope, node.orelse)
        if isinstance(x, tuple) or isinstance(y, tuple):
            raise Untranslatable(ast.unparse(node))
        x, y = self.as_value(x), self.as_value(y)
        kind = self.unify(x, y)
        x, y = self.convert(x, kind), self.convert(y, kind)
        return Val(self.b.select(condition, x.value, y.value), kind)

    def _Call(self, scope, node):
        if node.keywords:
            raise Untranslatable(ast.unparse(node))
        function = self.expr(scope, node.func)
        args = [self.expr(scope, a) for a in node.args]
        if id(function) == self.lookup_id:  # vecmath.lookup16(TABLE, i): the table is a tuple of numbers
            return self.lookup(args, ast.unparse(node))
        if any(isinstance(a, tuple) for a in args):
            raise Untranslatable(ast.unparse(node))
        return self.apply(function, args, ast.unparse(node))

    def lookup(self, args: list, text: str) -> Val:
        """``vecmath.lookup16(table, i)``: Numba's tree of selects picks table[i]; here a load from the table (a
        permute on AVX-512): the same entry."""
        table, index = args
        if not (isinstance(table, tuple) and len(table) == 16 and len({type(v) for v in table}) == 1
                and type(table[0]) in (int, float)):
            raise Untranslatable(text)
        dtype = np.float64 if type(table[0]) is float else np.int64
        return self.table_load(np.array(table, dtype=dtype), self.as_value(index), text)

    def apply(self, function, args: list, text: str):
        b = self.b
        if id(function) in self.bitcasts:
            source, target = self.bitcasts[id(function)]
            (v,) = [self.as_value(a) for a in args]
            if v.kind != source:
                raise Untranslatable(text)
            return Val(b.bitcast(v.value, _TYPES[target]), target)
        if id(function) == self.fma_id:
            values = [self.as_value(a) for a in args]
            kinds = {v.kind for v in values}
            if len(kinds) != 1 or kinds.pop() not in _FLOAT_RANK:  # numpy_scalar.fma takes three of one float
                raise Untranslatable(text)
            t = values[0].value.type
            return Val(b.call(b.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t] * 3)),
                              [v.value for v in values]), values[0].kind)
        conversion = _CONVERSIONS.get(function)
        if conversion is not None and len(args) == 1:
            return self.convert(self.as_value(args[0]), conversion)
        if function is abs and len(args) == 1:
            v = self.as_value(args[0])
            if v.kind[0] != "f":
                raise Untranslatable(text)
            return Val(b.call(b.module.declare_intrinsic("llvm.fabs", [v.value.type]), [v.value]), v.kind)
        if function in (min, max) and len(args) == 2:
            return self.min_max(function is max, *args)
        if function in (np.rint, np.sqrt) and len(args) == 1:
            v = self.as_value(args[0])
            if v.kind[0] != "f":
                raise Untranslatable(text)
            name = "llvm.rint" if function is np.rint else "llvm.sqrt"
            return Val(b.call(b.module.declare_intrinsic(name, [v.value.type]), [v.value]), v.kind)
        if getattr(getattr(function, "py_func", None), "__module__", "") in _VECMATH:
            return self.call(function, [self.as_value(a) for a in args])
        raise Untranslatable(text)

    def min_max(self, larger: bool, acc, v) -> Val:
        """Python's max/min as Numba lowers them (builtins.do_minmax): v replaces acc where v > acc (v < acc)."""
        acc, v = self.as_value(acc), self.as_value(v)
        kind = self.unify(acc, v)
        acc, v = self.convert(acc, kind), self.convert(v, kind)
        better = self.compare(v, acc, ">" if larger else "<")
        return Val(self.b.select(better.value, v.value, acc.value), kind)



# --- table lookups (#14 tables) -------------------------------------------------------------------------------
# ``vecmath.lookup16(table, i)`` is Numba's tree of selects; here it is a load from the table. LLVM vectorises a load
# at a per-lane index as a gather, ~1 element per cycle on this machine's Zen 5 (~0.3 ns per element per table:
# docs/vecmath.md), more than the work a table saves. A table of up to 16 float64
# fits in two zmm registers, and AVX-512's vpermi2pd/vpermi2q looks 8 lanes up in it in one instruction. The
# vectoriser does not emit it, but it does replace a call by a vector variant named in the callee's
# "vector-function-abi-variant" attribute (LLVM's VFABI): the lookup is a call of a scalar function (a load, for the
# scalar remainder loop and the exact pass) whose variants for 2, 4, 8 and 16 lanes are the permutes.
# ``llvm_glue.object_code`` keeps the variants alive until the vectoriser has used them and inlines them after.
_PERMUTE_ENTRIES = 16
_LANES = (2, 4, 8, 16)
_PERMUTES = {"f64": ("llvm.x86.avx512.vpermi2var.pd.512", _F64), "i64": ("llvm.x86.avx512.vpermi2var.q.512", _I64)}


def _table_global(module: ir.Module, name: str, table: np.ndarray, kind: str) -> ir.GlobalVariable:
    variable = module.globals.get(name)
    if variable is None:
        element = _TYPES[kind]
        array_type = ir.ArrayType(element, len(table))
        values = [float(v) if kind[0] == "f" else int(v) for v in table.tolist()]
        variable = ir.GlobalVariable(module, array_type, name)
        variable.global_constant = True
        variable.linkage = "internal"
        variable.initializer = ir.Constant(array_type, [ir.Constant(element, v) for v in values])
    return variable


def _lookup_function(module: ir.Module, name: str, variable, table: np.ndarray, kind: str) -> ir.Function:
    """The scalar lookup function of `table` (a load from `variable`) with its permute variants, made once per
    module."""
    scalar_name = name.replace("lazyarr_table_", llvm_glue.LOOKUP_PREFIX)
    scalar = module.globals.get(scalar_name)
    if scalar is not None:
        return scalar
    element = _TYPES[kind]
    scalar = ir.Function(module, ir.FunctionType(element, [_I64]), scalar_name)
    scalar.linkage = "internal"
    for attribute in ("noinline", "nounwind", "readnone"):
        scalar.attributes.add(attribute)
    mappings = ",".join(f"_ZGV_LLVM_N{n}v_{scalar_name}({scalar_name}_v{n})" for n in _LANES)
    # llvmlite knows no string attributes: added to the set as printed (`"name"="value"`)
    set.add(scalar.attributes, f'"vector-function-abi-variant"="{mappings}"')
    b = ir.IRBuilder(scalar.append_basic_block())
    b.ret(b.load(b.gep(variable, [ir.Constant(_I64, 0), scalar.args[0]], inbounds=True)))
    padded = [float(v) if kind[0] == "f" else int(v) for v in table.tolist()] + [0] * (16 - len(table))
    low = ir.Constant(ir.VectorType(element, 8), [ir.Constant(element, v) for v in padded[:8]])
    high = ir.Constant(ir.VectorType(element, 8), [ir.Constant(element, v) for v in padded[8:]])
    intrinsic_name, _ = _PERMUTES[kind]
    wide, index8 = ir.VectorType(element, 8), ir.VectorType(_I64, 8)
    permute = module.globals.get(intrinsic_name) or ir.Function(
        module, ir.FunctionType(wide, [wide, index8, wide]), intrinsic_name)
    for n in _LANES:
        _permute_variant(module, f"{scalar_name}_v{n}", n, element, permute, low, high)
    return scalar


def _permute_variant(module, name: str, lanes: int, element, permute, low, high) -> None:
    """``<lanes x element> name(<lanes x i64>)``: each lane's entry of the 16-entry table (low, high)."""
    vector_type = ir.VectorType(element, lanes)
    function = ir.Function(module, ir.FunctionType(vector_type, [ir.VectorType(_I64, lanes)]), name)
    function.linkage = "internal"
    for attribute in ("alwaysinline", "nounwind", "readnone"):
        function.attributes.add(attribute)
    b = ir.IRBuilder(function.append_basic_block())
    index = function.args[0]

    def lanes_of(vector, mask):
        return b.shuffle_vector(vector, vector, ir.Constant(ir.VectorType(_I32, len(mask)), mask))

    if lanes == 16:
        parts = [b.call(permute, [low, lanes_of(index, list(range(h, h + 8))), high]) for h in (0, 8)]
        b.ret(b.shuffle_vector(parts[0], parts[1], ir.Constant(ir.VectorType(_I32, 16), list(range(16)))))
    elif lanes == 8:
        b.ret(b.call(permute, [low, index, high]))
    else:  # 2 or 4 lanes: widened to 8 (the extra lanes repeat lane 0), the first `lanes` kept
        result = b.call(permute, [low, lanes_of(index, list(range(lanes)) + [0] * (8 - lanes)), high])
        b.ret(lanes_of(result, list(range(lanes))))


_VECMATH = ("lazyarr.kernels.vecmath", "lazyarr.kernels.vecmath32")
_TABLE_KINDS = {"f8": "f64", "f4": "f32", "i8": "i64", "i4": "i32"}
_CONVERSIONS = {np.float64: "f64", np.float32: "f32", np.int64: "i64", np.int32: "i32"}


def _plain_number(x) -> bool:
    return type(x) in (int, float)


_PYTHON_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
               ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.LShift: operator.lshift,
               ast.RShift: operator.rshift}


def _fold(node: ast.BinOp, x, y):
    operation = _PYTHON_OPS.get(type(node.op))
    if operation is None:
        raise Untranslatable(ast.unparse(node))
    try:
        return operation(x, y)
    except ArithmeticError as error:
        raise Untranslatable(ast.unparse(node)) from error


class _Scope:
    """A function's local names over its module's globals."""

    def __init__(self, module_globals: dict, local: dict):
        self.globals = module_globals
        self.local = local

    def lookup(self, name: str):
        if name in self.local:
            return self.local[name]
        if name in self.globals:
            return self.globals[name]
        builtin = {"abs": abs, "min": min, "max": max, "True": True, "False": False}.get(name)
        if builtin is None:
            raise Untranslatable(name)
        return builtin
