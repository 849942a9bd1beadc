"""LazyArray: a thin wrapper around a node. It records operations; ``compute()`` runs them."""
from __future__ import annotations

import operator

import numpy as np

from lazyarr.api import assign
from lazyarr.api import assign_stages  # noqa: F401  (assignment stages) registers np.fill_diagonal, np.put_along_axis
from lazyarr.api import build
from lazyarr.graph import expr
from lazyarr.api import indexing
from lazyarr.runtime import evaluate as runtime
from lazyarr.api import dispatch
from lazyarr.api import errstate  # (s16 lazyerr) a visible np.errstate: operations run now as NumPy
from lazyarr.api import methods
from lazyarr.api import realise  # (programs #15) values asked for keep the named LazyArrays they computed
from lazyarr.api import scalar_fold  # (scalar overhead #15) element reads and 0-d arithmetic done now
from lazyarr.api import tracing
from lazyarr.api import byte_order
from lazyarr.runtime import external
from lazyarr.graph.expr import Node
from lazyarr.graph.expr import CONST, LEAF
from lazyarr.graph.ops import BINARY_OPERATORS, BY_UFUNC, ELEMENTWISE, REFUSED_UFUNCS, UNARY_OPERATORS

# (s16 lazyerr) every build entry starts with ``if _fp_state() is not errstate.QUIET and errstate.asks():``:
# NumPy's error state object, compared with the last one seen not to ask (~10 ns); a state that asks for
# raise/call/log/print runs the operation now as NumPy (api/errstate.py)
_fp_state = errstate.state


@byte_order.answers_dtype_of  # (s16 sweepd) NumPy's non-native dtype once one is seen
class LazyArray:
    """An array expression that is not computed until asked: ``compute()``, ``np.asarray`` or ``la.compute``."""

    # _array0: a 0-d result that NumPy gives as a 0-d array, not a scalar (``x[..., 0]``, ``x.reshape(())``).
    # No computed value is kept: inputs are read by reference, so every compute must read them again.
    # _link (api/assign.py, set on first use): the base it views, its views, its pending writes.
    __slots__ = ("_node", "_array0", "_link", "__weakref__")
    __array_priority__ = 100  # NumPy defers `ndarray + LazyArray` to us

    def __init__(self, node: Node, array0: bool = False):
        self._node = node
        self._array0 = array0

    # -- what NumPy would report, known without computing -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._node.shape

    @shape.setter
    def shape(self, value) -> None:
        """``x.shape = (3, 2)``: x takes the reshaped value in place, as NumPy's shape assignment (s20)."""
        methods.set_shape(self, value)

    @property
    def dtype(self) -> np.dtype:
        return self._node.dtype

    @property
    def ndim(self) -> int:
        return self._node.ndim

    @property
    def size(self) -> int:
        return self._node.size

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # -- computing ----------------------------------------------------------------------------------------
    def compute(self, out: np.ndarray | None = None):
        """The value as NumPy gives it: an ndarray, or a NumPy scalar for a 0-d result (a 0-d array where NumPy
        gives one: indexing with ``...`` or ``None``, reshape, squeeze, a wrapped 0-d input, ``zeros(())`` and
        the other fills; docs/assign.md, "0-d values")."""
        if tracing.tracing_threads or tracing.strict_threads:
            if out is not None:
                tracing.refuse_write(out, "out=")
            known = tracing.concrete(self, "compute()")
            if known is not None:  # (graph breaks) computed from the call's arguments
                return self._result(known)
        if out is not None:
            _check_out(out, self)
            realise.evaluate([self._node], out=out)  # (programs #15) named intermediates kept: api/realise.py
            return out
        return self._result(realise.evaluate_one(self._node))

    def _result(self, value: np.ndarray):
        if byte_order.seen:  # (s16 sweepd) NumPy's non-native byte order where its result keeps one
            value = byte_order.numpy_value(self, value)
        return value[()] if value.ndim == 0 and not self._array0 else value

    def __array__(self, dtype=None, copy=None):
        known = tracing.concrete(self, "np.asarray()")
        value = realise.evaluate_one(self._node) if known is None else known  # (programs #15) api/realise.py
        if byte_order.seen:
            value = byte_order.numpy_value(self, value)
        if dtype is not None and value.dtype != dtype:
            return value.astype(dtype)
        return value.copy() if copy else value

    def explain(self) -> str:
        from lazyarr.runtime.explain import explain
        return explain([self._node])

    def to_dask(self, num_threads: int | None = None):
        """A dask array computing this expression, each block by one fused kernel (over dask leaves from
        ``lazyarr.array(dask_array)``); `num_threads`: lazyarr's threads per block. See docs/dask.md."""
        # (s12 lazymandel) a written history stands for its leaf (api/owned.py: its buffer may be overwritten)
        result = external.handler("dask").to_dask(realise.stand_ins([self._node])[0], num_threads)
        if byte_order.seen and result.dtype != self.dtype:  # (s16 sweepd) NumPy's byte order, as compute()'s
            result = result.astype(self.dtype)
        return result

    # -- dtype and layout methods -------------------------------------------------------------------------
    # (s20) NumPy's x.real and x.imag are views: a write into them (``x.imag[1] = 0``) reaches x, and so do the
    # assignments ``x.real = v``. The real part of a real array is x itself; its imaginary part read-only zeros.
    @property
    def real(self) -> "LazyArray":
        return methods.part_view(self, "real")

    @real.setter
    def real(self, value) -> None:
        self.real[...] = value

    @property
    def imag(self) -> "LazyArray":
        return methods.part_view(self, "imag")

    @imag.setter
    def imag(self, value) -> None:
        if self.dtype.kind != "c":
            raise TypeError("array does not have imaginary part to set")
        self.imag[...] = value

    def conj(self) -> "LazyArray":
        if self.dtype.kind != "c":  # (s15 sweep) ndarray.conj() of a real array is the array itself (bool stays bool)
            return self
        return LazyArray(build.ufunc_node(np.conjugate, (self,)))

    conjugate = conj

    def copy(self, order="C") -> "LazyArray":
        """A copy. `order` is checked as NumPy checks it; the values are NumPy's whatever it says (lazyarr picks
        the memory layout of what it computes, as for every result; ``np.copy(x, order=...)`` does the same)."""
        np.empty(0, self.dtype).copy(order=order)  # NumPy's error for an order it does not know
        return LazyArray(build.unary("copy", self._node))

    def transpose(self, *axes) -> "LazyArray":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if axes:  # NumPy's errors (AxisError, repeated or missing axes), raised on a probe of no memory
            try:
                indexing.shape_probe(self.shape).transpose(axes)
            except (ValueError, TypeError) as exc:
                raise indexing.numpy_error(exc, f"transpose of an array of shape {self.shape}") from None
        axes = tuple(range(self.ndim))[::-1] if not axes else tuple(a % self.ndim for a in axes)
        view = LazyArray(build.transpose(self._node, axes), array0=self._array0)  # a 0-d array's .T is one
        assign.register_transpose(self, view, axes)  # (assignment and writes) a view sees writes, as NumPy's
        return view

    @property
    def T(self) -> "LazyArray":
        return self.transpose()

    # -- indexing and reshaping (see indexing.py, reshaping.py) ---------------------------------------------
    def __getitem__(self, key) -> "LazyArray":
        node = self._node
        if (type(key) is tuple and key and node.op == LEAF and len(key) == len(node.shape)
                and not tracing.tracing_threads):
            for entry in key:  # (s15 build) element_read's answer for Python ints, without its call (go_fast)
                if type(entry) is not int:
                    break
            else:
                try:
                    return node.data[key]
                except IndexError:
                    pass  # (element_read and then indexing raise lazyarr's error)
        element = scalar_fold.element_read(node, key)  # (scalar overhead #15) x[i, j] of plain data:
        if element is not None:                               # NumPy's scalar itself, as NumPy's indexing gives
            return element
        if type(key) in (LazyArray, np.ndarray) and key.dtype == np.bool_:  # (lanes #15) x[mask] deferred: api/masked_lanes.py
            # (s16 lazyerr) not under a visible error state: gathered, so NumPy computes the selected lanes only
            visible = _fp_state() is not errstate.QUIET and errstate.asks()
            selection = dispatch.HANDLERS["lanes"](self, key) if "lanes" in dispatch.HANDLERS and not visible else None
            if selection is not None:
                return selection
        return self._index(key)

    def _index(self, key) -> "LazyArray":
        """``self[key]`` built now (api/masked_lanes.py gathers a deferred selection through it too)."""
        gathered = _lazy_mask_gather(self, key)  # (programs #15) named written arrays become leaves
        if gathered is not None:
            return gathered
        key = _mask_values_first(key)  # (programs #15) before self's node is read: see the function
        node, array0 = indexing.index(self._node, key)
        view = LazyArray(node, array0)
        if node.shape and _basic_key(key):  # (assignment and writes) NumPy's basic indexing gives a view
            assign.register_basic_view(self, view, key)
        return view

    def __setitem__(self, key, value):
        """``x[key] = value``: x is rebound to the updated value (api/assign.py)."""
        if (_fp_state() is not errstate.QUIET and errstate.asks() and errstate.cast_may_flag(self.dtype, value)
                and not errstate.over_dask((self, key, value))):
            return errstate.setitem(self, key, value)  # (s16 lazyerr) NumPy's checked casts under a visible state
        assign.setitem(self, key, value)

    def fill(self, value):
        assign.fill(self, value)

    def __iter__(self):
        if not self.shape:  # raised by iter(), as NumPy does, not at the first next()
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.shape[0]))

    def __contains__(self, value) -> bool:
        tracing.refuse_concrete(self, "the 'in' operator")
        return bool((self == value).any())  # NumPy's rule; without it Python would iterate, element by element

    def reshape(self, *shape, order="C", copy=None) -> "LazyArray":
        from lazyarr.api.reshaping import reshape
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        node = reshape(self._node, shape, order)
        if copy:
            return shaped(build.unary("copy", node))
        view = shaped(node)
        # (assignment and writes) a view of the base where NumPy's is one (s20: decided by NumPy's own rule)
        if view.shape and assign.reshape_is_a_view(self._node, view.shape, order, self):
            assign.register_function_view(self, view, np.reshape, (shape,), {"order": order})
        return view

    def ravel(self, order="C") -> "LazyArray":
        from lazyarr.api.reshaping import ravel
        view = shaped(ravel(self._node, order))
        if view.shape and assign.reshape_is_a_view(self._node, view.shape, order, self):  # (s20: NumPy's own rule)
            assign.register_function_view(self, view, np.ravel, (), {"order": order})
        return view

    def flatten(self, order="C") -> "LazyArray":
        """A copy, as NumPy's flatten always is (ravel may give a view of an input)."""
        from lazyarr.api.reshaping import ravel
        return LazyArray(build.unary("copy", ravel(self._node, order)))

    def squeeze(self, axis=None) -> "LazyArray":
        from lazyarr.api.reshaping import squeeze
        view = shaped(squeeze(self._node, axis))
        if view.shape:  # (assignment and writes) a view of the base
            assign.register_function_view(self, view, np.squeeze, (), {"axis": axis})
        return view

    # -- reductions (see numpy_api.reduction) ---------------------------------------------------------------
    def sum(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return _reduce("sum", self, axis, dtype, out, keepdims, **kwargs)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return _reduce("prod", self, axis, dtype, out, keepdims, **kwargs)

    def min(self, axis=None, out=None, keepdims=False, **kwargs):
        return _reduce("min", self, axis, None, out, keepdims, **kwargs)

    def max(self, axis=None, out=None, keepdims=False, **kwargs):
        return _reduce("max", self, axis, None, out, keepdims, **kwargs)

    def any(self, axis=None, out=None, keepdims=False, **kwargs):
        return _reduce("any", self, axis, None, out, keepdims, **kwargs)

    def all(self, axis=None, out=None, keepdims=False, **kwargs):
        return _reduce("all", self, axis, None, out, keepdims, **kwargs)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False, **kwargs):
        return _reduce("mean", self, axis, dtype, out, keepdims, **kwargs)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        return _reduce("var", self, axis, dtype, out, keepdims, ddof=ddof, **kwargs)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kwargs):
        return _reduce("std", self, axis, dtype, out, keepdims, ddof=ddof, **kwargs)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return _reduce("argmax", self, axis, None, out, keepdims)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return _reduce("argmin", self, axis, None, out, keepdims)

    def __matmul__(self, other):
        from lazyarr.api.stages import matmul
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self, other)):
            return errstate.run(operator.matmul, (self, other), {}, "@")  # (s16 lazyerr)
        return LazyArray(matmul(self, other))

    def __rmatmul__(self, other):
        from lazyarr.api.stages import matmul
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self, other)):
            return errstate.run(operator.matmul, (other, self), {}, "@")  # (s16 lazyerr)
        return LazyArray(matmul(other, self))

    def dot(self, other, out=None):
        from lazyarr.api.stages import dot
        if out is not None:  # (s20) NumPy's np.dot(x, other, out=out): its own rule for out (the exact dtype)
            return np.dot(self, other, out=out)
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self, other)):
            return errstate.run(np.dot, (self, other), {}, "dot")  # (s16 lazyerr)
        return LazyArray(dot(self, other))

    # -- NumPy protocols ----------------------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask(inputs, kwargs.values()):
            return errstate.ufunc(ufunc, method, inputs, kwargs)  # (s16 lazyerr) NumPy's call, now
        if method == "__call__" and not kwargs:
            node = _direct_call(ufunc, inputs)  # (s15 build) np.exp(x), np.add(x, y): straight to build
            if node is not None:
                return LazyArray(node)
            # (scalar overhead #15) constants computed now
            value = scalar_fold.call(ufunc, inputs)
            if value is not None:
                return LazyArray(value)
        if method == "at" and isinstance(inputs[0], LazyArray):  # (assignment and writes)
            return assign.ufunc_at(ufunc, *inputs, **kwargs)
        out = kwargs.get("out")
        target = out[0] if isinstance(out, tuple) and len(out) == 1 else out
        if isinstance(target, LazyArray) and method in ("__call__", "reduce"):
            del kwargs["out"]
            where = kwargs.pop("where", True) if method == "__call__" else True
            casting = kwargs.pop("casting", "same_kind") if method == "__call__" else "unsafe"
            result = dispatch.HANDLERS["ufunc"](ufunc, method, inputs, kwargs)
            if method == "__call__" and not np.can_cast(result.dtype, target.dtype, casting):
                assign.numpy_out_error(ufunc, inputs, target.dtype, kwargs.get("dtype"), casting)
            return assign.assign_out(target, result, casting, where, f"{ufunc.__name__}(out=...)")
        return dispatch.HANDLERS["ufunc"](ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        if (_fp_state() is not errstate.QUIET and func not in _NO_ARITHMETIC and errstate.asks()
                and not errstate.over_dask(args, kwargs.values())):
            return _numpy_now(func, args, kwargs)  # (s16 lazyerr) NumPy's call, now (views stay views)
        if assign.writes_lazy(func, args, kwargs):  # (assignment and writes) np.copyto, put, place, putmask
            return assign.call_writer(func, args, kwargs)
        if (func is np.real or func is np.imag) and len(args) == 1 and args[0] is self and not kwargs:
            return self.real if func is np.real else self.imag  # (s20) NumPy's np.real(x) is x.real: a view
        if func in assign.VIEW_FUNCTIONS and args and args[0] is self:  # (assignment and writes) views follow
            result = dispatch.HANDLERS["function"](func, types, args, kwargs)
            if isinstance(result, LazyArray) and result is not self and result.shape \
                    and (func not in _RESHAPES or assign.reshape_is_a_view(self._node, result.shape,
                                                                           _order_of(func, args, kwargs), self)):
                assign.register_function_view(self, result, func, args[1:], kwargs)
            return result
        if tracing.tracing_threads and func in _WRITERS:
            tracing.refuse_write(_WRITERS[func](*args, **kwargs), f"numpy.{func.__name__}()")
        return dispatch.HANDLERS["function"](func, types, args, kwargs)

    # -- Python protocols ---------------------------------------------------------------------------------
    def __bool__(self) -> bool:
        tracing.refuse_concrete(self, "bool()")
        return bool(self.compute())

    def __float__(self) -> float:
        tracing.refuse_concrete(self, "float()")
        return float(self.compute())

    def __int__(self) -> int:
        tracing.refuse_concrete(self, "int()")
        return int(self.compute())

    def __complex__(self) -> complex:
        tracing.refuse_concrete(self, "complex()")
        return complex(self.compute())

    def __reduce__(self):
        return (LazyArray, (self._node, self._array0))

    def __deepcopy__(self, memo):
        import copy
        result = LazyArray(copy.deepcopy(self._node, memo), self._array0)  # (as __reduce__ would rebuild it)
        if byte_order.seen and byte_order.is_non_native(self.dtype):  # (s16 sweepd) NumPy's deepcopy keeps a
            byte_order.marked(result, self.dtype)  # non-native byte order (its pickle gives native order)
        return result

    def __repr__(self) -> str:
        value = methods.shown(self)  # (s15) user code in a fused function sees NumPy's text of the value
        if value is not None:
            return repr(value)
        return f"lazyarr.LazyArray(shape={self.shape}, dtype={self.dtype}, op={self._node.op})"

    def __str__(self) -> str:
        value = methods.printed(self)  # (s21) print(x) shows the values, as NumPy's does; repr(x) describes
        return repr(self) if value is None else str(value)

    __hash__ = None  # like ndarray: == builds an array, so instances are not hashable


def _binary(opname: str, reflected: bool, py: str):
    ufunc = ELEMENTWISE[opname].ufunc
    python_operator = getattr(operator, py, None) or getattr(operator, py + "_")

    def method(self, other):
        if type(other) not in _PLAIN_OPERANDS and _defers(other):
            return NotImplemented
        operands = (other, self) if reflected else (self, other)
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask(operands):
            return errstate.run(python_operator, operands, {}, f"operator {py}")  # (s16 lazyerr) NumPy's, now
        if self._node.op != CONST:  # (s15 build) nothing to fold: an operand is not a constant
            node = build.common_binary(ufunc, *operands)
            if node is not None:
                return LazyArray(node)
        value = scalar_fold.call(ufunc, operands)  # (scalar overhead #15) 0-d constants computed now
        if value is not None:
            return LazyArray(value)
        # Operators are the commonest way to build: try build's common case first, without the detour.
        node = build.common_binary(ufunc, *operands)
        try:
            node = node if node is not None else build.general_ufunc_node(ufunc, operands, operator=True)
        except TypeError:
            if opname in _EQUALITY and _not_numbers(other):
                return LazyArray(build.full(np.broadcast_shapes(self.shape, np.shape(other)),
                                            opname == "not_equal", np.dtype(bool)))
            raise
        return LazyArray(scalar_fold.fold(node))  # (scalar overhead #15) 0-d constants computed now

    return method


_EQUALITY = ("equal", "not_equal")


def _not_numbers(other) -> bool:
    """(s15 sweep) Whether `other` holds strings or objects: ndarray's ``==``/``!=`` answer all False / all
    True where np.equal has no loop for it (``x == "a"``, so ``"a" in x`` is False), as NumPy's operators do."""
    try:
        return np.asarray(other).dtype.kind in "OUSV"
    except Exception:  # noqa: BLE001 (anything NumPy cannot make an array of is not a number either)
        return True


def _unary(opname: str, py: str):
    ufunc = ELEMENTWISE[opname].ufunc
    python_operator = getattr(operator, py)

    def method(self):
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self,)):
            return errstate.run(python_operator, (self,), {}, f"operator {py}")  # (s16 lazyerr) NumPy's, now
        if self._node.op != CONST:  # (s15 build) the common case without ufunc_node's detours
            node = build.common_unary(ufunc, self._node)
            if node is not None:
                return LazyArray(node)
        return LazyArray(build.ufunc_node(ufunc, (self,)))

    return method


_PLAIN_OPERANDS = {LazyArray, float, int, bool, np.ndarray}  # never defer to these: skip the probing


# --- (s15 build) ``np.exp(x)``, ``np.add(x, y)`` of LazyArrays: NumPy's protocol straight to build's common case.
# A plain call (no keywords) of an op-table ufunc with one output is, through numpy_api (``_has_rule``, then
# ``call_ufunc``), ``build.ufunc_node``: its common case, then ``scalar_fold.fold``. With an operand that is a
# LazyArray over a non-constant node, ``scalar_fold.call`` has nothing to compute and ``fold`` returns the node
# itself, so the common case's node is the answer; anything else (keywords, a constant or NumPy operand, a
# value-dependent rule) takes the protocol's full path. tests/test_build_fast_paths.py compares the two.
_DIRECT_UFUNCS = frozenset(u for u in BY_UFUNC
                           if u.nout == 1 and u.signature is None and u.__name__ not in REFUSED_UFUNCS)


def _direct_call(ufunc, inputs) -> Node | None:
    if ufunc not in _DIRECT_UFUNCS:
        return None
    if len(inputs) == 1:
        x = inputs[0]
        if type(x) is not LazyArray or x._node.op == CONST:
            return None
        return build.common_unary(ufunc, x._node)
    if len(inputs) != 2:
        return None
    x, y = inputs
    if (type(x) is LazyArray and x._node.op != CONST) or (type(y) is LazyArray and y._node.op != CONST):
        return build.common_binary(ufunc, x, y)
    return None
# --- end s15 build ---


def _defers(other) -> bool:
    """Python operators hand over to types that know better (e.g. a dask collection)."""
    return hasattr(other, "__dask_graph__") or (hasattr(other, "__array_ufunc__") and other.__array_ufunc__ is None)


for _py, _op in BINARY_OPERATORS.items():
    setattr(LazyArray, f"__{_py}__", _binary(_op, reflected=False, py=_py))
    if _py not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(LazyArray, f"__r{_py}__", _binary(_op, reflected=True, py=_py))
for _py, _op in UNARY_OPERATORS.items():
    setattr(LazyArray, f"__{_py}__", _unary(_op, _py))


# --- (programs #15) ``z ** 2`` of a complex array is NumPy's square (its operator's scalar fast path), bit for
# bit: one complex product, fused, where the power loop NumPy's np.power uses gives other bits for inf/nan
# parts and costs 30 ns an element as a NumPy stage (mandelbrot's ``z[active] ** 2``)
def _power(general):
    def __pow__(self, other):
        if type(other) is int and other == 2 and self.dtype.kind == "c":
            return LazyArray(build.ufunc_node(np.square, (self,)))
        # (s17 bgprime) ``x ** 2`` of an int or float array (``x ** 2.0`` of a float one) is NumPy's square on the
        # general path too (build's SCALAR_POWERS: the weak exponent takes x's dtype); straight to build's common
        # case it costs ~5 us instead of ~30 (every ``(a - b) ** 2``). tests/test_build_fast_paths.py compares it
        # with the full path.
        exponent = type(other)
        if ((exponent is int and other == 2 and self.dtype.kind in "iuf")
                or (exponent is float and other == 2 and self.dtype.kind == "f")) \
                and self._node.op != CONST and (_fp_state() is errstate.QUIET or not errstate.asks()):
            node = build.common_unary(np.square, self._node)
            if node is not None:
                return LazyArray(node)
        elif (exponent is int or exponent is float) and self.dtype.kind == "f" and self._node.op != CONST \
                and (_fp_state() is errstate.QUIET or not errstate.asks()):
            node = build.common_power(self._node, other)  # (s18 bgbuild) ``x ** 3``: the general path's node
            if node is not None:
                return LazyArray(node)
        return general(self, other)
    return __pow__


LazyArray.__pow__ = _power(LazyArray.__pow__)


def _divmod(self, other):
    """Python's ``divmod(x, y)``: NumPy's ``np.divmod`` (api/numpy_api.TWO_OUTPUTS: ``x // y, x % y``)."""
    return np.divmod(self, other)


def _rdivmod(self, other):
    return np.divmod(other, self)


LazyArray.__divmod__, LazyArray.__rdivmod__ = _divmod, _rdivmod  # (s14)
# --- end programs #15 ---


def _inplace(py: str, symbol: str):
    """``x op= y``: NumPy's ``op(x, y, out=x)`` as a functional update that rebinds x (api/assign.py), so its
    views and a fused function's caller see it."""
    ufunc = np.matmul if py == "matmul" else ELEMENTWISE[BINARY_OPERATORS[py]].ufunc

    def method(self, other):
        if type(other) not in _PLAIN_OPERANDS and _defers(other):
            return NotImplemented
        if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((self, other)):
            return errstate.inplace(self, py, other, symbol)  # (s16 lazyerr) NumPy's in-place op, now
        return assign.inplace(self, ufunc, other, symbol)

    return method


for _py, _symbol in {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
                     "pow": "**", "and": "&", "or": "|", "xor": "^", "lshift": "<<", "rshift": ">>",
                     "matmul": "@"}.items():
    setattr(LazyArray, f"__i{_py}__", _inplace(_py, _symbol))

# --- (programs #15) a lazy mask's values at a graph break, before the indexed array's node is read ---------
def _mask_values_first(key):
    """Inside a fused function that can break, ``x[mask]`` with a boolean LazyArray mask needs the mask's values
    (the result's shape). The break that computes them also turns the live LazyArrays of the user's frames into
    leaves of their values (x among them): asked before x's node is read, the gather indexes that leaf; asked
    after, it held x's old node and evaluated x's whole history again at every iteration of a loop (mandelbrot's
    ``z[active] = z[active] ** 2 + c[active]``: quadratic in the iterations)."""
    if type(key) is LazyArray and key.dtype == np.bool_ and tracing.can_break():
        known = tracing.concrete(key, "a LazyArray index")
        if known is not None:
            return known
    return key


def _lazy_mask_gather(array: LazyArray, key) -> LazyArray | None:
    """(programs #15) Outside a trace ``x[lazy_mask]`` computes x and the mask now (``indexing.masked``):
    computed through api/realise.py, so that written arrays the user's frame names become leaves of their
    values (a loop of ``z[active] = ...`` does not recompute its history)."""
    if type(key) is not LazyArray or key.dtype != np.bool_ or tracing.tracing_threads:
        return None
    value, mask = realise.evaluate([array._node, key._node], handed_out=False)
    return LazyArray(indexing.masked_values(array._node, key, value, [mask]))
# --- end programs #15 ---


# NumPy functions that write into one of their arguments: which one (refused inside a trace, see refuse_write).
_WRITERS = {np.copyto: lambda dst, *a, **k: dst, np.place: lambda arr, *a, **k: arr,
            np.put: lambda a, *b, **k: a, np.putmask: lambda a, *b, **k: a,
            np.put_along_axis: lambda arr, *a, **k: arr, np.fill_diagonal: lambda a, *b, **k: a}
WRITERS = _WRITERS  # (NumPy fallback) api/fallback.py refuses these on a LazyArray target outside a trace too


# --- (ndarray methods and protocols) bound from api/methods.py: astype, item, tolist, nbytes, itemsize, format,
# __index__, sort and the other in-place methods (rebinding) and the methods that delegate to np.<name> (round,
# cumsum, take, ...).
LazyArray.astype = methods.astype
LazyArray.item = methods.item
LazyArray.byteswap = methods.byteswap
LazyArray.tolist = methods.tolist
LazyArray.nbytes = property(methods.nbytes)
LazyArray.itemsize = property(methods.itemsize)
LazyArray.__format__ = methods.format_
LazyArray.__index__ = methods.index
LazyArray.sort = methods.sort
for _name in ("partition", "put", "choose", "clip", "resize", "tofile", "dump", "dumps", "getfield", "setfield",
              "setflags"):  # (s20)
    setattr(LazyArray, _name, getattr(methods, _name))
for _name in ("data", "ctypes", "base"):
    setattr(LazyArray, _name, property(getattr(methods, _name)))
LazyArray.view = methods.view  # (s14)
LazyArray.tobytes = methods.tobytes  # (s14)
LazyArray.__round__ = methods.round_
LazyArray.strides = property(methods.strides)
LazyArray.flags = property(methods.flags)
LazyArray.flat = property(methods.flat, methods.set_flat)
for _name, _method in methods.DELEGATED.items():
    setattr(LazyArray, _name, _method)
# --- array API (#16): the standard's attributes (api/methods.py); the namespace is lazyarr/array_api
LazyArray.__array_namespace__ = methods.array_namespace
LazyArray.device = property(methods.device)
LazyArray.to_device = methods.to_device
LazyArray.mT = property(methods.matrix_transpose)
LazyArray.__dlpack__ = methods.dlpack
LazyArray.__dlpack_device__ = methods.dlpack_device
# --- end array API (#16)


build.register_lazy_type(LazyArray)  # build's fast path reads a LazyArray's node directly
errstate.register_lazy_type(LazyArray)  # (s16 lazyerr) NumPy's results under a visible state wrapped again


# --- (s16 lazyerr) NumPy's calls under a visible error state (api/errstate.py) -------------------------------
# NumPy functions that do no arithmetic a flag could come from: views (which must stay views of the LazyArray, so
# writes through them reach it) and questions about shape and dtype (answered without computing the array)
_NO_ARITHMETIC = assign.VIEW_FUNCTIONS | frozenset([np.shape, np.ndim, np.size, np.result_type, np.iscomplexobj,
                                                    np.isrealobj, np.may_share_memory, np.shares_memory])


def _numpy_now(func, args, kwargs):
    """A NumPy function called on LazyArrays under a visible error state: NumPy's own call on their values,
    now; a function that writes into a LazyArray (np.copyto, np.place, ...) writes a functional update."""
    if func in _WRITERS:
        target = _WRITERS[func](*args, **kwargs)
        if isinstance(target, LazyArray):
            return errstate.write_call(func, args, kwargs, target, f"numpy.{func.__name__}()")
    return errstate.run(func, args, kwargs, f"numpy.{func.__name__}()")


def _method(name: str, kwargs: dict):
    """The ndarray method `name` of a value (a NumPy scalar's too): ``x.sum(...)`` as NumPy runs it (a C callable:
    no frame of lazyarr's between the user's line and NumPy, errstate._numpy)."""
    return operator.methodcaller(name, **kwargs)
# --- end s16 lazyerr ---


_RESHAPES = {np.reshape: 2, np.ravel: 1}  # (s20) where `order` is among the positional arguments


def _order_of(func, args: tuple, kwargs: dict) -> str:
    """The `order` a np.reshape or np.ravel call asked for."""
    position = _RESHAPES[func]
    return kwargs.get("order", args[position] if len(args) > position else "C")


def shaped(node: Node) -> LazyArray:
    """The result of reshape, squeeze, expand_dims or broadcast_to: NumPy gives arrays, 0-d ones included."""
    return LazyArray(node, array0=not node.shape)


def _reduce(name, a, axis, dtype, out, keepdims, **kwargs):
    if _fp_state() is not errstate.QUIET and errstate.asks() and not errstate.over_dask((a, out), kwargs.values()):
        if name in ("sum", "prod", "mean", "var", "std"):  # (s16 lazyerr) NumPy's reduction, now
            kwargs["dtype"] = dtype
        kwargs = {"axis": axis, "keepdims": keepdims, **kwargs}
        if out is not None:  # (an out= LazyArray is written by errstate.run: NumPy's function takes it)
            return errstate.run(getattr(np, name), (a,), {**kwargs, "out": out}, f"{name}()")
        return errstate.run(_method(name, kwargs), (a,), {}, f"{name}()")
    if isinstance(out, LazyArray):  # (assignment and writes) the result written into a LazyArray
        result = dispatch.HANDLERS["reduction"](name, a, axis, dtype, None, keepdims, **kwargs)
        return assign.assign_out(out, result, "unsafe", True, f"{name}(out=...)")
    return dispatch.HANDLERS["reduction"](name, a, axis, dtype, out, keepdims, **kwargs)


def _basic_key(key) -> bool:
    """Whether `key` is a basic index (ints, slices, None, ...), whose result NumPy gives as a view."""
    entries = key if type(key) is tuple else (key,)
    return all(e is None or e is Ellipsis or type(e) in (int, slice) or isinstance(e, np.integer)
               for e in entries)


def _check_out(out, result: LazyArray) -> None:
    """compute(out=buf) accepts what NumPy's ufunc `out=` accepts: same shape, same_kind cast, writable."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"lazyarr: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != result.shape:
        raise ValueError(f"lazyarr: out has shape {out.shape}, but the result has shape {result.shape}")
    dtype = result.dtype
    # (#14 small calls) np.can_cast costs ~1 us, a fifth of a small call's launch: the same dtype needs no rule
    if out.dtype != dtype and not np.can_cast(dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"lazyarr: cannot write a {dtype} result into out of dtype {out.dtype} "
                        "with casting rule 'same_kind'")
    if not out.flags.writeable:
        raise ValueError("lazyarr: out is read-only")


def wrap(x, copy: bool | None = None) -> LazyArray:
    """``lazyarr.array``: wrap an array (or anything ``np.asarray`` takes). By reference: the expression reads
    the array when it is computed, so writes to it before then are seen. `copy` is NumPy 2's keyword: None
    (the default) shares where it can, True takes a snapshot now, False never copies (ValueError where a
    copy cannot be avoided: a list, a non-native byte order). See docs/index.md."""
    if type(x) is np.ndarray and copy is None:  # the common case first: no checks on the way
        return LazyArray(build.array_leaf(x), array0=x.ndim == 0)  # a 0-d input is a 0-d array, as np.asarray's
    copy = _copy_flag(copy)
    if isinstance(x, LazyArray):
        # An expression is not copied node by node: its snapshot is its value, computed now.
        # (copied again: the value of a bare leaf or a view is the input's memory, not a fresh array)
        return LazyArray(build.array_leaf(np.asarray(x), copy=True)) if copy else x
    handler = external.handler_for(x)
    if handler is not None:  # a dask array
        if copy:
            raise ValueError("lazyarr.array: copy=True is not supported for a dask array (a snapshot would "
                             "compute it); wrap dask_array.compute() instead, or copy its source arrays")
        wrapped = handler.wrap(x)  # (s16 sweepd) a 0-d dask array is a 0-d array too, as a 0-d ndarray input
        if byte_order.is_non_native(x.dtype):
            byte_order.notice()  # (the dask leaf keeps its order: views and copies of it keep it, as NumPy's)
        return LazyArray(wrapped._node, array0=True) if wrapped.ndim == 0 else wrapped
    if type(x) is np.ndarray:
        return LazyArray(build.array_leaf(x, copy), array0=x.ndim == 0)
    if isinstance(x, np.ndarray):  # a subclass: np.memmap is taken as a plain array, others are refused
        return LazyArray(build.array_leaf(build.plain_ndarray(x, "lazyarr.array's input"), copy), array0=x.ndim == 0)
    if copy is None:
        node = build.to_node(x if not np.isscalar(x) else np.asarray(x), "lazyarr.array's input")
        return LazyArray(node, array0=node.shape == ())
    node = expr.leaf(build.as_input_array(x, "lazyarr.array's input", copy))
    return LazyArray(node, array0=node.shape == ())


def operand(x) -> LazyArray:
    """`x` as an operation's operand, NumPy's ``asanyarray(x)``: a NumPy array is read now, as NumPy reads it
    (``build.to_node`` takes a snapshot of one that can still be written), where ``wrap`` (``la.array``, the
    user's explicit choice) shares it by reference."""
    if isinstance(x, LazyArray):
        return x
    if isinstance(x, np.ndarray):
        return LazyArray(build.to_node(x), array0=x.ndim == 0)
    return wrap(x)


def asarray(x, copy: bool | None = None) -> LazyArray:
    """``lazyarr.asarray``: ``lazyarr.array`` (which already shares by default), under NumPy's other name."""
    return wrap(x, copy)


def _copy_flag(copy) -> bool | None:
    """NumPy 2's `copy` values: True, False or None (np.bool_ too); anything else is refused early."""
    if copy is None or type(copy) is bool:
        return copy
    if isinstance(copy, np.bool_):
        return bool(copy)
    raise TypeError(f"lazyarr.array: copy must be True, False or None, got {copy!r}")
