"""(#15 covcos) A matmul/dot operand that is elementwise work over transposed C arrays (`b_unit.T`) is computed in
the arrays' own memory order and handed to BLAS as a transposed view (api/stages._natural_order), and the
transpose of a transpose stage is its operand (api/build.transpose). Values against NumPy and plan structure.
"""
import numpy as np

import lazyarr as la
from lazyarr.api import build
from lazyarr.compiler.rowfuse import RowKernel
from lazyarr.compiler.schedule import MapKernel, Stage, plan


def _data(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_normalised_transposed_operand_is_computed_in_memory_order():
    a, b = _data((40, 16), 1), _data((30, 16), 2)
    e = la.array(a) @ unit(la.array(b)).T
    steps = plan([e._node])
    assert [type(s) for s in steps] == [RowKernel, Stage, Stage]  # both units, the transpose view, the product
    assert [s.node.params.name for s in steps if type(s) is Stage] == ["transpose", "matmul"]
    np.testing.assert_allclose(np.asarray(e), a @ unit(b).T, rtol=1e-13, atol=1e-14)
    d = np.dot(unit(la.array(a)), (la.array(b) * 2).T)
    assert not any(type(s) is MapKernel and s.shape == (16, 30) for s in plan([d._node]))
    np.testing.assert_allclose(np.asarray(d), np.dot(unit(a), (b * 2).T), rtol=1e-13, atol=1e-14)


def test_mixed_leaf_orders_are_left_alone():
    a, b, c = _data((40, 16), 1), _data((30, 16), 2), _data((16, 30), 3)
    e = la.array(a) @ (la.array(b).T + la.array(c))  # one transposed leaf, one C leaf
    assert not any(type(s) is Stage and s.node.params.name == "transpose" for s in plan([e._node]))
    np.testing.assert_allclose(np.asarray(e), a @ (b.T + c), rtol=1e-13, atol=1e-14)


def test_transpose_of_a_transpose_stage_is_its_operand():
    x = (la.array(_data((5, 3), 4)) @ np.eye(3))._node  # a stage: not pushed down
    t = build.transpose(x, (1, 0))
    assert t.op == "numpy" and t.params.name == "transpose"
    assert build.transpose(t, (1, 0)) is x
