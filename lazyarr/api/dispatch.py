"""Where LazyArray's NumPy protocols find their handlers: a registry below ``array.py``.

``LazyArray.__array_ufunc__``, ``__array_function__`` and its reduction methods call the handlers that
``numpy_api.py`` registers here when it is imported (``lazyarr/__init__.py`` imports it). The class never
imports the module that builds its results, so the two cannot form an import cycle.
"""
from __future__ import annotations

HANDLERS: dict = {}  # "ufunc", "function", "reduction" -> the handler numpy_api registered


def register(protocol: str, handler) -> None:
    HANDLERS[protocol] = handler
