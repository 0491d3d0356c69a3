"""Audit and repair, on caches the real Glance wrote (problems injected into copies)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.core import read
from inspector.core.audit import audit
from inspector.core.drivers.mounts import mount_of, parse_mountinfo
from inspector.core.model import State
from inspector.core.problems import ProblemKind
from inspector.core.source import CacheSource
from tests.glance_service import GlanceService
from tests.trust_caches import (
    CACHED,
    FAILED,
    IDS,
    IN_FLIGHT,
    QUEUED,
    age,
    copy_of,
    data,
    disk_state,
    image_files,
    run,
    run_json,
    sql,
    typical,
)

Inject = Callable[[Path], None]


def _unlink_file(root: Path) -> None:
    (root / CACHED[2]).unlink()


def _untracked_file(root: Path) -> None:
    if (root / "cache.db").exists():
        sql(root, "DELETE FROM cached_images WHERE image_id = ?", CACHED[3])
    else:
        os.removexattr(root / CACHED[3], "user.hits")
    age(root / CACHED[3], 3600)


def _wrong_size(root: Path) -> None:
    sql(root, "UPDATE cached_images SET size = 12 WHERE image_id = ?", CACHED[4])


def _empty_file(root: Path) -> None:
    # Glance itself caches an empty image as an empty file with a row of size 0:
    # truncate the file and, for sqlite, its row's size with it (one problem, not two).
    os.truncate(root / CACHED[5], 0)
    if (root / "cache.db").exists():
        sql(root, "UPDATE cached_images SET size = 0 WHERE image_id = ?", CACHED[5])


def _stray_name(root: Path) -> None:
    (root / "notes.txt").write_text("who put this here?")


def _queued_too(root: Path) -> None:
    (root / "queue" / CACHED[1]).touch()


def _incomplete_too(root: Path) -> None:
    (root / "incomplete" / CACHED[1]).write_bytes(b"again")


def _symlink(root: Path) -> None:
    outside = root.parent / "outside.img"
    outside.write_bytes(b"not from glance")
    os.symlink(outside, root / IDS[15])


INJECTIONS: dict[str, tuple[ProblemKind, Inject, set[str]]] = {
    "row-without-file": (ProblemKind.ROW_WITHOUT_FILE, _unlink_file, {"sqlite"}),
    "file-without-row": (ProblemKind.FILE_WITHOUT_ROW, _untracked_file, {"sqlite", "xattr"}),
    "size-mismatch": (ProblemKind.SIZE_MISMATCH, _wrong_size, {"sqlite"}),
    "empty-file": (ProblemKind.EMPTY_FILE, _empty_file, {"sqlite", "xattr"}),
    "not-an-image": (ProblemKind.NOT_AN_IMAGE, _stray_name, {"sqlite", "xattr"}),
    "cached-and-queued": (ProblemKind.IN_TWO_STATES, _queued_too, {"sqlite", "xattr"}),
    "cached-and-incomplete": (ProblemKind.IN_TWO_STATES, _incomplete_too, {"sqlite", "xattr"}),
    "stray-symlink": (ProblemKind.STRAY_SYMLINK, _symlink, {"sqlite", "xattr"}),
}


def test_an_untouched_glance_cache_audits_clean(glance: GlanceService) -> None:
    typical(glance)
    if glance.kind == "sqlite":
        assert Path(glance.path, "image_cache_db_init").exists()  # Glance's own lock file
    before = disk_state(Path(glance.path))
    code, doc = run_json("audit", glance.path)
    assert (code, doc) == (0, {"problems": [], "warnings": []})
    r = run("audit", glance.path)
    assert r.returncode == 0
    assert "No problems" in r.stdout
    assert disk_state(Path(glance.path)) == before  # audited twice, changed nothing


@pytest.mark.parametrize("name", sorted(INJECTIONS))
def test_each_injected_problem_is_found(glance: GlanceService, tmp_path: Path, name: str) -> None:
    kind, inject, kinds = INJECTIONS[name]
    if glance.kind not in kinds:
        pytest.skip(f"a {glance.kind} cache cannot have a {kind}")
    root = copy_of(typical(glance), tmp_path / "copy")
    inject(root)
    code, doc = run_json("audit", str(root))
    assert code == 1
    assert [p["kind"] for p in doc["problems"]] == [str(kind)], doc
    [problem] = doc["problems"]
    assert problem["detail"]
    assert problem["id"] in {*IDS, "notes.txt"}


def test_a_file_just_moved_in_is_not_yet_untracked(glance: GlanceService, tmp_path: Path) -> None:
    """Glance's sqlite driver renames a download into place, then inserts its row."""
    if glance.kind != "sqlite":
        pytest.skip("the xattr driver sets user.hits before the rename")
    root = copy_of(typical(glance), tmp_path / "copy")
    sql(root, "DELETE FROM cached_images WHERE image_id = ?", CACHED[3])
    code, doc = run_json("audit", str(root))
    assert (code, doc["problems"]) == (0, [])
    assert any("no metadata yet" in w for w in doc["warnings"])


def test_a_stalled_download_is_a_warning(glance: GlanceService, tmp_path: Path) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    age(root / "incomplete" / IN_FLIGHT, 2 * 86400)
    code, doc = run_json("audit", str(root))
    assert code == 0 and doc["problems"] == []
    [warning] = doc["warnings"]
    assert "stalled" in warning and "1 day" in warning


@contextlib.contextmanager
def mounted(fstype: str, where: Path, options: str = "") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a filesystem needs root")
    where.mkdir()
    args = ["mount", "-t", fstype, *(["-o", options] if options else []), "none", str(where)]
    if subprocess.run(args, capture_output=True).returncode != 0:
        pytest.skip(f"cannot mount {fstype} here")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_an_xattr_cache_on_a_noatime_mount_is_warned_of(tmp_path: Path) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    with mounted("tmpfs", tmp_path / "mnt", "noatime,size=16m") as mnt:
        root = copy_of(glance, mnt / "cache")
        code, doc = run_json("audit", str(root))
    assert code == 0
    [warning] = doc["warnings"]
    assert "noatime" in warning and "LRU" in warning


def test_an_xattr_cache_without_user_xattrs_is_warned_of(tmp_path: Path) -> None:
    glance = GlanceService("xattr", str(tmp_path / "cache"))
    typical(glance)
    with mounted("ramfs", tmp_path / "mnt") as mnt:
        root = mnt / "cache"
        shutil.copytree(glance.path, root, copy_function=shutil.copyfile)
        code, doc = run_json("audit", str(root))
    assert code == 0
    assert any("extended attributes" in w for w in doc["warnings"])


def test_the_mount_of_a_path_is_the_longest_mount_point_over_it() -> None:
    text = (
        "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
        "42 27 0:39 / /srv/glance\\040cache rw,noatime - tmpfs none rw,size=1024k\n"
        "43 27 0:40 / /srv/glance rw,relatime - ext4 /dev/vdb rw\n"
    )
    mounts = parse_mountinfo(text)
    m = mount_of("/srv/glance cache/image-cache", mounts)
    assert m is not None and m.mount_point == "/srv/glance cache" and m.noatime
    m = mount_of("/srv/glance/image-cache", mounts)
    assert m is not None and m.mount_point == "/srv/glance" and not m.noatime
    m = mount_of("/srv/glancex", mounts)
    assert m is not None and m.mount_point == "/"


# -- repair ---------------------------------------------------------------------


def _broken(glance: GlanceService, tmp_path: Path) -> Path:
    """A copy with every repairable problem its kind can have, and the untouchable ones."""
    root = copy_of(typical(glance), tmp_path / "copy")
    names = ["file-without-row", "empty-file", "not-an-image", "stray-symlink"]
    if glance.kind == "sqlite":
        names += ["row-without-file", "size-mismatch"]
    for name in names:
        INJECTIONS[name][1](root)
    return root


def _service_on(kind: str, root: Path) -> GlanceService:
    """Glance's own driver of ``kind`` opened on ``root`` (it creates nothing that is there)."""
    return GlanceService(kind, str(root))


@pytest.mark.parametrize("untracked", ["--adopt", "--delete-untracked"])
def test_after_repair_glance_sees_rows_equal_files(
    glance: GlanceService, tmp_path: Path, untracked: str
) -> None:
    root = _broken(glance, tmp_path)
    outside = (tmp_path / "outside.img").read_bytes()
    r = run("audit", str(root), "--repair", untracked, "--yes")
    assert r.returncode == 1, r.stderr  # not-an-image and the symlink stay: reported, untouched
    assert "Still there (2)" in r.stdout
    assert (root / "notes.txt").exists() and (root / IDS[15]).is_symlink()
    assert (tmp_path / "outside.img").read_bytes() == outside
    code, doc = run_json("audit", str(root))
    assert code == 1
    assert sorted(p["kind"] for p in doc["problems"]) == ["not-an-image", "stray-symlink"]

    service = _service_on(glance.kind, root)
    files = image_files(root)
    rows = {str(r["image_id"]): int(r["size"]) for r in service.cached_images()}
    rows.pop(IDS[15], None)  # the xattr driver lists the symlink: a file to it (isfile follows)
    rows.pop("notes.txt", None)
    assert rows == files
    assert CACHED[5] not in files  # the empty file went, with its row
    assert (CACHED[3] in files) == (untracked == "--adopt")
    if glance.kind == "sqlite":
        assert CACHED[2] not in rows  # the row without its file was dropped
        assert rows[CACHED[4]] == len(data(4))  # the size corrected
    if untracked == "--adopt":
        assert service.hit_count(CACHED[3]) == 0
        service.read(CACHED[3])  # Glance serves it and counts the hit now
        assert service.hit_count(CACHED[3]) == 1
        if glance.kind == "sqlite":
            [(modified, hits)] = sql(
                root,
                "SELECT last_modified, hits FROM cached_images WHERE image_id = ?",
                CACHED[3],
            )
            # The row Glance's commit makes: modified when it moved the file in (its mtime).
            assert hits == 1 and modified == pytest.approx(os.stat(root / CACHED[3]).st_mtime)


def test_repair_without_a_choice_leaves_untracked_files(
    glance: GlanceService, tmp_path: Path
) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    _untracked_file(root)
    _empty_file(root)
    r = run("audit", str(root), "--repair", "--yes")
    assert r.returncode == 1
    assert "choose --adopt or --delete-untracked" in r.stdout
    assert (root / CACHED[3]).exists() and not (root / CACHED[5]).exists()


def test_repair_is_refused_without_an_answer(glance: GlanceService, tmp_path: Path) -> None:
    root = _broken(glance, tmp_path)
    before = disk_state(root)
    r = run("audit", str(root), "--repair", "--adopt")
    assert r.returncode == 2
    assert "refused without --yes" in r.stderr
    assert "Traceback" not in r.stderr
    assert disk_state(root) == before


def test_repair_json_tells_problems_result_and_what_remains(
    glance: GlanceService, tmp_path: Path
) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    _empty_file(root)
    _stray_name(root)
    code, doc = run_json("audit", str(root), "--repair", "--yes")
    assert code == 1
    assert sorted(p["kind"] for p in doc["problems"]) == ["empty-file", "not-an-image"]
    assert doc["repair"]["done"] == 1 and doc["repair"]["failures"] == []
    assert [p["kind"] for p in doc["remaining"]] == ["not-an-image"]


def test_a_clean_cache_has_nothing_to_repair(glance: GlanceService) -> None:
    typical(glance)
    r = run("audit", glance.path, "--repair", "--adopt")
    assert r.returncode == 0, r.stderr
    assert "Nothing to repair." in r.stdout


def test_core_audit_names_entries_for_the_window(glance: GlanceService, tmp_path: Path) -> None:
    root = copy_of(typical(glance), tmp_path / "copy")
    _queued_too(root)
    report = audit(read(CacheSource.at(root)))
    [p] = report.problems
    assert p.kind is ProblemKind.IN_TWO_STATES and p.entry is not None
    assert p.entry.id == CACHED[1] and str(p.state) == "queued"
    assert report.counts() == {ProblemKind.IN_TWO_STATES: 1}
    assert not report.clean
    assert QUEUED != FAILED  # the typical cache's other entries are not problems


def test_each_problem_names_its_entry_and_state_for_the_window(
    glance: GlanceService, tmp_path: Path
) -> None:
    """The Problems view shows each problem's state, and a repair acts on its entry."""
    root = _broken(glance, tmp_path)
    reading = read(CacheSource.at(root))
    try:
        report = audit(reading)
    finally:
        reading.driver.close()
    found = [(str(p.kind), p.id, p.state, p.entry and p.entry.id) for p in report.problems]
    expected = [
        ("row-without-file", CACHED[2]),
        ("file-without-row", CACHED[3]),
        ("size-mismatch", CACHED[4]),
        ("empty-file", CACHED[5]),
        ("not-an-image", "notes.txt"),
        ("stray-symlink", IDS[15]),
    ]
    if glance.kind == "xattr":  # no rows: no row without its file, no size recorded
        expected = [(k, i) for k, i in expected if k not in {"row-without-file", "size-mismatch"}]
    assert found == [(kind, i, State.CACHED, i) for kind, i in expected]
