"""What one benchmark program is: a plain NumPy function, its inputs at two sizes, and how to check it."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable


@dataclasses.dataclass(frozen=True)
class Program:
    """A complete NumPy program, run unchanged by NumPy, by ``la.fuse`` and on ``la.array`` inputs.

    ``setup(size)`` returns the positional arguments, the same for the same size (seeded). ``default_size``
    takes ~50-300 ms in NumPy on 2 cores; ``small_size`` is for the tests (tiny: each program compiles its
    own kernels). Results of every mode are compared with NumPy's by ``rtol``/``atol`` (floats) or exactly
    (integers, bools); ``mutates``: the program writes into its array arguments, so each run gets fresh
    copies (made outside the timed stretch).
    """

    name: str
    function: Callable[..., Any]
    setup: Callable[[int], tuple]
    default_size: int
    small_size: int
    rtol: float = 1e-12
    atol: float = 0.0
    mutates: bool = False
    about: str = ""
