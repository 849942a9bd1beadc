"""(#14 small calls) A C entry point for quick-tier kernels: called as a Python builtin, without ctypes.

A quick kernel (``compiler/llvm_map.py``) is a plain C function ``void kernel(in*, ..., c, ..., out*, ..., lo,
hi)``. Calling it through ``ctypes`` converts every argument per call (an array's address, each constant, two
integers): ~2 us on a 1,000-element call whose kernel runs in ~0.3 us, where Numba's typed entry point costs
~0.5 us in all. So a serial call goes through an *entry* instead: a small function written here in LLVM IR
with CPython's ``METH_FASTCALL`` signature, made a builtin function (``PyCFunction_NewEx``), which reads each
array's data pointer straight from the ndarray object, converts the constants with the C API, takes the size
from the first output and calls the kernel. One entry serves every kernel of the same signature (arrays in,
constant dtypes, arrays out): the kernel's address is in the builtin's ``self``, a small uint64 array that
also counts the calls (``calls``: which path answered, for tests).

What the entry checks: the argument count and that every array argument is an ndarray (else TypeError: never a
wild pointer). Shapes, dtypes, contiguity and overlap are the caller's checks, as for the ctypes call and for
Numba's kernels. A call of at least ``RELEASE_GIL`` elements releases the GIL around the kernel, as ctypes did
(a serial call at a large size happens when this thread's kernels run on one thread).

It relies on NumPy's stable ABI (an ndarray's data pointer, ndim and shape pointer at fixed offsets, the same
in NumPy 1 and 2): ``available`` verifies those offsets on a live array once, and without them (or without
CPython's C API in this process) every call takes the ctypes path.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import sys
import threading
import warnings

import numpy as np
from llvmlite import ir

from lazyarr.compiler import diskcache, llvm_tier
from lazyarr.compiler.fingerprint import VERSION
from lazyarr.kernels import llvm_glue

__all__ = ["available", "calls", "entry_for", "is_entry", "made", "made_for"]

RELEASE_GIL = 1 << 14  # elements; below this the kernel runs in a few microseconds, under the GIL
METH_FASTCALL = 0x0080

# Offsets in a PyArrayObject (NumPy's ``PyArrayObject_fields``): after PyObject_HEAD (refcount, type) come
# ``char *data``, ``int nd``, ``npy_intp *dimensions``.
_TYPE_AT, _DATA_AT, _NDIM_AT, _SHAPE_AT = 8, 16, 24, 32

_I8, _I32, _I64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
_PTR = _I8.as_pointer()
_CONST_TYPES = {"b": _I8, "i1": _I8, "i2": ir.IntType(16), "i4": _I32, "i8": _I64, "f4": ir.FloatType(),
                "f8": ir.DoubleType()}

# C API functions and objects the entries use, by the names they have in the IR
_C_FUNCTIONS = {"PyFloat_AsDouble": (ir.DoubleType(), [_PTR]),
                "PyLong_AsUnsignedLongLongMask": (_I64, [_PTR]),
                "PyObject_IsTrue": (_I32, [_PTR]),
                "PyErr_Occurred": (_PTR, []),
                "PyErr_SetString": (ir.VoidType(), [_PTR, _PTR]),
                "PyType_IsSubtype": (_I32, [_PTR, _PTR]),
                "PyEval_SaveThread": (_PTR, []),
                "PyEval_RestoreThread": (ir.VoidType(), [_PTR]),
                "Py_IncRef": (ir.VoidType(), [_PTR])}
_OBJECTS = {"lazyarr_ndarray_type": np.ndarray, "lazyarr_type_error": TypeError, "lazyarr_none": None}


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p), ("ml_flags", ctypes.c_int),
                ("ml_doc", ctypes.c_char_p)]


_lock = threading.Lock()
_methods: dict[tuple, _MethodDef | None] = {}  # signature -> its entry's method definition (each builtin points at
# a copy of its own: ``_Owned``), None if it could not be made
_entries: dict[str, object] = {}  # kernel name -> its builtin
_available: list = []  # [bool] once checked


def available() -> bool:
    """Whether entries can be made here: CPython's C API in the process and NumPy's array layout as expected."""
    if not _available:
        with _lock:
            if not _available:
                _available.append(_check_layout())
    return _available[0]


def _check_layout() -> bool:
    if sys.implementation.name != "cpython" or not hasattr(ctypes, "pythonapi"):
        return False
    try:
        a = np.empty((3, 5))
        base = id(a)
        shape = ctypes.c_void_p.from_address(base + _SHAPE_AT).value
        if (ctypes.c_void_p.from_address(base + _TYPE_AT).value != id(np.ndarray)
                or ctypes.c_void_p.from_address(base + _DATA_AT).value != a.ctypes.data
                or ctypes.c_int.from_address(base + _NDIM_AT).value != 2
                or not shape or (ctypes.c_int64 * 2).from_address(shape)[:] != [3, 5]):
            return False
        llvm_glue.add_symbols({**{name: ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value
                                  for name in _C_FUNCTIONS},
                               **{name: id(value) for name, value in _OBJECTS.items()}})
        return True
    except (AttributeError, ValueError, OSError):
        return False


def entry_for(kernel):
    """The builtin that calls the quick kernel `kernel` serially with a Numba map kernel's arguments (its arrays,
    constants and outputs, flat), or None when entries cannot be made here (the ctypes call then)."""
    found = _entries.get(kernel.name)
    if found is not None or not available():
        return found
    signature = (kernel.n_inputs, tuple(_const_code(dt) for dt in kernel.const_dtypes), kernel.n_outputs)
    with _lock:
        if signature not in _methods:
            try:
                _methods[signature] = _compile(*signature)
            except Exception as exc:  # LLVM or the disk failed: the ctypes call serves, this call succeeds
                _methods[signature] = None
                warnings.warn(f"lazyarr: the quick kernels' C entry for {signature} could not be made ({exc!r});"
                              " their serial calls go through ctypes", RuntimeWarning, stacklevel=2)
        method = _methods[signature]
        if method is None:
            return None
        owner = _Owned(method, (ctypes.c_uint64 * 2)(kernel.address, 0))  # the kernel's address, calls counted
        state = np.frombuffer(owner, dtype=np.uint64, count=2, offset=_Owned.state.offset)  # its base: `owner`
        found = _entries[kernel.name] = _new_builtin(ctypes.byref(owner.method), state, None)
    return found


class _Owned(ctypes.Structure):
    """(s17 exitsegv) One builtin's method definition and state in one buffer, kept alive by the builtin itself.

    CPython reads a builtin's ``PyMethodDef`` when it frees the builtin (``meth_dealloc``: its flags, before it
    lets go of ``self``), so the definition must outlive every builtin made from it. Shared per signature from
    ``_methods``, it did not at exit: the interpreter's last collection freed that dict before ``_entries``,
    and the builtins' deallocation then read freed memory, a segfault (rc 139) whenever the memory had been
    reused (docs/runtime.md, "Exit (session 17, exitsegv)"). Here each builtin's ``self`` (the state array,
    whose base is this buffer) holds its own copy of the definition, as CPython's own comment in
    ``meth_dealloc`` expects ("PyMethodDef m_ml, which could be kept alive by m_self")."""
    _fields_ = [("method", _MethodDef), ("state", ctypes.c_uint64 * 2)]


def made_for(kernel):
    """`kernel`'s entry if it was made already, else None (never compiles)."""
    return _entries.get(kernel.name)


def is_entry(function) -> bool:
    """Whether `function` is an entry made here (tests: which path a launch takes)."""
    return any(function is e for e in _entries.values())


def calls() -> int:
    """How many calls the entries have answered in this process (tests: which path answered)."""
    return sum(int(e.__self__[1]) for e in list(_entries.values()))


def made() -> int:
    """How many entries (one per signature) this process linked, compiled or from the disk cache."""
    return _made[0]


_new_builtin = ctypes.pythonapi.PyCFunction_NewEx
_new_builtin.restype = ctypes.py_object
_new_builtin.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p]


def _const_code(dt: np.dtype) -> str:
    return "b" if dt.kind == "b" else f"{dt.kind if dt.kind == 'f' else 'i'}{dt.itemsize}"


def _compile(n_in: int, consts: tuple, n_out: int) -> _MethodDef:
    """The entry of one signature: linked from the kernel directory, or compiled (no optimisation: the entry
    has no loop but the size's) and stored there as the tier's kernels are (``llvm_tier``). The file's name
    hashes the signature and this module's code rather than the IR: building the IR with ``llvmlite.ir``
    costs ~10-30 ms here, linking the stored object ~1 ms."""
    signature = (n_in, consts, n_out)
    code_digest = _code_digest()
    key = f"{signature}\0{code_digest}" if code_digest else entry_ir(PLACEHOLDER, *signature)
    name = PREFIX + hashlib.sha256(f"{key}\0{VERSION}\0{llvm_glue.target_id()}".encode()).hexdigest()[:24]
    path = os.path.join(diskcache.kernel_dir(), name + ".o")
    code = llvm_tier.read_object(path)
    if code is None:
        code, _ = llvm_glue.object_code(entry_ir(name, *signature), optimise=False)
        llvm_tier.write_object(path, code)
    llvm_glue.load_object(code)
    _made[0] += 1
    return _MethodDef(name.encode(), llvm_glue.function_address(name), METH_FASTCALL, None)


def _code_digest() -> str | None:
    """A hash of this module's source (what the entries' IR is made by), or None if it cannot be read."""
    if not _digest:
        try:
            with open(__file__, "rb") as f:
                _digest.append(hashlib.sha256(f.read()).hexdigest())
        except (OSError, NameError):
            _digest.append(None)
    return _digest[0]


_digest: list = []
PREFIX = diskcache.ENTRY_PREFIX  # entries' files beside the kernels' (``lazyarr_q...``): clear_cache removes both
PLACEHOLDER = "entry"
_made = [0]  # entries linked (compiled or from disk) in this process


# --- the entry's IR ---------------------------------------------------------------------------------------

def entry_ir(name: str, n_in: int, consts: tuple, n_out: int) -> str:
    """``PyObject *name(PyObject *self, PyObject *const *args, Py_ssize_t nargs)`` for a kernel with `n_in`
    arrays, constants of the codes `consts` (``_CONST_TYPES``) and `n_out` outputs."""
    module = ir.Module(name="lazyarr_entry")
    api = {n: ir.Function(module, ir.FunctionType(r, a), n) for n, (r, a) in _C_FUNCTIONS.items()}
    objects = {}
    for n in _OBJECTS:
        objects[n] = ir.GlobalVariable(module, _I8, n)
        objects[n].linkage = "external"
    function = ir.Function(module, ir.FunctionType(_PTR, [_PTR, _PTR.as_pointer(), _I64]), name)
    self, args, nargs = function.args
    b = ir.IRBuilder(function.append_basic_block("entry"))
    n_args = n_in + len(consts) + n_out
    array_positions = [*range(n_in), *range(n_in + len(consts), n_args)]

    def fail(message: bytes):
        text = ir.GlobalVariable(module, ir.ArrayType(_I8, len(message) + 1), f"message{len(module.globals)}")
        text.initializer = ir.Constant(text.type.pointee, bytearray(message + b"\0"))
        text.global_constant, text.linkage = True, "private"
        b.call(api["PyErr_SetString"], [objects["lazyarr_type_error"], b.bitcast(text, _PTR)])
        b.ret(ir.Constant(_PTR, None))

    def unless(condition, message: bytes):
        bad, good = function.append_basic_block("bad"), function.append_basic_block("good")
        b.cbranch(condition, good, bad)
        b.position_at_end(bad)
        fail(message)
        b.position_at_end(good)

    def field(obj, offset: int, kind):
        return b.load(b.bitcast(b.gep(obj, [ir.Constant(_I64, offset)]), kind.as_pointer()))

    unless(b.icmp_signed("==", nargs, ir.Constant(_I64, n_args)),
           f"lazyarr quick kernel entry: expected {n_args} arguments".encode())
    argument = [b.load(b.gep(args, [ir.Constant(_I64, j)])) for j in range(n_args)]
    for j in array_positions:  # an ndarray (or subclass) before any field of one is read
        kind = field(argument[j], _TYPE_AT, _PTR)
        exact = b.icmp_unsigned("==", kind, objects["lazyarr_ndarray_type"])
        with b.if_then(b.not_(exact)):
            subtype = b.call(api["PyType_IsSubtype"], [kind, objects["lazyarr_ndarray_type"]])
            unless(b.icmp_signed("!=", subtype, ir.Constant(_I32, 0)),
                   f"lazyarr quick kernel entry: argument {j} is not a NumPy array".encode())
    values = [_constant(b, api, argument[n_in + j], code) for j, code in enumerate(consts)]
    pointers = [field(argument[j], _DATA_AT, _PTR) for j in array_positions]  # read after any Python code ran
    size = _size(b, function, field(argument[n_in + len(consts)], _NDIM_AT, _I32),
                 field(argument[n_in + len(consts)], _SHAPE_AT, _I64.as_pointer()))
    state = b.bitcast(field(self, _DATA_AT, _PTR), _I64.as_pointer())
    counter = b.gep(state, [ir.Constant(_I64, 1)])
    b.store(b.add(b.load(counter), ir.Constant(_I64, 1)), counter)  # under the GIL: a plain increment
    kernel_type = ir.FunctionType(ir.VoidType(), [_PTR] * n_in + [_CONST_TYPES[c] for c in consts]
                                  + [_PTR] * n_out + [_I64, _I64])
    kernel = b.inttoptr(b.load(state), kernel_type.as_pointer())
    kernel_args = pointers[:n_in] + values + pointers[n_in:] + [ir.Constant(_I64, 0), size]
    with b.if_else(b.icmp_signed(">=", size, ir.Constant(_I64, RELEASE_GIL))) as (large, small):
        with large:
            saved = b.call(api["PyEval_SaveThread"], [])
            b.call(kernel, kernel_args)
            b.call(api["PyEval_RestoreThread"], [saved])
        with small:
            b.call(kernel, kernel_args)
    b.call(api["Py_IncRef"], [objects["lazyarr_none"]])
    b.ret(objects["lazyarr_none"])
    return str(module)


def _constant(b: ir.IRBuilder, api: dict, obj, code: str):
    """A constant argument converted as the ctypes call converted it (float(c), int(c) masked, bool(c)); an
    object that does not convert leaves its Python error (the entry returns NULL)."""
    function = b.function
    if code == "b":
        truth = b.call(api["PyObject_IsTrue"], [obj])
        failed = b.icmp_signed("<", truth, ir.Constant(_I32, 0))
        value = b.trunc(truth, _I8)
    elif code.startswith("f"):
        value = b.call(api["PyFloat_AsDouble"], [obj])
        failed = b.and_(b.fcmp_ordered("==", value, ir.Constant(value.type, -1.0)),
                        b.icmp_unsigned("!=", b.call(api["PyErr_Occurred"], []), ir.Constant(_PTR, None)))
        if code == "f4":
            value = b.fptrunc(value, ir.FloatType())
    else:
        value = b.call(api["PyLong_AsUnsignedLongLongMask"], [obj])
        failed = b.and_(b.icmp_signed("==", value, ir.Constant(_I64, -1)),
                        b.icmp_unsigned("!=", b.call(api["PyErr_Occurred"], []), ir.Constant(_PTR, None)))
        if code != "i8":
            value = b.trunc(value, _CONST_TYPES[code])
    bad, good = function.append_basic_block("bad_constant"), function.append_basic_block("constant")
    b.cbranch(failed, bad, good)
    b.position_at_end(bad)
    b.ret(ir.Constant(_PTR, None))
    b.position_at_end(good)
    return value


def _size(b: ir.IRBuilder, function, ndim, shape):
    """The product of an array's `ndim` extents at `shape`."""
    start = b.block
    loop, done = function.append_basic_block("size"), function.append_basic_block("sized")
    b.cbranch(b.icmp_signed(">", ndim, ir.Constant(_I32, 0)), loop, done)
    b.position_at_end(loop)
    d = b.phi(_I32)
    product = b.phi(_I64)
    d.add_incoming(ir.Constant(_I32, 0), start)
    product.add_incoming(ir.Constant(_I64, 1), start)
    following = b.mul(product, b.load(b.gep(shape, [d])))
    d_next = b.add(d, ir.Constant(_I32, 1))
    d.add_incoming(d_next, loop)
    product.add_incoming(following, loop)
    b.cbranch(b.icmp_signed("<", d_next, ndim), loop, done)
    b.position_at_end(done)
    size = b.phi(_I64)
    size.add_incoming(ir.Constant(_I64, 1), start)
    size.add_incoming(following, loop)
    return size


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()  # a thread making an entry at the fork does not exist in the child


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
