"""The kernel fingerprint: what generated code depends on besides its own text.

Every kernel's source carries it, so its file name (and with it Numba's disk-cache entry) changes whenever
something the kernel inlines or links changes: every file of ``lazyarr.kernels`` (the scalar helpers, vector
math, the scipy.special bridge and its C-API table, found by listing the package, so a renamed or added module
is covered without anyone keeping a list) and the versions of lazyarr and of the compilers. Numba's own disk
cache does not notice when an inlined helper changes; a kernel naming a C symbol a new SciPy no longer has
would crash when linked.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import llvmlite
import numba
import numpy as np
import scipy

import lazyarr.kernels
from lazyarr._version import __version__


def kernel_helpers_digest() -> str:
    """sha256 over the relative path and bytes of every Python file in ``lazyarr.kernels``."""
    root = Path(lazyarr.kernels.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def fingerprint() -> str:
    return (f"lazyarr {__version__}, numba {numba.__version__}, llvmlite {llvmlite.__version__}, "
            f"numpy {np.__version__}, scipy {scipy.__version__}, helpers {kernel_helpers_digest()}")


VERSION = fingerprint()
