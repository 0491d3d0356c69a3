"""Help ▸ About."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from inspector import __version__


def show_about(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle(QCoreApplication.translate("about", "About Cache Inspector"))
    box.setText(
        QCoreApplication.translate(
            "about",
            "<b>Cache Inspector %s</b><p>See what an OpenStack Glance image cache or a "
            "Filetracker store holds, why it is full and what a prune would evict.</p>",
        )
        % __version__
    )
    box.open()
    return box
