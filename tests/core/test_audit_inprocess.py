"""``audit``: each problem and warning as the user reads it, run in this process.

The problems are those of ``tests/core/test_audit.py`` (injected into copies
of caches the real Glance wrote), which runs the installed CLI as a process;
these run ``inspector.cli.main`` so that mutation testing sees what decides
each problem and writes its text.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from inspector.cli import main
from inspector.core import CacheSource, read
from inspector.core.audit import audit as audit_reading
from tests.core.test_audit import INJECTIONS, mounted
from tests.glance_service import GlanceService
from tests.trust_caches import CACHED, IDS, age, copy_of, data, sql, typical

TWO_STATES = "the service makes one only when the other is not there. Left alone"
NOT_AN_IMAGE = (
    "a cached file named 'notes.txt': not an image id, nor one of the service's own files. "
    "Left alone: the service never asked for it."
)
NO_HITS = (
    "no user.hits: Glance's xattr driver sets it on every image it caches "
    "(each read of the image fails to count its hit)"
)

DETAILS: dict[str, tuple[str, str]] = {
    "cached-and-incomplete": (
        CACHED[1],
        f"cached and also being written (incomplete): {TWO_STATES} "
        "(remove one with delete --state incomplete).",
    ),
    "cached-and-queued": (
        CACHED[1],
        f"cached and also queued: {TWO_STATES} (remove one with delete --state queued).",
    ),
    "empty-file": (
        CACHED[5],
        "a cached file of 0 bytes: the service would serve it as the whole image",
    ),
    "not-an-image": ("notes.txt", NOT_AN_IMAGE),
    "row-without-file": (
        CACHED[2],
        "the metadata records 3,002 bytes for a file that is not there",
    ),
    "size-mismatch": (
        CACHED[4],
        "cache.db records 12 bytes, the file holds 5,002: Glance's pruner counts the file, "
        "its listing the row",
    ),
    "stray-symlink": (
        IDS[15],
        "the cached file is a symbolic link: the service reads through it, whatever it points "
        "to. Left alone.",
    ),
}
UNTRACKED = {
    "sqlite": "4,002 bytes on disk that the metadata does not know: the service never prunes them",
    "xattr": NO_HITS,
}


def audit(root: Path | str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["audit", str(root), "--json"], out=out)
    return code, json.loads(out.getvalue())


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_each_problem_is_told_as_the_user_reads_it(
    glance: GlanceService, tmp_path: Path, name: str
) -> None:
    kind, inject, kinds = INJECTIONS[name]
    if glance.kind not in kinds:
        pytest.skip(f"a {glance.kind} cache cannot have a {kind}")
    root = copy_of(typical(glance), tmp_path / "copy")
    inject(root)
    code, doc = audit(root)
    assert code == 1
    image_id, detail = (
        (CACHED[3], UNTRACKED[glance.kind]) if name == "file-without-row" else DETAILS[name]
    )
    assert doc["problems"] == [{"kind": str(kind), "id": image_id, "detail": detail}]


def test_an_untouched_cache_has_no_problem(glance: GlanceService) -> None:
    typical(glance)
    assert audit(glance.path) == (0, {"problems": [], "warnings": []})


def test_xattr_hits_missing_or_not_a_number(tmp_path: Path) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    root = Path(glance.path)
    os.removexattr(root / CACHED[0], "user.hits")
    os.setxattr(root / CACHED[1], "user.hits", b"lots of them, more than twenty")
    fresh = audit(root)
    assert fresh[1]["problems"] == []  # just moved in: Glance sets user.hits a moment later
    assert fresh[1]["warnings"] == [
        "2 file(s) written in the last 1 minute have no metadata yet: the service moves a "
        "download into place and records it a moment later. They are not counted as problems; "
        "audit again in a minute."
    ]
    age(root / CACHED[0], 3600)
    age(root / CACHED[1], 3600)
    code, doc = audit(root)
    assert code == 1
    assert doc == {
        "problems": [
            {"kind": "file-without-row", "id": CACHED[0], "detail": NO_HITS},
            {
                "kind": "file-without-row",
                "id": CACHED[1],
                "detail": "user.hits holds b'lots of them, more t', not a number Glance can "
                "count up (each read of the image fails to count its hit)",
            },
        ],
        "warnings": [],
    }


def test_an_old_stray_file_in_an_xattr_cache_is_one_problem(tmp_path: Path) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    root = Path(glance.path)
    (root / "notes.txt").write_text("who put this here?")
    age(root / "notes.txt", 3600)
    code, doc = audit(root)
    assert code == 1
    assert doc == {
        "problems": [{"kind": "not-an-image", "id": "notes.txt", "detail": NOT_AN_IMAGE}],
        "warnings": [],
    }


def test_an_xattr_cache_on_a_noatime_mount(tmp_path: Path) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    with mounted("tmpfs", tmp_path / "mnt", "noatime,size=16m") as mnt:
        root = copy_of(glance, mnt / "cache")
        code, doc = audit(root)
    assert (code, doc["problems"]) == (0, [])
    assert doc["warnings"] == [
        f"{root} is on a filesystem mounted noatime ({mnt}): the files' access times, the LRU "
        "clock of Glance's xattr driver, never move, so its pruner evicts images by when they "
        "were cached, not when last used. Mount it relatime or strictatime."
    ]


def test_an_xattr_cache_without_user_xattrs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    with mounted("ramfs", tmp_path / "mnt") as mnt:
        root = mnt / "cache"
        shutil.copytree(glance.path, root, copy_function=shutil.copyfile)
        age(root / CACHED[0], 3600)
        code, doc = audit(root)
    assert (code, doc["problems"]) == (0, [])  # hits unknown everywhere: one warning, no problem
    assert doc["warnings"] == [
        "The filesystem holding this cache does not support extended attributes: hit counts "
        "and error texts are unknown. Glance's xattr driver needs a filesystem mounted with "
        "user_xattr."
    ]


def _strays(glance: GlanceService, tmp_path: Path) -> list[dict[str, Any]]:
    root = copy_of(typical(glance), tmp_path / "copy")
    for sub in ("queue", "incomplete", "invalid"):
        (root / sub / "notes.txt").write_text("x")
        age(root / sub / "notes.txt", 3600)
    sql(root, "UPDATE cached_images SET size = ? WHERE image_id = ?", "lots", CACHED[4])
    sql(root, "UPDATE cached_images SET size = 123456 WHERE image_id = ?", CACHED[3])
    code, doc = audit(root)
    assert code == 1
    return list(doc["problems"])


def _left_alone(where: str) -> str:
    return (
        f"{where} named 'notes.txt': not an image id, nor one of the service's own files. "
        "Left alone: the service never asked for it."
    )


@pytest.mark.parametrize("kind", ["sqlite"])
def test_recorded_sizes_as_recorded_and_strays_where_they_are(
    glance: GlanceService, tmp_path: Path
) -> None:
    problems = _strays(glance, tmp_path)
    pruner = "Glance's pruner counts the file, its listing the row"
    assert problems[:2] == [
        {
            "kind": "size-mismatch",
            "id": CACHED[3],
            "detail": f"cache.db records 123,456 bytes, the file holds 4,002: {pruner}",
        },
        {
            "kind": "size-mismatch",
            "id": CACHED[4],
            "detail": f"cache.db records 'lots' bytes, the file holds 5,002: {pruner}",
        },
    ]
    assert {"kind": "not-an-image", "id": "notes.txt", "detail": _left_alone("a queued file")} in (
        problems
    )


@pytest.mark.parametrize("kind", ["sqlite"])
def test_strays_in_incomplete_and_invalid_are_told_in_english(
    glance: GlanceService, tmp_path: Path
) -> None:
    details = {p["detail"] for p in _strays(glance, tmp_path) if p["kind"] == "not-an-image"}
    assert details == {
        _left_alone("a queued file"),
        _left_alone("an incomplete file"),
        _left_alone("an invalid file"),
    }


@pytest.mark.parametrize("kind", ["sqlite", "xattr"])
def test_the_cache_directorys_own_layout_is_audited(glance: GlanceService, tmp_path: Path) -> None:
    """What the listing cannot show as entries: Glance's invalid/ made a symbolic link,
    a file where its queue/ should be, and a directory it does not use."""
    glance.cache(CACHED[0], data(0))
    root = Path(glance.path)
    (tmp_path / "elsewhere").mkdir()
    os.rmdir(root / "invalid")
    os.symlink(tmp_path / "elsewhere", root / "invalid")
    os.rmdir(root / "queue")
    (root / "queue").write_text("not a directory")
    (root / "backups").mkdir()
    (root / "tasks").mkdir()  # where Glance takes its lock "tasks"
    code, doc = audit(root)
    assert code == 1
    assert doc["problems"] == [
        {
            "kind": "not-an-image",
            "id": "backups/",
            "detail": "a directory Glance does not use (it keeps only incomplete/, invalid/ "
            "and queue/ here): left alone",
        },
        {
            "kind": "not-an-image",
            "id": "queue",
            "detail": "where Glance keeps its queue/ directory there is a file",
        },
        {
            "kind": "not-an-image",
            "id": "tasks/",
            "detail": "a directory in place of Glance's own file tasks (a lock, the xattr "
            "probe or the database), so Glance fails to use it: left alone",
        },
        {
            "kind": "stray-symlink",
            "id": "invalid/",
            "detail": "Glance's invalid/ is a symbolic link: nothing in it is read or changed",
        },
    ]


def test_a_stray_symlink_and_a_queued_copy_in_an_xattr_cache_are_one_problem_each(
    tmp_path: Path,
) -> None:
    """Neither has a ``user.hits`` of its own to lack: the link is not followed, and the
    queued copy is no cached file."""
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    root = Path(glance.path)
    (tmp_path / "outside.img").write_bytes(b"not from glance")
    os.symlink(tmp_path / "outside.img", root / IDS[15])
    (root / "queue" / CACHED[1]).touch()
    for path in (root / IDS[15], root / "queue" / CACHED[1]):
        age(path, 3600)
    code, doc = audit(root)
    assert code == 1
    assert [(p["kind"], p["id"]) for p in doc["problems"]] == [
        ("in-two-states", CACHED[1]),
        ("stray-symlink", IDS[15]),
    ]
    assert doc["warnings"] == []


def test_every_image_without_user_hits_is_told_among_strays_and_vanished_files(
    tmp_path: Path,
) -> None:
    """Stray names lack ``user.hits`` too (each is told as no image, once); an image file
    removed after the reading is passed over, and the audit goes on to the rest."""
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    root = Path(glance.path)
    strays = ["notes.txt", "README", "core.4242"]
    for name in strays:
        (root / name).write_text("who put this here?")
    for image_id in CACHED[:-1]:  # one keeps it: a cache without any is a centralized_db node's
        os.removexattr(root / image_id, "user.hits")
    for name in [*strays, *CACHED]:
        age(root / name, 3600)
    reading = read(CacheSource.at(root))
    try:
        hitless = [e.id for e in reading.snapshot.entries if e.id in CACHED[:-1]]
        (root / hitless[0]).unlink()  # gone since the listing (Glance pruned it, say)
        report = audit_reading(reading)
    finally:
        reading.driver.close()
    assert [(str(p.kind), p.id) for p in report.problems] == [
        *[("file-without-row", i) for i in sorted(hitless[1:])],
        *[("not-an-image", name) for name in sorted(strays)],
    ]


@pytest.mark.parametrize("kind", ["sqlite"])
def test_a_directory_where_glance_keeps_a_lock_file_is_reported(
    glance: GlanceService, tmp_path: Path
) -> None:
    """Glance's sqlite driver makes the cache directory oslo.concurrency's lock_path: the
    cache API's prune takes ``glance-cache-prune`` there, and fails on a directory."""
    glance.cache(CACHED[0], data(0))
    (Path(glance.path) / "glance-cache-prune").mkdir()
    code, doc = audit(glance.path)
    assert code == 1
    assert [(p["kind"], p["id"]) for p in doc["problems"]] == [
        ("not-an-image", "glance-cache-prune/")
    ]
