"""The verify benchmark runs on tiny files so that it cannot rot; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_verify.py"


def test_verify_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    r = subprocess.run(
        [sys.executable, str(RUN), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    assert doc["target"] == 1.3
    assert [(row["algorithm"], row["tool"]) for row in doc["rows"]] == [
        ("md5", "md5sum"),
        ("sha512", "sha512sum"),
    ]
    for row in doc["rows"]:
        assert row["bytes"] == 4 << 20
        for key in ("floor_s", "core_s", "cli_s", "core_vs_floor", "cli_vs_floor"):
            assert row[key] > 0, key
    assert "target <= 1.3x" in r.stdout
