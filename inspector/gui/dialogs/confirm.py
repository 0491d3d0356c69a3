"""Asking before anything destructive, and telling what a job did."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from inspector.core.actions import JobResult
from inspector.gui.dialogs.result import summarize_result


class ConfirmBox(QMessageBox):
    """A question whose destructive answer must be chosen; Enter and Escape cancel."""

    confirmed = Signal()

    def __init__(self, text: str, detail: str, verb: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(self.tr("Confirm"))
        self.setText(text)
        self.setInformativeText(detail)
        self.yes = self.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        cancel = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(cancel)
        self.setEscapeButton(cancel)
        self.finished.connect(self._finished)

    @Slot(int)
    def _finished(self, _code: int) -> None:
        if self.clickedButton() is self.yes:
            self.confirmed.emit()


def result_box(title: str, result: JobResult, parent: QWidget | None) -> QMessageBox:
    """What a finished job did: one sentence, each failure in the details."""
    box = QMessageBox(parent)
    box.setWindowTitle(title.rstrip("…"))
    box.setIcon(QMessageBox.Icon.Information if result.ok else QMessageBox.Icon.Warning)
    box.setText(summarize_result(result))
    if result.failures:
        box.setDetailedText("\n".join(f"{f.id} ({f.state}): {f.reason}" for f in result.failures))
    return box
