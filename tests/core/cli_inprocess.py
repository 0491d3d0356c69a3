"""The CLI run in the test's own process (so that a mutant of the code under test runs too)."""

from __future__ import annotations

import io
import os
import signal

import pytest

from inspector.cli import main

PROG = "cache-inspector-cli"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``cache-inspector-cli ARGV...``."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err


class CtrlCTerminal(io.StringIO):
    """Standard error of a person at a terminal, who presses Ctrl+C once ``on`` shows."""

    def __init__(self, on: str) -> None:
        super().__init__()
        self.on: str | None = on

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        n = super().write(text)
        if self.on is not None and self.on in text:
            self.on = None
            os.kill(os.getpid(), signal.SIGINT)
        return n
