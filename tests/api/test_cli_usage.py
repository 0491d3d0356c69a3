"""How the CLI takes --api, --os-cloud and --timeout (no node needed to check these)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.helpers import cli


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["list"], 2, "name the cache: its directory (PATH), or a node's URL with --api URL."),
        (["list", "/tmp", "--api", "http://127.0.0.1:9"], 2, "give either PATH or --api URL"),
        (["list", "/tmp", "--os-cloud", "lab"], 2, "--os-cloud goes with --api URL"),
        (["list", "/tmp", "--timeout", "5"], 2, "--timeout goes with --api URL"),
        (["list", "/tmp", "--driver", "api"], 2, "--driver api reads a node through its"),
        (["list", "--api", "http://127.0.0.1:9", "--driver", "xattr"], 2, "--api reads a node"),
        (["list", "--api", "http://u:hunter2@127.0.0.1:9"], 1, "http://u:***@127.0.0.1:9 carries"),
        (["delete", "--api", "http://127.0.0.1:9"], 2, "name the ids to delete"),
    ],
)
def test_bad_source_arguments_are_one_line(args: list[str], code: int, message: str) -> None:
    r = cli(*args)
    assert r.returncode == code
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert "hunter2" not in r.stderr + r.stdout and r.stdout == ""


def test_a_timeout_must_be_a_time() -> None:
    r = cli("list", "--api", "http://127.0.0.1:9", "--timeout", "0")
    assert r.returncode == 2
    assert r.stderr.splitlines()[-1].endswith(
        "argument --timeout: '0': give a time longer than zero."
    )


def test_a_local_prune_still_needs_its_size(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "queue").mkdir(parents=True)
    r = cli("prune", str(cache), "--dry-run")
    assert r.returncode == 2
    assert "--max-size SIZE is needed" in r.stderr


def test_ids_after_api_are_ids(tmp_path: Path) -> None:
    """Without PATH, the first ID is not taken for one (a closed port answers nothing)."""
    r = cli("queue", "--api", "http://127.0.0.1:9", "8b8d2e9c-0000-4000-8000-000000000001")
    assert r.returncode == 1
    assert r.stderr == (
        "cache-inspector-cli: error: node http://127.0.0.1:9 does not answer: connection "
        "refused (is glance-api running there?).\n"
    )
