"""Standard output that fails as itself: a closed or full stdout is an output error.

A job's result is safe on disk before anything is printed; when printing it
then fails (stdout closed with ``>&-``, a full disk behind ``>/dev/full``),
the user is told that the *output* failed and what the job did, never that
the cache did.
"""

from __future__ import annotations

import os
import sys
from typing import TextIO

from inspector.core.errors import reason_of


class OutputError(Exception):
    """Standard output cannot be written."""


def ensure_standard_fds() -> bool:
    """Open ``/dev/null`` on any of fds 0, 1, 2 that is closed; True if stdout was.

    A program started with a closed descriptor would otherwise hand that
    number to the next file it opens: a directory or a database could then
    become "standard output".
    """
    stdout_closed = False
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            stdout_closed = stdout_closed or fd == 1
    return stdout_closed


class Output:
    """Where results go; every failure to write becomes :class:`OutputError`."""

    def __init__(self, stream: TextIO | None, closed: bool = False) -> None:
        self.stream = None if closed else stream

    def write(self, text: str) -> None:
        if self.stream is None:
            raise OutputError("standard output is closed")
        try:
            self.stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(reason_of(exc)) from exc

    def flush(self) -> None:
        if self.stream is None:
            return
        try:
            self.stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(reason_of(exc)) from exc

    def isatty(self) -> bool:
        return self.stream is not None and self.stream.isatty()


def silence_stdout() -> None:
    """Point fd 1 at ``/dev/null`` so the interpreter's last flush cannot fail again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    except OSError:
        pass
    sys.stdout = None
