"""The Statistics view: why the cache is full, what is hot, what a prune takes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QCheckBox, QGridLayout, QScrollArea, QVBoxLayout, QWidget

from inspector.core import STATES, State
from inspector.core.stats import Statistics
from inspector.core.tree import Folder, largest_folders
from inspector.gui.widgets.chart_panel import ChartPanel
from inspector.gui.widgets.charts import Bar, ChartWidget
from inspector.gui.widgets.labels import ValueLabel
from inspector.report import formatting


def _bytes(v: float) -> str:
    return formatting.size(int(v))


def _count(v: float) -> str:
    return f"{v:,.0f}"


class StatisticsView(QScrollArea):
    """Charts of one scan's statistics; clicking a mark selects its entries."""

    #: (state, ids) to select in the tables.
    select_requested = Signal(object, object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName(self.tr("Statistics"))
        inner = QWidget()
        self.setWidget(inner)
        outer = QVBoxLayout(inner)
        self.headline = ValueLabel(self.tr("Statistics summary"))
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.headline)
        self.as_tables = QCheckBox(self.tr("Show the &numbers as tables"))
        self.as_tables.toggled.connect(self._show_tables)
        outer.addWidget(self.as_tables)
        self.grid = grid = QGridLayout()
        outer.addLayout(grid, 1)
        self.columns = 2
        self.states_chart = ChartWidget(
            self.tr("Bytes per state"), self.tr("state"), self.tr("bytes")
        )
        self.largest_chart = ChartWidget(
            self.tr("Largest images"), self.tr("size"), self.tr("image")
        )
        self.hot_chart = ChartWidget(self.tr("Most hits"), self.tr("hits"), self.tr("image"))
        self.hits_chart = ChartWidget(
            self.tr("Hits per image"), self.tr("hits"), self.tr("images")
        )
        self.age_chart = ChartWidget(
            self.tr("Time since last access"), self.tr("since last access"), self.tr("images")
        )
        self.lru_chart = ChartWidget(
            self.tr("Cached bytes, most to least recently accessed"),
            self.tr("images, most recently accessed first"),
            self.tr("cumulative bytes"),
        )
        self.folders_chart = ChartWidget(
            self.tr("Largest folders"), self.tr("size"), self.tr("folder")
        )
        self.charts = [
            self.states_chart,
            self.lru_chart,
            self.largest_chart,
            self.folders_chart,
            self.hot_chart,
            self.hits_chart,
            self.age_chart,
        ]
        self.panels = [ChartPanel(chart) for chart in self.charts]
        self.hidden: set[ChartWidget] = {self.folders_chart}
        self._place()
        self.states_chart.ids_clicked.connect(self._select_state)
        for chart in self.charts[1:]:
            chart.ids_clicked.connect(self._select_cached)
        self.stats: Statistics | None = None
        self.states: tuple[State, ...] = STATES
        self.has_hits = True
        self.noun = self.tr("images")
        #: The figures shown are older than the reading (or the maximum): recompute when shown.
        self.stale = True

    def show_statistics(self, st: Statistics) -> None:
        self.stats = st
        s = st.summary
        size = formatting.size
        count = f"{s.totals(State.CACHED).count:,}"
        if st.max_size:
            pct = 100 * s.total_size / st.max_size
            parts = [
                self.tr("<b>%s of %s cached</b> (%d %%) in %s %s")
                % (size(s.total_size), size(st.max_size), round(pct), count, self.noun)
            ]
        else:
            parts = [self.tr("<b>%s cached</b> in %s %s") % (size(s.total_size), count, self.noun)]
        if st.lru.evicted_ids:
            parts.append(
                self.tr("a prune to the maximum evicts %s %s (%s)")
                % (f"{len(st.lru.evicted_ids):,}", self.noun, size(st.lru.evicted_bytes))
            )
        if s.hits:
            parts.append(
                self.tr("%d %% of hits go to the top 10 %% of images")
                % round(100 * st.top_decile_hit_share)
            )
        if st.unknown_hits and self.has_hits:
            parts.append(self.tr("hits unknown for %s images") % f"{st.unknown_hits:,}")
        self.headline.setText(" · ".join(parts))

        self.states_chart.set_bars(
            [
                Bar(
                    f"{state} ({s.totals(state).count:,})",
                    s.totals(state).bytes,
                    self.tr("%s: %s entries, %s")
                    % (state, f"{s.totals(state).count:,}", size(s.totals(state).bytes)),
                    (str(state),),
                )
                for state in self.states
            ],
            _bytes,
            binary=True,
        )
        self.largest_chart.set_bars(
            [Bar(e.id, e.size, f"{e.id}\n{size(e.size)}", (e.id,)) for e in st.largest],
            _bytes,
            horizontal=True,
            binary=True,
        )
        self.hot_chart.set_bars(
            [Bar(e.id, e.hits or 0, f"{e.id}\n{e.hits:,} hits", (e.id,)) for e in st.hottest],
            _count,
            horizontal=True,
        )
        self.hits_chart.set_bars(
            [
                Bar(
                    b.label,
                    b.count,
                    self.tr("%s hits: %s images, %s") % (b.label, f"{b.count:,}", size(b.bytes)),
                    b.ids,
                )
                for b in st.hits
            ],
            _count,
        )
        self.age_chart.set_bars(
            [
                Bar(
                    b.label,
                    b.count,
                    self.tr("last accessed %s ago: %s images, %s")
                    % (b.label, f"{b.count:,}", size(b.bytes)),
                    b.ids,
                )
                for b in st.ages
            ],
            _count,
        )
        self.lru_chart.set_curve(
            st.lru.cumulative,
            st.lru.ids,
            _bytes,
            float(st.max_size) if st.max_size else None,
            st.lru.first_evicted,
        )
        if self.as_tables.isChecked():
            self._show_tables(True)
        self._reflow()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        """Two charts a row where they fit side by side, one where they do not (large fonts)."""
        widest = max(panel.chart.minimumSizeHint().width() for panel in self.panels)
        spacing = self.grid.horizontalSpacing() + 2 * self.grid.contentsMargins().left()
        columns = 2 if self.viewport().width() >= 2 * widest + spacing + 24 else 1
        if columns != self.columns:
            self.columns = columns
            self._place()

    def _place(self) -> None:
        """The shown charts in the grid, ``columns`` to a row."""
        for panel in self.panels:
            self.grid.removeWidget(panel)
        shown = [p for p in self.panels if p.chart not in self.hidden]
        for panel in self.panels:
            panel.setVisible(panel.chart not in self.hidden)
        for i, panel in enumerate(shown):
            self.grid.addWidget(panel, i // self.columns, i % self.columns)

    def set_kind(self, has_hits: bool, folders: bool) -> None:
        """The charts that mean something for this kind: hits where it counts them,
        the largest folders where its ids are paths."""
        self.has_hits = has_hits
        self.noun = self.tr("images") if not folders else self.tr("files")
        middle, right = Qt.TextElideMode.ElideMiddle, Qt.TextElideMode.ElideRight
        for chart in (self.largest_chart, self.folders_chart):
            chart.elide = middle if folders else right
        self.largest_chart.title = (
            self.tr("Largest files") if folders else self.tr("Largest images")
        )
        self.largest_chart.y_label = self.tr("file") if folders else self.tr("image")
        hidden = set() if has_hits else {self.hot_chart, self.hits_chart}
        if not folders:
            hidden.add(self.folders_chart)
        if hidden != self.hidden:
            self.hidden = hidden
            self._place()

    def show_folders(self, tree: Folder | None) -> None:
        if tree is None:
            return
        self.folders_chart.set_bars(
            [
                Bar(
                    f.path,
                    f.bytes,
                    self.tr("%s\n%s in %s files")
                    % (f.path, formatting.size(f.bytes), f"{f.count:,}"),
                    tuple(e.id for e in f.entries()),
                )
                for f in largest_folders(tree, 10)
            ],
            _bytes,
            horizontal=True,
            binary=True,
        )

    def set_states(self, states: Sequence[State]) -> None:
        """The kind's states, for the bytes-per-state chart."""
        self.states = tuple(states)

    @Slot(bool)
    def _show_tables(self, on: bool) -> None:
        for panel in self.panels:
            panel.show_table(on)

    @Slot(object)
    def _select_state(self, ids: tuple[str, ...]) -> None:
        self.select_requested.emit(State(ids[0]), None)

    @Slot(object)
    def _select_cached(self, ids: tuple[str, ...]) -> None:
        self.select_requested.emit(State.CACHED, ids)
