"""A cache source: what the user sees of it and what is remembered, never a password."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inspector.core.source import CacheOptions, CacheSource, redact_url

URL = "postgresql+psycopg://glance:s3cret@db.example:5432/glance"


def test_a_directory_source() -> None:
    s = CacheSource.at("~/cache", None)
    assert s.path == Path.home() / "cache"
    assert (s.kind, s.db_url, s.node, s.api, s.config) == (None, None, None, None, None)
    assert s.options == CacheOptions()
    assert (s.options.sqlite_db, s.options.max_size, s.options.stall_time) == (
        "cache.db",
        None,
        None,
    )
    assert s.with_kind("xattr").kind == "xattr"
    assert s.with_kind("xattr").path == s.path
    opts = CacheOptions(sqlite_db="other.db")
    assert CacheSource.at("/c", "sqlite", opts) == CacheSource(Path("/c"), "sqlite", options=opts)


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (CacheSource(Path("/var/cache/glance")), "/var/cache/glance"),
        (
            CacheSource(Path("/c"), db_url=URL, node="http://n1:9292"),
            "/c · node http://n1:9292 in postgresql+psycopg://glance:***@db.example:5432/glance",
        ),
        (
            CacheSource(db_url=URL),
            "postgresql+psycopg://glance:***@db.example:5432/glance",
        ),
        (CacheSource(node="http://n1:9292"), "http://n1:9292"),
        (
            CacheSource(api="https://admin:pw@n2:9292/", node="http://n2:9292"),
            "https://admin:***@n2:9292/",
        ),
        (CacheSource(Path("/c"), node="http://n3"), "/c"),
        (CacheSource(), "(nothing)"),
    ],
)
def test_display_name_has_no_password(source: CacheSource, shown: str) -> None:
    assert source.display_name() == shown
    assert "s3cret" not in shown and ":pw@" not in shown


@pytest.mark.parametrize(
    ("source", "short"),
    [
        (CacheSource(Path("/var/cache/glance")), "glance"),
        (CacheSource(Path("/")), "/"),
        (CacheSource(api="https://n2:9292/v2"), "n2:9292"),
        (CacheSource(node="http://n1:9292"), "n1:9292"),
        (CacheSource(node="n1-without-scheme"), "n1-without-scheme"),
        (CacheSource(), "cache"),
    ],
)
def test_short_name(source: CacheSource, short: str) -> None:
    assert source.short_name() == short


def test_settings_key_is_stable_and_secret_free() -> None:
    a = CacheSource(Path("/c"), "centralized_db", URL, "http://n1")
    b = CacheSource(Path("/c"), "centralized_db", URL.replace("s3cret", "other"), "http://n1")
    key = a.settings_key()
    assert len(key) == 16 and int(key, 16) >= 0
    assert key == b.settings_key()  # a new password is the same cache
    assert key == CacheSource(Path("/c"), "centralized_db", URL, "http://n1").settings_key()
    others = [
        CacheSource(Path("/d"), "centralized_db", URL, "http://n1"),
        CacheSource(Path("/c"), "sqlite", URL, "http://n1"),
        CacheSource(Path("/c"), "centralized_db", URL, "http://n2"),
        CacheSource(Path("/c"), "centralized_db", None, "http://n1"),
        CacheSource(Path("/c"), "centralized_db", URL, "http://n1", api="http://n1:9292"),
        CacheSource(Path("/c"), None, URL, "http://n1"),
    ]
    assert len({key, *(o.settings_key() for o in others)}) == 1 + len(others)
    # Remembered settings are found again by the next version: the key is fixed.
    assert CacheSource(Path("/var/cache/glance"), "sqlite").settings_key() == "f7f2b105e1509c7d"
    assert key == "980897acc5625a66"
    assert CacheSource(db_url=URL, node="http://n1").settings_key() == "606085edc475b024"
    undecodable = Path(os.fsdecode(b"/srv/caf\xe9"))  # a directory name that is not UTF-8
    assert len(CacheSource(undecodable).settings_key()) == 16
    assert CacheSource(undecodable).display_name() == str(undecodable)
    # The parts are kept apart: moving text from one to the next is another key.
    assert (
        CacheSource(Path("/c"), "ab").settings_key()
        != CacheSource(Path("b/c"), "a").settings_key()
    )
    # A glance-api.conf not read yet is known by its file; once read, by what it names.
    conf = Path("/etc/glance/glance-api.conf")
    unread = {CacheSource(config=c).settings_key() for c in (conf, Path("/etc/glance/b.conf"))}
    assert len(unread | {CacheSource().settings_key()}) == 3
    read_one = CacheSource(Path("/var/cache/glance"), "sqlite", config=conf)
    assert read_one.settings_key() == "f7f2b105e1509c7d"


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (URL, "postgresql+psycopg://glance:***@db.example:5432/glance"),
        ("mysql+pymysql://glance@db/glance", "mysql+pymysql://glance@db/glance"),
        ("mysql://u:p:q@db/g", "mysql://u:***@db/g"),
        ("https://a:b@c@host/x", "https://a:***@host/x"),
        ("sqlite:////var/lib/glance/glance.sqlite", "sqlite:////var/lib/glance/glance.sqlite"),
        (
            "https://n1/v2?token=abc&Password=x&region=one&passwd=y&pass=z&secret=s",
            "https://n1/v2?token=***&Password=***&region=one&passwd=***&pass=***&secret=***",
        ),
        ("https://n1/v2?region=one&empty=", "https://n1/v2?region=one&empty="),
        ("http://[::1", "***"),
        ("https://n1/v2?token=abc", "https://n1/v2?token=***"),
        ("https://n1/v2?empty=&token=abc", "https://n1/v2?empty=&token=***"),
    ],
)
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted
