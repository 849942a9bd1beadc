"""(#14 bgprime) Priming at import: a process's first new expression runs code the process has run before.

With background compilation on, a new expression at a serial size is answered by NumPy over its graph
(``runtime/serial_first.py``); NumPy's own work there is 0.02-0.2 ms, while running lazyarr's ~110 functions of
building and answering for the *first time in the process* costs 5-10x their later calls (0.3-0.6 ms of a
0.5-0.9 ms first answer, docs/runtime.md, seventh and eighth rounds). ``prime()`` runs a few tiny float64
expressions through the same public path, building (``la.array``, operators, NumPy's ufuncs and reductions
through the protocols) and asking (``np.asarray``: realise, evaluate, serial_first), under
``serial_first.priming`` so that the answer is not remembered, counted or handed to the compile worker.

What it must never do (tests/test_prime.py): compile or look up a kernel, read or write the disk cache, start a
thread, change ``cache_info()`` or print. A priming graph that serial_first would not answer raises
``serial_first.NotPrimed`` instead of taking the full path; ``import lazyarr`` drops the error (printed with
LAZYARR_DEBUG=1) and the process simply starts cold, as before.

The cost (~1.5-2 ms) moves to ``import lazyarr`` (docs/runtime.md, eighth round, has the figures), so it runs only
when background compilation is on at import and the warm-up thread is off: a script without background compilation
answers its first expressions by compiling, where these microseconds do not count, and with the warm-up on its
thread runs a first answer's code instead (``prime_at_import``).
"""
from __future__ import annotations

import sys

import numpy as np

from lazyarr import config
from lazyarr.api import reduction_records
from lazyarr.api.array import wrap
from lazyarr.runtime import serial_first

__all__ = ["prime", "prime_at_import", "primed"]

_primed = [False]


def primed() -> bool:
    """Whether ``prime()`` ran to its end in this process."""
    return _primed[0]


def prime() -> None:
    """Run the priming expressions' first answers (raises ``serial_first.NotPrimed`` if one would compile)."""
    # Tiny float64 arrays: the dtype and the operations of most first expressions; their NumPy work is a few us.
    # The shapes and the structures are this module's own, so a user's first expression is still new.
    v = wrap(np.linspace(0.5, 1.0, 7))
    x = wrap(np.linspace(-1.0, 1.0, 21).reshape(3, 7))
    with serial_first.priming(), reduction_records.eager():  # (s18 bgbuild) its reductions recorded at once
        # a map: array-array and array-scalar operators (weak int and float constants), a ufunc through NumPy's
        # protocol, reductions broadcast back (keepdims; a new axis by indexing), a row slice's broadcast
        e = np.exp(x - x.max(axis=1)[:, None]) * 2 + 0.5 * v - x[:, :1]
        np.asarray(e / e.sum(axis=1, keepdims=True))
        # reductions: a full sum of a power, a mean over rows, a std over columns (NumPy's composed reductions)
        np.asarray(((v - 1) ** 2).sum())
        np.asarray((x - x.mean(axis=1, keepdims=True)) / x.std(axis=0))
        np.asarray(np.sin(v) * 3.0 + np.sqrt(v) - np.log(v))  # (s18 bgbuild: sqrt and log decided too)
        # (s18 bgbuild) built, not asked: the records of a few more common reductions (api/reduction_records.py
        # keeps a reduction's nodes by dtype and rank, so a user's first ``x.std(axis=1, keepdims=True)`` replays them)
        x.max(axis=1, keepdims=True), x.sum(axis=1), x.mean(axis=0), x.std(axis=1, keepdims=True), v.mean(), v.max()
        (2 * x + 1.5) / 3  # and build's decisions for a Python number before an array, added, dividing
    _primed[0] = True


def prime_at_import() -> None:
    """``import lazyarr``'s call: prime if background compilation is on and the warm-up thread is off; an error is
    dropped (the first expression then runs cold, as without priming), printed with LAZYARR_DEBUG=1.

    With the warm-up on (an interactive session's default) its thread already runs a first answer's code after
    Numba's start (``_warm_first_answer`` in ``lazyarr/__init__.py``), and priming here as well measured no
    difference to the first answer, before or after the warm-up is done (docs/runtime.md, eighth round)."""
    try:
        if not config.background_compile() or config.warmup():
            return
        prime()
    except Exception as exc:
        if config.debug():
            print(f"lazyarr: priming at import failed ({exc!r}); the first expression runs cold", file=sys.stderr)
