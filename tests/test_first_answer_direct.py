"""A new expression's first answer, its own Python cut (#14 bgfirst4, docs/runtime.md "seventh round").

Counted and compared, never timed:

- ``serial_first._evaluate`` calls each ufunc node and sum/prod/max/min's ufunc ``reduce`` directly under one
  ``np.errstate``; every value must be the bytes the reference evaluator (``graph/reference.apply``, node by node:
  the path before) and NumPy's own expression give, over dtypes that need casts (float16, int8 wraparound, int32
  with float64, bool sums, dtype=), NaN in max/min, 0-d results and the nodes still left to the reference
  (argmax, any, cumsum, keepdims' reshape);
- the idle-CPU check reads /proc/loadavg through a descriptor kept open: a descriptor closed behind its back is
  opened again.
"""
import os

import numpy as np
import pytest

import lazyarr as la
from lazyarr import config
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
    lazy = f(np, *map(la.array, arrays))  # (s16 lazyerr: built under "raise" it would be NumPy's now)
    with np.errstate(all="raise"):  # the answer's own error state: NumPy's warnings are not the user's errors
        got = np.asarray(lazy)
    assert serial_first.answered() == answered + 1 and len(fresh) == 1
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


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


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.complex128])
def test_a_float_constant_is_checked_against_finfos_max_without_asking_finfo(monkeypatch, dtype):
    """(#14 bgfirst4) build._float_max is np.finfo(dtype).max, the same NumPy scalar (so a weak float is compared
    in the dtype, with NumPy's overflow warning), and building a float constant asks np.finfo nothing (its first
    call in a process costs ~50 us)."""
    from lazyarr.api import build

    expected = np.finfo(dtype).max
    found = build._float_max(np.dtype(dtype))
    assert type(found) is type(expected) and found == expected
    asked = []
    finfo = np.finfo
    a = np.ones(4, dtype)
    value = 0.1234567 + np.dtype(dtype).itemsize  # a constant no earlier test made
    monkeypatch.setattr(np, "finfo", lambda *args: asked.append(args) or finfo(*args))
    lazy = la.array(a) * value  # building (a compile, when the kernel is not on disk yet, may ask np.finfo)
    monkeypatch.undo()
    want = a * value
    got = np.asarray(lazy)
    assert asked == [] and got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_an_overflowing_float_constant_warns_as_numpy_does():
    a = np.ones(3, np.float16)
    with np.errstate(over="warn"), pytest.warns(RuntimeWarning, match="overflow"):
        want = a * 70000.0
    with np.errstate(over="warn"), pytest.warns(RuntimeWarning, match="overflow"):
        got = np.asarray(la.array(a) * 70000.0)
    assert got.tobytes() == want.tobytes()
