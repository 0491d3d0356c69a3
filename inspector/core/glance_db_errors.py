"""What kind of failure a database driver's exception is, for a message a person can act on.

PyMySQL reports MySQL/MariaDB error numbers, psycopg and psycopg2 PostgreSQL's
SQLSTATEs, sqlite3 only a text: each is sorted into busy (a lock held too
long), missing (no such table), schema (no such column), read_only,
connect, or other.
"""

from __future__ import annotations

from typing import Any


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # pymysql's errors are (code, message) tuples; libpq's often end with hints.
    args: tuple[Any, ...] = tuple(getattr(exc, "args", ()))
    if len(args) == 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = args[1]
    return text.splitlines()[0].strip().rstrip(".")


#: MySQL/MariaDB error numbers, by what they mean here.
_MYSQL_CODES = {
    1205: "busy",  # lock wait timeout
    1213: "busy",  # deadlock
    1146: "missing",  # table does not exist
    1054: "schema",  # unknown column
    1142: "read_only",  # command denied
    1290: "read_only",  # server running with --read-only
    1792: "read_only",  # read-only transaction
}
#: PostgreSQL SQLSTATEs, by what they mean here.
_PG_STATES = {
    "55P03": "busy",  # lock_not_available
    "40P01": "busy",  # deadlock_detected
    "42P01": "missing",  # undefined_table
    "42703": "schema",  # undefined_column
    "42501": "read_only",  # insufficient_privilege
    "25006": "read_only",  # read_only_sql_transaction
}


def classify(exc: BaseException, backend: str) -> str:
    """What kind of failure ``exc`` (a DBAPI error) is: busy, missing, schema, ..."""
    if backend == "mysql":
        args = getattr(exc, "args", ())
        code = args[0] if args and isinstance(args[0], int) else None
        if code in _MYSQL_CODES:
            return _MYSQL_CODES[code]
        return "connect" if code in (1044, 1045, 1049, 2002, 2003, 2005, 2013) else "other"
    if backend == "postgresql":
        state = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if state in _PG_STATES:
            return _PG_STATES[state]
        return "connect" if state is None or str(state).startswith(("08", "28", "3D")) else "other"
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return "busy"
    if "no such table" in text:
        return "missing"
    if "no such column" in text:
        return "schema"
    if "readonly" in text or "read-only" in text:
        return "read_only"
    if "unable to open" in text:
        return "connect"
    return "other"
