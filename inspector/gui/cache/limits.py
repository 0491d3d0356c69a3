"""The limits in force for the open cache, the clock of its time columns, and the
figures (statistics, the audit) worked out when their tab is shown.

The limits are the user's for this cache (remembered per source), else the
service's; changing one in the header is remembered, redraws what depends on
it and marks the statistics stale.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Slot

from inspector.core import Limits
from inspector.gui.cache.columns import Context
from inspector.gui.cache.controller import CacheController
from inspector.gui.cache.page import CachePage
from inspector.gui.cache.reading import ReadResult
from inspector.gui.settings import Settings

#: How often relative times ("3 minutes ago") are redrawn.
CLOCK_TICK_MS = 30_000


class PageLimits(QObject):
    def __init__(
        self,
        page: CachePage,
        controller: CacheController,
        settings: Settings,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.page, self.controller, self.settings = page, controller, settings
        self.clock = QTimer(self)
        self.clock.setInterval(CLOCK_TICK_MS)
        self.clock.timeout.connect(self.set_context)
        self.clock.start()
        controller.context = self.context
        controller.statistics_max = self.statistics_max
        page.tab_changed.connect(self.want_figures)
        page.header.max_size_changed.connect(self._max_size_changed)
        page.header.stall_time_changed.connect(self._stall_time_changed)

    def limits(self) -> Limits:
        return self.controller.limits(self.settings.limits)

    def show(self) -> None:
        limits = self.limits()
        self.page.header.set_limits(limits.max_size, limits.stall_time)

    def context(self) -> Context:
        return Context.now_with(self.limits().stall_time or 0.0)

    @Slot()
    def set_context(self) -> None:
        self.page.set_context(self.context())

    @Slot(object)
    def _max_size_changed(self, value: int) -> None:
        if self.controller.source is not None:
            self.settings.set_max_size(self.controller.source, value)
            self.page.stats_view.stale = True
            self.want_figures()

    @Slot(float)
    def _stall_time_changed(self, value: float) -> None:
        if self.controller.source is not None:
            self.settings.set_stall_time(self.controller.source, value)
            self.set_context()

    def statistics_max(self) -> int | None:
        """The maximum the next reading works its statistics out with; None: not shown."""
        return (self.limits().max_size or 0) if self.page.statistics_shown() else None

    def reading_shown(self, result: ReadResult) -> None:
        """A new reading is in the tables: its statistics came with it (the controller
        passes them on), or are stale now."""
        st = result.statistics
        self.page.stats_view.stale = st is None or st.max_size != (self.limits().max_size or 0)
        self.page.problems_view.stale = True
        self.want_figures()

    @Slot()
    def want_figures(self) -> None:
        """Statistics and the audit are computed off the GUI thread, when shown and stale."""
        view, problems = self.page.stats_view, self.page.problems_view
        if self.page.statistics_shown() and view.stale:
            view.stale = False
            self.controller.request_statistics(self.limits().max_size or 0)
        if self.page.problems_shown() and problems.stale:
            problems.stale = False
            self.controller.request_audit()
