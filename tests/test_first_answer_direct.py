"""A new expression's first answer, its own Python cut (#14 bgfirst4, docs/runtime.md "seventh round").

Counted and compared, never timed:

- ``serial_first._evaluate`` calls each ufunc node and sum/prod/max/min's ufunc ``reduce`` directly under one
  ``np.errstate``; every value must be the bytes the reference evaluator (``graph/reference.apply``, node by node:
  the path before) and NumPy's own expression give, over dtypes that need casts (float16, int8 wraparound, int32
  with float64, bool sums, dtype=), NaN in max/min, 0-d results and the nodes still left to the reference
  (argmax, any, cumsum, keepdims' reshape);
- ``reductions._result_dtype`` remembers its answers: a second ask gives the same dtype, and an error (an empty
  input without identity, a dtype= NumPy refuses) is raised again, never remembered;
- the idle-CPU check reads /proc/loadavg through a descriptor kept open: a descriptor closed behind its back is
  opened again.
"""
import os

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
from lazyarr.api import reductions
from lazyarr.compiler import cache
from lazyarr.graph import reference
from lazyarr.graph.expr import CONST, LEAF
from lazyarr.runtime import block_helper, serial_first
from lazyarr.runtime import plans as kept_plans

rng = np.random.default_rng(1404)
F = rng.standard_normal(500)
G = rng.standard_normal(500)
X = rng.standard_normal((20, 25))
H = F.astype(np.float16)
I8 = rng.integers(-128, 127, 500, dtype=np.int8)
I32 = rng.integers(-1000, 1000, 500, dtype=np.int32)
B = F > 0
N = F.copy()
N[7] = np.nan

# name -> (function of the module M and the arrays, the arrays): NumPy's expression, and lazyarr's over la.array
CASES = {
    "float16 arithmetic": (lambda M, h: h * 3 - h / 7, (H,)),
    "int8 wraparound": (lambda M, i: i * i * 3 - i, (I8,)),
    "int32 with float64 (casts)": (lambda M, i, f: M.sin(i) + i * f, (I32, F)),
    "float32 sum and prod": (lambda M, f: (f * 2).sum() + (f / 10 + 1).prod(), (F.astype(np.float32),)),
    "bool sum": (lambda M, b: (b & b).sum(), (B,)),
    "int8 sum with dtype=": (lambda M, i: (i + i).sum(dtype=np.int32), (I8,)),
    "float32 summed in float64 (dtype=)": (lambda M, f: (f / 3).sum(dtype=np.float64), (F.astype(np.float32),)),
    "max with a NaN": (lambda M, n: (n * 2).max() - (n + 1).min(), (N,)),
    "int32 min over rows": (lambda M, i: (i * 3).reshape(20, 25).min(axis=1), (I32,)),
    "0-d result of an ufunc": (lambda M, f, g: M.sqrt((f * g).sum() ** 2) * 2, (F, G)),
    "mean and std over rows": (lambda M, x: (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True),
                               (X,)),
    "argmax, any, cumsum (the reference's)": (lambda M, f, g: M.cumsum(f * g)[(f - g).argmax()] + (f > g).any(),
                                              (F, G)),
}


def _old_evaluate(order):
    """The evaluation before this round: ``reference.apply`` node by node (its own errstate per node)."""
    values = {}
    for node in order:
        if node.op == LEAF:
            values[id(node)] = node.data
        elif node.op == CONST:
            values[id(node)] = np.asarray(node.data, dtype=node.dtype)
        else:
            values[id(node)] = reference.apply(node, [values[id(a)] for a in node.args])
    return values[id(order[-1])]


@pytest.mark.parametrize("case", list(CASES))
def test_the_direct_calls_give_the_reference_evaluators_and_numpys_bytes(case):
    f, arrays = CASES[case]
    with np.errstate(all="ignore"):
        want = np.asarray(f(np, *arrays))
    root = f(np, *map(la.array, arrays))._node
    order = serial_first._small_graph(root, config.parallel_threshold())
    assert order is not None  # every case is a first answer's graph
    got, old = serial_first._evaluate(order), _old_evaluate(order)
    assert got.dtype == want.dtype == old.dtype and got.shape == want.shape
    assert got.tobytes() == old.tobytes() == np.asarray(want).tobytes(), case
    assert got.flags.owndata and got.flags.writeable
    assert not any(np.may_share_memory(got, a) for a in arrays)


@pytest.fixture
def fresh(monkeypatch):
    """Background compilation on, no structure seen yet; the plan jobs recorded, never run."""
    monkeypatch.setattr(serial_first, "_seen", set())
    monkeypatch.setattr(kept_plans, "_plans", type(kept_plans._plans)())
    monkeypatch.setattr(kept_plans, "_seen", type(kept_plans._seen)())
    handed = []
    monkeypatch.setattr(cache, "plan_later", handed.append)
    config.set_background_compile(True)
    yield handed
    config.set_background_compile(None)


@pytest.mark.parametrize("case", ["float16 arithmetic", "int32 with float64 (casts)", "max with a NaN",
                                  "0-d result of an ufunc", "mean and std over rows"])
def test_a_first_answer_through_the_public_path_is_numpys(fresh, case):
    f, arrays = CASES[case]
    with np.errstate(all="ignore"):
        want = np.asarray(f(np, *arrays))
    answered = serial_first.answered()
    with np.errstate(all="raise"):  # the answer's own error state: NumPy's warnings are not the user's errors
        got = np.asarray(f(np, *map(la.array, arrays)))
    assert serial_first.answered() == answered + 1 and len(fresh) == 1
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_a_reductions_result_dtype_is_remembered_and_its_errors_are_not(monkeypatch):
    monkeypatch.setattr(reductions, "_result_dtypes", {})
    probes = []
    probe = reductions._probe
    monkeypatch.setattr(reductions, "_probe", lambda node: probes.append(node.shape) or probe(node))
    x = la.array(rng.integers(0, 9, (4, 5), dtype=np.int16))
    first, second = x.sum(axis=1), (x * 2).sum(axis=1)
    assert first.dtype == second.dtype == np.sum(np.ones((4, 5), np.int16), axis=1).dtype
    assert len(probes) == 1  # the second reduction of the same kind asked NumPy nothing
    assert x.sum(axis=1, dtype=np.float32).dtype == np.float32 and len(probes) == 2
    empty = la.array(np.ones((0, 3)))
    for _ in range(2):  # NumPy's error for an empty input without identity, each time
        with pytest.raises(ValueError, match="zero-size array"):
            empty.max(axis=0)
    for _ in range(2):  # an unhashable dtype= is NumPy's to refuse, each time
        with pytest.raises(TypeError):
            x.sum(dtype=[1, 2])


def test_the_idle_cpu_check_opens_its_file_again_after_a_close_behind_its_back(tmp_path, monkeypatch):
    path = tmp_path / "loadavg"
    path.write_bytes(b"0.52 0.61 0.70 1/412 9876\n")
    monkeypatch.setattr(block_helper, "LOADAVG", str(path))
    monkeypatch.setattr(block_helper, "_cpus", lambda: 2)
    assert block_helper._cpu_idle_now() is True
    _, fd = block_helper._loadavg
    os.close(fd)  # e.g. a daemon closing every descriptor
    block_helper._cpu_idle_now()  # answers from the load average this once
    path.write_bytes(b"7.1 6.9 6.5 64/980 12\n")
    assert block_helper._cpu_idle_now() is False  # read through a new descriptor
    assert block_helper._loadavg[0] == str(path)
    monkeypatch.undo()
    block_helper._cpu_idle_now()  # back on /proc/loadavg (the next test's file)
