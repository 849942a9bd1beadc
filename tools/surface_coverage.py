"""How much of NumPy's ``__array_function__`` surface lazyarr runs natively (fused or as a stage).

NumPy lists every function that dispatches through ``__array_function__`` in ``numpy._core.overrides``. A
function lazyarr has a rule for (``numpy_api.HANDLED``, a stage builder in ``api/stages.BOUNDARIES``, or a
write into a LazyArray in ``api/assign.WRITING_FUNCTIONS``) runs lazily; every other one runs through the NumPy fallback (``api/fallback.py``: NumPy on the computed inputs, one
``NumPyFallbackWarning``). Run ``python tools/surface_coverage.py [--list]`` from the repository root.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
from numpy._core import overrides

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # this checkout's lazyarr


def public_name(func) -> str:
    """``numpy.linalg.norm`` rather than the implementation module NumPy records."""
    for prefix, namespace in (("numpy.linalg.", np.linalg), ("numpy.fft.", np.fft), ("numpy.", np)):
        if getattr(namespace, func.__name__, None) is func:
            return prefix + func.__name__
    return f"{func.__module__}.{func.__qualname__}"


def coverage() -> tuple[list[str], list[str]]:
    """(native, fallback): the public names of NumPy's dispatched functions, split by lazyarr's rules."""
    import lazyarr  # noqa: F401 (registers the handlers)
    from lazyarr.api.numpy_api import HANDLED
    from lazyarr.api.assign import WRITING_FUNCTIONS
    from lazyarr.api.stages import BOUNDARIES
    rules = set(HANDLED) | set(BOUNDARIES) | set(WRITING_FUNCTIONS)
    native, fallback = [], []
    for func in list(overrides.ARRAY_FUNCTIONS):  # (importing lazyarr imports more of NumPy)
        name = public_name(func)
        if name.startswith(("numpy._", "numpy.lib._")) or ".testing" in name:
            continue  # private helpers that happen to dispatch
        (native if func in rules else fallback).append(name)
    native = set(native)
    return sorted(native), sorted(set(fallback) - native)  # (a `like=` creation function dispatches twice)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print every function of each group")
    args = parser.parse_args(argv)
    native, fallback = coverage()
    total = len(native) + len(fallback)
    print(f"NumPy {np.__version__}: {total} public functions dispatch through __array_function__")
    print(f"  native (fused or a NumPy stage): {len(native)} ({100 * len(native) / total:.0f}%)")
    print(f"  NumPy fallback (warned):         {len(fallback)}")
    if args.list:
        for title, names in (("native", native), ("fallback", fallback)):
            print(f"\n{title}:\n  " + "\n  ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
