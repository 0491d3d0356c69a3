"""The header above the tables: path, kind, cached bytes against the maximum."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from inspector.core import STATES, State, Summary
from inspector.core.units import parse_duration, parse_size
from inspector.gui.widgets.accessibility import UsageMeter
from inspector.gui.widgets.labels import ElidedLabel, ValueLabel
from inspector.report import formatting


class CacheHeader(QWidget):
    """Shows what a cache holds; edits the maximum size and the stall time."""

    max_size_changed = Signal(object)  # bytes: larger than a C int
    stall_time_changed = Signal(float)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.path_label = ElidedLabel(self.tr("Cache path"))
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.path_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.path_label.setFont(font)
        self.kind_label = ValueLabel(self.tr("Cache kind"))
        self.read_only_label = QLabel(self.tr("Read-only"))
        self.read_only_label.setAccessibleName(self.tr("Read-only mode"))
        self.read_only_label.setStyleSheet(
            "QLabel { background: #fdecc8; color: #6b4400; border-radius: 3px; padding: 1px 6px; }"
        )
        self.read_only_label.hide()

        self.usage = UsageMeter()
        self.usage.setRange(0, 1000)
        self.usage.setTextVisible(True)
        self.usage.setAccessibleName(self.tr("Cached bytes against the maximum"))
        self.counts_label = ValueLabel(self.tr("Entries per state"))
        self.counts_label.setWordWrap(True)

        self.max_edit = QLineEdit()
        self.max_edit.setAccessibleName(self.tr("Maximum cache size"))
        self.max_edit.setProperty("hint", self.tr("Glance's image_cache_max_size, e.g. 10GiB"))
        self.max_edit.setToolTip(str(self.max_edit.property("hint")))
        self._fit(self.max_edit, "1023.9GiB")
        self.max_edit.editingFinished.connect(self._max_edited)
        self.stall_edit = QLineEdit()
        self.stall_edit.setAccessibleName(self.tr("Stall time"))
        self.stall_edit.setProperty("hint", self.tr("Glance's image_cache_stall_time, e.g. 24h"))
        self.stall_edit.setToolTip(str(self.stall_edit.property("hint")))
        self._fit(self.stall_edit, "100w")
        self.stall_edit.editingFinished.connect(self._stall_edited)

        top = QHBoxLayout()
        top.addWidget(self.path_label, 1)
        top.addWidget(self.read_only_label)
        top.addWidget(self.kind_label)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Ma&ximum:"), self.max_edit)
        form.addRow(self.tr("S&tall time:"), self.stall_edit)
        self.form = form

        grid = QGridLayout(self)
        grid.setContentsMargins(8, 6, 8, 2)
        grid.addLayout(top, 0, 0, 1, 2)
        grid.addWidget(self.usage, 1, 0)
        grid.addLayout(form, 1, 1, 2, 1)
        grid.addWidget(self.counts_label, 2, 0)
        grid.setColumnStretch(0, 1)

        self._max_size = 0
        self._has_max = True
        self._shown = False
        self._stall_time = 0.0
        self._cached_bytes = 0

    @staticmethod
    def _fit(edit: QLineEdit, longest: str) -> None:
        """Wide enough for ``longest`` in the font in use, at any size."""
        fm = edit.fontMetrics()
        edit.setMinimumWidth(fm.horizontalAdvance(longest + "00") + 16)
        edit.setMaximumWidth(fm.horizontalAdvance(longest * 2))

    def set_cache(self, path: str, kind: str, read_only: bool, why: str = "") -> None:
        self.path_label.setText(path)
        self.kind_label.setText(kind)
        self.read_only_label.setVisible(read_only)
        self.read_only_label.setToolTip(why)

    def set_limits(self, max_size: int | None, stall_time: float | None) -> None:
        """The limits in force; a kind without one (``None``) shows no field for it."""
        self._max_size = max_size or 0
        self._has_max = max_size is not None
        self.usage.setVisible(self._has_max and self._shown)
        self._stall_time = stall_time or 0.0
        self.form.setRowVisible(self.max_edit, max_size is not None)
        self.form.setRowVisible(self.stall_edit, stall_time is not None)
        if max_size is not None:
            self.max_edit.setText(formatting.size(max_size).replace(" ", ""))
        if stall_time is not None:
            self.stall_edit.setText(formatting.duration_spec(stall_time))
        self._show_usage()

    def set_summary(
        self, summary: Summary | None, states: Sequence[State] = STATES, has_hits: bool = True
    ) -> None:
        """What the reading holds; ``None`` while there is none (no bar is drawn then,
        nor for a kind with no maximum: the counts say its size)."""
        self._shown = summary is not None
        self.usage.setVisible(self._shown and self._has_max)
        if summary is None:
            self._cached_bytes = 0
            self.counts_label.setText(self.tr("Reading the cache…"))
            return
        self._cached_bytes = summary.total_size
        parts = []
        for state in states:
            t = summary.totals(state)
            text = f"{t.count:,} {state}"
            if state is not State.QUEUED:
                text += f" ({formatting.size(t.bytes)})"
            parts.append(text)
        if has_hits:
            hits = f"{summary.hits:,} hits"
            if summary.unknown_hits:
                hits += self.tr(" (unknown for %s)") % f"{summary.unknown_hits:,}"
            parts.append(hits)
        self.counts_label.setText(" · ".join(parts))
        self._show_usage()

    def _show_usage(self) -> None:
        limit = max(self._max_size, 1)
        ratio = self._cached_bytes / limit
        share = self.tr("%d %%") % round(ratio * 100)
        text = self.tr("%s of %s cached (%s)") % (
            formatting.size(self._cached_bytes),
            formatting.size(self._max_size),
            share,
        )
        self.usage.set_share(int(ratio * 1000), text, share)
        over = self._cached_bytes > self._max_size
        self.usage.setStyleSheet("QProgressBar::chunk { background: #d9534f; }" if over else "")
        self.usage.setToolTip(
            self.tr("%s bytes cached; maximum %s bytes")
            % (f"{self._cached_bytes:,}", f"{self._max_size:,}")
        )

    @Slot()
    def _max_edited(self) -> None:
        try:
            value = parse_size(self.max_edit.text())
        except ValueError as exc:
            self._invalid(self.max_edit, str(exc))
            return
        self._valid(self.max_edit)
        if value != self._max_size:
            self._max_size, self._has_max = value, True
            self._show_usage()
            self.max_size_changed.emit(value)

    @Slot()
    def _stall_edited(self) -> None:
        try:
            value = parse_duration(self.stall_edit.text())
        except ValueError as exc:
            self._invalid(self.stall_edit, str(exc))
            return
        self._valid(self.stall_edit)
        if value != self._stall_time:
            self._stall_time = value
            self.stall_time_changed.emit(value)

    def _invalid(self, edit: QLineEdit, message: str) -> None:
        edit.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
        edit.setToolTip(message)

    def _valid(self, edit: QLineEdit) -> None:
        edit.setStyleSheet("")
        edit.setToolTip(str(edit.property("hint")))
