"""The CLI's commands, one module per group; each registers its parsers."""

from __future__ import annotations

from types import ModuleType

from inspector.cli.commands import audit, change, fleet, history, listing, metadata, verify

#: Modules with ``register(subparsers)``; each parser's ``func`` runs the command.
COMMANDS: tuple[ModuleType, ...] = (listing, change, audit, verify, metadata, history, fleet)
