"""bench/bench_programs.py's verdict: the geometric mean and the programs below NumPy, by the ratio of medians and by
the median of per-round (paired) ratios, from rows as ``measure_program`` makes them (synthetic samples)."""
import math

import pytest

from bench import bench_programs as bp


def _program(name: str, numpy_s: list, fuse_s: list, lazy_s: list | None, lazy_numpy_s: list | None = None) -> dict:
    """Rows of one program; `lazy_numpy_s`: NumPy's samples the lazy mode is paired with, where not `numpy_s`."""
    rows = [{"mode": "numpy", "status": "ok", **bp._stats(numpy_s, numpy_s)},
            {"mode": "fuse", "status": "ok", **bp._stats(fuse_s, numpy_s)}]
    rows.append({"mode": "lazy", "status": "ok", **bp._stats(lazy_s, lazy_numpy_s or numpy_s)}
                if lazy_s is not None else {"mode": "lazy", "status": "wrong answer", "reason": "differs"})
    return {"name": name, "contenders": rows}


def test_paired_ratios_pair_each_round_and_the_verdicts_follow_each_estimate():
    # rounds 2 and 3 ran under load for everyone: medians say "slower", each round's pair says "faster"
    drifting = _program("drifting", [10.0, 30.0, 31.0], [9.0, 29.0, 33.0], [9.5, 29.5, 30.5])
    steady = _program("steady", [10.0, 10.0, 10.0], [5.0, 5.0, 5.0], None)
    summ = bp.summary([drifting, steady])
    fuse, lazy = summ["lazyarr.fuse"], summ["lazyarr"]
    assert fuse["ok"] == 2 and lazy["ok"] == 1 and lazy["programs"] == 2
    # drifting, fuse: median 30 / 29 = 1.034; paired median of (10/9, 30/29, 31/33) = 30/29
    assert fuse["geomean_speedup"] == pytest.approx(math.sqrt(30 / 29 * 2.0))
    assert fuse["slower_than_numpy"] == [] and fuse["paired_slower_than_numpy"] == []
    # drifting, lazy: median 30 / 29.5 > 1; paired (10/9.5, 30/29.5, 31/30.5): all > 1
    assert lazy["slower_than_numpy"] == [] and lazy["paired_geomean_speedup"] == pytest.approx(30 / 29.5)


def test_a_program_slower_in_most_rounds_is_named_by_both_estimates_and_one_slow_round_by_the_medians_only():
    slow = _program("slow", [10.0, 10.0, 12.0], [11.0, 10.5, 11.0], [9.0, 11.0, 29.0], [10.0, 10.0, 30.0])
    summ = bp.summary([slow])
    assert summ["lazyarr.fuse"]["slower_than_numpy"] == ["slow"]          # median 11 against 10
    assert summ["lazyarr.fuse"]["paired_slower_than_numpy"] == ["slow"]   # 10/11, 10/10.5, 12/11 -> 0.95
    # lazy against NumPy's (10, 10, 30): median 11 against 10, but paired 10/9, 10/11, 30/29 -> 1.03
    assert summ["lazyarr"]["slower_than_numpy"] == ["slow"]
    assert summ["lazyarr"]["paired_slower_than_numpy"] == []


def test_the_table_line_shows_both_estimates():
    line = bp.format_program({"name": "p", "contenders": _program("p", [2.0, 2.0, 2.0], [1.0, 1.0, 1.0],
                                                                      [4.0, 4.0, 4.0])["contenders"]})
    assert "ok 2.00x" in line and "ok 0.50x" in line and "paired  2.00x  0.50x" in line
