"""(s21) NumPy's own docstring examples, run on LazyArrays, give NumPy's values.

For every NumPy function lazyarr runs natively (fused or as a NumPy stage), every ufunc and its methods (``at``,
``reduce``, ``accumulate``, ``reduceat``, ``outer``) and every ndarray method, the
``>>>`` examples of its docstring run twice, statement by statement: once as written, once with every array an
array-making call returns (``np.array``, ``np.arange``, ``np.zeros``, ``np.linspace``, ...) wrapped with
``la.array``. Each expression's value must be NumPy's (dtype, shape and values; float values to 1e-12), and an
example NumPy runs must run on LazyArrays too. These are realistic calls with the keyword combinations NumPy's
authors chose to show, views written through (``np.einsum('ii->i', a)[:] = 1``) and mutated arrays read again.

Not compared (``NOT_COMPARED``, each with its reason): examples that plot, draw random numbers, time, print
ids or read ``np.empty``, and examples NumPy itself fails (they rely on context the docstring does not hold). An
array of a dtype lazyarr cannot compile (object, str) stays a NumPy array; lazyarr's documented refusals
(``REFUSALS``: such dtypes, ``ravel(order='K')``, masked arrays) end the comparison of that docstring.

Found by this module when it was written (s21): writes through ``np.einsum('ii->i', a)`` and ``x.T.flat`` were
lost, ``x.flat = v`` was refused, ``a[sorter[result]]`` raised KeyError, ``np.pad`` refused a dict of widths and
``np.size`` a tuple of axes, ``x.flags`` said a LazyArray was not writable, ``a.resize`` of an array held in
Fortran order took C order, ``print(x)`` printed a description, ``np.atleast_1d(x) is x`` was False.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import doctest
import io
import types
import warnings

import numpy as np
import pytest
from numpy._core import overrides

import lazyarr as la
from lazyarr.graph.dtypes import UnsupportedDtype
from lazyarr.api.assign import WRITING_FUNCTIONS
from lazyarr.api.numpy_api import HANDLED
from lazyarr.api.stages import BOUNDARIES

MAKERS = frozenset({"array", "asarray", "asanyarray", "ascontiguousarray", "arange", "linspace", "logspace",
                    "geomspace", "zeros", "ones", "full", "eye", "identity", "tri", "diag", "zeros_like",
                    "ones_like", "full_like"})
# Examples not compared, and why: their values differ by design, or they test what is not lazyarr's to match
NOT_COMPARED = {
    "plt.": "a plot", "ax.": "a plot", "ax1": "a plot", "ax2": "a plot", "fig": "a plot",
    "rng": "random draws", "random": "random draws", "rvs": "random draws",
    "timeit": "a timing", "t2-t1": "a timing",
    "empty": "uninitialised memory",
    "id(": "object identities", "ctypes": "memory addresses",
    " is a": "identity: np.asarray(x) of a LazyArray is a new ndarray (a conversion)",
    "x is y": "identity: np.ascontiguousarray(x) of a LazyArray is a new ndarray (a conversion)",
    ".base is": "identity of a view's base",
    "type(x.flat)": "x.flat is lazyarr's iterator class, not numpy.flatiter",
    "np.testing.assert_equal": "NumPy's testing functions compare ndarrays (bool() of a many-element LazyArray)",
    "assert not np.all(a": "overwrite_input=True leaves the input's contents undefined (NumPy's documentation); "
                           "lazyarr leaves them unchanged",
    "y.flags['C_CONTIGUOUS']": "lazyarr picks the memory layout of what it computes (docs/index.md)",
}
# From an example making an object array on, a docstring is not compared: the object array holds the LazyArrays
# the wrapper made, where NumPy's holds ndarrays (lazyarr does not take object arrays)
STOPS = ("dtype=object",)
# lazyarr's documented refusals (a clear error, never a wrong value); the rest of that docstring's examples is not
# compared, since its arrays no longer hold what NumPy's do
REFUSALS = ("cannot compile",  # UnsupportedDtype: object, str, structured dtypes
            "follows the memory layout",  # ravel(order='K'/'A') of a lazy value
            "cannot write through",  # a write into a view lazyarr cannot write back (another byte order)
            "ndarray subclass lazyarr does not take")  # numpy.ma: lazyarr has no masks


class _LazyNumPy(types.ModuleType):
    """``numpy`` whose array-making functions return LazyArrays (where lazyarr holds the dtype)."""

    def __getattr__(self, name):
        attr = getattr(np, name)
        if name not in MAKERS:
            return attr

        def made(*args, **kwargs):
            value = attr(*args, **kwargs)
            if type(value) is np.ndarray:
                try:
                    return la.array(value)
                except UnsupportedDtype:
                    return value
            return value
        return made


LAZY_NUMPY = _LazyNumPy("numpy")


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    """``import numpy as np`` in an example (most begin with it) gives the wrapping module too."""
    module = builtins.__import__(name, globals, locals, fromlist, level)
    return LAZY_NUMPY if name == "numpy" and not fromlist else module


LAZY_BUILTINS = {**builtins.__dict__, "__import__": _import}


def _concrete(value):
    """The value now: a LazyArray computed, an ndarray copied (a later example may write into it)."""
    if isinstance(value, la.LazyArray):
        return np.array(value.compute())
    if type(value) is np.ndarray:
        return value.copy()
    if type(value) in (tuple, list):
        return type(value)(_concrete(v) for v in value)
    return value


def _run(examples, namespace) -> list:
    """(ok, value-or-error) per example; an expression's value, a statement's printed output."""
    results = []
    for example in examples:
        tree = ast.parse(example.source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        statements = compile(tree, "<example>", "exec")  # (``x.flat = 3; x``: the statements, then x's value)
        expression = compile(ast.Expression(last.value), "<example>", "eval") if last is not None else None
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), \
                    contextlib.redirect_stdout(io.StringIO()) as printed:
                warnings.simplefilter("ignore")
                exec(statements, namespace)
                value = _concrete(eval(expression, namespace)) if expression is not None else None
                value = (printed.getvalue(), value)
            results.append((True, value))
        except Exception as exc:  # noqa: BLE001 (the example's own error is compared, not raised)
            results.append((False, exc))
    return results


def _same(got, want) -> bool:
    if isinstance(want, (tuple, list)) and isinstance(got, (tuple, list)):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(want, (np.ndarray, np.generic)) or isinstance(got, (np.ndarray, np.generic)):
        try:
            g, w = np.asarray(got), np.asarray(want)
        except Exception:  # noqa: BLE001
            return False
        if g.shape != w.shape or g.dtype != w.dtype:
            return False
        if w.dtype.kind in "fc":
            return bool(np.allclose(g, w, rtol=1e-12, atol=0, equal_nan=True))
        if w.dtype.kind == "O":
            return repr(g) == repr(w)
        return bool(np.array_equal(g, w))
    try:
        return bool(got == want) or repr(got) == repr(want)
    except Exception:  # noqa: BLE001
        return repr(got) == repr(want)


def _documented():
    """(name, docstring) of every natively run NumPy function and every ndarray method, with examples."""
    rules = set(HANDLED) | set(BOUNDARIES) | set(WRITING_FUNCTIONS)
    found = {}
    for func in overrides.ARRAY_FUNCTIONS:
        if func in rules:
            found.setdefault(f"{func.__module__}.{func.__name__}", func.__doc__ or "")
    for name in dir(np.ndarray):
        if not name.startswith("_"):
            found[f"ndarray.{name}"] = getattr(getattr(np.ndarray, name), "__doc__", None) or ""
    for name in dir(np):
        if isinstance(getattr(np, name), np.ufunc):
            found.setdefault(f"ufunc {getattr(np, name).__name__}", getattr(np, name).__doc__ or "")
    for method in ("at", "reduce", "accumulate", "reduceat", "outer"):
        found[f"ufunc.{method}"] = getattr(np.ufunc, method).__doc__ or ""
    parser = doctest.DocTestParser()
    return sorted((name, doc) for name, doc in found.items() if parser.get_examples(doc))


DOCUMENTED = _documented()


@pytest.mark.parametrize("name, doc", DOCUMENTED, ids=[name for name, _ in DOCUMENTED])
def test_numpys_docstring_examples_give_numpys_values_on_lazy_arrays(name, doc, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (``a.dump("test.npy")``, ``a.tofile("test.out")``: files the examples write)
    examples = doctest.DocTestParser().get_examples(doc)
    want = _run(examples, {"np": np})
    got = _run(examples, {"np": LAZY_NUMPY, "__builtins__": LAZY_BUILTINS})
    problems = []
    for example, (numpy_ran, expected), (lazy_ran, value) in zip(examples, want, got):
        source = example.source.strip()
        if any(text in source for text in STOPS):
            break
        if not numpy_ran or any(text in source for text in NOT_COMPARED):
            continue
        if not lazy_ran:
            if isinstance(value, (TypeError, ValueError)) and any(text in str(value) for text in REFUSALS):
                break
            problems.append(f"{source}\n    raised {type(value).__name__}: {value}")
        elif not _same(value, expected):
            problems.append(f"{source}\n    NumPy: {expected!r}\n    lazy:  {value!r}")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def test_the_examples_cover_the_native_surface():
    """The collection itself: most natively run functions have examples (a NumPy without docstrings, -OO,
    would otherwise pass this module silently)."""
    assert len(DOCUMENTED) > 150
