"""(s16 lazyerr) NumPy's floating-point error state in lazy mode: an operation built under np.errstate/np.seterr
asking for raise/call/log/print behaves as NumPy's at that line (api/errstate.py, docs/fuse.md)."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import lazyarr as la
from lazyarr.api import errstate

RAISE_CASES = {
    "divide operator": (lambda v: v / 0, {"divide": "raise"}),
    "floor_divide int": (lambda v: v.astype(np.int64) // 0, {"divide": "raise"}),
    "log ufunc": (lambda v: np.log(v), {"divide": "raise"}),
    "sqrt invalid": (lambda v: np.sqrt(v - 5), {"invalid": "raise"}),
    "overflow multiply": (lambda v: v * 1e308 * 10, {"over": "raise"}),
    "underflow": (lambda v: (v + 1) * 1e-320 * 1e-10, {"under": "raise"}),
    "power operator": (lambda v: (v + 1e200) ** 3, {"over": "raise"}),
    "reflected operator": (lambda v: 1.0 / v, {"divide": "raise"}),
    "np.sum inf-inf": (lambda v: np.sum(v * np.inf - np.inf), {"invalid": "raise"}),
    "sum method": (lambda v: (v + np.array([np.inf, -np.inf, 0.0])).sum(), {"invalid": "raise"}),
    "prod overflow": (lambda v: (v + 1e300).prod(), {"over": "raise"}),
    "mean of empty": (lambda v: v[:0].mean(), {"invalid": "raise"}),
    "cumsum overflow": (lambda v: np.cumsum(v * 1e308), {"over": "raise"}),
    "cumprod method": (lambda v: (v + 1e300).cumprod(), {"over": "raise"}),
    "add.accumulate": (lambda v: np.add.accumulate(v * 1e308), {"over": "raise"}),
    "multiply.reduce": (lambda v: np.multiply.reduce(v + 1e300), {"over": "raise"}),
    "divide.outer": (lambda v: np.divide.outer(v, v), {"invalid": "raise"}),
    "astype nan to int": (lambda v: np.log(v - 1).astype(np.int32), {"invalid": "raise"}),
    "divide keyword out dtype": (lambda v: np.divide(v, 0, dtype=np.float32), {"divide": "raise"}),
    "all='raise'": (lambda v: np.arctanh(v), {"all": "raise"}),
    "scalar divide of a 0-d result": (lambda v: v.sum() / 0, {"divide": "raise"}),
    "ndarray on the left": (lambda v: np.ones(3) / (v * 0), {"divide": "raise"}),
    "float32 overflow": (lambda v: v.astype(np.float32) * np.float32(1e38) * np.float32(10), {"over": "raise"}),
    "int64 scalar overflow": (lambda v: v.astype(np.int64).sum() * np.int64(2**62) * 4, {"over": "raise"}),
}

VALUES = np.array([1.0, 0.0, 2.0])


def _numpy_outcome(fn, modes):
    try:
        with np.errstate(**modes):
            return "value", fn(VALUES.copy())
    except FloatingPointError as exc:
        return "FloatingPointError", str(exc)


def _lazy_outcome(fn, modes):
    x = la.array(VALUES.copy())
    try:
        with np.errstate(**modes):
            result = fn(x)
    except FloatingPointError as exc:
        return "FloatingPointError", str(exc)
    return "value", result.compute() if isinstance(result, la.LazyArray) else result


@pytest.mark.parametrize("case", sorted(RAISE_CASES))
def test_raises_at_the_line_as_numpy(case):
    fn, modes = RAISE_CASES[case]
    expected = _numpy_outcome(fn, modes)
    assert expected[0] == "FloatingPointError"  # (the case is one where NumPy raises)
    assert _lazy_outcome(fn, modes) == expected


def test_no_error_gives_numpy_values_and_dtype():
    """Under a visible state with nothing to report, the result is NumPy's (same dtype, bits), lazy afterwards."""
    rng = np.random.default_rng(16)
    a, b = rng.random((40, 7)), rng.random(7).astype(np.float32)
    x, y = la.array(a), la.array(b)
    with np.errstate(all="raise"):
        lazy = [np.exp(x) * y + 1, (x / (y + 1)).sum(axis=0), np.cumsum(x, axis=1), x.mean(), -x, abs(x - y),
                x.std(axis=1), np.where(x > 0.5, x, y), x @ y.astype(np.float64), np.maximum(x, 0.3)]
    with np.errstate(all="raise"):
        ref = [np.exp(a) * b + 1, (a / (b + 1)).sum(axis=0), np.cumsum(a, axis=1), a.mean(), -a, abs(a - b),
               a.std(axis=1), np.where(a > 0.5, a, b), a @ b.astype(np.float64), np.maximum(a, 0.3)]
    for got, want in zip(lazy, ref):
        assert isinstance(got, la.LazyArray)
        value = got.compute()
        assert type(value) is type(want)
        assert value.dtype == want.dtype and np.shape(value) == np.shape(want)
        assert np.array_equal(value, want)
    follow = lazy[0] * 2  # built after the block: lazy again
    assert np.array_equal(follow.compute(), ref[0] * 2)


def test_result_is_numpys_writable_array():
    """NumPy's result itself, as ``np.asarray`` of NumPy's result is: writable, and a write into it is seen,
    as a write into NumPy's result array is."""
    x = la.array(VALUES.copy())
    with np.errstate(divide="raise"):
        r = x * 3
    assert "computed as NumPy" in r.explain()  # NumPy's value, now
    first = r.compute()
    assert first.flags.writeable and first is r.compute()
    first[0] = 99.0
    assert r.compute()[0] == 99.0 and (r + 1).compute()[0] == 100.0
    np.testing.assert_array_equal(VALUES, [1.0, 0.0, 2.0])


def test_inplace_operator_raises_and_keeps_numpys_written_values():
    a = VALUES.copy()
    x = la.array(VALUES.copy())
    alias = x
    for target in (a, x):
        with pytest.raises(FloatingPointError, match="divide by zero encountered in divide"):
            with np.errstate(divide="raise"):
                target /= 0  # noqa: PLW2901
    assert alias is x
    np.testing.assert_array_equal(x.compute(), a)  # NumPy's array holds the written inf/nan after the raise
    np.testing.assert_array_equal(VALUES, [1.0, 0.0, 2.0])


def test_inplace_on_a_view_writes_the_base():
    a = VALUES.copy()
    x = la.array(VALUES.copy())
    with np.errstate(all="raise"):
        a[1:] *= 3
        v = x[1:]
        v *= 3
    np.testing.assert_array_equal(x.compute(), a)
    for target in (a[:2], x[:2]):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            with np.errstate(divide="raise"):
                target /= 0  # noqa: PLW2901 (NumPy wrote the view before raising: the base holds inf, nan)
    np.testing.assert_array_equal(x.compute(), a)


@pytest.mark.parametrize("lazy_mask", [False, True])
def test_masked_write_raises_only_for_selected_lanes(lazy_mask):
    base = np.array([4.0, 1.0, 6.0, 8.0])
    divisor = np.array([2.0, 0.0, 3.0, 0.0])
    mask = divisor != 0
    a = base.copy()
    with np.errstate(divide="raise"):
        a[mask] /= divisor[mask]  # the zeros are in unselected lanes: NumPy does not raise
    x = la.array(base.copy())
    m = la.array(mask) if lazy_mask else mask
    with np.errstate(divide="raise"):
        x[m] /= divisor[mask]
    np.testing.assert_array_equal(x.compute(), a)
    # a zero divisor in a selected lane: NumPy raises and leaves the array unchanged (the gather was a copy)
    wide = np.array([True, True, False, False])
    y = la.array(base.copy())
    mw = la.array(wide) if lazy_mask else wide
    with pytest.raises(FloatingPointError, match="divide by zero encountered in divide"):
        with np.errstate(divide="raise"):
            y[mw] /= divisor[wide]
    np.testing.assert_array_equal(y.compute(), base)


def test_selection_made_before_the_block():
    base = np.array([4.0, -1.0, 6.0])
    x = la.array(base)
    s = x[base > 0]  # a deferred selection (api/masked_lanes.py), made under the default state
    with pytest.raises(FloatingPointError, match="invalid value encountered in log"):
        with np.errstate(invalid="raise"):
            np.log(s - 5)
    with np.errstate(invalid="raise"):
        r = np.log(s)  # only the selected (positive) lanes are computed, as NumPy's x[mask] has only them
    np.testing.assert_array_equal(r.compute(), np.log(base[base > 0]))


def test_errstate_as_decorator_and_nested_states():
    @np.errstate(divide="raise")
    def f(v):
        return v / 0

    with pytest.raises(FloatingPointError, match="divide by zero"):
        f(la.array(VALUES.copy()))
    x = la.array(VALUES.copy())
    with np.errstate(all="raise"):
        with np.errstate(all="ignore"):
            quiet = x / 0  # the inner state decides: silent and lazy
        with pytest.raises(FloatingPointError):
            x / 0
    with np.errstate(all="ignore"):
        with np.errstate(invalid="raise"):
            with pytest.raises(FloatingPointError, match="invalid value"):
                np.sqrt(x - 5)
            loud_divide = x / 0.5  # divide is still ignored, invalid raises: nothing to report here
    np.testing.assert_array_equal(quiet.compute(), [np.inf, np.nan, np.inf])
    np.testing.assert_array_equal(loud_divide.compute(), VALUES / 0.5)


def test_seterr():
    x = la.array(VALUES.copy())
    old = np.seterr(over="raise")
    try:
        with pytest.raises(FloatingPointError, match="overflow encountered in multiply"):
            x * 1e308 * 10
    finally:
        np.seterr(**old)
    np.testing.assert_array_equal((x * 1e308 * 10).compute(), [np.inf, 0.0, np.inf])  # default again: silent


def test_call_and_log_modes_report_as_numpy():
    def run(v):
        calls = []
        old = np.seterrcall(lambda kind, flag: calls.append((kind, flag)))
        try:
            with np.errstate(all="call"):
                r = v / 0
        finally:
            np.seterrcall(old)
        return calls, r

    want_calls, want = run(VALUES.copy())
    got_calls, got = run(la.array(VALUES.copy()))
    assert got_calls == want_calls and want_calls
    np.testing.assert_array_equal(got.compute(), want)

    class Log:
        def __init__(self):
            self.lines = []

        def write(self, text):
            self.lines.append(text)

    logs = []
    for v in (VALUES.copy(), la.array(VALUES.copy())):
        log = Log()
        old = np.seterrcall(log)
        try:
            with np.errstate(invalid="log"):
                np.sqrt(v - 5)
        finally:
            np.seterrcall(old)
        logs.append(log.lines)
    assert logs[0] == logs[1] == ["Warning: invalid value encountered in sqrt\n"]


def test_print_mode():
    """NumPy's "print" mode writes with C's stdio (stderr, not sys.stderr): counted in a child process's output."""
    script = (
        "import numpy as np, lazyarr as la\n"
        "for v in (np.array([1.0, 0.0]), la.array(np.array([1.0, 0.0]))):\n"
        "    with np.errstate(divide='print'):\n"
        "        v / 0\n"
        "    print('--', file=sys.stderr, flush=True)\n")
    script = "import sys\n" + script
    root = os.path.dirname(os.path.dirname(os.path.abspath(la.__file__)))  # (this tree's lazyarr in the child)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True,
                         check=True, env=env).stderr
    parts = out.split("--")
    assert [p.count("Warning: divide by zero encountered in divide") for p in parts[:2]] == [1, 1]


def test_state_is_per_thread():
    """NumPy's error state is per thread (a context variable): another thread's state does not leak."""
    x = la.array(VALUES.copy())
    seen = {}

    def other():
        try:
            seen["other"] = x / 0  # this thread never entered the block: lazy and silent
        except FloatingPointError as exc:  # pragma: no cover (the failure being tested for)
            seen["other"] = exc

    def own():
        try:
            with np.errstate(divide="raise"):
                x / 0
        except FloatingPointError as exc:
            seen["own"] = exc

    with np.errstate(divide="raise"):
        t = threading.Thread(target=other)
        t.start()
        t.join()
    t = threading.Thread(target=own)
    t.start()
    t.join()
    assert isinstance(seen["other"], la.LazyArray)
    assert isinstance(seen.get("own"), FloatingPointError)


def test_state_of_the_building_line_decides_not_computes():
    """As NumPy: the operation's own line decides. Built under the default state and computed under "raise":
    silent (NumPy only warned at that line); built under "raise": raised there, computing later is quiet."""
    x = la.array(VALUES.copy())
    lazy = x / 0
    with np.errstate(all="raise"):
        value = lazy.compute()
    np.testing.assert_array_equal(value, [np.inf, np.nan, np.inf])
    with pytest.raises(FloatingPointError):
        with np.errstate(all="raise"):
            x / 0
    with np.errstate(all="raise"):
        kept = x / 4  # nothing to report: NumPy's value, now
    assert "computed as NumPy under np.errstate(divide='raise'" in kept.explain()
    np.testing.assert_array_equal(kept.compute(), VALUES / 4)


def test_out_and_at_write_lazy_targets():
    a, x = VALUES.copy(), la.array(VALUES.copy())
    for target in (a, x):
        with pytest.raises(FloatingPointError):
            with np.errstate(divide="raise"):
                np.divide(target, 0, out=target)
    np.testing.assert_array_equal(x.compute(), a)
    a, x = VALUES.copy(), la.array(VALUES.copy())
    for target in (a, x):
        with pytest.raises(FloatingPointError, match="divide by zero"):
            with np.errstate(divide="raise"):
                np.divide.at(target, [0, 2], 0.0)
    np.testing.assert_array_equal(x.compute(), a)


def test_setitem_cast_raises_as_numpy():
    bad = np.array([np.nan, 1.0])
    a = np.zeros(3, np.int64)
    x = la.array(np.zeros(3, np.int64))
    for target in (a, x):
        with pytest.raises(FloatingPointError, match="invalid value encountered in cast"):
            with np.errstate(invalid="raise"):
                target[:2] = bad
    with np.errstate(invalid="raise"):
        a[1:] = [5.0, 6.0]
        x[1:] = [5.0, 6.0]
    np.testing.assert_array_equal(x.compute(), a)


def test_module_functions_and_scipy_ufuncs():
    sp = pytest.importorskip("scipy.special")
    x = la.array(VALUES.copy())
    with pytest.raises(FloatingPointError, match="divide by zero encountered in log"):
        with np.errstate(divide="raise"):
            la.log(x)
    with np.errstate(all="raise"):  # (scipy.special's loops report no flags: SciPy's values, no raise)
        r, r2 = sp.ndtri(x / 4), la.special.xlogy(1.0, x)
    with np.errstate(all="raise"):
        want, want2 = sp.ndtri(VALUES / 4), sp.xlogy(1.0, VALUES)
    np.testing.assert_array_equal(r.compute(), want)
    np.testing.assert_array_equal(r2.compute(), want2)


def test_default_and_warn_states_stay_lazy():
    """Only visible modes route to NumPy: "ignore" and "warn" record the node as always."""
    x = la.array(VALUES.copy())
    for modes in ({"all": "ignore"}, {"all": "warn"}, {}):
        with np.errstate(**modes):
            r = x / 0
        assert "computed as NumPy" not in r.explain()
    old = np.seterr(**np.geterr())  # the same modes in a new state object (not NumPy's default one): still lazy
    try:
        assert errstate.state() is not errstate.QUIET and not errstate.asks()
        assert errstate.state() is errstate.QUIET  # (remembered: the next check is the identity test alone)
        assert "computed as NumPy" not in (x / 0).explain()
    finally:
        np.seterr(**old)


def test_inside_a_fused_function_the_tracer_decides():
    """A trace under a visible state is not computed eagerly by lazy mode (the fused call runs as NumPy: fp_errors)."""
    @la.fuse
    def f(v):
        with np.errstate(divide="raise"):
            return v / 0

    with pytest.raises(FloatingPointError, match="divide by zero"):
        with pytest.warns(la.EagerWarning):
            f(VALUES.copy())


def test_other_categories_warn_at_the_users_line():
    """Under ``divide="raise"`` the other categories still warn: NumPy's RuntimeWarning, at the user's line."""
    import warnings
    x = la.array(np.array([0.0, 1.0]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(divide="raise", invalid="warn"):
            line = sys._getframe().f_lineno + 1
            r = x * 0 / 1.0 / (x * 0 + 1) - np.sqrt(x - 1)
    assert [(str(w.message), w.filename, w.lineno) for w in caught] == \
        [("invalid value encountered in sqrt", __file__, line)]
    np.testing.assert_array_equal(r.compute(), [np.nan, 0.0])
    seen = []
    for v in (np.array([0.0, 1.0]), x):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(FloatingPointError, match="invalid value encountered in divide"):
                with np.errstate(invalid="raise"):
                    line = sys._getframe().f_lineno + 1
                    v[:0].std()  # NumPy warns (degrees of freedom) in its Python code, then raises in its divide
        seen.append([(str(w.message), w.category, w.filename, w.lineno - line) for w in caught])
    assert seen[0] == seen[1] and seen[0]


def test_stats_methods_are_scipys_under_a_visible_state():
    st = pytest.importorskip("scipy.stats")
    a = np.array([-1.0, 0.0, 0.5, 2.0, np.inf])
    cases = [lambda m, v: m.gamma.pdf(v, 2.5), lambda m, v: m.poisson.pmf(v, 3.0), lambda m, v: m.norm.cdf(v),
             lambda m, v: m.gamma(2.5, scale=2.0).logpdf(v)]
    for f in cases:
        outcomes = []
        for m, v in ((st, a), (la.stats, la.array(a))):
            try:
                with np.errstate(all="raise"):
                    r = f(m, v)
                outcomes.append(("value", np.asarray(r).tobytes()))
            except FloatingPointError as exc:
                outcomes.append(("FloatingPointError", str(exc)))
        assert outcomes[0] == outcomes[1]
    with pytest.raises(FloatingPointError):  # (SciPy raises here: the case above is not vacuous)
        with np.errstate(all="raise"):
            la.stats.gamma.pdf(la.array(a), 2.5)


@pytest.mark.parametrize("selected", [[True, False, True], [False, True, False], [False, False, False]])
def test_masked_divide_by_zero_literal(selected):
    """``x[m] /= 0`` under divide="raise": raises exactly when a selected lane is nonzero (0/0 is "invalid")."""
    base = np.array([0.0, 1.0, 0.0])
    mask = np.array(selected)
    outcomes = []
    for x in (base.copy(), la.array(base.copy())):
        try:
            with np.errstate(divide="raise", invalid="ignore"):
                x[mask] /= 0
            outcomes.append(("value", np.asarray(x).tobytes()))
        except FloatingPointError as exc:
            outcomes.append(("FloatingPointError", str(exc), np.asarray(x).tobytes()))
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0][0] == "FloatingPointError") == bool(selected[1])


def test_graphs_over_dask_stay_lazy():
    """dask computes later on its own workers (their error state), as dask does: nothing is computed at build."""
    da = pytest.importorskip("dask.array")
    d = la.array(da.from_array(VALUES.copy(), chunks=2))
    with np.errstate(divide="raise"):
        r = d / 0
    np.testing.assert_array_equal(r.compute(), [np.inf, np.nan, np.inf])


def test_fused_type_of_a_numpy_scalar_argument():
    """(s16) ``type(k)`` in a fused function's own code is NumPy's scalar type: its NumPy scalar arguments are
    passed as themselves, keyed by value (a trace per value); functions without ``type`` keep the placeholder."""
    @la.fuse
    def f(a, k):
        if type(k) is np.float32:
            return a * k + 1
        return a * k - 1, type(k).__name__

    a = np.arange(4.0)
    for k in (np.float32(2), np.float64(2), np.float64(3), np.float64(2), np.float32(5), np.int16(7)):
        got, want = f(a, k), f.__wrapped__(a, k)
        if isinstance(want, tuple):
            assert got[1] == want[1]
            got, want = got[0], want[0]
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert f.cache_info().hits >= 1  # (np.float64(2) again: its program replays)

    @la.fuse
    def g(a, k):
        return a * k + isinstance(k, np.floating)

    for k in (np.float64(2), np.float64(3), np.float64(4), np.float64(5)):
        assert np.array_equal(g(a, k), g.__wrapped__(a, k))
    assert g.cache_info().traces <= 2  # the placeholder: not a trace per value


def test_setitem_that_cannot_flag_stays_lazy():
    """Only casts NumPy checks go through NumPy's setitem: ``x[i] = v`` of the same dtype is the lazy write."""
    x = la.array(VALUES.copy())
    with np.errstate(all="raise"):
        x[0] = 5.0
        x[1:] = np.array([7.0, 8.0])
    assert "computed as NumPy" not in x.explain() and "written by" not in x.explain()
    np.testing.assert_array_equal(x.compute(), [5.0, 7.0, 8.0])
    f32 = la.array(np.zeros(2, np.float32))
    with pytest.raises(FloatingPointError, match="overflow encountered in cast"):
        with np.errstate(over="raise"):
            f32[:] = np.array([1e300, 1.0])
    a32 = np.zeros(2, np.float32)
    with pytest.raises(FloatingPointError, match="overflow encountered in cast"):
        with np.errstate(over="raise"):
            a32[:] = np.array([1e300, 1.0])
