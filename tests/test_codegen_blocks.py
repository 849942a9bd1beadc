"""Generated kernel source is built from code blocks (lazyarr/compiler/blocks.py): the rendering rules, the
chunk-size lines around every prange loop of every loop shape, and no text layout by textwrap or regex."""
import ast
import itertools
import pathlib

import numpy as np
import pytest

import lazyarr as la
from lazyarr.compiler import source_map, source_reduce
from lazyarr.compiler.blocks import CHUNKS_PER_THREAD, Block, as_comment, prange_loop, sequence
from lazyarr.compiler.schedule import MapKernel, ReduceKernel, plan

COMPILER = pathlib.Path(source_map.__file__).parent


# --- rendering rules ------------------------------------------------------------------------------------------

def test_a_body_is_indented_one_level_below_its_head_at_any_depth():
    block = Block("for i in range(n):", ["x = i", Block("if x:", ["y = x", Block("while y:", ["y -= 1"])]), "z = 0"])
    assert block.render() == ("for i in range(n):\n    x = i\n    if x:\n        y = x\n        while y:\n"
                              "            y -= 1\n    z = 0")
    assert block.lines(2)[0] == "        for i in range(n):"
    assert block.lines(2)[-1] == "            z = 0"


def test_a_block_without_a_head_stays_at_its_own_level():
    run = sequence("a = 1", Block("if a:", ["b = 2"]), sequence("c = 3", "d = 4"))
    assert run.render() == "a = 1\nif a:\n    b = 2\nc = 3\nd = 4"
    assert Block("if a:", [run]).render() == "if a:\n    a = 1\n    if a:\n        b = 2\n    c = 3\n    d = 4"
    assert sequence().render() == ""


def test_comment_lines_leave_blank_lines_blank():
    assert as_comment("a\n\nb") == "# a\n\n# b"
    assert as_comment("one line\n") == "# one line\n"


def test_a_prange_loop_carries_its_chunk_size_lines_and_a_serial_loop_none():
    parallel = prange_loop("i", "a * b", ["f(i)"], parallel=True).lines(1)
    assert parallel == [
        f"    _chunk = S.set_parallel_chunksize(max(1, (a * b) // ({CHUNKS_PER_THREAD} * S.num_threads())))",
        "    for i in numba.prange(a * b):",
        "        f(i)",
        "    S.set_parallel_chunksize(_chunk)",
    ]
    serial = prange_loop("i", "a * b", ["f(i)"], parallel=False).lines(1)
    assert serial == ["    for i in range(a * b):", "        f(i)"]


# --- every generated loop shape -------------------------------------------------------------------------------

def _kernels(exprs, kind):
    return [s for e in exprs for s in plan([e._node]) if isinstance(s, kind)]


def _map_sources(parallel: bool) -> list[str]:
    x = la.array(np.linspace(0.1, 2, 24).reshape(2, 3, 4))
    h = la.array(np.ones((3, 4), np.float16))
    exprs = [x + 1, np.sin(x) * np.cos(x), np.exp(x) + np.log1p(x), h * 2 + h, la.special.erf(x),
             np.arctan(x).astype(np.float32)]
    sources = []
    for k in _kernels(exprs, MapKernel):
        out_dtypes = tuple(n.dtype for n in k.outputs)
        for layout, ndim in (("flat", 1), ("nd", 1), ("nd", 2), ("nd", 3), ("nd", 5)):
            sources.append(source_map.kernel_source(k, layout, ndim, parallel, out_dtypes, "test", comment="c\n\nd"))
    assert any("exact = True" in s for s in sources)  # the blocked-vector loop is among them
    return sources


def _reduce_sources(parallel: bool) -> dict[str, list[str]]:
    """Each loop shape's sources, over sum/argmax/min/any/max/mean/prod, several dtypes, keepdims, float16
    and scipy.special producers."""
    x = la.array(np.linspace(0.1, 2, 24).reshape(2, 3, 4))
    i = la.array(np.arange(24, dtype=np.int32).reshape(2, 3, 4))
    h = la.array(np.ones((3, 4), np.float16))
    exprs = [np.sin(x).sum(axis=0), x.argmax(axis=1), (i + 1).min(axis=2, keepdims=True), (x > 1).any(axis=0),
             h.sum(), (h * 2).max(axis=1), x.mean(axis=(0, 2)), la.special.gamma(x).prod()]
    shapes = [("full", 1, 0), ("full_nd", 2, 0), ("full_nd", 3, 0)]
    shapes += [(loop, 3, kept) for loop in ("inner", "outer", "outer_split") for kept in (1, 2)]
    sources: dict[str, list[str]] = {}
    for k in _kernels(exprs, ReduceKernel):
        for (loop, ndim, kept), layout in itertools.product(shapes, ("C", "A")):
            text = source_reduce.kernel_source(k, loop, ndim, kept, layout, parallel, "test", comment="c")
            sources.setdefault(loop, []).append(text)
    return sources


def _check_chunk_lines(source: str) -> int:
    """Check that every prange loop in `source` comes right after the line that sets its chunk size, that the
    first statement after its body restores the caller's, and that there is no other chunk-size line.
    Returns the number of prange loops."""
    lines = source.split("\n")
    loops = 0
    for n, line in enumerate(lines):
        stripped = line.lstrip(" ")
        if not stripped.startswith("for ") or "numba.prange(" not in stripped:
            continue
        loops += 1
        indent = line[:len(line) - len(stripped)]
        count = stripped[stripped.index("numba.prange(") + len("numba.prange("):-len("):")]
        assert lines[n - 1] == (f"{indent}_chunk = S.set_parallel_chunksize(max(1, ({count}) // "
                                f"({CHUNKS_PER_THREAD} * S.num_threads())))")
        after = next(later for later in lines[n + 1:] if later.strip() and not later.startswith(indent + " "))
        assert after == f"{indent}S.set_parallel_chunksize(_chunk)"
    assert sum("S.set_parallel_chunksize(" in line for line in lines) == 2 * loops
    return loops


def test_every_prange_loop_of_a_map_kernel_is_wrapped_once_by_the_chunk_size_lines():
    assert all(_check_chunk_lines(s) == 1 for s in _map_sources(True))
    serial = _map_sources(False)
    assert all("prange" not in s and "chunksize" not in s for s in serial)
    for s in _map_sources(True) + serial:
        compile(s, "<kernel>", "exec")  # the nesting renders as valid Python


def test_every_prange_loop_of_a_reduction_is_wrapped_once_by_the_chunk_size_lines():
    for loop, sources in _reduce_sources(True).items():
        loops = 2 if loop == "outer_split" else 1  # the split loop, then the fold of its partials
        assert all(_check_chunk_lines(s) == loops for s in sources), loop
    for sources in _reduce_sources(False).values():
        assert all("prange" not in s and "chunksize" not in s for s in sources)
    for sources in [*_reduce_sources(True).values(), *_reduce_sources(False).values()]:
        for s in sources:
            compile(s, "<kernel>", "exec")


def test_explain_shows_the_same_wrapped_loops(parallel_threshold, numba_tier):
    parallel_threshold(0)  # numba_tier: `x.T * 2` would be a quick-tier kernel (LLVM IR, no Python loops)
    x = la.array(np.linspace(0, 1, 60).reshape(3, 4, 5))
    for expr in (np.sin(x) + 1, x.T * 2, x.sum(axis=0), x.sum(axis=2), x.argmin(), x[:, ::2].max()):
        assert _check_chunk_lines(expr.explain()) >= 1


# --- no text layout outside blocks.py -------------------------------------------------------------------------

@pytest.mark.parametrize("module", ["source_map.py", "source_reduce.py"])
def test_generators_lay_out_no_text_by_textwrap_or_regex(module):
    tree = ast.parse((COMPILER / module).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not imported & {"textwrap", "re"}
    functions = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert not functions & {"_indent", "balanced"}


@pytest.mark.parametrize("loop, ndim, kept", [("full", 1, 0), ("full_nd", 2, 0), ("inner", 3, 2), ("outer", 3, 1),
                                              ("outer_split", 3, 2)])
def test_a_reduction_producer_takes_vector_math_only_over_unit_lanes(loop, ndim, kept):
    """Over inputs strided along the loop the scratch fills, that loop does not vectorise and scalar vecmath
    is slower than libm, so the producer calls libm there (n-body's ``r2 ** -1.5`` in axis sums: 2x)."""
    x = la.array(np.linspace(0.1, 2, 24).reshape(2, 3, 4))
    (k,) = _kernels([(x ** -1.5).sum(axis=0)], ReduceKernel)
    for layout in ("C", "F", "A"):
        unit = source_reduce.kernel_source(k, loop, ndim, kept, layout, True, "test", unit_lanes=True)
        assert "V.power" in unit and "_sv" in unit
        strided = source_reduce.kernel_source(k, loop, ndim, kept, layout, True, "test", unit_lanes=False)
        assert "V." not in strided and "_sv" not in strided


def test_unit_lanes_reads_the_axis_the_reduction_walks():
    from lazyarr.runtime.evaluate import unit_lanes
    c = np.zeros((4, 5, 6))
    assert unit_lanes("inner", [c], 2) and unit_lanes("outer", [c.transpose(1, 2, 0)], 2)  # 3-D sum(axis=0)
    assert not unit_lanes("inner", [c[:, :, ::2]], 2) and not unit_lanes("outer", [c.transpose(0, 2, 1)], 1)
    column = np.zeros((6, 3))[:, 0]  # n-body's pos[:, 0], broadcast both ways
    assert unit_lanes("inner", [np.broadcast_to(column[:, None], (6, 6))], 1)
    assert not unit_lanes("inner", [np.broadcast_to(column[None, :], (6, 6))], 1)
    assert unit_lanes("full", [np.zeros(0)], 0) and unit_lanes("inner", [np.float64(1.0)], 0)


def test_a_short_row_is_summed_by_the_lanes_not_the_compensated_tail():
    """Rows shorter than a block (X @ w of a (n, 32) matrix) go through the 8 lanes in one short block, and only
    the last < 8 elements through the Kahan tail: the block loop runs while 8 elements remain."""
    x = la.array(np.linspace(0.1, 2, 24).reshape(2, 3, 4))
    (k,) = _kernels([(x * 3).sum(axis=2)], ReduceKernel)
    text = source_reduce.kernel_source(k, "inner", 3, 2, "C", False, "test")
    assert f"while _j + {source_reduce.LANES} <= " in text
    assert f"_e = min(_j + {source_reduce.BLOCK}, " in text and "for _b in range(_j, _e, 8):" in text


def test_short_and_ragged_rows_sum_as_numpy_within_rounding():
    rng = np.random.default_rng(77)
    for cols in (3, 8, 37, 129, 300):
        X = rng.standard_normal((50, cols))
        got = (la.array(X) * 1.5).sum(axis=1).compute()
        want = (X * 1.5).sum(axis=1)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13 * np.abs(X).sum(axis=1).max())
