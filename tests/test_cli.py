"""The CLI, run as the installed entry point in a real process."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inspector.core import State, open_cache, summarize
from inspector.core.demo import DemoSpec, build_demo_cache
from tests.glance_service import GlanceService

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")
SPEC = DemoSpec(cached=30, queued=4, incomplete=3, stalled=2, invalid=3)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_cache(tmp_path_factory.mktemp("demo") / "cache", "sqlite", SPEC)


def test_list_json_is_the_documented_object(demo: Path) -> None:
    r = run("list", str(demo), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["path"] == str(demo)
    assert doc["driver"] == "sqlite"
    entries = doc["entries"]
    total = SPEC.cached + SPEC.queued + SPEC.incomplete + SPEC.stalled + SPEC.invalid
    assert len(entries) == total
    keys = {
        "id",
        "state",
        "size",
        "hits",
        "last_accessed",
        "last_modified",
        "checksum",
        "error",
        "position",
    }
    assert all(keys <= set(e) for e in entries)
    core = {(e.state, e.id): e for e in open_cache(demo).scan().entries}
    for e in entries:
        ref = core[(State(e["state"]), e["id"])]
        assert e["size"] == ref.size
        assert e["hits"] == ref.hits
        if e["last_modified"] is not None:
            assert e["last_modified"].endswith("Z")
    queued = sorted((e for e in entries if e["state"] == "queued"), key=lambda e: e["position"])
    assert [e["position"] for e in queued] == list(range(1, SPEC.queued + 1))
    assert all(e["position"] is None for e in entries if e["state"] != "queued")


def test_list_filters_and_sorts_by_numbers(demo: Path) -> None:
    r = run("list", str(demo), "--state", "cached", "--sort", "size", "--json")
    sizes = [e["size"] for e in json.loads(r.stdout)["entries"]]
    assert len(sizes) == SPEC.cached
    assert sizes == sorted(sizes)
    r = run("list", str(demo), "--state", "cached", "--sort", "size", "--reverse", "--csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [int(row["size"]) for row in rows] == sorted(sizes, reverse=True)
    assert {row["state"] for row in rows} == {"cached"}


def test_list_table_is_humanized(demo: Path) -> None:
    r = run("list", str(demo), "--state", "queued")
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["STATE", "ID", "SIZE"]
    assert len(lines) == 1 + SPEC.queued
    assert "queue position 1" in lines[1]
    r = run("list", str(demo), "--state", "cached", "--sort", "size", "--reverse")
    assert "iB" in r.stdout.splitlines()[1]


def test_stats_json_totals(demo: Path) -> None:
    r = run("stats", str(demo), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    s = summarize(open_cache(demo).scan().entries)
    assert doc["total_size"] == s.total_size
    assert doc["states"]["cached"] == {"count": SPEC.cached, "bytes": s.total_size}
    assert doc["states"]["queued"]["count"] == SPEC.queued
    assert doc["states"]["incomplete"]["count"] == SPEC.incomplete + SPEC.stalled
    assert doc["states"]["invalid"]["count"] == SPEC.invalid


def test_stats_text(demo: Path) -> None:
    r = run("stats", str(demo))
    assert r.returncode == 0
    assert "Glance (sqlite)" in r.stdout
    assert f"in {SPEC.cached} images" in r.stdout


def test_cli_reads_a_cache_glance_wrote(glance: GlanceService) -> None:
    glance.cache("6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01", b"x" * 1234)
    glance.read("6d0b5b54-0a0b-4e6b-9a57-0b2b3d0f3a01", times=3)
    r = run("list", glance.path, "--json")
    [entry] = json.loads(r.stdout)["entries"]
    assert entry["size"] == 1234
    assert entry["hits"] == 3
    assert json.loads(run("stats", glance.path, "--json").stdout)["total_size"] == 1234


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["list", "/nonexistent/cache"], "does not exist"),
        (["stats", "/"], "does not look like a cache"),
    ],
)
def test_failures_exit_1_with_one_line(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 1
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_usage_errors_exit_2(demo: Path) -> None:
    assert run("frobnicate").returncode == 2
    assert run("list", str(demo), "--sort", "colour").returncode == 2
    assert run("list", str(demo), "--driver", "redis").returncode == 2
    assert run("list", str(demo), "--json", "--csv").returncode == 2


def test_corrupt_database_exit_1(tmp_path: Path) -> None:
    root = build_demo_cache(tmp_path / "c", "sqlite", SPEC)
    (root / "cache.db").write_bytes(b"\0garbage" * 64)
    r = run("list", str(root))
    assert r.returncode == 1
    assert "not a usable Glance cache database" in r.stderr
    assert (root / "cache.db").read_bytes() == b"\0garbage" * 64


def test_version() -> None:
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("cache-inspector-cli ")


@pytest.fixture
def private_cache() -> Iterator[Path]:
    """A cache directory that the user ``nobody`` may not read."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the CLI as another user")
    probe = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI, "--version"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        # The clone (and its .venv) lies under a directory others cannot enter,
        # such as /root or a mktemp -d directory: nobody cannot start the CLI.
        pytest.skip(f"the user nobody cannot run {CLI}: {probe.stderr.strip()[:200]}")
    base = Path(tempfile.mkdtemp(prefix="inspector-perm-"))
    try:
        base.chmod(0o755)
        root = build_demo_cache(base / "cache", "sqlite", SPEC)
        root.chmod(0o700)
        yield root
    finally:
        shutil.rmtree(base)


def test_unreadable_cache_is_reported(private_cache: Path) -> None:
    r = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            CLI,
            "list",
            str(private_cache),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1, r.stderr
    assert "permission denied" in r.stderr
    assert "Traceback" not in r.stderr


# -- changing a cache ---------------------------------------------------------


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    return build_demo_cache(tmp_path / "cache", "sqlite", SPEC)


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


def test_prune_dry_run_lists_the_plan_and_changes_nothing(fresh: Path) -> None:
    from inspector.core import actions

    before = _tree(fresh)
    r = run("prune", str(fresh), "--max-size", "5GiB", "--dry-run", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    cache = open_cache(fresh)
    plan = actions.plan_prune(cache, cache.scan().entries, 5 * 1024**3)
    assert [e["id"] for e in doc["entries"]] == [e.id for e in plan.entries]
    assert doc["bytes_freed"] == plan.bytes_freed
    assert doc["total_after"] <= 5 * 1024**3
    assert _tree(fresh) == before
    text = run("prune", str(fresh), "--max-size", "5GiB", "--dry-run").stdout
    assert "target 5.0 GiB" in text.splitlines()[-1]


def test_destruction_without_yes_is_refused_when_nobody_can_answer(fresh: Path) -> None:
    before = _tree(fresh)
    r = subprocess.run(
        [CLI, "prune", str(fresh), "--max-size", "1GiB"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2
    assert "refused without --yes" in r.stderr
    assert _tree(fresh) == before


def test_the_prompt_takes_no_for_an_answer(fresh: Path) -> None:
    import pty

    before = _tree(fresh)
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [CLI, "clean", str(fresh)],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(master, b"n\n")
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
        os.close(slave)
    assert proc.returncode == 1
    assert "Clean 5 entries" in out
    assert "Nothing was changed." in err
    assert _tree(fresh) == before


def test_prune_with_yes(fresh: Path) -> None:
    r = run("prune", str(fresh), "--max-size", "2GiB", "--yes", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["done"] > 0 and doc["failures"] == []
    stats = json.loads(run("stats", str(fresh), "--json").stdout)
    assert stats["total_size"] <= 2 * 1024**3
    assert stats["states"]["cached"]["count"] == SPEC.cached - doc["done"]


def test_clean_with_a_stall_time(fresh: Path) -> None:
    r = run("clean", str(fresh), "--stall-time", "1h", "-y", "--json")
    assert r.returncode == 0, r.stderr
    stats = json.loads(run("stats", str(fresh), "--json").stdout)
    assert stats["states"]["invalid"]["count"] == 0
    # the demo's fresh downloads are younger than 1 h only in part: none older remain
    for e in json.loads(run("list", str(fresh), "--state", "incomplete", "--json").stdout)[
        "entries"
    ]:
        assert datetime.fromisoformat(e["last_modified"]) > datetime.now(UTC) - timedelta(hours=1)


def test_delete_all_of_a_state(fresh: Path) -> None:
    r = run("delete", str(fresh), "--all", "--state", "queued", "-y")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Deleted {SPEC.queued} of {SPEC.queued}")
    assert not list((fresh / "queue").iterdir())
    assert run("delete", str(fresh), "--all").returncode == 2


def test_queue_and_requeue(fresh: Path) -> None:
    new = "0f0f0f0f-1111-4222-8333-444455556666"
    r = run("queue", str(fresh), new, "--json")
    assert json.loads(r.stdout)["queued"] == [new]
    assert (fresh / "queue" / new).exists()
    again = run("queue", str(fresh), new)
    assert again.returncode == 1
    assert "already queued" in again.stderr
    invalid = next((fresh / "invalid").iterdir()).name
    r = run("requeue", str(fresh), invalid, "-y")
    assert r.returncode == 0, r.stderr
    assert not (fresh / "invalid" / invalid).exists()
    assert (fresh / "queue" / invalid).exists()


@pytest.mark.parametrize("bad", ["../../etc/passwd", "a/b", "..", "x" * 400])
def test_bad_ids_create_nothing(fresh: Path, bad: str) -> None:
    before = _tree(fresh.parent)
    r = run("queue", str(fresh), bad)
    assert r.returncode == 1
    assert "not a valid image id" in r.stderr
    r = run("delete", str(fresh), bad, "-y")
    assert r.returncode == 1
    assert "not a valid image id" in r.stderr
    assert _tree(fresh.parent) == before


def test_stats_gives_the_statistics_figures(demo: Path) -> None:
    from inspector.core import stats

    r = run("stats", str(demo), "--json", "--max-size", "1GiB", "--top", "3")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    cache = open_cache(demo)
    entries = cache.scan().entries
    ref = stats.compute(entries, 1024**3, top=3, eviction_order=cache.eviction_order(entries))
    assert [e["id"] for e in doc["largest"]] == [e.id for e in ref.largest]
    assert [e["hits"] for e in doc["hottest"]] == [e.hits for e in ref.hottest]
    assert [b["count"] for b in doc["hits_distribution"]] == [b.count for b in ref.hits]
    assert [b["label"] for b in doc["age_distribution"]] == [b.label for b in ref.ages]
    assert doc["prune_to_max"]["count"] == len(ref.lru.evicted_ids)
    text = run("stats", str(demo), "--max-size", "1GiB").stdout
    assert "Largest 10:" in text and "Hits per image:" in text and "Since last access:" in text
    assert f"would evict {len(ref.lru.evicted_ids)} images" in text
