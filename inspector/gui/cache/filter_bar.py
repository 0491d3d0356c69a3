"""The row above the tables: the filter by id (or name), and Glance's deleted images.

The text filter waits for a pause in typing; the check box, shown only when
the entries carry Glance's image records, narrows every table to the images
deleted in Glance (pure waste: no one can ask Glance for them again).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QLineEdit, QWidget

#: How long typing must pause before the tables are filtered.
FILTER_DELAY_MS = 150


class FilterBar(QWidget):
    #: The filter changed (after the typing pause, or at once for the check box).
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit()
        self.edit.setClearButtonEnabled(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(FILTER_DELAY_MS)
        self.timer.timeout.connect(self.changed)
        self.edit.textChanged.connect(self.timer.start)
        label = QLabel(self.tr("F&ilter:"))
        label.setBuddy(self.edit)
        self.deleted_box = QCheckBox(self.tr("Only images &deleted in Glance"))
        self.deleted_box.setToolTip(
            self.tr(
                "Cached images whose image was deleted in Glance: no one can ask for them "
                "again, so they only take space (Cache ▸ Clean Images Deleted in Glance)"
            )
        )
        self.deleted_box.toggled.connect(self.changed)
        self.deleted_box.hide()
        row.addWidget(label)
        row.addWidget(self.edit, 1)
        row.addWidget(self.deleted_box)
        self.set_subject("image id")

    def set_subject(self, what: str) -> None:
        """What the text is matched against ("image id", "name", "image id or name")."""
        self.edit.setPlaceholderText(self.tr("Filter by %s (Ctrl+F)") % self.tr(what))
        self.edit.setAccessibleName(self.tr("Filter by %s") % self.tr(what))

    def set_deleted(self, offered: bool, count: int) -> None:
        """Offer the deleted-in-Glance filter (with how many there are), or hide it."""
        self.deleted_box.setVisible(offered)
        self.deleted_box.setText(self.tr("Only images &deleted in Glance (%s)") % f"{count:,}")
        if not offered and self.deleted_box.isChecked():
            self.deleted_box.setChecked(False)

    def text(self) -> str:
        return self.edit.text().strip()

    def deleted_only(self) -> bool:
        return not self.deleted_box.isHidden() and self.deleted_box.isChecked()
