"""The benchmark suite runs on tiny caches so that it cannot rot; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


def test_benchmark_suite_runs(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert {(row["kind"], row["entries"]) for row in doc["rows"]} == {
        ("sqlite", 300),
        ("xattr", 300),
    }
    for row in doc["rows"]:
        for key in (
            "floor_s",
            "core_s",
            "cli_s",
            "plan_s",
            "prune_s",
            "first_rows_s",
            "sort_s",
            "scan_stall_ms",
            "prune_stall_ms",
            "peak_rss_mb",
            "core_vs_peer",
            "cli_json_vs_peer",
            "cli_csv_vs_peer",
        ):
            assert row[key] >= 0, key
    assert {t["figure"] for t in doc["targets"]} >= {"core_vs_floor", "first_rows_s"}
    assert "Targets at 300 entries" in r.stdout
    assert "Peers: the same job as a plain Python program" in r.stdout
    assert doc["filetracker"]["rows"][0]["files"] == 2_000
    fleet = doc["fleet"]
    assert (fleet["rows"][0]["nodes"], fleet["rows"][0]["window"]["nodes"]) == (3, 3)
    assert {t["figure"] for t in fleet["targets"]} == {
        "summary_s",
        "matrix_s",
        "window_worst_stall_ms",
    }
    assert "the Fleet view: shown in" in r.stdout


def test_filetracker_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "ft.json"
    script = RUN.with_name("bench_filetracker.py")
    r = subprocess.run(
        [sys.executable, str(script), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    (row,) = doc["rows"]
    assert (row["files"], row["dirs"]) == (2_000, 20)
    for key in ("floor_s", "core_s", "cli_s", "plan_s", "client_s", "core_vs_floor_cpu"):
        assert row[key] >= 0, key
    assert {t["figure"] for t in doc["targets"]} == {
        "core_vs_floor",
        "cli_vs_floor",
        "plan_s",
        "window_first_rows_s",
        "window_peak_mb",
    }
    assert row["window_first_rows_s"] > 0 and row["window_peak_mb"] > 0
