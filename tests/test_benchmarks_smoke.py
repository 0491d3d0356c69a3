"""The benchmarks run (tiny sizes) so that they cannot rot; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "extra"),
    [("bench_scan.py", ["--runs", "1"]), ("bench_prune.py", [])],
)
def test_benchmark_runs(script: str, extra: list[str], tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(BENCH / script), "--entries", "300", "--json", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    rows = json.loads(out.read_text())
    assert {row["kind"] for row in rows} == {"sqlite", "xattr"}
    assert all(row["entries"] == 300 for row in rows)
    assert "sqlite" in r.stdout and "xattr" in r.stdout
