"""(s14) Arguments that share memory, passed to a ``@la.fuse`` function that writes into its arguments.

In NumPy a write through one argument is seen through every argument viewing the same memory (``f(a, a)``,
``f(a[1:], a[:-1])``). A fused program reads each argument as a separate array, so such calls run the function
as plain NumPy (tracer/decorator._Fused.as_numpy_for_aliases); calls without shared memory still run the program.
"""
import warnings

import numpy as np
import pytest

import lazyarr as la


def add_into(x, y):
    x += y
    return x.sum()


def scale_into(x, y):
    np.multiply(y, 2, out=x)
    return y.sum()


def zero_then_copy(x, y):
    x[:] = 0
    return y.copy()


def write_both(x, y):
    x *= 2
    y += 1


ALIASES = {
    "same": lambda a: (a, a),
    "reversed": lambda a: (a, a[::-1]),
    "shifted": lambda a: (a[1:], a[:-1]),
    "view": lambda a: (a, a.view()),
}


@pytest.mark.parametrize("program", [add_into, scale_into, zero_then_copy, write_both])
@pytest.mark.parametrize("alias", list(ALIASES))
def test_a_writing_function_called_with_shared_memory_gives_numpys_answer(program, alias):
    f = la.fuse(program)
    base = np.arange(8.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", la.fuse.EagerWarning)
        separate = base.copy(), base.copy() * 3
        want_separate = program(*[a.copy() for a in separate])
        np.testing.assert_array_equal(np.asarray(f(*[a.copy() for a in separate])), np.asarray(want_separate))
        for _ in range(2):  # after the signature's program exists, and again
            a_numpy, a_fused = base.copy(), base.copy()
            want = program(*ALIASES[alias](a_numpy))
            got = f(*ALIASES[alias](a_fused))
            np.testing.assert_array_equal(a_fused, a_numpy)
            assert (got is None) == (want is None)
            if want is not None:
                np.testing.assert_array_equal(np.asarray(got), np.asarray(want))


def test_one_warning_and_the_program_still_serves_separate_arrays():
    f = la.fuse(add_into)
    a = np.arange(8.0)
    with pytest.warns(la.fuse.EagerWarning, match="share memory"):
        f(a, a)
    x, y = np.arange(8.0), np.ones(8)
    assert f(x, y) == 36.0  # (traced now: the aliased first call ran NumPy only)
    hits = f.cache_info().hits
    x, y = np.arange(8.0), np.ones(8)
    assert f(x, y) == 36.0 and f.cache_info().hits == hits + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no second warning
        f(a, a)


def test_a_function_that_only_reads_shares_memory_freely():
    f = la.fuse(lambda x, y: x + y[::-1])
    a = np.arange(8.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            np.testing.assert_array_equal(f(a, a), a + a[::-1])


def _read_only(values):
    values = np.array(values, dtype=np.float64)
    values.flags.writeable = False
    return values


def test_a_read_only_argument_written_into_raises_numpy_error_and_stays_unchanged():
    """(s15) The signature holds no writeable flag: the program compiled for a writeable array was reused and its
    kernel wrote into the read-only one silently. Such calls run as NumPy now (its ValueError, on its line)."""
    f = la.fuse(add_into)
    f(np.ones(4), np.arange(4.0))  # compiled for writeable arguments
    frozen = _read_only(np.ones(4))
    with pytest.raises(ValueError, match="read-only"):
        add_into(frozen, np.arange(4.0))
    with pytest.raises(ValueError, match="read-only"):
        f(frozen, np.arange(4.0))
    np.testing.assert_array_equal(frozen, np.ones(4))
    with pytest.raises(ValueError, match="read-only"):  # first seen read-only: the same
        la.fuse(add_into)(_read_only(np.ones(4)), np.arange(4.0))


def test_a_read_only_argument_only_read_keeps_the_fused_program():
    f = la.fuse(scale_into)
    out = np.zeros(4)
    frozen = np.broadcast_to(np.arange(4.0), (4,))  # read-only, only read
    assert not frozen.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(out, frozen) == 6.0 and f(out, frozen) == 6.0
    np.testing.assert_array_equal(out, np.arange(4.0) * 2)
    assert f.cache_info().hits == 1
