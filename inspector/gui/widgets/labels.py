"""A label whose text reaches screen readers even when it has a name of its own."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ValueLabel(QLabel):
    """A label with an accessible name ("Cache kind") that says its text too.

    Qt exposes only the accessible name of a label that has one; the text it
    shows ("Glance (sqlite)") goes into the accessible description, kept in
    step with every :meth:`setText`.
    """

    def __init__(self, name: str = "", text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        if name:
            self.setAccessibleName(name)
        self.setAccessibleDescription(self._plain(text))

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setAccessibleDescription(self._plain(text))

    @staticmethod
    def _plain(text: str) -> str:
        """The text without markup (the headline uses <b>)."""
        for tag in ("<b>", "</b>", "<i>", "</i>"):
            text = text.replace(tag, "")
        return text


class ElidedLabel(ValueLabel):
    """A one-line label that elides what does not fit, keeping the whole text.

    Long paths and URLs never widen the window: the label shrinks and draws
    ``/var/lib/glance/…/image-cache``; :meth:`text`, the tooltip and screen
    readers keep all of it.
    """

    def __init__(self, name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(name, "", parent)
        self.setMinimumWidth(1)
        policy = self.sizePolicy()
        policy.setHorizontalPolicy(QSizePolicy.Policy.Ignored)
        self.setSizePolicy(policy)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def shown_text(self) -> str:
        """What fits, as drawn."""
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideMiddle, max(self.contentsRect().width(), 1)
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            painter.setPen(self.palette().windowText().color())
            painter.drawText(self.contentsRect(), int(self.alignment()), self.shown_text())
        finally:
            painter.end()  # now, not when Python drops the object (a frame kept alive delays it)
