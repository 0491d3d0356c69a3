"""Which mount holds a cache, read from mountinfo as proc(5) writes it."""

from __future__ import annotations

import os
from pathlib import Path

from inspector.core.drivers.mounts import Mount, mount_of, parse_mountinfo
from tests.core.test_audit import mounted

MOUNTINFO = (
    "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro\n"
    "42 27 0:39 / /srv/glance\\040cache rw,nosuid,noatime shared:7 master:2 - tmpfs "
    "my\\011tmp rw,size=1024k\n"
    "not a mountinfo line\n"
    "1 2 3 - 5 6 7 8 9\n"  # the separator too early: not one of the fields after the options
    "50 27 0:41 / /broken rw -\n"  # nothing after the separator
    "51 27 0:42 / /bare rw - proc\n"  # no source
    "60 27 0:43 / /srv/old rw - nfs4 server:/export\n"  # no super options
    "61 27 0:44 / /srv/old ro,noatime - ext4 /dev/vdc ro\n"  # mounted over it since
)


def test_every_field_of_every_well_formed_line() -> None:
    assert parse_mountinfo(MOUNTINFO) == [
        Mount(
            "/",
            "ext4",
            "/dev/vda",
            frozenset({"rw", "relatime"}),
            frozenset({"rw", "errors=remount-ro"}),
        ),
        Mount(
            "/srv/glance cache",
            "tmpfs",
            "my\ttmp",
            frozenset({"rw", "nosuid", "noatime"}),
            frozenset({"rw", "size=1024k"}),
        ),
        Mount("/srv/old", "nfs4", "server:/export", frozenset({"rw"}), frozenset()),
        Mount("/srv/old", "ext4", "/dev/vdc", frozenset({"ro", "noatime"}), frozenset({"ro"})),
    ]


def test_the_mount_holding_a_path_is_the_longest_point_and_the_last_listed() -> None:
    mounts = parse_mountinfo(MOUNTINFO)
    assert mount_of("/srv/glance cache/image-cache", mounts) == mounts[1]
    assert mount_of("/srv/glance cache", mounts) == mounts[1]
    assert mount_of("/srv/glance", mounts) == mounts[0]
    assert mount_of("/srv/old/images", mounts) == mounts[3]  # the later mount hides the first
    assert mount_of("/srv/older", mounts) == mounts[0]
    assert mount_of("/srv/glance cache/x", mounts[2:]) is None  # no mount over it at all
    box = parse_mountinfo("70 27 0:50 / /srv/BOX rw - ext4 /dev/vdd rw\n")
    assert mount_of("/srv/BOX/images", box) == box[0]


def test_a_real_noatime_mount_is_found_through_a_symlink(tmp_path: Path) -> None:
    with mounted("tmpfs", tmp_path / "mnt", "noatime,size=1m") as mnt:
        (mnt / "cache").mkdir()
        os.symlink(mnt / "cache", tmp_path / "link")
        found = mount_of(tmp_path / "link")
        assert found is not None
        assert (found.mount_point, found.fstype, found.noatime) == (str(mnt), "tmpfs", True)
        assert "size=1024k" in found.super_options
    outside = mount_of(tmp_path)
    assert outside is not None and outside.mount_point != str(mnt)
