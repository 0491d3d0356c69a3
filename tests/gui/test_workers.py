"""The one worker mechanism: reads side by side, one change per source, newest reading wins."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QThread

from inspector.gui.workers import Reporter, Runner, Task


def collect(runner: Runner) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"result": [], "error": [], "cancelled": [], "threads": []}
    runner.result.connect(lambda t, v: seen["result"].append((t.title, v)))
    runner.error.connect(lambda t, m: seen["error"].append((t.title, m)))
    runner.cancelled.connect(lambda t: seen["cancelled"].append(t.title))
    return seen


def test_reads_of_several_sources_run_at_once(qtbot: Any) -> None:
    runner = Runner()
    seen = collect(runner)
    both_running = threading.Barrier(2, timeout=10)

    def read(r: Reporter) -> str:
        both_running.wait()  # only passes when the two reads run side by side
        return QThread.currentThread().objectName() or "worker"

    runner.submit(Task("a", read, source="a", lane="read:a"))
    runner.submit(Task("b", read, source="b", lane="read:b"))
    qtbot.waitUntil(lambda: len(seen["result"]) == 2, timeout=10_000)
    assert sorted(t for t, _ in seen["result"]) == ["a", "b"]
    assert runner.shutdown()


def test_one_change_per_source_at_a_time(qtbot: Any) -> None:
    runner = Runner()
    seen = collect(runner)
    release = threading.Event()

    def change(r: Reporter) -> str:
        release.wait(10)
        return "done"

    assert runner.submit(Task("first", change, source="s", exclusive=True))
    assert runner.busy("s") and not runner.busy("other")
    assert not runner.submit(Task("second", change, source="s", exclusive=True))
    assert runner.submit(Task("elsewhere", lambda r: "ok", source="other", exclusive=True))
    release.set()
    qtbot.waitUntil(lambda: len(seen["result"]) == 2, timeout=10_000)
    assert sorted(t for t, _ in seen["result"]) == ["elsewhere", "first"]
    assert not runner.busy()
    assert runner.shutdown()


def test_a_newer_reading_supersedes_an_older_one(qtbot: Any) -> None:
    runner = Runner()
    seen = collect(runner)
    started = threading.Event()

    def slow(r: Reporter) -> str:
        started.set()
        while r.progress(1):
            pass  # runs until asked to stop
        r.check()
        return "old"

    runner.submit(Task("old", slow, source="s", lane="read:s"))
    assert started.wait(10)
    runner.submit(Task("new", lambda r: "new", source="s", lane="read:s"))
    qtbot.waitUntil(lambda: bool(seen["result"]), timeout=10_000)
    qtbot.wait(100)
    assert seen["result"] == [("new", "new")]
    assert seen["cancelled"] == []  # the superseded one is dropped, not reported
    assert runner.shutdown()


def test_errors_arrive_as_messages_not_tracebacks(qtbot: Any) -> None:
    runner = Runner()
    seen = collect(runner)

    def broken(r: Reporter) -> None:
        open("/nonexistent/dir/file")  # noqa: SIM115

    runner.submit(Task("broken", broken))
    qtbot.waitUntil(lambda: bool(seen["error"]), timeout=10_000)
    assert seen["error"] == [("broken", "/nonexistent/dir/file: No such file or directory")]
    assert runner.shutdown()


def test_dropping_the_owner_cancels_and_waits(qtbot: Any) -> None:
    owner = QObject()
    runner = Runner(owner)
    stopped = threading.Event()

    def endless(r: Reporter) -> None:
        while r.progress(1):
            pass
        stopped.set()

    runner.submit(Task("endless", endless))
    qtbot.wait(50)
    owner.deleteLater()
    qtbot.waitUntil(stopped.is_set, timeout=10_000)
