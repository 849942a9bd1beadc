"""(s13 lazycall, #15) The plan of any lazy graph, reused when a later graph has the same structure.

A lazy program (``la.array`` inputs, the NumPy code run unchanged, ``la.compute`` at the end) builds its whole
graph again at every call, over new nodes, and ``schedule.plan`` planned it again: 0.2-0.6 ms a call for
logistic_regression, jacobi_1d, cosine_similarity, kmeans_step (docs/runtime.md, "Lazy mode's plans reused").
``recipes`` reuses plans of small elementwise graphs only. But nothing ``plan`` decides reads array data: it reads
each node's op, params, dtype and shape and how the nodes are wired. So a graph is planned once on a *template*
(its copy with every leaf replaced by a placeholder leaf of the same dtype and shape, broadcast from one
element), and a later
graph with the same structure runs the template's steps with its own arrays bound to the placeholders
(``run_steps``'s ``env``, as ``@la.fuse`` binds each call's arrays to the leaves it planned on).

The structure (``_walk``) is one walk of the graph, first visits in a fixed order: for each node met the first
time, its structure id (op, params, dtype and those of its arguments: ``Node.sid``) and shape, plus, for a
constant, its exact bits (the kernels read a constant from the planned node: a graph that differs only in a
constant's value must miss); for a node met again, its position (the sharing, which fixes the kernels'
common subexpressions). Leaves are bound by position. Layout, strides and aliasing of the arrays are chosen at
run time from the bound arrays (``kernel_args``, ``launch.overlaps``), as for ``@la.fuse``.

A template costs about one more plan (the graph rebuilt), so the first graph of a structure is planned as it is
(its key's hash remembered: ``_first_sighting``) and the second on a template: a structure never repeated pays
only the walk (0.1 ms for logistic_regression's ~300 nodes).

What it holds: templates (nodes, constants, one-element placeholder arrays) and steps, never a user's array: a
plan is keyed by structure only, and the bound arrays live in one call's ``env``. Bounded: ``MAX_PLANS``
entries, least recently used dropped; graphs of more than ``MAX_NODES`` nodes and graphs with leaves not in
memory (dask) are planned as before, each time.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from lazyarr.graph import expr
from lazyarr.graph.expr import CONST, LEAF, Node
from lazyarr.graph.ops import GENERATORS

MAX_PLANS = 256      # a lazy loop may ask once per iteration with its counter as a constant: one plan per value
MAX_NODES = 4096     # the walk's key is a tuple of this many entries at most
ENABLED = True       # a switch for A/B runs (bench/ab_program.py with and without): not a user setting

_plans: "OrderedDict[tuple, Plan]" = OrderedDict()
_lock = threading.Lock()
_seen: "OrderedDict[int, None]" = OrderedDict()  # hashes of structures planned once as they were
MAX_SEEN = 4096
_counts = {"hits": 0, "misses": 0, "first": 0}


class KeptSteps(list):
    """(s16 lazyrt) A kept plan's steps, run again at every call of its structure, with what the runtime decides
    from the steps alone kept beside them (``memo``: which values die after which step, ``evaluate._run_steps``).
    A list still: every reader of steps takes it as one."""
    __slots__ = ("memo",)

    def __init__(self, steps):
        super().__init__(steps)
        self.memo = {}


class Plan:
    """The steps planned on a template graph: its roots, and its placeholder leaves in the walk's order."""
    __slots__ = ("steps", "roots", "leaves")

    def __init__(self, steps: list, roots: list[Node], leaves: list[Node]):
        self.steps, self.roots, self.leaves = steps, roots, leaves


def counts() -> dict:
    """Hits, misses (a template planned) and first sightings (planned as it was) since ``forget``."""
    return dict(_counts)


def forget() -> None:
    with _lock:
        _plans.clear()
        _seen.clear()
        _counts.update(hits=0, misses=0, first=0)


def steps_for(roots: list[Node], plan) -> tuple[list, list[Node], dict]:
    """(steps, the roots they compute, env binding their leaves) for `roots`: a kept plan's, or a new one's kept
    now; or the roots' own plan (empty env) where the graph is not kept (see the module's docstring). `plan`:
    the planner (``schedule.plan``, as runtime/evaluate.py names it: tests count its calls there)."""
    found = _walk(roots) if ENABLED else None
    if found is None:
        return plan(roots), roots, {}
    key, leaves = found
    entry = _plans.get(key)
    if entry is None:
        if _first_sighting(key):  # planned as it is: a graph seen once is not worth a template (below)
            return plan(roots), roots, {}
        entry = _template_plan(roots, leaves, plan)
        with _lock:
            _counts["misses"] += 1
            _plans[key] = entry
            if len(_plans) > MAX_PLANS:
                _plans.popitem(last=False)
    else:
        with _lock:
            _counts["hits"] += 1
            if key in _plans:
                _plans.move_to_end(key)
    env = {id(t): leaf.data for t, leaf in zip(entry.leaves, leaves)}
    return entry.steps, entry.roots, env


def _first_sighting(key: tuple) -> bool:
    """Whether `key` is new (now remembered by its hash). A template costs about one more plan (the graph rebuilt:
    0.6 ms more for logistic_regression's), so the first graph of a structure is planned as it is and the second
    is planned on a template; a structure never repeated (a lazy loop's ever longer chain) pays only the walk.
    (A hash collision only makes a template one call early.)"""
    h = hash(key)
    with _lock:
        if h in _seen:
            return False
        _seen[h] = None
        _counts["first"] += 1
        if len(_seen) > MAX_SEEN:
            _seen.popitem(last=False)
    return True


def _walk(roots: list[Node]):
    """(the structure key of `roots`' graph, its leaves in first-visit order), or None: a graph too big or with a
    leaf that is not an in-memory array."""
    key: list = [len(roots)]
    append = key.append
    position: dict[int, int] = {}
    leaves: list[Node] = []
    stack = list(reversed(roots))
    pop, push = stack.pop, stack.append
    seen = 0  # len(position)
    while stack:
        node = pop()
        nid = id(node)
        at = position.get(nid)
        if at is not None:
            append(at)  # met again: the sharing
            continue
        position[nid] = seen
        seen += 1
        args = node.args
        if args:
            append((node.sid, node.shape))
            if len(args) == 1:  # (s16 lazyrt) the common arities without reversed()'s iterator: ~300 nodes a call
                push(args[0])
            elif len(args) == 2:
                push(args[1])
                push(args[0])
            else:
                stack.extend(reversed(args))
        elif node.op == LEAF:
            if type(node.data) is not np.ndarray:
                return None
            append((node.sid, node.shape))
            leaves.append(node)
        elif node.op == CONST:
            bits = _bits(node.data)
            if bits is None:
                return None
            append((node.sid, node.params.weak, bits))
        elif node.op in GENERATORS:
            append((node.sid, node.shape))
        else:
            return None  # a leaf whose data is not in memory (a dask array): external.py runs it
        if seen > MAX_NODES:
            return None
    return tuple(key), leaves


def _bits(value):
    """``expr.value_key`` of a constant (exact: -0.0 is not 0.0), or None for a value it does not know."""
    try:
        return expr.value_key(value)
    except (AttributeError, TypeError):
        return None


def _template_plan(roots: list[Node], leaves: list[Node], plan) -> Plan:
    """Plan a copy of the graph whose leaves are placeholders (an array of the leaf's dtype and shape broadcast
    from one element: strides 0, read-only; nothing reads it, every run binds the call's arrays instead)."""
    copies: dict[int, Node] = {}
    placeholders = []
    for leaf in leaves:
        ph = expr.leaf(np.broadcast_to(np.empty((), leaf.dtype), leaf.shape))
        copies[id(leaf)] = ph
        placeholders.append(ph)
    for node in expr.walk(roots):
        if id(node) in copies:
            continue
        if not node.args:  # constants and generators hold no user data: the same nodes
            copies[id(node)] = node
            continue
        args = tuple([copies[id(a)] for a in node.args])
        copies[id(node)] = expr.make(node.op, args, node.params, node.shape, node.dtype)
    template = [copies[id(r)] for r in roots]
    return Plan(KeptSteps(plan(template)), template, placeholders)
