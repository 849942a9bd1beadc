"""The benchmarks record which BLAS the process loaded and which kernels it picked (bench/harness.py): the
BLAS-bound programs' ratios depend on it (docs/after_blas.md), so a result file must say."""
import numpy as np
import pytest

from bench import harness, report


def test_environment_names_each_loaded_blas():
    np.ones((4, 4)) @ np.ones((4, 4))  # NumPy's BLAS is loaded with NumPy; a product makes sure
    blas = harness.environment()["blas"]
    if isinstance(blas, str):
        pytest.importorskip("threadpoolctl")
        raise AssertionError(f"threadpoolctl is installed but no BLAS was recorded: {blas}")
    assert blas, "NumPy's BLAS is loaded, so at least one library must be listed"
    for library in blas:
        assert set(library) == {"internal_api", "version", "num_threads", "architecture", "threading_layer"}
        assert library["num_threads"] >= 1


def test_header_line():
    blas = [{"internal_api": "openblas", "version": "0.3.31", "num_threads": 2, "architecture": "Haswell",
             "threading_layer": "pthreads"}]
    assert report._blas_text(blas) == "openblas 0.3.31 (Haswell kernels, threads=2)"
    assert report._blas_text([]) == "none loaded"
    assert report._blas_text("threadpoolctl not installed") == "threadpoolctl not installed"


def test_environment_names_the_instruction_sets_the_ratios_depend_on():
    isa = harness.environment()["isa"]
    assert set(isa) == {"llvm_cpu", "numpy_dispatch"}
    assert isa["llvm_cpu"] and not isa["llvm_cpu"].startswith("unknown")
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    assert isa["numpy_dispatch"] == "baseline" or __cpu_features__[isa["numpy_dispatch"]]
    assert report._isa_text(isa) == f" ({isa['llvm_cpu']}; NumPy's {isa['numpy_dispatch']} loops)"
    assert report._isa_text(None) == ""
