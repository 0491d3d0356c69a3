"""The command table: every menu, toolbar and context-menu action, and when it is enabled.

Each command is a row: its text, shortcut, icon, where it appears, the
capability it needs (a kind without a queue has no Queue Images) and the rule
that enables it from the window's state.  The window only connects the
actions to what they do and calls :meth:`Commands.update` when the state
changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QToolBar

from inspector.core import Action, Capabilities, State
from inspector.gui.icons import icon

#: Explicit keys, the same on every desktop (what the README promises).
Key = str | None


@dataclass(frozen=True)
class CommandState:
    """What decides which commands are enabled."""

    has_reading: bool = False
    read_only: bool = False
    busy: bool = False
    on_table: bool = True
    state: State = State.CACHED
    selected: int = 0
    rows: int = 0
    counts: dict[State, int] = field(default_factory=dict)
    problems: int = 0
    #: Cached images whose image was deleted in Glance (when its records are known).
    deleted: int = 0
    #: The entries carry Glance's image records (names, status).
    names: bool = False
    capabilities: Capabilities | None = None

    def can_change(self, action: Action) -> bool:
        return (
            self.has_reading
            and not self.read_only
            and not self.busy
            and self.capabilities is not None
            and self.capabilities.can(action)
        )


def _always(s: CommandState) -> bool:
    return True


@dataclass(frozen=True)
class Spec:
    name: str
    text: str
    menu: str
    key: Key = None
    icon: str | None = None
    tip: str = ""
    rule: Callable[[CommandState], bool] = _always
    #: A change to the cache (disabled read-only and while a job runs; says why).
    change: bool = False
    toolbar: bool = False
    context: bool = False
    #: The shortcut works only in the widget the action is added to (Ctrl+C in tables).
    widget_shortcut: bool = False


def _stuck(s: CommandState) -> int:
    return s.counts.get(State.INVALID, 0) + s.counts.get(State.INCOMPLETE, 0)


SPECS: tuple[Spec, ...] = (
    Spec("open", "&Open Cache…", "file", "Ctrl+O", "open"),
    Spec(
        "open_config",
        "Open Glance &Configuration…",
        "file",
        "Ctrl+Shift+O",
        tip="Open the cache a node's glance-api.conf names, with its database and settings",
    ),
    Spec("demo", "Open &Demo Cache", "file"),
    Spec(
        "export",
        "&Export Table…",
        "file",
        "Ctrl+E",
        "export",
        "Save the rows the current table shows as CSV or JSON",
        lambda s: s.has_reading and s.on_table and not s.busy and s.rows > 0,
    ),
    Spec(
        "export_record",
        "Export &Metadata Record…",
        "file",
        tip="Save every entry's metadata as a versioned record (hits, times, sizes)",
        rule=lambda s: s.has_reading and not s.busy,
    ),
    Spec(
        "import_record",
        "&Import Metadata Record…",
        "file",
        tip="Restore hits and times from a record, previewed first",
        rule=lambda s: s.can_change(Action.IMPORT),
        change=True,
    ),
    Spec("quit", "&Quit", "file", "Ctrl+Q"),
    Spec(
        "copy",
        "&Copy IDs",
        "edit",
        "Ctrl+C",
        rule=lambda s: s.on_table and s.selected > 0,
        context=True,
        widget_shortcut=True,
    ),
    Spec("select_all", "Select &All", "edit", rule=lambda s: s.on_table and s.rows > 0),
    Spec("filter", "&Filter…", "edit", "Ctrl+F"),
    Spec("refresh", "&Refresh", "view", "F5", "refresh", toolbar=True),
    Spec(
        "delete",
        "&Delete…",
        "cache",
        "Del",
        "delete",
        "Delete the selected entries (file and metadata)",
        lambda s: s.can_change(Action.DELETE) and s.on_table and s.selected > 0,
        change=True,
        toolbar=True,
        context=True,
    ),
    Spec(
        "delete_all",
        "Delete All in This &Tab…",
        "cache",
        "Shift+Del",
        tip="Delete every entry of the current tab",
        rule=lambda s: s.can_change(Action.DELETE) and s.on_table and s.rows > 0,
        change=True,
    ),
    Spec(
        "requeue",
        "&Requeue…",
        "cache",
        "Ctrl+R",
        "requeue",
        "Remove the selected entries and queue them again",
        lambda s: (
            s.can_change(Action.REQUEUE)
            and s.on_table
            and s.selected > 0
            and s.state is not State.QUEUED
        ),
        change=True,
        toolbar=True,
        context=True,
    ),
    Spec(
        "queue",
        "&Queue Images…",
        "cache",
        "Ctrl+Shift+Q",
        "queue",
        "Queue image ids for the prefetcher",
        lambda s: s.can_change(Action.QUEUE),
        change=True,
        toolbar=True,
    ),
    Spec(
        "prune",
        "&Prune…",
        "cache",
        "Ctrl+P",
        "prune",
        "Evict least recently accessed images to a size",
        lambda s: s.can_change(Action.PRUNE) and s.counts.get(State.CACHED, 0) > 0,
        change=True,
        toolbar=True,
    ),
    Spec(
        "clean",
        "C&lean…",
        "cache",
        "Ctrl+L",
        "clean",
        "Delete invalid entries and stalled downloads",
        lambda s: s.can_change(Action.CLEAN) and _stuck(s) > 0,
        change=True,
        toolbar=True,
    ),
    Spec(
        "clean_deleted",
        "Clean Images Deleted in &Glance…",
        "cache",
        tip="Delete the cached images whose image was deleted in Glance",
        rule=lambda s: s.can_change(Action.DELETE) and s.deleted > 0,
        change=True,
    ),
    Spec(
        "verify",
        "&Verify Checksums…",
        "cache",
        "Ctrl+Shift+V",
        tip="Hash the selected images (or all) and compare with their expected digests",
        rule=lambda s: s.has_reading and not s.busy and s.counts.get(State.CACHED, 0) > 0,
    ),
    Spec(
        "repair",
        "Re&pair…",
        "cache",
        tip="Fix what the audit found, previewed first (Problems tab)",
        rule=lambda s: s.can_change(Action.REPAIR) and s.problems > 0,
        change=True,
    ),
    Spec("history", "&History of Changes…", "view", "Ctrl+H"),
    Spec(
        "fleet",
        "&Fleet…",
        "view",
        "Ctrl+Shift+F",
        tip="Every node sharing this Glance database: what each caches, and acting on them",
    ),
    Spec("about", "&About Cache Inspector", "help"),
)

MENUS = (("file", "&File"), ("edit", "&Edit"), ("view", "&View"), ("cache", "&Cache"))


class Commands(QObject):
    """The window's actions, built from :data:`SPECS`; ``commands.delete`` is the Delete action."""

    open: QAction
    open_config: QAction
    demo: QAction
    export: QAction
    quit: QAction
    copy: QAction
    select_all: QAction
    filter: QAction
    refresh: QAction
    export_record: QAction
    import_record: QAction
    verify: QAction
    repair: QAction
    history: QAction
    fleet: QAction
    delete: QAction
    delete_all: QAction
    requeue: QAction
    queue: QAction
    prune: QAction
    clean: QAction
    clean_deleted: QAction
    about: QAction

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.actions: dict[str, QAction] = {}
        self.specs = {spec.name: spec for spec in SPECS}
        for spec in SPECS:
            action = QAction(self.tr(spec.text), window)
            if spec.key is not None:
                action.setShortcut(QKeySequence(spec.key))
            if spec.widget_shortcut:
                action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            if spec.icon:
                action.setIcon(icon(spec.icon))
            action.setToolTip(self.tr(spec.tip) if spec.tip else action.text().replace("&", ""))
            self.actions[spec.name] = action
            setattr(self, spec.name, action)
        self.menus: dict[str, QMenu] = {}
        bar = window.menuBar()
        for name, title in MENUS:
            self.menus[name] = bar.addMenu(self.tr(title))
            for spec in SPECS:
                if spec.menu == name and spec.name != "quit":
                    self.menus[name].addAction(self.actions[spec.name])
                    if not spec.widget_shortcut:
                        window.addAction(self.actions[spec.name])
        file_menu = self.menus["file"]
        self.recent_menu = QMenu(self.tr("Open &Recent"), file_menu)
        #: (the recent list, open one, clear the list): set by the window.
        self.recent: tuple[Callable[[], list[str]], Callable[[str], None], Callable[[], None]]
        self.recent = (list, lambda _: None, lambda: None)
        self.recent_menu.aboutToShow.connect(lambda: self.fill_recent(*self.recent))
        file_menu.insertMenu(self.actions["demo"], self.recent_menu)
        file_menu.insertSeparator(self.actions["export"])
        file_menu.insertSeparator(self.actions["export_record"])
        file_menu.addSeparator()
        file_menu.addAction(self.actions["quit"])
        window.addAction(self.actions["quit"])
        cache = self.menus["cache"]
        cache.insertSeparator(self.actions["queue"])
        cache.insertSeparator(self.actions["prune"])
        cache.insertSeparator(self.actions["verify"])
        self.menus["view"].addSeparator()
        self.tab_actions: list[QAction] = []
        self.menus["help"] = bar.addMenu(self.tr("&Help"))
        self.menus["help"].addAction(self.actions["about"])
        self.toolbar = QToolBar(self.tr("Actions"), window)
        self.toolbar.setObjectName("actions_toolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        window.addToolBar(self.toolbar)
        for spec in SPECS:
            if spec.toolbar:
                self.toolbar.addAction(self.actions[spec.name])
                if spec.name == "refresh":
                    self.toolbar.addSeparator()

    def fill_recent(
        self,
        recent: Callable[[], list[str]],
        open_one: Callable[[str], None],
        clear: Callable[[], None],
    ) -> None:
        """File ▸ Open Recent, filled as it opens."""
        menu = self.recent_menu
        menu.clear()
        for text in recent():
            menu.addAction(text).triggered.connect(lambda _=False, t=text: open_one(t))
        if not menu.actions():
            menu.addAction(self.tr("(none)")).setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction(self.tr("Clear List"), clear)

    def context_actions(self) -> list[QAction]:
        """What a table's context menu holds (Ctrl+C works in the table itself)."""
        return [self.actions[s.name] for s in SPECS if s.context]

    def change_actions(self) -> list[QAction]:
        return [self.actions[s.name] for s in SPECS if s.change]

    def set_tabs(self, titles: Sequence[str], show: Callable[[int], None]) -> None:
        """View-menu entries Ctrl+1…N for the page's tabs."""
        view = self.menus["view"]
        for action in self.tab_actions:
            view.removeAction(action)
            self.window.removeAction(action)
            action.deleteLater()
        self.tab_actions = []
        for i, title in enumerate(titles):
            action = QAction(title, self.window)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, i=i: show(i))
            view.addAction(action)
            self.window.addAction(action)
            self.tab_actions.append(action)

    def update(self, state: CommandState) -> None:
        why = ""
        if state.read_only:
            why = self.tr(" (read-only)")
        elif state.busy:
            why = self.tr(" (a job is running)")
        for spec in SPECS:
            action = self.actions[spec.name]
            if spec.change and state.capabilities is not None:
                needed = _needed(spec.name)
                action.setVisible(needed is None or state.capabilities.can(needed))
            action.setEnabled(bool(spec.rule(state)))
            if spec.change:
                action.setStatusTip(action.toolTip() + why)
        self.actions["clean_deleted"].setVisible(state.names)


def _needed(name: str) -> Action | None:
    return {
        "delete": Action.DELETE,
        "delete_all": Action.DELETE,
        "clean_deleted": Action.DELETE,
        "requeue": Action.REQUEUE,
        "queue": Action.QUEUE,
        "prune": Action.PRUNE,
        "clean": Action.CLEAN,
        "repair": Action.REPAIR,
        "import_record": Action.IMPORT,
    }.get(name)
