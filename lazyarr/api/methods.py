"""ndarray methods and Python protocols of LazyArray that ``array.py`` binds (its class stays a short list).

Methods with a NumPy function of the same name delegate to it (``x.cumsum(axis)`` is ``np.cumsum(x, axis)``),
so they take lazyarr's rule where it has one (fused or a stage) and the NumPy fallback otherwise, with the
same keywords and errors as NumPy. Methods that need a value (``item``, ``tolist``, ``format``) compute it;
methods that write in place (``sort``, ``partition``, ``put``, ``resize``, ``setfield``) rebind the LazyArray to the
new value (api/assign.py), and ``setflags(write=False)`` makes it refuse writes as NumPy's read-only arrays do.

Functions here take the LazyArray as ``self`` and never import ``array.py`` (which imports this module).
"""
from __future__ import annotations

import operator
import sys

import numpy as np

from lazyarr.api import assign
from lazyarr.api import build
from lazyarr.api import byte_order
from lazyarr.api import dispatch  # (array API #16)
from lazyarr.api import errstate  # (s16 lazyerr)
from lazyarr.api import notices  # (s20)
from lazyarr.api import tracing
from lazyarr.graph import expr
from lazyarr.runtime import explain


def _delegate(func, name: str):
    """``x.name(*args, **kwargs)`` as ``func(x, *args, **kwargs)``: NumPy's methods and functions share their
    keywords for these (checked by tests/test_surface_methods.py)."""
    def method(self, *args, **kwargs):
        return func(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"``numpy.{func.__name__}(x, ...)``: fused or staged where lazyarr has a rule, else NumPy's."
    return method


DELEGATED = {name: _delegate(getattr(np, name), name)
             for name in ("round", "cumsum", "cumprod", "nonzero", "argsort", "searchsorted", "repeat", "take",
                          "diagonal", "trace", "swapaxes")}
# surface/search: ndarray methods with a NumPy function of the same name and arguments
DELEGATED.update({name: _delegate(getattr(np, name), name) for name in ("argpartition",)})


def compress(self, condition, axis=None, out=None):
    """``x.compress(condition)`` is ``np.compress(condition, x)``: computed at the call (data-dependent shape)."""
    return np.compress(condition, self, axis=axis, out=out)


DELEGATED["compress"] = compress
# --- end surface/search


def view(self, dtype=None, type=None):
    """(s14) ``x.view(dtype)``: the same bytes read as another dtype, NumPy's shape rule (a dtype of another size
    rescales the last axis), as a NumPy stage; a view of x, so writes into either reach the other
    (``assign.register_view``: back through the view to x's dtype). ``x.view()`` is a view of the same dtype.
    ``type=`` (an ndarray subclass) asks for a NumPy object: the computed value's view."""
    import builtins
    if type is None and isinstance(dtype, builtins.type) and issubclass(dtype, np.ndarray):
        dtype, type = None, dtype
    if type is not None:
        value = _value(self, "view(type=...)")
        return value.view(type) if dtype is None else value.view(dtype, type)
    if dtype is None:
        return self[...]
    new = np.dtype(dtype)
    from lazyarr.graph.dtypes import check_supported
    check_supported(new, f"view({new})")
    if byte_order.is_non_native(new) or byte_order.is_non_native(self.dtype):
        # (s16 sweepd) the bytes NumPy reads are in a non-native order (x's, or the view's): the view of the
        # computed value, computed at the call (a new leaf, converted to native order once, as any input)
        value = _value(self, f"view({new})").view(new)
        result = builtins.type(self)(build.array_leaf(value), array0=value.ndim == 0)
        # (s21) still a view: a write into x is seen through it (the view is computed again), and a write into
        # it raises, naming the line, where it was lost silently (``x.view(x.dtype.newbyteorder())
        # .byteswap(inplace=True)``, NumPy's byteswap docstring example)
        make = builtins.type(self)
        assign.register_view(self, result, lambda node: build.array_leaf(np.asarray(make(node)).view(new)))
        return result
    shape = self.shape
    if new.itemsize != self.dtype.itemsize:
        try:  # NumPy's rule and errors, on the last axis alone (a contiguous probe of that length)
            last = np.zeros(shape[-1:], self.dtype).view(new).shape
        except (ValueError, TypeError) as exc:
            raise type_of(exc)(f"lazyarr: view({new}) of an array of shape {shape}: {exc}") from None
        shape = shape[:-1] + last
    make = builtins.type(self)
    forward = lambda node: build.numpy_stage("view", (node,), (("dtype", new),), shape, new)  # noqa: E731
    old_dtype = self.dtype
    back = lambda _, node: build.numpy_stage("view", (node,), (("dtype", old_dtype),), self.shape,  # noqa: E731
                                             old_dtype)
    result = make(forward(self._node))
    assign.register_view(self, result, forward, back)
    return result


def type_of(exc: Exception):
    return exc.__class__


def _value(self, what: str) -> np.ndarray:
    """The computed value as an array (0-d for a 0-d result), for methods that need values."""
    tracing.refuse_concrete(self, what)
    return np.asarray(self)


def byteswap(self, inplace: bool = False):
    """(s15 sweep) ``x.byteswap()``: each element's bytes reversed, the same dtype; computed at the call (a new
    leaf of the swapped copy), as NumPy's value-dependent functions are. ``inplace=True`` rebinds x to it (a
    write, as ``x[...] = swapped``) and returns x."""
    swapped = _value(self, "byteswap()").byteswap()
    node = build.array_leaf(swapped)  # a fresh array nobody else holds: no snapshot needed
    if inplace:
        assign.rebind(self, node, "byteswap(inplace=True)")
        return self
    return type(self)(node, array0=self.ndim == 0)


def item(self, *args):
    if len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    # One element by its n-d index: index lazily and compute that element only (NumPy's errors come from
    # indexing; a flat index, or no index, goes through the whole value).
    if len(args) == self.ndim > 1 and all(isinstance(i, (int, np.integer)) for i in args):
        return _value(self[args], "item()").item()
    return _value(self, "item()").item(*args)


def tolist(self):
    return _value(self, "tolist()").tolist()


# --- (s14) more of ndarray's surface: values asked for, the layout of the computed value, flat ------------------
def tobytes(self, order="C"):
    """The computed value's bytes, as ``ndarray.tobytes``."""
    return _value(self, "tobytes()").tobytes(order)


def round_(self, ndigits=None):
    """Python's ``round(x)``: NumPy's scalars define it (an element ``a[i]``, a reduction), arrays do not."""
    if self.ndim or self._array0:
        raise TypeError("type numpy.ndarray doesn't define __round__ method")
    value = _value(self, "round()")[()]
    return round(value) if ndigits is None else round(value, ndigits)


def strides(self) -> tuple:
    """The strides of the computed value (lazyarr picks the layout of what it computes); an input's (or a view
    of one) are its own, as NumPy's, without computing anything (s15: inside a fused function a transposed
    argument's ``a.strides`` gave a computed C copy's: its placeholder has the argument's strides)."""
    if self._node.op == expr.LEAF:
        return self._node.data.strides
    return _value(self, "strides").strides


def flags(self):
    """``x.flags``: the layout flags of the computed value (lazyarr picks the layout of what it computes), and
    what NumPy says of the array itself: ``WRITEABLE`` unless ``x.setflags(write=False)`` (or a read-only view),
    ``OWNDATA`` unless x is a view of another LazyArray, ``ALIGNED`` unless ``setflags(align=False)``."""
    value = _value(self, "flags").flags
    link = getattr(self, "_link", None)
    return Flags(value.c_contiguous, value.f_contiguous, link is None or link.base is None,
                 not assign.is_read_only(self), not (link is not None and link.unaligned), self)


class Flags:
    """(s21) NumPy's ``flagsobj`` for a LazyArray: attributes, ``flags['C_CONTIGUOUS']`` and one-letter keys,
    NumPy's text. Setting ``writeable`` (or ``'W'``) is ``x.setflags(write=...)``. Before, a LazyArray's flags
    were those of the value it computed: not writable and not owning its data, whatever NumPy would say."""

    __slots__ = ("c_contiguous", "f_contiguous", "owndata", "writeable", "aligned", "writebackifcopy", "_array")
    _KEYS = {"C": "c_contiguous", "CONTIGUOUS": "c_contiguous", "C_CONTIGUOUS": "c_contiguous",
             "F": "f_contiguous", "FORTRAN": "f_contiguous", "F_CONTIGUOUS": "f_contiguous",
             "O": "owndata", "OWNDATA": "owndata", "W": "writeable", "WRITEABLE": "writeable",
             "A": "aligned", "ALIGNED": "aligned", "X": "writebackifcopy", "WRITEBACKIFCOPY": "writebackifcopy",
             "FNC": "fnc", "FORC": "forc", "B": "behaved", "BEHAVED": "behaved", "CA": "carray", "CARRAY": "carray",
             "FA": "farray", "FARRAY": "farray"}

    def __init__(self, c_contiguous, f_contiguous, owndata, writeable, aligned, array):
        for name, value in zip(self.__slots__, (c_contiguous, f_contiguous, owndata, writeable, aligned, False,
                                                array)):
            object.__setattr__(self, name, value)

    fnc = property(lambda self: self.f_contiguous and not self.c_contiguous)
    forc = property(lambda self: self.f_contiguous or self.c_contiguous)
    behaved = property(lambda self: self.aligned and self.writeable)
    carray = property(lambda self: self.behaved and self.c_contiguous)
    farray = property(lambda self: self.behaved and self.fnc)

    def __getitem__(self, key):
        try:
            return getattr(self, self._KEYS[key.upper() if isinstance(key, str) else key])
        except (KeyError, AttributeError):
            raise KeyError("Unknown flag") from None

    def __setattr__(self, name, value):
        if name in ("writeable", "aligned", "writebackifcopy"):
            self._array.setflags(**{{"writeable": "write", "aligned": "align"}.get(name, "uic"): value})
            object.__setattr__(self, name, bool(value))  # (writebackifcopy: setflags refuses True)
            return
        raise AttributeError(f"attribute '{name}' of 'numpy.flagsobj' objects is not writable")

    def __setitem__(self, key, value):
        setattr(self, self._KEYS.get(key.upper() if isinstance(key, str) else key, str(key)), value)

    def __eq__(self, other):
        names = ("c_contiguous", "f_contiguous", "owndata", "writeable", "aligned", "writebackifcopy")
        return all(getattr(self, n) == getattr(other, n, None) for n in names)

    def __repr__(self) -> str:
        rows = [("C_CONTIGUOUS", self.c_contiguous), ("F_CONTIGUOUS", self.f_contiguous), ("OWNDATA", self.owndata),
                ("WRITEABLE", self.writeable), ("ALIGNED", self.aligned), ("WRITEBACKIFCOPY", False)]
        return "".join(f"  {name} : {value}\n" for name, value in rows)


class FlatIterator:
    """``x.flat``: elements in C order. Reads index ``x.ravel()`` (lazy; an integer gives the element); writes go
    through that view into x, as writes through NumPy's flatiter do."""

    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    def __getitem__(self, key):
        return self._array.ravel()[key]

    def __setitem__(self, key, value):
        flat = self._array.ravel()
        link = getattr(flat, "_link", None)
        flat[key] = value  # a view of x where NumPy's ravel is one: the write reaches x
        if link is None or link.base is not self._array:
            # (s21) x.ravel() of a transposed or strided x is a copy, and the write into it was lost
            # (``x.T.flat[1] = 7`` left x unchanged): the copy is written back whole
            self._array[...] = flat.reshape(self._array.shape)

    def __iter__(self):
        return iter(_value(self._array, "iteration over x.flat").ravel())

    def __len__(self) -> int:
        return self._array.size

    @property
    def base(self):
        return self._array


def flat(self) -> FlatIterator:
    return FlatIterator(self)


def set_flat(self, value) -> None:
    """(s21) ``x.flat = value``: NumPy's, the values repeated in C order over x when fewer (``x.flat = 3``,
    ``x.flat = [1, 2]``) or cut, cast as an assignment casts; no values leave x as it is."""
    values = np.ravel(value)
    if values.size == 0:  # (NumPy leaves x as it is)
        return
    if values.size != self.size:
        values = np.resize(values, self.size)
    self[...] = values.reshape(self.shape)


def nbytes(self) -> int:
    return self.size * self.dtype.itemsize


def itemsize(self) -> int:
    return self.dtype.itemsize


def shown(self, depth: int = 2):
    """(s15) What ``str(x)``, ``repr(x)``, ``print(x)`` and ``f"{x}"`` show when user code inside a fused function
    (its trace, or an eager run) asks: NumPy's text of the computed value, as the undecorated function prints or
    returns it (a graph break). None elsewhere: lazy mode (and lazyarr's own messages) show the LazyArray and
    compute nothing. `depth`: the frame of the code that asked."""
    if not (tracing.tracing_threads and tracing.active() and tracing.shows_values()):
        return None
    if sys._getframe(depth).f_globals.get("__name__", "").startswith("lazyarr."):
        return None
    value = _value(self, "str()")
    return value[()] if value.ndim == 0 and not self._array0 else value


def printed(self, depth: int = 2):
    """(s21) What ``str(x)``, ``print(x)`` and ``f"{x}"`` show: NumPy's text of the computed value, as a NumPy
    program printing its arrays expects (``print(bins[i], "<=", x[i])``), in lazy mode too. None (the LazyArray's
    description, nothing computed) where lazyarr's own code asks (its messages name operands) and inside a
    trace where ``shown`` does not show values."""
    value = shown(self, depth + 1)
    if value is not None:
        return value
    if tracing.tracing_threads and tracing.active():
        return None
    if sys._getframe(depth).f_globals.get("__name__", "").startswith("lazyarr."):
        return None
    value = np.asarray(self)
    return value[()] if value.ndim == 0 and not self._array0 else value


def format_(self, spec: str) -> str:
    """``f"{x:.3f}"``: the computed value's format (NumPy's: a 0-d value formats as its scalar, other arrays
    take no format spec). An empty spec is ``str(x)`` (``printed``)."""
    if not spec:
        value = printed(self)
        return str(self) if value is None else format(value)
    return format(self.compute() if self.ndim == 0 else _value(self, "format()"), spec)


def index(self) -> int:
    # (programs #15) NumPy refuses arrays of more than 0 axes and non-integer dtypes whatever their values: its
    # TypeError from a one-element probe, nothing computed (NumPy's setitem asks every key for __index__ before
    # converting it: ``escape[escaped] = i`` computed ``escaped`` twice)
    if self.ndim or self.dtype.kind not in "iu":
        operator.index(np.zeros((1,) * self.ndim, self.dtype))
    # (through an array: a NumPy float scalar has no __index__, the array gives NumPy's TypeError)
    return operator.index(_value(self, "index()"))


def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
    """NumPy's astype: `order`, `casting` and the cast itself are checked by NumPy on an empty array of this
    dtype (its errors, nothing computed); `copy=False` returns the array itself when no cast is needed."""
    np.empty(0, self.dtype).astype(dtype, order=order, casting=casting, subok=subok, copy=copy)
    if casting == "same_value":  # the cast must keep every value: only the values can tell, so compute now
        value = _value(self, "astype(casting='same_value')").astype(dtype, casting=casting)
        node = build.array_leaf(value)
        explain.note(node, "computed by astype(casting='same_value') (it checks values)")
        return type(self)(node, array0=value.ndim == 0)
    if not copy and np.dtype(dtype) == self.dtype:
        return self
    if errstate.state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self,)):
        # (s16 lazyerr) NumPy's cast under a visible error state ("invalid value encountered in cast")
        cast = operator.methodcaller("astype", dtype, order=order, casting=casting, subok=subok, copy=copy)
        return errstate.run(cast, (self,), {}, "astype()")
    target = np.dtype(dtype)
    if byte_order.is_non_native(target):  # (s16 sweepd) computed natively, given in the order asked for
        return byte_order.marked(type(self)(build.cast(self._node, target.newbyteorder("="))), target)
    return type(self)(build.cast(self._node, dtype))


def sort(self, axis=-1, kind=None, order=None, *, stable=None):
    """``x.sort()``: x is rebound to ``np.sort(x)`` (assignment and writes: api/assign.py)."""
    assign.sort(self, axis, kind, order, stable)


# --- (s20) the rest of ndarray's methods and attributes: a method NumPy accepts never fails on a LazyArray ------

def _same_node(node):
    return node


def _new_node(_, new):
    return new


def part_view(self, part: str):
    """``x.real`` / ``x.imag`` as NumPy's views: linked to x (assign.register_view), so that a write into the part
    is written into x. A real array's real part is x itself viewed whole; its imaginary part is read-only zeros."""
    make = type(self)
    if self.dtype.kind != "c":
        if part == "real":  # x itself, viewed whole (x[...] without parsing the key: x.real is common in loops)
            view = make(self._node, array0=self._array0)
            assign.register_view(self, view, _same_node, _new_node)
            return view
        zeros = make(build.full(self.shape, 0, self.dtype), array0=self._array0)
        assign.set_read_only(zeros, True)
        return zeros
    view = make(build.unary(part, self._node), array0=self._array0)

    def forward(node):
        return build.unary(part, node)

    def backward(base_node, new):
        other = build.unary("imag" if part == "real" else "real", base_node)
        return build.make_complex(new, other) if part == "real" else build.make_complex(other, new)

    assign.register_view(self, view, forward, backward)
    return view


def set_shape(self, value) -> None:
    """``x.shape = s``: x reshaped in place (C order, NumPy's -1 and errors). An array that views another, or that
    others view, is refused (its views are laid over the old shape): ``x = x.reshape(s)`` is the same value."""
    shape = (operator.index(value),) if not isinstance(value, (tuple, list)) else tuple(value)
    link = getattr(self, "_link", None)
    if link is not None and (link.base is not None or any(ref() is not None for ref in link.views)):
        raise AttributeError("lazyarr: setting the shape of a LazyArray that is a view, or that has views, is not "
                             "supported: use x = x.reshape(shape)")
    reshaped = self.reshape(shape)
    self._node = reshaped._node
    self._array0 = not reshaped.shape

def partition(self, kth, axis=-1, kind="introselect", order=None):
    """``x.partition(kth)``: x is rebound to ``np.partition(x, kth)`` (NumPy partitions in place)."""
    result = np.partition(self, kth, axis=axis, kind=kind, order=order)
    assign.rebind(self, build.to_node(result, "partition()"), "partition()")


def put(self, indices, values, mode="raise"):
    """``x.put(indices, values)``: ``np.put(x, ...)``, a write that rebinds x."""
    np.put(self, indices, values, mode=mode)


def choose(self, choices, out=None, mode="raise"):
    """``x.choose(choices)``: ``np.choose(x, choices)``."""
    return np.choose(self, choices, out=out, mode=mode)


def clip(self, min=None, max=None, out=None, **kwargs):
    """``x.clip(lo, hi)``: ``np.clip(x, lo, hi)`` with NumPy's keywords (``out=``, a LazyArray too)."""
    return np.clip(self, min, max, out=out, **kwargs)


def resize(self, *new_shape, refcheck=True):
    """``x.resize(shape)`` in place: x takes the new shape, its elements in memory order (C, or F for an input
    held in Fortran order) cut or followed by zeros (not repeated, unlike ``np.resize``). As NumPy, an array another one views, or that views one, is refused."""
    if len(new_shape) == 1 and (new_shape[0] is None or isinstance(new_shape[0], (tuple, list))):
        new_shape = () if new_shape[0] is None else tuple(new_shape[0])
    shape = tuple(operator.index(n) for n in new_shape)
    if any(n < 0 for n in shape):
        raise ValueError("negative dimensions not allowed")
    link = getattr(self, "_link", None)
    if link is not None and link.base is not None:
        raise ValueError("cannot resize this array: it does not own its data")
    if refcheck and link is not None and any(ref() is not None for ref in link.views):
        raise ValueError("cannot resize an array that references or is referenced\nby another array in this way.\n"
                         "Use the np.resize function or refcheck=False")
    size = 1
    for n in shape:
        size *= n
    # (s21) NumPy takes the elements in memory order: an input held in Fortran order gives its columns
    order = assign.numpy_order(self)  # (also after writes: NumPy's array keeps its memory)
    flat = self.ravel(order)[:size]
    if flat.size < size:
        flat = np.concatenate([flat, np.zeros(size - flat.size, self.dtype)])
    self._node = build.to_node(flat.reshape(shape, order=order), "resize()")
    self._array0 = not shape


def tofile(self, fid, sep="", format="%s"):
    """``x.tofile(file)``: the computed value written as ``ndarray.tofile`` writes it."""
    _value(self, "tofile()").tofile(fid, sep=sep, format=format)


def dump(self, file):
    """``x.dump(file)``: a pickle of the computed value (``np.load(file, allow_pickle=True)`` reads an ndarray)."""
    np.array(_value(self, "dump()")).dump(file)


def dumps(self):
    """``x.dumps()``: the pickle of the computed value, as bytes."""
    return np.array(_value(self, "dumps()")).dumps()


def data(self):
    """``x.data``: a read-only memoryview of the computed value (a write through it could not reach x: it raises
    instead of being lost)."""
    return memoryview(_value(self, "x.data")).toreadonly()


def ctypes(self):
    """``x.ctypes``: the computed value's ctypes interface (the pointer of an array that lives as long as it does).
    A C function writing through it writes that array, not x: said once per process."""
    notices.warn_once("LazyArray.ctypes", "lazyarr: x.ctypes is the computed value's memory: a write through its "
                             "pointer does not reach the LazyArray (compute it first, a = x.compute(), and "
                             "pass a.ctypes to write into a)")
    return np.array(_value(self, "x.ctypes")).ctypes


def base(self):
    """``x.base``: the LazyArray x views (a slice, a transpose, a reshape), or None, as NumPy's views answer."""
    link = getattr(self, "_link", None)
    return None if link is None else link.base


def getfield(self, dtype, offset=0):
    """``x.getfield(dtype, offset)``: each element's bytes at `offset` read as `dtype`, computed at the call. NumPy
    gives a view; this is a new array (a write into it does not reach x), said once per process."""
    notices.warn_once("LazyArray.getfield", "lazyarr: x.getfield(...) gives a copy of the field, not a view: a write "
                             "into it does not reach x (use x.setfield to write a field)")
    value = np.array(_value(self, "getfield()").getfield(dtype, offset))
    return type(self)(build.array_leaf(value), array0=value.ndim == 0)


def setfield(self, val, dtype, offset=0):
    """``x.setfield(val, dtype, offset)``: x rebound to its value with that field written."""
    value = np.array(_value(self, "setfield()"))
    value.setfield(np.asarray(val), dtype, offset)
    assign.rebind(self, build.array_leaf(value), "setfield()")


def setflags(self, write=None, align=None, uic=None):
    """``x.setflags(write=False)``: x refuses writes from then on (NumPy's "assignment destination is read-only"),
    ``write=True`` allows them again. align and uic are about memory lazyarr allocates itself: only what NumPy
    allows of a fresh array is accepted (``uic=False``). ``align=False`` is recorded for ``x.flags`` (NumPy lets
    an aligned array be marked unaligned; lazyarr's memory stays aligned, which nothing can observe)."""
    if uic:
        raise ValueError("cannot set WRITEBACKIFCOPY flag to True")
    if write is not None:
        assign.set_read_only(self, not write)
    if align is not None:
        assign.set_unaligned(self, not align)


# --- array API (#16): the standard's array attributes. The namespace itself (lazyarr/array_api) registers
# into api/dispatch.py, so this layer never imports the one above it.
def array_namespace(self, /, *, api_version=None):
    """``x.__array_namespace__()``: ``lazyarr.array_api``, the Python Array API standard over LazyArrays."""
    if "array_namespace" not in dispatch.HANDLERS:
        raise RuntimeError("lazyarr.array_api is not loaded: import lazyarr (the package) first")
    return dispatch.HANDLERS["array_namespace"](api_version)


def device(self) -> str:
    """lazyarr computes on the CPU: ``x.device`` is "cpu", as NumPy's."""
    return "cpu"


def to_device(self, device, /, *, stream=None):
    if device != "cpu":
        raise ValueError(f"lazyarr: to_device({device!r}): lazyarr arrays live on 'cpu' only")
    if stream is not None:
        raise ValueError("lazyarr: to_device: stream must be None on the CPU")
    return self


def matrix_transpose(self):
    """``x.mT``: the last two axes swapped (a view that stays fused), as the standard asks."""
    if self.ndim < 2:
        raise ValueError(f"lazyarr: x.mT needs at least 2 dimensions, got {self.ndim}")
    return np.swapaxes(self, -1, -2)


def dlpack(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
    """``x.__dlpack__()``: the computed value's. An input's read-only view is exported as a copy unless the
    consumer reads DLPack 1.0 (which carries the read-only flag), since older versions cannot say it."""
    value = _value(self, "__dlpack__()")
    versioned = max_version is not None and tuple(max_version) >= (1, 0)
    if not value.flags.writeable and not versioned:
        value = value.copy()
    kwargs = {"stream": stream, "dl_device": dl_device, "copy": copy}
    if max_version is not None:
        kwargs["max_version"] = max_version
    return value.__dlpack__(**kwargs)


def dlpack_device(self):
    return np.empty(0).__dlpack_device__()  # (CPU, 0), as every ndarray's
# --- end array API (#16)
