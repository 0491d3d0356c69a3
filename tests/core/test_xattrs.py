"""Extended attributes as Glance's xattr driver keeps them, read and written here.

Values are checked against Glance's own reader (``get_hit_count``); a
filesystem without user xattrs is a real one (ramfs, mounted for the test).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from inspector.core import State, open_cache
from inspector.core.drivers import xattrs
from inspector.core.drivers.base import MetadataUpdate
from inspector.core.drivers.glance.xattr import NO_XATTR_WARNING
from inspector.core.errors import CacheError
from tests.core.test_bad_input import no_xattr_dir  # noqa: F401  (a fixture)
from tests.glance_service import GlanceService

A = "a0000000-0000-4000-8000-00000000000a"
B = "b0000000-0000-4000-8000-00000000000b"
C = "c0000000-0000-4000-8000-00000000000c"

XATTR = pytest.mark.parametrize("kind", ["xattr"])


@pytest.fixture(params=["os", "xattr-package"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Linux's os.getxattr, and the xattr package that other systems read with."""
    if request.param == "xattr-package":
        monkeypatch.setattr(xattrs, "_OS_GETXATTR", None)
    return str(request.param)


@XATTR
def test_values_read_as_glance_reads_them(glance: GlanceService, reader: str) -> None:
    glance.cache(A, b"a" * 10)
    glance.read(A, times=3)
    glance.fail(B, b"b" * 10, "checksum mismatch")
    path = Path(glance.path, A)
    assert xattrs.get(path, "hits") == b"3"
    assert xattrs.get_int(path, "hits") == glance.hit_count(A) == 3
    assert xattrs.get_text(Path(glance.path, "invalid", B), "error") == "checksum mismatch"
    assert xattrs.get(path, "error") is None
    assert xattrs.get_text(path, "error") is None
    assert xattrs.get_int(path, "error") is None
    with pytest.raises(FileNotFoundError):
        xattrs.get(Path(glance.path, C), "hits")
    with pytest.raises(FileNotFoundError):
        xattrs.get_int(Path(glance.path, C), "hits")


@XATTR
def test_a_symlink_is_never_followed(glance: GlanceService, reader: str) -> None:
    """The link's target may lie outside the cache: its attributes are not the entry's."""
    glance.cache(A, b"a" * 10)
    glance.read(A, times=2)
    link = Path(glance.path, B)
    os.symlink(Path(glance.path, A), link)
    assert xattrs.get(link, "hits") is None
    assert xattrs.get_int(link, "hits") is None
    entries = {e.id: e for e in open_cache(glance.path).scan().of_state(State.CACHED)}
    assert (entries[A].hits, entries[B].hits) == (2, None)


@XATTR
def test_damaged_values_are_unknown_and_text_is_replaced(glance: GlanceService) -> None:
    glance.cache(A, b"a" * 10)
    glance.fail(B, b"b" * 10, "x")
    os.setxattr(Path(glance.path, A), "user.hits", b" 7 ")
    assert xattrs.get_int(Path(glance.path, A), "hits") == 7  # int() takes spaces, as Glance
    os.setxattr(Path(glance.path, A), "user.hits", b"seven")
    assert xattrs.get_int(Path(glance.path, A), "hits") is None
    os.setxattr(Path(glance.path, "invalid", B), "user.error", b"caf\xe9 \xff")
    assert xattrs.get_text(Path(glance.path, "invalid", B), "error") == "caf\ufffd \ufffd"
    [invalid] = open_cache(glance.path).scan().of_state(State.INVALID)
    assert invalid.error == "caf\ufffd \ufffd"


@XATTR
def test_put_writes_what_glance_reads(glance: GlanceService) -> None:
    glance.cache(A, b"a" * 10)
    xattrs.put(Path(glance.path, A), "hits", 41)
    assert glance.hit_count(A) == 41
    assert os.getxattr(Path(glance.path, A), "user.hits") == b"41"
    xattrs.put(str(Path(glance.path, A)), "error", "café")
    assert os.getxattr(Path(glance.path, A), "user.error") == "café".encode()
    link = Path(glance.path, B)
    os.symlink(Path(glance.path, A), link)
    with pytest.raises(OSError):  # Linux keeps no user xattrs on a symlink itself
        xattrs.put(link, "hits", 99)
    assert glance.hit_count(A) == 41  # its target untouched


@XATTR
def test_supported_on_a_normal_filesystem(glance: GlanceService, tmp_path: Path) -> None:
    assert xattrs.supported(glance.path) is True
    assert xattrs.supported(tmp_path / "missing") is True  # unknown: not "unsupported"


def test_a_filesystem_without_xattrs(no_xattr_dir: Path, reader: str) -> None:  # noqa: F811
    f = no_xattr_dir / "file"
    f.write_bytes(b"x")
    assert xattrs.supported(no_xattr_dir) is False
    for read in (lambda: xattrs.get(f, "hits"), lambda: xattrs.get_int(f, "hits")):
        with pytest.raises(xattrs.XattrUnsupportedError) as info:
            read()
        assert info.value.errno == errno.EOPNOTSUPP
        assert info.value.strerror == "extended attributes not supported"
    with pytest.raises(xattrs.XattrUnsupportedError) as info:
        xattrs.put(f, "hits", 1)
    assert (info.value.errno, info.value.strerror) == (
        errno.EOPNOTSUPP,
        "extended attributes not supported",
    )


def _cache_without_xattrs(root: Path) -> Path:
    """Glance's layout on a filesystem without user xattrs: A and B cached, C invalid."""
    for sub in ("", "incomplete", "invalid", "queue"):
        (root / sub).mkdir()
    for image_id in (A, B):
        (root / image_id).write_bytes(b"x" * 10)
    (root / "invalid" / C).write_bytes(b"c" * 5)
    return root


def test_a_cache_without_xattrs_warns_once(no_xattr_dir: Path) -> None:  # noqa: F811
    """Hits and error texts unknown, said once, the files listed all the same."""
    cache = open_cache(_cache_without_xattrs(no_xattr_dir / "cache"))
    assert cache.name == "xattr"
    for _ in range(2):  # each scan says it again, once
        snap = cache.scan()
        assert snap.warnings == (NO_XATTR_WARNING,)
        assert {e.id: e.hits for e in snap.of_state(State.CACHED)} == {A: None, B: None}
        [invalid] = snap.of_state(State.INVALID)
        assert (invalid.id, invalid.error, invalid.size) == (C, None, 5)


def test_hits_for_a_cache_without_xattrs_are_refused_saying_why(
    no_xattr_dir: Path,  # noqa: F811
) -> None:
    root = _cache_without_xattrs(no_xattr_dir / "cache")
    cache = open_cache(root)
    entry = next(e for e in cache.scan().entries if e.id == A)
    with pytest.raises(CacheError) as info:
        list(cache.write_metadata([MetadataUpdate(entry, hits=5)]))
    assert str(info.value) == (
        f"{root} is on a filesystem without user xattrs: hits cannot be written."
    )
    assert os.listxattr(root / A) == [] and (root / A).read_bytes() == b"x" * 10
