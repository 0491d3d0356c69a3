"""A centralized_db node in the window (issue 12): opened from its glance-api.conf, with
Glance's image names and status, the deleted-in-Glance filter and its clean.

Rows and image records are written by Glance 33's own code (its centralized_db driver
and its DB API) into a SQLite database made by ``glance-manage db_sync``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings

from inspector.core import State
from inspector.gui import MainWindow
from tests.gui.test_actions import click
from tests.services.glance_db import CentralNode, write_glance_conf
from tests.test_cli_centralized import ONE, Deployment

pytestmark = pytest.mark.glance

Make = Callable[..., MainWindow]
PASSWORD = "s3cret-Pa55"


#: Node 1 and node 2 share one database: an image cached on both, one cached on both and
#: deleted in Glance since, one on node 1 only with no record; node 1's glance-api.conf.
Node = Deployment


@pytest.fixture
def node(glance_databases: Any, central_nodes: Callable[..., CentralNode], tmp_path: Path) -> Node:
    return Deployment(glance_databases.new("sqlite"), central_nodes, tmp_path)


def open_config(make_window: Make, qtbot: Any, conf: Path) -> MainWindow:
    window = make_window()
    with qtbot.waitSignal(window.refreshed, timeout=30_000):
        window.open_config(conf)
    return window


def test_a_node_opens_from_its_config_with_names_and_glance_status(
    make_window: Make, node: Node, qtbot: Any, settings: QSettings
) -> None:
    window = open_config(make_window, qtbot, node.conf)
    page = window.page
    assert window.controller.reading is not None
    assert window.controller.reading.driver.name == "centralized_db"
    model = page.models[State.CACHED]
    titles = [c.title for c in model.columns]
    assert titles[:4] == ["ID", "Name", "In Glance", "Size"]
    shown = {
        model.entry(r).id: (
            model.data(model.index(r, 1)),
            model.data(model.index(r, 2)),
        )
        for r in range(model.rowCount())
    }
    assert shown == {
        node.kept: ("cirros", "active"),
        node.gone: ("retired-image", "deleted"),
        "00000001-3333-4000-8000-000000000001": ("", "(no record)"),
    }
    # The header names the node and its database; the limits come from the config.
    assert ONE in page.header.path_label.text()
    assert window.limits().max_size == 7000
    # Reopened from the recent list by its config file, never by the URL.
    settings.sync()
    assert settings.value("last_cache") == f"config:{node.conf}"
    assert window.controller.poll.isActive()  # rows change in the database: read again


def test_filter_by_name_and_by_deleted_in_glance(
    make_window: Make, node: Node, qtbot: Any
) -> None:
    window = open_config(make_window, qtbot, node.conf)
    page = window.page
    model = page.models[State.CACHED]
    assert page.filter_edit.accessibleName() == "Filter by image id or name"
    page.filter_edit.setText("CIRR")
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert model.entry(0).id == node.kept
    page.filter_edit.clear()
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    box = page.filter_bar.deleted_box
    assert not box.isHidden() and "(1)" in box.text()
    box.setChecked(True)
    assert [model.entry(r).id for r in range(model.rowCount())] == [node.gone]
    box.setChecked(False)
    assert model.rowCount() == 3


def test_clean_deleted_in_glance_confirms_then_removes_only_this_nodes_copy(
    make_window: Make, node: Node, qtbot: Any
) -> None:
    window = open_config(make_window, qtbot, node.conf)
    action = window.commands.clean_deleted
    assert action.isVisible() and action.isEnabled()
    action.trigger()
    box = window.operations.confirmation
    assert box is not None
    assert box.text() == "Clean 1 entry (4.9 KiB) deleted in Glance?"
    assert node.gone in box.informativeText()
    click(box, "Cancel")
    assert node.gone in node.glance_ids(node.one)  # cancelled: nothing goes
    action.trigger()
    with qtbot.waitSignal(window.job_done, timeout=30_000) as done:
        click(window.operations.confirmation, "Clean")
    assert done.args[0].done == 1
    assert node.glance_ids(node.one) == {node.kept, "00000001-3333-4000-8000-000000000001"}
    assert node.glance_ids(node.two) == {node.kept, node.gone}  # the other node keeps its copy
    assert not Path(node.one.path, node.gone).exists()
    assert Path(node.two.path, node.gone).exists()
    qtbot.waitUntil(lambda: not window.commands.clean_deleted.isEnabled(), timeout=30_000)


def test_a_plain_cache_offers_no_glance_names(make_window: Make, demo: Path) -> None:
    window = make_window(demo)
    assert [c.key for c in window.page.models[State.CACHED].columns][:2] == ["id", "size"]
    assert window.page.filter_bar.deleted_box.isHidden()
    assert not window.commands.clean_deleted.isVisible()


def test_a_password_in_the_config_is_never_shown_or_stored(
    make_window: Make, node: Node, qtbot: Any, settings: QSettings, tmp_path: Path
) -> None:
    """A config whose database URL has a password that is wrong: the error hides it."""
    conf = write_glance_conf(
        tmp_path / "bad.conf",
        f"postgresql+psycopg2://glance:{PASSWORD}@127.0.0.1:1/glance",
        DEFAULT={"image_cache_dir": node.one.path, "worker_self_reference_url": ONE},
    )
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=60_000) as failed:
        window.open_config(conf)
    assert PASSWORD not in failed.args[0]
    assert PASSWORD not in window.page.message_bar.text()
    assert PASSWORD not in window.page.header.path_label.text()
    assert "glance:***@127.0.0.1:1" in failed.args[0]  # which database, all but the password
    window.close()  # saves the window's state and settings
    stored = Path(settings.fileName()).read_text()
    assert "geometry" in stored and PASSWORD not in stored


def test_a_config_that_is_not_glances_says_so(
    make_window: Make, qtbot: Any, tmp_path: Path
) -> None:
    conf = tmp_path / "glance-api.conf"
    conf.write_text("[DEFAULT]\nimage_cache_driver = centralized_db\n")
    window = make_window()
    with qtbot.waitSignal(window.scan_failed, timeout=30_000) as failed:
        window.open_config(conf)
    assert "image_cache_dir" in failed.args[0]
    assert "Traceback" not in failed.args[0]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["/var/cache", "--glance-config", "g.conf"], "give no PATH, --db or --node with it"),
        (["--db", "sqlite:////tmp/glance.db"], "--db needs the node's cache directory (PATH)"),
        (["/var/cache", "--node", ONE], "--node needs --db URL"),
    ],
)
def test_the_program_refuses_options_that_do_not_name_one_cache(
    argv: list[str], said: str, capsys: Any
) -> None:
    from inspector.gui.app import parse_args

    with pytest.raises(SystemExit) as exited:
        parse_args(argv)
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def test_the_program_opens_a_config_named_on_its_command_line(node: Node, tmp_path: Path) -> None:
    """``cache-inspector --glance-config FILE`` reads the node, and remembers the file."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    program = Path(sys.executable).parent / "cache-inspector"
    done = subprocess.run(
        [str(program), "--glance-config", str(node.conf), "--quit-after", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    [stored] = (tmp_path / "cfg").rglob("*.conf")
    assert f"config:{node.conf}" in stored.read_text()


def test_with_glance_names_every_alt_key_is_still_claimed_once(
    make_window: Make, node: Node, qtbot: Any
) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLabel

    window = open_config(make_window, qtbot, node.conf)
    texts = [a.text() for a in window.menuBar().actions()]
    shown = [w for w in window.findChildren(QLabel) if w.buddy() is not None]
    shown += window.findChildren(QAbstractButton)
    texts += [w.text() for w in shown if w.isVisibleTo(window)]
    keys = [m.group(1).lower() for t in texts if (m := re.search(r"&(\w)", t))]
    assert "d" in keys  # the deleted-in-Glance filter is offered, and has its key
    assert len(keys) == len(set(keys)), texts
    cache_menu = window.commands.menus["cache"]
    in_menu = [a.text() for a in cache_menu.actions() if a.isVisible() and a.text()]
    menu_keys = [m.group(1).lower() for t in in_menu if (m := re.search(r"&(\w)", t))]
    assert "Clean Images Deleted in &Glance…" in in_menu
    assert menu_keys.count("g") == 1 and menu_keys.count("d") == 1
    # The empty page (no cache open) offers the configuration with a key of its own.
    empty = window.empty_page
    keys = [a.text() for a in window.menuBar().actions()]
    keys += [b.text() for b in (empty.open_button, empty.config_button, empty.demo_button)]
    letters = [m.group(1).lower() for t in keys if (m := re.search(r"&(\w)", t))]
    assert len(letters) == len(set(letters)), keys
