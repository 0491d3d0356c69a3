"""Entry point of the bundled GUI (PyInstaller needs a script)."""

import sys

from inspector.gui import main

sys.exit(main(sys.argv))
