"""Warnings lazyarr gives once per process: ``NumPyFallbackWarning`` (a call NumPy ran on computed values, or a
method that hands out a copy where NumPy hands out the array's own memory).

Its own module so that ``api/methods.py`` can warn without importing ``api/fallback.py`` (which imports
``api/array.py``, which imports ``api/methods.py``).
"""
from __future__ import annotations

import os
import sys
import threading
import warnings

import numpy as np


class NumPyFallbackWarning(UserWarning):
    """A NumPy function lazyarr has no rule for ran as NumPy on computed inputs (not fused, not lazy)."""


# Names already warned about: the warning says once per process what the user may want to know, and a loop
# calling np.median must not print a line per call.
warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(name: str, message: str) -> None:
    """A NumPyFallbackWarning saying `message`, the first time `name` asks in this process."""
    with _warned_lock:
        if name in warned:
            return
        warned.add(name)
    warnings.warn(message, NumPyFallbackWarning, stacklevel=user_stacklevel())


# lazyarr's own files and NumPy's: the warning points at the first frame outside both, the user's line.
_SKIP_DIRS = (os.path.dirname(np.__file__) + os.sep,
              os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep)


def user_stacklevel() -> int:
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_SKIP_DIRS):
        frame, level = frame.f_back, level + 1
    return level
