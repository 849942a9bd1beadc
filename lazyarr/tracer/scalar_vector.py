"""(s13 gofast) A run of 0-d ufunc stages that is a loop of scalar work, replayed as a few array ufunc calls.

``trace += np.tanh(a[i, i])`` over 4,000 elements, in a program whose scalar result feeds a large map (go_fast:
``a + trace``), is hoisted out of that map as 0-d stages, which ``scalar_runs`` replays as generated Python:
one NumPy scalar operation per stage (~0.3 us each) after binding 4,000 element views, 1.3 ms a call against
NumPy's own loop 0.9 ms. Its stages are of two kinds:

* a *chain*: ``c_k = u(c_{k-1}, x_k)`` for one binary ufunc ``u`` of one dtype (the ``+=``), each result read
  by the next step alone;
* *free* work, which no chain value reaches (the ``tanh``, a product ``a[i, j] * b[j, i]``).

The free stages are grouped by depth and by (ufunc, dtype): each group is one ufunc call on arrays of its
operands (elements gathered from their array with one fancy index, earlier groups' results, constants). The
chain is ``u.accumulate`` over ``[c_0, x_1, x_2, ...]``, which NumPy computes strictly in order
(``out[k] = u(out[k-1], in[k])``), as the ``+=`` loop does.

Why the bits are NumPy's: every stage's operands are of its loop's dtypes (``scalar_ufuncs.scalar_ufunc``), so each
array call runs the same inner loop the scalar call ran, element by element (NumPy's loops, SIMD ones too,
compute each element on its own), and the accumulation is the same operations in the same order. A chain
step written ``x + c`` (the carry second) is taken only for ``add`` and ``multiply``, which are commutative
(up to which of two NaN operands' payload survives).
"""
from __future__ import annotations

import numpy as np

MIN_STAGES = 16  # shorter runs stay generated Python: the array calls cost more than a few scalar ones
_COMMUTATIVE = (np.add, np.multiply)

_stats = {"runs": 0, "stages": 0}


def stats() -> dict:
    """How many runs this process replaced, and how many stages they stand for (tests, profiling)."""
    return dict(_stats)


def vector_run(calls: list, stored: set, elements: dict):
    """The op computing `calls` (``(ufunc, operands, result slot, dtype)``, as ``scalar_runs.compile_run``
    takes them) with array calls, or None where the run is not chains with free work around them. `stored`:
    result slots read after the run, each the end of one chain (a loop's accumulators); `elements`: slot ->
    (source slot, index) of element views."""
    if len(calls) < MIN_STAGES or not stored:
        return None
    maker = {out: j for j, (_, _, out, _) in enumerate(calls)}
    uses: dict[int, int] = {}
    for _, operands, _, _ in calls:
        for x in operands:
            if type(x) is int and x in maker:
                uses[x] = uses.get(x, 0) + 1
    if not stored <= maker.keys():
        return None
    # in evaluation order: a chain may start from another's last value (a value read mid-loop), stored first
    chains = [_chain(calls, maker[out], maker, uses, stored) for out in sorted(stored, key=maker.get)]
    if any(c is None for c in chains):
        return None
    in_chains = [j for steps, _ in chains for j in steps]
    if len(set(in_chains)) != len(in_chains):
        return None  # two accumulators sharing steps
    chain_values = {calls[j][2] for j in in_chains}
    free = [j for j in range(len(calls)) if j not in set(in_chains)]
    if any(type(x) is int and x in chain_values for j in free for x in calls[j][1]):
        return None  # free work that reads a chain: each step waits for the last
    level = {}
    for j in free:  # calls are in evaluation order: operands' levels are known
        level[j] = 1 + max([level[maker[x]] for x in calls[j][1] if type(x) is int and x in maker] or [-1])
    groups: dict[tuple, list[int]] = {}
    for j in free:
        ufunc, operands, _, dtype = calls[j]
        groups.setdefault((level[j], ufunc, dtype, len(operands)), []).append(j)
    where: dict[int, tuple] = {}  # result slot -> (group number, position in its result, the group's size)
    plan = []
    for g, ((_, ufunc, dtype, n), members) in enumerate(sorted(groups.items(), key=lambda kv: kv[0][0])):
        columns = [_column([calls[j][1][p] for j in members], where, elements) for p in range(n)]
        if any(c is None for c in columns):
            return None
        plan.append((ufunc, dtype, columns))
        for q, j in enumerate(members):
            where[calls[j][2]] = (g, q, len(members))
    accumulations = []
    for steps, carry_at in chains:
        first = calls[steps[0]][1][carry_at[0]]
        xs = [calls[j][1][1 - at] for j, at in zip(steps, carry_at)]
        column = _column([first] + xs, where, elements)
        if column is None:
            return None
        accumulations.append((calls[steps[0]][0], calls[steps[0]][3], column, calls[steps[-1]][2]))
    columns = [a[2] for a in accumulations] + [c for p in plan for c in p[2]]
    one_by_one = set().union(*[_slots_read(c) for c in columns])
    gathered = {x for _, operands, _, _ in calls for x in operands
                if type(x) is int and x in elements and x not in one_by_one}
    sources = sorted({elements[x][0] for x in gathered})
    op = _op(plan, accumulations, sources, gathered)
    op.note = (f"a run of {len(calls)} 0-d stages: {len(plan)} array ufunc call(s) for the work around "
               + ", ".join(f"a chain of {len(steps)} {u.__name__} steps (one {u.__name__}.accumulate)"
                           for (steps, _), (u, *_) in zip(chains, accumulations))
               + " (tracer/scalar_vector.py)")
    return op


def _slots_read(column) -> set:
    """The slots a column reads one by one (not through a gather)."""
    if column[0] == "joined":
        return _slots_read(column[1]) | _slots_read(column[2])
    return set(column[1]) if column[0] == "slots" else set()


def _chain(calls: list, last: int, maker: dict, uses: dict, stored: set):
    """(chain stage numbers in order, per stage the carry's operand position), walking back from stage
    `last`, or None. Every chain value but the last is read by the next step alone."""
    ufunc, operands, out, dtype = calls[last]
    if ufunc.nin != 2 or ufunc.nout != 1:
        return None
    steps, carry_at = [last], []
    j = last
    while True:
        operands = calls[j][1]
        back = [p for p, x in enumerate(operands) if type(x) is int and x in maker
                and calls[maker[x]][0] is ufunc and calls[maker[x]][3] == dtype and uses.get(x) == 1
                and x not in stored]
        back = [p for p in back if p == 0 or ufunc in _COMMUTATIVE][:1]  # ``s += expr``: the carry first
        if not back:
            carry_at.append(_first_operand(operands, maker) if ufunc in _COMMUTATIVE else 0)
            break
        carry_at.append(back[0])
        j = maker[operands[back[0]]]
        steps.append(j)
    steps.reverse()
    carry_at.reverse()
    if len(steps) < MIN_STAGES // 2:
        return None
    return steps, carry_at


def _first_operand(operands: list, maker: dict) -> int:
    """The first chain step's carry position: its operand that is not free work (the loop's start value), or 0."""
    for p, x in enumerate(operands):
        if not (type(x) is int and x in maker):
            return p
    return 0


def _column(operands: list, where: dict, elements: dict):
    """How a call gets one operand of every member of a group as one array: ("gather", source slot, index
    arrays) for elements of one array, ("result", group, positions) for an earlier group's results,
    ("fixed", array) for fixed constants, ("slots", [...]) for other values (read one by one); None for a mix."""
    if all(type(x) is int and x in where for x in operands):
        groups = {where[x][0] for x in operands}
        if len(groups) != 1:
            return None
        positions = np.array([where[x][1] for x in operands], dtype=np.intp)
        whole = len(positions) == where[operands[0]][2] and np.array_equal(positions, np.arange(len(positions)))
        return ("result", groups.pop(), None if whole else positions)
    if all(type(x) is int and x in elements for x in operands):
        sources = {elements[x][0] for x in operands}
        if len(sources) == 1:
            index = [elements[x][1][:-1] for x in operands]  # (drop the Ellipsis)
            return ("gather", sources.pop(), tuple(np.array([ix[d] for ix in index], dtype=np.intp)
                                                   for d in range(len(index[0]))))
    if all(type(x) is int and x not in where for x in operands):
        return ("slots", [x for x in operands])
    if all(type(x) is not int and x[0] == "k" for x in operands):
        return ("fixed", np.array([np.asarray(x[1])[()] for x in operands]))
    if all(type(x) is not int and x[0] == "m" for x in operands):
        return ("mapped", [x[1] for x in operands])
    if len(operands) > 1 and all(type(x) is int and x in elements for x in operands[1:]):
        head = _column(operands[:1], where, elements)  # a chain's start value, then its elements
        rest = _column(operands[1:], where, elements)
        if head is not None and rest is not None:
            return ("joined", head, rest)
    if len(operands) > 1 and all(type(x) is int and x in where for x in operands[1:]):
        head = _column(operands[:1], where, elements)
        rest = _column(operands[1:], where, elements)
        if head is not None and rest is not None:
            return ("joined", head, rest)
    return None


def _values(column, v: list, cv: list, results: list):
    kind = column[0]
    if kind == "gather":
        return v[column[1]][column[2]]
    if kind == "result":
        r = results[column[1]]
        return r if column[2] is None else r[column[2]]
    if kind == "fixed":
        return column[1]
    if kind == "slots":
        return np.array([v[s] for s in column[1]])
    if kind == "mapped":
        return np.array([cv[j] for j in column[1]])
    return np.concatenate((_values(column[1], v, cv, results), _values(column[2], v, cv, results)))


def _op(plan: list, accumulations: list, sources: list, gathered: set):
    def vector_run(v, cv):
        with np.errstate(all="ignore"):
            results = []
            for u, dt, columns in plan:
                results.append(u(*[_values(c, v, cv, results) for c in columns]).astype(dt, copy=False))
            for u, dt, column, out in accumulations:
                chain = _values(column, v, cv, results).astype(dt, copy=False)
                v[out] = np.asarray(u.accumulate(chain)[-1], dt)

    vector_run.sources = sources
    vector_run.gathered = gathered
    return vector_run


def vectorise_runs(ops: list, reads: list, views: list, kept: set, v: list, cv: list, run_type
                   ) -> tuple[list, list, list]:
    """(ops, reads, views) with each ``run_type`` group (``scalar_ufuncs.ScalarUfuncs``) that ``vector_run`` takes
    replaced by its op, and the element views only it read (gathered now) dropped. `kept`: slots read when
    the call returns; `v`, `cv`: the first call's values, on which each new op must give the run's bits (it
    is checked there: a run it would compute otherwise stays as it was)."""
    elements = {slot: (source, index) for slot, source, index, *_ in views if type(index) is tuple}
    out_ops, out_reads, dropped = list(ops), list(reads), set()
    for i, op in enumerate(ops):
        if type(op) is not run_type or len(op.calls) < MIN_STAGES:
            continue
        read_elsewhere = set(kept).union(*[r for j, r in enumerate(reads) if j != i])
        stored = {out for _, _, out, _ in op.calls if out in read_elsewhere}
        new = vector_run(op.calls, stored, elements)
        if new is None or not _same_result(new, op.calls, v, cv, stored):
            continue
        out_ops[i] = new
        # its reads: the values it takes from outside the run (the stages' own results are never stored now,
        # and releasing them each call walked thousands of empty slots: 0.3 ms a call for go_fast)
        produced = {out for _, _, out, _ in op.calls}
        out_reads[i] = (reads[i] - new.gathered - produced) | set(new.sources)
        dropped |= {s for s in new.gathered if s not in read_elsewhere}
        _stats["runs"] += 1
        _stats["stages"] += len(op.calls)
    return out_ops, out_reads, [view for view in views if view[0] not in dropped]


def _same_result(op, calls: list, v: list, cv: list, stored: set) -> bool:
    """Whether `op` computes, from the first call's values, the bits the run computed (and stored in `v`)."""
    w = list(v)
    for out in stored:
        w[out] = None
    op(w, cv)
    for out in stored:
        a, b = np.asarray(w[out]), np.asarray(v[out])
        if not (a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()):
            return False
    return True
