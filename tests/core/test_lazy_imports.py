"""Opening a plain cache never pays for the central database's libraries.

SQLAlchemy and oslo.config take about 200 ms to import; the CLI and the window
import them only when a source names Glance's database or a glance-api.conf.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from inspector.core.demo import build_demo_cache


def test_the_program_starts_without_sqlalchemy_or_oslo_config() -> None:
    code = (
        "import sys, inspector.cli, inspector.core, inspector.report.records;"
        "print(sorted(m for m in ('sqlalchemy', 'oslo_config') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_listing_imports_only_what_it_prints(tmp_path: Path) -> None:
    """``list --json`` and ``--csv`` load neither the tables, the statistics, the plans
    and jobs, nor the other commands' modules: a script listing a cache pays only for
    reading it and writing records."""
    cache = build_demo_cache(tmp_path / "cache", "sqlite")
    heavy = (
        "inspector.cli.render",
        "inspector.cli.render_trust",
        "inspector.core.actions",
        "inspector.core.stats",
        "inspector.core.audit",
        "inspector.core.verify",
        "inspector.core.fleet",
        "inspector.core.journal",
    )
    for fmt in ("--json", "--csv"):
        code = (
            "import io, sys\n"
            "from inspector.cli import main\n"
            f"assert main(['list', {str(cache)!r}, {fmt!r}], out=io.StringIO()) == 0\n"
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "[]", fmt
