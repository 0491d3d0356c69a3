"""Queue Images: ids to queue, one per line, checked by the cache's own id rule as typed."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import CacheError
from inspector.gui.dialogs.result import tr


class QueueDialog(QDialog):
    """Image ids to queue; ``check`` is the cache's id rule (it raises on a bad id)."""

    ids_chosen = Signal(list)

    def __init__(self, check: Callable[[str], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = check
        self.setWindowTitle(tr("Queue Images"))
        self.resize(520, 360)
        self.text = QPlainTextEdit()
        self.text.setAccessibleName(tr("Image ids to queue"))
        self.text.setPlaceholderText(tr("One image id per line"))
        self.text.setTabChangesFocus(True)  # Tab moves on; ids never hold a tab
        self.text.textChanged.connect(self._check)
        label = QLabel(tr("&Image ids, one per line:"))
        label.setBuddy(self.text)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(tr("Queue"))
        self.buttons.accepted.connect(self._go)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Glance refuses ids already cached, being cached or queued.")))
        layout.addWidget(label)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.ids: list[str] = []
        self._check()

    @Slot()
    def _check(self) -> None:
        lines = [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]
        problems = []
        for line in lines:
            try:
                self.check(line)
            except (CacheError, ValueError) as exc:
                problems.append(str(exc))
        self.ids = list(dict.fromkeys(lines))
        self.ok.setEnabled(bool(lines) and not problems)
        if problems:
            text = "\n".join(problems[:5])
            self.status.setStyleSheet("QLabel { color: #b02a37; }")
        else:
            text = tr("%s id(s) to queue") % len(self.ids) if lines else ""
            self.status.setStyleSheet("")
        self.status.setText(text)
        self.status.setAccessibleDescription(text)

    @Slot()
    def _go(self) -> None:
        if self.ok.isEnabled():
            self.ids_chosen.emit(self.ids)
            self.accept()
