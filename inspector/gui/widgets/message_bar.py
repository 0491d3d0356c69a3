"""An in-window message: errors and warnings never go to the console only."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class MessageBar(QLabel):
    """One message at a time, coloured by level, selectable, read by screen readers."""

    STYLES: ClassVar[dict[str, str]] = {
        "error": "background: #f8d7da; color: #58151c; border: 1px solid #f1aeb5;",
        "warning": "background: #fff3cd; color: #664d03; border: 1px solid #ffe69c;",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName(self.tr("Message"))
        self.level = ""
        self.hide()

    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setStyleSheet(f"QLabel {{ {self.STYLES[level]} padding: 6px; border-radius: 3px; }}")
        self.show()

    def clear_message(self) -> None:
        self.level = ""
        self.setText("")
        self.setAccessibleDescription("")
        self.hide()
