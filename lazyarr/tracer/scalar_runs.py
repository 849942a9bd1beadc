"""Runs of 0-d ufunc stages in a fused program, replayed as one generated Python function.

A Python loop of scalar work (``trace += np.tanh(a[i, i])`` over 4,000 elements) traces into thousands of 0-d
ufunc stages. ``scalar_ufuncs.ScalarUfuncs`` already groups consecutive ones; replaying such a group call by call
still paid, per operation, a list of operands, a slot store and an ``np.asarray`` (~5 us against NumPy's
~0.5 us for the scalar operation itself). Here a group becomes straight-line source: each value a local
variable, each operation one ufunc call, and only the values something outside the group reads stored back
into the program's slots (as 0-d arrays of the node's dtype, as the stages stored them).

Operands enter the function as NumPy scalars (``x[()]`` of a 0-d array): a ufunc costs ~0.6 us on a scalar
and ~2 us on a 0-d array. ``+ - * /`` of two floats of the same dtype are NumPy's scalar operators, which
compute the same IEEE operation as the ufunc loop (and are ~20x cheaper than calling the ufunc, 0.15 us against
2.7 us); every other operation calls its ufunc.

Why the values are exact: every operand of a grouped stage is already of its loop's dtype (checked when the
stage joined the group), so NumPy picks that loop for the scalars as it did for the 0-d arrays, and the
result is the loop's output dtype. The error state is the evaluator's (``all="ignore"``), entered once.
"""
from __future__ import annotations

import operator

import numpy as np

# Ufuncs whose Python operator on two NumPy scalars of one float dtype is the same IEEE operation, much cheaper.
_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/"}
_OPERATOR_DTYPES = frozenset([np.dtype(np.float64)])

_TEMPLATE = """\
def scalar_run(v, cv):
{loads}
    with errstate(all="ignore"):
{body}
{stores}
"""


def compile_run(calls: list, stored: set[int]):
    """The op replaying `calls` (``(ufunc, operands, result slot, dtype)`` in order; an operand is a slot, or
    ``("k", value)`` a fixed constant, ``("m", j)`` the call's computed constant j) as one function;
    `stored`: the result slots something after the run reads."""
    produced = {out for _, _, out, _ in calls}
    inputs = sorted({s for _, slots, _, _ in calls for s in slots if type(s) is int and s not in produced})
    mapped = sorted({s[1] for _, slots, _, _ in calls for s in slots if type(s) is not int and s[0] == "m"})
    names: dict = {}   # id of a ufunc, dtype or fixed constant -> its name in the generated module's namespace
    namespace = {"errstate": np.errstate, "asarray": np.asarray, "scalar": _scalar}

    def name_of(obj, prefix: str) -> str:
        if id(obj) not in names:
            names[id(obj)] = f"{prefix}{len(names)}"
            namespace[names[id(obj)]] = _scalar(obj)
        return names[id(obj)]

    def operand(x) -> str:
        if type(x) is int:
            return f"s{x}"
        return f"m{x[1]}" if x[0] == "m" else name_of(x[1], "k")

    body = [f"        s{out} = {_expression(ufunc, [operand(x) for x in slots], dtype, name_of)}"
            for ufunc, slots, out, dtype in calls]
    stores = [f"    v[{out}] = asarray(s{out}, {name_of(dtype, 'd')})"
              for _, _, out, dtype in calls if out in stored]
    loads = [f"    s{s} = scalar(v[{s}])" for s in inputs] + [f"    m{j} = scalar(cv[{j}])" for j in mapped]
    source = _TEMPLATE.format(loads="\n".join(loads) or "    pass",
                              body="\n".join(body), stores="\n".join(stores) or "    pass")
    exec(compile(source, "<lazyarr scalar run>", "exec"), namespace)  # noqa: S102  (source built above)
    run = namespace["scalar_run"]
    run.source = source  # (for explain and tests)
    return run


def _expression(ufunc, operands: list, dtype: np.dtype, name_of) -> str:
    """The Python expression of one grouped call: a scalar operator where it is the ufunc's own operation."""
    if ufunc in _OPERATORS and dtype in _OPERATOR_DTYPES and len(operands) == 2:
        return f" {_OPERATORS[ufunc]} ".join(operands)
    return f"{name_of(ufunc, 'u')}({', '.join(operands)})"


def _scalar(value):
    """A 0-d array's NumPy scalar (what the ufuncs are cheapest on); anything else as it is."""
    return value[()] if type(value) is np.ndarray else value


def compile_runs(ops: list, reads: list, keep: set, run_type) -> list:
    """`ops` with each ``run_type`` group (``scalar_ufuncs.ScalarUfuncs``) replaced by its generated function.
    `reads`: per op, the slots it reads; `keep`: slots read when the call returns (outputs, views)."""
    out = list(ops)
    for i, op in enumerate(ops):
        if type(op) is not run_type or len(op.calls) < 2:
            continue
        read_elsewhere = set(keep)
        for j, slots in enumerate(reads):
            if j != i:
                read_elsewhere |= slots
        out[i] = compile_run(op.calls, {o for _, _, o, _ in op.calls if o in read_elsewhere})
    return out
