"""(s15) Random numbers drawn while a fused function is traced.

``f(x, rng)`` with ``return x + rng.standard_normal(x.shape)``: the trace draws from the caller's Generator, and
the draws enter the graph as a NumPy array, so a replayed call returned the same "random" numbers again and left
the generator where it was (session 15's sweep; ``np.random.rand``, a ``self.rng`` attribute and a module-level
``rng = np.random.default_rng(0)`` alike). A trace
that advanced a random state - a ``np.random.Generator`` or ``RandomState`` argument, one held by an object
argument (``self.rng``), or NumPy's global ``np.random`` state - makes its signature eager (the body runs on
every call: each call draws, as NumPy's run does); the states are put back first, so the call that traced
draws exactly once.

States are compared by their pickled bytes (a bit generator's ``state`` holds arrays): ~20 us per state, once
per trace, never on a cached call.
"""
from __future__ import annotations

import pickle

import numpy as np

_KINDS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator)


def _bit_generator(x):
    if isinstance(x, np.random.Generator):
        return x.bit_generator
    if isinstance(x, np.random.RandomState):
        return x._bit_generator
    return x


def capture(flat: tuple, read: list = ()) -> list:
    """(bit generator, its state, the state's bytes) for each random state the call can reach: its arguments,
    their attributes (one level), the globals and closure values the function reads (`read`), and NumPy's
    global state."""
    found = [np.random.mtrand._rand] + [v for v in read if isinstance(v, _KINDS)]
    for a in flat:
        if isinstance(a, _KINDS):
            found.append(a)
        elif hasattr(a, "__dict__") and not isinstance(a, type):
            found += [v for v in vars(a).values() if isinstance(v, _KINDS)]
    states, seen = [], set()
    for x in found:
        bg = _bit_generator(x)
        if id(bg) not in seen:
            seen.add(id(bg))
            state = bg.state
            states.append((bg, state, pickle.dumps(state)))
    return states


def advanced(states: list) -> bool:
    """Whether any captured state moved since ``capture``."""
    return any(pickle.dumps(bg.state) != data for bg, _, data in states)


def restore(states: list) -> None:
    for bg, state, _ in states:
        bg.state = state
