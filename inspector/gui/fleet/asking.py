"""What the Fleet view asks before acting on nodes, and how it tells each node's result."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from inspector.core.fleet import FleetImage
from inspector.core.fleet_actions import FleetAction, NodeOutcome
from inspector.gui.dialogs.result import summarize_result

#: The Fleet view's actions: name, text, shortcut, what it does.
ACTIONS = (
    ("refresh", "&Refresh", "F5", "Read the database, ask every node"),
    (
        "queue",
        "&Queue on Nodes…",
        "Ctrl+Shift+Q",
        "Queue the selected images on the selected nodes",
    ),
    ("delete", "&Delete from Nodes…", "Del", "Delete the selected images from the selected nodes"),
    ("clean", "C&lean Nodes…", "Ctrl+L", "Each selected node cleans its own cache"),
    ("prune", "&Prune Nodes…", "Ctrl+P", "Each selected node prunes to its image_cache_max_size"),
)

#: Nodes and images a confirmation names before "and N more".
NAMED_NODES, NAMED_IMAGES = 8, 5


def tr(text: str) -> str:
    return QCoreApplication.translate("fleet", text)


def ids_needed(action: FleetAction) -> bool:
    """Whether ``action`` acts on chosen images (else on the nodes as a whole)."""
    return action in (FleetAction.QUEUE, FleetAction.DELETE)


def confirmation(
    action: FleetAction, nodes: Sequence[str], images: Sequence[FleetImage]
) -> tuple[str, str, str]:
    """The question, the details (what, then where) and the verb of its button."""
    where = "\n".join(nodes[:NAMED_NODES])
    if len(nodes) > NAMED_NODES:
        where += tr("\n… and %s more") % (len(nodes) - NAMED_NODES)
    what = ", ".join(i.name or i.id for i in images[:NAMED_IMAGES])
    if len(images) > NAMED_IMAGES:
        what += tr(" and %s more") % f"{len(images) - NAMED_IMAGES:,}"
    n_nodes = tr("%s node(s)") % len(nodes)
    n_images = tr("%s image(s)") % f"{len(images):,}"
    if action is FleetAction.QUEUE:
        text = tr("Queue %s on %s?") % (n_images, n_nodes)
        detail = tr("%s\n\nEach node's prefetcher downloads them into its cache.") % what
        verb = tr("Queue")
    elif action is FleetAction.DELETE:
        text = tr("Delete %s from %s?") % (n_images, n_nodes)
        detail = (
            tr(
                "%s\n\nEach node removes its cached copy; Glance downloads an image again "
                "the next time that node is asked for it."
            )
            % what
        )
        verb = tr("Delete")
    elif action is FleetAction.CLEAN:
        text = tr("Clean %s?") % n_nodes
        detail = tr("Each node deletes its own invalid and stalled downloads.")
        verb = tr("Clean")
    else:
        text = tr("Prune %s?") % n_nodes
        detail = tr(
            "Each node evicts its least recently accessed images down to its own "
            "image_cache_max_size."
        )
        verb = tr("Prune")
    return text, detail + "\n\n" + where, verb


def outcome_box(title: str, outcomes: Sequence[NodeOutcome], parent: QWidget) -> QMessageBox:
    """One line per node: what its job did, or why it did not run."""
    lines = []
    for o in outcomes:
        said = summarize_result(o.result) if o.result is not None else ""
        lines.append(f"{o.url}: " + (tr("failed: %s") % o.error if o.error else said))
    failed = [o for o in outcomes if not o.ok]
    box = QMessageBox(parent)
    box.setWindowTitle(title)
    box.setIcon(QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information)
    box.setText(
        tr("%s of %s nodes done.") % (len(outcomes) - len(failed), len(outcomes))
        if outcomes
        else tr("Stopped before the first node.")
    )
    box.setInformativeText("\n".join(lines))
    return box
