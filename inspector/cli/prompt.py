"""Asking before destruction, Ctrl+C between entries, and progress on a terminal."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType
from typing import Any


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


class Declined(Exception):
    """The user said no at the prompt."""


def confirm(question: str, yes: bool) -> None:
    """Ask ``question``; anything but an explicit yes changes nothing.

    With ``yes`` (``--yes``) nothing is asked.  When nobody can answer
    (standard input is not a terminal) the change is refused, never assumed.
    """
    if yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(
            f"{question.rstrip('?')}: refused without --yes (standard input is not a terminal)."
        )
    prompt = f"{question} [y/N] "
    stream = sys.stdout if sys.stdout is not None else sys.stderr
    try:
        stream.write(prompt)
        stream.flush()
    except OSError:
        sys.stderr.write(prompt)
        sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise Declined("Nothing was changed.")


class Interrupt:
    """Ctrl+C during a job stops it between entries instead of killing it mid-way."""

    def __init__(self) -> None:
        self.hit = False
        self._old: Any = None

    def __enter__(self) -> Interrupt:
        self._old = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._old)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.hit = True


class Progress:
    """A one-line progress report on stderr, only when stderr is a terminal.

    Redrawn at most ten times a second and erased when the work ends, so
    that pipes and logs see nothing of it.
    """

    def __init__(self, interrupt: Interrupt | None = None) -> None:
        self.enabled = sys.stderr is not None and sys.stderr.isatty()
        self.interrupt = interrupt
        self._last = 0.0
        self._shown = False

    def scanning(self, count: int) -> bool:
        self._show(f"Reading… {count:,} entries")
        return not (self.interrupt and self.interrupt.hit)

    def job(self, verb: str) -> Any:
        def progress(done: int, total: int) -> bool:
            pct = 100 * done // total if total else 100
            self._show(f"{verb}… {done:,} of {total:,} ({pct} %)")
            return not (self.interrupt and self.interrupt.hit)

        return progress

    def show(self, text: str) -> None:
        """One line of progress (redrawn at most ten times a second)."""
        self._show(text)

    def _show(self, text: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        sys.stderr.write("\r\033[K" + text)
        sys.stderr.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False
