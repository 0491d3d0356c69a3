"""Under ``./run mutate`` only: a test's service-backed variants run for the code they test.

mutmut runs each mutant in a pytest session of its own, so each session starts the
services its tests ask for: a PostgreSQL or MariaDB server and Glance's ``db sync``
into it (3 to 6 s), a live glance-api node (7 s), a centralized_db node.  Most
mutants of the core are reached by a test parametrized over those backends (the
cache kinds of the contract suite, the ``glance_db_backend`` of the central
database's tests) as well as by the same test's local variant (``sqlite``, ``xattr``),
and a change to, say, the sorting of entries is the same change under any backend.

So while mutmut runs a mutant (``MUTANT_UNDER_TEST`` names it), a variant of a test
on ``postgresql``, ``mariadb``, ``api`` or ``centralized_db`` is left out when the same
test's variant on a local backend runs for that mutant too (mutmut selected it: it
reaches the mutated function) and the mutant is not in a module of that backend's
own code (:data:`OWN_CODE`: what differs by database server, the centralized_db
driver, the cache API's client).
Everything else runs as always.  ``./run test`` and every other pytest run are not
affected (no ``MUTANT_UNDER_TEST``), nor is mutmut's own listing of which tests reach
which function (``stats``).

The error this can make goes one way: a mutant that only a left-out variant would
kill is reported as surviving (never as killed), so it shows up as NEW in the report.
``INSPECTOR_MUTATE_ALL_BACKENDS=1 ./run mutate NAME`` runs it with every variant.

And the tests of a mutant's session run fastest first (``tests/mutation_order.py``).
"""

from __future__ import annotations

import os
import re

import pytest

#: Parameter values that start a service, and the local values standing in for them.
SERVICE_VALUES = {
    "postgresql": ("sqlite",),
    "mariadb": ("sqlite",),
    "api": ("sqlite", "xattr"),
    "centralized_db": ("sqlite", "xattr"),
}

#: The code that differs by database server: its URLs and drivers, the errors of each
#: server, its locking writes, and the order a server gives rows last accessed at the
#: same time (``central_rows.settle_tie_at_cut``: on SQLite it is table order, which the
#: listing has already, so only the other servers see a mistake there).  The rest
#: reaches the central database through SQLAlchemy's core, the same statements for
#: every dialect.
_DIALECTS = (
    "inspector.core.drivers.glance.central_rows",
    "inspector.core.drivers.glance.central_writes",
    "inspector.core.glance_db",
    "inspector.core.glance_db_errors",
)
_CENTRAL_DB = (
    *_DIALECTS,
    "inspector.core.drivers.glance.centralized_db",
    "inspector.core.drivers.glance.probe",
    "inspector.core.fleet",
    "inspector.core.fleet_sql",
)
_API = (
    "inspector.core.drivers.glance.api",
    "inspector.core.drivers.glance.api_client",
    "inspector.core.drivers.glance.api_errors",
    "inspector.core.fleet",
    "inspector.core.fleet_actions",
)
#: The modules whose mutants always run a backend's variants: that backend's own code.
OWN_CODE = {
    "postgresql": _DIALECTS,
    "mariadb": _DIALECTS,
    "centralized_db": _CENTRAL_DB,
    "api": _API,
}

#: What mutmut sets ``MUTANT_UNDER_TEST`` to when no mutant runs.
_NOT_A_MUTANT = {"", "stats", "fail", "list_all_tests", "mutant_generation"}


def mutant_module() -> str | None:
    """The module of the mutant this session runs for, or None outside a mutant's run."""
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    if name in _NOT_A_MUTANT or "__mutmut_" not in name:
        return None
    if os.environ.get("INSPECTOR_MUTATE_ALL_BACKENDS"):
        return None
    return re.split(r"\.x_|\.xǁ", name, maxsplit=1)[0]


def _params(item: pytest.Item) -> dict[str, object]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params) if callspec else {}


def _variant_key(
    item: pytest.Item, name: str | None = None, value: str = ""
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The test's id with parameter ``name`` set to ``value`` (its own id without)."""
    params = _params(item)
    if name is not None:
        params[name] = value
    base = item.nodeid.split("[", 1)[0]
    return base, tuple(sorted((k, repr(v)) for k, v in params.items()))


def deselect_service_variants(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the service-backed variants described in the module docstring."""
    module = mutant_module()
    if module is None:
        return
    present = {_variant_key(item) for item in items}
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        drop = False
        for k, v in _params(item).items():
            if not isinstance(v, str) or v not in SERVICE_VALUES or module in OWN_CODE[v]:
                continue
            if any(_variant_key(item, k, local) in present for local in SERVICE_VALUES[v]):
                drop = True
        (dropped if drop else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
