"""Scalar work done now: element reads of plain data and arithmetic on 0-d constants give constants.

A loop of scalar operations (``trace += np.tanh(a[i, i])``) recorded as a graph costs tens of microseconds of
Python per node, where NumPy's scalar operations cost about one. Two facts let most of that work skip the graph:

- ``x[i, j]`` (an integer per axis) of a LazyArray whose node is a leaf reads memory that exists now (a leaf
  is plain data: a LazyArray holding pending writes or viewing a written base has another node). NumPy gives a
  copy of that element, an immutable NumPy scalar, so that scalar itself is NumPy's answer: the scalar work
  after it (``np.tanh(x[i, i])``, ``trace += ...``) is NumPy's own, at NumPy's speed, with NumPy's types,
  values and warnings. A later write into the NumPy array is not seen, exactly as NumPy's scalar does not see
  it.
- An elementwise op whose operands are all constants is a 0-d value known now, so it is computed now and is a
  constant again: a chain of scalar work never grows a graph. ``call`` asks NumPy itself (the oracle: its
  dtype, NEP 50 weak-scalar and value rules) on the constants' NumPy scalars and the Python numbers as given;
  ``fold`` computes a node already built (the cases ``call`` leaves, e.g. ``x ** 0.5``, which lazyarr rewrites
  as NumPy's array operator does) by the op table's NumPy reference. Floating-point errors are silenced as
  every lazy compute silences them.

Neither applies while a ``@la.fuse`` trace runs: there leaves are placeholders for the next call's arguments
and Python numbers are placeholders too (tracer/scalars.py).
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import tracing
from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import BY_UFUNC, is_elementwise
from lazyarr.graph.reference import apply

_NUMBERS = (float, int, bool, complex)

# Ufuncs whose lazy node is not NumPy's scalar call: a Python-number exponent follows NumPy's *array* operator
# (x ** 2 is square, x ** 0.5 is sqrt), not its scalar power; built as a node and folded by ``fold``.
_NODE_ONLY = frozenset([np.power, np.float_power])


def element_read(node: Node, key) -> np.generic | None:
    """The NumPy scalar ``node.data[key]`` when `node` is a leaf of in-memory data and `key` names one element
    (one integer per axis); None for every other read, which the indexing module builds as before."""
    if node.op != LEAF or tracing.tracing_threads:
        return None
    entries = key if type(key) is tuple else (key,)
    if len(entries) != len(node.shape) or not entries:
        return None
    for entry in entries:
        if type(entry) is not int and not isinstance(entry, np.integer):
            return None  # (bool is a subclass of int but a mask to NumPy: `type(...) is` keeps it out)
    try:
        value = node.data[entries]
    except IndexError:
        return None  # the indexing module raises its own error, naming the operation
    return value


def call(ufunc, operands) -> Node | None:
    """The constant ``ufunc(*operands)`` when every operand is a LazyArray holding a (strong) constant, a
    Python number or a NumPy scalar, and NumPy gives one scalar; None otherwise (the lazy path builds the node, and raises
    lazyarr's error for what NumPy refuses)."""
    if tracing.tracing_threads or ufunc in _NODE_ONLY or ufunc not in BY_UFUNC:
        return None
    values = []
    for x in operands:
        if type(x) in _NUMBERS or isinstance(x, np.generic):  # Python numbers stay weak, NumPy scalars strong
            values.append(x)
            continue
        node = getattr(x, "_node", None)
        if type(node) is not Node or node.op != CONST or node.params.weak:
            return None
        values.append(node.data)
    try:
        with np.errstate(all="ignore"):
            result = ufunc(*values)
    except Exception:  # noqa: BLE001  (the lazy path gives the error, with lazyarr's message)
        return None
    return expr.value_const(result) if isinstance(result, np.generic) else None


def fold(node: Node) -> Node:
    """`node` itself, or the constant it computes to when it is an elementwise op over constants."""
    args = node.args
    if not args or tracing.tracing_threads:
        return node
    for arg in args:
        if arg.op != CONST:
            return node
    if not is_elementwise(node.op):
        return node
    value = apply(node, [np.asarray(arg.data, dtype=arg.dtype) for arg in args])
    return expr.value_const(value[()])
