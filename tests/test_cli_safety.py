"""Issue 10 through the CLI: bad input gets one clear line, loses nothing, and --json is JSON.

Caches are written by Glance 33's sqlite driver; every test runs the
installed ``cache-inspector-cli`` in a real process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_safety import IDS, mount_read_only, rows, sqlite_cache, tree
from tests.glance_service import GlanceService

CLI = str(Path(sys.executable).parent / "cache-inspector-cli")


def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [CLI, *args], stderr=subprocess.PIPE, text=True, timeout=60, **kwargs
    )


def clean_failure(r: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The run failed with ``code`` and one or more plain lines, never a traceback."""
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r.stderr


__all__ = ["sqlite_cache"]  # the fixture: a cache Glance's sqlite driver wrote


@pytest.fixture
def cache(sqlite_cache: GlanceService) -> Path:
    return Path(sqlite_cache.path)


def test_a_forced_driver_neither_lists_nor_deletes_glances_files(cache: Path) -> None:
    before = tree(cache)
    listed = clean_failure(run("list", str(cache), "--driver", "xattr"))
    assert "is a Glance (sqlite) cache, not Glance (xattr)" in listed
    clean_failure(run("delete", str(cache), "cache.db", "--driver", "xattr", "--yes"))
    assert tree(cache) == before


@pytest.mark.parametrize(
    ("column", "value"),
    [("last_accessed", "yesterday"), ("last_accessed", 1e300), ("hits", "x")],
)
def test_damaged_values_are_listed_marked_with_a_warning(
    cache: Path, column: str, value: object
) -> None:
    conn = sqlite3.connect(cache / "cache.db")
    with conn:
        conn.execute(f"UPDATE cached_images SET {column} = ? WHERE image_id = ?", (value, IDS[0]))
    conn.close()
    for command in ("list", "stats"):
        r = run(command, str(cache), "--json")
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        assert "values Glance never writes" in r.stderr
    doc = json.loads(run("list", str(cache), "--json").stdout)
    (damaged,) = [e for e in doc["entries"] if e["id"] == IDS[0]]
    assert damaged["note"].endswith(column)
    assert len([e for e in doc["entries"] if e["state"] == "cached"]) == 4


@pytest.mark.parametrize(
    "args",
    [
        ["prune", "--max-size", "9" * 309, "--yes"],
        ["prune", "--max-size", "1e300GiB", "--yes"],
        ["prune", "--max-size", "-5GiB", "--yes"],
        ["stats", "--top", "-1"],
        ["clean", "--stall-time", "1000000w", "--yes"],
    ],
)
def test_values_beyond_reason_are_usage_errors(cache: Path, args: list[str]) -> None:
    before = tree(cache)
    clean_failure(run(args[0], str(cache), *args[1:]), code=2)
    assert tree(cache) == before


def test_a_closed_stdout_is_an_output_error_after_the_job(cache: Path) -> None:
    r = subprocess.run(
        f"{CLI} delete {cache} {IDS[2]} --yes --json >&-",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    err = clean_failure(r)
    assert "cannot write the output: standard output is closed" in err
    assert "The delete itself ran: Deleted 1 of 1" in err
    assert not (cache / IDS[2]).exists() and IDS[2] not in rows(cache)


def test_a_full_stdout_blames_the_output_not_the_cache(cache: Path) -> None:
    with open("/dev/full", "w") as full:
        r = run("list", str(cache), "--json", stdout=full)
    err = clean_failure(r)
    assert "cannot write the output: No space left on device" in err
    assert str(cache) not in err


@pytest.mark.parametrize(
    "args",
    [
        ["prune", "--max-size", "1TiB", "--yes"],
        ["clean", "--yes"],
        ["delete", "--all", "--state", "incomplete", "--yes"],
        ["requeue", "00000000-0000-4000-8000-000000000999", "--yes"],
    ],
)
def test_json_when_there_is_nothing_to_do(cache: Path, args: list[str]) -> None:
    if args[0] == "clean":
        (cache / "invalid" / IDS[5]).unlink()
    r = run(args[0], str(cache), *args[1:], "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["action"] == args[0] and doc["done"] == 0 and doc["failures"] == []


def test_a_job_stopped_half_way_reports_what_it_did(cache: Path) -> None:
    """The database turns read-only: the invalid entry went, the cached one stayed."""
    r = None
    for _ in mount_read_only(cache / "cache.db"):
        r = run("delete", str(cache), IDS[5], IDS[0], "--yes", "--json")
    assert r is not None
    clean_failure(r)
    doc = json.loads(r.stdout)
    assert doc["done"] == 1 and doc["error"] and "cannot be written" in doc["error"]
    assert not (cache / "invalid" / IDS[5]).exists()
    assert (cache / IDS[0]).exists() and IDS[0] in rows(cache)


@pytest.mark.parametrize("command", ["delete", "requeue"])
def test_an_id_already_gone_is_not_a_failure(cache: Path, command: str) -> None:
    r = run(command, str(cache), "00000000-0000-4000-8000-000000000999", "--yes")
    assert r.returncode == 0, r.stderr
    assert "no such entry (already gone?)" in r.stderr


def test_queueing_glances_own_names_says_what_they_are(cache: Path) -> None:
    before = tree(cache)
    for name in ("queue", "cache.db"):
        err = clean_failure(run("queue", str(cache), name))
        assert "is not an image id" in err and "already cached" not in err
    assert tree(cache) == before


def test_a_symlinked_state_directory_is_named_in_a_warning(cache: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_bytes(b"p" * 10)
    (cache / "invalid" / IDS[5]).unlink()
    (cache / "invalid").rmdir()
    (cache / "invalid").symlink_to(outside)
    r = run("list", str(cache), "--json")
    assert r.returncode == 0
    assert "is a symbolic link" in r.stderr
    assert "precious" not in {e["id"] for e in json.loads(r.stdout)["entries"]}
    run("clean", str(cache), "--stall-time", "0", "--yes")
    assert (outside / "precious").exists()


def test_stats_says_a_prune_would_evict_nothing_under_the_maximum(cache: Path) -> None:
    r = run("stats", str(cache), "--max-size", "1TiB")
    assert "would evict nothing: the cache is not over it" in r.stdout


def test_a_dry_run_shows_the_last_access_of_each_victim(cache: Path) -> None:
    r = run("prune", str(cache), "--max-size", "0", "--dry-run")
    header, *victims, _total = r.stdout.splitlines()
    assert header.split()[:5] == ["STATE", "ID", "SIZE", "LAST", "ACCESSED"]
    assert len(victims) == 4 and all(v.split()[0] == "cached" for v in victims)
    # the accessed column is filled (Glance just wrote them: "now" or "seconds ago")
    at = header.index("LAST ACCESSED")
    assert all(v[at:].strip() for v in victims)


@pytest.mark.parametrize(
    "args",
    [
        ["delete", IDS[0], "--yes"],
        ["prune", "--max-size", "1TiB", "--yes"],
        ["clean", "--yes"],
        ["requeue", IDS[1], "--yes"],
        ["queue", "0f0f0f0f-0000-4000-8000-000000000000"],
        ["stats"],
    ],
)
def test_every_command_prints_the_scans_warnings(cache: Path, args: list[str]) -> None:
    conn = sqlite3.connect(cache / "cache.db")
    with conn:
        conn.execute("UPDATE cached_images SET hits = 'x' WHERE image_id = ?", (IDS[2],))
    conn.close()
    r = run(args[0], str(cache), *args[1:])
    assert r.returncode == 0, r.stderr
    assert "warning:" in r.stderr and "values Glance never writes" in r.stderr
