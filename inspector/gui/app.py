"""``cache-inspector``: start the GUI."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from inspector import __version__
from inspector.core import DRIVERS, CacheSource
from inspector.gui.icons import APP_ID, app_icon

log = logging.getLogger(__name__)

ORGANIZATION = "cache-inspector"
APPLICATION = "Cache Inspector"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="cache-inspector", description="See inside OpenStack Glance image caches."
    )
    p.add_argument("path", nargs="?", metavar="PATH", help="the cache directory to open")
    p.add_argument("--demo", action="store_true", help="build a demo cache and open it")
    p.add_argument("--driver", choices=sorted(DRIVERS), help="the cache's kind (default: detect)")
    p.add_argument("--read-only", action="store_true", help="never change the cache")
    p.add_argument(
        "--glance-config",
        type=Path,
        metavar="FILE",
        help="open the cache this glance-api.conf configures (instead of PATH)",
    )
    p.add_argument(
        "--db",
        metavar="URL",
        help="Glance's database (SQLAlchemy URL): a centralized_db node's rows, image names",
    )
    p.add_argument("--node", metavar="URL", help="the node's worker_self_reference_url")
    p.add_argument(
        "--fleet",
        action="store_true",
        help="with --glance-config or --db: show every node of that database (the Fleet view)",
    )
    p.add_argument(
        "--font-size",
        type=float,
        metavar="POINTS",
        help="the window's font size (default: the desktop's), e.g. 16 for large text",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help=argparse.SUPPRESS,  # smoke tests: quit cleanly after this long
    )
    args = p.parse_args(argv)
    if args.glance_config is not None and (args.path or args.db or args.node):
        p.error("--glance-config names the cache by itself: give no PATH, --db or --node with it")
    if args.db is not None and args.path is None and not args.fleet:
        p.error("--db needs the node's cache directory (PATH)")
    if args.fleet and args.glance_config is None and args.db is None:
        p.error("--fleet needs --glance-config FILE or --db URL (the fleet's database)")
    if args.node is not None and args.db is None:
        p.error("--node needs --db URL (the database the node's rows are in)")
    return args


#: The error boxes shown: a box nobody keeps a reference to is destroyed at once.
error_boxes: list[QMessageBox] = []


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """An unexpected error is logged and shown in a dialog, never just a console traceback."""
    log.error("Unexpected error:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    app = QApplication.instance()
    if isinstance(app, QApplication):
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            QCoreApplication.translate("app", "Unexpected error"),
            QCoreApplication.translate("app", "Something went wrong: %s") % value,
        )
        box.setDetailedText("".join(traceback.format_exception(kind, value, tb)))
        box.finished.connect(lambda _: error_boxes.remove(box) if box in error_boxes else None)
        error_boxes.append(box)
        box.open()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the program; ``argv`` includes the program name, as ``sys.argv`` does."""
    from inspector.gui.heap import tune_heap
    from inspector.gui.main_window import MainWindow

    tune_heap()  # before the first reading: see inspector/gui/heap.py
    argv = list(sys.argv if argv is None else argv)
    args = parse_args(argv[1:])
    logging.basicConfig(level=logging.INFO, format="cache-inspector: %(levelname)s: %(message)s")
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv[:1])
    assert isinstance(app, QApplication)
    app.setDesktopFileName(APP_ID)
    if args.font_size:
        font = app.font()
        font.setPointSizeF(max(4.0, min(args.font_size, 72.0)))
        app.setFont(font)
    app.setWindowIcon(app_icon())
    sys.excepthook = _excepthook
    signal.signal(signal.SIGINT, lambda *_: app.quit())

    settings = QSettings()
    named = args.glance_config is not None or args.db is not None
    window = MainWindow(
        None if args.demo or named else args.path,
        driver=args.driver,
        read_only=args.read_only,
        settings=settings,
    )
    if args.demo:
        window.open_demo()
    elif args.fleet:
        window.open_fleet(args.db, args.glance_config)
    elif args.glance_config is not None:
        window.open_source(CacheSource(config=args.glance_config.expanduser().absolute()))
    elif args.db is not None:
        path = Path(args.path).expanduser().absolute()
        window.open_source(CacheSource(path, args.driver, args.db, args.node))
    elif args.path is None and window.settings.last():
        window.open_recent(window.settings.last() or "")
    window.show()
    if args.quit_after is not None:
        QTimer.singleShot(int(args.quit_after * 1000), window.close)
    # Let Python see Ctrl+C now and then.
    ticker = QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(250)
    code = app.exec()
    window.shutdown()
    return int(code)
