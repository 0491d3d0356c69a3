"""``python -m inspector`` starts the GUI."""

import sys

from inspector.gui import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
