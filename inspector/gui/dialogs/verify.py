"""Verify checksums: choose what to compare against, then see each image's result."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.core import Entry
from inspector.core.verify import Status, VerifyReport
from inspector.gui.dialogs.result import describe
from inspector.gui.widgets.labels import ValueLabel


class VerifyDialog(QDialog):
    """What to verify against: what the cache knows, or a checksum file."""

    #: The checksum file chosen ("" for the cache's own digests).
    chosen = Signal(str)

    def __init__(self, entries: Sequence[Entry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Verify Checksums"))
        self.resize(560, 220)
        intro = ValueLabel(
            self.tr("What is verified"),
            self.tr(
                "Hash %s and compare each with its expected digest. Files are read "
                "without moving their access time."
            )
            % describe(entries),
        )
        intro.setWordWrap(True)
        self.own = QRadioButton(
            self.tr("&What the cache and Glance know (image records, checksums)")
        )
        self.own.setChecked(True)
        self.file_choice = QRadioButton(
            self.tr("A &checksum file (md5sum, sha256sum, sha512sum):")
        )
        self.file = QLineEdit()
        self.file.setAccessibleName(self.tr("Checksum file"))
        self.file.textChanged.connect(lambda _: self.file_choice.setChecked(True))
        browse = QPushButton(self.tr("&Browse…"))
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file, 1)
        row.addWidget(browse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.go = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.go.setText(self.tr("Verify"))
        buttons.accepted.connect(self._go)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.own)
        layout.addWidget(self.file_choice)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.dialog: QFileDialog | None = None

    @Slot()
    def _browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Checksum File"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.file.setText)
        dialog.open()
        self.dialog = dialog

    @Slot()
    def _go(self) -> None:
        self.chosen.emit(self.file.text().strip() if self.file_choice.isChecked() else "")
        self.accept()


class VerifyResultDialog(QDialog):
    """Each image: ok, mismatch or unknown, with the digests compared."""

    def __init__(self, report: VerifyReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Verify Checksums"))
        self.resize(820, 460)
        counts = {s: len(report.of_status(s)) for s in Status}
        text = self.tr("%s ok, %s mismatched, %s unknown.") % (
            f"{counts[Status.OK]:,}",
            f"{counts[Status.MISMATCH]:,}",
            f"{counts[Status.UNKNOWN]:,}",
        )
        if report.cancelled:
            text += " " + self.tr("Stopped before the end.")
        self.summary = ValueLabel(self.tr("Verification result"), text)
        self.table = QTableWidget(len(report.results), 5)
        self.table.setAccessibleName(self.tr("Results per image"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("ID"),
                self.tr("Result"),
                self.tr("Algorithm"),
                self.tr("Expected"),
                self.tr("Actual"),
            ]
        )
        order = {Status.MISMATCH: 0, Status.UNKNOWN: 1, Status.OK: 2}
        for r, res in enumerate(sorted(report.results, key=lambda x: order[x.status])):
            status = str(res.status) + (f" ({res.detail})" if res.detail else "")
            for c, value in enumerate(
                (res.id, status, res.algorithm or "", res.expected or "", res.actual or "")
            ):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
