"""Session 15's spot checks of ``@la.fuse`` on Python-language constructs and argument kinds (docs/fuse.md,
"Session 15 sweep (fuse)"): each test pins one silent wrong answer (or failure) the sweep found, comparing the
fused function's answer with the undecorated function's on the same arguments, on the traced call and on a
replayed one. Compile-light: tiny arrays, expressions whose kernels the suite's other tests compile too."""
import dataclasses
import warnings

import numpy as np
import pytest

import lazyarr as la

X = np.random.default_rng(15).standard_normal(12)


def _both(fn, *args, calls=2):
    """fn's answer and the fused function's (`calls` times, fresh argument copies each time)."""
    want = fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    fused = la.fuse(fn)
    got = []
    for _ in range(calls):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", la.EagerWarning)
            got.append(fused(*[a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    return want, got


def test_two_equal_results_are_two_arrays():
    # ``a + 1, a + 1`` is one node (hash-consing): the program returned one array twice, so a write into one
    # result showed in the other
    def f(a):
        return a + 1, a + 1

    want, got = _both(f, X)
    assert want[0] is not want[1]
    for p, q in got:
        assert p is not q and not np.shares_memory(p, q)
        np.testing.assert_array_equal(p, want[0])
        p[0] = 99.0
        assert q[0] == want[1][0]


def test_one_result_returned_twice_stays_one_object():
    def f(a):
        y = a * 2
        return y, y

    for p, q in _both(f, X)[1]:
        assert p is q


def _log_or_zeros(a):
    try:
        with np.errstate(invalid="raise"):
            return np.log(a)
    except FloatingPointError:
        return np.zeros_like(a)


def _sqrt_or_minus_one(a):
    old = np.seterr(invalid="raise")
    try:
        return np.sqrt(a)
    except FloatingPointError:
        return a * 0 - 1
    finally:
        np.seterr(**old)


@pytest.mark.parametrize("fn", [_log_or_zeros, _sqrt_or_minus_one])
def test_errstate_raise_inside_a_fused_function_takes_its_except_branch(fn):
    # kernels report no floating-point flags: the fused function returned log's NaNs where NumPy's run takes the
    # except branch; such a function now runs as plain NumPy (tracer/fp_errors.py)
    fused, modes, errstate = la.fuse(fn), np.geterr(), np.errstate
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for a in (np.abs(X) + 1, X, np.abs(X) + 1, X):
            np.testing.assert_array_equal(fused(a.copy()), fn(a.copy()))
    assert sum(issubclass(w.category, la.EagerWarning) for w in caught) == 1
    assert np.geterr() == modes and np.errstate is errstate  # (the trace's stand-in errstate is removed)


def test_a_fused_call_under_the_callers_errstate_raise_raises():
    fused = la.fuse(lambda a: np.log(a) * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        fused(np.abs(X))  # traced and cached outside any errstate
        with np.errstate(invalid="raise"), pytest.raises(FloatingPointError):
            fused(X)
        with np.errstate(invalid="raise"):
            np.testing.assert_array_equal(fused(np.abs(X) + 1), np.log(np.abs(X) + 1) * 2)
        assert np.isnan(fused(X)).any()  # outside it, the cached program (NaNs, as NumPy's answer)
    assert fused.cache_info().traces == 1


SCALARS = [np.float32(2.5), np.float64(-1.5), np.int8(3), np.int64(-7), np.uint8(200), np.complex64(1 - 1j)]


def _same(got, want):
    assert type(got) is type(want), (got, want)
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _same(g, w)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    else:
        assert got == want


def _by_class(a, k):
    # a NumPy scalar argument was traced as a 0-d array: isinstance(k, np.floating) answered False
    return (a * 2 if isinstance(k, np.floating) else a - 1), isinstance(k, np.generic), isinstance(k, float)


def _incremented(a, k):
    k += 1  # a NumPy scalar is immutable: this rebinds k (the 0-d placeholder was written instead)
    return a * k, k


def _as_python(a, k):
    return {k: 1}.get(k, 0) * a, f"{k}", str(k), repr(k), round(k.real), k * 1


def _stored_into_ints(a, k):
    b = a[:4].astype(np.int8)
    b[1:3] = k  # NumPy converts a scalar as a Python number: OverflowError out of range (a cast wrapped)
    return b


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")  # (NumPy's too: complex64 into int8)
@pytest.mark.parametrize("fn", [_by_class, _incremented, _as_python, _stored_into_ints])
def test_a_numpy_scalar_argument_is_a_numpy_scalar_to_the_function(fn):
    fused = la.fuse(fn)
    for k in SCALARS + SCALARS[:2]:  # (new values of a traced signature, then replayed ones)
        a = X.copy()
        try:
            want = fn(a, k)
        except Exception as exc:
            with pytest.raises(type(exc)), warnings.catch_warnings():
                warnings.simplefilter("ignore", la.EagerWarning)
                fused(a, k)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", la.EagerWarning)
            _same(fused(a, k), want)


def test_printing_a_traced_value_shows_numpys_text():
    # str()/repr()/f"{x}" of a traced value gave "lazyarr.LazyArray(shape=...)" (a returned f-string, a print)
    def f(a):
        return f"{a.max()}", str(a[:3] * 2), repr(a.sum()), "%s" % a.min()

    want, got = _both(f, X)
    assert got == [want, want]
    assert "LazyArray" in repr(la.array(X) * 2)  # lazy mode still computes nothing to show itself


@dataclasses.dataclass(frozen=True)
class _Summary:
    mean: object
    spread: object
    n: int


def _summary(a):
    return _Summary(a.mean(), a - a.mean(), len(a))


def _summary_after_a_break(a):
    if a.sum() > 0:
        return [_Summary(a.max(), a * 2, 1)]
    return [_Summary(a.min(), np.asarray(a * 3).tolist(), 2)]  # (a whole array to Python: an eager signature)


@pytest.mark.parametrize("fn", [_summary, _summary_after_a_break])
def test_a_dataclass_result_holds_numpy_values(fn):
    # its fields were the trace's LazyArrays (over the placeholders), returned uncomputed
    for a in (X, -np.abs(X), np.abs(X), -np.abs(X)):
        want, got = _both(fn, a)
        for g in got:
            g, w = (g[0], want[0]) if isinstance(want, list) else (g, want)
            assert type(g) is _Summary and g is not w
            for name in ("mean", "spread", "n"):
                np.testing.assert_allclose(getattr(g, name), getattr(w, name), rtol=1e-13)  # (summation order)
                assert type(getattr(g, name)) is type(getattr(w, name))


class _Model:
    def __init__(self, scale):
        self.scale, self.bias, self.opts = scale, np.ones(12), {"shift": 0.0}

    @la.fuse
    def predict(self, a):
        return a * self.scale + self.bias + self.opts["shift"]


def test_a_fused_method_sees_attributes_changed_between_calls():
    # the trace bakes ``self.scale`` in; ``self`` was keyed by identity, so a changed attribute silently reused
    # the old value (and a rebound array attribute the old array)
    model = _Model(2.0)
    for change in (lambda: None, lambda: setattr(model, "scale", 3.0), lambda: setattr(model, "bias", X * 0),
                   lambda: model.opts.update(shift=1.5), lambda: model.bias.fill(4.0), lambda: None):
        change()
        np.testing.assert_array_equal(model.predict(X), _Model.predict.__wrapped__(model, X))
    assert _Model.predict.cache_info().hits >= 2  # (unchanged state: the cached program)


def test_a_slice_argument():
    def f(a, s):
        return a[s] * 2

    for s in (slice(1, 3), slice(None, None, -1), slice(1, 3)):
        np.testing.assert_array_equal(la.fuse(f)(X, s), f(X, s))


def _appends(xs):
    xs.append(xs[0] * 2)
    return len(xs)


def _replaces(xs):
    xs[0] = xs[0] * 2
    return xs[1] + 1


def _adds_a_key(d):
    d["c"] = d["a"] + 1
    return d["a"].sum()


@pytest.mark.parametrize("fn,make", [(_appends, lambda: [X, X * 2]), (_replaces, lambda: [X, X * 2]),
                                     (_adds_a_key, lambda: {"a": X})])
def test_a_fused_function_that_changes_a_list_or_dict_argument_changes_the_callers(fn, make):
    # the trace ran on rebuilt containers and a replayed call runs no Python: the caller's list kept its length
    fused = la.fuse(fn)
    for _ in range(2):
        want_arg, got_arg = make(), make()
        want = fn(want_arg)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = fused(got_arg)
        assert any(issubclass(w.category, la.EagerWarning) for w in caught) or _ == 1
        np.testing.assert_array_equal(got, want)
        assert type(got_arg) is type(want_arg) and len(got_arg) == len(want_arg)
        for g, w in zip(got_arg.values() if isinstance(want_arg, dict) else got_arg,
                        want_arg.values() if isinstance(want_arg, dict) else want_arg):
            np.testing.assert_array_equal(g, w)


def test_a_trace_that_fails_where_numpy_does_not_runs_as_numpy():
    # Generator.random(out=) needs a real array: the trace raised ValueError where NumPy's run works
    def noisy(a, rng):
        buf = np.empty_like(a)
        rng.random(out=buf)
        return a + buf

    fused = la.fuse(noisy)
    for seed in (1, 2):
        want_rng, got_rng = np.random.default_rng(seed), np.random.default_rng(seed)
        want = noisy(X, want_rng)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", la.EagerWarning)
            got = fused(X, got_rng)
        np.testing.assert_array_equal(got, want)
        assert got_rng.bit_generator.state == want_rng.bit_generator.state  # (the stream advanced once)


def test_a_trace_error_numpy_raises_too_is_numpys():
    def f(a, i):
        return a[i] * 2

    with pytest.raises(IndexError):
        la.fuse(f)(X, 40)


def test_lstsq_rank_a_zero_d_argument_indexed_and_a_transposed_arguments_strides():
    # lstsq's rank (a NumPy int) came back as a 0-d array, z[()] of a 0-d argument as the argument itself, and
    # a.strides of a transposed argument as a computed C copy's
    def f(m, z):
        return np.linalg.lstsq(m, m[:, 0], rcond=None)[2], z[()], m.strides

    m, z = X.reshape(4, 3).T, np.array(2.5)
    want, got = _both(f, m, z)
    for g in got:
        for gi, wi in zip(g, want):
            assert type(gi) is type(wi) and gi == wi


def _positive_definite(a):
    try:
        np.linalg.cholesky(a)
        return True
    except np.linalg.LinAlgError:
        return False


def test_a_dropped_linalg_result_still_raises_into_the_functions_except():
    # nothing computed the dropped cholesky stage: every matrix was "positive definite"
    fused = la.fuse(_positive_definite)
    spd, indefinite = np.eye(3) * 2, np.diag([1.0, -1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        assert [fused(m) for m in (spd, indefinite, spd, indefinite)] == [True, False, True, False]


def _noisy(a, rng):
    return a + rng.standard_normal(a.shape) * 0.1


def _legacy_noise(a):
    return a * np.random.rand(*a.shape)


def test_random_draws_are_fresh_on_every_call_and_the_stream_advances_as_numpys():
    # the trace's draws were baked into the program: every call returned the same numbers, the Generator stood still
    fused, want_rng, got_rng = la.fuse(_noisy), np.random.default_rng(3), np.random.default_rng(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        for _ in range(3):
            np.testing.assert_array_equal(fused(X, got_rng), _noisy(X, want_rng))
        assert got_rng.bit_generator.state == want_rng.bit_generator.state
        fused = la.fuse(_legacy_noise)
        np.random.seed(5)
        want = [_legacy_noise(X) for _ in range(3)] + [np.random.rand()]
        np.random.seed(5)
        got = [fused(X) for _ in range(3)] + [np.random.rand()]
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


SCALE = 2.0


def _scaled(a):
    return a * SCALE + OFFSETS["b"]


OFFSETS = {"b": 1.0}


def test_a_global_number_changed_between_calls_is_seen():
    # the trace baked SCALE in: after SCALE = 3.0 every call still multiplied by 2.0
    global SCALE
    fused = la.fuse(_scaled)
    try:
        for value, offset in ((2.0, 1.0), (3.0, 1.0), (-0.0, 1.0), (2.0, 1.0), (2.0, 5.0)):
            SCALE, OFFSETS["b"] = value, offset
            np.testing.assert_array_equal(fused(X), _scaled(X))
    finally:
        SCALE, OFFSETS["b"] = 2.0, 1.0
    assert fused.cache_info().traces == 4  # ((2.0, 1.0) again: the first program)


def test_a_returned_view_of_an_argument_is_writable_as_numpys():
    def window(a):
        return a[1:4]

    fused = la.fuse(window)
    for _ in range(2):
        want_x, got_x = X.copy(), X.copy()
        want, got = window(want_x), fused(got_x)
        want[0] = got[0] = 100.0  # (it raised: assignment destination is read-only)
        np.testing.assert_array_equal(got_x, want_x)
    frozen = X.copy()
    frozen.flags.writeable = False
    assert not fused(frozen).flags.writeable


class _Box:
    def __init__(self, values, n):
        self.values, self.n = values, n


def _boxed(a):
    return _Box(a * 2, len(a))


def _centre(a):
    m = a.mean()
    return lambda t: t - m


def _two_steps(a):
    yield a * 2
    yield a + 1


def test_results_fuse_cannot_rebuild_hold_numpy_values():
    # a plain object, a closure and a generator held the trace's LazyArrays (over the placeholders), uncomputed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        for a in (X, -X):
            box = la.fuse(_boxed)(a)
            np.testing.assert_array_equal(box.values, a * 2)
            np.testing.assert_array_equal(la.fuse(_centre)(a)(X), _centre(a)(X))
            for got, want in zip(la.fuse(_two_steps)(a), _two_steps(a)):
                np.testing.assert_array_equal(got, want)


class _Holder:
    def __init__(self, a):
        self.a = a

    @property
    @la.fuse
    def total(self):
        return (self.a * 2).sum()


def test_a_fused_property_inside_another_fused_function_is_inlined():
    # called inside the outer trace with traced values out of sight (self.a), it ran a program of its own on the
    # outer placeholders' zeros: 0.0
    def outer(a):
        return _Holder(a).total

    for a in (X, -X):
        np.testing.assert_allclose(la.fuse(outer)(a), outer(a), rtol=1e-13)


def test_pickling_a_numpy_scalar_argument():
    import pickle

    def f(a, k):
        return pickle.loads(pickle.dumps(k)) * a

    for k in (np.float32(2.5), np.float64(3.0)):
        want, got = _both(f, X, k)
        for g in got:
            assert g.dtype == want.dtype
            np.testing.assert_array_equal(g, want)


@dataclasses.dataclass
class _Settings:
    scale: float


@dataclasses.dataclass(frozen=True)
class _Frozen:
    scale: float


FROZEN = _Frozen(2.0)


def test_dataclass_arguments_and_globals():
    # a dataclass argument (unhashable: eq) raised TypeError; a frozen one in a global, rebound, was stale
    global FROZEN
    fused = la.fuse(lambda a, s: a * s.scale)
    settings = _Settings(2.0)
    np.testing.assert_array_equal(fused(X, settings), X * 2.0)
    settings.scale = 3.0
    np.testing.assert_array_equal(fused(X, settings), X * 3.0)
    reads = la.fuse(lambda a: a * FROZEN.scale)
    try:
        for value in (2.0, 5.0):
            FROZEN = _Frozen(value)
            np.testing.assert_array_equal(reads(X), X * value)
    finally:
        FROZEN = _Frozen(2.0)


def test_an_eager_signature_returns_a_written_argument_itself():
    # (a shuffle draws, so the signature runs eagerly) the eager run returned a computed copy, not the argument
    def shuffled(a, rng):
        rng.shuffle(a)
        return a

    fused = la.fuse(shuffled)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in (1, 2):
            want, got = X.copy(), X.copy()
            assert fused(got, np.random.default_rng(seed)) is got
            shuffled(want, np.random.default_rng(seed))
            np.testing.assert_array_equal(got, want)


def test_explain_says_a_signature_runs_as_numpy():
    def f(a):
        with np.errstate(divide="raise"):
            return np.log(a)

    fused = la.fuse(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.EagerWarning)
        assert "runs as plain NumPy" in fused.explain(np.arange(3.0))  # (NumPy's run raises for log(0))
