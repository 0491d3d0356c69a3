"""The CLI run in the test's own process (so that a mutant of the code under test runs too)."""

from __future__ import annotations

import io

import pytest

from inspector.cli import main

PROG = "cache-inspector-cli"


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of ``cache-inspector-cli ARGV...``."""
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue(), capsys.readouterr().err
