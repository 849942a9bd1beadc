"""Arrays whose data is not in memory (dask arrays): a registry, so that the layers below never import them.

An external kind is registered by name at package import (``lazyarr/__init__.py``) with the test that
recognises its arrays and the module that handles them; that module is imported only when such an array is
first wrapped, so a program that never touches dask never imports it. A handling module provides
``wrap(x) -> LazyArray``, ``involves(roots) -> bool``, ``evaluate(roots, out) -> [ndarray]``,
``explain(roots) -> str`` and ``to_dask(node, num_threads)``.
"""
from __future__ import annotations

import importlib
from typing import Callable, NamedTuple


class Kind(NamedTuple):
    name: str
    recognises: Callable[[object], bool]
    module: str


_kinds: list[Kind] = []
# Handling modules imported so far: the runtime asks them on every evaluate, so an empty list (the common
# case: no dask array was ever wrapped) costs one truth test.
loaded: list = []


def register(name: str, recognises: Callable[[object], bool], module: str) -> None:
    _kinds.append(Kind(name, recognises, module))


def handler_for(x):
    """The handling module of `x`'s kind (imported now if it was not), or None for an in-memory array."""
    for kind in _kinds:
        if kind.recognises(x):
            return handler(kind.name)
    return None


def handler(name: str):
    kind = next(k for k in _kinds if k.name == name)
    module = importlib.import_module(kind.module)
    if module not in loaded:
        loaded.append(module)
    return module


def involved(roots):
    """The handling module of the first external kind found in the graph of `roots`, or None."""
    for module in loaded:
        if module.involves(roots):
            return module
    return None
