"""Entry point of the bundled CLI (PyInstaller needs a script)."""

import sys

from inspector.cli import main

sys.exit(main())
