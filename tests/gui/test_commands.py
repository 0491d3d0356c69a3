"""The command table: actions follow the kind's capabilities and the window's state."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMainWindow

from inspector.core import Action, Capabilities, State
from inspector.core.drivers.glance.layout import CAPABILITIES as GLANCE
from inspector.gui.commands import Commands, CommandState

NO_QUEUE = Capabilities(
    states=(State.CACHED,), actions=frozenset({Action.DELETE, Action.PRUNE}), has_hits=False
)


def make(qtbot: Any) -> Commands:
    window = QMainWindow()
    qtbot.addWidget(window)
    return Commands(window)


def test_a_kind_without_a_queue_shows_no_queue_actions(qtbot: Any) -> None:
    commands = make(qtbot)
    state = CommandState(
        has_reading=True, selected=1, rows=5, counts={State.CACHED: 5}, capabilities=NO_QUEUE
    )
    commands.update(state)
    assert not commands.queue.isVisible() and not commands.requeue.isVisible()
    assert not commands.clean.isVisible()
    assert commands.delete.isVisible() and commands.delete.isEnabled()
    assert commands.prune.isEnabled()


def test_glance_has_every_action_and_read_only_disables_them(qtbot: Any) -> None:
    commands = make(qtbot)
    counts = {State.CACHED: 5, State.INVALID: 1}
    commands.update(
        CommandState(
            has_reading=True,
            selected=1,
            rows=5,
            counts=counts,
            capabilities=GLANCE,
            problems=2,
            deleted=1,
            names=True,
        )
    )
    assert all(a.isVisible() and a.isEnabled() for a in commands.change_actions())
    # Without Glance's image records there is nothing to call deleted in Glance.
    commands.update(
        CommandState(has_reading=True, selected=1, rows=5, counts=counts, capabilities=GLANCE)
    )
    assert not commands.clean_deleted.isVisible()
    assert all(a.isVisible() for a in commands.change_actions() if a is not commands.clean_deleted)
    commands.update(
        CommandState(
            has_reading=True,
            read_only=True,
            selected=1,
            rows=5,
            counts=counts,
            capabilities=GLANCE,
        )
    )
    assert not any(a.isEnabled() for a in commands.change_actions())
    assert commands.delete.statusTip().endswith("(read-only)")


def test_tab_shortcuts_follow_the_tabs(qtbot: Any) -> None:
    commands = make(qtbot)
    shown: list[int] = []
    commands.set_tabs(["Cached", "Statistics"], shown.append)
    assert [a.shortcut().toString() for a in commands.tab_actions] == ["Ctrl+1", "Ctrl+2"]
    commands.tab_actions[1].trigger()
    assert shown == [1]
