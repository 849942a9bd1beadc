"""Graph breaks inside @lazyarr.fuse (#15): a NumPy function that branches on values, loops to convergence,
asks for .item()/float()/np.asarray, or calls code lazyarr cannot see gives what the undecorated function
gives; decisions are guards, so later calls replay the compiled segments and trace again only when a guard
fails; a break no guard can stand for runs the signature eagerly with one warning. Also scipy.stats.norm
written as SciPy inside a fused function fuses."""
import threading
import warnings

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats

import lazyarr as la
from lazyarr.tracer import segments
from oracle import assert_same

X = np.linspace(-1.0, 2.0, 40)  # float64 throughout: one set of kernels shared by the tests


def loads():
    """Kernels brought into memory so far (compiled, or loaded from Numba's disk cache)."""
    info = la.cache_info()
    return info.compiles + info.disk_hits


def same(got, want, ulp=2):
    """NumPy's type, dtype and shape; values within `ulp` (sin and cos are lazyarr's vectorised ones)."""
    if isinstance(want, tuple):
        assert type(got) is tuple and len(got) == len(want)
        for g, w in zip(got, want):
            same(g, w, ulp)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert_same(got, want, ulp=ulp)
    else:
        assert type(got) is type(want) and got == want, (got, want)


def branch(a):
    if a.sum() > 0:
        return np.sin(a) * 2.0
    return np.cos(a) - 1.0


def test_a_branch_that_flips_between_calls_traces_once_per_side_and_both_variants_are_cached():
    f = la.fuse(branch)
    same(f(X), branch(X))
    same(f(-X), branch(-X))
    assert f.cache_info().traces == 2 and f.cache_info().currsize == 2
    before = loads()
    for x in (X + 1.0, -X - 1.0, X * 3.0, -X):  # new values, same branches: replayed
        same(f(x), branch(x))
    info = f.cache_info()
    assert (info.traces, info.misses, info.hits) == (2, 2, 4)
    assert loads() == before  # the replays compiled nothing


def converge(a, tol):
    """Halve the distance to 2 until within tol (a while loop on an array value)."""
    x = a * 1.0
    err = np.abs(x - 2.0).max()
    steps = 0
    while err > tol:
        x = x - 0.5 * (x - 2.0)
        err = np.abs(x - 2.0).max()
        steps += 1
    return x, steps


def test_a_convergence_loop_equals_numpy_and_replays_when_it_takes_as_many_steps():
    f = la.fuse(converge)
    same(f(X, 1e-3), converge(X, 1e-3))
    # (traced twice: tol became a plain value at the first break, see docs/fuse.md)
    traces, loaded = f.cache_info().traces, loads()
    same(f(X + 0.25, 1e-3), converge(X + 0.25, 1e-3))  # as many steps: the guards hold
    assert f.cache_info().traces == traces and loads() == loaded
    same(f(X * 10.0, 1e-3), converge(X * 10.0, 1e-3))  # more steps: a guard fails, a new variant
    assert f.cache_info().traces == traces + 1 and f.cache_info().currsize == 2
    same(f(X, 1e-6), converge(X, 1e-6))  # a number in a traced function with breaks is a static value


def test_live_arrays_become_segment_inputs_so_a_loop_graph_does_not_grow():
    f = la.fuse(converge)
    before = loads()
    same(f(X[:9], 1e-9), converge(X[:9], 1e-9))  # about 35 iterations
    assert loads() - before <= 6  # the same few kernels every iteration, not one per graph depth
    text = f.explain(X[:9], 1e-9)
    final = text.rsplit("(final)", 1)[1]
    assert final.count("= input") <= 2, final  # the final segment starts from the last iteration's x


def values(a):
    s = float(a.max())
    t = a.min().item()
    n = int((a > 0).sum())  # a data-dependent shape
    return a / s + t, a[:n] * 2.0, bool(a.min() < 0), n


def test_item_float_int_bool_and_a_data_dependent_shape():
    f = la.fuse(values)
    for x in (X, X, X * 2.0, X[::-1].copy()):
        same(f(x), values(x))
    # value guards: X * 2 has a new maximum and traces again; reversed X has X's max, min and count: replayed
    assert f.cache_info().traces == 2 and f.cache_info().hits == 2


def test_np_asarray_to_pure_python_runs_eagerly_with_one_warning_and_explains_why():
    def to_list(v):
        return np.asarray(v).tolist()

    def f(a):
        doubled = to_list(a * 2.0)
        return np.array(doubled) + a

    fused = la.fuse(f)
    with pytest.warns(la.EagerWarning, match="np.asarray"):
        same(fused(X), f(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once
        same(fused(X * 3.0), f(X * 3.0))
        same(fused(-X), f(-X))
    assert fused.cache_info().traces == 1  # later calls run the body eagerly, not traced
    text = fused.explain(X)
    assert "runs eagerly" in text and "np.asarray()" in text and "test_fuse_breaks.py:" in text


def test_an_unknown_function_runs_as_numpy_inside_fuse():
    def f(a):
        w = np.i0(np.outer(a, a))[0]  # (np.i0 has no lazy rule: NumPy's fallback)
        return np.sqrt(w) * a.sum() + a

    fused = la.fuse(f)
    x = X[:6]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.NumPyFallbackWarning)
        with pytest.warns(la.EagerWarning, match="i0"):
            np.testing.assert_allclose(fused(x), f(x), rtol=1e-12)
        np.testing.assert_allclose(fused(x + 1.0), f(x + 1.0), rtol=1e-12)


def test_the_variant_bound_makes_a_signature_eager_with_one_warning():
    def f(a):
        return a / float(a.sum())  # a value guard: every new sum is a new variant

    fused = la.fuse(f)
    caught = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(segments.MAX_VARIANTS + 4):
            x = X + i
            same(fused(x), f(x))
    eager = [w for w in caught if issubclass(w.category, la.EagerWarning)]
    assert len(eager) == 1 and "variants" in str(eager[0].message)
    assert fused.cache_info().traces == segments.MAX_VARIANTS + 1  # then no more traces
    assert "runs eagerly" in fused.explain(X)


def test_explain_lists_segments_breaks_guards_and_kernels():
    f = la.fuse(branch)
    text = f.explain(X)
    line = branch.__code__.co_firstlineno + 1
    assert "2 segment(s), 1 graph break(s)" in text
    assert f"bool() at {__file__}:{line}" in text and "if a.sum() > 0" in text
    assert "guard: branch taken: True" in text and "(final)" in text
    assert "def kernel" in text or "define void" in text  # a kernel's source: Numba's, or the quick tier's IR (#14)
    plain = la.fuse(lambda a: np.sin(a) + 1.0).explain(X)
    assert "1 segment(s), 0 graph break(s)" in plain


def test_inputs_are_not_modified_and_results_are_fresh():
    f = la.fuse(converge)
    x = X.copy()
    first, _ = f(x, 1e-3)
    first[:] = 0.0
    second, _ = f(x, 1e-3)
    assert_same(x, X)
    same(second, converge(X, 1e-3)[0])


def test_breaks_in_a_helper_and_errors_after_a_break_are_numpys():
    def helper(v):
        return v * 2.0 if v.max() > 0 else v

    def f(a, b):
        c = helper(a)
        if c.sum() > 1:
            return c + b  # b's shape does not broadcast: NumPy's ValueError
        return c

    fused = la.fuse(f)
    same(fused(X, X), f(X, X))
    with pytest.raises(ValueError, match="broadcast"):
        fused(X, X[:3])


OUTSIDE = la.array(np.linspace(0.0, 1.0, 40)) * 2.0  # a LazyArray made before any call


def test_a_boolean_mask_global_lazy_arrays_and_caught_exceptions():
    def masked(a):
        return a[a > 0].sum() * 2.0 + a  # the mask's values decide the shape: an eager signature

    def reads_global(a):
        g = OUTSIDE + 0.0  # in the function's frame at the break, but not made from its arguments
        return g + a if (a.max() > 0) else g - a

    def catches(a, k):
        try:
            s = float(a.sum())  # k is traced: the break makes it a plain value (the trace restarts)
        except Exception:
            s = 0.0
        return a * k + s

    with pytest.warns(la.EagerWarning, match="index"):
        same(la.fuse(masked)(X), masked(X))
    fused = la.fuse(reads_global)
    same(fused(X), reads_global(X).compute())  # (undecorated, it returns a LazyArray: OUTSIDE is one)
    same(fused(-X), reads_global(-X).compute())
    assert OUTSIDE._node.op != "leaf"  # not replaced by a trace's placeholder
    same(OUTSIDE.compute(), np.linspace(0.0, 1.0, 40) * 2.0)
    same(la.fuse(catches)(X, 3.0), catches(X, 3.0))


def test_nested_fused_functions_and_threads_with_breaks():
    inner = la.fuse(branch)

    def outer(a, call=inner):
        b = call(a * 2.0)  # inner fused function inlined: its break is the outer trace's
        return b * 3.0 if b.max() > 1.0 else b

    fused = la.fuse(outer)
    errors = []

    def work(sign):
        try:
            for _ in range(3):
                same(fused(sign * X), outer(sign * X, branch))
        except Exception as exc:  # reported below: pytest does not see a thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1.0, -1.0, 1.0, -1.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert inner.cache_info().traces == 0  # called with traced values: inlined, never traced itself


def test_lazy_arguments_get_values_at_breaks():
    f = la.fuse(branch)
    got = f(la.array(X))
    assert isinstance(got, la.LazyArray)
    same(got.compute(), branch(X))
    assert f.cache_info().traces == 0


def test_segments_run_parallel_kernels(parallel_threshold):
    parallel_threshold(16)
    f = la.fuse(branch)
    same(f(X), branch(X))
    assert "parallel=True" in f.explain(X)


def scipy_stats_inside(b):
    return (scipy.stats.norm.isf(b), scipy.stats.norm.cdf(b, loc=0.5, scale=2.0) + sp.ndtr(b),
            scipy.stats.norm(1.0, 3.0).logpdf(b))


def test_scipy_stats_norm_written_as_scipy_fuses_inside_fuse():
    f = la.fuse(scipy_stats_inside)
    b = np.linspace(0.01, 0.99, 40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no break, no eager run
        got = f(b)
    want = scipy_stats_inside(b)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=1e-14, atol=0)
    assert not any(name in type(scipy.stats.norm).__dict__ for name in ("isf", "cdf"))  # restored
    isf = la.fuse(lambda b: scipy.stats.norm.isf(b)).explain(b)
    assert "0 graph break(s)" in isf and "schedule: 1 step(s), 1 fused kernel(s)" in isf
    same(scipy.stats.norm.isf(b), want[0])  # SciPy itself is untouched outside the trace


@pytest.mark.parametrize("method", ["cdf", "sf", "logcdf", "logsf", "pdf", "logpdf", "ppf", "isf"])
def test_scipy_stats_norm_with_loc_and_scale_arguments_of_the_fused_function(method):
    """(s14) loc and scale passed as Python numbers are traced: their stand-ins (NaN) were read and baked into
    the kernel (every answer NaN). Now they stay nodes bound per call, as float64 values (SciPy's asarray)."""
    def call(b, loc, scale):
        return getattr(scipy.stats.norm, method)(b, loc, scale=scale)

    f = la.fuse(call)
    b = np.linspace(0.01, 0.99, 40) if method in ("ppf", "isf") else np.linspace(-3.0, 3.0, 40)
    for b_ in (b, b.astype(np.float32)):
        for loc, scale in ((0.5, 1.5), (-1.5, 2.5), (0.25, -0.75), (np.nan, 0.5)):
            got, want = f(b_, loc, scale), call(b_, loc, scale)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    assert f.cache_info().hits > 0  # replayed with the call's numbers, not retraced for each


def _filled(x, v):
    y = x.copy()
    y.fill(v)
    return y


@pytest.mark.parametrize("program", [
    _filled,
    lambda x, v: np.diff(x, prepend=v),
    lambda x, v: np.append(x, v),
    lambda x, v: np.diff(x, append=[v, 2.0 * v]),
], ids=["fill", "diff_prepend", "append", "diff_append_list"])
def test_a_number_whose_value_builds_an_array_is_static(program):
    """(s14) These read a traced number's value to build an array (a leaf): the stand-in (a NaN) was baked into
    the program and every call answered with it. The trace now finds a stand-in in the arrays it made and
    traces again with the number static (traced.leaked_stand_ins)."""
    f = la.fuse(program)
    x = np.linspace(-2.0, 2.0, 9)
    for v in (1.25, 2.75, 1.25):
        got, want = f(x, v), program(x, v)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert f.cache_info().hits == 1  # the third call (1.25 again) reuses the first's program


def test_isinstance_of_a_number_argument_sees_its_own_class():
    """(s14) A traced number is a tracer object; ``isinstance(k, complex)`` was False for a complex k, so a branch
    on it took the other side silently. The tracer reports the number's class to the user's code (it is part of
    the signature), and lazyarr's own code still sees a tracer."""
    def branch(a, k):
        if isinstance(k, complex):
            return a
        return a * k if isinstance(k, float) else a + k

    f = la.fuse(branch)
    x = np.arange(6, dtype=np.int16)
    for k in (1.5 + 2j, 2.5, 3, 2.5, 0.5 + 1j, 3):
        got, want = f(x, k), branch(x, k)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert f.cache_info().hits >= 2


def test_explain_names_traced_numbers_instead_of_their_stand_ins():
    # a Python number traced as an argument is a constant bound per call: explain() says so (its stand-in value,
    # a NaN with a payload, would read as a NaN in the user's program)
    text = la.fuse(lambda a, k, s: a * k + s ** 2).explain(X, 2.5, 0.1)
    assert "scalar float64 = traced number (argument 1), bound per call" in text
    assert "traced number (computed in Python from argument(s) 2), bound per call" in text
    assert "nan" not in text.split("schedule:")[0]
