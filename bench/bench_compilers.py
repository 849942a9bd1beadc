"""Compilers: lazyarr against NumPy, numexpr, hand-written Numba, torch.compile, jax.jit and blosc2 on one function.

Every workload is written ONCE, as a plain NumPy function of an array namespace ``xp`` (``fn(xp, *arrays)``):

    numpy            fn(np, *arrays)                                    (baseline of every ratio)
    numexpr          the same expression as a string; "numexpr (k calls)" where it needs k evaluate() calls
                     (row/column reductions feeding elementwise work); skipped where it has no such operation
    handwritten      @njit(parallel=True) prange kernels in bench/handwritten.py
    lazyarr          fn(np, *[la.array(x) for x in arrays]).compute(), the graph built inside the timed call
    lazyarr.fuse     la.fuse(fn bound to np), called with the NumPy arrays
    torch.compile    torch.compile(torch.compiler.wrap_numpy(fn bound to np)) on torch.from_numpy tensors
                     (torch traces the NumPy calls itself), torch.set_num_threads(threads)
    jax.jit          jax.jit(fn bound to jax.numpy) with jax_enable_x64, inputs put on the device beforehand,
                     .block_until_ready(); XLA_FLAGS asks for the same thread count (set before jax is imported)
    blosc2.jit       blosc2.jit(fn bound to np), called with the NumPy arrays, blosc2.set_nthreads(threads)
    blosc2.evaluate  the numexpr string, evaluated by blosc2

torch, jax and blosc2 are optional (``pip install .[compare]``): absent, their contenders are skipped with a
note. A contender that cannot express a workload (blosc2 and ``.T @``) is skipped with the reason. Every
answer is checked against NumPy's.

First call: besides the in-process ``1st call`` column (after the other contenders have run), each present
contender is started in a fresh process twice (``first_call`` in the JSON): *cold*, with LAZYARR_CACHE_DIR,
NUMBA_CACHE_DIR, TORCHINDUCTOR_CACHE_DIR and JAX_COMPILATION_CACHE_DIR in a new empty temporary directory,
then *warm*, with the caches the cold process left. The process imports its library, builds the data, then
calls every selected workload once, in the table's order, timing each first call; so the first workload of
a process also pays the library's one-time start (Numba's, torch's, XLA's), later ones only their own
compile or cache load (``--only NAME`` gives one workload per process).

    python bench/bench_compilers.py                     # full sizes -> bench/results/compilers.json
    python bench/bench_compilers.py --quick             # smoke test
    python bench/bench_compilers.py --no-first-call     # skip the fresh-process part
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numexpr as ne
import numpy as np

from bench import handwritten as hw
from bench import harness, report
from bench.harness import Skip, Workload, contender

SUITE = "compilers"
N_FULL, N_QUICK = 10**7, 10**5
SHAPE_FULL, SHAPE_QUICK = (4000, 2500), (400, 250)
POINTS_FULL, POINTS_QUICK = 2000, 200
COV_FULL, COV_QUICK = (4000, 500), (400, 50)

CONTENDERS = ("numpy", "numexpr", "handwritten", "lazyarr", "lazyarr.fuse", "torch.compile", "jax.jit",
              "blosc2.jit", "blosc2.evaluate")


# --------------------------------------------------------------------------- the workloads, written once


def composite(xp, a, b, c):
    return 2 * a + 3 * b * c - xp.sin(a) ** 2


def where(xp, a, b):
    return xp.where(a > 0.5, a, 2 * b)


def sum_sq(xp, a, b):
    return xp.sum((a - b) ** 2)


def add(xp, b, c):
    return b + c


def logexp(xp, a, b):
    return xp.log1p(xp.exp(-xp.abs(a - b))) + xp.tanh(a) * xp.arctan(b)


def standardize(xp, x):
    return (x - xp.mean(x, axis=0)) / xp.std(x, axis=0)


def softmax(xp, x):
    e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def logsumexp(xp, x):
    m = xp.max(x, axis=1, keepdims=True)
    return m[:, 0] + xp.log(xp.sum(xp.exp(x - m), axis=1))


def layernorm(xp, x, g, b):
    mu = xp.mean(x, axis=1, keepdims=True)
    var = xp.var(x, axis=1, keepdims=True)
    return (x - mu) / xp.sqrt(var + 1e-5) * g + b


def haversine(xp, lat1, lon1, lat2, lon2):
    h = xp.sin((lat2 - lat1) / 2) ** 2 + xp.cos(lat1) * xp.cos(lat2) * xp.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * xp.arcsin(xp.sqrt(h))


def cov(xp, x):
    dev = x - xp.mean(x, axis=0)
    return dev.T @ dev


# --------------------------------------------------------------------------- numexpr and hand-written versions


def _ne(expr: str, names: str):
    """One numexpr expression over the arrays, named in order by ``names``."""
    keys = names.split()
    return lambda *arrays: ne.evaluate(expr, local_dict=dict(zip(keys, arrays)))


def _ne_standardize(x):
    n = x.shape[0]
    mean = ne.evaluate("sum(x, axis=0)", local_dict={"x": x}) / n
    sq = ne.evaluate("sum((x - mean)**2, axis=0)", local_dict={"x": x, "mean": mean})
    std = np.sqrt(sq / n)
    return ne.evaluate("(x - mean) / std", local_dict={"x": x, "mean": mean, "std": std})


def _ne_softmax(x):
    m = ne.evaluate("max(x, axis=1)", local_dict={"x": x})[:, None]
    e = ne.evaluate("exp(x - m)", local_dict={"x": x, "m": m})
    s = ne.evaluate("sum(e, axis=1)", local_dict={"e": e})[:, None]
    return ne.evaluate("e / s", local_dict={"e": e, "s": s}, out=e)


def _ne_logsumexp(x):
    m = ne.evaluate("max(x, axis=1)", local_dict={"x": x})
    s = ne.evaluate("sum(exp(x - m), axis=1)", local_dict={"x": x, "m": m[:, None]})
    return ne.evaluate("m + log(s)", local_dict={"m": m, "s": s})


def _ne_layernorm(x, g, b):
    k = x.shape[1]
    mu = (ne.evaluate("sum(x, axis=1)", local_dict={"x": x}) / k)[:, None]
    var = (ne.evaluate("sum((x - mu)**2, axis=1)", local_dict={"x": x, "mu": mu}) / k)[:, None]
    return ne.evaluate("(x - mu) / sqrt(var + 1e-5) * g + b", local_dict={"x": x, "mu": mu, "var": var, "g": g, "b": b})


HAVERSINE_EXPR = ("2 * 6371.0 * arcsin(sqrt(sin((lat2 - lat1) / 2)**2 + cos(lat1) * cos(lat2) * "
                  "sin((lon2 - lon1) / 2)**2))")


@dataclasses.dataclass
class Spec:
    name: str
    fn: Callable  # fn(xp, *arrays): the workload
    arrays: Callable[[bool], tuple]  # quick -> the NumPy inputs
    numexpr: tuple | None  # (contender name, callable(*arrays)) or None
    handwritten: Callable  # callable(*arrays)
    expr: str | None = None  # the one-expression form, for blosc2.evaluate
    names: str = ""  # the arrays' names in ``expr``
    rtol: float = 1e-12
    atol: float = 0.0


def _vectors(k: int):
    def make(quick: bool):
        rng = np.random.default_rng(0)
        n = N_QUICK if quick else N_FULL
        return tuple(rng.random(n) for _ in range(k))
    return make


def _matrix(quick: bool):
    return (np.random.default_rng(1).random(SHAPE_QUICK if quick else SHAPE_FULL),)


def _matrix_gb(quick: bool):
    x, = _matrix(quick)
    rng = np.random.default_rng(2)
    return x, rng.random(x.shape[1]) + 0.5, rng.random(x.shape[1])


def _points(quick: bool):
    n = POINTS_QUICK if quick else POINTS_FULL
    rng = np.random.default_rng(3)
    lat = lambda shape: rng.uniform(-np.pi / 2, np.pi / 2, shape)
    lon = lambda shape: rng.uniform(-np.pi, np.pi, shape)
    return lat((n, 1)), lon((n, 1)), lat((1, n)), lon((1, n))


def _cov_matrix(quick: bool):
    return (np.random.default_rng(4).random(COV_QUICK if quick else COV_FULL),)


def specs() -> list[Spec]:
    e = np.empty_like
    return [
        Spec("2*a+3*b*c-sin(a)**2", composite, _vectors(3), ("numexpr", _ne("2*a + 3*b*c - sin(a)**2", "a b c")),
             lambda a, b, c: hw.poly(a, b, c, e(a)), "2*a + 3*b*c - sin(a)**2", "a b c", rtol=1e-13),
        Spec("where(a>0.5, a, 2*b)", where, _vectors(2), ("numexpr", _ne("where(a > 0.5, a, 2*b)", "a b")),
             lambda a, b: hw.where(a, b, e(a)), "where(a > 0.5, a, 2*b)", "a b"),
        Spec("sum((a-b)**2)", sum_sq, _vectors(2), ("numexpr", _ne("sum((a - b)**2)", "a b")),
             hw.sum_sq_diff, "sum((a - b)**2)", "a b", rtol=1e-10),
        Spec("B+C", add, _vectors(2), ("numexpr", _ne("b + c", "b c")), lambda b, c: hw.add(b, c, e(b)),
             "b + c", "b c"),
        Spec("log1p(exp(-abs(a-b)))+tanh(a)*arctan(b)", logexp, _vectors(2),
             ("numexpr", _ne("log1p(exp(-abs(a - b))) + tanh(a)*arctan(b)", "a b")),
             lambda a, b: hw.logexp(a, b, e(a)), "log1p(exp(-abs(a - b))) + tanh(a)*arctan(b)", "a b", rtol=1e-13),
        Spec("(x-x.mean(0))/x.std(0)", standardize, _matrix, ("numexpr (3 calls)", _ne_standardize),
             lambda x: hw.standardize(x, e(x)), rtol=1e-11, atol=1e-11),
        Spec("softmax(x, axis=1)", softmax, _matrix, ("numexpr (4 calls)", _ne_softmax),
             lambda x: hw.softmax_rows(x, e(x)), rtol=1e-11),
        Spec("logsumexp(x, axis=1)", logsumexp, _matrix, ("numexpr (3 calls)", _ne_logsumexp),
             lambda x: hw.logsumexp_rows(x, np.empty(x.shape[0])), rtol=1e-12),
        Spec("layernorm(x)*g+b", layernorm, _matrix_gb, ("numexpr (3 calls)", _ne_layernorm),
             lambda x, g, b: hw.layernorm_rows(x, g, b, e(x)), rtol=1e-11, atol=1e-11),
        Spec("haversine (n,1)x(1,n)", haversine, _points, ("numexpr", _ne(HAVERSINE_EXPR, "lat1 lon1 lat2 lon2")),
             lambda la1, lo1, la2, lo2: hw.haversine(la1, lo1, la2, lo2, np.empty((la1.shape[0], la2.shape[1]))),
             HAVERSINE_EXPR, "lat1 lon1 lat2 lon2", rtol=1e-12),
        Spec("dev.T @ dev", cov, _cov_matrix, None, lambda x: hw.cov(x, e(x)), rtol=1e-10, atol=1e-9),
    ]


# --------------------------------------------------------------------------- contenders


_THREADS = {"n": 1}


def _optional(module: str):
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise Skip(f"{module} not installed (pip install .[compare]): {exc}") from None


def _lazyarr_array(spec: Spec, arrays):
    la = harness.lazyarr()
    return lambda: spec.fn(np, *[la.array(x) for x in arrays]).compute()


def _lazyarr_fuse(spec: Spec, arrays):
    la = harness.lazyarr()
    f = la.fuse(functools.partial(spec.fn, np))
    return lambda: f(*arrays)


def _torch(spec: Spec, arrays):
    torch = _optional("torch")
    if not hasattr(torch, "compiler") or not hasattr(torch.compiler, "wrap_numpy"):
        raise Skip(f"torch {torch.__version__} has no torch.compiler.wrap_numpy")
    torch.set_num_threads(_THREADS["n"])
    # Every workload is a new function behind the same wrap_numpy wrapper: past dynamo's recompile limit (8)
    # torch silently runs the rest eagerly, which would time torch's eager NumPy, not torch.compile.
    for limit in ("recompile_limit", "cache_size_limit"):
        if hasattr(torch._dynamo.config, limit):
            setattr(torch._dynamo.config, limit, max(getattr(torch._dynamo.config, limit), 256))
    tensors = [torch.from_numpy(x) for x in arrays]
    f = torch.compile(torch.compiler.wrap_numpy(functools.partial(spec.fn, np)))
    return lambda: f(*tensors)


def _jax(spec: Spec, arrays):
    if "jax" not in sys.modules:
        # XLA reads its thread settings once, when jax starts: the same count as everyone else.
        n = _THREADS["n"]
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + f" --xla_cpu_multi_thread_eigen={str(n > 1).lower()}"
                                   f" intra_op_parallelism_threads={n}").strip()
    jax = _optional("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    f = jax.jit(functools.partial(spec.fn, jnp))
    inputs = [jax.device_put(x) for x in arrays]
    return lambda: f(*inputs).block_until_ready()


def _tiny(arrays):
    """The inputs cut to at most 3 along each axis: a trial call that finds what a library cannot express."""
    return [x[tuple(slice(0, 3) for _ in range(x.ndim))] for x in arrays]


def _blosc2_jit(spec: Spec, arrays):
    blosc2 = _optional("blosc2")
    blosc2.set_nthreads(_THREADS["n"])
    f = blosc2.jit(functools.partial(spec.fn, np))
    try:
        f(*_tiny(arrays))
    except Exception as exc:  # noqa: BLE001 - whatever blosc2 raises for what it cannot do
        raise Skip(f"blosc2.jit cannot run it: {type(exc).__name__}: {exc}"[:200]) from None
    return lambda: f(*arrays)


def _blosc2_evaluate(spec: Spec, arrays):
    blosc2 = _optional("blosc2")
    if spec.expr is None:
        raise Skip("not one expression")
    blosc2.set_nthreads(_THREADS["n"])
    keys = spec.names.split()
    try:
        blosc2.evaluate(spec.expr, local_dict=dict(zip(keys, _tiny(arrays))))
    except Exception as exc:  # noqa: BLE001
        raise Skip(f"blosc2.evaluate cannot run it: {type(exc).__name__}: {exc}"[:200]) from None
    return lambda: blosc2.evaluate(spec.expr, local_dict=dict(zip(keys, arrays)))


def _numexpr(spec: Spec, arrays):
    if spec.numexpr is None:
        raise Skip("numexpr has no matrix product")
    return functools.partial(spec.numexpr[1], *arrays)


FACTORIES = {
    "numpy": lambda spec, arrays: functools.partial(spec.fn, np, *arrays),
    "numexpr": _numexpr,
    "handwritten": lambda spec, arrays: functools.partial(spec.handwritten, *arrays),
    "lazyarr": _lazyarr_array,
    "lazyarr.fuse": _lazyarr_fuse,
    "torch.compile": _torch,
    "jax.jit": _jax,
    "blosc2.jit": _blosc2_jit,
    "blosc2.evaluate": _blosc2_evaluate,
}


def _params(arrays) -> dict:
    return {"shapes": " ".join("x".join(map(str, x.shape)) for x in arrays), "dtype": str(arrays[0].dtype)}


def workload(spec: Spec, arrays, names=CONTENDERS) -> Workload:
    rows = []
    for name in names:
        shown = spec.numexpr[0] if name == "numexpr" and spec.numexpr else name
        rows.append(contender(shown, functools.partial(FACTORIES[name], spec, arrays)))
    return Workload(spec.name, rows, params=_params(arrays), rtol=spec.rtol, atol=spec.atol)


def build(cfg: harness.Config) -> list[Workload]:
    _THREADS["n"] = cfg.threads or 1
    out = []
    for spec in specs():
        if cfg.only and cfg.only not in spec.name:
            continue  # the harness skips it too; not building it saves its data
        out.append(workload(spec, spec.arrays(cfg.quick)))
    return out


# --------------------------------------------------------------------------- first call in a fresh process


CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from bench import bench_compilers as bc, harness
name, quick, only, threads = sys.argv[2], sys.argv[3] == "1", sys.argv[4] or None, int(sys.argv[5])
cfg = harness.Config(quick=quick, threads=threads, only=only)
bc._THREADS["n"] = threads
import numba, numexpr
numba.set_num_threads(threads)
numexpr.set_num_threads(threads)
if name.startswith("lazyarr"):
    harness.lazyarr().set_num_threads(threads)
t_bench = time.perf_counter() - t0
out = {"bench_import_s": t_bench, "workloads": {}}
for spec in bc.specs():
    if only and only not in spec.name:
        continue
    arrays = spec.arrays(quick)
    t = time.perf_counter()
    try:
        fn = bc.FACTORIES[name](spec, arrays)
    except harness.Skip as exc:
        out["workloads"][spec.name] = {"skipped": str(exc)}
        continue
    t_setup = time.perf_counter() - t
    t = time.perf_counter()
    fn()
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    fn()
    out["workloads"][spec.name] = {"setup_s": t_setup, "first_s": t_first, "second_s": time.perf_counter() - t}
print("RESULT " + json.dumps(out))
"""


def _cache_env(directory: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZYARR_")}
    d = Path(directory)
    env.update(LAZYARR_CACHE_DIR=str(d / "lazyarr"), NUMBA_CACHE_DIR=str(d / "numba"),
               TORCHINDUCTOR_CACHE_DIR=str(d / "inductor"), TRITON_CACHE_DIR=str(d / "triton"),
               JAX_COMPILATION_CACHE_DIR=str(d / "jax"), JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
               JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0", PYTHONDONTWRITEBYTECODE="1")
    return env


def _child(name: str, directory: str, cfg: harness.Config) -> dict:
    argv = [sys.executable, "-c", CHILD, str(harness.REPO_ROOT), name, "1" if cfg.quick else "0", cfg.only or "",
            str(cfg.threads or 1)]
    proc = subprocess.run(argv, env=_cache_env(directory), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"first-call child for {name} failed:\n{proc.stderr[-3000:]}")
    return json.loads(next(ln[7:] for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")))


def first_call(cfg: harness.Config, present: list[str]) -> dict:
    """A cold then a warm fresh process for each present contender (one pair each)."""
    result = {}
    for name in present:
        directory = tempfile.mkdtemp(prefix="lazyarr-bench-compilers-")
        try:
            cold = _child(name, directory, cfg)
            warm = _child(name, directory, cfg)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        result[name] = {"cold": cold, "warm": warm}
    return result


def format_first_call(fc: dict) -> str:
    t = report.fmt_time
    names = list(fc)
    workloads = list(next(iter(fc.values()))["cold"]["workloads"]) if fc else []
    w = 40
    lines = ["== first call in a fresh process, cold (empty caches) / warm (the caches the cold process left); "
             "each process calls the workloads in this order, so the first row also pays the library's start"]
    lines.append("  " + "workload".ljust(w) + "".join(f"{n:>22}" for n in names))
    for wl in workloads:
        cells = []
        for n in names:
            c, m = fc[n]["cold"]["workloads"].get(wl, {}), fc[n]["warm"]["workloads"].get(wl, {})
            cells.append("skipped" if "first_s" not in c else f"{t(c['first_s'])} / {t(m['first_s'])}")
        lines.append("  " + wl[:w - 1].ljust(w) + "".join(f"{x:>22}" for x in cells))
    lines.append("  " + "import (bench, numba, numexpr[, lazyarr])".ljust(w)
                 + "".join(f"{t(fc[n]['cold']['bench_import_s']) + ' / ' + t(fc[n]['warm']['bench_import_s']):>22}"
                           for n in names))
    return "\n".join(lines)


def run_suite(cfg: harness.Config, with_first_call: bool = True) -> dict:
    out = harness.run_suite(SUITE, build, cfg, save_results=False)
    present = []
    for wl in out["workloads"]:
        for r in wl["contenders"]:
            base = "numexpr" if r["name"].startswith("numexpr") else r["name"]
            if r["status"] == "ok" and base not in present:
                present.append(base)
    skipped = sorted({r["name"] for wl in out["workloads"] for r in wl["contenders"]
                      if r["status"] == "skipped" and r["name"] not in present})
    if skipped:
        print("NOTE: contenders skipped on every workload: " + ", ".join(skipped))
    if with_first_call and present:
        out["first_call"] = first_call(cfg, [n for n in CONTENDERS if n in present])
        print(format_first_call(out["first_call"]))
    harness.save(out, cfg, SUITE)
    return out


def main(argv=None) -> dict:
    p = harness.parser(__doc__.splitlines()[0])
    p.add_argument("--no-first-call", action="store_true", help="skip the fresh-process cold/warm first calls")
    args = p.parse_args(argv)
    return run_suite(harness.config_from_args(args), with_first_call=not args.no_first_call)


if __name__ == "__main__":
    main()
