"""Markdown tables and a plot for bench/README.md from a ``bench_compilers.py`` run: its JSON (warm medians, ratios,
first calls), or the tables it printed (a run stopped before it saved its JSON: medians only).

    python bench/compilers_table.py [bench/results/compilers.json | bench/results/compilers.log] [--plot PNG]
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import fmt_time

SHOWN = ("numpy", "numexpr", "handwritten", "lazyarr", "lazyarr.fuse", "torch.compile", "jax.jit", "blosc2.jit",
         "blosc2.evaluate")


def _by_base(workload: dict) -> dict:
    """contender base name ("numexpr (3 calls)" -> "numexpr") -> its record."""
    return {r["name"].split(" (")[0]: r for r in workload["contenders"]}


def warm_table(data: dict) -> str:
    lines = ["| workload | " + " | ".join(SHOWN) + " | lazyarr / torch | lazyarr / jax |",
             "|---" * (len(SHOWN) + 3) + "|"]
    for wl in data["workloads"]:
        rows = _by_base(wl)
        cells = []
        for name in SHOWN:
            r = rows.get(name)
            cells.append(fmt_time(r["median_s"]) if r and r["status"] == "ok" else "-")
        best = min((rows[n]["median_s"] for n in ("lazyarr", "lazyarr.fuse") if rows.get(n, {}).get("status") == "ok"),
                   default=None)
        ratios = []
        for other in ("torch.compile", "jax.jit"):
            r = rows.get(other)
            ok = best is not None and r is not None and r["status"] == "ok"
            ratios.append(f"{best / r['median_s']:.2f}" if ok else "-")
        lines.append(f"| `{wl['name']}` | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def first_call_table(data: dict) -> str:
    fc = data.get("first_call") or {}
    names = [n for n in SHOWN if n in fc]
    lines = ["| workload | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    workloads = list(next(iter(fc.values()))["cold"]["workloads"]) if fc else []
    for wl in workloads:
        cells = []
        for n in names:
            cold, warm = fc[n]["cold"]["workloads"].get(wl, {}), fc[n]["warm"]["workloads"].get(wl, {})
            cells.append(f"{fmt_time(cold['first_s'])} / {fmt_time(warm['first_s'])}" if "first_s" in cold
                         and "first_s" in warm else "-")
        lines.append(f"| `{wl}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_ROW = re.compile(r"^  (\S.*?)\s{2,}([\d.]+) (s|ms|us|ns)\s")


def from_log(text: str) -> dict:
    """The JSON's shape (name, contenders: name, status, median_s) from the harness's printed tables."""
    workloads = []
    for line in text.splitlines():
        if line.startswith("== ratios"):
            break
        if line.startswith("== "):
            workloads.append({"name": line[3:].split("  (")[0], "contenders": []})
        elif workloads and line.startswith("  ") and not line.startswith("  contender"):
            m = _ROW.match(line)
            if m:
                workloads[-1]["contenders"].append(
                    {"name": m.group(1), "status": "ok", "median_s": float(m.group(2)) * _UNITS[m.group(3)]})
            elif "skipped:" in line:
                workloads[-1]["contenders"].append({"name": line.split("skipped:")[0].strip(), "status": "skipped"})
    loads = re.search(r"load average before=(\[.*?\]) after=(\[.*?\])", text)
    return {"workloads": workloads, "loadavg_before": loads and loads.group(1), "loadavg_after": loads and loads.group(2)}


def plot(data: dict, path: Path) -> None:
    """Bars: each contender's median time / NumPy's, per workload (log scale; < 1: faster than NumPy)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n in SHOWN if n != "numpy"]
    fig, ax = plt.subplots(figsize=(14, 5.5))
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        xs, ys = [], []
        for i, wl in enumerate(data["workloads"]):
            rows = _by_base(wl)
            if rows.get(name, {}).get("status") == "ok" and rows.get("numpy", {}).get("status") == "ok":
                xs.append(i + (j - len(names) / 2) * width)
                ys.append(rows[name]["median_s"] / rows["numpy"]["median_s"])
        ax.bar(xs, ys, width, label=name, bottom=0)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_ylabel("median time / NumPy's (log; < 1: faster)")
    ax.set_xticks(range(len(data["workloads"])))
    ax.set_xticklabels([wl["name"] for wl in data["workloads"]], rotation=25, ha="right", fontsize=8)
    ax.legend(fontsize=8, ncol=4)
    ax.set_title("bench_compilers.py: 2 threads each, float64")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    png = None
    if "--plot" in argv:
        i = argv.index("--plot")
        png, argv = Path(argv[i + 1]), argv[:i] + argv[i + 2:]
    path = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results" / "compilers.json"
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else from_log(text)
    if png is not None:
        plot(data, png)
    print(f"load average before {data.get('loadavg_before')}, after {data.get('loadavg_after')}\n")
    print(warm_table(data) + "\n")
    if data.get("first_call"):
        print(first_call_table(data))


if __name__ == "__main__":
    main()
