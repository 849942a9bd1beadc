"""Running a program in one mode and checking its answer against NumPy's (shared by the runner and the tests).

Modes: ``numpy`` (the function itself), ``fuse`` (``la.fuse(function)`` called with the NumPy arguments) and
``lazy`` (array arguments wrapped by ``la.array``, LazyArray results computed together by ``la.compute``).
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import numpy as np

ALL_MODES = ("numpy", "fuse", "lazy")


def fresh_copies(args: tuple) -> tuple:
    """The arguments with every array copied, for a program that writes into its inputs."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def caller(program, mode: str, la=None) -> Callable[[tuple], Any]:
    """A function of the arguments that runs ``program`` in ``mode`` and returns NumPy values.

    The fused function is made here, once, so its traces and kernels are reused across calls.
    """
    function = program.function
    if mode == "numpy":
        return lambda args: function(*args)
    if mode == "fuse":
        fused = la.fuse(function)
        return lambda args: materialise(fused(*args), la)
    if mode == "lazy":
        def lazy(args):
            wrapped = [la.array(a) if isinstance(a, np.ndarray) else a for a in args]
            return materialise(function(*wrapped), la)
        return lazy
    raise ValueError(f"unknown mode {mode!r}; expected one of {ALL_MODES}")


def materialise(result, la):
    """``result`` with every LazyArray (also inside a tuple or list) computed, all in one ``la.compute``."""
    if la is None:
        return result
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    lazy_at = [i for i, item in enumerate(items) if isinstance(item, la.LazyArray)]
    if lazy_at:
        values = la.compute(*[items[i] for i in lazy_at])  # always a tuple
        for i, value in zip(lazy_at, values):
            items[i] = value
    if isinstance(result, (tuple, list)):
        return type(result)(items)
    return items[0]


def run(program, mode: str, args: tuple, la=None, calls: int = 1):
    """``calls`` calls in ``mode`` (fresh copies where the program writes into its inputs); returns
    ``([result of each call], names of functions lazyarr ran through its NumPy fallback)``. A second call
    matters: ``la.fuse`` traces on the first and replays its cached program on later ones."""
    call = caller(program, mode, la)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [call(fresh_copies(args) if program.mutates else args) for _ in range(calls)]
    return results, fallbacks(caught, la)


_FALLBACK_NAME = re.compile(r"lazyarr: (\S+) has no lazy rule")


def fallbacks(caught, la) -> list[str]:
    """The functions named by lazyarr's NumPyFallbackWarnings among ``caught`` (each warns once per process)."""
    if la is None:
        return []
    names = set()
    for w in caught:
        if issubclass(w.category, la.NumPyFallbackWarning):
            found = _FALLBACK_NAME.match(str(w.message))
            names.add(found.group(1) if found else str(w.message)[:60])
    return sorted(names)


def mismatch(result, reference, rtol: float, atol: float, where: str = "result") -> str | None:
    """Why ``result`` differs from NumPy's ``reference`` (structure, shape, dtype, values), or None."""
    if isinstance(reference, (tuple, list)):
        if not isinstance(result, (tuple, list)) or len(result) != len(reference):
            return f"{where}: expected a {type(reference).__name__} of {len(reference)}, got {type(result).__name__}"
        for i, (got, want) in enumerate(zip(result, reference)):
            problem = mismatch(got, want, rtol, atol, f"{where}[{i}]")
            if problem:
                return problem
        return None
    got, want = np.asarray(result), np.asarray(reference)
    if got.shape != want.shape:
        return f"{where}: shape {got.shape} != NumPy's {want.shape}"
    if got.dtype != want.dtype:
        return f"{where}: dtype {got.dtype} != NumPy's {want.dtype}"
    if want.dtype.kind in "fc" and (rtol or atol):
        if np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            return None
        with np.errstate(all="ignore"):
            err = np.abs(got - want)
            bad = ~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        return (f"{where}: {int(bad.sum())} of {want.size} values differ (max abs diff "
                f"{float(np.nanmax(np.where(bad, err, 0))):.3g}, rtol={rtol}, atol={atol})")
    if np.array_equal(got, want, equal_nan=want.dtype.kind in "fc"):
        return None
    return f"{where}: {int((got != want).sum())} of {want.size} values differ (exact comparison)"
