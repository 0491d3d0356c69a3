"""What the window shows with no cache open: what to do next, and the recent caches."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class EmptyPage(QWidget):
    open_requested = Signal()
    demo_requested = Signal()
    config_requested = Signal()
    #: A recent cache was chosen (its entry in the recent list).
    recent_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        title = QLabel(self.tr("No cache open"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint = QLabel(
            self.tr(
                "Open a Glance image cache directory (the image_cache_dir of a glance-api "
                "node) to see what it holds, or the node's glance-api.conf (needed for "
                "Glance's default centralized_db cache, whose rows live in its database), "
                "or try a demo cache."
            )
        )
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.open_button = QPushButton(self.tr("&Open Cache…"))
        self.open_button.clicked.connect(self.open_requested)
        self.config_button = QPushButton(self.tr("Open &Glance Configuration…"))
        self.config_button.clicked.connect(self.config_requested)
        self.demo_button = QPushButton(self.tr("Open &Demo Cache"))
        self.demo_button.clicked.connect(self.demo_requested)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.config_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        self.recent_list = QListWidget()
        self.recent_list.setAccessibleName(self.tr("Recent caches"))
        self.recent_list.setMaximumWidth(560)
        self.recent_list.setMaximumHeight(160)
        self.recent_list.itemActivated.connect(self._activated)
        self.recent_title = QLabel(self.tr("&Recent caches:"))
        self.recent_title.setBuddy(self.recent_list)
        outer.addWidget(title)
        outer.addWidget(hint)
        outer.addLayout(buttons)
        recent = QVBoxLayout()
        recent.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignHCenter)
        recent.addWidget(self.recent_list, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(recent)
        outer.addStretch(2)

    def set_recent(self, recent: list[str]) -> None:
        self.recent_list.clear()
        for text in recent:
            QListWidgetItem(text, self.recent_list)
        self.recent_list.setVisible(bool(recent))
        self.recent_title.setVisible(bool(recent))

    @Slot(QListWidgetItem)
    def _activated(self, item: QListWidgetItem) -> None:
        self.recent_chosen.emit(item.text())
