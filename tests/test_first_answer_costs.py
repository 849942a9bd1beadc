"""What a first answer under background compilation may not pay for (#14 bgfirst3). Counted, never timed.

Numba's thread pool: a row kernel's loop sizes (a strip's width, a split's tile) and an `outer` reduction's tile
depend on the thread count, and asking Numba for it started the pool (TBB's load, multiprocessing's import, the
workers: ~6-7 ms of the caller's CPU in a new process) inside a call NumPy answers. ``threads.planned_num_threads``
gives the same count without starting it; the quick tier's launches (on threads of its own) use it too, so the call
after a first answer does not start the pool either. Each case runs in a new process, where no pool runs yet.
"""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent(
    r'''
    import json, sys, threading
    import numpy as np
    import lazyarr as la
    from lazyarr.compiler import cache
    from lazyarr.kernels import threads

    configured = []  # the threads that started Numba's pool (through lazyarr or not)
    configure = threads.configure_threading_layer

    def recorded():
        if threads._layer is None:
            configured.append(threading.current_thread().name)
        return configure()

    threads.configure_threading_layer = recorded
    planned = threads.planned_num_threads()
    x = np.random.default_rng(7).random((int(sys.argv[1]), int(sys.argv[2])))

    def expression(x):
        return (x - x.mean(axis=0)) / x.std(axis=0)  # a row kernel over the strided axis

    first = np.asarray(expression(la.array(x)))
    in_call = list(configured)
    pool_modules = sorted(m for m in ("numba.np.ufunc.tbbpool", "numba.np.ufunc.omppool",
                                      "numba.np.ufunc.workqueue") if m in sys.modules)
    assert cache.wait_for_compiles(300)
    from lazyarr.runtime import llvm_launch
    quick_before = llvm_launch.row_kernels()
    second = np.asarray(expression(la.array(x)))
    quick_ran = llvm_launch.row_kernels() - quick_before
    pool_after_second = threads.pool_started()
    expected = expression(x)
    print("REPORT " + json.dumps(dict(
        in_call=in_call, pool_modules=pool_modules, planned=planned, quick_ran=quick_ran,
        pool_after_second=pool_after_second, now=threads.get_num_threads(),
        interpreted=la.cache_info().interpreted, first_equal=bool(np.array_equal(first, expected)),
        second_close=bool(np.allclose(second, expected, rtol=1e-12, atol=1e-12)))))
    '''
)


def _child(rows: int, cols: int, **env_vars) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAZYARR_", "NUMBA_NUM_THREADS"))}
    env.update(LAZYARR_BACKGROUND_COMPILE="1", LAZYARR_WARMUP="0", **env_vars)
    proc = subprocess.run([sys.executable, "-c", CHILD, str(rows), str(cols)], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("REPORT ")))


# (rows, columns): the `strips` loop (a strip of 400 rows fits its cache budget) and the `split` loop (it does not)
@pytest.mark.parametrize("shape", [(400, 1000), (1000, 1000)], ids=["strips", "split"])
def test_a_first_answer_over_columns_starts_no_thread_pool(tmp_path, shape):
    report = _child(*shape, LAZYARR_CACHE_DIR=str(tmp_path))
    assert report["in_call"] == [] and report["pool_modules"] == []  # no pool started by the call
    assert report["interpreted"] == 1 and report["first_equal"]  # NumPy's answer, NumPy's bytes
    assert report["second_close"]  # the kernel made meanwhile, with the loop sizes of the same count
    # the quick tier ran it on its own threads: Numba's pool is still not started after the second call
    assert report["quick_ran"] == 1 and report["pool_after_second"] is False
    assert report["planned"] == report["now"]  # the count before the pool ran is the one it runs with


def test_the_planned_count_follows_lazyarr_num_threads(tmp_path):
    report = _child(400, 1000, LAZYARR_CACHE_DIR=str(tmp_path), LAZYARR_NUM_THREADS="1")
    assert report["planned"] == 1 == report["now"]
    assert report["in_call"] == [] and report["first_equal"] and report["second_close"]


# (#14 bgfirst3) a reduction's result dtype is asked of its ufunc's reduce for sum, prod, max and min
# (``reductions._result_dtype``): the call np.sum and the others make on an ndarray, so the same dtype, the same
# error for an empty input without identity, for every dtype, dtype= and axes
DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint32, np.int64, np.uint64, np.float16, np.float32,
          np.float64, np.complex128]


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
def test_a_reductions_result_dtype_and_empty_error_are_numpys(name):
    import warnings

    import lazyarr as la
    numpy_function = getattr(np, name)
    for dt in DTYPES:
        for shape in [(3,), (0,), (2, 3), (0, 3), (3, 0)]:
            for axis in [None, 0, -1, tuple(range(len(shape)))]:
                dtype_kwargs = [{}] + ([{"dtype": np.int32}, {"dtype": np.float32}] if name in ("sum", "prod")
                                       else [])
                for kwargs in dtype_kwargs:
                    a = np.ones(shape, dt)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # complex to float's ComplexWarning, on both sides
                        try:
                            expected = np.asarray(numpy_function(a, axis=axis, **kwargs))
                        except ValueError as exc:
                            with pytest.raises(ValueError, match="zero-size array"):
                                numpy_function(la.array(a), axis=axis, **kwargs)
                            assert "zero-size array" in str(exc)
                            continue
                        lazy = numpy_function(la.array(a), axis=axis, **kwargs)
                    assert lazy.dtype == expected.dtype and lazy.shape == expected.shape, (dt, shape, axis, kwargs)
