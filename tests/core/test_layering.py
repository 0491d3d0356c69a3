"""The core and the CLI never load Qt: they must run on a server without it."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import inspector.core, inspector.core.demo, inspector.cli
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))
print(' '.join(loaded))
"""


def test_core_and_cli_import_no_qt() -> None:
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


def test_core_sources_name_no_qt() -> None:
    from pathlib import Path

    import inspector.core

    root = Path(inspector.core.__file__).parent
    offenders = [
        p.name
        for p in root.rglob("*.py")
        if any(word in p.read_text() for word in ("PySide6", "shiboken6", "inspector.gui"))
    ]
    assert offenders == []
