"""What a database failure makes the inspector say, for each driver's way of reporting it.

PyMySQL reports MySQL/MariaDB error numbers, psycopg a SQLSTATE (psycopg2 a
``pgcode``), sqlite3 only a text: each failure is told as a lock held too
long, a refused connection, a schema the inspector does not know, a user who
may not write, or the driver's own words.  Built with the drivers' own
exception classes; nothing connects (a :class:`GlanceDatabase` connects only
when asked to read or write).
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pymysql
import pytest

from inspector.core.errors import (
    CacheBusyError,
    CacheError,
    CacheReadOnlyError,
    CacheUnreadableError,
    CorruptDatabaseError,
)
from inspector.core.glance_db import GlanceDatabase
from inspector.core.glance_db_errors import first_line

MYSQL = GlanceDatabase("mysql+pymysql://glance:secret@db.example/glance")
POSTGRES = GlanceDatabase("postgresql+psycopg://glance:secret@db.example/glance")
SQLITE = GlanceDatabase("sqlite:////var/lib/glance/glance.sqlite")


def said(db: GlanceDatabase, exc: BaseException) -> tuple[type[CacheError], str]:
    error = db.error(exc)
    return type(error), str(error)


@pytest.mark.parametrize("code", [1044, 1045, 1049, 2002, 2003, 2005, 2013])
def test_mysql_errors_of_reaching_the_server_are_told_as_a_connection_refused(
    code: int,
) -> None:
    kind, text = said(MYSQL, pymysql.err.OperationalError(code, "Cannot reach it."))
    assert kind is CacheUnreadableError
    assert text == f"Cannot connect to Glance's database {MYSQL.display}: Cannot reach it."


@pytest.mark.parametrize("code", [1064, 1043, 2006, 2014])
def test_other_mysql_errors_are_told_in_the_servers_words(code: int) -> None:
    kind, text = said(MYSQL, pymysql.err.OperationalError(code, "Something else."))
    assert kind is CacheUnreadableError
    assert text == f"Glance's database {MYSQL.display}: Something else."


def test_a_mysql_error_without_a_number_is_told_in_its_words() -> None:
    kind, text = said(MYSQL, pymysql.err.OperationalError())
    assert (kind, text) == (
        CacheUnreadableError,
        f"Glance's database {MYSQL.display}: OperationalError.",
    )
    kind, text = said(MYSQL, pymysql.err.OperationalError("lost the server"))
    assert (kind, text) == (
        CacheUnreadableError,
        f"Glance's database {MYSQL.display}: lost the server.",
    )


class Psycopg2Error(Exception):
    """psycopg2's errors carry the SQLSTATE as ``pgcode`` (psycopg 3's as ``sqlstate``)."""

    def __init__(self, text: str, pgcode: str | None) -> None:
        super().__init__(text)
        self.pgcode = pgcode


class Psycopg3Error(Exception):
    def __init__(self, text: str, sqlstate: str | None) -> None:
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("error", [Psycopg2Error, Psycopg3Error])
@pytest.mark.parametrize(
    ("state", "kind", "told"),
    [
        ("55P03", CacheBusyError, "stayed locked"),
        ("42703", CorruptDatabaseError, "has an unknown schema (no such thing)"),
        ("25006", CacheReadOnlyError, "cannot be written by this user: no such thing."),
        ("08006", CacheUnreadableError, "Cannot connect to"),
        ("28P01", CacheUnreadableError, "Cannot connect to"),
        ("3D000", CacheUnreadableError, "Cannot connect to"),
        (None, CacheUnreadableError, "Cannot connect to"),
    ],
)
def test_a_postgresql_sqlstate_decides_what_is_said_under_either_drivers_name(
    error: type[Exception], state: str | None, kind: type[CacheError], told: str
) -> None:
    got, text = said(POSTGRES, error("no such thing.\nHINT: look elsewhere", state))
    assert got is kind
    assert told in text


def test_an_unknown_postgresql_sqlstate_is_told_in_the_servers_words() -> None:
    kind, text = said(POSTGRES, Psycopg3Error("duplicate key value", "23505"))
    assert (kind, text) == (
        CacheUnreadableError,
        f"Glance's database {POSTGRES.display}: duplicate key value.",
    )


@pytest.mark.parametrize(
    ("message", "kind", "told"),
    [
        ("database is locked", CacheBusyError, "stayed locked"),
        ("the database file is busy", CacheBusyError, "stayed locked"),
        ("no such column: images.os_hash_algo", CorruptDatabaseError, "unknown schema"),
        ("attempt to write a readonly database", CacheReadOnlyError, "cannot be written"),
        ("the file system is read-only", CacheReadOnlyError, "cannot be written"),
        ("unable to open database file", CacheUnreadableError, "Cannot connect to"),
        ("disk I/O error", CacheUnreadableError, "Glance's database"),
    ],
)
def test_sqlite_failures_are_told_by_their_words(
    message: str, kind: type[CacheError], told: str
) -> None:
    got, text = said(SQLITE, sqlite3.OperationalError(message))
    assert got is kind
    assert told in text
    if kind is CacheUnreadableError and "I/O" in message:
        assert text == f"Glance's database {SQLITE.display}: disk I/O error."


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (Exception("boom"), "boom"),
        (ValueError(""), "ValueError"),
        (ValueError(), "ValueError"),
        (Exception("  Lock wait timeout exceeded.  \nHINT: retry."), "Lock wait timeout exceeded"),
        (pymysql.err.OperationalError(1045, "Access denied."), "Access denied"),
        (Exception("first", "second"), "('first', 'second')"),
        (Exception(1205, "Lock wait", "extra"), "(1205, 'Lock wait', 'extra')"),
        (Exception("Table MAX"), "Table MAX"),
        (Exception(".hidden."), ".hidden"),
    ],
)
def test_the_first_line_of_a_failure_is_what_is_quoted(exc: BaseException, line: str) -> None:
    assert first_line(exc) == line


OLDER = (
    ": it is not Glance's database, or its schema is older than Glance 2024.1 "
    "(glance-manage db sync); nothing was read or changed."
)


def test_a_missing_table_names_the_tables_the_database_lacks(tmp_path: Path) -> None:
    empty = tmp_path / "glance.sqlite"
    sqlite3.connect(empty).close()
    db = GlanceDatabase(f"sqlite:///{empty}")
    kind, text = said(db, sqlite3.OperationalError("no such table: node_reference"))
    assert (kind, text) == (
        CorruptDatabaseError,
        f"Glance's database {db.display} has no node_reference, cached_images, images{OLDER}",
    )


def test_a_missing_table_of_a_database_it_cannot_list_is_told_in_the_drivers_words() -> None:
    kind, text = said(SQLITE, sqlite3.OperationalError("no such table: images"))
    assert kind is CorruptDatabaseError
    assert text == (
        f"Glance's database {SQLITE.display} is missing a table the inspector reads "
        f"(no such table: images){OLDER}"
    )


def test_the_password_is_blanked_in_every_form_the_driver_may_quote_it() -> None:
    db = GlanceDatabase("mysql+pymysql://glance:p%2Fw%40d@db.example/glance")
    exc = pymysql.err.OperationalError(
        1045, "Access denied (password p/w@d, in the URL p%2Fw%40d, or as p/w%40d)."
    )
    kind, text = said(db, exc)
    assert (kind, text) == (
        CacheUnreadableError,
        f"Cannot connect to Glance's database {db.display}: Access denied (password ***, "
        "in the URL ***, or as p/w%40d).",
    )
    assert "p%2Fw" not in db.display and "p/w@d" not in db.display


def test_each_failure_is_logged_for_debugging_with_its_kind_and_never_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What ``--debug`` (the log) keeps of a failure: its kind, the database, the words."""
    with caplog.at_level(logging.DEBUG, logger="inspector.core.glance_db"):
        said(MYSQL, pymysql.err.OperationalError(1045, "Access denied for user 'glance'."))
        said(SQLITE, sqlite3.OperationalError("database is locked"))
    assert caplog.messages == [
        f"database error (connect) on {MYSQL.display}: Access denied for user 'glance'",
        f"database error (busy) on {SQLITE.display}: database is locked",
    ]
    assert "secret" not in caplog.text


@pytest.mark.parametrize("scheme", ["mysql", "mysql+mysqldb", "mysql+mysqlconnector"])
def test_a_mysql_url_for_a_driver_not_installed_goes_through_pymysql(scheme: str) -> None:
    """glance-api.conf may name MySQLdb (``mysql://``) or mysql-connector: the inspector
    has PyMySQL, which then answers (here: nothing listens on the port)."""
    db = GlanceDatabase(f"{scheme}://glance:secret@127.0.0.1:1/glance")
    with pytest.raises(CacheUnreadableError) as caught, db.reading():
        pass
    said = str(caught.value)
    assert said.startswith(f"Cannot connect to Glance's database {db.display}: ")
    assert "Can't connect to MySQL server on '127.0.0.1'" in said
