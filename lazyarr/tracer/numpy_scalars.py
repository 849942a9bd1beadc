"""(s15) A NumPy scalar argument of a fused function (``f(x, np.float32(2.5))``) while the function is traced.

It is traced as a strong 0-d placeholder (its dtype is in the signature, its value is bound per call), but user
code sees a NumPy scalar, not a 0-d array, as the undecorated function does. Session 15's sweep found the
0-d array answering otherwise: ``isinstance(k, np.floating)`` was False (a branch silently took the other
side), ``k += 1`` wrote into the placeholder so ``return k`` gave the caller's unchanged k, ``round(k)``,
``hash(k)`` and ``{k: ...}`` raised, ``b[1:3] = k`` into an int array wrapped where NumPy raises
(api/assign.py), and a returned ``k * 1`` came back as a 0-d array.

What a value needs (``hash``, ``str``) is asked for as any traced value is (a graph break guarded by the
value's bits); arithmetic stays traced, with NumPy scalar results (``array0`` False).
"""
from __future__ import annotations

import sys

from lazyarr.api.array import LazyArray

_INPLACE = ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "and", "or", "xor", "lshift", "rshift",
            "matmul")


class ScalarArgument(LazyArray):
    """The placeholder of a NumPy scalar argument: a 0-d LazyArray that user code sees as a NumPy scalar."""

    __slots__ = ("_type",)

    def __new__(cls, node, kind: type | None = None, array0: bool = False):
        if kind is None:  # lazyarr's ``type(x)(node)`` (astype, in-place results): a value of its own
            return LazyArray(node, array0)
        return super().__new__(cls)

    def __init__(self, node, kind: type, array0: bool = False):
        super().__init__(node, array0=False)
        self._type = kind

    @property
    def __class__(self):
        """``isinstance(k, np.floating)`` in the user's function sees the scalar's class (part of the signature:
        its dtype); lazyarr's own code (and ``type()``) still sees a LazyArray."""
        if sys._getframe(1).f_globals.get("__name__", "").startswith("lazyarr."):
            return ScalarArgument
        return self._type

    def __hash__(self):
        return hash(self.compute())  # (the value: a graph break guarded by its bits)

    def __reduce__(self):
        """``pickle``/``copy`` of k: the NumPy scalar's (the value: a graph break), not the placeholder's node."""
        return self.compute().__reduce__()


def _rebinds(self, other):
    """``k += 1``: NumPy scalars are immutable, so Python falls back to ``k = k + 1`` (the caller's k keeps its
    value, and the function's k is a new value)."""
    return NotImplemented


for _name in _INPLACE:
    setattr(ScalarArgument, f"__i{_name}__", _rebinds)


# --- (s16 lazyerr) ``type(k)`` --------------------------------------------------------------------------------
# Python's ``type()`` reads an object's C-level type, which no ``__class__`` property changes: only an instance
# of exactly np.float64 answers np.float64, and such an instance holds its value (NumPy's operators on it defer
# to LazyArray with the value baked in). So a function whose own code calls the builtin ``type`` gets its NumPy
# scalar arguments as themselves, static (keyed by value, a trace per value, as ``special_numpy_scalar``s are),
# and ``type(k) is np.float32`` takes NumPy's branch; every other function keeps the placeholder (one trace for
# every value). docs/fuse.md, "Error state in lazy mode (session 16)".
def calls_type(fn) -> bool:
    """Whether `fn`'s code (or its nested code: comprehensions, lambdas) reads the builtin ``type`` by name."""
    import builtins
    import dis
    import types

    code = getattr(fn, "__code__", None)
    if code is None or getattr(fn, "__globals__", {}).get("type", builtins.type) is not builtins.type:
        return False
    pending = [code]
    while pending:
        code = pending.pop()
        for instruction in dis.get_instructions(code):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME") and instruction.argval == "type":
                return True
        pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return False
