"""What a live glance-api node's ``GET /v2/cache`` lists, read in this process.

The nodes are real glance-api processes; the rows they list are Glance's own
(images uploaded and served through the node), some then given what other
releases wrote or what damage leaves, in the node's own ``cache.db``.  Run here,
not through the installed CLI, so that mutation testing (``./run mutate``) sees
the reading (``tests/api`` runs the CLI as a process of its own).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import CacheSource, read
from inspector.core.errors import CacheError
from inspector.core.model import Note
from tests.api.helpers import images, wait_hits
from tests.core.cli_inprocess import cli
from tests.services.glance_api import CACHE_POLICY_RULES
from tests.services.tcp_proxy import TcpProxy

pytestmark = pytest.mark.glance


def test_a_sqlite_nodes_legacy_and_damaged_rows_are_listed_as_they_are(
    glance_fleet_factory: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Releases before 2023 inserted ``last_accessed = 0``: never accessed, not damage.
    A row with a size that is text and no hit count (damage: Glance writes neither) is
    listed with those values unknown, and said; a healthy row keeps its hits."""
    (node,) = glance_fleet_factory(1, extra_conf={"DEFAULT": {"image_cache_driver": "sqlite"}})
    old, bad, hit = images(node, [300, 400, 500])
    for image_id in (old, bad, hit, hit, hit):
        node.download(image_id)
    wait_hits(node, hit, 2)
    db = sqlite3.connect(Path(node.cache_dir, "cache.db"))
    with db:
        db.execute("UPDATE cached_images SET last_accessed = 0 WHERE image_id = ?", (old,))
        db.execute(
            "UPDATE cached_images SET size = 'big', hits = NULL, last_accessed = 'soon', "
            "last_modified = NULL WHERE image_id = ?",
            (bad,),
        )
    db.close()
    served = {r["image_id"]: r for r in node.cache_state()["cached_images"]}
    assert served[old]["last_accessed"] == 0 and served[bad]["size"] == "big"

    caplog.set_level(logging.INFO)
    reading = read(CacheSource.node_api(node.url))
    reading.driver.close()
    # openstacksdk's notice on every call that Glance has no microversions is dropped
    assert not [r for r in caplog.records if r.name.startswith("openstack")]
    entries = {e.id: e for e in reading.snapshot.entries}
    assert (entries[old].accessed_ts, entries[old].note, entries[old].hits) == (0.0, None, 0)
    assert (entries[hit].hits, entries[hit].size, entries[hit].note) == (2, 500, None)
    for image_id in (old, hit):  # the node's own times, as it lists them
        assert entries[image_id].modified_ts == served[image_id]["last_modified"] > 0
    assert entries[hit].accessed_ts == served[hit]["last_accessed"] > 0
    assert (entries[bad].note, entries[bad].bad_fields) == (
        Note.BAD_VALUE,
        ("size", "hits", "last_accessed", "last_modified"),
    )
    assert (entries[bad].size, entries[bad].hits) == (0, None)
    assert list(reading.snapshot.warnings) == [
        f"node {node.url} gave values Glance never writes for 1 image(s): "
        f"{bad}: size 'big', hits None, last_accessed 'soon', last_modified None. "
        "They are shown as unknown."
    ]

    code, out, err = cli(capsys, "list", "--api", node.url)
    assert code == 0, err
    [line] = [line for line in out.splitlines() if old in line]
    assert line.split()[3:6] == ["Bytes", "0", "never"]  # never accessed (then its mtime)


def test_a_node_that_hides_which_nodes_cache_an_image_says_so_in_a_warning(
    glance_fleet_factory: Callable[..., Any], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "".join(f'"{rule}": ""\n' for rule in CACHE_POLICY_RULES if rule != "list_cached_nodes")
        + '"list_cached_nodes": "!"\n'
    )
    (node,) = glance_fleet_factory(1, extra_conf={"oslo_policy": {"policy_file": policy}})
    (image,) = images(node, [100])
    node.download(image)
    reading = read(CacheSource.node_api(node.url))
    reading.driver.close()
    assert [e.id for e in reading.snapshot.entries] == [image]
    assert list(reading.snapshot.warnings) == [
        f"Cannot check that {node.url} is the node's own: node {node.url} does not let these "
        f"credentials list the nodes caching {image} (HTTP 403): its policy gives the cache "
        "API (cache_list, cache_image, cache_delete, cache_clean, cache_prune, "
        "list_cached_nodes) to admins by default."
    ]


def test_times_of_a_node_west_of_utc_are_flagged(
    glance_fleet_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Glance 33 reads its naive UTC records as local time when it answers GET /v2/cache."""
    monkeypatch.setenv("TZ", "America/New_York")  # the nodes' time zone (our times are UTC)
    (node,) = glance_fleet_factory(1)
    monkeypatch.delenv("TZ")
    (image,) = images(node, [100])
    node.download(image)
    reading = read(CacheSource.node_api(node.url))
    reading.driver.close()
    [warning] = reading.snapshot.warnings
    assert warning.startswith(f"node {node.url} gives times up to ")
    assert "h in the future" in warning and "TZ=UTC" in warning
    ahead = float(warning.split("up to ")[1].split(" h")[0])
    assert ahead in (4.0, 5.0)  # New York is 4 or 5 hours behind UTC
    assert warning == (
        f"node {node.url} gives times up to {ahead:.1f} h in the future: Glance reads its "
        "UTC records as the server's local time, so a glance-api running in a time zone "
        "west of UTC shifts every time it reports (run it with TZ=UTC). Last access and "
        "modification times from this node are off by that much."
    )


def test_an_image_deleted_through_another_node_is_passed_over_when_checking_the_url(
    glance_fleet: Any,
) -> None:
    """Which node a URL reaches is asked of the first images it lists; one deleted in
    Glance through the other node (still cached here, so Glance answers 404) is passed
    over for the next."""
    one, two = glance_fleet
    gone, kept = images(one, [100, 200])
    one.download(gone)
    one.download(kept)
    two.download(kept)  # cached on both nodes
    two.delete_image(gone)
    assert [r["image_id"] for r in one.cache_state()["cached_images"]] == [gone, kept]

    reading = read(CacheSource.node_api(one.url))
    reading.driver.close()
    assert (list(reading.snapshot.warnings), reading.writable) == ([], True)
    with TcpProxy([one.url]) as lb:
        reading = read(CacheSource.node_api(lb.url))
        reading.driver.close()
    assert not reading.writable
    assert reading.read_only_reason.startswith(
        f"{lb.url} is not the URL Glance records for the node that answered: that node lists "
        f"image {kept} as cached, and Glance records it on "
    )
    recorded = reading.read_only_reason.split("Glance records it on ")[1].split(". ")[0]
    assert sorted(recorded.split(", ")) == sorted([one.url, two.url])
    assert reading.snapshot.warnings == (
        reading.read_only_reason + " Nothing is changed through this URL.",
    )


def test_a_node_whose_policy_refuses_its_listing_says_so(
    glance_fleet_factory: Callable[..., Any], tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text('"cache_list": "!"\n')
    (node,) = glance_fleet_factory(1, extra_conf={"oslo_policy": {"policy_file": policy}})
    with pytest.raises(CacheError) as refused:
        read(CacheSource.node_api(node.url))
    assert str(refused.value) == (
        f"node {node.url} does not let these credentials list its cache (HTTP 403): its "
        "policy gives the cache API (cache_list, cache_image, cache_delete, cache_clean, "
        "cache_prune, list_cached_nodes) to admins by default."
    )
