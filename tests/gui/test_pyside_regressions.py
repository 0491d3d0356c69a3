"""Bugs of the Qt binding that would crash the program in long use."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    plain = Signal()
    flag = Signal(bool)
    count = Signal(int, int)


def test_emitting_signals_keeps_true_and_false_alive() -> None:
    """PySide6 6.12.0 lost a reference to True on every emit(): a long job's
    progress signals then aborted the interpreter ("deallocating True")."""
    e = _Emitter()
    seen: list[object] = []
    e.plain.connect(lambda: seen.append(None))
    e.flag.connect(seen.append)
    e.count.connect(lambda a, b: None)
    before = (sys.getrefcount(True), sys.getrefcount(False))
    for i in range(1000):
        e.plain.emit()
        e.flag.emit(i % 2 == 0)
        e.count.emit(i, 1000)
    seen.clear()
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
