"""``np.isin`` on LazyArrays (array API 2025.12 ``isin``): a NumPy stage whose shape and dtype are known now.

The answer for one element depends on every value of ``test_elements``, so it is not elementwise: the node is
the op table's ``library`` stage running ``np.isin`` itself (NumPy's sort or table method, chosen as NumPy
chooses). The shape is ``element``'s and the dtype bool whatever the values, so nothing is computed when the
expression is built, and the elementwise work on each side of the stage is still fused. NumPy checks the
arguments (``kind=``, dtypes) on one-element probes first, so bad input fails at the call, naming ``isin``.
"""
from __future__ import annotations

import numpy as np

from lazyarr.api import build
from lazyarr.api.array import LazyArray

_BOOL = np.dtype(bool)


def _operand(x, what: str):
    node = build.to_node(x, f"isin's {what}")
    if node.op == "const":  # a Python or NumPy scalar: the 0-d array NumPy makes of it
        return build.to_node(np.asarray(node.data, dtype=node.dtype))
    return node


def _check_with_probes(element, test_elements, kwargs: dict) -> None:
    probes = [np.zeros(min(n.size, 1), n.dtype) for n in (element, test_elements)]
    try:
        np.isin(*probes, **kwargs)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"lazyarr: isin: {exc}") from None


def isin(element, test_elements, assume_unique=False, invert=False, *, kind=None):
    """Lazy ``np.isin(element, test_elements)``: a bool array of ``element``'s shape."""
    element_node, test_node = _operand(element, "element"), _operand(test_elements, "test_elements")
    kwargs = {"assume_unique": bool(assume_unique), "invert": bool(invert), "kind": kind}
    _check_with_probes(element_node, test_node, kwargs)
    params = (("dtype", _BOOL.str), ("function", "isin"), ("kwargs", tuple(sorted(kwargs.items()))),
              ("output", -1), ("shape", element_node.shape))
    return LazyArray(build.numpy_stage("library", (element_node, test_node), params, element_node.shape, _BOOL))
