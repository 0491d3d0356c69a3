"""The Qt GUI: the main window and the program's entry point."""

from inspector.gui.app import main
from inspector.gui.main_window import MainWindow

__all__ = ["MainWindow", "main"]
