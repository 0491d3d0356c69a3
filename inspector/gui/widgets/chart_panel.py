"""A chart, or its numbers as a table: the same figures for eyes, keyboards and screen readers."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QStackedWidget, QTableWidget, QTableWidgetItem

from inspector.gui.widgets.charts import ChartWidget


class ChartPanel(QStackedWidget):
    def __init__(self, chart: ChartWidget) -> None:
        super().__init__()
        self.chart = chart
        self.table = QTableWidget()
        self.table.setAccessibleName(self.tr("%s (table)") % chart.title)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.addWidget(chart)
        self.addWidget(self.table)

    def show_table(self, on: bool) -> None:
        if on:
            self.fill()
        self.setCurrentIndex(1 if on else 0)

    def fill(self) -> None:
        titles, rows = self.chart.data_rows()
        self.table.clear()
        self.table.setColumnCount(len(titles))
        self.table.setHorizontalHeaderLabels(titles)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
