"""A Filetracker store in the window (issue 14): written by the real client, read and pruned."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.core import State
from inspector.gui import MainWindow
from inspector.gui.dialogs.plan import PruneDialog
from tests.filetracker_service import FiletrackerStore, hold_lock, put_links, run_cache_cleaner
from tests.gui.test_actions import click
from tests.writers.filetracker import require_filetracker

Make = Callable[..., MainWindow]
KIB = 1024


@pytest.fixture
def store(tmp_path: Path) -> FiletrackerStore:
    require_filetracker()
    s = FiletrackerStore(tmp_path / "store")
    for n in range(12):
        s.put(
            f"/problems/p{n % 3:03d}/test{n:04d}.in",
            bytes([65 + n]) * (KIB * (n + 1)),
            1_700_000_000 + n,
        )
    put_links(s, ["/bin/checker", "/bin/checker-copy"], b"c" * 50 * KIB, 1_700_000_100)
    return s


def test_the_store_shows_its_own_tabs_columns_and_folders(
    make_window: Make, store: FiletrackerStore, qtbot: Any
) -> None:
    window = make_window(store.cache_dir)
    page = window.page
    tabs = [page.tabs.tabText(i).split(" (")[0] for i in range(page.tabs.count())]
    assert tabs == ["Cached", "Folders", "Statistics", "Problems"]
    model = page.models[State.CACHED]
    assert [c.title for c in model.columns] == [
        "ID",
        "Version",
        "Size",
        "Links",
        "In use",
        "Last modified",
        "Note",
    ]
    assert model.rowCount() == 14
    assert not window.commands.queue.isVisible() and not window.commands.clean.isVisible()
    tree = page.folders_view.model.root
    assert tree is not None and tree.folder.count == 14
    problems = tree.folder.find("/problems")
    assert problems is not None and problems.bytes == sum(KIB * (n + 1) for n in range(12))
    bins = tree.folder.find("/bin")
    assert bins is not None and bins.bytes == 100 * KIB and bins.freeable == 50 * KIB
    page.show_folder("/problems/p001")
    qtbot.waitUntil(lambda: page.proxies[State.CACHED].rowCount() == 4)


def test_a_hard_linked_selection_frees_what_it_really_frees(
    make_window: Make, store: FiletrackerStore
) -> None:
    window = make_window(store.cache_dir)
    window.page.views[State.CACHED].select_ids({"/bin/checker"})
    assert "(deleting frees 0 Bytes)" in window.selection_label.text()
    window.page.views[State.CACHED].select_ids({"/bin/checker", "/bin/checker-copy"})
    assert "(deleting frees 50.0 KiB)" in window.selection_label.text()


def test_a_locked_name_is_marked_and_survives_the_cleaners_prune(
    make_window: Make, store: FiletrackerStore, qtbot: Any, tmp_path: Path
) -> None:
    locked = "/problems/p000/test0000.in"  # the oldest: a victim
    twin = tmp_path / "twin"
    import shutil

    shutil.copytree(store.cache_dir, twin, symlinks=True, copy_function=shutil.copy2)
    expected = run_cache_cleaner([str(twin)], 100 * KIB, 50.0)
    with hold_lock(store.cache_dir, locked, "shared"):
        window = make_window(store.cache_dir)
        model = window.page.models[State.CACHED]
        row = next(i for i, e in enumerate(model.entries()) if e.id == locked)
        assert model.index(row, model.column_index("locked")).data() == "in use"
        window.commands.prune.trigger()
        dialog = window.operations.dialog
        assert isinstance(dialog, PruneDialog) and dialog.level is not None
        dialog.edit.setText("100KiB")
        dialog.level.setText("50")
        assert "in use by a client now would be skipped" in dialog.summary.text()
        planned = {e.id for e in dialog.plan.entries}  # type: ignore[union-attr]
        assert planned == {n.rpartition("@")[0] for n in expected}
        with qtbot.waitSignal(window.job_done, timeout=20_000) as done:
            dialog.go.click()
            if dialog.again is not None and dialog.again.isVisible():
                click(dialog.again, "Prune")
        result = done.args[0]
        assert [f.id for f in result.failures] == [locked]
        assert "in use by a Filetracker client" in result.failures[0].reason
    assert Path(store.path(locked)).exists()
    assert all(not Path(store.path(n)).exists() for n in planned - {locked})
    store.put("/after/prune.in", b"still works")
    assert store.get("/after/prune.in") == b"still works"


def test_a_long_first_reading_shows_its_first_rows_before_it_ends(
    make_window: Make, store: FiletrackerStore, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of a million files takes seconds to list: its first rows come early, in the
    store's own columns, and the whole reading then replaces them."""
    from inspector.core.drivers import base

    monkeypatch.setattr(base, "PROGRESS_EVERY", 1)  # a report after every directory
    monkeypatch.setattr(base, "PEEK_AFTER_S", 0.0)
    window = make_window()
    seen: list[tuple[int, int, list[str]]] = []

    def first_rows(_first: object) -> None:  # what the user sees once they are in
        model = window.page.models[State.CACHED]
        titles = [c.title for c in model.columns]
        seen.append((model.rowCount(), window.controller.last is not None, titles))

    window.controller.read_partial.connect(first_rows)  # after the page's own slot
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.open_cache(store.cache_dir)
    rows, whole_reading_in, titles = seen[0]
    assert 0 < rows < 14 and "Version" in titles and not whole_reading_in
    assert window.page.models[State.CACHED].rowCount() == 14
    # a refresh of a store already shown does not go back to a part of it
    seen.clear()
    with qtbot.waitSignal(window.refreshed, timeout=10_000):
        window.refresh()
    assert seen == []
    assert window.page.models[State.CACHED].rowCount() == 14


def test_first_rows_of_a_reading_that_fails_do_not_stay(
    make_window: Make, store: FiletrackerStore, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The part of a store shown early must not be left looking like the whole store."""
    from inspector.core.drivers import base
    from inspector.core.drivers.filetracker.store import FiletrackerDriver
    from inspector.core.errors import CacheUnreadableError

    monkeypatch.setattr(base, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(base, "PEEK_AFTER_S", 0.0)

    def fail(_self: object, _skipped: object) -> None:
        raise CacheUnreadableError("files/ went away during the listing.")

    monkeypatch.setattr(FiletrackerDriver, "_tell_skipped", fail)
    window = make_window()
    shown: list[int] = []
    window.controller.read_partial.connect(
        lambda _: shown.append(window.page.models[State.CACHED].rowCount())
    )
    with qtbot.waitSignal(window.controller.read_failed, timeout=10_000):
        window.open_cache(store.cache_dir)
    assert shown and shown[0] > 0
    assert window.page.models[State.CACHED].rowCount() == 0
    assert "went away during the listing" in window.page.message_bar.text()
