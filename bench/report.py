"""Reporting for the benchmark harness: text tables, JSON files, an optional plot."""

from __future__ import annotations

import json
from pathlib import Path


def fmt_time(t: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if t >= scale or unit == "ns":
            return f"{t / scale:.3g} {unit}"
    raise AssertionError


def format_workload(res: dict) -> str:
    params = ", ".join(f"{k}={v}" for k, v in res["params"].items())
    lines = [f"== {res['name']}  ({params})"]
    head = f"  {'contender':<22}{'median':>11}{'min':>11}{'q25..q75':>21}{'x ' + res['baseline']:>11}  {'1st call':>9}  check"
    lines.append(head)
    for r in res["contenders"]:
        if r["status"] != "ok":
            lines.append(f"  {r['name']:<22}skipped: {r['reason']}")
            continue
        iqr = f"{fmt_time(r['q25_s'])}..{fmt_time(r['q75_s'])}"
        lines.append(
            f"  {r['name']:<22}{fmt_time(r['median_s']):>11}{fmt_time(r['min_s']):>11}{iqr:>21}"
            f"{r['ratio_vs_baseline']:>11.3f}  {fmt_time(r['first_call_s']):>9}  {r['check']}"
        )
        if r["note"]:
            lines.append(f"  {'':<22}^ {r['note']}")
    return "\n".join(lines)


def format_summary(suite: dict) -> str:
    lines = ["== ratios (median time of lazyarr variant / median time of other; < 1 means lazyarr is faster)"]
    any_ratio = False
    for res in suite["workloads"]:
        for key, val in res["ratios"].items():
            lines.append(f"  {res['name']:<40}{key:<36}{val:8.3f}")
            any_ratio = True
    if not any_ratio:
        lines.append("  (no lazyarr numbers: lazyarr did not run)")
    return "\n".join(lines)


def _blas_text(blas) -> str:
    if not isinstance(blas, list):
        return str(blas)
    return "; ".join(f"{b['internal_api']} {b['version']} ({b['architecture']} kernels, threads={b['num_threads']})"
                     for b in blas) or "none loaded"


def _isa_text(isa) -> str:
    """" (znver3; NumPy's X86_V3 loops)" from the environment's ``isa`` record; "" for results made before it."""
    if not isa:
        return ""
    return f" ({isa['llvm_cpu']}; NumPy's {isa['numpy_dispatch']} loops)"


def format_header(suite: dict) -> str:
    env, cfg = suite["environment"], suite["config"]
    la = env["lazyarr"]
    la_txt = la if isinstance(la, str) else f"{la['version']} ({la['file']}), threads={la['num_threads']}"
    return "\n".join([
        f"suite {suite['suite']}{' (quick)' if cfg['quick'] else ''}  {env['timestamp_utc']}  git {env['git_commit'] and env['git_commit'][:10]}{' (dirty)' if env['git_dirty'] else ''}",
        f"cpu: {env['processor']}{_isa_text(env.get('isa'))}, cpu_count={env['cpu_count']}, "
        f"affinity={env['cpu_affinity']}, "
        f"load average before={suite['loadavg_before']}",
        f"numpy {env['numpy']}, numba {env['numba']} (threads={env['numba_num_threads']}, layer={env['numba_threading_layer']}), "
        f"numexpr {env['numexpr']} (threads={env['numexpr_num_threads']}, vml={env['numexpr_vml']})",
        f"lazyarr: {la_txt}",
        f"blas: {_blas_text(env.get('blas'))}",
        f"rounds={cfg['rounds']} repeats={cfg['repeats']} min_timing={cfg['min_timing_s']}s; "
        "time = median over rounds of (min over repeats); only ratios within this run are meaningful",
    ])


def save(suite: dict, path: Path, with_plot: bool) -> Path:
    """Write the suite's JSON to ``path``, and the plot beside it if asked and possible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(suite, indent=1) + "\n")
    if with_plot:
        plot(suite, path.with_suffix(".png"))
    return path


def plot(suite: dict, path: Path) -> Path | None:
    """Bar chart of time relative to each workload's baseline (log scale); needs matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    wls = suite["workloads"]
    names = sorted({r["name"] for w in wls for r in w["contenders"] if r["status"] == "ok"},
                   key=lambda n: min(i for w in wls for i, r in enumerate(w["contenders"]) if r["name"] == n))
    fig, ax = plt.subplots(figsize=(max(6, 1.8 * len(wls)), 4))
    width = 0.8 / max(1, len(names))
    for k, name in enumerate(names):
        xs, ys = [], []
        for i, w in enumerate(wls):
            for r in w["contenders"]:
                if r["name"] == name and r["status"] == "ok":
                    xs.append(i + k * width)
                    ys.append(r["ratio_vs_baseline"])
        ax.bar(xs, ys, width, label=name)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks([i + width * (len(names) - 1) / 2 for i in range(len(wls))])
    ax.set_xticklabels([w["name"] for w in wls], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("time / baseline time (lower is faster)")
    ax.set_title(f"{suite['suite']} ({suite['environment']['numba_num_threads']} threads)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
