"""(s15) NumPy's floating-point error state at a fused call: does it ask for more than a warning?

lazyarr's kernels compute NumPy's values (inf, nan, wrapped integers) without detecting floating-point errors:
its branch-free vector math evaluates both sides of a select and masked-out lanes, so the hardware flags say
nothing about NumPy's own operations. Under ``np.errstate(...='raise')`` (or 'call', 'log', 'print', also set
by ``np.seterr``) a user asks NumPy to stop or report at the operation, so a fused call in that state runs the
function as plain NumPy (``decorator._Fused.as_numpy_for_errors``): NumPy's exception on the user's line, where
the function's own ``try``/``except`` sees it. The default state ('warn'; 'ignore' for underflow) and 'ignore'
keep the fused program.

The check runs on every fused call, so it compares the identity of NumPy's error-state object (a context
variable NumPy 2 keeps; the same object while the state is unchanged) with the last one it looked at, and reads
``np.geterr()`` only when that object changed.
"""
from __future__ import annotations

import numpy as np

try:  # NumPy 2's context variable behind np.errstate/np.seterr (private: np.geterr() is the public way)
    from numpy._core._ufunc_config import _extobj_contextvar as _STATE
except ImportError:  # pragma: no cover - another NumPy layout: ask np.geterr() every call
    _STATE = None

ACTING = frozenset({"raise", "call", "log", "print"})  # what NumPy does beyond 'ignore' and 'warn'
_last = (object(), False)  # (the state object last looked at, whether it acts): one tuple, replaced whole


def _looked_up() -> bool:
    global _last
    state = _STATE.get()
    acts = not ACTING.isdisjoint(np.geterr().values())
    _last = (state, acts)
    return acts


if _STATE is None:  # pragma: no cover
    def acts_on_errors() -> bool:
        """Whether NumPy's current error state raises, calls, logs or prints on any floating-point error."""
        return not ACTING.isdisjoint(np.geterr().values())
else:
    def acts_on_errors(_get=_STATE.get) -> bool:
        """Whether NumPy's current error state raises, calls, logs or prints on any floating-point error."""
        last = _last
        if _get() is last[0]:
            return last[1]
        return _looked_up()
