"""(s12 fusemandel) Quiet blocks in any flat Numba map kernel: a block of QUIET elements whose guards (bool inputs
that are a ``where``'s condition or an ``and``'s operand, and that leave out work on their own) are all False
skips the guarded work and stores the values a False guard leaves. Same bits as NumPy in every case: quiet and
loud blocks, masks all True / all False, NaN and inf in masked-off lanes, odd lengths, parallel chunks."""
import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import source_map
from lazyarr.compiler.schedule import plan


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


def _escape_loop(z, c, m, n):
    """A fused where-chain as mandelbrot's loop builds it: each mask only shrinks."""
    for _ in range(n):
        z = np.where(m, z * z + c, z)
        m = m & ~(np.abs(z) > 2.0)
    return z, m


def _kernel(roots):
    (k,) = plan([r._node for r in roots])
    return k, tuple(n.dtype for n in k.outputs)


def test_a_where_chain_kernel_gets_quiet_blocks_that_compute_nothing_guarded():
    z, c = la.array(np.ones(65, complex)), la.array(np.ones(65, complex))
    m = la.array(np.arange(65) < 10)
    h = la.where(m, z * z + c, z)
    e = m & ~(np.abs(h) > 2.0)
    k, out_dtypes = _kernel([h, e])
    text = source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")
    assert "loud = loud |" in text and f"{source_map.QUIET}" in text
    quiet = text.rsplit("for i in range(b, e):", 1)[1]  # the quiet run's loop, last
    assert "cabs" not in quiet and "cmul" not in quiet
    i = [n is z._node for n in k.inputs].index(True)
    j = [n is h._node for n in k.outputs].index(True)
    assert f"out{j}[np.uint64(i)] = x{i}" in quiet  # the third operand, copied
    assert f"out{1 - j}[np.uint64(i)] = False" in quiet


def test_a_kernel_whose_guards_save_no_work_keeps_its_plain_loop():
    x, y = la.array(np.ones(65)), la.array(np.zeros(65))
    m = la.array(np.arange(65) < 10)
    k, out_dtypes = _kernel([la.where(m, x, y)])  # a select: nothing to skip
    assert "loud" not in source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")
    k, out_dtypes = _kernel([la.where(m, x * 2.0, y) + np.sqrt(y) * y + np.exp(y)])  # most work unguarded
    assert "loud" not in source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")


def test_a_guard_that_saves_no_work_is_not_checked():
    """mandelbrot's escape chain ``where(e, 3, escape)`` beside the guarded update: only the update's mask
    is checked (each escape mask would make blocks loud for nothing)."""
    z, c = la.array(np.ones(65, complex)), la.array(np.ones(65, complex))
    m, e = la.array(np.arange(65) < 10), la.array(np.arange(65) % 7 == 0)
    escape = la.array(np.zeros(65, np.int64))
    h = la.where(m, z * z + c, z)
    k, out_dtypes = _kernel([h, la.where(e, np.int64(3), escape)])
    text = source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")
    im = [n is m._node for n in k.inputs].index(True)
    ie = [n is e._node for n in k.inputs].index(True)
    check = next(line for line in text.splitlines() if "loud = loud |" in line)
    assert f"in{im}[" in check and f"in{ie}[" not in check


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("shape", [(1001,), (37, 41), (3,)])
def test_a_fused_where_chain_gives_numpys_bits(dtype, shape, numba_tier):
    rng = np.random.default_rng(15)
    c = (rng.uniform(-2.0, 0.6, shape) + 1j * rng.uniform(-1.2, 1.2, shape)).astype(dtype)
    z = np.zeros(shape, dtype)
    m = rng.random(shape) < 0.7
    m.reshape(-1)[: min(96, m.size)] = False  # whole quiet blocks at the start
    f = la.fuse(_escape_loop)
    got, want = f(z, c, m, 6), _escape_loop(z, c, m, 6)
    assert all(np.array_equal(_bits(np.asarray(g)), _bits(w)) for g, w in zip(got, want))
    assert "loud = loud |" in f.explain(z, c, m, 6)


@pytest.mark.parametrize("fill", [True, False])
def test_masks_all_true_or_all_false(fill, numba_tier):
    rng = np.random.default_rng(16)
    c = rng.uniform(-2.0, 0.6, 517) + 1j * rng.uniform(-1.2, 1.2, 517)
    z = rng.uniform(-0.5, 0.5, 517) + 1j * rng.uniform(-0.5, 0.5, 517)
    m = np.full(517, fill)
    got, want = la.fuse(_escape_loop)(z, c, m, 5), _escape_loop(z, c, m, 5)
    assert all(np.array_equal(_bits(np.asarray(g)), _bits(w)) for g, w in zip(got, want))


def test_nan_and_inf_in_masked_off_lanes_keep_their_bits(numba_tier):
    """The masked-off lanes' f(z) (NaN, inf) is computed in loud blocks and dropped, never computed in quiet
    ones: either way the lane keeps z's own bits, NaN payloads included."""
    n = 300
    specials = np.array([np.nan, np.inf, -np.inf, complex(np.inf, np.nan), complex(np.nan, -np.inf),
                         complex(np.nan, 0.0), complex(0.0, np.inf), 1e308 + 1e308j])
    z = np.resize(specials, n).astype(np.complex128)
    z.view(np.uint64)[::16] |= np.uint64(0x7FF8_0000_0000_1234)  # NaN payloads
    c = np.full(n, 0.25 + 0.5j)
    m = np.zeros(n, bool)
    m[40:50] = True  # one loud block (masked-off specials beside live lanes), the others quiet
    m[200:] = np.arange(100) % 3 == 0
    got, want = la.fuse(_escape_loop)(z, c, m, 4), _escape_loop(z, c, m, 4)
    assert all(np.array_equal(_bits(np.asarray(g)), _bits(w)) for g, w in zip(got, want))


def test_float_where_chains_and_parallel_chunks(numba_tier, parallel_threshold):
    parallel_threshold(1000)
    rng = np.random.default_rng(17)
    n = 100_003
    x = rng.standard_normal(n)
    m = rng.random(n) < 0.5
    m[: n // 2] = False  # quiet blocks in the first chunks, loud ones in the last

    def chain(x, m):
        for _ in range(4):
            x = np.where(m, np.sqrt(np.abs(x)) * 1.5 - 0.25, x)
            m = m & (x > 0.1)
        return x, m

    f = la.fuse(chain)
    got, want = f(x, m), chain(x, m)
    assert all(np.array_equal(_bits(np.asarray(g)), _bits(w)) for g, w in zip(got, want))
    assert "loud = loud |" in f.explain(x, m)


# --- LLVM's limit on runtime alias checks (kernels/llvm_glue.py) ------------------------------------------------
def _many_arrays_kernel():
    xs = [la.array(np.full(64, float(j))) for j in range(16)]
    outs = [xs[j] / xs[j + 8] for j in range(8)]  # 16 read, 8 written: 8*16 + 28 = 156 checks
    return _kernel(outs)


def _compiled_ir(text: str, tmp_path, name: str, raised: bool) -> str:
    import importlib.util
    from lazyarr.kernels import llvm_glue
    path = tmp_path / f"{name}.py"
    path.write_text(text.replace("cache=True", "cache=False"))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if raised:
        with llvm_glue.many_memory_checks():
            module.kernel.compile(module.SIGNATURE)
    else:
        module.kernel.compile(module.SIGNATURE)
    return module.kernel.inspect_llvm(next(iter(module.kernel.overloads)))


def test_a_kernel_with_many_arrays_is_marked_and_vectorises_only_with_the_limit_raised(tmp_path):
    from lazyarr.kernels import llvm_glue
    k, out_dtypes = _many_arrays_kernel()
    assert llvm_glue.memory_checks(16, 8) == 156 > llvm_glue.LLVM_MEMORY_CHECKS
    text = source_map.kernel_source(k, "flat", 1, False, out_dtypes, "v")
    assert "156 runtime alias checks" in text  # a text (and a disk-cache entry) of its own
    # `raised` first: the context must set LLVM's default back for the second compile
    assert "x double>" in _compiled_ir(text, tmp_path, "k_raised", raised=True)
    assert "x double>" not in _compiled_ir(text, tmp_path, "k_default", raised=False)
    few, few_dtypes = _kernel([la.array(np.ones(64)) / la.array(np.ones(64))])
    assert "alias checks" not in source_map.kernel_source(few, "flat", 1, False, few_dtypes, "v")


@pytest.mark.parametrize("n", [31, 32, 33, 1023, 1025, 5001])
def test_runs_of_loud_and_quiet_blocks_of_any_length(n, numba_tier):
    """Loud and quiet runs switching at random block boundaries and mid-block, spans cut short at the end."""
    rng = np.random.default_rng(n)
    c = rng.uniform(-2.0, 0.6, n) + 1j * rng.uniform(-1.2, 1.2, n)
    z = np.zeros(n, complex)
    blocks = rng.random((n + source_map.QUIET - 1) // source_map.QUIET) < 0.4
    m = np.repeat(blocks, source_map.QUIET)[:n] & (rng.random(n) < 0.8)
    got, want = la.fuse(_escape_loop)(z, c, m, 7), _escape_loop(z, c, m, 7)
    assert all(np.array_equal(_bits(np.asarray(g)), _bits(w)) for g, w in zip(got, want))
