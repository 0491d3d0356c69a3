"""Opening a plain cache never pays for the central database's libraries.

SQLAlchemy and oslo.config take about 200 ms to import; the CLI and the window
import them only when a source names Glance's database or a glance-api.conf.
"""

from __future__ import annotations

import subprocess
import sys


def test_the_program_starts_without_sqlalchemy_or_oslo_config() -> None:
    code = (
        "import sys, inspector.cli, inspector.core, inspector.report.records;"
        "print(sorted(m for m in ('sqlalchemy', 'oslo_config') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
