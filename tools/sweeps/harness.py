"""Run one NumPy call both ways (NumPy arrays, then the same arrays wrapped by ``la.array``) and say how lazyarr's
answer differs from NumPy's: type, dtype, shape, bytes (NaNs equal, transcendental functions within a few ULP),
exception class, warnings (other than floating-point ones, which lazyarr's kernels do not raise: see
docs/numpy_surface.md), and whether either side wrote into its inputs.

Used by the sweep scripts next to it (``python tools/sweeps/sweep_*.py``) and by tests/test_lazy_sweep.py.
"""
from __future__ import annotations

import collections
import copy
import math
import warnings

import numpy as np

import lazyarr as la

# NumPy's floating-point-status warnings (np.errstate): lazyarr's kernels compute under errstate(ignore).
_FP_WARNING_WORDS = ("divide by zero", "overflow", "invalid value", "underflow")


def _is_fp_warning(w) -> bool:
    return issubclass(w.category, RuntimeWarning) and any(s in str(w.message) for s in _FP_WARNING_WORDS)


def _warning_kinds(records) -> set:
    return {w.category.__name__ for w in records
            if not _is_fp_warning(w) and not issubclass(w.category, la.NumPyFallbackWarning)}


def concrete(result):
    """LazyArrays computed, containers kept: what to compare with NumPy's answer."""
    if isinstance(result, la.LazyArray):
        return result.compute()
    if isinstance(result, tuple) and hasattr(result, "_fields"):
        return type(result)(*(concrete(r) for r in result))
    if isinstance(result, (list, tuple)):
        return type(result)(concrete(r) for r in result)
    return result


def wrap(inputs):
    """NumPy arrays -> LazyArrays (anything else as it is); dicts, lists and tuples wrapped inside."""
    if isinstance(inputs, np.ndarray):
        return la.array(inputs)
    if isinstance(inputs, dict):
        return {k: wrap(v) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(wrap(v) for v in inputs)
    return inputs


def _arrays(inputs):
    if isinstance(inputs, np.ndarray):
        yield inputs
    elif isinstance(inputs, dict):
        for v in inputs.values():
            yield from _arrays(v)
    elif isinstance(inputs, (list, tuple)):
        for v in inputs:
            yield from _arrays(v)


def _ulps(got: np.ndarray, want: np.ndarray) -> float:
    if got.dtype.kind == "c":
        return max(_ulps(got.real, want.real), _ulps(got.imag, want.imag))
    g, w = got.astype(np.float64).ravel(), want.astype(np.float64).ravel()
    nan = np.isnan(g) | np.isnan(w)
    if (np.isnan(g) != np.isnan(w)).any():
        return math.inf
    g, w = g[~nan], w[~nan]
    if not g.size:
        return 0.0
    inf = np.isinf(g) | np.isinf(w)
    if (g[inf] != w[inf]).any():
        return math.inf
    spacing = np.abs(np.spacing(w[~inf].astype(want.dtype))).astype(np.float64)
    spacing = np.maximum(spacing, np.finfo(want.dtype).smallest_subnormal)
    diff = np.abs(g[~inf] - w[~inf]) / spacing
    return float(diff.max()) if diff.size else 0.0


def difference(got, want, ulp: float = 0) -> str | None:
    """None when `got` is NumPy's `want` (type, dtype, shape, values); else what differs."""
    if isinstance(want, (list, tuple)):
        if type(got) is not type(want) and type(got).__name__ != type(want).__name__:
            return f"type {type(got).__name__} != {type(want).__name__}"
        if len(got) != len(want):
            return f"length {len(got)} != {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            d = difference(g, w, ulp)
            if d:
                return f"[{i}] {d}"
        return None
    if not isinstance(want, (np.ndarray, np.generic)):
        if type(got) is not type(want):
            return f"type {type(got).__name__} != {type(want).__name__} ({got!r} vs {want!r})"
        if isinstance(want, float) and math.isnan(want):
            return None if math.isnan(got) else f"value {got!r} != {want!r}"
        try:
            return None if got == want else f"value {got!r} != {want!r}"
        except Exception as exc:  # e.g. objects without ==
            return f"not comparable: {exc}"
    if type(got) is not type(want):
        return f"type {type(got).__name__} != {type(want).__name__}"
    g, w = np.asarray(got), np.asarray(want)
    if g.dtype != w.dtype:
        if g.dtype == w.dtype.newbyteorder("="):  # the same type in another byte order (docs/numpy_surface.md)
            return f"byteorder {g.dtype} != {w.dtype}"
        return f"dtype {g.dtype} != {w.dtype}"
    if g.shape != w.shape:
        return f"shape {g.shape} != {w.shape}"
    if g.size == 0 or g.dtype.kind not in "biufc":
        return None if g.dtype.kind in "biufc" or (g == w).all() else "values differ"
    if g.dtype.kind in "fc":
        same = (g == w) | (np.isnan(g) & np.isnan(w)) if g.dtype.kind == "f" else (
            ((g.real == w.real) | (np.isnan(g.real) & np.isnan(w.real)))
            & ((g.imag == w.imag) | (np.isnan(g.imag) & np.isnan(w.imag))))
        if g.dtype.kind == "f":
            same &= (np.signbit(g) == np.signbit(w)) | np.isnan(g)
        if same.all():
            return None
        if ulp:
            d = _ulps(g, w)
            if d <= ulp:
                return None
            return f"values differ by {d:.3g} ULP (allowed {ulp})"
        bad = np.flatnonzero(~same)[:3]
        return f"{(~same).sum()} values differ: got {g.ravel()[bad].tolist()} NumPy {w.ravel()[bad].tolist()}"
    if (g == w).all():
        return None
    bad = np.flatnonzero(g != w)[:3]
    return f"{(g != w).sum()} values differ: got {g.ravel()[bad].tolist()} NumPy {w.ravel()[bad].tolist()}"


def _run(fn, inputs, concrete_of=concrete):
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        try:
            result, exc = concrete_of(fn(inputs)), None
        except Exception as e:  # the answer is the exception itself
            result, exc = None, e
    return result, exc, records


class Outcome(collections.namedtuple("Outcome", "kind detail fallback")):
    """kind: ok | exception (lazy raised, NumPy did not) | missed-exception | exception-class | type | dtype |
    shape | values | warnings | input-written. fallback: lazyarr ran NumPy through its fallback."""


def compare(fn, inputs, ulp: float = 0, wrapper=wrap, concrete_of=concrete) -> Outcome:
    """Call `fn(inputs)` on NumPy arrays and on their LazyArrays; how the answers differ. `wrapper` makes the
    lazy inputs and `concrete_of` the lazy answer's values (tools/sweeps/sweep_dask.py: dask-backed ones)."""
    kept = [(a, a.copy(), a.strides) for a in _arrays(inputs)]
    want, want_exc, want_warn = _run(fn, copy.copy(inputs))
    lazy_inputs = wrapper(inputs)
    got, got_exc, got_warn = _run(fn, lazy_inputs, concrete_of)
    fallback = any(issubclass(w.category, la.NumPyFallbackWarning) for w in got_warn)
    for a, before, strides in kept:
        if difference(a, before) or a.strides != strides:
            return Outcome("input-written", "an input array changed", fallback)
    if want_exc is not None:
        if got_exc is None:
            return Outcome("missed-exception", f"NumPy raised {type(want_exc).__name__}: {want_exc}", fallback)
        if not isinstance(got_exc, type(want_exc)):
            return Outcome("exception-class", f"{type(got_exc).__name__}: {got_exc} (NumPy "
                           f"{type(want_exc).__name__}: {want_exc})", fallback)
        return Outcome("ok", "", fallback)
    if got_exc is not None:
        return Outcome("exception", f"{type(got_exc).__name__}: {str(got_exc)[:300]}", fallback)
    d = difference(got, want, ulp)
    if d:
        kind = next((w for w in d.split() if w in ("type", "dtype", "shape", "byteorder")), "values")
        return Outcome(kind, d, fallback)
    missing = _warning_kinds(want_warn) - _warning_kinds(got_warn)
    extra = _warning_kinds(got_warn) - _warning_kinds(want_warn)
    if missing or extra:
        return Outcome("warnings", f"missing {sorted(missing)} extra {sorted(extra)}", fallback)
    return Outcome("ok", "", fallback)


class Tally:
    """Counts of outcomes by kind, and the failures' lines."""

    def __init__(self):
        self.kinds = collections.Counter()
        self.fallbacks = 0
        self.failures = []

    def check(self, name, fn, inputs, ulp: float = 0, **how) -> Outcome:
        try:
            out = compare(fn, inputs, ulp, **how)
        except Exception as exc:  # the harness itself (e.g. comparing odd results)
            out = Outcome("harness", f"{type(exc).__name__}: {exc}", False)
        self.kinds[out.kind] += 1
        self.fallbacks += out.fallback
        if out.kind != "ok":
            self.failures.append(f"{out.kind:16s} {name}: {out.detail}")
        return out

    def report(self, title: str) -> str:
        lines = [f"== {title}: {sum(self.kinds.values())} calls, {dict(self.kinds)}, fallbacks {self.fallbacks}"]
        return "\n".join(lines + self.failures)
