"""The file dialogs that choose what to open: a cache directory, or a glance-api.conf.

Each opens window-modal (``open()``, never ``exec()``) and calls ``chosen`` with the
path the user picked; the dialog is returned so that tests and tools can answer it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

#: Where a node's configuration usually is.
GLANCE_ETC = "/etc/glance"


def choose_directory(
    parent: QWidget, title: str, start: Path | None, chosen: Callable[[str], object]
) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if start is not None:
        dialog.setDirectory(str(start))
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog


def choose_glance_config(
    parent: QWidget, title: str, start: Path | None, chosen: Callable[[str], object]
) -> QFileDialog:
    """A glance-api.conf: starts where the last one was, else in /etc/glance."""
    dialog = QFileDialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilters([parent.tr("Glance configuration (*.conf)"), parent.tr("All files (*)")])
    if start is not None:
        dialog.setDirectory(str(start))
    elif os.path.isdir(GLANCE_ETC):
        dialog.setDirectory(GLANCE_ETC)
    dialog.fileSelected.connect(chosen)
    dialog.open()
    return dialog
