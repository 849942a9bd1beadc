"""(s13 lazycall) Any lazy graph's plan kept by structure and reused with each call's arrays (runtime/plans.py).

Counted, never timed: how many times the runtime planned (``evaluate.plan``), and the answers against NumPy's on
the same inputs. The first graph of a structure is planned as it is, the second on a template kept from then on
(runtime/plans.py: a template costs about one more plan); later graphs over new arrays of the same dtypes and
shapes plan nothing; a different
constant, shape, dtype or sharing of leaves plans again; a changed memory layout reuses the plan (layout is
chosen at run time from the bound arrays) and still gives NumPy's answer; no user array is kept alive.
"""
import gc
import weakref

import numpy as np
import pytest

import lazyarr as la
from lazyarr.runtime import evaluate, plans as kept_plans


@pytest.fixture
def planned(monkeypatch):
    """How many times the runtime planned a graph, as a one-element list; the kept plans start empty."""
    kept_plans.forget()
    count = [0]
    plan = evaluate.plan

    def counting(roots):
        count[0] += 1
        return plan(roots)

    monkeypatch.setattr(evaluate, "plan", counting)
    yield count
    kept_plans.forget()


def _centre(a, b, c=2.0):
    """A graph ``recipes`` does not take (reductions, a broadcast): the plan-every-call case of lazy mode."""
    return (a - a.mean(axis=0)) * c + (b * b).sum(axis=1, keepdims=True)


def _numpy_and_lazy(function, *arrays, **kw):
    want = function(*arrays, **kw)
    got = la.compute(function(*[la.array(x) for x in arrays], **kw))[0]
    return got, want


def test_the_same_structure_over_new_arrays_plans_twice(planned):
    rng = np.random.default_rng(1301)
    for i in range(5):
        a, b = rng.standard_normal((300, 40)), rng.standard_normal((300, 8))
        got, want = _numpy_and_lazy(_centre, a, b)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert planned[0] == min(i + 1, 2), i
    assert kept_plans.counts() == {"hits": 3, "misses": 1, "first": 1}


def test_integer_answers_are_numpys_bits_on_a_hit(planned):
    rng = np.random.default_rng(1302)
    for _ in range(3):
        a = rng.integers(-1000, 1000, (200, 30))
        b = rng.integers(-1000, 1000, (200, 30))
        got = la.compute((la.array(a) * 3 - la.array(b)).sum(axis=1), (la.array(a) * la.array(b)).max(axis=0))
        np.testing.assert_array_equal(got[0], (a * 3 - b).sum(axis=1))
        np.testing.assert_array_equal(got[1], (a * b).max(axis=0))
    assert planned[0] == 2 and kept_plans.counts()["hits"] == 1


def test_a_constant_of_another_value_plans_again(planned):
    rng = np.random.default_rng(1303)
    a, b = rng.standard_normal((100, 20)), rng.standard_normal((100, 4))
    for c in (2.0, 2.0, 3.0, 3.0, 2.0, 3.0):
        got, want = _numpy_and_lazy(_centre, a, b, c=c)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert planned[0] == 4  # 2.0 and 3.0 twice each (as they are, then a template); then each finds its plan
    assert kept_plans.counts()["hits"] == 2


def test_constants_are_told_apart_by_their_bits():
    """0.0 and -0.0 compare equal: a plan that baked in one must not answer for the other."""
    kept_plans.forget()
    x = np.abs(np.random.default_rng(1304).standard_normal((64, 8))) + 1.0
    for c in (0.0, -0.0, 0.0, -0.0):
        got = la.compute((la.array(x) * c).max(axis=1))[0]
        want = (x * c).max(axis=1)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("change", ["shape", "dtype", "sharing"])
def test_a_changed_shape_dtype_or_sharing_plans_again(planned, change):
    rng = np.random.default_rng(1305)
    a, b = rng.standard_normal((120, 10)), rng.standard_normal((120, 3))
    for _ in range(2):  # the second call keeps a template
        got, want = _numpy_and_lazy(_centre, a, b)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    if change == "shape":
        a2, b2 = rng.standard_normal((130, 10)), rng.standard_normal((130, 3))
    elif change == "dtype":
        a2, b2 = rng.standard_normal((120, 10)).astype(np.float32), rng.standard_normal((120, 3))
    else:  # one array for both operands: a graph with one leaf where there were two
        a2 = b2 = rng.standard_normal((120, 10))
    got, want = _numpy_and_lazy(_centre, a2, b2)
    np.testing.assert_allclose(got, want, rtol=1e-5 if change == "dtype" else 1e-12, atol=1e-5)
    assert got.dtype == want.dtype
    assert planned[0] == 3 and kept_plans.counts()["hits"] == 0


@pytest.mark.parametrize("layout", ["F", "transposed", "strided"])
def test_another_memory_layout_reuses_the_plan_with_numpys_answer(planned, layout):
    rng = np.random.default_rng(1306)
    a, b = rng.standard_normal((90, 12)), rng.standard_normal((90, 5))
    _numpy_and_lazy(_centre, a, b)
    _numpy_and_lazy(_centre, a, b)  # the second call keeps a template
    if layout == "F":
        a2 = np.asfortranarray(rng.standard_normal((90, 12)))
    elif layout == "transposed":
        a2 = rng.standard_normal((12, 90)).T
    else:
        a2 = rng.standard_normal((180, 24))[::2, ::2]
    got, want = _numpy_and_lazy(_centre, a2, b)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert planned[0] == 2 and kept_plans.counts()["hits"] == 1


def test_no_user_array_is_kept_alive_by_a_plan(planned):
    rng = np.random.default_rng(1307)
    a, b = rng.standard_normal((400, 100)), rng.standard_normal((400, 9))  # 320 kB: above recipes' small graphs
    refs = [weakref.ref(a), weakref.ref(b)]
    _numpy_and_lazy(_centre, a, b)
    got, want = _numpy_and_lazy(_centre, a, b)  # the second call keeps a template
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert kept_plans.counts()["misses"] == 1
    del a, b, got, want
    gc.collect()
    assert [r() for r in refs] == [None, None]


def test_the_kept_plans_are_bounded(planned, monkeypatch):
    monkeypatch.setattr(kept_plans, "MAX_PLANS", 2)
    rng = np.random.default_rng(1308)
    for rows in (10, 11, 12, 13):
        a, b = rng.standard_normal((rows, 4)), rng.standard_normal((rows, 2))
        for _ in range(2):
            got, want = _numpy_and_lazy(_centre, a, b)
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert len(kept_plans._plans) == 2
    assert planned[0] == 8


def test_a_lazy_program_plans_only_its_first_two_calls(planned):
    """logistic_regression in lazy mode (bench/programs/learning.py): 20 steps, one compute a call."""
    from bench.programs import PROGRAMS, modes
    program = PROGRAMS["logistic_regression"]
    inputs = program.setup(2000)
    want = modes.caller(program, "numpy")(inputs)
    lazy = modes.caller(program, "lazy", la)
    for _ in range(4):
        got = lazy(inputs)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), w, rtol=program.rtol, atol=program.atol)
    assert planned[0] == 2 and kept_plans.counts()["hits"] == 2
